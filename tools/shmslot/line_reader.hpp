// Lines from a file descriptor (stdin or --file) for `pub`, one sample each. read(2) directly, so
// Ctrl-C interrupts a read that waits for input.
#pragma once

#include <cstddef>
#include <string>

namespace shmslot::cli {

class LineReader {
 public:
  /// Reads `fd` (not owned); lines longer than `max_line` bytes are TooLong.
  LineReader(int fd, std::size_t max_line) : fd_(fd), max_line_(max_line) {}

  enum class Status {
    Line,         ///< `line` holds the next line, without its '\n' (a last line without one counts)
    End,          ///< end of input
    Interrupted,  ///< a stop signal arrived while waiting for input
    TooLong,      ///< the next line is longer than max_line
    Error,        ///< read failed; error() is the errno
  };

  Status next(std::string& line);
  int error() const { return errno_; }
  /// 1-based number of the line last returned (or being read).
  std::size_t line_number() const { return line_number_; }

 private:
  int fd_;
  std::size_t max_line_;
  std::string buf_;
  std::size_t pos_ = 0;
  bool eof_ = false;
  int errno_ = 0;
  std::size_t line_number_ = 0;
};

}  // namespace shmslot::cli
