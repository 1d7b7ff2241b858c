// The writer half of the SlotBackend contract (ZeroDDS allocator tests, ported), on every backend.
#include <chrono>

#include "backend_fixture.hpp"

namespace shmslot::test {
namespace {

template <class Kind>
using ReserveCommit = BackendTest<Kind>;
TYPED_TEST_SUITE(ReserveCommit, BackendKinds, KindNames);

TYPED_TEST(ReserveCommit, ReserveHandsOutDistinctSlotsInOrderOnAFreshSegment) {
  this->make(4, 64);
  auto a = this->writer().reserve_slot(0);
  auto b = this->writer().reserve_slot(0);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->slot_index, 0U);
  EXPECT_EQ(b->slot_index, 1U);
}

TYPED_TEST(ReserveCommit, NoFreeSlotWhenAllLoaned) {
  this->make(2, 64);
  ASSERT_TRUE(this->writer().reserve_slot(0));
  ASSERT_TRUE(this->writer().reserve_slot(0));
  auto third = this->writer().reserve_slot(0);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, SlotErrorCode::NoFreeSlot);
}

TYPED_TEST(ReserveCommit, CommitWritesBytesAndIncrementsSequence) {
  this->make(4, 64);
  auto h = this->writer().reserve_slot(0);
  ASSERT_TRUE(h);
  auto sn = this->writer().commit_slot(*h, bytes_of({1, 2, 3}));
  ASSERT_TRUE(sn);
  EXPECT_EQ(*sn, 0U);
  auto read = this->reader().read_slot(*h);
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read->header.sample_size, 3U);
  EXPECT_EQ(read->header.sequence_number, 0U);
  EXPECT_EQ(read->bytes, bytes_of({1, 2, 3}));
  EXPECT_EQ(this->publish(bytes_of({9})), 1U);
}

TYPED_TEST(ReserveCommit, InPlaceLoanWritesWithoutStagingCopy) {
  this->make(4, 64);
  auto h = this->writer().reserve_slot(0);
  ASSERT_TRUE(h);
  auto data = this->writer().slot_data_ptr(*h);
  ASSERT_TRUE(data);
  ASSERT_EQ(data->size(), 64U);
  (*data)[0] = std::byte{7};
  (*data)[1] = std::byte{8};
  (*data)[2] = std::byte{9};
  auto sn = this->writer().commit_in_place(*h, 3);
  ASSERT_TRUE(sn);
  EXPECT_EQ(*sn, 0U);
  auto read = this->reader().read_slot(*h);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->bytes, bytes_of({7, 8, 9}));
  // The loan is over: the pointer is refused now, and a new loan commits the next sequence number.
  EXPECT_EQ(this->writer().slot_data_ptr(*h).error().code, SlotErrorCode::NotLoaned);
  auto h2 = this->writer().reserve_slot(0);
  ASSERT_TRUE(h2);
  EXPECT_EQ(this->writer().commit_in_place(*h2, 0).value(), 1U);
}

TYPED_TEST(ReserveCommit, SlotDataPtrRejectsUnreservedSlot) {
  this->make(4, 64);
  auto r = this->writer().slot_data_ptr(SlotHandle{0, 0});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, SlotErrorCode::NotLoaned);
  EXPECT_EQ(this->writer().slot_data_ptr(SlotHandle{0, 4}).error().code, SlotErrorCode::OutOfBounds);
}

TYPED_TEST(ReserveCommit, TooLargeSamplesAreRefusedWithBothSizes) {
  this->make(4, 8);
  auto h = this->writer().reserve_slot(0);
  ASSERT_TRUE(h);
  auto r = this->writer().commit_slot(*h, std::vector<std::byte>(16));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), SlotError::too_large(16, 8));
  EXPECT_EQ(r.error().message(), "sample 16 byte does not fit in slot capacity 8");
  auto r2 = this->writer().commit_in_place(*h, 9);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error(), SlotError::too_large(9, 8));
  // The loan survives a refused commit.
  EXPECT_TRUE(this->writer().commit_slot(*h, std::vector<std::byte>(8)));
}

TYPED_TEST(ReserveCommit, DiscardFreesSlotForReuse) {
  this->make(1, 64);
  auto h = this->writer().reserve_slot(0);
  ASSERT_TRUE(h);
  ASSERT_TRUE(this->writer().discard_slot(*h));
  EXPECT_TRUE(this->writer().reserve_slot(0));
}

