// A file descriptor that is closed on scope exit when owned (a file opened by the tool), and left
// alone when not (stdin).
#pragma once

#include <unistd.h>

namespace shmslot::cli {

class FileDescriptor {
 public:
  FileDescriptor(int fd, bool owned) : fd_(fd), owned_(owned) {}
  ~FileDescriptor() {
    if (owned_ && fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const { return fd_; }

 private:
  int fd_;
  bool owned_;
};

}  // namespace shmslot::cli
