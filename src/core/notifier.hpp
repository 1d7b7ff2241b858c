// Change notification: the header's `gen` counter (0x10), the futex word both ZeroDDS and shmslot
// processes sleep on, and the waiter count that lets a shmslot commit skip FUTEX_WAKE when nobody
// sleeps. docs/protocol.md, "Notification".
#pragma once

#include <chrono>
#include <cstdint>

#include "core/segment_view.hpp"

namespace shmslot::core {

class Notifier {
 public:
  // On a ZeroDDS segment (no waiter count) and with kFlagWakeAlways every notify wakes.
  explicit Notifier(const SegmentView& view)
      : gen_(view.header().gen),
        waiters_(view.extended() ? &view.control().waiters : nullptr),
        wake_always_(!view.extended() || (view.control().flags & kFlagWakeAlways) != 0) {}

  // Moves the counter on and wakes sleepers if any may sleep.
  void notify() const;
  std::uint64_t generation() const;
  bool wait_for_change(std::uint64_t last, std::chrono::nanoseconds timeout) const;

 private:
  std::atomic<std::uint32_t>& gen_;
  std::atomic<std::uint32_t>* waiters_;  // null on ZeroDDS segments
  bool wake_always_;
};

}  // namespace shmslot::core
