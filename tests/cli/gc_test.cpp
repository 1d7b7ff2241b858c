// collect_garbage (shmslot/gc.hpp), the library function behind `shmslot gc`: what it removes, and
// everything it must never touch. The collections are scoped to the test's own flink directory
// (only_named), because other tests running at the same time leave dead owners' segments in
// /dev/shm on purpose; the unscoped scan is exercised as a dry run only.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <shmslot/gc.hpp>
#include <shmslot/posix_slot_allocator.hpp>

#include "cli_process.hpp"
#include "leftovers.hpp"
#include "support/skip_or_fail.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

GcOptions scoped(const TempFlinkDir& dir, bool dry_run) {
  GcOptions o;
  o.dry_run = dry_run;
  o.flink_dir = dir.path();
  o.only_named = true;
  return o;
}

const GcEntry* find_entry(const std::vector<GcEntry>& entries, const std::string& path) {
  const auto it = std::find_if(entries.begin(), entries.end(), [&](const GcEntry& e) { return e.path == path; });
  return it == entries.end() ? nullptr : &*it;
}

void write_text(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

// A create killed after creating its object and before formatting it leaves a draft flink file
// naming an object that carries no shmslot flag: gc recognises it by the draft (its creator is gone,
// its lock is free) and removes both.
TEST(Gc, DraftOfACreateThatDiedIsRemovedWithItsObject) {
  TempFlinkDir dir;
  const std::string orphan = "/shmem_0DDBA12" + std::to_string(::getpid());
  const int fd = ::shm_open(orphan.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  ::close(fd);
  pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ASSERT_GT(gone, 0);
  ASSERT_EQ(::waitpid(gone, nullptr, 0), gone);
  const std::string draft = dir.flink("x") + "." + std::to_string(gone) + ".abc.tmp";
  write_text(draft, orphan);

  auto removed = collect_garbage(scoped(dir, false));
  ASSERT_TRUE(removed) << removed.error().message();
  const GcEntry* seg = find_entry(removed->entries, "/dev/shm" + orphan);
  const GcEntry* file = find_entry(removed->entries, draft);
  ASSERT_NE(seg, nullptr);
  ASSERT_NE(file, nullptr);
  EXPECT_TRUE(seg->removed) << seg->error;
  EXPECT_TRUE(file->removed) << file->error;
  EXPECT_FALSE(shm_exists(orphan));
  EXPECT_FALSE(file_exists(draft));
  ::shm_unlink(orphan.c_str());  // in case the checks above failed
}

TEST(Gc, DryRunListsADeadOwnersSegmentAndFlinkAndRemovesNothing) {
  TempFlinkDir dir;
  ShmCleanup cleanup;
  const std::string name = cleanup.add(killed_shmslot_owner(dir.flink("dead")));
  ASSERT_FALSE(name.empty());
  auto entries = collect_garbage(scoped(dir, true));
  ASSERT_TRUE(entries) << entries.error().message();
  ASSERT_EQ(entries->entries.size(), 2U);
  const GcEntry* seg = find_entry(entries->entries, "/dev/shm" + name);
  const GcEntry* flink = find_entry(entries->entries, dir.flink("dead"));
  ASSERT_NE(seg, nullptr);
  ASSERT_NE(flink, nullptr);
  EXPECT_EQ(seg->kind, GcKind::Segment);
  EXPECT_EQ(flink->kind, GcKind::Flink);
  EXPECT_NE(seg->reason.find("dead owner"), std::string::npos) << seg->reason;
  EXPECT_FALSE(seg->removed);
  EXPECT_FALSE(flink->removed);
  EXPECT_TRUE(shm_exists(name));
  EXPECT_TRUE(file_exists(dir.flink("dead")));
  // Segments come first.
  EXPECT_EQ(&entries->entries.front(), seg);

  auto removed = collect_garbage(scoped(dir, false));
  ASSERT_TRUE(removed) << removed.error().message();
  ASSERT_EQ(removed->entries.size(), 2U);
  for (const GcEntry& e : removed->entries) EXPECT_TRUE(e.removed) << e.path << ": " << e.error;
  EXPECT_FALSE(shm_exists(name));
  EXPECT_FALSE(file_exists(dir.flink("dead")));

  auto again = collect_garbage(scoped(dir, false));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->entries.empty());
}

TEST(Gc, TheUnscopedDryRunFindsTheLeftoverToo) {
  TempFlinkDir dir;
  ShmCleanup cleanup;
  const std::string name = cleanup.add(killed_shmslot_owner(dir.flink("dead")));
  ASSERT_FALSE(name.empty());
  auto live = PosixSlotAllocator::create(dir.flink("live"), 2, 32);
  ASSERT_TRUE(live) << live.error().message();
  GcOptions o;
  o.dry_run = true;
  o.flink_dir = dir.path();
  auto entries = collect_garbage(o);
  ASSERT_TRUE(entries) << entries.error().message();
  EXPECT_NE(find_entry(entries->entries, "/dev/shm" + name), nullptr);
  EXPECT_NE(find_entry(entries->entries, dir.flink("dead")), nullptr);
  EXPECT_EQ(find_entry(entries->entries, "/dev/shm" + live->shm_name()), nullptr);
  EXPECT_EQ(find_entry(entries->entries, dir.flink("live")), nullptr);
  EXPECT_TRUE(shm_exists(name));
  ASSERT_TRUE(collect_garbage(scoped(dir, false)));
  EXPECT_FALSE(shm_exists(name));
}

TEST(Gc, ALiveOwnersSegmentIsKept) {
  TempFlinkDir dir;
  auto live = PosixSlotAllocator::create(dir.flink("live"), 2, 32);
  ASSERT_TRUE(live) << live.error().message();
  auto entries = collect_garbage(scoped(dir, false));
  ASSERT_TRUE(entries) << entries.error().message();
  EXPECT_TRUE(entries->entries.empty());
  EXPECT_TRUE(shm_exists(live->shm_name()));
  EXPECT_TRUE(PosixSlotAllocator::attach(dir.flink("live")));
}

TEST(Gc, AZeroDdsSegmentIsNeverTouchedEvenWhenItsCreatorIsDead) {
  TempFlinkDir dir;
  ShmCleanup cleanup;
  const std::string name = cleanup.add(killed_zerodds_owner(dir.flink("zerodds")));
  ASSERT_FALSE(name.empty());
  auto entries = collect_garbage(scoped(dir, false));
  ASSERT_TRUE(entries) << entries.error().message();
  EXPECT_TRUE(entries->entries.empty());
  EXPECT_TRUE(shm_exists(name));
  EXPECT_EQ(slurp(dir.flink("zerodds")), name);
}

TEST(Gc, ADanglingFlinkIsRemoved) {
  TempFlinkDir dir;
  write_text(dir.flink("dangling"), "/shmem_DEADBEEF0BADF00D");
  auto entries = collect_garbage(scoped(dir, false));
  ASSERT_TRUE(entries) << entries.error().message();
  ASSERT_EQ(entries->entries.size(), 1U);
  EXPECT_EQ(entries->entries.front().kind, GcKind::Flink);
  EXPECT_NE(entries->entries.front().reason.find("dangling"), std::string::npos) << entries->entries.front().reason;
  EXPECT_TRUE(entries->entries.front().removed);
  EXPECT_FALSE(file_exists(dir.flink("dangling")));
}

TEST(Gc, FreshFilesThatHoldNoSegmentNameAreNotTouched) {
  TempFlinkDir dir;
  write_text(dir.flink("text"), "important data\n");
  write_text(dir.flink("empty"), "");  // a ZeroDDS owner between creating the file and writing it
  write_text(dir.flink("slash"), "/shmem_../../etc");
  ASSERT_EQ(::symlink("/shmem_DEADBEEF0BADF00D", dir.flink("symlink").c_str()), 0);
  ASSERT_EQ(::mkdir(dir.flink("directory").c_str(), 0700), 0);
  auto entries = collect_garbage(scoped(dir, false));
  ASSERT_TRUE(entries) << entries.error().message();
  EXPECT_TRUE(entries->entries.empty());
  for (const char* n : {"text", "empty", "slash", "symlink", "directory"}) {
    EXPECT_TRUE(file_exists(dir.flink(n))) << n;
  }
}

// A file without a segment name blocks a create at its path; left unchanged for the age limit,
// unlocked, small and ours, it is removed. Anything else of that kind stays.
TEST(Gc, AbandonedFilesThatHoldNoSegmentNameAreRemoved) {
  TempFlinkDir dir;
  write_text(dir.flink("text"), "not a segment name\n");
  write_text(dir.flink("empty"), "");
  write_text(dir.flink("slash"), "/shmem_../../etc");
  write_text(dir.flink("large"), std::string(300, 'x'));  // longer than any flink file
  write_text(dir.flink("locked"), "");
  write_text(dir.flink("young"), "");
  ASSERT_EQ(::symlink("nowhere", dir.flink("symlink").c_str()), 0);
  for (const char* n : {"text", "empty", "slash", "large", "locked"}) {
    ASSERT_TRUE(age_file(dir.flink(n), static_cast<int>(kGcNamelessFlinkAge.count()) + 5)) << n;
  }
  ASSERT_TRUE(age_file(dir.flink("young"), static_cast<int>(kGcNamelessFlinkAge.count()) - 20));
  const int held = ::open(dir.flink("locked").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);

  auto dry = collect_garbage(scoped(dir, true));
  ASSERT_TRUE(dry) << dry.error().message();
  EXPECT_EQ(dry->entries.size(), 3U);
  for (const char* n : {"text", "empty", "slash"}) {
    const GcEntry* e = find_entry(dry->entries, dir.flink(n));
    ASSERT_NE(e, nullptr) << n;
    EXPECT_EQ(e->kind, GcKind::Flink);
    EXPECT_NE(e->reason.find("names no segment"), std::string::npos) << e->reason;
    EXPECT_FALSE(e->removed);
    EXPECT_TRUE(file_exists(dir.flink(n)));
  }
  auto removed = collect_garbage(scoped(dir, false));
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_EQ(removed->entries.size(), 3U);
  for (const char* n : {"text", "empty", "slash"}) EXPECT_FALSE(file_exists(dir.flink(n))) << n;
  for (const char* n : {"large", "locked", "young", "symlink"}) EXPECT_TRUE(file_exists(dir.flink(n))) << n;
  ::close(held);
}

TEST(Gc, AFlinkWhoseLockIsHeldKeepsItsSegment) {
  // The recorded owner pid is dead, but somebody holds the flink file's lock (an owner whose pid
  // the record cannot tell, e.g. from another pid namespace): nothing is removed.
  TempFlinkDir dir;
  ShmCleanup cleanup;
  const std::string name = cleanup.add(killed_shmslot_owner(dir.flink("locked")));
  ASSERT_FALSE(name.empty());
  const int fd = ::open(dir.flink("locked").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  auto entries = collect_garbage(scoped(dir, false));
  ASSERT_TRUE(entries) << entries.error().message();
  EXPECT_TRUE(entries->entries.empty());
  EXPECT_TRUE(shm_exists(name));
  ::close(fd);
  auto after = collect_garbage(scoped(dir, false));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->entries.size(), 2U);
  EXPECT_FALSE(shm_exists(name));
}

TEST(Gc, RootRemovesAnotherUsersDeadObjects) {
  // Root may remove any file of a sticky directory, so another user's dead leftovers go too (the
  // unprivileged user's view, which must keep them, is in tests/posix/unprivileged_test.cpp).
  if (::geteuid() != 0) SHMSLOT_SKIP_OR_FAIL_IN_CI("needs root to give files to another uid");
  constexpr uid_t kNobody = 65534;
  TempFlinkDir dir;
  // A dead owner's segment that belongs to another uid, named by a flink file of ours.
  ShmCleanup cleanup;
  const std::string name = cleanup.add(killed_shmslot_owner(dir.flink("foreign-segment")));
  ASSERT_FALSE(name.empty());
  const int seg = ::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
  ASSERT_GE(seg, 0);
  ASSERT_EQ(::fchown(seg, kNobody, kNobody), 0);
  ::close(seg);
  // A dangling flink file of another uid.
  write_text(dir.flink("foreign-flink"), "/shmem_DEADBEEF0BADF00D");
  ASSERT_EQ(::chown(dir.flink("foreign-flink").c_str(), kNobody, kNobody), 0);

  auto report = collect_garbage(scoped(dir, false));
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_TRUE(report->kept.empty());
  EXPECT_EQ(report->entries.size(), 3U);
  for (const GcEntry& e : report->entries) EXPECT_TRUE(e.removed) << e.path << ": " << e.error;
  EXPECT_NE(find_entry(report->entries, "/dev/shm" + name), nullptr);
  EXPECT_FALSE(shm_exists(name));
  EXPECT_FALSE(file_exists(dir.flink("foreign-segment")));
  EXPECT_FALSE(file_exists(dir.flink("foreign-flink")));
}

TEST(Gc, AMissingFlinkDirectoryIsEmpty) {
  TempFlinkDir dir;
  GcOptions o = scoped(dir, false);
  o.flink_dir = dir.path() + "/does-not-exist";
  auto entries = collect_garbage(o);
  ASSERT_TRUE(entries) << entries.error().message();
  EXPECT_TRUE(entries->entries.empty());
}

TEST(Gc, AFlinkDirectoryThatIsAFileIsAnError) {
  TempFlinkDir dir;
  write_text(dir.flink("file"), "x");
  GcOptions o = scoped(dir, false);
  o.flink_dir = dir.flink("file");
  auto entries = collect_garbage(o);
  ASSERT_FALSE(entries);
  EXPECT_EQ(entries.error().code, PosixErrorCode::Shm);
  EXPECT_EQ(entries.error().sys_errno, ENOTDIR);
}

}  // namespace
}  // namespace shmslot::test
