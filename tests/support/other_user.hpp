// Another user, as the kernel sees one: the suite runs as root, which bypasses permission bits, so
// the tests that check permissions fork a child that drops to numeric uids and gids (no passwd or
// group entry is needed) and report what that user could do through the child's exit code.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace shmslot::test {

/// Who a forked child becomes: a uid, its primary gid, and its supplementary groups.
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

/// The unprivileged user "nobody" (uid and gid 65534), in no other group.
inline const Identity kNobody{65534, 65534, {}};

/// Exit codes of the children: 0 is "as expected", anything else names the check that failed.
enum ChildExit : int { kOk = 0, kDropFailed = 10, kFirstCheck = 11 };

/// How long a test waits for a child.
inline constexpr auto kChildWatchdog = std::chrono::seconds(30);

/// Drops every privilege of this (forked, single-threaded) process for good and becomes `who`.
bool become(const Identity& who);

/// Runs `check` as `who` in a forked child; its return value is the exit code, kDropFailed when the
/// child could not become `who`, -1 when it did not end within kChildWatchdog.
int run_as(const Identity& who, const std::function<int()>& check);

/// A fresh directory under /tmp, removed with its contents by the destructor: by default mode 1777
/// like /tmp itself, so another user may create files there but not remove ours; `group_dir`
/// makes it a group's directory instead (owner root, group `gid`, mode 2770: setgid, so the files
/// created in it get that group).
class SharedDir {
 public:
  SharedDir();
  static SharedDir group_dir(gid_t gid);
  SharedDir(SharedDir&& other) noexcept;
  SharedDir& operator=(SharedDir&&) = delete;
  ~SharedDir();
  SharedDir(const SharedDir&) = delete;
  SharedDir& operator=(const SharedDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string flink(const std::string& name) const { return path_ + "/" + name + ".flink"; }

 private:
  explicit SharedDir(mode_t mode, gid_t gid);
  std::string path_;
};

}  // namespace shmslot::test
