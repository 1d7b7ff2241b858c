// Permissions as a real second user sees them. The suite runs as root, which bypasses permission
// bits; these tests fork a child that drops to the unprivileged user "nobody" (uid/gid 65534) and
// check what that user can and cannot do with root's segments, and what root does with its.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "shmslot/shmslot.hpp"
#include "support/child_process.hpp"
#include "support/other_user.hpp"
#include "support/skip_or_fail.hpp"

namespace shmslot::test {
namespace {

class PosixUnprivileged : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) SHMSLOT_SKIP_OR_FAIL_IN_CI("needs root to switch to another user (the CI runs as root)");
    ASSERT_TRUE(dir_.ok());
  }

  // Runs `check` as nobody in a child; its return value is the child's exit code.
  static int as_nobody(const std::function<int()>& check) { return run_as(kNobody, check); }

  SharedDir dir_;
};

TEST_F(PosixUnprivileged, OwnerOnlySegmentIsClosedToAnotherUser) {
  auto owner = PosixSlotAllocator::create(dir_.flink("a"), 4, 64);
  ASSERT_TRUE(owner);
  const std::string flink = dir_.flink("a");
  // The flink file is 0600: the other user cannot even learn the segment's name.
  EXPECT_EQ(as_nobody([&] {
              auto r = PosixSlotAllocator::attach(flink);
              return !r && r.error().code == PosixErrorCode::Shm && r.error().sys_errno == EACCES ? kOk : kFirstCheck;
            }),
            kOk);
  // Even with a readable flink file the 0600 segment stays closed.
  ASSERT_EQ(::chmod(flink.c_str(), 0644), 0);
  EXPECT_EQ(as_nobody([&] {
              auto r = PosixSlotAllocator::attach(flink);
              return !r && r.error().code == PosixErrorCode::Shm && r.error().sys_errno == EACCES ? kOk : kFirstCheck;
            }),
            kOk);
  // Nor can the other user open the object directly.
  const std::string shm_path = "/dev/shm" + owner->shm_name();
  EXPECT_EQ(as_nobody([&] {
              const int fd = ::open(shm_path.c_str(), O_RDONLY);
              if (fd >= 0) ::close(fd);
              return fd < 0 && errno == EACCES ? kOk : kFirstCheck;
            }),
            kOk);
  // The owner's segment is untouched by all of this.
  auto h = owner->reserve_slot(1);
  ASSERT_TRUE(h);
  EXPECT_TRUE(owner->commit_slot(*h, std::as_bytes(std::span("x", 1))));
}

TEST_F(PosixUnprivileged, AnotherUserCannotTakeOverALiveFlinkPath) {
  auto owner = PosixSlotAllocator::create(dir_.flink("a"), 4, 64);
  ASSERT_TRUE(owner);
  const std::string flink = dir_.flink("a");
  ASSERT_EQ(::chmod(flink.c_str(), 0644), 0);
  // create at the same path must fail (live owner, or no right to replace root's file in a sticky
  // directory), and leave root's flink file and segment as they were.
  EXPECT_EQ(as_nobody([&] { return PosixSlotAllocator::create(flink, 4, 64) ? kFirstCheck : kOk; }), kOk);
  auto again = PosixSlotAllocator::attach(flink);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->shm_name(), owner->shm_name());
}

TEST_F(PosixUnprivileged, SegmentOfAnotherUserNeedsOptIn) {
  const std::string flink = dir_.flink("b");
  int ready[2];
  int done[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(done), 0);
  ChildProcess child([&] {
    if (!become(kNobody)) return int{kDropFailed};
    // Group/other-readable, so that only the ownership check can refuse root below.
    CreateOptions options;
    options.mode = 0644;
    auto seg = PosixSlotAllocator::create(flink, 4, 64, options);
    if (!seg) return int{kFirstCheck};
    const char byte = 1;
    if (::write(ready[1], &byte, 1) != 1) return int{kFirstCheck + 1};
    char ignored = 0;
    (void)::read(done[0], &ignored, 1);  // stay the owner until root has looked
    return int{kOk};
  });
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the unprivileged owner did not create its segment";

  auto refused = PosixSlotAllocator::attach(flink);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, PosixErrorCode::ForeignOwner) << refused.error().message();
  AttachOptions allow;
  allow.allow_foreign_owner = true;
  EXPECT_TRUE(PosixSlotAllocator::attach(flink, allow));

  ASSERT_EQ(::write(done[1], &byte, 1), 1);
  EXPECT_EQ(child.wait(kChildWatchdog), std::optional<int>{kOk});
  for (int fd : {ready[0], ready[1], done[0], done[1]}) ::close(fd);
  // The unprivileged owner cleaned up after itself.
  EXPECT_FALSE(std::filesystem::exists(flink));
}

}  // namespace
}  // namespace shmslot::test
