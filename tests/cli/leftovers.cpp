#include "leftovers.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include <shmslot/posix_slot_allocator.hpp>

#include "cli_process.hpp"
#include "support/child_process.hpp"
#include "support/zerodds_peer.hpp"

namespace shmslot::test {

namespace {

template <class Create>
std::string killed_owner(const std::string& flink, Create create) {
  ChildProcess child([&]() -> int {
    const auto owner = create();  // kept alive until the kill
    if (!owner) return 3;
    ::raise(SIGKILL);  // die holding everything: no destructor runs
    return 4;
  });
  const auto code = child.wait(std::chrono::milliseconds(kCliWatchdog));
  if (code != 128 + SIGKILL) return {};
  return slurp(flink);
}

}  // namespace

std::string killed_shmslot_owner(const std::string& flink) {
  return killed_owner(flink, [&] { return PosixSlotAllocator::create(flink, 4, 64); });
}

std::string killed_zerodds_owner(const std::string& flink) {
  return killed_owner(flink, [&] { return ZeroDdsPeer::create(flink, 4, 64); });
}

ShmCleanup::~ShmCleanup() {
  for (const auto& n : names_) {
    if (!n.empty()) ::shm_unlink(n.c_str());
  }
}

std::string ShmCleanup::add(const std::string& name) { return names_.emplace_back(name); }

bool shm_exists(const std::string& name) { return file_exists("/dev/shm" + name); }

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

bool age_file(const std::string& path, int seconds) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  const timespec times[2] = {st.st_atim, {st.st_mtim.tv_sec - seconds, st.st_mtim.tv_nsec}};
  return ::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0;
}

}  // namespace shmslot::test
