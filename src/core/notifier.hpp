// Change notification: the header's `gen` counter (0x10), the futex word both ZeroDDS and shmslot
// processes sleep on, and the sleeper registry that lets a shmslot commit skip both the counter and
// FUTEX_WAKE when nobody waits. docs/protocol.md, "Notification".
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
  // A sleep announced before the caller's last look at the data (announce()).
  struct Announcement {
    std::uint32_t generation = 0;  // `gen` as read after the announcement
    SleeperRegistry::Ticket ticket{};
  };

  // On a ZeroDDS segment (no sleeper registry) and with kFlagWakeAlways every notify wakes.
  explicit Notifier(const SegmentView& view);

  // Moves the counter on and wakes sleepers if any may sleep; `wake` forces the wake-up (a sample
  // for readers that sleep unannounced, see SlotExt::hidden_readers). For the rare changes:
  // discard, disconnect, eviction, reaping, a stop request.
  void notify(bool wake = false) const;
  // The same after a commit whose publication was ordered seq_cst (its fence), which lets it skip
  // the counter too when nobody sleeps and nobody watches it: a sleeper announced itself before its
  // last look at the data, so that look saw the change.
  void notify_published(bool wake = false) const;
  // The same after a mark_read (its seq_cst unpin), which can free a slot but publishes no sample:
  // it skips unless a sleeper waits for a free slot (or somebody watches the counter).
  void notify_slot_freed() const;

  // The counter, for callers that sleep on it unannounced (wait_for_change): marks the segment's
  // counter watched first, so that every commit moves it from then on.
  std::uint64_t generation() const;
  // The futex word behind generation() and announce(): what a sleeper on several segments puts
  // in its futex_waitv vector, with the value its announcement read as the expected one.
  const std::atomic<std::uint32_t>& word() const { return gen_; }
  bool wait_for_change(std::uint64_t last, std::chrono::nanoseconds timeout) const;

  // The register-then-check sleep: announce(), look at the data once more, then sleep() (which
  // withdraws the announcement) or withdraw(). `free_slot`: the caller waits for a free slot (or
  // for any change), so mark_read wakes it too; otherwise only a sample (or a rarer change) does.
  Announcement announce(bool free_slot) const;
  // Sleeps until the counter moves past `a.generation`, a wake, or `timeout`; withdraws `a`.
  // Returns whether the counter moved.
  bool sleep(const Announcement& a, std::chrono::nanoseconds timeout) const;
  void withdraw(const Announcement& a) const;

  // Frees the sleeper entries of dead processes (a sleeper SIGKILLed in its sleep); returns how many.
  std::size_t reap_dead_sleepers() const;

 private:
  // Moves the counter, then wakes if the sleeper word (re-read after the move: the Dekker pair with
  // wait_for_change's sleepers) names sleepers or `wake` asks for it.
  void advance_and_wake(bool wake) const;
  // A wake that woke nobody while the word names sleepers: perhaps one died asleep. Reaps, at most
  // once per half lease per engine, so that a dead sleeper taxes commits for a bounded time only.
  void heal_if_due() const;

  std::atomic<std::uint32_t>& gen_;
  std::optional<SleeperRegistry> sleepers_;  // empty on ZeroDDS segments
  bool wake_always_;
  std::uint64_t heal_interval_ns_;
  mutable std::atomic<std::uint64_t> next_heal_ns_{0};
  mutable std::atomic<bool> watching_{false};  // this engine has set kGenerationWatched
};

}  // namespace shmslot::core
