// Stops a child process at its k-th system call inside a call that has no memory to trap yet (create
// and attach map the segment only halfway through) or none any more (teardown): the parent traces
// the child with ptrace and resumes it from one system-call stop (entry or exit) to the next. Linux
// only; the child must be the caller's own and single-threaded.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace shmslot::test {

// Child side: lets the parent trace this process, then stops until the parent resumes it. False
// (and no stop) where ptrace is not permitted, e.g. under a seccomp policy that forbids it.
bool trace_me_and_stop();

// Where a traced child was stopped.
struct SyscallStop {
  long number = -1;   // the system call (SYS_*), -1 if unknown
  bool entry = true;  // at its entry (it has not run) or at its exit (it has)
};

// Name of a system call number on this architecture ("openat", "fallocate", ...), or "syscall <n>".
std::string syscall_name(long number);

struct SteppingOutcome {
  enum class End {
    Killed,    // stopped at the k-th system-call stop and SIGKILLed there
    Detached,  // `inside()` turned false first: the call finished, the child runs on untraced
    Exited,    // the child ended by itself while traced
    Failed,    // the child never stopped for tracing, or ptrace failed (`error`)
  };
  End end = End::Failed;
  std::uint32_t stops = 0;              // system-call stops seen while inside the call
  SyscallStop at;                       // where it was killed
  std::vector<std::string> open_files;  // what it had open then (/proc/<pid>/fd)
  int wait_status = 0;                  // for Killed and Exited: the status it was reaped with
  std::string error;
};

// Parent side. `pid` has called trace_me_and_stop() (or is about to). Resumes it system call by
// system call while `inside()` holds; at the k-th system-call stop (k >= 1) lists its open files,
// SIGKILLs it and reaps it. Once `inside()` is false, detaches and lets it run on.
SteppingOutcome step_syscalls(pid_t pid, std::uint32_t k, const std::function<bool()>& inside);

// What a process has open: the targets of /proc/<pid>/fd/* ("/dev/shm/shmem_1A2B", a file path,
// "pipe:[123]", ...).
std::vector<std::string> open_files(pid_t pid);

}  // namespace shmslot::test
