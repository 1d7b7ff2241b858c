// A failed system call: the errno it left and what was being done.
#pragma once

#include <cerrno>
#include <string>

namespace shmslot::platform {

struct SysError {
  int err = 0;       // errno value
  std::string what;  // e.g. "shm_open /shmem_1A2B"
};

// The SysError for the errno the last call left behind.
inline SysError last_error(std::string what) { return SysError{errno, std::move(what)}; }

}  // namespace shmslot::platform
