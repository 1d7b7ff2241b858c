#include "child_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <utility>

namespace shmslot::support {

namespace {

int code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

bool ended(int status) { return WIFEXITED(status) || WIFSIGNALED(status); }

}  // namespace

ChildProcess::ChildProcess(const std::function<int()>& body) {
  pid_ = ::fork();
  if (pid_ == 0) {
    int code = kThrew;
    try {
      code = body();
    } catch (...) {
    }
    // _exit: the child must not run the parent's atexit handlers or destructors.
    ::_exit(code);
  }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), result_(std::exchange(other.result_, std::nullopt)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    result_ = std::exchange(other.result_, std::nullopt);
  }
  return *this;
}

ChildProcess::~ChildProcess() { release(); }

void ChildProcess::release() {
  if (exists()) (void)kill_and_reap();
  pid_ = -1;
  result_.reset();
}

void ChildProcess::kill(int sig) const {
  if (exists()) ::kill(pid_, sig);
}

bool ChildProcess::poll() {
  if (!exists()) return pid_ > 0;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ && ended(status)) {
    result_ = code_of(status);
    return true;
  }
  return false;
}

int ChildProcess::reap() {
  if (!exists()) return result_.value_or(-1);
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, 0);
    if (r == pid_ && ended(status)) {
      result_ = code_of(status);
      return *result_;
    }
    if (r < 0 && errno != EINTR) {
      result_ = -1;
      return -1;
    }
  }
}

int ChildProcess::kill_and_reap() {
  kill(SIGKILL);
  return reap();
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds watchdog) {
  if (!exists()) return result_;
  const auto deadline = std::chrono::steady_clock::now() + watchdog;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ && ended(status)) {
      result_ = code_of(status);
      return result_;
    }
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (std::chrono::steady_clock::now() >= deadline) {
      (void)kill_and_reap();
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void ChildProcess::reaped_as(int wait_status) { result_ = code_of(wait_status); }

}  // namespace shmslot::support
