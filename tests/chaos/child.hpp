// A forked child process of the harness. Unlike support/child_process.hpp, it can be reaped by
// someone else (the ptrace stepper reaps the tracee it kills) and told so, and it can stay a zombie
// for a while on purpose: a killed process that its parent has not waited for yet is dead for the
// library too. The destructor SIGKILLs and reaps a child that is still there, never a reaped pid.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

namespace shmslot::chaos {

class Child {
 public:
  Child() = default;
  // Forks; the child runs `body` and _exits with its result. Fork only from a single-threaded parent.
  explicit Child(const std::function<int()>& body);
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  // Forked and not reaped yet (it may be a zombie).
  bool exists() const { return pid_ > 0 && !result_; }
  // Exit code, or 128 + signal; set once reaped.
  const std::optional<int>& result() const { return result_; }

  void signal(int sig) const;
  // Reaps the child if it has ended; returns whether it has.
  bool poll();
  // Waits for the child to end and reaps it.
  int reap();
  // SIGKILL and reap.
  int kill_and_reap();
  // Someone else reaped it with this wait status.
  void reaped_as(int wait_status);

 private:
  void release();
  pid_t pid_ = -1;
  std::optional<int> result_;
};

// "exit 0", "killed by signal 9".
std::string describe_result(const std::optional<int>& result);

}  // namespace shmslot::chaos
