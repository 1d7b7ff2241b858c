// The flink file: a small file whose whole content is the segment's shm name (ZeroDDS format: the
// name bytes, no newline, no NUL). The owner holds an exclusive flock on it while alive.
#pragma once

#include <sys/types.h>

#include <string>

#include <tl/expected.hpp>

#include "platform/sys_error.hpp"
#include "platform/unique_fd.hpp"

namespace shmslot::platform {

// Why a flink file could not be read.
struct FlinkReadError {
  enum class Kind { Missing, Empty, Symlink, NotRegular, Malformed, Io } kind;
  SysError sys;        // errno and operation for Missing and Io
  std::string reason;  // for the others
};

struct OpenFlink {
  UniqueFd fd;
  std::string name;  // validated segment name
};

// Opens without following a symlink and validates the content (at most NAME_MAX bytes, a valid
// segment name).
tl::expected<OpenFlink, FlinkReadError> read_flink(const std::string& path);

// Publishes `name` at `path` atomically: writes a temporary file (mode 0600, then `mode`), takes
// an exclusive flock on it, and link()s it into place, which fails with EEXIST if `path` exists.
// The returned descriptor holds the lock; it is released when the owner closes it or dies.
tl::expected<UniqueFd, SysError> publish_flink(const std::string& path, const std::string& name, mode_t mode);

// Exclusive flock without blocking: true when taken, false when another process holds it.
tl::expected<bool, SysError> try_lock_exclusive(int fd, const std::string& what);

// Removes `path` only while it still names the file open as `fd` (never a successor's file).
void unlink_if_same(const std::string& path, int fd);

// Creates the parent directory of `path` if missing, with `mode` (not masked by umask).
tl::expected<void, SysError> ensure_parent_directory(const std::string& path, mode_t mode);

}  // namespace shmslot::platform
