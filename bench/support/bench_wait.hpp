// How a benchmark loop waits for a sample or a free slot: spinning on the try itself (busy mode,
// the lowest latency, a core kept busy) or sleeping in shmslot::wait_until (futex mode).
#pragma once

#include <chrono>
#include <cstdint>
#include <type_traits>

#include <shmslot/slot_backend.hpp>
#include <shmslot/wait.hpp>

#include "bench_clock.hpp"

namespace shmslot::bench {

/// How often a spinning wait reads the clock for its deadline.
inline constexpr std::uint32_t kDeadlineCheckSpins = 0xFFF;

/// The value of `attempt` (as wait_until takes it) once it delivers: retried at once when
/// `block` is false, through wait_until when it is true. TimedOut after `deadline_ns` (now_ns()).
/// `what`: what a blocking wait waits for (WaitFor); `spin`: its WaitLimit::spin.
template <class Attempt>
auto spin_or_wait(bool block, const SlotBackend& backend, std::uint64_t deadline_ns, WaitFor what,
                  std::chrono::nanoseconds spin, Attempt&& attempt)
    -> decltype(wait_until(backend, WaitLimit{}, what, attempt)) {
  if (block) {
    const std::chrono::steady_clock::time_point deadline{std::chrono::nanoseconds(deadline_ns)};
    return wait_until(backend, WaitLimit::until(deadline).spinning(spin), what, attempt);
  }
  for (std::uint32_t spins = 0;; ++spins) {
    auto got = attempt();
    if (!got) return tl::unexpected(got.error());
    if (*got) return std::move(**got);
    if ((spins & kDeadlineCheckSpins) == kDeadlineCheckSpins && now_ns() > deadline_ns) {
      return tl::unexpected(SlotError::of(SlotErrorCode::TimedOut));
    }
  }
}

}  // namespace shmslot::bench
