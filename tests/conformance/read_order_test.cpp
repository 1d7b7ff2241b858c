// The reader half: copying reads, sequence order, stale handles, lapped readers.
#include "backend_fixture.hpp"

namespace shmslot::test {
namespace {

template <class Kind>
using ReadOrder = BackendTest<Kind>;
TYPED_TEST_SUITE(ReadOrder, BackendKinds, KindNames);

// Takes every pending sample for `reader` through next_unread_slot + read_slot + mark_read.
template <class Fixture>
std::vector<std::uint8_t> drain(Fixture& f, std::uint32_t reader) {
  std::vector<std::uint8_t> firsts;
  for (;;) {
    auto h = f.reader().next_unread_slot(reader);
    EXPECT_TRUE(h.has_value());
    if (!h || !*h) break;
    auto read = f.reader().read_slot(**h);
    EXPECT_TRUE(read.has_value()) << (read ? "" : read.error().message());
    if (read && !read->bytes.empty()) firsts.push_back(static_cast<std::uint8_t>(read->bytes[0]));
    EXPECT_TRUE(f.reader().mark_read(**h, reader));
  }
  return firsts;
}

TYPED_TEST(ReadOrder, EmptySlotReadsAsEmptyHeader) {
  this->make(2, 64);
  auto read = this->reader().read_slot(SlotHandle{0, 1});
  ASSERT_TRUE(read);
  EXPECT_EQ(read->header.sample_size, 0U);
  EXPECT_TRUE(read->bytes.empty());
  EXPECT_FALSE(this->reader().next_unread_slot(0).value());
}

TYPED_TEST(ReadOrder, ReaderDoesNotReReadTheSameSlot) {
  this->make(4, 64);
  this->publish(bytes_of({1}), 0b1);
  EXPECT_EQ(drain(*this, 0), std::vector<std::uint8_t>{1});
  EXPECT_TRUE(drain(*this, 0).empty());
}

TYPED_TEST(ReadOrder, DeliversOldestFirstEvenWhenSlotOrderDiffers) {
  // Sample 1 goes to slot 0, sample 2 to slot 1; slot 0 is read and reused for sample 3, so slot
  // order (3, 2) differs from sequence order (2, 3).
  this->make(2, 64);
  this->publish(bytes_of({1}), 0b1);
  auto first = this->reader().next_unread_slot(0);
  ASSERT_TRUE(first && *first);
  ASSERT_TRUE(this->reader().mark_read(**first, 0));
  this->publish(bytes_of({2}), 0b1);
  this->publish(bytes_of({3}), 0b1);
  EXPECT_EQ(drain(*this, 0), (std::vector<std::uint8_t>{2, 3}));
}

TYPED_TEST(ReadOrder, EachReaderSeesEverySampleInOrder) {
  this->make(8, 64);
  for (int round = 0; round < 50; ++round) {
    for (int k = 0; k < 3; ++k) this->publish(bytes_of({round * 3 + k}), 0b11);
    auto a = drain(*this, 0);
    auto b = drain(*this, 1);
    const std::vector<std::uint8_t> want{static_cast<std::uint8_t>(round * 3), static_cast<std::uint8_t>(round * 3 + 1),
                                         static_cast<std::uint8_t>(round * 3 + 2)};
    ASSERT_EQ(a, want);
    ASSERT_EQ(b, want);
  }
}

TYPED_TEST(ReadOrder, HandleOfAReusedSlotIsOverwritten) {
  this->make(1, 64);
  this->publish(bytes_of({1}));  // mask 0: nobody blocks reuse
  auto h = this->reader().next_unread_slot(0);
  ASSERT_TRUE(h && *h);
  this->publish(bytes_of({2}));
  auto stale = this->reader().read_slot(**h);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, SlotErrorCode::Overwritten);
  // Marking the stale handle must not mark the new sample read.
  ASSERT_TRUE(this->reader().mark_read(**h, 0));
  EXPECT_EQ(drain(*this, 0), std::vector<std::uint8_t>{2});
}

TYPED_TEST(ReadOrder, MarkingAStaleHandleNeverFreesTheNewSample) {
  this->make(1, 64);
  this->publish(bytes_of({1}), 0b1);
  auto h = this->reader().next_unread_slot(0);
  ASSERT_TRUE(h && *h);
  ASSERT_TRUE(this->reader().mark_read(**h, 0));
  this->publish(bytes_of({2}), 0b1);  // same slot, newer sample, not read yet
  ASSERT_TRUE(this->reader().mark_read(**h, 0));  // the old handle again
  EXPECT_EQ(this->writer().reserve_slot(0b1).error().code, SlotErrorCode::NoFreeSlot);
  EXPECT_EQ(drain(*this, 0), std::vector<std::uint8_t>{2});
}

TYPED_TEST(ReadOrder, InOrderReaderOnAFullSegmentStaysInOrder) {
  // Every slot is reused the moment the reader frees it, so the ring entry of the sample the
  // reader expects next is overwritten as soon as possible.
  this->make(2, 64);
  this->publish(bytes_of({0}), 0b1);
  this->publish(bytes_of({1}), 0b1);
  for (int k = 2; k < 40; ++k) {
    auto h = this->reader().next_unread_slot(0);
    ASSERT_TRUE(h && *h);
    auto r = this->reader().read_slot(**h);
    ASSERT_TRUE(r);
    ASSERT_EQ(static_cast<int>(r->bytes[0]), k - 2);
    ASSERT_TRUE(this->reader().mark_read(**h, 0));
    this->publish(bytes_of({k}), 0b1);
  }
  EXPECT_EQ(drain(*this, 0), (std::vector<std::uint8_t>{38, 39}));
}

TYPED_TEST(ReadOrder, LappedReaderResumesAtTheOldestSampleStillThere) {
  this->make(4, 64);
  for (int k = 0; k < 10; ++k) this->publish(bytes_of({k}));  // mask 0: reader 3 is outside, lossy
  EXPECT_EQ(drain(*this, 3), (std::vector<std::uint8_t>{6, 7, 8, 9}));
  this->publish(bytes_of({10}));
  EXPECT_EQ(drain(*this, 3), std::vector<std::uint8_t>{10});
}

TYPED_TEST(ReadOrder, ReadIntoRefusesAShortBuffer) {
  this->make(2, 64);
  this->publish(pattern(40, 3));
  std::vector<std::byte> small(10);
  auto r = this->reader().read_slot_into(SlotHandle{0, 0}, small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), SlotError::too_large(40, 10));
  std::vector<std::byte> big(64);
  auto ok = this->reader().read_slot_into(SlotHandle{0, 0}, big);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->sample_size, 40U);
  EXPECT_TRUE(std::equal(big.begin(), big.begin() + 40, pattern(40, 3).begin()));
}

