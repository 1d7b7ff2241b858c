// History for late joiners (protocol.md, "History for late joiners") over every backend: exactly H
// samples retained with the writer quiet, never reused or evicted while among the newest H, and a
// reader that joins with history reads them in order, then the live ones.
#include <chrono>
#include <vector>

#include "backend_fixture.hpp"

namespace shmslot::test {
namespace {

using namespace std::chrono_literals;

template <class Kind>
class History : public BackendTest<Kind> {
 protected:
  void make_history(std::size_t slots, std::uint32_t depth) {
    CreateOptions options;
    options.history_depth = depth;
    this->make_with(slots, 64, options);
  }
  // Publishes `value` for the readers in `mask` (0: nobody reads, slots are reused at will).
  void put(int value, ReaderMask mask = 0) { this->publish(bytes_of({value}), mask); }
  // Everything `reader` can take now, as the first byte of each sample.
  std::vector<int> take_all(BasicReader<SlotBackend>& reader) {
    std::vector<int> got;
    for (;;) {
      auto s = reader.take();
      EXPECT_TRUE(s);
      if (!s || !*s) return got;
      got.push_back(std::to_integer<int>((*s)->bytes()[0]));
    }
  }
};
TYPED_TEST_SUITE(History, BackendKinds, KindNames);

TYPED_TEST(History, ALateJoinerReadsExactlyTheNewestHThenTheLiveOnes) {
  this->make_history(8, 3);
  for (int v = 0; v < 10; ++v) this->put(v);  // the writer laps the segment; nobody reads
  auto late = this->reader().register_reader_with_history();
  ASSERT_TRUE(late);
  BasicReader<SlotBackend> joiner(this->reader(), *late);
  EXPECT_EQ(this->take_all(joiner), (std::vector<int>{7, 8, 9}));
  auto plain = this->reader().register_reader();
  ASSERT_TRUE(plain);
  BasicReader<SlotBackend> newest(this->reader(), *plain);
  EXPECT_TRUE(this->take_all(newest).empty());  // a plain registration starts at the next sample
  const ReaderMask both = (ReaderMask{1} << *late) | (ReaderMask{1} << *plain);
  this->put(10, both);
  this->put(11, both);
  EXPECT_EQ(this->take_all(joiner), (std::vector<int>{10, 11}));
  EXPECT_EQ(this->take_all(newest), (std::vector<int>{10, 11}));
}

TYPED_TEST(History, FewerSamplesThanTheDepthAreAllRetained) {
  this->make_history(8, 5);
  this->put(1);
  this->put(2);
  auto late = this->reader().register_reader_with_history();
  ASSERT_TRUE(late);
  BasicReader<SlotBackend> joiner(this->reader(), *late);
  EXPECT_EQ(this->take_all(joiner), (std::vector<int>{1, 2}));
}

TYPED_TEST(History, RetainedSlotsAreNeverLoaned) {
  this->make_history(8, 3);
  for (int v = 0; v < 3; ++v) this->put(v);
  std::vector<SlotHandle> loans;
  for (int i = 0; i < 5; ++i) {
    auto h = this->writer().reserve_slot(0);
    ASSERT_TRUE(h) << "loan " << i << ": " << h.error().message();
    loans.push_back(*h);
  }
  auto sixth = this->writer().reserve_slot(0);
  ASSERT_FALSE(sixth);  // the other three hold the newest three samples
  EXPECT_EQ(sixth.error().code, SlotErrorCode::NoFreeSlot);
  EXPECT_FALSE(this->writer().has_free_slot(0));
  for (const SlotHandle& h : loans) ASSERT_TRUE(this->writer().discard_slot(h));
  EXPECT_TRUE(this->writer().has_free_slot(0));
}

TYPED_TEST(History, EvictionLeavesTheRetainedSamples) {
  this->make_history(4, 2);
  auto slow = this->reader().register_reader();
  ASSERT_TRUE(slow);
  const ReaderMask mask = ReaderMask{1} << *slow;
  for (int v = 0; v < 3; ++v) this->put(v, mask);  // unread by the slow reader
  auto evicted = this->writer().evict_stale(0ns, mask);
  ASSERT_TRUE(evicted);
  EXPECT_EQ(*evicted, 1U);  // sample 0; 1 and 2 are retained
  BasicReader<SlotBackend> reader(this->reader(), *slow);
  EXPECT_EQ(this->take_all(reader), (std::vector<int>{1, 2}));
}

TYPED_TEST(History, AnIndexUsedBeforeStillGetsTheRetainedSamples) {
  this->make_history(8, 3);
  auto first = this->reader().register_reader();
  ASSERT_TRUE(first);
  for (int v = 0; v < 4; ++v) this->put(v, ReaderMask{1} << *first);
  {
    BasicReader<SlotBackend> reader(this->reader(), *first);
    EXPECT_EQ(this->take_all(reader), (std::vector<int>{0, 1, 2, 3}));
  }
  // The index's bits stay set on the samples it read; the joiner must clear them.
  ASSERT_TRUE(this->reader().unregister_reader(*first));
  auto again = this->reader().register_reader_with_history(*first);
  ASSERT_TRUE(again);
  ASSERT_EQ(*again, *first);
  BasicReader<SlotBackend> joiner(this->reader(), *again);
  EXPECT_EQ(this->take_all(joiner), (std::vector<int>{1, 2, 3}));
}

TYPED_TEST(History, WithoutHistoryAJoinerStartsAtTheNewest) {
  this->make(4, 64);
  this->put(1);
  auto late = this->reader().register_reader_with_history();
  ASSERT_TRUE(late);
  BasicReader<SlotBackend> joiner(this->reader(), *late);
  EXPECT_TRUE(this->take_all(joiner).empty());
  this->put(2, ReaderMask{1} << *late);
  EXPECT_EQ(this->take_all(joiner), (std::vector<int>{2}));
}

// A writer may answer "has this reader passed the sample?" from the cursor it saw last, but only
// where cursors never move back: with history a joiner's cursor starts behind where the index's
// last user stopped, and a remembered cursor would let the writer reuse retained-then-released
// samples the joiner has not read.
TYPED_TEST(History, AJoinerBehindTheIndexsLastUserLosesNothing) {
  // How far the index's last user got decides which cursor a writer saw last: every length from
  // one lap to three, so that some run leaves it remembering a cursor past the joiner's start.
  for (int last = 4; last < 12; ++last) {
    SCOPED_TRACE(last);
    this->make_history(4, 2);
    auto first = this->reader().register_reader();
    ASSERT_TRUE(first);
    const ReaderMask bit = ReaderMask{1} << *first;
    {
      BasicReader<SlotBackend> reader(this->reader(), *first);
      for (int v = 0; v <= last; ++v) {  // each reuse may ask for the reader's cursor, which keeps up
        this->put(v, bit);
        EXPECT_EQ(this->take_all(reader), (std::vector<int>{v}));
      }
    }
    ASSERT_TRUE(this->reader().unregister_reader(*first));
    auto again = this->reader().register_reader_with_history(*first);
    ASSERT_TRUE(again);
    ASSERT_EQ(*again, *first);
    // The joiner starts at last - 1 and last. The next two samples take the two older slots; the
    // slot of last - 1 is no longer retained after them, but the joiner has not read it.
    this->put(last + 1, bit);
    this->put(last + 2, bit);
    auto third = this->writer().reserve_slot(bit);
    ASSERT_FALSE(third);
    EXPECT_EQ(third.error().code, SlotErrorCode::NoFreeSlot);
    BasicReader<SlotBackend> joiner(this->reader(), *again);
    EXPECT_EQ(this->take_all(joiner), (std::vector<int>{last - 1, last, last + 1, last + 2}));
  }
}

TEST(HistoryLimits, ADepthOfSlotCountOrMoreIsRefused) {
  auto in_memory = InMemorySlotAllocator::create(1, 4, 64, 4);
  ASSERT_FALSE(in_memory);
  EXPECT_EQ(in_memory.error().code, SlotErrorCode::OutOfBounds);
  EXPECT_TRUE(InMemorySlotAllocator::create(1, 4, 64, 3));
  TempFlinkDir dir;
  CreateOptions options;
  options.history_depth = 4;
  auto posix = PosixSlotAllocator::create(dir.flink("h"), 4, 64, options);
  ASSERT_FALSE(posix);
  EXPECT_EQ(posix.error().code, PosixErrorCode::InvalidArgument);
  EXPECT_NE(posix.error().message().find("history_depth 4 must be below slot_count 4"), std::string::npos)
      << posix.error().message();
  options.history_depth = 3;
  auto ok = PosixSlotAllocator::create(dir.flink("h"), 4, 64, options);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->snapshot().history_depth, 3U);
  auto attached = PosixSlotAllocator::attach(dir.flink("h"));
  ASSERT_TRUE(attached) << attached.error().message();
  EXPECT_EQ(attached->snapshot().history_depth, 3U);
}

}  // namespace
}  // namespace shmslot::test
