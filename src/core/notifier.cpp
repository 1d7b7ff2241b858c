#include "core/notifier.hpp"

#include "platform/futex.hpp"

namespace shmslot::core {

void Notifier::notify() const {
  // SYNC: seq_cst increment, then seq_cst load of `waiters`; with the waiter's seq_cst increment of
  // `waiters` and load of `gen` in wait_for_change this is a Dekker pair: no waiter sleeps through
  // this change.
  gen_.fetch_add(1, std::memory_order_seq_cst);
  if (wake_always_ || waiters_->load(std::memory_order_seq_cst) != 0) platform::futex_wake_all(gen_);
}

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
    if (waiters_ != nullptr) {
      // SYNC: seq_cst; the waiter half of the Dekker pair in notify().
      waiters_->fetch_add(1, std::memory_order_seq_cst);
      if (gen_.load(std::memory_order_seq_cst) == expected) platform::futex_wait(gen_, expected, left);
      waiters_->fetch_sub(1, std::memory_order_seq_cst);
    } else {
      // ZeroDDS writers wake on every change; the kernel's compare closes the window.
      platform::futex_wait(gen_, expected, left);
    }
  }
}

}  // namespace shmslot::core
