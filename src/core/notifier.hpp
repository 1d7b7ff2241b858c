// Change notification: the header's `gen` counter (0x10), the futex word both ZeroDDS and shmslot
// processes sleep on, and the sleeper registry that lets a shmslot commit skip FUTEX_WAKE when
// nobody sleeps. docs/protocol.md, "Notification".
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "core/segment_view.hpp"
#include "core/sleeper_registry.hpp"

namespace shmslot::core {

class Notifier {
 public:
  // On a ZeroDDS segment (no sleeper registry) and with kFlagWakeAlways every notify wakes.
  explicit Notifier(const SegmentView& view);

  // Moves the counter on and wakes sleepers if any may sleep; `wake` forces the wake-up (a sample
  // for readers that sleep unannounced, see SlotExt::hidden_readers).
  void notify(bool wake = false) const;
  std::uint64_t generation() const;
  bool wait_for_change(std::uint64_t last, std::chrono::nanoseconds timeout) const;
  // Frees the sleeper entries of dead processes (a sleeper SIGKILLed in its sleep); returns how many.
  std::size_t reap_dead_sleepers() const;

 private:
  // A wake that woke nobody while the word names sleepers: perhaps one died asleep. Reaps, at most
  // once per half lease per engine, so that a dead sleeper taxes commits for a bounded time only.
  void heal_if_due() const;

  std::atomic<std::uint32_t>& gen_;
  std::optional<SleeperRegistry> sleepers_;  // empty on ZeroDDS segments
  bool wake_always_;
  std::uint64_t heal_interval_ns_;
  mutable std::atomic<std::uint64_t> next_heal_ns_{0};
};

}  // namespace shmslot::core