TYPED_TEST(ReserveCommit, StaleHandlesAreRefused) {
  this->make(2, 64);
  auto h = this->writer().reserve_slot(0);
  ASSERT_TRUE(h);
  ASSERT_TRUE(this->writer().commit_slot(*h, bytes_of({1})));
  EXPECT_EQ(this->writer().commit_slot(*h, bytes_of({2})).error().code, SlotErrorCode::NotLoaned);
  EXPECT_EQ(this->writer().discard_slot(*h).error().code, SlotErrorCode::NotLoaned);
  auto d = this->writer().reserve_slot(0);
  ASSERT_TRUE(d);
  // A loan is named only by its exact handle: an index alone cannot take it over.
  const SlotHandle by_index{d->segment_id, d->slot_index};
  EXPECT_EQ(this->writer().commit_slot(by_index, bytes_of({3})).error().code, SlotErrorCode::NotLoaned);
  EXPECT_EQ(this->writer().slot_data_ptr(by_index).error().code, SlotErrorCode::NotLoaned);
  ASSERT_TRUE(this->writer().discard_slot(*d));
  EXPECT_EQ(this->writer().discard_slot(*d).error().code, SlotErrorCode::NotLoaned);
}

TYPED_TEST(ReserveCommit, CommitTimeIsRecordedForTheCommittedSampleOnly) {
  this->make(1, 64);
  auto h = this->writer().reserve_slot(0);
  ASSERT_TRUE(h);
  EXPECT_FALSE(this->reader().commit_time(*h));  // a loan has no commit time yet
  const auto before = std::chrono::steady_clock::now().time_since_epoch();
  ASSERT_TRUE(this->writer().commit_slot(*h, bytes_of({1})));
  const auto at = this->reader().commit_time(*h);
  ASSERT_TRUE(at);
  // CLOCK_MONOTONIC_COARSE lags CLOCK_MONOTONIC by at most a few ticks; a second is generous.
  EXPECT_GT(*at, before - std::chrono::seconds(1));
  EXPECT_EQ(this->reader().commit_time(SlotHandle{h->segment_id, h->slot_index}), at);  // by index alone
  auto next = this->writer().reserve_slot(0);  // reuses the only slot: the old handle is stale
  ASSERT_TRUE(next);
  EXPECT_FALSE(this->reader().commit_time(*h));
  EXPECT_FALSE(this->reader().commit_time(SlotHandle{h->segment_id, 7, h->generation}));  // out of range
}

TYPED_TEST(ReserveCommit, SlotRecyclableOnlyAfterAllActiveReadersMarked) {
  this->make(1, 64);
  auto h = this->writer().reserve_slot(0b11);
  ASSERT_TRUE(h);
  ASSERT_TRUE(this->writer().commit_slot(*h, bytes_of({1})));
  EXPECT_EQ(this->writer().reserve_slot(0b11).error().code, SlotErrorCode::NoFreeSlot);
  ASSERT_TRUE(this->reader().mark_read(*h, 0));
  EXPECT_EQ(this->writer().reserve_slot(0b11).error().code, SlotErrorCode::NoFreeSlot);
  ASSERT_TRUE(this->reader().mark_read(*h, 1));
  EXPECT_TRUE(this->writer().reserve_slot(0b11));
}

TYPED_TEST(ReserveCommit, InactiveReaderBitsDoNotBlock) {
  this->make(1, 64);
  this->publish(bytes_of({1}), 0b001);
  // Reader 1 never reads, but it is not in the mask.
  auto h = this->reader().next_unread_slot(0);
  ASSERT_TRUE(h && *h);
  ASSERT_TRUE(this->reader().mark_read(**h, 0));
  EXPECT_TRUE(this->writer().reserve_slot(0b001));
}

TYPED_TEST(ReserveCommit, SlotTotalSizeIsCacheLinePadded) {
  this->make(4, 100);
  EXPECT_EQ(this->writer().slot_total_size(), 128U);
  EXPECT_EQ(this->writer().slot_capacity(), 100U);
  EXPECT_EQ(this->reader().slot_capacity(), 100U);  // the true capacity, also for a consumer
  EXPECT_EQ(this->reader().slot_count().value(), 4U);
}

