// The built `shmslot` binary as a real child process: arguments, stdin, stdout and stderr through
// pipes, SHMSLOT_DIR pointing at the test's own flink directory, and a watchdog on every wait. The
// destructor stops (SIGTERM, then SIGKILL) and reaps a child that is still running, so a failing
// test leaves no process, and a `create` it left running still removes its segment.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace shmslot::test {

// Generous on purpose: the tests assert what happens, never how fast.
inline constexpr std::chrono::seconds kCliWatchdog{120};

struct CliResult {
  std::optional<int> exit_code;  // nullopt: the watchdog had to kill it; 128+N: killed by signal N
  std::string out;
  std::string err;
};

class CliProcess {
 public:
  // Starts `shmslot args...` with SHMSLOT_DIR=`flink_dir` and `input` written to its stdin (which is
  // closed after it, so a reader of stdin sees the end).
  CliProcess(const std::vector<std::string>& args, const std::string& flink_dir, std::string input = {});
  ~CliProcess();
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The next complete line of stdout (without '\n'); nullopt if stdout ends or `watchdog` passes.
  std::optional<std::string> read_line(std::chrono::milliseconds watchdog = kCliWatchdog);
  // The same for stderr.
  std::optional<std::string> read_err_line(std::chrono::milliseconds watchdog = kCliWatchdog);
  // Closes our end of its stdout, as `| head` does once it has seen enough.
  void close_stdout();
  void signal(int sig) const;
  // Waits for the exit, collecting the rest of stdout and stderr (what read_line returned is not
  // repeated); kills the child if it outlives `watchdog`.
  CliResult wait(std::chrono::milliseconds watchdog = kCliWatchdog);

 private:
  // Moves data between the pipes until `done()` or the deadline; false on the deadline.
  template <class Done>
  bool pump(std::chrono::steady_clock::time_point deadline, Done done);
  bool reap(bool block);
  std::optional<std::string> next_line(int& fd, std::string& buffer, std::chrono::milliseconds watchdog);

  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string input_;
  std::size_t input_pos_ = 0;
  std::string out_;
  std::string err_;
  std::optional<int> exit_code_;
  bool reaped_ = false;
};

// Runs `shmslot args...` to completion.
CliResult run_cli(const std::vector<std::string>& args, const std::string& flink_dir, std::string input = {});

// The whole content of a file ("" if it cannot be read).
std::string slurp(const std::string& path);

// Splits text into lines (without the '\n's; no empty last line).
std::vector<std::string> lines_of(const std::string& text);

}  // namespace shmslot::test
