#include "process_group.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace shmslot::test {

Gate::Gate() {
  // Non-blocking: several children may poll the same read end; the losers of the read must not block.
  if (::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) std::abort();
}

Gate::~Gate() {
  for (const int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

bool Gate::post(int n) const {
  for (int i = 0; i < n; ++i) {
    const char token = 'g';
    ssize_t r = 0;
    do {
      r = ::write(fds_[1], &token, 1);
    } while (r < 0 && errno == EINTR);
    if (r != 1) return false;
  }
  return true;
}

bool Gate::take(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) return false;
    pollfd p{fds_[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    char token = 0;
    const ssize_t r = ::read(fds_[0], &token, 1);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;  // another process took it first
    return r == 1;
  }
}

bool GroupOutcome::all_ok() const {
  for (const auto& c : codes) {
    if (!c || *c != 0) return false;
  }
  return true;
}

std::string GroupOutcome::describe(const std::vector<NamedChild>& children, const Progress* progress) const {
  std::string out;
  for (std::size_t i = 0; i < children.size() && i < codes.size(); ++i) {
    if (!out.empty()) out += ", ";
    out += children[i].name + ": ";
    if (!codes[i]) {
      out += "killed by the watchdog";
    } else if (*codes[i] >= 128) {
      out += "signal " + std::to_string(*codes[i] - 128);
    } else {
      out += "exit " + std::to_string(*codes[i]);
    }
    if (progress != nullptr && i < static_cast<std::size_t>(Progress::kMaxChildren)) {
      out += " after " + std::to_string(progress->count[i].load()) + " samples";
    }
  }
  return out;
}

GroupOutcome wait_all(std::vector<NamedChild>& children, std::chrono::milliseconds watchdog) {
  const auto deadline = std::chrono::steady_clock::now() + watchdog;
  GroupOutcome out;
  out.codes.assign(children.size(), std::nullopt);
  std::vector<bool> done(children.size(), false);
  std::size_t remaining = children.size();
  bool failed = false;
  while (remaining > 0 && !failed && std::chrono::steady_clock::now() < deadline) {
    bool any = false;
    for (std::size_t i = 0; i < children.size(); ++i) {
      if (done[i]) continue;
      siginfo_t info{};
      // WNOWAIT: look, do not reap; ChildProcess::wait reaps below and knows the pid is gone.
      if (::waitid(P_PID, static_cast<id_t>(children[i].process.pid()), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
        continue;
      }
      if (info.si_pid == 0) continue;  // still running
      out.codes[i] = children[i].process.wait(std::chrono::seconds(10));
      done[i] = true;
      --remaining;
      any = true;
      if (!out.codes[i] || *out.codes[i] != 0) failed = true;
    }
    if (!any) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Whoever is left either outlived the watchdog or is now pointless: kill and reap.
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (done[i]) continue;
    if (failed) {
      children[i].process.kill(SIGKILL);
      out.codes[i] = children[i].process.wait(std::chrono::seconds(10));
    } else {
      out.codes[i] = children[i].process.wait(std::chrono::milliseconds(0));  // kills and reaps
    }
  }
  return out;
}

}  // namespace shmslot::test
