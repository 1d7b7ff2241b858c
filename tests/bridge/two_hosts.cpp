#include "two_hosts.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace shmslot::test {

namespace {

// Namespace names carry the creating pid, so a run can remove what a killed earlier run left.
constexpr const char* kPrefix = "shmslot-br-";

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return out;
    }
  }
}

// Namespaces of ours whose creating process is gone (a test killed by ctest's timeout).
void remove_stale_namespaces() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::execl("/usr/sbin/ip", "ip", "netns", "list", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  const std::string list = read_all(fds[0]);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::istringstream in(list);
  for (std::string line; std::getline(in, line);) {
    const std::string name = line.substr(0, line.find(' '));
    if (name.rfind(kPrefix, 0) != 0) continue;
    const long owner = std::strtol(name.c_str() + std::char_traits<char>::length(kPrefix), nullptr, 10);
    if (owner > 0 && ::kill(static_cast<pid_t>(owner), 0) != 0 && errno == ESRCH) run_ip({"netns", "del", name});
  }
}

}  // namespace

int run_ip(const std::vector<std::string>& args, std::string* err) {
  std::vector<std::string> argv_s{"ip"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::dup2(fds[1], STDERR_FILENO);
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, STDOUT_FILENO);
    ::execv("/usr/sbin/ip", argv.data());
    ::execvp("ip", argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  const std::string text = read_all(fds[0]);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (err != nullptr) *err = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<std::pair<std::string, std::string>> Host::dds_env() const {
  return {{"CYCLONEDDS_URI", std::string("file://") + SHMSLOT_BRIDGE_DDS_CONFIG},
          {"SHMSLOT_DDS_INTERFACE", interface},
          {"SHMSLOT_DDS_PEER", peer}};
}

TwoHosts::TwoHosts() {
  std::string why;
  const char* force = std::getenv("SHMSLOT_BRIDGE_LOOPBACK");
  if (force != nullptr && std::string(force) == "1") {
    why = "SHMSLOT_BRIDGE_LOOPBACK=1";
  } else if (make_namespaces(why)) {
    isolated_ = true;
    description_ = "two network namespaces " + a_.netns + " (" + a_.address + ") and " + b_.netns + " (" + b_.address +
                   ") joined by a veth pair";
  }
  if (!isolated_) {
    a_ = Host{"A", "", "lo", "127.0.0.1", "127.0.0.1"};
    b_ = Host{"B", "", "lo", "127.0.0.1", "127.0.0.1"};
    description_ = "LOOPBACK: both hosts on lo, 127.0.0.1 (network namespaces unavailable: " + why + ")";
  }
  std::printf("bridge test hosts: %s\n", description_.c_str());
  std::fflush(stdout);
}

TwoHosts::~TwoHosts() {
  if (isolated_) remove_namespaces();
}

bool TwoHosts::make_namespaces(std::string& why) {
  remove_stale_namespaces();
  static int counter = 0;
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(counter++);
  // Interface names are at most 15 characters; the pid keeps parallel tests apart.
  const std::string veth = "sb" + std::to_string(::getpid() % 10000000) + "x" + std::to_string(counter);
  a_ = Host{"A", kPrefix + tag + "-a", veth + "a", "10.231.0.1", "10.231.0.2"};
  b_ = Host{"B", kPrefix + tag + "-b", veth + "b", "10.231.0.2", "10.231.0.1"};
  isolated_ = true;  // from here on, the destructor removes whatever was made
  std::string err;
  auto step = [&](const std::vector<std::string>& args) {
    if (run_ip(args, &err) == 0) return true;
    std::string cmd = "ip";
    for (const auto& a : args) cmd += " " + a;
    why = cmd + ": " + err.substr(0, err.find('\n'));
    return false;
  };
  const bool ok = step({"netns", "add", a_.netns}) && step({"netns", "add", b_.netns}) &&
                  step({"link", "add", a_.interface, "netns", a_.netns, "type", "veth", "peer", "name", b_.interface,
                        "netns", b_.netns}) &&
                  step({"-n", a_.netns, "addr", "add", a_.address + "/24", "dev", a_.interface}) &&
                  step({"-n", b_.netns, "addr", "add", b_.address + "/24", "dev", b_.interface}) &&
                  step({"-n", a_.netns, "link", "set", a_.interface, "up"}) &&
                  step({"-n", b_.netns, "link", "set", b_.interface, "up"}) &&
                  step({"-n", a_.netns, "link", "set", "lo", "up"}) &&
                  step({"-n", b_.netns, "link", "set", "lo", "up"});
  if (!ok) {
    remove_namespaces();
    isolated_ = false;
  }
  return ok;
}

void TwoHosts::remove_namespaces() {
  for (const Host* h : {&a_, &b_}) {
    if (!h->netns.empty()) run_ip({"netns", "del", h->netns});
  }
}

}  // namespace shmslot::test
