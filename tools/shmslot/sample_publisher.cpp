#include "sample_publisher.hpp"

#include <chrono>
#include <utility>

#include <fmt/core.h>

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
    : command_(std::move(command)), segment_(segment), active_(active) {}

bool SamplePublisher::publish_bytes(std::span<const std::byte> bytes) {
  const auto handle = reserve();
  if (!handle) return false;
  if (auto r = segment_.commit_slot(*handle, bytes); !r) return give_back(*handle, "commit", r.error());
  return true;
}

bool SamplePublisher::publish_generated(std::uint64_t index, std::size_t size) {
  const auto handle = reserve();
  if (!handle) return false;
  auto data = segment_.slot_data_ptr(*handle);
  if (!data) return give_back(*handle, "slot_data_ptr", data.error());
  fill_generated(data->first(size), index);
  if (auto r = segment_.commit_in_place(*handle, size); !r) return give_back(*handle, "commit", r.error());
  return true;
}

// A slot for the active readers; while every slot is taken, sleeps on the change counter (read
// before the attempt, so a slot freed in between is never slept through).
std::optional<SlotHandle> SamplePublisher::reserve() {
  const auto waiting_since = std::chrono::steady_clock::now();
  auto last_check = waiting_since;
  for (;;) {
    if (stop_requested()) return std::nullopt;
    const std::uint64_t gen = segment_.notify_generation();
    const ReaderMask active = active_ ? *active_ : segment_.registered_readers();
    auto handle = segment_.reserve_slot(active);
    if (handle) return *handle;
    if (handle.error().code != SlotErrorCode::NoFreeSlot) {
      exit_code_ = fail(command_, kExitFailure, "reserve_slot: " + handle.error().message());
      return std::nullopt;
    }
    segment_.wait_for_change(gen, kWaitSlice);
    const auto now = std::chrono::steady_clock::now();
    if (!said_waiting_ && now - waiting_since >= kSayWaitingAfter) {
      said_waiting_ = true;
      note(command_, waiting_text(active));
    }
    if (now - last_check >= kPublishedCheckInterval) {
      last_check = now;
      if (auto why = segment_gone(segment_)) {
        exit_code_ = fail(command_, kExitFailure, fmt::format("the segment is full and {}; giving up", *why));
        return std::nullopt;
      }
    }
  }
}

bool SamplePublisher::give_back(SlotHandle handle, const char* what, const SlotError& error) {
  (void)segment_.discard_slot(handle);
  exit_code_ = fail(command_, kExitFailure, fmt::format("{}: {}", what, error.message()));
  return false;
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
