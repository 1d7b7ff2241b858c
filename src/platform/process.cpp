#include "platform/process.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>

#include "platform/unique_fd.hpp"

namespace shmslot::platform {

namespace {

struct StatFields {
  char state = '?';
  std::uint64_t start_time = 0;
};

// Fields 3 (state) and 22 (start time) of /proc/<pid>/stat; nullopt when there is no such process
// or the file cannot be read (`*gone` then says whether it is known to be missing).
std::optional<StatFields> read_stat(pid_t pid, bool* gone = nullptr) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (gone != nullptr) *gone = !fd && (errno == ENOENT || errno == ESRCH);
  if (!fd) return std::nullopt;
  char buf[1024];
  ssize_t n;
  do {
    n = ::read(fd.get(), buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  // The command name (field 2) may contain spaces and parentheses: fields resume after the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return std::nullopt;
  ++p;
  StatFields out;
  for (int field = 3; field < 22; ++field) {
    while (*p == ' ') ++p;
    if (*p == '\0') return std::nullopt;
    if (field == 3) out.state = *p;
    while (*p != ' ' && *p != '\0') ++p;
    if (*p == '\0') return std::nullopt;
  }
  out.start_time = std::strtoull(p, nullptr, 10);
  return out;
}

}  // namespace

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  const auto stat = read_stat(pid);
  if (!stat) return std::nullopt;
  return stat->start_time;
}

namespace {
struct SelfIdentity {
  std::atomic<pid_t> pid{0};
  std::atomic<std::uint64_t> start{0};
  SelfIdentity() {
    refresh();
    // A forked child must not keep its parent's identity: loans it takes carry its own pid.
    ::pthread_atfork(nullptr, nullptr, [] { self().refresh(); });
  }
  void refresh() {
    const pid_t p = ::getpid();
    pid.store(p, std::memory_order_relaxed);
    start.store(process_start_time(p).value_or(0), std::memory_order_relaxed);
  }
  static SelfIdentity& self() {
    static SelfIdentity identity;
    return identity;
  }
};
}  // namespace

pid_t current_pid() { return SelfIdentity::self().pid.load(std::memory_order_relaxed); }

std::uint64_t current_start_time() { return SelfIdentity::self().start.load(std::memory_order_relaxed); }

// The thread count of a process (the "Threads:" line of /proc/<pid>/status); 0 when unreadable.
int thread_count(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  char buf[4096];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* line = std::strstr(buf, "\nThreads:");
  return line != nullptr ? std::atoi(line + std::strlen("\nThreads:")) : 0;
}

bool process_alive(pid_t pid, std::uint64_t start_time) {
  if (pid <= 0) return false;
  const bool signalled = ::kill(pid, 0) == 0;
  if (!signalled && errno == ESRCH) return false;
  const bool not_ours = !signalled && errno == EPERM;  // it exists: another user's process
  // Only a process known to be gone is dead: one whose /proc entry cannot be read for another
  // reason (EMFILE here, hidepid=2 for another user's process) is alive, since taking a live peer
  // for dead frees what it still uses, while the opposite error only delays a reap.
  bool gone = false;
  const auto stat = read_stat(pid, &gone);
  if (!stat) return not_ours || !gone;
  // A zombie (killed, not yet waited for) runs no more code: it is dead for everyone sharing a
  // segment with it, even though its parent has not reaped it. A leader that left with pthread_exit
  // shows 'Z' too while its other threads run: that process is alive.
  if (stat->state == 'X' || stat->state == 'x') return false;
  if (stat->state == 'Z' && thread_count(pid) <= 1) return false;
  return start_time == 0 || stat->start_time == start_time;
}

std::uint32_t pid_namespace_id() {
  // Not cached: unshare(CLONE_NEWPID) puts this process's later children in another namespace, and
  // the callers (create, attach, gc) run once per segment.
  struct stat st {};
  if (::stat("/proc/self/ns/pid", &st) != 0) return 0;
  return static_cast<std::uint32_t>(st.st_ino);
}

std::uint64_t coarse_now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t random_u64() {
  std::uint64_t v = 0;
  if (::getrandom(&v, sizeof v, 0) == static_cast<ssize_t>(sizeof v)) return v;
  // getrandom cannot fail on a booted Linux >= 3.17 for 8 bytes; keep a fallback that is still unique.
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
         static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace shmslot::platform