TYPED_TEST(ReserveCommit, ReaderDisconnectFreesBlockedSlots) {
  this->make(1, 64);
  auto h = this->writer().reserve_slot(0b11);
  ASSERT_TRUE(h);
  ASSERT_TRUE(this->writer().commit_slot(*h, bytes_of({5})));
  ASSERT_TRUE(this->reader().mark_read(*h, 0));
  EXPECT_FALSE(this->writer().reserve_slot(0b11));
  ASSERT_TRUE(this->reader().mark_reader_disconnected(1));
  EXPECT_TRUE(this->writer().reserve_slot(0b11));
}

TYPED_TEST(ReserveCommit, ReaderIndexOf32OrMoreIsAnError) {
  this->make(2, 64);
  this->publish(bytes_of({1}));
  for (std::uint32_t bad : {32U, 33U, 255U, 0xFFFFFFFFU}) {
    EXPECT_EQ(this->reader().mark_read(SlotHandle{0, 0}, bad).error().code, SlotErrorCode::ReaderIndexOutOfRange);
    EXPECT_EQ(this->reader().next_unread_slot(bad).error().code, SlotErrorCode::ReaderIndexOutOfRange);
    EXPECT_EQ(this->reader().slot_read_ptr(SlotHandle{0, 0}, bad).error().code,
              SlotErrorCode::ReaderIndexOutOfRange);
    EXPECT_EQ(this->reader().mark_reader_disconnected(bad).error().code, SlotErrorCode::ReaderIndexOutOfRange);
  }
}

TYPED_TEST(ReserveCommit, OutOfBoundsIndicesAreErrors) {
  this->make(2, 64);
  const SlotHandle past{0, 2};
  EXPECT_EQ(this->writer().commit_slot(past, bytes_of({1})).error().code, SlotErrorCode::OutOfBounds);
  EXPECT_EQ(this->writer().discard_slot(past).error().code, SlotErrorCode::OutOfBounds);
  EXPECT_EQ(this->reader().read_slot(past).error().code, SlotErrorCode::OutOfBounds);
  EXPECT_EQ(this->reader().mark_read(past, 0).error().code, SlotErrorCode::OutOfBounds);
  EXPECT_EQ(this->reader().read_slot(SlotHandle{0, 0xFFFFFFFFU}).error().code, SlotErrorCode::OutOfBounds);
}

TYPED_TEST(ReserveCommit, ZeroLengthSamplesAreDelivered) {
  this->make(2, 64);
  this->publish({});
  auto h = this->reader().next_unread_slot(0);
  ASSERT_TRUE(h && *h);
  auto read = this->reader().read_slot(**h);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->header.sample_size, 0U);
  EXPECT_TRUE(read->bytes.empty());
  ASSERT_TRUE(this->reader().mark_read(**h, 0));
  EXPECT_FALSE(this->reader().next_unread_slot(0).value());
}

TYPED_TEST(ReserveCommit, EvictStaleFreesSlotHeldByHungReader) {
  this->make(1, 64);
  this->publish(bytes_of({1}), 0b1);
  auto kept = this->writer().evict_stale(std::chrono::hours(1), 0b1);
  ASSERT_TRUE(kept);
  EXPECT_EQ(*kept, 0U);
  EXPECT_FALSE(this->writer().reserve_slot(0b1));
  auto evicted = this->writer().evict_stale(std::chrono::nanoseconds(0), 0b1);
  ASSERT_TRUE(evicted);
  EXPECT_EQ(*evicted, 1U);
  EXPECT_TRUE(this->writer().reserve_slot(0b1));
}

TYPED_TEST(ReserveCommit, EvictStaleLeavesReadSlotsUntouched) {
  this->make(2, 64);
  this->publish(bytes_of({1}), 0b1);
  auto h = this->reader().next_unread_slot(0);
  ASSERT_TRUE(h && *h);
  ASSERT_TRUE(this->reader().mark_read(**h, 0));
  auto evicted = this->writer().evict_stale(std::chrono::nanoseconds(0), 0b1);
  ASSERT_TRUE(evicted);
  EXPECT_EQ(*evicted, 0U);
}

TYPED_TEST(ReserveCommit, TypeHashIsReportedWhenRecorded) {
  const TypeHash h{0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42};
  this->make(2, 64, h);
  ASSERT_TRUE(this->reader().type_hash());
  EXPECT_EQ(*this->reader().type_hash(), h);
  this->make(2, 64);
  EXPECT_FALSE(this->reader().type_hash());
}

}  // namespace
}  // namespace shmslot::test
