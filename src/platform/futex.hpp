// The futex system call on a 32-bit word that may be shared between processes. Linux only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace shmslot::platform {

// Sleeps while `*word == expected`, at most `timeout`. Returns on a wake-up, a changed word, the
// timeout, or a signal; callers re-check their condition. Uses the shared (non-private) futex, as
// ZeroDDS does, so waiters in other processes are woken.
void futex_wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected, std::chrono::nanoseconds timeout);

// Wakes every waiter on `word`; returns how many were woken (0 also when the call failed).
int futex_wake_all(const std::atomic<std::uint32_t>& word);

// How many FUTEX_WAIT and FUTEX_WAKE calls this process has made: a count that does not depend on
// how fast the machine is, for benchmarks and tests (the wake-ups a protocol change saves).
struct FutexCalls {
  std::uint64_t waits = 0;
  std::uint64_t wakes = 0;
};
FutexCalls futex_calls();

}  // namespace shmslot::platform
