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

void Notifier::notify(bool wake) const {
  // SYNC: seq_cst increment, then seq_cst load of the sleeper word; with a sleeper's seq_cst RMW of
  // that word and its seq_cst load of `gen` in wait_for_change this is a Dekker pair: no sleeper
  // sleeps through this change.
  gen_.fetch_add(1, std::memory_order_seq_cst);
  if (!sleepers_) {
    platform::futex_wake_all(gen_);
    return;
  }
  const std::uint64_t asleep = sleepers_->load();
  if (asleep == 0 && !wake && !wake_always_) return;
  // Fewer woken than tracked bits: perhaps a sleeper died asleep (or is between its announcement and
  // FUTEX_WAIT). Compared with the count rather than with zero, so that a sleeper that never wakes
  // for good cannot hide a dead one.
  const int woken = platform::futex_wake_all(gen_);
  if (woken < __builtin_popcount(sl::tracked(asleep))) heal_if_due();
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
      const SleeperRegistry::Ticket ticket = sleepers_->enter();
      // SYNC: seq_cst; the sleeper half of the Dekker pair in notify() (enter() ends with a seq_cst RMW).
      if (gen_.load(std::memory_order_seq_cst) == expected) platform::futex_wait(gen_, expected, left);
      sleepers_->leave(ticket);
    } else {
      // ZeroDDS writers wake on every change; the kernel's compare closes the window.
      platform::futex_wait(gen_, expected, left);
    }
  }
}

}  // namespace shmslot::core
