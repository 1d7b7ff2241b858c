#include "platform/shm.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "platform/process.hpp"

namespace shmslot::platform {

tl::expected<UniqueFd, SysError> shm_create_exclusive(const std::string& name) {
  // 0600 from the first instant; a wider mode is set afterwards with set_mode (widening is safe).
  UniqueFd fd(::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, S_IRUSR | S_IWUSR));
  if (!fd) return tl::unexpected(last_error("shm_open(O_CREAT|O_EXCL) " + name));
  return fd;
}

tl::expected<UniqueFd, SysError> shm_open_existing(const std::string& name, bool read_only) {
  UniqueFd fd(::shm_open(name.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC, 0));
  if (!fd) return tl::unexpected(last_error("shm_open " + name));
  return fd;
}

tl::expected<void, SysError> shm_remove(const std::string& name) {
  if (::shm_unlink(name.c_str()) != 0) return tl::unexpected(last_error("shm_unlink " + name));
  return {};
}

tl::expected<void, SysError> reserve_memory(int fd, std::uint64_t size, const std::string& name) {
  int rc;
  do {
    rc = ::posix_fallocate(fd, 0, static_cast<off_t>(size));
  } while (rc == EINTR);
  if (rc != 0) return tl::unexpected(SysError{rc, "posix_fallocate " + name + " (" + std::to_string(size) + " bytes)"});
  return {};
}

tl::expected<ObjectInfo, SysError> stat_fd(int fd, const std::string& what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return tl::unexpected(last_error("fstat " + what));
  return ObjectInfo{static_cast<std::uint64_t>(st.st_size), st.st_uid, st.st_mode & 07777, S_ISREG(st.st_mode),
                    st.st_gid};
}

tl::expected<void, SysError> set_mode(int fd, mode_t mode, const std::string& what) {
  if (::fchmod(fd, mode) != 0) return tl::unexpected(last_error("fchmod " + what));
  return {};
}

tl::expected<void, SysError> set_group(int fd, gid_t gid, const std::string& what) {
  if (::fchown(fd, static_cast<uid_t>(-1), gid) != 0) return tl::unexpected(last_error("fchown " + what));
  return {};
}

bool may_use_group(gid_t gid) {
  if (::geteuid() == 0 || ::getegid() == gid) return true;
  const int n = ::getgroups(0, nullptr);
  if (n <= 0) return false;
  std::vector<gid_t> groups(static_cast<std::size_t>(n));
  const int got = ::getgroups(n, groups.data());
  return got > 0 && std::find(groups.begin(), groups.begin() + got, gid) != groups.begin() + got;
}

std::string random_segment_name() {
  char buf[32];
  std::snprintf(buf, sizeof buf, "/shmem_%llX", static_cast<unsigned long long>(random_u64()));
  return buf;
}

bool valid_segment_name(const std::string& name) {
  if (name.size() < 2 || name.size() > NAME_MAX || name[0] != '/') return false;
  if (name == "/." || name == "/..") return false;
  for (std::size_t i = 1; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace shmslot::platform
