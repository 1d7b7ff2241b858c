// A forked child process running a function: the one fork-and-reap helper of the tests, the
// random-kill harness and the benchmarks. The child leaves with _exit(the function's return), so
// nothing of the parent's (atexit handlers, gtest's teardown, objects the child inherited) runs
// twice. The destructor SIGKILLs and reaps a child that is still there, so a failing test or run
// leaves no process behind; it never touches a pid that is already reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>

namespace shmslot::support {

class ChildProcess {
 public:
  /// Exit code of a child whose function threw.
  static constexpr int kThrew = 99;

  /// No child.
  ChildProcess() = default;
  /// Forks; the child runs `body` and _exits with its result. When fork fails there is no child
  /// (started() is false). Fork only from a single-threaded parent.
  explicit ChildProcess(const std::function<int()>& body);
  ChildProcess(ChildProcess&& other) noexcept;
  /// Kills and reaps the child this object held, then takes `other`'s.
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  /// fork succeeded.
  bool started() const { return pid_ > 0; }
  /// Forked and not reaped yet (it may be a zombie).
  bool exists() const { return pid_ > 0 && !result_; }
  /// Exit code, or 128 + signal; set once reaped.
  const std::optional<int>& result() const { return result_; }

  /// Sends a signal (SIGKILL to simulate a crash) to a child not reaped yet.
  void kill(int sig) const;
  /// Reaps the child if it has ended, without waiting; returns whether it has.
  bool poll();
  /// Waits for the child to end and reaps it; its result, -1 if waitpid fails.
  int reap();
  /// SIGKILL, then reap().
  int kill_and_reap();
  /// Waits up to `watchdog` for the end, polling every millisecond; returns the result, or nullopt
  /// if the child was still running (it is then killed and reaped) or waitpid failed.
  std::optional<int> wait(std::chrono::milliseconds watchdog);
  /// Someone else reaped it (a ptrace stepper that waits for its tracee) with this wait status.
  void reaped_as(int wait_status);

 private:
  void release();
  pid_t pid_ = -1;
  std::optional<int> result_;
};

}  // namespace shmslot::support
