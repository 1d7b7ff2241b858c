// Blocking over any SlotBackend: try, and while there is nothing yet, announce the sleep, try once
// more, and sleep until something changes, the deadline passes or a stop is requested. Every
// blocking call of Writer and Reader (and of the tool, the bridge, the benchmarks and the demo)
// waits through wait_until, so the loop and its two subtle points live here once:
//   1. the sleep is announced (SlotBackend::announce_wait) before the last try, so a commit or
//      mark_read made after that try finds the announcement and wakes the sleep, and one made
//      before it is seen by the try; a commit nobody waits for moves no shared counter;
//   2. no sleep is longer than half the lease: a peer that died holding a slot, or inside a
//      commit, wakes nobody, and it is the next try (reap in reserve_slot, the gap skipped by
//      next_unread_slot) that gets past what it left.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>

#include <tl/expected.hpp>

#include "shmslot/slot_backend.hpp"
#include "shmslot/types.hpp"

namespace shmslot {


/// When a blocking call gives up: at `deadline` (on the steady clock), when `stop` is requested,
/// and never sleeping longer than `max_sleep` at a time (for callers that look at something else
/// between sleeps). The default waits forever and cannot be stopped.
///
/// `spin`: how long to keep trying before the first sleep, yielding the CPU between tries (0, the
/// default: sleep at once). A reader that sleeps after every sample costs its writer a FUTEX_WAKE
/// per commit; one that tries for a few microseconds first usually finds the next sample awake
/// and takes what arrived meanwhile in one batch. It costs up to `spin` of CPU per wait that ends
/// in a sleep. docs/api.md, "Waiting".
struct WaitLimit {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::stop_token stop{};
  std::chrono::nanoseconds max_sleep = std::chrono::nanoseconds::max();
  std::chrono::nanoseconds spin{0};

  /// This limit with a spin window before the first sleep.
  WaitLimit spinning(std::chrono::nanoseconds window) const {
    WaitLimit limit = *this;
    limit.spin = window;
    return limit;
  }

