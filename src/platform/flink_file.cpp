#include "platform/flink_file.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "platform/process.hpp"
#include "platform/shm.hpp"

namespace shmslot::platform {

namespace {

std::string parent_of(const std::string& path) {
  const auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

tl::expected<OpenFlink, FlinkReadError> read_flink(const std::string& path) {
  using Kind = FlinkReadError::Kind;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    const int err = errno;
    if (err == ELOOP) return tl::unexpected(FlinkReadError{Kind::Symlink, {err, "open " + path}, "is a symbolic link"});
    if (err == ENOENT) return tl::unexpected(FlinkReadError{Kind::Missing, {err, "open flink " + path}, {}});
    return tl::unexpected(FlinkReadError{Kind::Io, {err, "open flink " + path}, {}});
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return tl::unexpected(FlinkReadError{Kind::Io, last_error("fstat " + path), {}});
  if (!S_ISREG(st.st_mode)) return tl::unexpected(FlinkReadError{Kind::NotRegular, {}, "is not a regular file"});
  if (st.st_size > NAME_MAX) {
    return tl::unexpected(FlinkReadError{Kind::Malformed, {}, "is " + std::to_string(st.st_size) +
                                                                  " bytes, longer than any segment name"});
  }
  char buf[NAME_MAX + 1] = {};
  std::size_t len = 0;
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf + len, sizeof buf - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return tl::unexpected(FlinkReadError{Kind::Io, last_error("read " + path), {}});
    if (n == 0) break;
    len += static_cast<std::size_t>(n);
    if (len == sizeof buf) {
      return tl::unexpected(FlinkReadError{Kind::Malformed, {}, "is longer than any segment name"});
    }
  }
  std::string name(buf, len);
  // ZeroDDS's owner creates its flink file before writing the name: empty may mean "not yet".
  if (len == 0) return tl::unexpected(FlinkReadError{Kind::Empty, {}, "is empty"});
  if (!valid_segment_name(name)) {
    return tl::unexpected(FlinkReadError{
        Kind::Malformed, {}, "does not hold a segment name ('/' and up to 254 of [A-Za-z0-9._-])"});
  }
  return OpenFlink{std::move(fd), std::move(name)};
}

tl::expected<UniqueFd, SysError> publish_flink(const std::string& path, const std::string& name, mode_t mode) {
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, ".%d.%llx.tmp", static_cast<int>(::getpid()),
                static_cast<unsigned long long>(random_u64()));
  const std::string tmp = path + suffix;
  UniqueFd fd(::open(tmp.c_str(), O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, S_IRUSR | S_IWUSR));
  if (!fd) return tl::unexpected(last_error("create " + tmp));
  auto fail = [&](SysError e) -> tl::expected<UniqueFd, SysError> {
    ::unlink(tmp.c_str());
    return tl::unexpected(std::move(e));
  };
  if ((mode & 07777) != 0600 && ::fchmod(fd.get(), mode) != 0) return fail(last_error("fchmod " + tmp));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return fail(last_error("flock " + tmp));
  if (!write_all(fd.get(), name)) return fail(last_error("write " + tmp));
  if (::link(tmp.c_str(), path.c_str()) != 0) return fail(last_error("link flink " + path));
  ::unlink(tmp.c_str());
  return fd;
}

tl::expected<bool, SysError> try_lock_exclusive(int fd, const std::string& what) {
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
    if (errno == EWOULDBLOCK) return false;
    if (errno != EINTR) return tl::unexpected(last_error("flock " + what));
  }
}

void unlink_if_same(const std::string& path, int fd) {
  struct stat by_path {};
  struct stat by_fd {};
  if (::lstat(path.c_str(), &by_path) != 0 || ::fstat(fd, &by_fd) != 0) return;
  if (by_path.st_dev == by_fd.st_dev && by_path.st_ino == by_fd.st_ino) ::unlink(path.c_str());
}

tl::expected<void, SysError> ensure_parent_directory(const std::string& path, mode_t mode) {
  const std::string dir = parent_of(path);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return tl::unexpected(SysError{ENOTDIR, "flink directory " + dir});
    // A directory others may write to must be sticky (as /tmp is), or anyone could replace our
    // flink files; and it must belong to us or root.
    if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
      return tl::unexpected(SysError{EPERM, "flink directory " + dir + " is world-writable but not sticky"});
    }
    if (st.st_uid != ::geteuid() && st.st_uid != 0) {
      return tl::unexpected(SysError{EPERM, "flink directory " + dir + " belongs to uid " + std::to_string(st.st_uid)});
    }
    return {};
  }
  if (errno != ENOENT) return tl::unexpected(last_error("stat " + dir));
  if (auto up = ensure_parent_directory(dir, 0755); !up) return up;
  if (::mkdir(dir.c_str(), 0700) == 0) {
    // Created 0700 first, then widened: never a moment with more access than asked for.
    if (::chmod(dir.c_str(), mode) != 0) return tl::unexpected(last_error("chmod " + dir));
  } else if (errno != EEXIST) {
    return tl::unexpected(last_error("mkdir " + dir));
  }
  return {};
}

}  // namespace shmslot::platform
