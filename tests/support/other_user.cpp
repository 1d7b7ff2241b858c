#include "support/other_user.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>

#include "support/child_process.hpp"

namespace shmslot::test {

bool become(const Identity& who) {
  return ::setgroups(who.groups.size(), who.groups.data()) == 0 && ::setgid(who.gid) == 0 && ::setuid(who.uid) == 0 &&
         ::geteuid() == who.uid && ::getegid() == who.gid;
}

int run_as(const Identity& who, const std::function<int()>& check) {
  ChildProcess child([&] { return become(who) ? check() : int{kDropFailed}; });
  return child.wait(kChildWatchdog).value_or(-1);
}

SharedDir::SharedDir() : SharedDir(01777, static_cast<gid_t>(-1)) {}

SharedDir SharedDir::group_dir(gid_t gid) { return SharedDir(02770, gid); }

SharedDir::SharedDir(mode_t mode, gid_t gid) {
  std::string tmpl = "/tmp/shmslot-unpriv-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return;
  // The group first, then the mode: chown clears a setgid bit set before it.
  if (::chown(tmpl.c_str(), static_cast<uid_t>(-1), gid) != 0 || ::chmod(tmpl.c_str(), mode) != 0) {
    std::error_code ec;
    std::filesystem::remove_all(tmpl, ec);
    return;
  }
  path_ = tmpl;
}

SharedDir::SharedDir(SharedDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

SharedDir::~SharedDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

}  // namespace shmslot::test
