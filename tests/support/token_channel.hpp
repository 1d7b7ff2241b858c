// A one-way channel of single-byte tokens between two processes (a blocking pipe), for tests that
// stop one process at an exact point and let another act there. send() and receive() are
// async-signal-safe, so a trap handler (page_trap.hpp) may use them.
#pragma once

#include <chrono>

namespace shmslot::test {

class TokenChannel {
 public:
  /// How long receive() waits by default.
  static constexpr std::chrono::milliseconds kTimeout = std::chrono::seconds(30);

  /// Aborts when no pipe can be made.
  TokenChannel();
  ~TokenChannel();
  TokenChannel(const TokenChannel&) = delete;
  TokenChannel& operator=(const TokenChannel&) = delete;

  int read_fd() const { return fds_[0]; }
  int write_fd() const { return fds_[1]; }
  /// Sends one token; false when the write fails.
  bool send(char token) const;
  /// The next token, or 0 when none came within `timeout`.
  char receive(std::chrono::milliseconds timeout = kTimeout) const;

 private:
  int fds_[2] = {-1, -1};
};

}  // namespace shmslot::test
