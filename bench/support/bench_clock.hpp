// The clock every measurement reads, and the spin-wait hint. now_ns() and cpu_relax() are inline:
// they sit inside the measured loops.
#pragma once

#include <chrono>
#include <cstdint>

namespace shmslot::bench {

/// Monotonic nanoseconds (steady_clock, vDSO; on this x86 VM backed by the TSC).
inline std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

/// The median cost of one now_ns() call, measured: every per-round-trip sample carries it once.
double timer_overhead_ns();

/// Spin-wait hint for busy loops that wait on another core (PAUSE on x86). The ping-pong loops
/// spin without it so the raw floors and shmslot use the same loop; the streams use it.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace shmslot::bench
