#include "core/notifier.hpp"

#include "platform/futex.hpp"
#include "platform/process.hpp"

namespace shmslot::core {

namespace sl = sleeper_word;

Notifier::Notifier(const SegmentView& view)
    : gen_(view.header().gen),
      wake_always_(!view.extended() || (view.control().flags & kFlagWakeAlways) != 0),
      heal_interval_ns_(view.extended() ? std::uint64_t{view.control().lease_ms} * 1'000'000 / 2 : 0) {
  if (view.extended()) sleepers_.emplace(view);
}

void Notifier::notify(bool wake) const { advance_and_wake(wake); }

void Notifier::notify_published(bool wake) const {
  if (sleepers_ && !wake && !wake_always_) {
    // SYNC: seq_cst load after the commit's seq_cst fence, which follows its release stores of the
    // slot word and the ring entry. An announced sleeper does a seq_cst RMW of this word, then a
    // seq_cst fence, then looks at the data; a watcher does the same before it reads `gen`. If
    // this load misses that RMW, the RMW and the fence come after the publication in the single
    // order S, and the sleeper's look sees it.
    if (sleepers_->load() == 0) return;
  }
  advance_and_wake(wake);
}

void Notifier::notify_slot_freed() const {
  if (sleepers_ && !wake_always_) {
    // SYNC: seq_cst load after mark_read's seq_cst unpin: the Dekker pair of notify_published, with
    // a sleeper that waits for a free slot, whose enter() RMWs this word before its fence and look.
    // A sleeper waiting for a sample needs no wake-up here: a mark_read publishes none.
    if (sleepers_->load_slot_sleepers() == 0) return;
  }
  advance_and_wake(false);
}

void Notifier::advance_and_wake(bool wake) const {
  // SYNC: seq_cst increment, then seq_cst load of the sleeper word; with a sleeper's seq_cst RMW of
  // that word and its seq_cst load of `gen` in wait_for_change this is a Dekker pair: no sleeper
  // sleeps through this change.
  gen_.fetch_add(1, std::memory_order_seq_cst);
  if (!sleepers_) {
    platform::futex_wake_all(gen_);
    return;
  }
  const std::uint64_t word = sleepers_->load();
  if (!sl::anyone_asleep(word) && !wake && !wake_always_) return;
  // Fewer woken than tracked bits: perhaps a sleeper died asleep (or is between its announcement and
  // FUTEX_WAIT). Compared with the count rather than with zero, so that a sleeper that never wakes
  // for good cannot hide a dead one.
  const int woken = platform::futex_wake_all(gen_);
  if (woken < __builtin_popcount(sl::tracked(word))) heal_if_due();
}

void Notifier::heal_if_due() const {
  const std::uint64_t now = platform::coarse_now_ns();
  std::uint64_t due = next_heal_ns_.load(std::memory_order_relaxed);
  if (now < due) return;
  // Relaxed: the timestamp only elects one healer per interval in this engine.
  if (!next_heal_ns_.compare_exchange_strong(due, now + heal_interval_ns_, std::memory_order_relaxed)) return;
  (void)sleepers_->reap_dead();
}

std::size_t Notifier::reap_dead_sleepers() const { return sleepers_ ? sleepers_->reap_dead() : 0; }

std::uint64_t Notifier::generation() const {
  // SYNC: acquire/release; a thread that finds the cache set is ordered after the RMW that set the
  // bit, so that RMW precedes its fence below in S too.
  if (sleepers_ && !watching_.load(std::memory_order_acquire)) {
    sleepers_->watch_generation();
    watching_.store(true, std::memory_order_release);
  }
  // SYNC: seq_cst fence between the watched bit (set by this engine's RMW above or by another's,
  // read in watch_generation) and whatever the caller looks at next: a commit whose seq_cst load of
  // the sleeper word missed the bit came before this fence in S, so the caller's look sees it; one
  // that saw it moves `gen`.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // SYNC: acquire; a caller that sees a new value also sees the change that produced it.
  return gen_.load(std::memory_order_acquire);
}

bool Notifier::wait_for_change(std::uint64_t last, std::chrono::nanoseconds timeout) const {
  const auto expected = static_cast<std::uint32_t>(last);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (gen_.load(std::memory_order_acquire) != expected) return true;
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds::zero()) return false;
    if (sleepers_) {
      // Not as a slot sleeper: `last` came from generation(), which marked the counter watched in
      // both words, so every mark_read moves `gen` and then wakes by the sleeper word.
      const SleeperRegistry::Ticket ticket = sleepers_->enter(false);
      // SYNC: seq_cst; the sleeper half of the Dekker pair in advance_and_wake() (enter() ends with a
      // seq_cst RMW).
      if (gen_.load(std::memory_order_seq_cst) == expected) platform::futex_wait(gen_, expected, left);
      sleepers_->leave(ticket);
    } else {
      // ZeroDDS writers wake on every change; the kernel's compare closes the window.
      platform::futex_wait(gen_, expected, left);
    }
  }
}

Notifier::Announcement Notifier::announce(bool free_slot) const {
  Announcement a;
  if (sleepers_) a.ticket = sleepers_->enter(free_slot);
  // SYNC: seq_cst fence after enter()'s seq_cst RMW of the sleeper word and before the caller's
  // last look at the data: the sleeper half of the Dekker pairs with notify_published and
  // notify_slot_freed (see there).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // SYNC: acquire; a value moved by a commit carries that commit's data with it.
  a.generation = gen_.load(std::memory_order_acquire);
  return a;
}

bool Notifier::sleep(const Announcement& a, std::chrono::nanoseconds timeout) const {
  // A commit that saw the announcement moves `gen` before it wakes, so a FUTEX_WAIT that begins
  // after the move returns at once (the kernel compares) and one that began before is woken.
  if (timeout > std::chrono::nanoseconds::zero() && gen_.load(std::memory_order_acquire) == a.generation) {
    platform::futex_wait(gen_, a.generation, timeout);
  }
  withdraw(a);
  return gen_.load(std::memory_order_acquire) != a.generation;
}

void Notifier::withdraw(const Announcement& a) const {
  if (sleepers_) sleepers_->leave(a.ticket);
}

}  // namespace shmslot::core