  /// Gives up `timeout` from now (a huge timeout means never), or when `stop` is requested.
  static WaitLimit within(std::chrono::nanoseconds timeout, std::stop_token stop = {}) {
    const auto now = std::chrono::steady_clock::now();
    const auto room = std::chrono::steady_clock::time_point::max() - now;
    WaitLimit limit;
    limit.deadline = timeout >= room ? std::chrono::steady_clock::time_point::max()
                                     : now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
    limit.stop = std::move(stop);
    return limit;
  }
  /// Gives up at `deadline`, or when `stop` is requested.
  static WaitLimit until(std::chrono::steady_clock::time_point deadline, std::stop_token stop = {}) {
    WaitLimit limit;
    limit.deadline = deadline;
    limit.stop = std::move(stop);
    return limit;
  }
};

namespace detail {
template <class R>
struct AttemptValue;
template <class V>
struct AttemptValue<tl::expected<std::optional<V>, SlotError>> {
  using type = V;
};
}  // namespace detail

/// Calls `attempt` until it delivers. `attempt()` returns tl::expected<std::optional<V>, SlotError>:
/// a value ends the wait with that value, an error ends it with that error, nullopt means "nothing
/// yet". Between tries it sleeps through `backend.announce_wait` / `sleep_announced`. Returns the
/// value, the attempt's error, TimedOut once `limit.deadline` has passed (after one last try), or
/// Stopped once `limit.stop` is requested. A first try that delivers costs nothing beyond the try.
/// `what` says which changes can end the wait: WaitFor::Sample is not woken by mark_read.
template <class Attempt>
auto wait_until(const SlotBackend& backend, const WaitLimit& limit, WaitFor what, Attempt&& attempt)
    -> tl::expected<typename detail::AttemptValue<std::invoke_result_t<Attempt&>>::type, SlotError> {
  using Clock = std::chrono::steady_clock;
  using Value = typename detail::AttemptValue<std::invoke_result_t<Attempt&>>::type;
  using Result = tl::expected<Value, SlotError>;
  auto first = attempt();
  if (!first) return tl::unexpected(first.error());
  if (*first) return Result(std::move(**first));
  if (limit.spin > std::chrono::nanoseconds::zero()) {
    // Unannounced tries, as the first: a commit in this window costs its writer nothing. Yielding
    // lets the writer, or other readers, run when they share this CPU.
    const auto now = Clock::now();
    // Compared before subtracting: a deadline far in the past would overflow `deadline - now`.
    const auto spin_end = now >= limit.deadline || limit.spin >= limit.deadline - now
                              ? limit.deadline
                              : now + std::chrono::duration_cast<Clock::duration>(limit.spin);
    do {
      if (limit.stop.stop_requested()) return tl::unexpected(SlotError::of(SlotErrorCode::Stopped));
      std::this_thread::yield();
      auto got = attempt();
      if (!got) return tl::unexpected(got.error());
      if (*got) return Result(std::move(**got));
    } while (Clock::now() < spin_end);
  }
  // In nanoseconds: half of a 1 ms lease is not 0.
  const std::chrono::nanoseconds slice =
      std::min<std::chrono::nanoseconds>(std::chrono::nanoseconds(backend.lease()) / 2, limit.max_sleep);
  // A stop request moves the segment's change counter on and wakes every sleeper (wake_waiters),
  // so a sleep below ends at once, and one that has not begun yet finds the counter moved past the
  // value its announcement read. Runs in the requesting thread; destroyed (waited for, if running)
  // before this function returns.
  const std::stop_callback on_stop(limit.stop, [&backend] { backend.wake_waiters(); });
  // Ends the announcement however the loop body leaves (an attempt may throw).
  struct Announced {
    const SlotBackend& backend;
    SlotBackend::WaitAnnouncement announcement;
    bool open = true;
    bool sleep(std::chrono::nanoseconds timeout) {
      open = false;
      return backend.sleep_announced(announcement, timeout);
    }
    ~Announced() {
      if (open) backend.withdraw_wait(announcement);
    }
  };
  for (;;) {
    if (limit.stop.stop_requested()) return tl::unexpected(SlotError::of(SlotErrorCode::Stopped));
    // Announced before the try (point 1 above): a change after the try ends the sleep below.
    Announced announced{backend, backend.announce_wait(what)};
    // Checked again now that the announcement holds the counter: a stop requested since the check
    // above moved the counter before the announcement read it, so the sleep would not end for it.
    // (request_stop sets the flag before the callback moves the counter.)
    if (limit.stop.stop_requested()) return tl::unexpected(SlotError::of(SlotErrorCode::Stopped));
    auto got = attempt();
    if (!got) return tl::unexpected(got.error());
    if (*got) return Result(std::move(**got));
    const auto now = Clock::now();
    if (now >= limit.deadline) return tl::unexpected(SlotError::of(SlotErrorCode::TimedOut));
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(limit.deadline - now);
    (void)announced.sleep(std::min(left, slice));
    // After a wake-up, one try before announcing again: what woke us is usually there, and taking it
    // unannounced spares the caller's own mark_read or commit the wake-up path an announcement
    // would make it pay.
    auto woken = attempt();
    if (!woken) return tl::unexpected(woken.error());
    if (*woken) return Result(std::move(**woken));
  }
}

/// wait_until for any change (WaitFor::Change): what a caller that may wait for a free slot uses.
template <class Attempt>
auto wait_until(const SlotBackend& backend, const WaitLimit& limit, Attempt&& attempt)
    -> decltype(wait_until(backend, limit, WaitFor::Change, std::forward<Attempt>(attempt))) {
  return wait_until(backend, limit, WaitFor::Change, std::forward<Attempt>(attempt));
}

/// An attempt's NoFreeSlot as "nothing yet", so wait_until waits for a reader to free a slot; any
/// other outcome ends the wait. The attempt of every blocking write and loan.
template <class V>
tl::expected<std::optional<V>, SlotError> unless_full(tl::expected<V, SlotError> r) {
  if (r) return std::optional<V>(std::move(*r));
  if (r.error().code == SlotErrorCode::NoFreeSlot) return std::optional<V>{};
  return tl::unexpected(r.error());
}

}  // namespace shmslot
