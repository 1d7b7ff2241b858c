// Reaping what a dead process left in a live segment: its reader entry and its loans.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "shmslot/shmslot.hpp"
#include "support/child_process.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

using namespace std::chrono_literals;

TEST(PosixReap, ADeadReaderIsDisconnectedAndItsIndexFreed) {
  TempFlinkDir dir;
  CreateOptions options;
  options.lease = 20ms;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 2, 64, options);
  ASSERT_TRUE(owner);
  // The child registers, then dies without running any destructor (ChildProcess uses _exit).
  ChildProcess child([&]() -> int {
    auto consumer = PosixSlotAllocator::attach(dir.flink("a"));
    if (!consumer) return 2;
    auto r = consumer->register_reader();
    ::_exit(r && *r == 0 ? 0 : 3);  // dies here: no destructor releases the registration
  });
  ASSERT_EQ(child.wait(60s), 0);
  EXPECT_EQ(owner->registered_readers(), 0b1U);
  // The dead reader holds both slots.
  for (int i = 0; i < 2; ++i) {
    auto h = owner->reserve_slot(owner->registered_readers());
    ASSERT_TRUE(h);
    ASSERT_TRUE(owner->commit_slot(*h, std::vector<std::byte>(4)));
  }
  // reserve_slot reaps by itself once half a lease has passed since the last reap.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  tl::expected<SlotHandle, SlotError> h = tl::unexpected(SlotError::of(SlotErrorCode::NoFreeSlot));
  while (!h && std::chrono::steady_clock::now() < deadline) {
    h = owner->reserve_slot(0b1);
    if (!h) std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(h) << "the dead reader still blocks the writer";
  EXPECT_EQ(owner->registered_readers(), 0U);
  EXPECT_FALSE(owner->reader_stats(0)->registered);
  EXPECT_EQ(owner->register_reader().value(), 0U);  // the index is free again
}

TEST(PosixReap, APausedReaderIsNotReaped) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 2, 64);
  ASSERT_TRUE(owner);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  ChildProcess child([&]() -> int {
    auto consumer = PosixSlotAllocator::attach(dir.flink("a"));
    if (!consumer || !consumer->register_reader()) return 2;
    char c = 'r';
    if (::write(ready[1], &c, 1) != 1) return 3;
    for (;;) ::pause();
  });
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  child.kill(SIGSTOP);
  EXPECT_EQ(owner->reap(), 0U);
  EXPECT_EQ(owner->registered_readers(), 0b1U);
  child.kill(SIGKILL);
  ASSERT_TRUE(child.wait(60s).has_value());
  EXPECT_EQ(owner->reap(), 1U);
  EXPECT_EQ(owner->registered_readers(), 0U);
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(PosixReap, ADeadWritersLoanIsReclaimedAndNeverPublished) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 1, 64);
  ASSERT_TRUE(owner);
  ChildProcess child([&]() -> int {
    auto writer = PosixSlotAllocator::attach(dir.flink("a"));
    if (!writer) return 2;
    auto h = writer->reserve_slot(0);
    if (!h) return 3;
    auto data = writer->slot_data_ptr(*h);
    if (!data) return 4;
    std::memset(data->data(), 0xAB, 32);  // half a sample, then death
    ::_exit(0);
  });
  ASSERT_EQ(child.wait(60s), 0);
  EXPECT_EQ(owner->snapshot().slots[0].state, SlotState::Writing);
  EXPECT_FALSE(owner->next_unread_slot(0).value());  // the half-written sample is invisible
  EXPECT_EQ(owner->reap(), 1U);
  EXPECT_EQ(owner->snapshot().slots[0].state, SlotState::Empty);
  EXPECT_FALSE(owner->next_unread_slot(0).value());
  auto h = owner->reserve_slot(0);
  ASSERT_TRUE(h);
  ASSERT_TRUE(owner->commit_slot(*h, std::vector<std::byte>(3, std::byte{1})));
  auto next = owner->next_unread_slot(0);
  ASSERT_TRUE(next && *next);
  EXPECT_EQ(owner->read_slot(**next)->bytes, std::vector<std::byte>(3, std::byte{1}));
}

TEST(PosixReap, ReadersLearnThatTheOwnerIsGone) {
  TempFlinkDir dir;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  ChildProcess child([&]() -> int {
    auto owner = PosixSlotAllocator::create(dir.flink("a"), 2, 64);
    if (!owner) return 2;
    char c = 'r';
    if (::write(ready[1], &c, 1) != 1) return 3;
    for (;;) ::pause();
  });
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  auto consumer = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_TRUE(consumer);
  EXPECT_TRUE(consumer->owner_alive());
  child.kill(SIGKILL);
  ASSERT_TRUE(child.wait(60s).has_value());
  EXPECT_FALSE(consumer->owner_alive());
  // A new owner on the same path starts cleanly.
  auto fresh = PosixSlotAllocator::create(dir.flink("a"), 2, 64);
  ASSERT_TRUE(fresh) << fresh.error().message();
  EXPECT_TRUE(fresh->owner_alive());
  ::close(ready[0]);
  ::close(ready[1]);
}

}  // namespace
}  // namespace shmslot::test
