#include "cli_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

extern char** environ;

namespace shmslot::test {

namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Reads what is there without blocking; false at end of file.
bool drain(int& fd, std::string& into) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    close_fd(fd);
    return false;
  }
}

}  // namespace

CliProcess::CliProcess(const std::vector<std::string>& args, const std::string& flink_dir, std::string input)
    : input_(std::move(input)) {
  int in[2];
  int out[2];
  int err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) std::abort();
  // argv and envp are built before fork: the child only calls dup2 and execve.
  std::vector<std::string> argv_s{SHMSLOT_CLI_PATH};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "SHMSLOT_DIR=", 12) != 0) env_s.emplace_back(*e);
  }
  env_s.push_back("SHMSLOT_DIR=" + flink_dir);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) std::abort();
  if (pid_ == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_fd_ = in[1];
  out_fd_ = out[0];
  err_fd_ = err[0];
  for (const int fd : {in_fd_, out_fd_, err_fd_}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  ::signal(SIGPIPE, SIG_IGN);  // a child that exits before reading all its input
  if (input_.empty()) close_fd(in_fd_);
}

CliProcess::~CliProcess() {
  if (pid_ > 0 && !reaped_) {
    // SIGTERM first, so that a `create` left running by a failed test still removes its segment.
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 2500 && !reap(false); ++i) ::usleep(2000);
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      reap(true);
    }
  }
  close_fd(in_fd_);
  close_fd(out_fd_);
  close_fd(err_fd_);
}

void CliProcess::signal(int sig) const {
  if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

bool CliProcess::reap(bool block) {
  if (reaped_) return true;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (r != pid_) return false;
  reaped_ = true;
  if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) exit_code_ = 128 + WTERMSIG(status);
  return true;
}

template <class Done>
bool CliProcess::pump(std::chrono::steady_clock::time_point deadline, Done done) {
  while (!done()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[3];
    nfds_t n = 0;
    for (const int fd : {out_fd_, err_fd_}) {
      if (fd >= 0) fds[n++] = pollfd{fd, POLLIN, 0};
    }
    if (in_fd_ >= 0) fds[n++] = pollfd{in_fd_, POLLOUT, 0};
    if (n == 0) {
      // Nothing left to move: wait for the exit in small steps.
      if (reap(false)) continue;
      ::usleep(2000);
      continue;
    }
    const int r = ::poll(fds, n, static_cast<int>(std::min<long>(left.count(), 100)));
    if (r < 0 && errno != EINTR) return false;
    if (out_fd_ >= 0) drain(out_fd_, out_);
    if (err_fd_ >= 0) drain(err_fd_, err_);
    if (in_fd_ >= 0) {
      const ssize_t w = ::write(in_fd_, input_.data() + input_pos_, input_.size() - input_pos_);
      if (w > 0) input_pos_ += static_cast<std::size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || input_pos_ == input_.size()) close_fd(in_fd_);
    }
  }
  return true;
}

std::optional<std::string> CliProcess::next_line(int& fd, std::string& buffer, std::chrono::milliseconds watchdog) {
  const auto deadline = std::chrono::steady_clock::now() + watchdog;
  pump(deadline, [&] { return buffer.find('\n') != std::string::npos || fd < 0; });
  const auto nl = buffer.find('\n');
  if (nl == std::string::npos) return std::nullopt;
  std::string line = buffer.substr(0, nl);
  buffer.erase(0, nl + 1);
  return line;
}

std::optional<std::string> CliProcess::read_line(std::chrono::milliseconds watchdog) {
  return next_line(out_fd_, out_, watchdog);
}

std::optional<std::string> CliProcess::read_err_line(std::chrono::milliseconds watchdog) {
  return next_line(err_fd_, err_, watchdog);
}

void CliProcess::close_stdout() {
  close_fd(out_fd_);
  out_.clear();
}

CliResult CliProcess::wait(std::chrono::milliseconds watchdog) {
  const auto deadline = std::chrono::steady_clock::now() + watchdog;
  const bool in_time = pump(deadline, [this] { return out_fd_ < 0 && err_fd_ < 0 && reap(false); });
  if (!in_time) {
    ::kill(pid_, SIGKILL);
    reap(true);
    exit_code_.reset();
  }
  return CliResult{exit_code_, std::move(out_), std::move(err_)};
}

CliResult run_cli(const std::vector<std::string>& args, const std::string& flink_dir, std::string input) {
  CliProcess p(args, flink_dir, std::move(input));
  return p.wait();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace shmslot::test
