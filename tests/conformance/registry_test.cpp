// The reader registry on every backend (docs/recovery.md).
#include "backend_fixture.hpp"

namespace shmslot::test {
namespace {

template <class Kind>
using Registry = BackendTest<Kind>;
TYPED_TEST_SUITE(Registry, BackendKinds, KindNames);

TYPED_TEST(Registry, RegistrationHandsOutDistinctIndicesUntilAllAreTaken) {
  this->make(4, 64);
  for (std::uint32_t r = 0; r < kMaxReaders; ++r) {
    auto index = this->reader().register_reader();
    ASSERT_TRUE(index) << r;
    EXPECT_EQ(*index, r);
  }
  EXPECT_EQ(this->reader().registered_readers(), 0xFFFFFFFFU);
  EXPECT_EQ(this->reader().register_reader().error().code, SlotErrorCode::NoFreeReader);
  ASSERT_TRUE(this->reader().unregister_reader(7));
  EXPECT_EQ(this->reader().registered_readers(), ~(1U << 7));
  EXPECT_EQ(this->reader().register_reader().value(), 7U);
}

TYPED_TEST(Registry, AnIndexUsedWithoutRegisteringIsRecorded) {
  this->make(4, 64);
  ASSERT_TRUE(this->reader().next_unread_slot(0));  // the ZeroDDS way: just use index 0
  auto stats = this->reader().reader_stats(0);
  ASSERT_TRUE(stats);
  EXPECT_TRUE(stats->registered);
  EXPECT_EQ(this->reader().register_reader().value(), 1U);  // never handed out twice
  EXPECT_EQ(this->reader().register_reader(0).value(), 0U);  // explicit, by the same process: fine
  EXPECT_EQ(this->reader().register_reader(32).error().code, SlotErrorCode::ReaderIndexOutOfRange);
}

TYPED_TEST(Registry, ARegisteredReaderReadsFromNowOn) {
  this->make(4, 64);
  this->publish(bytes_of({1}), 0);
  const auto r = this->reader().register_reader().value();
  EXPECT_FALSE(this->reader().next_unread_slot(r).value());
  this->publish(bytes_of({2}), 0);
  auto h = this->reader().next_unread_slot(r);
  ASSERT_TRUE(h && *h);
  EXPECT_EQ(this->reader().read_slot(**h)->bytes, bytes_of({2}));
}

TYPED_TEST(Registry, RegistryMaskKeepsSamplesUntilRegisteredReadersRead) {
  this->make(1, 64);
  const auto r = this->reader().register_reader().value();
  const ReaderMask active = this->writer().registered_readers();
  EXPECT_EQ(active, 1U << r);
  this->publish(bytes_of({5}), active);
  EXPECT_EQ(this->writer().reserve_slot(this->writer().registered_readers()).error().code, SlotErrorCode::NoFreeSlot);
  auto h = this->reader().next_unread_slot(r);
  ASSERT_TRUE(h && *h);
  ASSERT_TRUE(this->reader().mark_read(**h, r));
  EXPECT_TRUE(this->writer().reserve_slot(this->writer().registered_readers()));
}

TYPED_TEST(Registry, UnregisteringStopsBlockingTheWriter) {
  this->make(1, 64);
  const auto r = this->reader().register_reader().value();
  this->publish(bytes_of({5}), 1U << r);
  EXPECT_FALSE(this->writer().reserve_slot(1U << r));
  ASSERT_TRUE(this->reader().unregister_reader(r));
  EXPECT_FALSE(this->reader().reader_stats(r)->registered);
  // A writer following the registry stops waiting at once; one with an explicit mask still waits
  // until told, as with ZeroDDS.
  EXPECT_EQ(this->writer().reserve_slot(1U << r).error().code, SlotErrorCode::NoFreeSlot);
  EXPECT_TRUE(this->writer().reserve_slot(this->writer().registered_readers()));
}

TYPED_TEST(Registry, AnExplicitIndexResumesWhereItsLastUserStopped) {
  if constexpr (std::is_same_v<TypeParam, PosixAttachedKind>) {
    this->make(4, 64);
    for (int k = 0; k < 3; ++k) this->publish(bytes_of({k}), 0b100);
    auto h = this->reader().next_unread_slot(2);
    ASSERT_TRUE(h && *h);
    ASSERT_TRUE(this->reader().mark_read(**h, 2));
    this->reader_.reset();  // the reading process leaves
    auto again = PosixSlotAllocator::attach(this->dir_.flink("seg"));
    ASSERT_TRUE(again);
    auto next = again->next_unread_slot(2);
    ASSERT_TRUE(next && *next);
    EXPECT_EQ(again->read_slot(**next)->bytes, bytes_of({1}));
  } else {
    GTEST_SKIP() << "needs a separate attachment";
  }
}

TYPED_TEST(Registry, EvictionsAreCountedForTheReaderThatLostThem) {
  this->make(2, 64);
  const auto slow = this->reader().register_reader().value();
  const auto fast = this->reader().register_reader().value();
  const ReaderMask active = (1U << slow) | (1U << fast);
  this->publish(bytes_of({1}), active);
  auto h = this->reader().next_unread_slot(fast);
  ASSERT_TRUE(h && *h);
  ASSERT_TRUE(this->reader().mark_read(**h, fast));
  ASSERT_EQ(this->writer().evict_stale(std::chrono::nanoseconds(0), active).value(), 1U);
  EXPECT_EQ(this->reader().reader_stats(slow)->evictions, 1U);
  EXPECT_EQ(this->reader().reader_stats(fast)->evictions, 0U);
  EXPECT_FALSE(this->reader().next_unread_slot(slow).value());  // the evicted sample is gone for it
}

TYPED_TEST(Registry, APassedSampleNoLongerBlocks) {
  // A reader whose cursor moved past a sample (here: disconnect) has read it, bit or no bit.
  this->make(1, 64);
  this->publish(bytes_of({1}), 0b100);
  EXPECT_FALSE(this->writer().reserve_slot(0b100));
  ASSERT_TRUE(this->reader().mark_reader_disconnected(2));
  EXPECT_TRUE(this->writer().reserve_slot(0b100));
}

}  // namespace
}  // namespace shmslot::test
