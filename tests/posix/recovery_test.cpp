// create on a path someone else used: recover from a dead owner, refuse a live or unknown one.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "raw_segment.hpp"
#include "shmslot/shmslot.hpp"
#include "support/child_process.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

using namespace std::chrono_literals;

// Forks a child that creates a segment at `flink`, reports readiness through a pipe, and then
// sleeps until killed. Returns the child and the shm name it created.
std::pair<ChildProcess, std::string> owner_child(const std::string& flink) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  ChildProcess child([&]() -> int {
    ::close(fds[0]);
    auto owner = PosixSlotAllocator::create(flink, 4, 64);
    if (!owner) return 3;
    const std::string name = owner->shm_name();
    if (::write(fds[1], name.data(), name.size()) != static_cast<ssize_t>(name.size())) return 4;
    ::close(fds[1]);
    for (;;) ::pause();
  });
  ::close(fds[1]);
  char buf[64] = {};
  const ssize_t n = ::read(fds[0], buf, sizeof buf);
  ::close(fds[0]);
  return {std::move(child), std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0)};
}

TEST(PosixRecovery, CreateRecoversFromAKilledOwner) {
  TempFlinkDir dir;
  auto [child, old_name] = owner_child(dir.flink("a"));
  ASSERT_FALSE(old_name.empty());
  child.kill(SIGKILL);
  ASSERT_TRUE(child.wait(30s).has_value());
  ASSERT_TRUE(std::filesystem::exists(dir.flink("a")));
  ASSERT_TRUE(std::filesystem::exists("/dev/shm" + old_name));

  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  EXPECT_NE(owner->shm_name(), old_name);
  EXPECT_FALSE(std::filesystem::exists("/dev/shm" + old_name)) << "the dead owner's segment was left behind";
  EXPECT_EQ(read_file(dir.flink("a")), owner->shm_name());
}

TEST(PosixRecovery, CreateRefusesALiveOwner) {
  TempFlinkDir dir;
  auto [child, name] = owner_child(dir.flink("a"));
  ASSERT_FALSE(name.empty());
  auto second = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, PosixErrorCode::InUse);
  EXPECT_NE(second.error().message().find("live owner"), std::string::npos) << second.error().message();
  EXPECT_EQ(read_file(dir.flink("a")), name);  // untouched
  auto consumer = PosixSlotAllocator::attach(dir.flink("a"));
  EXPECT_TRUE(consumer) << consumer.error().message();
  child.kill(SIGTERM);
  (void)child.wait(30s);
  // The killed child left its files behind; the next create cleans them up.
  auto after = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  EXPECT_TRUE(after) << after.error().message();
}

TEST(PosixRecovery, CreateRefusesALiveOwnerInThisProcess) {
  TempFlinkDir dir;
  auto first = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_TRUE(first);
  auto second = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, PosixErrorCode::InUse);
}

TEST(PosixRecovery, ACopiedFlinkNeverTakesALiveSegmentDown) {
  TempFlinkDir dir;
  auto live = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_TRUE(live);
  // A second flink file naming the live segment, but with nobody holding its lock.
  write_file(dir.flink("copy"), read_file(dir.flink("a")));
  auto r = PosixSlotAllocator::create(dir.flink("copy"), 4, 64);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, PosixErrorCode::InUse);
  EXPECT_NE(r.error().message().find("is alive"), std::string::npos) << r.error().message();
  EXPECT_TRUE(std::filesystem::exists("/dev/shm" + live->shm_name()));
  EXPECT_TRUE(PosixSlotAllocator::attach(dir.flink("a")));
  ::unlink(dir.flink("copy").c_str());
}

TEST(PosixRecovery, WorldWritableDirectoryWithoutStickyBitIsRefused) {
  TempFlinkDir dir;
  const std::string open_dir = dir.path() + "/open";
  ASSERT_EQ(::mkdir(open_dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(open_dir.c_str(), 0777), 0);
  auto r = PosixSlotAllocator::create(open_dir + "/a.flink", 4, 64);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, PosixErrorCode::Shm);
  EXPECT_NE(r.error().message().find("not sticky"), std::string::npos) << r.error().message();
  ASSERT_EQ(::chmod(open_dir.c_str(), 01777), 0);
  EXPECT_TRUE(PosixSlotAllocator::create(open_dir + "/a.flink", 4, 64));
}

