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
  auto last_check = std::chrono::steady_clock::now();
  for (;;) {
    if (stop_requested()) return std::nullopt;
    const std::uint64_t gen = segment_.notify_generation();
    auto handle = segment_.reserve_slot(active_ ? *active_ : segment_.registered_readers());
    if (handle) return *handle;
    if (handle.error().code != SlotErrorCode::NoFreeSlot) {
      exit_code_ = fail(command_, kExitFailure, "reserve_slot: " + handle.error().message());
      return std::nullopt;
    }
    segment_.wait_for_change(gen, kWaitSlice);
    const auto now = std::chrono::steady_clock::now();
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

}  // namespace shmslot::cli
