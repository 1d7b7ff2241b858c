#include "line_reader.hpp"

#include <unistd.h>

#include <cerrno>

#include "stop_signal.hpp"

namespace shmslot::cli {

LineReader::Status LineReader::next(std::string& line) {
  for (;;) {
    const std::size_t nl = buf_.find('\n', pos_);
    if (nl != std::string::npos || eof_) {
      if (nl == std::string::npos && pos_ == buf_.size()) return Status::End;
      const std::size_t end = nl == std::string::npos ? buf_.size() : nl;
      ++line_number_;
      if (end - pos_ > max_line_) return Status::TooLong;
      line.assign(buf_, pos_, end - pos_);
      pos_ = nl == std::string::npos ? end : end + 1;
      return Status::Line;
    }
    if (buf_.size() - pos_ > max_line_) {
      ++line_number_;
      return Status::TooLong;
    }
    buf_.erase(0, pos_);
    pos_ = 0;
    char chunk[65536];
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n > 0) {
      buf_.append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0) {
      eof_ = true;
    } else if (errno == EINTR) {
      if (stop_requested()) return Status::Interrupted;
    } else {
      errno_ = errno;
      return Status::Error;
    }
  }
}

}  // namespace shmslot::cli
