// Real child processes for multi-process tests: fork a function, reap it, never leak it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>

namespace shmslot::test {

// A forked child running a function; the function's return value is the exit code. The destructor
// SIGKILLs and reaps a child that is still running, so a failing test leaves no process behind.
// Fork only from a single-threaded parent.
class ChildProcess {
 public:
  explicit ChildProcess(std::function<int()> body);
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits up to `watchdog` for the exit; returns the exit code, 128+signal if it was killed by a
  // signal, or nullopt if it was still running (it is then killed and reaped).
  std::optional<int> wait(std::chrono::milliseconds watchdog);
  // Sends a signal (SIGKILL to simulate a crash).
  void kill(int sig) const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

}  // namespace shmslot::test
