#include "chaos/child.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>

namespace shmslot::chaos {

namespace {
int code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}
}  // namespace

Child::Child(const std::function<int()>& body) {
  pid_ = ::fork();
  if (pid_ < 0) std::abort();
  if (pid_ == 0) {
    int code = 99;
    try {
      code = body();
    } catch (...) {
    }
    // _exit: nothing of the parent's (atexit handlers, the harness's objects) runs in the child.
    ::_exit(code);
  }
}

Child::Child(Child&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), result_(std::exchange(other.result_, std::nullopt)) {}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    result_ = std::exchange(other.result_, std::nullopt);
  }
  return *this;
}

Child::~Child() { release(); }

void Child::release() {
  if (exists()) (void)kill_and_reap();
  pid_ = -1;
  result_.reset();
}

void Child::signal(int sig) const {
  if (exists()) ::kill(pid_, sig);
}

bool Child::poll() {
  if (!exists()) return pid_ > 0;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ && (WIFEXITED(status) || WIFSIGNALED(status))) {
    result_ = code_of(status);
    return true;
  }
  return false;
}

int Child::reap() {
  if (!exists()) return result_.value_or(-1);
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, 0);
    if (r == pid_ && (WIFEXITED(status) || WIFSIGNALED(status))) {
      result_ = code_of(status);
      return *result_;
    }
    if (r < 0 && errno != EINTR) {
      result_ = -1;
      return -1;
    }
  }
}

int Child::kill_and_reap() {
  signal(SIGKILL);
  return reap();
}

void Child::reaped_as(int wait_status) { result_ = code_of(wait_status); }

std::string describe_result(const std::optional<int>& result) {
  if (!result) return "still running";
  if (*result >= 128) return "killed by signal " + std::to_string(*result - 128);
  return "exit " + std::to_string(*result);
}

}  // namespace shmslot::chaos
