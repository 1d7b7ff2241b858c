#include "core/seqlock_copy.hpp"

#include <cstring>

#if defined(__SANITIZE_THREAD__)
#define SHMSLOT_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SHMSLOT_UNDER_TSAN 1
#endif
#endif

namespace shmslot::core {

#if defined(SHMSLOT_UNDER_TSAN)
// Exempt from TSan: the race with a reusing writer is by design and is detected afterwards by the
// seqlock re-check. A word loop rather than memcpy, because TSan intercepts memcpy in its runtime,
// where the attribute does not reach; noinline keeps the attribute from being lost in a caller.
__attribute__((no_sanitize("thread"), noinline)) void seqlock_copy(std::byte* dst, const std::byte* src,
                                                                    std::size_t n) {
  volatile const std::byte* s = src;
  for (std::size_t i = 0; i < n; ++i) dst[i] = s[i];
}
#else
void seqlock_copy(std::byte* dst, const std::byte* src, std::size_t n) {
  if (n != 0) std::memcpy(dst, src, n);  // an empty destination may be a null pointer
}
#endif

}  // namespace shmslot::core
