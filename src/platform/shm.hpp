// POSIX shared-memory objects (/dev/shm on Linux), each call wrapped once.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include <tl/expected.hpp>

#include "platform/sys_error.hpp"
#include "platform/unique_fd.hpp"

namespace shmslot::platform {

// A fresh object, created owner-only (0600) with O_EXCL; EEXIST when the name is taken.
tl::expected<UniqueFd, SysError> shm_create_exclusive(const std::string& name);

// An existing object, read-write (consumers must fetch_or reader bits) or read-only.
tl::expected<UniqueFd, SysError> shm_open_existing(const std::string& name, bool read_only);

// Removes the name; mappings stay valid until unmapped.
tl::expected<void, SysError> shm_remove(const std::string& name);

// Reserves `size` bytes of memory for the object (and sets its size), so that a full /dev/shm is
// an error here rather than a SIGBUS at the first write.
tl::expected<void, SysError> reserve_memory(int fd, std::uint64_t size, const std::string& name);

struct ObjectInfo {
  std::uint64_t size = 0;
  uid_t uid = 0;
  mode_t mode = 0;
  bool regular = false;
  gid_t gid = 0;
};
tl::expected<ObjectInfo, SysError> stat_fd(int fd, const std::string& what);

// Sets the permission bits exactly (not masked by umask).
tl::expected<void, SysError> set_mode(int fd, mode_t mode, const std::string& what);

// Gives the open file or object to group `gid` (fchown, owner unchanged). A caller that is not
// root may name only a group it is a member of (EPERM otherwise).
tl::expected<void, SysError> set_group(int fd, gid_t gid, const std::string& what);

// True when this process may give a file to `gid`: it is root, or `gid` is its effective group or
// one of its supplementary groups.
bool may_use_group(gid_t gid);

// A random name in ZeroDDS's scheme: "/shmem_" and a u64 in upper-case hex without padding.
std::string random_segment_name();

// True for a name shm_open accepts without leaving /dev/shm: '/', then 1..NAME_MAX-1 characters
// from [A-Za-z0-9._-], not "." or "..".
bool valid_segment_name(const std::string& name);

}  // namespace shmslot::platform
