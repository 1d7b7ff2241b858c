#include "support/syscall_stepper.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>

namespace shmslot::test {

namespace {

struct Named {
  long number;
  const char* name;
};

#define SHMSLOT_SYSCALL(n) \
  Named { SYS_##n, #n }
constexpr Named kNames[] = {
    SHMSLOT_SYSCALL(read),          SHMSLOT_SYSCALL(write),        SHMSLOT_SYSCALL(openat),
    SHMSLOT_SYSCALL(close),         SHMSLOT_SYSCALL(fstat),        SHMSLOT_SYSCALL(newfstatat),
    SHMSLOT_SYSCALL(statx),         SHMSLOT_SYSCALL(mmap),         SHMSLOT_SYSCALL(munmap),
    SHMSLOT_SYSCALL(mprotect),      SHMSLOT_SYSCALL(madvise),      SHMSLOT_SYSCALL(brk),
    SHMSLOT_SYSCALL(fallocate),     SHMSLOT_SYSCALL(ftruncate),    SHMSLOT_SYSCALL(flock),
    SHMSLOT_SYSCALL(linkat),        SHMSLOT_SYSCALL(unlinkat),     SHMSLOT_SYSCALL(mkdirat),
    SHMSLOT_SYSCALL(fchmod),        SHMSLOT_SYSCALL(fchmodat),     SHMSLOT_SYSCALL(getpid),
    SHMSLOT_SYSCALL(geteuid),       SHMSLOT_SYSCALL(getuid),       SHMSLOT_SYSCALL(getrandom),
    SHMSLOT_SYSCALL(kill),          SHMSLOT_SYSCALL(futex),        SHMSLOT_SYSCALL(clock_nanosleep),
    SHMSLOT_SYSCALL(exit_group),    SHMSLOT_SYSCALL(rt_sigaction), SHMSLOT_SYSCALL(rt_sigprocmask),
    SHMSLOT_SYSCALL(lseek),         SHMSLOT_SYSCALL(pread64),      SHMSLOT_SYSCALL(getdents64),
    SHMSLOT_SYSCALL(clock_gettime),
#if defined(__x86_64__)
    SHMSLOT_SYSCALL(open),          SHMSLOT_SYSCALL(stat),         SHMSLOT_SYSCALL(lstat),
    SHMSLOT_SYSCALL(link),          SHMSLOT_SYSCALL(unlink),       SHMSLOT_SYSCALL(mkdir),
    SHMSLOT_SYSCALL(chmod),         SHMSLOT_SYSCALL(nanosleep),    SHMSLOT_SYSCALL(access),
#endif
};
#undef SHMSLOT_SYSCALL

void* as_data(long value) { return reinterpret_cast<void*>(static_cast<std::intptr_t>(value)); }

// Waits for the next state change of a traced child (stops included).
bool wait_traced(pid_t pid, int& status) {
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, __WALL);
    if (r == pid) return true;
    if (r < 0 && errno == EINTR) continue;
    return false;
  }
}

// Kills a stopped tracee and reaps it; returns its final wait status.
int kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  while (wait_traced(pid, status) && !WIFEXITED(status) && !WIFSIGNALED(status)) {
  }
  return status;
}

}  // namespace

bool trace_me_and_stop() {
  if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) return false;
  ::raise(SIGSTOP);
  return true;
}

std::string syscall_name(long number) {
  for (const Named& n : kNames) {
    if (n.number == number) return n.name;
  }
  return "syscall " + std::to_string(number);
}

SteppingOutcome step_syscalls(pid_t pid, std::uint32_t k, const std::function<bool()>& inside) {
  SteppingOutcome out;
  int status = 0;
  if (!wait_traced(pid, status)) {
    out.error = std::string("waitpid: ") + std::strerror(errno);
    return out;
  }
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    out.end = SteppingOutcome::End::Exited;
    out.wait_status = status;
    out.error = "the child ended before it stopped for tracing";
    return out;
  }
  // TRACESYSGOOD tells system-call stops (SIGTRAP | 0x80) from real signals; EXITKILL makes sure a
  // tracee never outlives a harness that died mid-step.
  if (::ptrace(PTRACE_SETOPTIONS, pid, nullptr, as_data(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) != 0) {
    out.error = std::string("PTRACE_SETOPTIONS: ") + std::strerror(errno);
    out.wait_status = kill_and_reap(pid);
    return out;
  }
  long deliver = 0;  // the SIGSTOP of trace_me_and_stop() is swallowed
  long last_number = -1;
  for (;;) {
    if (::ptrace(PTRACE_SYSCALL, pid, nullptr, as_data(deliver)) != 0) {
      out.error = std::string("PTRACE_SYSCALL: ") + std::strerror(errno);
      out.wait_status = kill_and_reap(pid);
      return out;
    }
    deliver = 0;
    if (!wait_traced(pid, status)) {
      out.error = std::string("waitpid: ") + std::strerror(errno);
      return out;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      out.end = SteppingOutcome::End::Exited;
      out.wait_status = status;
      return out;
    }
    if (!WIFSTOPPED(status)) continue;
    const int sig = WSTOPSIG(status);
    if (sig != (SIGTRAP | 0x80)) {
      deliver = sig;  // a real signal: pass it on
      continue;
    }
    if (!inside()) {
      ::ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
      out.end = SteppingOutcome::End::Detached;
      return out;
    }
    ++out.stops;
    __ptrace_syscall_info info{};
    bool entry = true;
    if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid, as_data(sizeof info), &info) > 0) {
      entry = info.op == PTRACE_SYSCALL_INFO_ENTRY;
      if (entry) last_number = static_cast<long>(info.entry.nr);
    }
    if (out.stops >= k) {
      out.at = SyscallStop{last_number, entry};
      out.open_files = open_files(pid);
      out.wait_status = kill_and_reap(pid);
      out.end = SteppingOutcome::End::Killed;
      return out;
    }
  }
}

std::vector<std::string> open_files(pid_t pid) {
  std::vector<std::string> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char target[PATH_MAX];
    const std::string link = dir + "/" + e->d_name;
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    out.emplace_back(target, static_cast<std::size_t>(n));
  }
  ::closedir(d);
  return out;
}

}  // namespace shmslot::test
