// A process on one of the two test hosts: the built `shmslot` binary started inside the host's
// network namespace (setns before exec), with the host's Cyclone settings in its environment,
// stdout and stderr in files under the test's directory. The destructor stops (SIGINT, then
// SIGKILL) and reaps a process still running, so a failing test leaves none behind and a bridge
// stopped this way still removes its segment; a test process killed outright takes its processes
// with it (SIGTERM as the parent-death signal). Made in the test's main thread: the signal follows
// the thread that forked.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "two_hosts.hpp"

namespace shmslot::test {

// Generous on purpose: the tests assert what happens, never how fast.
inline constexpr std::chrono::seconds kBridgeWatchdog{60};

class HostProcess {
 public:
  /// Starts `shmslot args...` on `host`; `tag` names its output files in `dir`.
  HostProcess(const Host& host, const std::vector<std::string>& args, const std::string& dir, const std::string& tag);
  ~HostProcess();
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// The next stdout line (after those already returned) for which `match` holds; nullopt when
  /// the process ended or `timeout` passed first.
  std::optional<std::string> wait_line(const std::function<bool(const std::string&)>& match,
                                       std::chrono::milliseconds timeout = kBridgeWatchdog);
  /// wait_line for a line starting with `prefix`.
  std::optional<std::string> wait_prefix(const std::string& prefix,
                                         std::chrono::milliseconds timeout = kBridgeWatchdog);
  void signal(int sig) const;
  /// Waits for the exit: its code, 128+N when killed by signal N, nullopt when still running
  /// after `timeout` (it is then killed).
  std::optional<int> wait(std::chrono::milliseconds timeout = kBridgeWatchdog);
  bool running();

  std::string out() const;
  std::string err() const;

 private:
  bool reap(bool block);

  pid_t pid_ = -1;
  bool reaped_ = false;
  std::optional<int> exit_code_;
  std::string out_path_;
  std::string err_path_;
  std::size_t consumed_ = 0;  // bytes of stdout already returned by wait_line
};

/// key=value pairs of a "stats <direction> ..." line (or any line of such pairs).
std::vector<std::pair<std::string, unsigned long long>> parse_pairs(const std::string& line);
/// The value of `key` in such a line; -1 when absent.
long long pair_value(const std::string& line, const std::string& key);
/// The last line of `text` starting with `prefix`; empty when none.
std::string last_line_with(const std::string& text, const std::string& prefix);

}  // namespace shmslot::test
