#include "platform/futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <ctime>


namespace shmslot::platform {

namespace {
// Relaxed: statistics, read once a run is over; next to a system call their cost is nothing.
std::atomic<std::uint64_t> wait_calls{0};
std::atomic<std::uint64_t> wake_calls{0};

// std::atomic<uint32_t> is a plain 32-bit word (layout.hpp asserts its size), so its address is the
// futex word the kernel compares.
std::uint32_t* address_of(const std::atomic<std::uint32_t>& word) {
  return reinterpret_cast<std::uint32_t*>(const_cast<std::atomic<std::uint32_t>*>(&word));
}
}  // namespace

void futex_wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected, std::chrono::nanoseconds timeout) {
  if (timeout.count() <= 0) return;
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(secs.count());
  ts.tv_nsec = static_cast<long>((timeout - secs).count());
  wait_calls.fetch_add(1, std::memory_order_relaxed);
  // EINTR, EAGAIN (word already differs) and ETIMEDOUT all mean "re-check": no error to report.
  ::syscall(SYS_futex, address_of(word), FUTEX_WAIT, expected, &ts, nullptr, 0);
}

WaitvOutcome futex_waitv(std::span<const FutexWaitWord> words, std::chrono::nanoseconds timeout) {
  if (timeout.count() <= 0 || words.empty()) return WaitvOutcome::Returned;
  if (words.size() > kMaxWaitvWords) return WaitvOutcome::Unsupported;
  std::array<struct ::futex_waitv, kMaxWaitvWords> waiters{};  // on the stack: no allocation per sleep
  for (std::size_t i = 0; i < words.size(); ++i) {
    waiters[i].val = words[i].expected;
    waiters[i].uaddr = reinterpret_cast<std::uintptr_t>(address_of(*words[i].word));
    waiters[i].flags = FUTEX_32;  // shared: no FUTEX_PRIVATE_FLAG
    waiters[i].__reserved = 0;
  }
  // futex_waitv takes an absolute deadline on the clock it is given.
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  // A day at most: callers re-check long before, and the deadline below cannot overflow.
  timeout = std::min<std::chrono::nanoseconds>(timeout, std::chrono::hours(24));
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  timespec deadline{};
  deadline.tv_sec = now.tv_sec + static_cast<time_t>(secs.count());
  deadline.tv_nsec = now.tv_nsec + static_cast<long>((timeout - secs).count());
  if (deadline.tv_nsec >= 1'000'000'000L) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1'000'000'000L;
  }
  wait_calls.fetch_add(1, std::memory_order_relaxed);
  const long r = ::syscall(SYS_futex_waitv, waiters.data(), static_cast<unsigned>(words.size()), 0U, &deadline,
                           CLOCK_MONOTONIC);
  if (r >= 0) return WaitvOutcome::Returned;  // the index of a woken word
  switch (errno) {
    case EAGAIN:     // a word already differs
    case ETIMEDOUT:
    case EINTR: return WaitvOutcome::Returned;  // all mean "re-check"
    case ENOSYS:
    case EPERM:
    case EACCES: return WaitvOutcome::Unsupported;
    default: return WaitvOutcome::Failed;
  }
}

int futex_wake_all(const std::atomic<std::uint32_t>& word) {
  wake_calls.fetch_add(1, std::memory_order_relaxed);
  const long woken = ::syscall(SYS_futex, address_of(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
  return woken > 0 ? static_cast<int>(woken) : 0;
}

FutexCalls futex_calls() {
  return {wait_calls.load(std::memory_order_relaxed), wake_calls.load(std::memory_order_relaxed)};
}

}  // namespace shmslot::platform
