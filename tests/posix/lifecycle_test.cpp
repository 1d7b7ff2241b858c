// POSIX segments: create, attach, names, permissions, teardown.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <type_traits>

#include "raw_segment.hpp"
#include "shmslot/shmslot.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::string dev_shm(const std::string& shm_name) { return "/dev/shm" + shm_name; }

TEST(PosixLifecycle, CreateAttachRoundtrip) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  auto consumer = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_TRUE(consumer) << consumer.error().message();
  EXPECT_EQ(owner->slot_count().value(), 4U);
  EXPECT_EQ(consumer->slot_count().value(), 4U);
  EXPECT_EQ(owner->slot_total_size(), 128U);
  EXPECT_EQ(consumer->slot_total_size(), 128U);
  EXPECT_EQ(consumer->slot_capacity(), 64U);  // the true capacity, not total - 16
  EXPECT_TRUE(owner->is_owner());
  EXPECT_FALSE(consumer->is_owner());
  EXPECT_TRUE(consumer->has_extension());
  EXPECT_EQ(consumer->shm_name(), owner->shm_name());
  EXPECT_EQ(owner->segment_path(), dir.flink("a"));
}

TEST(PosixLifecycle, WriteReadThroughShm) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_TRUE(owner);
  auto consumer = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_TRUE(consumer);
  auto h = owner->reserve_slot(1);
  ASSERT_TRUE(h);
  const std::vector<std::byte> bytes{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
  ASSERT_TRUE(owner->commit_slot(*h, bytes));
  auto r = consumer->read_slot(*h);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header.sample_size, 4U);
  EXPECT_EQ(r->bytes, bytes);
}

TEST(PosixLifecycle, ConsumerMayWriteIntoAnotherProcessSegment) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_TRUE(owner);
  auto tool = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_TRUE(tool);
  auto h = tool->reserve_slot(0);
  ASSERT_TRUE(h);
  ASSERT_TRUE(tool->commit_slot(*h, std::vector<std::byte>(5, std::byte{9})));
  auto next = owner->next_unread_slot(0);
  ASSERT_TRUE(next && *next);
  EXPECT_EQ(owner->read_slot(**next)->bytes, std::vector<std::byte>(5, std::byte{9}));
}

TEST(PosixLifecycle, FlinkHoldsExactlyTheShmName) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 2, 64);
  ASSERT_TRUE(owner);
  const std::string content = read_file(dir.flink("a"));
  EXPECT_EQ(content, owner->shm_name());
  ASSERT_EQ(content.rfind("/shmem_", 0), 0U);
  const std::string hex = content.substr(7);
  EXPECT_FALSE(hex.empty());
  EXPECT_LE(hex.size(), 16U);
  EXPECT_EQ(hex.find_first_not_of("0123456789ABCDEF"), std::string::npos);
}

TEST(PosixLifecycle, SegmentAndFlinkAreOwnerOnly) {
  TempFlinkDir dir;
  const mode_t old = ::umask(0);  // a permissive umask must not widen anything
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 2, 64);
  ::umask(old);
  ASSERT_TRUE(owner);
  EXPECT_EQ(mode_of(dir.flink("a")), 0600U);
  EXPECT_EQ(mode_of(dev_shm(owner->shm_name())), 0600U);
}

TEST(PosixLifecycle, ModeOptionWidensForGroupUse) {
  TempFlinkDir dir;
  CreateOptions options;
  options.mode = 0660;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 2, 64, options);
  ASSERT_TRUE(owner) << owner.error().message();
  EXPECT_EQ(mode_of(dir.flink("a")), 0640U);  // readable by the group, never writable by others
  EXPECT_EQ(mode_of(dev_shm(owner->shm_name())), 0660U);
  options.mode = 0400;  // the owner must keep read-write
  EXPECT_EQ(PosixSlotAllocator::create(dir.flink("b"), 2, 64, options).error().code, PosixErrorCode::InvalidArgument);
  options.mode = 0700;  // no execute bits
  EXPECT_EQ(PosixSlotAllocator::create(dir.flink("b"), 2, 64, options).error().code, PosixErrorCode::InvalidArgument);
}

