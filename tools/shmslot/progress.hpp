// The progress line of long runs on stderr: redrawn in place on a terminal, one line per second
// otherwise (--progress into a file or pipe), silent when disabled.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace shmslot::cli {

class Progress {
 public:
  /// `what` is the subcommand ("pub"), `total` the number of samples expected (0: unknown).
  Progress(std::string what, bool enabled, std::uint64_t total);

  /// Called after every sample; prints at most once per second.
  void update(std::uint64_t done);
  /// Prints the final line (when enabled).
  void finish(std::uint64_t done);

 private:
  void print(std::uint64_t done, bool last);

  std::string what_;
  bool enabled_;
  bool tty_;
  std::uint64_t total_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point next_print_;
};

}  // namespace shmslot::cli
