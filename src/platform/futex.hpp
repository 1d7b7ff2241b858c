// The futex system call on a 32-bit word that may be shared between processes. Linux only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>

namespace shmslot::platform {

// Sleeps while `*word == expected`, at most `timeout`. Returns on a wake-up, a changed word, the
// timeout, or a signal; callers re-check their condition. Uses the shared (non-private) futex, as
// ZeroDDS does, so waiters in other processes are woken.
void futex_wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected, std::chrono::nanoseconds timeout);

// Wakes every waiter on `word`; returns how many were woken (0 also when the call failed).
int futex_wake_all(const std::atomic<std::uint32_t>& word);

// One word of a vectored wait: sleep while `*word == expected`.
struct FutexWaitWord {
  const std::atomic<std::uint32_t>* word = nullptr;
  std::uint32_t expected = 0;
};

// What futex_waitv did.
enum class WaitvOutcome {
  Returned,     // woken, a word differed, the timeout passed, or a signal: the caller re-checks
  Unsupported,  // the kernel refused the call (ENOSYS before Linux 5.16, EPERM/EACCES under a
                // seccomp filter that does not know it): nothing slept, use single-word waits
  Failed,       // another error (EFAULT, EINVAL: a word that is not mapped or not aligned)
};

// Sleeps while every word equals its expected value, at most `timeout`; a FUTEX_WAKE on any of
// them ends the sleep (the futex_waitv system call, Linux 5.16+). At most kMaxWaitvWords words.
// Shared (non-private) futexes, so wakes from other processes arrive.
inline constexpr std::size_t kMaxWaitvWords = 128;
WaitvOutcome futex_waitv(std::span<const FutexWaitWord> words, std::chrono::nanoseconds timeout);

// How many FUTEX_WAIT and FUTEX_WAKE calls this process has made: a count that does not depend on
// how fast the machine is, for benchmarks and tests (the wake-ups a protocol change saves).
struct FutexCalls {
  std::uint64_t waits = 0;  // FUTEX_WAIT and futex_waitv
  std::uint64_t wakes = 0;
};
FutexCalls futex_calls();

}  // namespace shmslot::platform
