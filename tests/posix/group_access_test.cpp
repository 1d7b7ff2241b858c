// Segments shared between the users of one group (CreateOptions::group, AttachOptions::group), as
// the users themselves see them: children of the root test process become user A and user B,
// members of group G, and user C, who is not; gc runs as B and as root on what A left behind.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "shmslot/gc.hpp"
#include "shmslot/shmslot.hpp"
#include "support/child_process.hpp"
#include "support/other_user.hpp"
#include "support/skip_or_fail.hpp"
#include "support/token_channel.hpp"

namespace shmslot::test {
namespace {

constexpr gid_t kGroup = 61000;
const Identity kUserA{61001, 61001, {kGroup}};  // primary group of its own, G besides
const Identity kUserB{61002, 61002, {kGroup}};
const Identity kUserC{61003, 61003, {}};  // not in G

struct GroupSample {
  std::uint64_t value;
  static constexpr TypeHash kTypeHash = layout_type_hash("GroupSample{value:u64}");
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct FileInfo {
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;
};

FileInfo file_info(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return FileInfo{static_cast<uid_t>(-1), static_cast<gid_t>(-1), 0};
  return FileInfo{st.st_uid, st.st_gid, st.st_mode & 07777};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

CreateOptions group_options() {
  CreateOptions options;
  options.mode = 0660;
  options.group = kGroup;
  return options;
}

class PosixGroupAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) SHMSLOT_SKIP_OR_FAIL_IN_CI("needs root to switch to other users (the CI runs as root)");
    ASSERT_TRUE(sticky_dir_.ok());
    ASSERT_TRUE(group_dir_.ok());
  }

