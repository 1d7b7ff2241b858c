// Cache hints for the hot path: no effect on what any thread sees, only on when lines move.
#pragma once

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace shmslot::platform {

#if defined(__x86_64__)
namespace detail {
// PREFETCHW (CPUID 0x80000001, ECX bit 8). Without -mprfchw, gcc turns a write prefetch into a
// plain read prefetch (prefetcht0), which fetches a line shared and leaves the store to ask for it
// again; and a CPU that does not report the instruction is not promised to take it as a no-op.
// So: CPUID asked once, the instruction emitted by hand.
inline bool has_prefetchw() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(0x80000001U, &a, &b, &c, &d) != 0 && (c & bit_PRFCHW) != 0;
}
inline const bool kHasPrefetchW = has_prefetchw();
}  // namespace detail
#endif

// Starts moving the line holding `p` into this core's cache in exclusive state, ahead of stores
// into it. Lines another core has just read each cost a transfer; asked for together, the
// transfers overlap, where stores followed by a locked instruction would wait for them one by one.
inline void prefetch_for_write(const void* p) {
#if defined(__x86_64__)
  if (detail::kHasPrefetchW) asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p, 1, 3);
#endif
}

}  // namespace shmslot::platform