TYPED_TEST(ReadOrder, SlotBeingWrittenReadsAsOverwritten) {
  this->make(1, 64);
  this->publish(bytes_of({1}));
  auto h = this->reader().next_unread_slot(0);
  ASSERT_TRUE(h && *h);
  auto loan = this->writer().reserve_slot(0);
  ASSERT_TRUE(loan);
  EXPECT_EQ(this->reader().read_slot(**h).error().code, SlotErrorCode::Overwritten);
  EXPECT_EQ(this->reader().read_slot(SlotHandle{0, 0}).error().code, SlotErrorCode::Overwritten);
  EXPECT_FALSE(this->reader().next_unread_slot(0).value());  // a loan is not a sample
}

TYPED_TEST(ReadOrder, DisconnectMovesTheReaderPastEverything) {
  this->make(4, 64);
  this->publish(bytes_of({1}), 0b10);
  this->publish(bytes_of({2}), 0b10);
  ASSERT_TRUE(this->reader().mark_reader_disconnected(1));
  EXPECT_TRUE(drain(*this, 1).empty());
  this->publish(bytes_of({3}), 0b10);
  EXPECT_EQ(drain(*this, 1), std::vector<std::uint8_t>{3});
}

// mark_read has two ways to say "read" (protocol.md, "Marking read"): a reader at its cursor moves
// the cursor past the sample and leaves the slot's reader_mask alone; any other mark sets the bit
// under a pin. Either frees the slot for a writer that waits for the reader, and neither is
// delivered twice.
TYPED_TEST(ReadOrder, AnInOrderMarkMovesTheCursorAndLeavesTheBitClear) {
  this->make(2, 64);
  this->publish(bytes_of({1}), 0b1);
  this->publish(bytes_of({2}), 0b1);
  EXPECT_EQ(this->writer().reserve_slot(0b1).error().code, SlotErrorCode::NoFreeSlot);
  auto h = this->reader().next_unread_slot(0);
  ASSERT_TRUE(h && *h);
  const auto cursor_before = this->reader().reader_stats(0);
  ASSERT_TRUE(this->reader().mark_read(**h, 0));
  auto after = this->reader().read_slot(**h);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->header.reader_mask, 0U);  // no store into the slot's header line
  ASSERT_TRUE(cursor_before);
  EXPECT_EQ(this->reader().reader_stats(0)->cursor, cursor_before->cursor + 1);
  this->publish(bytes_of({3}), 0b1);  // the slot the cursor passed is free again
  EXPECT_EQ(drain(*this, 0), (std::vector<std::uint8_t>{2, 3}));
}

