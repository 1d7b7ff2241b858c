// Process identity that survives pid reuse: a pid plus the process's start time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace shmslot::platform {

// Start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat); nullopt when the
// process does not exist.
std::optional<std::uint64_t> process_start_time(pid_t pid);

// This process's pid, cached (getpid is a system call) and refreshed in a forked child.
pid_t current_pid();

// This process's start time, cached like current_pid.
std::uint64_t current_start_time();

// True when a process with this pid and start time is running (a start time of 0 matches any).
bool process_alive(pid_t pid, std::uint64_t start_time);

// The pid namespace this process's pids are numbered in: the inode of /proc/self/ns/pid (proc
// inode numbers are 32-bit), 0 when it cannot be read. Pids, and so every liveness check by pid,
// mean something only between processes of one pid namespace.
std::uint32_t pid_namespace_id();

// CLOCK_MONOTONIC_COARSE in nanoseconds: a few ns to read, millisecond resolution, same clock in
// every process of the host.
std::uint64_t coarse_now_ns();

// A random 64-bit value from getrandom(2).
std::uint64_t random_u64();

}  // namespace shmslot::platform