TEST(PosixLifecycle, MemoryIsReservedAtCreate) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 64, 4096);
  ASSERT_TRUE(owner);
  struct stat st {};
  ASSERT_EQ(::stat(dev_shm(owner->shm_name()).c_str(), &st), 0);
  EXPECT_GE(static_cast<std::uint64_t>(st.st_blocks) * 512U, static_cast<std::uint64_t>(st.st_size));
  EXPECT_GE(static_cast<std::uint64_t>(st.st_size), 0x20U + 64U * owner->slot_total_size());
}

TEST(PosixLifecycle, OwnerDestructionRemovesFlinkAndSegment) {
  TempFlinkDir dir;
  std::string name;
  {
    auto owner = PosixSlotAllocator::create(dir.flink("a"), 2, 64);
    ASSERT_TRUE(owner);
    name = owner->shm_name();
    auto consumer = PosixSlotAllocator::attach(dir.flink("a"));
    ASSERT_TRUE(consumer);
    {
      auto dropped = std::move(*consumer);  // a consumer's destruction only unmaps
    }
    EXPECT_TRUE(std::filesystem::exists(dir.flink("a")));
    EXPECT_TRUE(std::filesystem::exists(dev_shm(name)));
  }
  EXPECT_FALSE(std::filesystem::exists(dir.flink("a")));
  EXPECT_FALSE(std::filesystem::exists(dev_shm(name)));
  EXPECT_TRUE(dir.entries().empty());
}

TEST(PosixLifecycle, ConsumerKeepsWorkingAfterOwnerLeaves) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 2, 64);
  ASSERT_TRUE(owner);
  auto consumer = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_TRUE(consumer);
  auto h = owner->reserve_slot(0);
  ASSERT_TRUE(h);
  ASSERT_TRUE(owner->commit_slot(*h, std::vector<std::byte>(3, std::byte{1})));
  { auto gone = std::move(*owner); }
  auto r = consumer->read_slot(*h);  // the mapping stays valid until the consumer unmaps
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bytes.size(), 3U);
}

TEST(PosixLifecycle, MovedFromAllocatorAnswersWithAnError) {
  static_assert(!std::is_copy_constructible_v<PosixSlotAllocator>);
  static_assert(std::is_nothrow_move_constructible_v<PosixSlotAllocator>);
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 2, 64);
  ASSERT_TRUE(owner);
  PosixSlotAllocator moved = std::move(*owner);
  EXPECT_EQ(owner->reserve_slot(0).error().code, SlotErrorCode::LockPoisoned);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(moved.reserve_slot(0));
}

TEST(PosixLifecycle, MoveAssignmentTearsDownTheOldSegment) {
  TempFlinkDir dir;
  auto a = PosixSlotAllocator::create(dir.flink("a"), 2, 64);
  auto b = PosixSlotAllocator::create(dir.flink("b"), 2, 64);
  ASSERT_TRUE(a && b);
  const std::string a_name = a->shm_name();
  *a = std::move(*b);
  EXPECT_FALSE(std::filesystem::exists(dir.flink("a")));
  EXPECT_FALSE(std::filesystem::exists(dev_shm(a_name)));
  EXPECT_TRUE(std::filesystem::exists(dir.flink("b")));
  EXPECT_EQ(a->flink_path(), dir.flink("b"));
}

TEST(PosixLifecycle, BareNamesLiveInTheDefaultDirectory) {
  TempFlinkDir dir;
  const std::string sub = dir.path() + "/flinks";
  ::setenv("SHMSLOT_DIR", sub.c_str(), 1);
  EXPECT_EQ(default_flink_dir(), sub);
  EXPECT_EQ(resolve_flink_path("topic"), sub + "/topic");
  EXPECT_EQ(resolve_flink_path("./topic"), "./topic");
  {
    // A missing $SHMSLOT_DIR is refused, not created: it is most often a typo.
    auto refused = PosixSlotAllocator::create("topic", 2, 64);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().sys_errno, ENOENT);
    EXPECT_NE(refused.error().message().find("$SHMSLOT_DIR"), std::string::npos) << refused.error().message();
    EXPECT_FALSE(std::filesystem::exists(sub));
    ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
    auto owner = PosixSlotAllocator::create("topic", 2, 64);
    ASSERT_TRUE(owner) << owner.error().message();
    EXPECT_EQ(owner->flink_path(), sub + "/topic");
    EXPECT_TRUE(std::filesystem::exists(sub + "/topic"));
    EXPECT_EQ(mode_of(sub) & 07777, 0700U);  // as its user made it
    auto consumer = PosixSlotAllocator::attach("topic");
    EXPECT_TRUE(consumer) << consumer.error().message();
  }
  ::unsetenv("SHMSLOT_DIR");
  EXPECT_EQ(default_flink_dir(), "/tmp/shmslot");
}