TYPED_TEST(ReadOrder, AnOutOfOrderMarkSetsTheBitAndTheSampleIsNotDeliveredAgain) {
  this->make(2, 64);
  this->publish(bytes_of({1}), 0b1);
  this->publish(bytes_of({2}), 0b1);
  // The handle of the second sample, found by a second reader index that has read the first.
  auto first = this->reader().next_unread_slot(0);
  ASSERT_TRUE(first && *first);
  const std::uint32_t second_slot = 1 - (*first)->slot_index;
  auto second = this->reader().read_slot(SlotHandle{0, second_slot});
  ASSERT_TRUE(second);
  ASSERT_EQ(static_cast<int>(second->bytes[0]), 2);
  const SlotHandle later{0, second_slot};
  ASSERT_TRUE(this->reader().mark_read(later, 0));  // not the one at the cursor: by bit
  auto marked = this->reader().read_slot(later);
  ASSERT_TRUE(marked);
  EXPECT_EQ(marked->header.reader_mask, 0b1U);
  this->publish(bytes_of({3}), 0b1);  // the marked slot is free
  EXPECT_EQ(this->writer().reserve_slot(0b1).error().code, SlotErrorCode::NoFreeSlot);
  EXPECT_EQ(drain(*this, 0), (std::vector<std::uint8_t>{1, 3}));
}

TYPED_TEST(ReadOrder, UnregisteringLeavesTheInOrderReadsInTheBits) {
  // Whoever takes the index over by bits (a ZeroDDS process) must not read again what the shmslot
  // reader read in order, marking by cursor alone.
  this->make(4, 64);
  auto index = this->reader().register_reader();
  ASSERT_TRUE(index);
  const ReaderMask bit = ReaderMask{1} << *index;
  this->publish(bytes_of({1}), bit);
  this->publish(bytes_of({2}), bit);
  this->publish(bytes_of({3}), bit);
  auto h1 = this->reader().next_unread_slot(*index);
  ASSERT_TRUE(h1 && *h1);
  ASSERT_TRUE(this->reader().mark_read(**h1, *index));
  auto h2 = this->reader().next_unread_slot(*index);
  ASSERT_TRUE(h2 && *h2);
  ASSERT_TRUE(this->reader().mark_read(**h2, *index));
  EXPECT_EQ(this->reader().read_slot(**h1)->header.reader_mask & bit, 0U);  // by cursor
  auto h3 = this->reader().next_unread_slot(*index);  // the third stays unread
  ASSERT_TRUE(h3 && *h3);
  ASSERT_TRUE(this->reader().unregister_reader(*index));
  EXPECT_EQ(this->reader().read_slot(**h1)->header.reader_mask & bit, bit);
  EXPECT_EQ(this->reader().read_slot(**h2)->header.reader_mask & bit, bit);
  EXPECT_EQ(this->reader().read_slot(**h3)->header.reader_mask & bit, 0U);
}

}  // namespace
}  // namespace shmslot::test
