#include "platform/flink_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

#include "fd_io.hpp"
#include "platform/process.hpp"
#include "platform/shm.hpp"

namespace shmslot::platform {

std::string parent_of(const std::string& path) {
  const auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

namespace {

// A refusal for a reason of the file's own (no system call failed). Built member by member: g++ 12
// reports the aggregate form {kind, {}, reason} as "may be used uninitialized" at -O2.
tl::unexpected<FlinkReadError> refused(FlinkReadError::Kind kind, std::string reason) {
  FlinkReadError e{kind, SysError{0, std::string()}, std::move(reason)};
  return tl::unexpected(std::move(e));
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
  if (!S_ISREG(st.st_mode)) return refused(Kind::NotRegular, "is not a regular file");
  if (st.st_size > NAME_MAX) {
    return refused(Kind::Malformed, "is " + std::to_string(st.st_size) + " bytes, longer than any segment name");
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
      return refused(Kind::Malformed, "is longer than any segment name");
    }
  }
  std::string name(buf, len);
  // ZeroDDS's owner creates its flink file before writing the name: empty may mean "not yet".
  if (len == 0) return refused(Kind::Empty, "is empty");
  if (!valid_segment_name(name)) {
    return refused(Kind::Malformed, "does not hold a segment name ('/' and up to 254 of [A-Za-z0-9._-])");
  }
  return OpenFlink{std::move(fd), std::move(name)};
}

FlinkDraft::FlinkDraft(std::string path, std::string draft, UniqueFd fd)
    : path_(std::move(path)), draft_(std::move(draft)), fd_(std::move(fd)) {}

FlinkDraft::FlinkDraft(FlinkDraft&& other) noexcept
    : path_(std::move(other.path_)),
      draft_(std::exchange(other.draft_, {})),
      fd_(std::move(other.fd_)),
      group_(other.group_) {}

FlinkDraft::~FlinkDraft() {
  if (!draft_.empty()) ::unlink(draft_.c_str());
}

tl::expected<FlinkDraft, SysError> FlinkDraft::begin(const std::string& path, mode_t mode, std::optional<gid_t> group) {
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, ".%d.%llx.tmp", static_cast<int>(::getpid()),
                static_cast<unsigned long long>(random_u64()));
  std::string draft = path + suffix;
  UniqueFd fd(::open(draft.c_str(), O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, S_IRUSR | S_IWUSR));
  if (!fd) return tl::unexpected(last_error("create " + draft));
  FlinkDraft out(path, std::move(draft), std::move(fd));  // from here on, the destructor removes it
  // Until this lock is taken, a clearer spares the draft because the pid in its name runs.
  if (::flock(out.fd_.get(), LOCK_EX | LOCK_NB) != 0) return tl::unexpected(last_error("flock " + out.draft_));
  // The group before the mode: while the file is 0600 its group can read nothing, so no group ever
  // holds rights it was not meant to have. The mode is set exactly, whatever the umask took away.
  struct stat st {};
  if (::fstat(out.fd_.get(), &st) != 0) return tl::unexpected(last_error("fstat " + out.draft_));
  out.group_ = st.st_gid;
  if (group && *group != st.st_gid) {
    if (::fchown(out.fd_.get(), static_cast<uid_t>(-1), *group) != 0) {
      return tl::unexpected(last_error("fchown " + out.draft_ + " to gid " + std::to_string(*group)));
    }
    out.group_ = *group;
  }
  if (::fchmod(out.fd_.get(), mode & 07777) != 0) return tl::unexpected(last_error("fchmod " + out.draft_));
  return out;
}

tl::expected<void, SysError> FlinkDraft::record(const std::string& name) {
  if (::ftruncate(fd_.get(), 0) != 0 || ::lseek(fd_.get(), 0, SEEK_SET) != 0 ||
      !support::write_all(fd_.get(), name.data(), name.size())) {
    return tl::unexpected(last_error("write " + draft_));
  }
  return {};
}

tl::expected<UniqueFd, SysError> FlinkDraft::publish() {
  if (::link(draft_.c_str(), path_.c_str()) != 0) return tl::unexpected(last_error("link flink " + path_));
  ::unlink(draft_.c_str());
  draft_.clear();
  return std::move(fd_);
}

std::vector<StaleDraft> stale_drafts(const std::string& dir, const std::string& only_path) {
  std::vector<StaleDraft> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  const std::string only_base = only_path.empty() ? std::string() : only_path.substr(only_path.find_last_of('/') + 1);
  while (const dirent* e = ::readdir(d)) {
    const std::string file = e->d_name;
    // "<flink>.<pid>.<hex>.tmp"
    if (file.size() < 5 || file.compare(file.size() - 4, 4, ".tmp") != 0) continue;
    const std::string stem = file.substr(0, file.size() - 4);
    const auto hex_dot = stem.find_last_of('.');
    if (hex_dot == std::string::npos || hex_dot == 0) continue;
    const auto pid_dot = stem.find_last_of('.', hex_dot - 1);
    if (pid_dot == std::string::npos) continue;
    const std::string base = stem.substr(0, pid_dot);
    const std::string pid_text = stem.substr(pid_dot + 1, hex_dot - pid_dot - 1);
    if (!only_base.empty() && base != only_base) continue;
    if (pid_text.empty() || pid_text.size() > 9 || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(pid_text));
    if (process_alive(pid, 0)) continue;  // its creator may still be before its flock
    const std::string draft = dir + "/" + file;
    UniqueFd fd(::open(draft.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!fd) continue;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) continue;
    // Held: a live owner between link and unlink (draft and flink are one file), or a pid reused.
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;
    char buf[NAME_MAX + 1] = {};
    const ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    std::string name = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    if (!valid_segment_name(name)) name.clear();
    bool owns_object = false;
    if (!name.empty()) {
      if (auto object = shm_open_existing(name, true); object) {
        auto info = stat_fd(object->get(), name);
        owns_object = info && info->uid == ::geteuid();
      }
    }
    out.push_back(StaleDraft{draft, std::move(name), owns_object, std::move(fd)});
  }
  ::closedir(d);
  return out;
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
    // A group directory (setgid, closed to others) of another member is as good as our own: in it
    // every member can already rename and remove every member's files, whoever owns it.
    const bool group_dir = (st.st_mode & S_ISGID) != 0 && (st.st_mode & S_IRWXO) == 0 && may_use_group(st.st_gid);
    if (st.st_uid != ::geteuid() && st.st_uid != 0 && !group_dir) {
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