TEST(PosixLifecycle, LocatorDescribesTheSegment) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 16, 100);
  ASSERT_TRUE(owner);
  const ShmLocator loc = owner->locator("node1.local");
  EXPECT_EQ(loc.hostname_hash, fnv1a_32("node1.local"));
  EXPECT_EQ(loc.uid, ::geteuid());
  EXPECT_EQ(loc.slot_count, 16U);
  EXPECT_EQ(loc.slot_size, 128U);
  EXPECT_EQ(loc.segment_path, dir.flink("a"));
  auto bytes = loc.to_bytes_le();
  ASSERT_TRUE(bytes);
  EXPECT_EQ(ShmLocator::from_bytes_le(*bytes).value(), loc);
  EXPECT_TRUE(is_same_host("node1.local", ::geteuid(), loc));
}

TEST(PosixLifecycle, NotifyModeIsRecordedInTheSegment) {
  TempFlinkDir dir;
  CreateOptions options;
  options.notify = NotifyMode::WakeAlways;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 2, 64, options);
  ASSERT_TRUE(owner);
  auto consumer = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_TRUE(consumer);
  EXPECT_EQ(consumer->notify_mode(), NotifyMode::WakeAlways);
  auto quiet = PosixSlotAllocator::create(dir.flink("b"), 2, 64);
  ASSERT_TRUE(quiet);
  EXPECT_EQ(quiet->notify_mode(), NotifyMode::WakeOnDemand);
}

}  // namespace
}  // namespace shmslot::test

namespace shmslot::test {
namespace {

TEST(PosixLifecycle, SnapshotShowsSlotsReadersAndOwner) {
  TempFlinkDir dir;
  CreateOptions options;
  options.notify = NotifyMode::WakeAlways;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 3, 64, options);
  ASSERT_TRUE(owner);
  auto consumer = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_TRUE(consumer);
  auto h = owner->reserve_slot(0b1);
  ASSERT_TRUE(h);
  ASSERT_TRUE(owner->commit_slot(*h, std::vector<std::byte>(5)));
  auto loan = owner->reserve_slot(0);
  ASSERT_TRUE(loan);
  auto next = consumer->next_unread_slot(2);
  ASSERT_TRUE(next && *next);
  ASSERT_TRUE(consumer->slot_read_ptr(**next, 2));
  const SegmentSnapshot s = consumer->snapshot();
  EXPECT_TRUE(s.extended);
  EXPECT_EQ(s.slot_count, 3U);
  EXPECT_EQ(s.slot_capacity, 64U);
  EXPECT_TRUE(s.wake_always);
  EXPECT_EQ(s.owner_pid, static_cast<std::uint32_t>(::getpid()));
  EXPECT_TRUE(s.owner_alive);
  EXPECT_EQ(s.next_sequence, 1U);
  ASSERT_EQ(s.slots.size(), 3U);
  EXPECT_EQ(s.slots[0].state, SlotState::Committed);
  EXPECT_EQ(s.slots[0].sample_size, 5U);
  EXPECT_EQ(s.slots[0].pinned_by, 0b100U);
  EXPECT_TRUE(s.slots[0].age.has_value());
  EXPECT_EQ(s.slots[1].state, SlotState::Writing);
  EXPECT_EQ(s.slots[2].state, SlotState::Empty);
  ASSERT_EQ(s.readers.size(), 32U);
  ASSERT_TRUE(consumer->mark_read(**next, 2));
  EXPECT_EQ(consumer->snapshot().readers[2].cursor, 1U);
  EXPECT_EQ(consumer->snapshot().slots[0].reader_mask, 0b100U);
  // The registry rides along: an explicitly registered entry names its live owner.
  auto index = consumer->register_reader(5);
  ASSERT_TRUE(index);
  const SegmentSnapshot after = owner->snapshot();
  EXPECT_TRUE(after.readers[5].registered);
  EXPECT_EQ(after.readers[5].owner_pid, static_cast<std::uint32_t>(::getpid()));
  EXPECT_TRUE(after.readers[5].owner_alive);
  EXPECT_FALSE(after.readers[6].registered);
  EXPECT_EQ(after.readers[6].owner_pid, 0U);
}

}  // namespace
}  // namespace shmslot::test
