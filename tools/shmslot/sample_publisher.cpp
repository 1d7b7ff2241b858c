#include "sample_publisher.hpp"

#include <chrono>
#include <cstring>
#include <utility>

#include <fmt/core.h>
#include <shmslot/wait.hpp>

#include "command.hpp"
#include "exit_codes.hpp"
#include "generated_payload.hpp"
#include "segment_access.hpp"
#include "stop_signal.hpp"

namespace shmslot::cli {

namespace {
// How long one wait for a free slot sleeps before looking at the stop flag and the flink file.
constexpr auto kWaitSlice = std::chrono::milliseconds(100);
constexpr auto kPublishedCheckInterval = std::chrono::seconds(1);
// A full segment for this long is said once on stderr (shorter waits are ordinary flow control).
constexpr auto kSayWaitingAfter = std::chrono::seconds(1);
}  // namespace

SamplePublisher::SamplePublisher(std::string command, PosixSlotAllocator& segment, std::optional<ReaderMask> active)
    : command_(std::move(command)), segment_(segment), writer_(segment) {
  writer_.set_active_readers(active);
}

bool SamplePublisher::publish_bytes(std::span<const std::byte> bytes) {
  auto loan = this->loan(bytes.size());
  if (!loan) return false;
  if (!bytes.empty()) std::memcpy(loan->data().data(), bytes.data(), bytes.size());
  return commit(std::move(*loan), bytes.size());
}

bool SamplePublisher::publish_generated(std::uint64_t index, std::size_t size) {
  auto loan = this->loan(size);
  if (!loan) return false;
  fill_generated(loan->data(), index);
  return commit(std::move(*loan), size);
}

std::optional<Loan> SamplePublisher::loan(std::size_t size) {
  const auto waiting_since = std::chrono::steady_clock::now();
  auto last_check = waiting_since;
  std::optional<std::string> gave_up;  // why nobody will free a slot, once that is known
  WaitLimit limit;
  limit.max_sleep = kWaitSlice;  // the stop flag and the flink file are looked at between sleeps
  auto loan = wait_until(segment_, limit, [&]() -> tl::expected<std::optional<Loan>, SlotError> {
    if (stop_requested()) return tl::unexpected(SlotError::of(SlotErrorCode::Stopped));
    auto got = writer_.loan(size);
    if (got) return std::optional<Loan>(std::move(*got));
    if (got.error().code != SlotErrorCode::NoFreeSlot) return tl::unexpected(got.error());
    const auto now = std::chrono::steady_clock::now();
    if (!said_waiting_ && now - waiting_since >= kSayWaitingAfter) {
      said_waiting_ = true;
      note(command_, waiting_text(writer_.active_readers()));
    }
    if (now - last_check >= kPublishedCheckInterval) {
      last_check = now;
      if ((gave_up = segment_gone(segment_))) return tl::unexpected(SlotError::of(SlotErrorCode::Stopped));
    }
    return std::optional<Loan>{};
  });
  if (loan) return std::move(*loan);
  if (gave_up) {
    exit_code_ = fail(command_, kExitFailure, fmt::format("the segment is full and {}; giving up", *gave_up));
  } else if (loan.error().code != SlotErrorCode::Stopped) {
    exit_code_ = fail(command_, kExitFailure, "reserve_slot: " + loan.error().message());
  }
  return std::nullopt;
}

bool SamplePublisher::commit(Loan&& loan, std::size_t size) {
  if (auto r = std::move(loan).commit(size); !r) {
    exit_code_ = fail(command_, kExitFailure, fmt::format("commit: {}", r.error().message()));
    return false;
  }
  return true;
}

std::string SamplePublisher::waiting_text(ReaderMask active) const {
  std::string readers;
  std::string unread_by_nobody;
  int count = 0;
  int nobody = 0;
  for (std::uint32_t r = 0; r < kMaxReaders; ++r) {
    if ((active & (ReaderMask{1} << r)) == 0) continue;
    readers += fmt::format("{}{}", count++ == 0 ? "" : ", ", r);
    const auto stats = segment_.reader_stats(r);
    if (stats && stats->owner_pid == 0) unread_by_nobody += fmt::format("{}{}", nobody++ == 0 ? "" : ", ", r);
  }
  std::string text = fmt::format("waiting: every slot holds a sample that {} {} of --mask {:#x} has not read",
                                 count == 1 ? "reader" : "readers", readers, active);
  if (nobody > 0) {
    text += fmt::format("; no process reads as {} {} (start `shmslot sub {} --reader N`)",
                        nobody == 1 ? "reader" : "readers", unread_by_nobody, segment_.flink_path());
  }
  return text + "; --mask 0 publishes without waiting, overwriting unread samples";
}

}  // namespace shmslot::cli
