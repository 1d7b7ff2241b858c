#include "host_process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

extern char** environ;

namespace shmslot::test {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool overridden(const char* entry, const std::vector<std::pair<std::string, std::string>>& env) {
  for (const auto& [key, value] : env) {
    if (std::strncmp(entry, key.c_str(), key.size()) == 0 && entry[key.size()] == '=') return true;
  }
  return false;
}

}  // namespace

HostProcess::HostProcess(const Host& host, const std::vector<std::string>& args, const std::string& dir,
                         const std::string& tag)
    : out_path_(dir + "/" + tag + ".out"), err_path_(dir + "/" + tag + ".err") {
  // Everything the child needs is built before fork: it only calls setns, open, dup2 and execve,
  // which is safe even when the test has other threads.
  std::vector<std::string> argv_s{SHMSLOT_CLI_PATH};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto extra = host.dds_env();
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!overridden(*e, extra)) env_s.emplace_back(*e);
  }
  for (const auto& [key, value] : extra) env_s.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string netns_path = host.netns.empty() ? std::string() : "/var/run/netns/" + host.netns;
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ < 0) std::abort();
  if (pid_ == 0) {
    // A test killed before its destructors run (a crash, a SIGKILL) takes its processes with it:
    // SIGTERM, so that a bridge or an owner still removes its segment. The check after it covers a
    // test that died before the prctl.
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != parent) ::_exit(124);
    if (!netns_path.empty()) {
      const int ns = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) ::_exit(126);
    }
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) ::_exit(125);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
}

HostProcess::~HostProcess() {
  if (pid_ <= 0 || reaped_) return;
  // SIGINT first, so that a bridge left running by a failed test still removes its segment.
  ::kill(pid_, SIGINT);
  for (int i = 0; i < 2500 && !reap(false); ++i) ::usleep(2000);
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
}

bool HostProcess::reap(bool block) {
  if (reaped_) return true;
  int status = 0;
  pid_t r = 0;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r != pid_) return false;
  reaped_ = true;
  if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) exit_code_ = 128 + WTERMSIG(status);
  return true;
}

bool HostProcess::running() { return !reap(false); }

void HostProcess::signal(int sig) const {
  if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

std::optional<std::string> HostProcess::wait_line(const std::function<bool(const std::string&)>& match,
                                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Once the process is gone, one last look at everything it wrote.
    const bool ended = reaped_ || reap(false);
    const std::string text = slurp(out_path_);
    while (consumed_ < text.size()) {
      const auto nl = text.find('\n', consumed_);
      if (nl == std::string::npos) break;
      std::string line = text.substr(consumed_, nl - consumed_);
      consumed_ = nl + 1;
      if (match(line)) return line;
    }
    if (ended || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<std::string> HostProcess::wait_prefix(const std::string& prefix, std::chrono::milliseconds timeout) {
  return wait_line([&](const std::string& line) { return line.rfind(prefix, 0) == 0; }, timeout);
}

std::optional<int> HostProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reap(false)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      reap(true);
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return exit_code_;
}

std::string HostProcess::out() const { return slurp(out_path_); }
std::string HostProcess::err() const { return slurp(err_path_); }

std::vector<std::pair<std::string, unsigned long long>> parse_pairs(const std::string& line) {
  std::vector<std::pair<std::string, unsigned long long>> out;
  std::istringstream in(line);
  for (std::string word; in >> word;) {
    const auto eq = word.find('=');
    if (eq == std::string::npos) continue;
    out.emplace_back(word.substr(0, eq), std::strtoull(word.c_str() + eq + 1, nullptr, 10));
  }
  return out;
}

long long pair_value(const std::string& line, const std::string& key) {
  for (const auto& [k, v] : parse_pairs(line)) {
    if (k == key) return static_cast<long long>(v);
  }
  return -1;
}

std::string last_line_with(const std::string& text, const std::string& prefix) {
  std::string found;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) found = line;
  }
  return found;
}

}  // namespace shmslot::test