  SharedDir sticky_dir_;                                // 1777, like /tmp
  SharedDir group_dir_ = SharedDir::group_dir(kGroup);  // 2770, group G
};

TEST_F(PosixGroupAccess, AMemberReadsAndWritesAnotherMembersSegment) {
  const std::string flink = group_dir_.flink("shared");
  TokenChannel to_root;
  TokenChannel to_a;
  TokenChannel to_b;
  ChildProcess a([&] {
    if (!become(kUserA)) return int{kDropFailed};
    auto seg = PosixSlotAllocator::create(flink, 8, sizeof(GroupSample), group_options());
    if (!seg) return int{kFirstCheck};
    auto own = FlatReader<GroupSample>::registered(*seg);  // to read what B writes
    if (!own) return kFirstCheck + 1;
    to_root.send('c');
    if (to_a.receive() != 'r') return kFirstCheck + 2;  // B's reader is registered
    FlatWriter<GroupSample> writer(*seg);
    for (std::uint64_t v : {1, 2, 3}) {
      if (!writer.write(GroupSample{v})) return kFirstCheck + 3;
    }
    to_b.send('w');
    if (to_a.receive() != 'd') return kFirstCheck + 4;  // B has read them and written one
    for (std::uint64_t v : {1, 2, 3, 100}) {
      auto got = own->take();
      if (!got || !*got || (*got)->value != v) return kFirstCheck + 5;
    }
    return int{kOk};
  });
  ASSERT_EQ(to_root.receive(), 'c') << "user A did not create its segment: exit "
                                    << a.wait(kChildWatchdog).value_or(-1);

  // Exactly the asked mode and group, on the segment and on its flink file (which is never
  // writable by the group: only the owner says which segment the path names).
  const std::string name = read_file(flink);
  ASSERT_FALSE(name.empty());
  const FileInfo object = file_info("/dev/shm" + name);
  EXPECT_EQ(object.uid, kUserA.uid);
  EXPECT_EQ(object.gid, kGroup);
  EXPECT_EQ(object.mode, 0660U);
  const FileInfo file = file_info(flink);
  EXPECT_EQ(file.uid, kUserA.uid);
  EXPECT_EQ(file.gid, kGroup);
  EXPECT_EQ(file.mode, 0640U);

  // C is not in the group: it cannot read the flink file, nor open the segment, with or without
  // opting in to other users' segments.
  EXPECT_EQ(run_as(kUserC,
                   [&] {
                     AttachOptions any;
                     any.allow_foreign_owner = true;
                     any.group = kGroup;
                     auto r = PosixSlotAllocator::attach(flink, any);
                     if (r || r.error().code != PosixErrorCode::Shm || r.error().sys_errno != EACCES) {
                       return int{kFirstCheck};
                     }
                     if (!contains(r.error().message(), "Permission denied")) return kFirstCheck + 1;
                     const int fd = ::open(("/dev/shm" + name).c_str(), O_RDWR);
                     if (fd >= 0) ::close(fd);
                     return fd < 0 && errno == EACCES ? int{kOk} : kFirstCheck + 2;
                   }),
            kOk);

  ChildProcess b([&] {
    if (!become(kUserB)) return int{kDropFailed};
    // Without naming the group, another user's segment is refused, and the refusal says why.
    auto refused = PosixSlotAllocator::attach(flink);
    if (refused || refused.error().code != PosixErrorCode::ForeignOwner) return int{kFirstCheck};
    if (!contains(refused.error().message(), "shared with gid " + std::to_string(kGroup))) return kFirstCheck + 1;
    AttachOptions options;
    options.group = kGroup;
    auto seg = PosixSlotAllocator::attach(flink, options);
    if (!seg) return kFirstCheck + 2;
    auto reader = FlatReader<GroupSample>::registered(*seg);
    if (!reader) return kFirstCheck + 3;
    to_a.send('r');
    if (to_b.receive() != 'w') return kFirstCheck + 4;
    for (std::uint64_t v : {1, 2, 3}) {
      auto got = reader->take();
      if (!got || !*got || (*got)->value != v) return kFirstCheck + 5;
    }
    FlatWriter<GroupSample> writer(*seg);
    if (!writer.write(GroupSample{100})) return kFirstCheck + 6;
    to_a.send('d');
    return int{kOk};
  });
  const auto b_exit = b.wait(kChildWatchdog);
  EXPECT_EQ(b_exit, std::optional<int>{kOk});
  if (b_exit != kOk) to_a.send('x');  // A is waiting for B: let it end, and remove its segment
  EXPECT_EQ(a.wait(kChildWatchdog), std::optional<int>{kOk});
  // The owner removed both when it ended.
  EXPECT_FALSE(std::filesystem::exists(flink));
  EXPECT_FALSE(std::filesystem::exists("/dev/shm" + name));
}

TEST_F(PosixGroupAccess, ASetgidDirectoryGivesItsGroupToFlinkAndSegment) {
  // Mode 0660 without a group: the segment takes the group the setgid directory gives the flink
  // file, not A's own primary group.
  const std::string flink = group_dir_.flink("by-dir");
  TokenChannel to_root;
  TokenChannel to_a;
  ChildProcess a([&] {
    if (!become(kUserA)) return int{kDropFailed};
    CreateOptions options;
    options.mode = 0660;
    auto seg = PosixSlotAllocator::create(flink, 4, 64, options);
    if (!seg) return int{kFirstCheck};
    to_root.send('c');
    return to_a.receive() == 'x' ? int{kOk} : kFirstCheck + 1;
  });
  ASSERT_EQ(to_root.receive(), 'c') << "user A did not create its segment: exit "
                                    << a.wait(kChildWatchdog).value_or(-1);
  const std::string name = read_file(flink);
  EXPECT_EQ(file_info(flink).gid, kGroup);
  EXPECT_EQ(file_info(flink).mode, 0640U);
  EXPECT_EQ(file_info("/dev/shm" + name).gid, kGroup);
  EXPECT_EQ(file_info("/dev/shm" + name).mode, 0660U);
  EXPECT_EQ(run_as(kUserB,
                   [&] {
                     AttachOptions options;
                     options.group = kGroup;
                     return PosixSlotAllocator::attach(flink, options) ? int{kOk} : kFirstCheck;
                   }),
            kOk);
  to_a.send('x');
  EXPECT_EQ(a.wait(kChildWatchdog), std::optional<int>{kOk});
}

TEST_F(PosixGroupAccess, AGroupDirectoryOfAnotherMemberIsAcceptedForFlinkFiles) {
  // In a setgid directory closed to others every member can already rename and remove every
  // member's files, so one that A owns is as good for B as one root owns.
  ASSERT_EQ(::chown(group_dir_.path().c_str(), kUserA.uid, kGroup), 0);
  ASSERT_EQ(::chmod(group_dir_.path().c_str(), 02770), 0);
  const std::string flink = group_dir_.flink("b-in-a");
  EXPECT_EQ(run_as(kUserB,
                   [&] { return PosixSlotAllocator::create(flink, 4, 64, group_options()) ? int{kOk} : kFirstCheck; }),
            kOk);
  // Without the setgid bit it is just another user's directory, and refused.
  ASSERT_EQ(::chmod(group_dir_.path().c_str(), 0770), 0);
  EXPECT_EQ(run_as(kUserB,
                   [&] {
                     auto r = PosixSlotAllocator::create(flink, 4, 64, group_options());
                     if (r) return int{kFirstCheck};
                     return r.error().sys_errno == EPERM && contains(r.error().message(), "belongs to uid 61001")
                                ? int{kOk}
                                : kFirstCheck + 1;
                   }),
            kOk);
}

TEST_F(PosixGroupAccess, AGroupTheCreatorIsNotInIsRefusedAndNothingIsCreated) {
  const std::string flink = sticky_dir_.flink("not-mine");
  EXPECT_EQ(run_as(kUserA,
                   [&] {
                     CreateOptions options;
                     options.mode = 0660;
                     options.group = kUserC.gid;  // A is not a member
                     auto r = PosixSlotAllocator::create(flink, 4, 64, options);
                     if (r || r.error().code != PosixErrorCode::Shm || r.error().sys_errno != EPERM) {
                       return int{kFirstCheck};
                     }
                     if (!contains(r.error().message(), "not a member")) return kFirstCheck + 1;
                     // A group that the mode gives nothing is a mistake, not a request.
                     options.group = kGroup;
                     options.mode = 0600;
                     r = PosixSlotAllocator::create(flink, 4, 64, options);
                     return !r && r.error().code == PosixErrorCode::InvalidArgument ? int{kOk} : kFirstCheck + 2;
                   }),
            kOk);
  EXPECT_TRUE(std::filesystem::is_empty(sticky_dir_.path()));  // no flink file, no draft
}

TEST_F(PosixGroupAccess, GcRemovesAnotherUsersLeftoversOnlyWhereItMay) {
  // A's dead segment (its owner exits without the destructor: a crash) and a live one of A's, both
  // named from the group directory; a dangling flink file of A's in each directory.
  const std::string dead_flink = group_dir_.flink("dead");
  const std::string live_flink = group_dir_.flink("live");
  ChildProcess dead([&] {
    if (!become(kUserA)) return int{kDropFailed};
    auto seg = PosixSlotAllocator::create(dead_flink, 4, 64, group_options());
    if (!seg) return int{kFirstCheck};
    ::_exit(kOk);  // no destructor: segment and flink file stay, the recorded owner is gone
  });
  ASSERT_EQ(dead.wait(kChildWatchdog), std::optional<int>{kOk});
  TokenChannel to_root;
  TokenChannel to_live;
  ChildProcess live([&] {
    if (!become(kUserA)) return int{kDropFailed};
    auto seg = PosixSlotAllocator::create(live_flink, 4, 64, group_options());
    if (!seg) return int{kFirstCheck};
    to_root.send('c');
    return to_live.receive() == 'x' ? int{kOk} : kFirstCheck + 1;
  });
  ASSERT_EQ(to_root.receive(), 'c');
  const std::string dead_name = read_file(dead_flink);
  const std::string live_name = read_file(live_flink);
  ASSERT_FALSE(dead_name.empty());
  ASSERT_FALSE(live_name.empty());
  for (const SharedDir* dir : {&group_dir_, &sticky_dir_}) {
    const std::string dangling = dir->flink("dangling");
    std::ofstream(dangling, std::ios::binary) << "/shmem_DEADBEEF0BADF00D";
    ASSERT_EQ(::chown(dangling.c_str(), kUserA.uid, kGroup), 0);
    ASSERT_EQ(::chmod(dangling.c_str(), 0640), 0);
  }

  // B, in A's group, may read all of it. /dev/shm is sticky: B may not remove A's dead segment, so
  // gc keeps it, and its flink file with it, and says why. In the group directory (setgid, not
  // sticky) B may remove A's dangling flink file; in the sticky one it may not.
  const std::string sticky = ", /dev/shm is sticky: only that user or root may remove it";
  EXPECT_EQ(
      run_as(kUserB,
             [&] {
               GcOptions options;
               options.flink_dir = group_dir_.path();
               options.only_named = true;
               auto in_group = collect_garbage(options);
               if (!in_group) return int{kFirstCheck};
               const auto& removed = in_group->entries;
               if (removed.size() != 1 || removed[0].path != group_dir_.flink("dangling") || !removed[0].removed) {
                 return kFirstCheck + 1;
               }
               const auto& kept = in_group->kept;
               if (kept.size() != 2) return kFirstCheck + 2;
               if (kept[0].kind != GcKind::Segment || kept[0].path != "/dev/shm" + dead_name ||
                   kept[0].owner != kUserA.uid || kept[0].why_kept != "owned by uid 61001" + sticky) {
                 return kFirstCheck + 3;
               }
               if (kept[1].kind != GcKind::Flink || kept[1].path != dead_flink ||
                   !contains(kept[1].why_kept, "is kept")) {
                 return kFirstCheck + 4;
               }
               options.flink_dir = sticky_dir_.path();
               auto in_sticky = collect_garbage(options);
               if (!in_sticky || !in_sticky->entries.empty() || in_sticky->kept.size() != 1) return kFirstCheck + 5;
               const GcKept& file = in_sticky->kept[0];
               if (file.path != sticky_dir_.flink("dangling") ||
                   file.why_kept != "owned by uid 61001, " + sticky_dir_.path() +
                                        " is sticky: only that user or root may remove it") {
                 return kFirstCheck + 6;
               }
               return int{kOk};
             }),
      kOk);
  EXPECT_TRUE(std::filesystem::exists("/dev/shm" + dead_name));
  EXPECT_TRUE(std::filesystem::exists(dead_flink));
  EXPECT_FALSE(std::filesystem::exists(group_dir_.flink("dangling")));
  EXPECT_TRUE(std::filesystem::exists(sticky_dir_.flink("dangling")));

  // Root may remove anything: the dead segment and its flink file go, the live one stays.
  GcOptions options;
  options.flink_dir = group_dir_.path();
  options.only_named = true;
  auto report = collect_garbage(options);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_TRUE(report->kept.empty());
  ASSERT_EQ(report->entries.size(), 2U);
  for (const GcEntry& e : report->entries) EXPECT_TRUE(e.removed) << e.path << ": " << e.error;
  EXPECT_FALSE(std::filesystem::exists("/dev/shm" + dead_name));
  EXPECT_FALSE(std::filesystem::exists(dead_flink));
  EXPECT_TRUE(std::filesystem::exists("/dev/shm" + live_name));
  EXPECT_TRUE(std::filesystem::exists(live_flink));

  to_live.send('x');
  EXPECT_EQ(live.wait(kChildWatchdog), std::optional<int>{kOk});
  EXPECT_FALSE(std::filesystem::exists("/dev/shm" + live_name));
}

}  // namespace
}  // namespace shmslot::test
