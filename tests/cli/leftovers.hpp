// What dead owners leave behind, made on purpose: a child process creates a segment and is killed
// with SIGKILL, so neither its destructor nor anything else cleans up.
#pragma once

#include <string>
#include <vector>

namespace shmslot::test {

// A shmslot segment and its flink file at `flink`, whose owner was SIGKILLed. Returns the segment's
// name ("/shmem_..."), or "" if the child failed.
std::string killed_shmslot_owner(const std::string& flink);

// The same for a segment created the way a ZeroDDS process does (V3 header, no shmslot extension).
std::string killed_zerodds_owner(const std::string& flink);

// Unlinks the named shm objects at scope exit, so a test that fails halfway leaves no leftover of
// its own behind in /dev/shm.
class ShmCleanup {
 public:
  ShmCleanup() = default;
  ~ShmCleanup();
  ShmCleanup(const ShmCleanup&) = delete;
  ShmCleanup& operator=(const ShmCleanup&) = delete;
  // Registers `name` and returns it.
  std::string add(const std::string& name);

 private:
  std::vector<std::string> names_;
};

// True when /dev/shm holds the object `name` ("/shmem_...").
bool shm_exists(const std::string& name);

// True when `path` exists (a dangling symlink counts).
bool file_exists(const std::string& path);

// Moves the modification time of `path` `seconds` into the past, as if it had been left there that
// long; false if it cannot.
bool age_file(const std::string& path, int seconds);

}  // namespace shmslot::test