// The pid of a process that has exited and been reaped.
pid_t dead_pid() {
  ChildProcess child([] { return 0; });
  const pid_t pid = child.pid();
  EXPECT_EQ(child.wait(10s), std::optional<int>{0});
  return pid;
}

// What a create killed after creating its object and before formatting it leaves: a draft flink
// file naming an object of zero bytes. The next create at the path removes both; a draft whose
// creator still runs is left alone.
TEST(PosixRecovery, CreateKilledMidwayLeavesNothingTheNextCreateKeeps) {
  TempFlinkDir dir;
  const std::string flink = dir.flink("a");
  const std::string orphan = "/shmem_0DDBA11" + std::to_string(::getpid());
  const int fd = ::shm_open(orphan.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const std::string stale_draft = flink + "." + std::to_string(dead_pid()) + ".1f2e3d.tmp";
  write_file(stale_draft, orphan);
  const std::string live_draft = flink + "." + std::to_string(::getpid()) + ".4c5b6a.tmp";
  write_file(live_draft, "/shmem_0DDBA11CAFE");

  auto owner = PosixSlotAllocator::create(flink, 4, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  EXPECT_FALSE(std::filesystem::exists("/dev/shm" + orphan)) << "the object of a dead create is left";
  EXPECT_FALSE(std::filesystem::exists(stale_draft));
  EXPECT_TRUE(std::filesystem::exists(live_draft)) << "a draft of a running process was removed";
  std::filesystem::remove(live_draft);
  ::shm_unlink(orphan.c_str());  // in case the check above failed
}

// An owner killed inside its destructor, between removing its segment and its flink file, leaves a
// flink file naming nothing; the next create replaces it.
TEST(PosixRecovery, DanglingFlinkIsReplaced) {
  TempFlinkDir dir;
  write_file(dir.flink("a"), "/shmem_DEADBEEF0BADF00D");
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  EXPECT_EQ(read_file(dir.flink("a")), owner->shm_name());
}

TEST(PosixRecovery, FlinkOfAForeignSegmentIsNeverRemoved) {
  TempFlinkDir dir;
  // A segment as ZeroDDS makes it: V3 header, no shmslot extension, no lock on its flink file.
  const std::string name = "/shmem_5A5A5A5A" + std::to_string(::getpid());
  const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 0x20 + 2 * 128), 0);
  ::close(fd);
  {
    RawSegment raw(name);
    raw.set_u32(0x00, 0x5A445353);
    raw.set_u32(0x04, 2);
    raw.set_u32(0x08, 128);
  }
  write_file(dir.flink("a"), name);
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_FALSE(owner);
  EXPECT_EQ(owner.error().code, PosixErrorCode::InUse);
  EXPECT_TRUE(std::filesystem::exists("/dev/shm" + name));
  EXPECT_EQ(read_file(dir.flink("a")), name);
  ::shm_unlink(name.c_str());
}

TEST(PosixRecovery, AFileThatIsNotAFlinkIsNeverRemoved) {
  TempFlinkDir dir;
  write_file(dir.flink("a"), "important data\n");
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_FALSE(owner);
  EXPECT_EQ(owner.error().code, PosixErrorCode::BadFlink);
  EXPECT_EQ(read_file(dir.flink("a")), "important data\n");
}

TEST(PosixRecovery, SymlinkedFlinkPathIsRefused) {
  TempFlinkDir dir;
  auto target = PosixSlotAllocator::create(dir.flink("real"), 4, 64);
  ASSERT_TRUE(target);
  ASSERT_EQ(::symlink(dir.flink("real").c_str(), dir.flink("link").c_str()), 0);
  auto attached = PosixSlotAllocator::attach(dir.flink("link"));
  ASSERT_FALSE(attached);
  EXPECT_EQ(attached.error().code, PosixErrorCode::BadFlink);
  auto created = PosixSlotAllocator::create(dir.flink("link"), 4, 64);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, PosixErrorCode::BadFlink);
  EXPECT_TRUE(std::filesystem::is_symlink(dir.flink("link")));
  ::unlink(dir.flink("link").c_str());
}

}  // namespace
}  // namespace shmslot::test
