// Writer / Reader (untyped) and wait_until over every backend: loans committed, discarded and
// dropped, guards that mark read when they go, order, bad input, and blocking calls that end on a
// deadline or a stop request. No test bounds how long anything takes.
#include <algorithm>
#include <chrono>
#include <stop_token>
#include <thread>

#include "backend_fixture.hpp"

namespace shmslot::test {
namespace {

using namespace std::chrono_literals;

template <class Kind>
using WriterReader = BackendTest<Kind>;
TYPED_TEST_SUITE(WriterReader, BackendKinds, KindNames);

bool same(std::span<const std::byte> a, const std::vector<std::byte>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

TYPED_TEST(WriterReader, LoanCommitPublishesTheFirstLenBytes) {
  this->make(2, 64);
  Writer writer(this->writer(), 0b1);
  Reader reader(this->reader(), 0);
  auto loan = writer.loan(40);
  ASSERT_TRUE(loan) << loan.error().message();
  ASSERT_EQ(loan->size(), 40U);
  const auto bytes = pattern(24, 3);
  std::copy(bytes.begin(), bytes.end(), loan->data().begin());
  ASSERT_EQ(std::move(*loan).commit(24).value(), 0U);
  EXPECT_FALSE(loan->live());
  auto sample = reader.take();
  ASSERT_TRUE(sample && *sample);
  EXPECT_TRUE(same((*sample)->bytes(), bytes));
}

TYPED_TEST(WriterReader, DiscardedLoanPublishesNothingAndFreesTheSlot) {
  this->make(1, 64);
  Writer writer(this->writer(), 0b1);
  Reader reader(this->reader(), 0);
  auto loan = writer.loan(8);
  ASSERT_TRUE(loan);
  EXPECT_EQ(writer.loan(8).error().code, SlotErrorCode::NoFreeSlot);  // the one slot is loaned
  ASSERT_TRUE(std::move(*loan).discard());
  EXPECT_FALSE(reader.take().value());
  EXPECT_TRUE(writer.loan(8));
}

TYPED_TEST(WriterReader, LoanDroppedWithoutCommitIsDiscarded) {
  this->make(1, 64);
  Writer writer(this->writer(), 0b1);
  Reader reader(this->reader(), 0);
  {
    auto loan = writer.loan(8);
    ASSERT_TRUE(loan);
    loan->data()[0] = std::byte{1};
  }
  EXPECT_FALSE(reader.take().value());
  EXPECT_TRUE(writer.loan(8));  // the slot came back
}

TYPED_TEST(WriterReader, MovedFromLoanDoesNothing) {
  this->make(2, 64);
  Writer writer(this->writer(), 0b1);
  Reader reader(this->reader(), 0);
  auto first = writer.loan(4);
  ASSERT_TRUE(first);
  std::fill(first->data().begin(), first->data().end(), std::byte{7});
  Loan moved(std::move(*first));
  EXPECT_FALSE(first->live());
  EXPECT_TRUE(moved.live());
  EXPECT_EQ(std::move(*first).commit(4).error().code, SlotErrorCode::NotLoaned);
  EXPECT_EQ(std::move(*first).discard().error().code, SlotErrorCode::NotLoaned);
  EXPECT_FALSE(reader.take().value());  // neither call published or gave back the moved loan
  ASSERT_TRUE(std::move(moved).commit());
  auto sample = reader.take();
  ASSERT_TRUE(sample && *sample);
  EXPECT_TRUE(same((*sample)->bytes(), std::vector<std::byte>(4, std::byte{7})));
}

TYPED_TEST(WriterReader, MoveAssignedLoanGivesBackWhatItHeld) {
  this->make(2, 64);
  Writer writer(this->writer(), 0b1);
  auto a = writer.loan(4);
  auto b = writer.loan(4);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(writer.loan(4).error().code, SlotErrorCode::NoFreeSlot);
  *a = std::move(*b);  // a's slot is discarded, b's is now a's
  EXPECT_TRUE(a->live());
  EXPECT_FALSE(b->live());
  EXPECT_TRUE(writer.loan(4));
}

TYPED_TEST(WriterReader, CommitLongerThanTheLoanIsRefusedAndGivesTheSlotBack) {
  this->make(1, 64);
  Writer writer(this->writer(), 0b1);
  Reader reader(this->reader(), 0);
  auto loan = writer.loan(8);
  ASSERT_TRUE(loan);
  EXPECT_EQ(std::move(*loan).commit(9).error(), SlotError::too_large(9, 8));
  EXPECT_FALSE(reader.take().value());
  EXPECT_TRUE(writer.loan(8));
}

TYPED_TEST(WriterReader, SampleLargerThanTheCapacityIsAClearError) {
  this->make(2, 64);
  Writer writer(this->writer(), 0b1);
  EXPECT_EQ(writer.write(pattern(65, 1)).error(), SlotError::too_large(65, 64));
  EXPECT_EQ(writer.loan(65).error(), SlotError::too_large(65, 64));
  EXPECT_EQ(writer.write_blocking(pattern(65, 1), WaitLimit::within(1s)).error(), SlotError::too_large(65, 64));
  // Nothing was reserved on the way: both slots are still free.
  EXPECT_TRUE(writer.write(pattern(64, 1)));
  EXPECT_TRUE(writer.write(pattern(64, 2)));
}

TYPED_TEST(WriterReader, ReaderIndexOutOfRangeIsAClearError) {
  this->make(2, 64);
  Reader reader(this->reader(), kMaxReaders);
  std::vector<std::byte> out(64);
  EXPECT_EQ(reader.take().error().code, SlotErrorCode::ReaderIndexOutOfRange);
  EXPECT_EQ(reader.take_into(out).error().code, SlotErrorCode::ReaderIndexOutOfRange);
  EXPECT_EQ(reader.read_into(out).error().code, SlotErrorCode::ReaderIndexOutOfRange);
  EXPECT_EQ(reader.take_blocking(WaitLimit::within(1s)).error().code, SlotErrorCode::ReaderIndexOutOfRange);
}

TYPED_TEST(WriterReader, TakeDeliversEverySampleInOrder) {
  this->make(4, 64);
  Writer writer(this->writer(), 0b11);
  Reader zero_copy(this->reader(), 0);
  Reader copying(this->reader(), 1);
  for (std::uint8_t i = 0; i < 3; ++i) ASSERT_EQ(writer.write(pattern(10 + i, i)).value(), i);
  std::vector<std::byte> out(64);
  for (std::uint8_t i = 0; i < 3; ++i) {
    auto sample = zero_copy.take();
    ASSERT_TRUE(sample && *sample);
    EXPECT_TRUE(same((*sample)->bytes(), pattern(10 + i, i)));
    auto header = copying.take_into(out);
    ASSERT_TRUE(header && *header);
    EXPECT_EQ((*header)->sequence_number, i);
    EXPECT_TRUE(same(std::span<const std::byte>(out).first((*header)->sample_size), pattern(10 + i, i)));
  }
  EXPECT_FALSE(zero_copy.take().value());
  EXPECT_FALSE(copying.take_into(out).value());
}

TYPED_TEST(WriterReader, TakeGuardPinsTheSlotAndMarksItReadWhenItGoes) {
  this->make(1, 64);
  Writer writer(this->writer(), 0);  // mask 0: only the guard keeps the slot
  Reader reader(this->reader(), 3);
  ASSERT_TRUE(writer.write(pattern(16, 5)));
  {
    auto sample = reader.take();
    ASSERT_TRUE(sample && *sample);
    EXPECT_EQ(writer.write(pattern(16, 6)).error().code, SlotErrorCode::NoFreeSlot);
    EXPECT_TRUE(same((*sample)->bytes(), pattern(16, 5)));
    Sample moved(std::move(**sample));  // the moved-from guard marks nothing when it goes
    EXPECT_FALSE((*sample)->live());
    EXPECT_EQ(writer.write(pattern(16, 6)).error().code, SlotErrorCode::NoFreeSlot);
  }
  EXPECT_FALSE(reader.take().value());  // marked read
  EXPECT_TRUE(writer.write(pattern(16, 6)));
}

TYPED_TEST(WriterReader, CopyingTakeLeavesASampleLargerThanTheBufferUnread) {
  this->make(2, 64);
  Writer writer(this->writer(), 0b1);
  Reader reader(this->reader(), 0);
  ASSERT_TRUE(writer.write(pattern(32, 1)));
  std::vector<std::byte> small(16);
  EXPECT_EQ(reader.take_into(small).error().code, SlotErrorCode::SampleTooLarge);
  std::vector<std::byte> big(64);
  auto header = reader.take_into(big);
  ASSERT_TRUE(header && *header);
  EXPECT_EQ((*header)->sample_size, 32U);
}

// A sample held in place is not read until its guard goes: a copying take by the same reader gets
// it again, and leaves the guard's pin, so the slot is not reused under the guard.
TYPED_TEST(WriterReader, CopyingTakeLeavesThePinOfAGuardOnTheSameSample) {
  this->make(1, 64);
  Writer writer(this->writer(), 0);  // mask 0: only a pin keeps the slot
  Reader reader(this->reader(), 3);
  ASSERT_TRUE(writer.write(pattern(16, 5)));
  auto sample = reader.take();
  ASSERT_TRUE(sample && *sample);
  std::vector<std::byte> out(64);
  auto header = reader.take_into(out);
  ASSERT_TRUE(header && *header);
  EXPECT_TRUE(same(std::span<const std::byte>(out).first((*header)->sample_size), pattern(16, 5)));
  EXPECT_EQ(writer.write(pattern(16, 6)).error().code, SlotErrorCode::NoFreeSlot);  // still pinned
  EXPECT_TRUE(same((*sample)->bytes(), pattern(16, 5)));
  sample->reset();  // the guard goes: marked (by its bit) and unpinned
  EXPECT_TRUE(writer.write(pattern(16, 6)));
  header = reader.take_into(out);
  ASSERT_TRUE(header && *header);
  EXPECT_TRUE(same(std::span<const std::byte>(out).first((*header)->sample_size), pattern(16, 6)));
}

// A sample marked read by its handle ahead of the cursor (out of order) is not delivered again.
TYPED_TEST(WriterReader, CopyingTakeSkipsASampleMarkedReadOutOfOrder) {
  this->make(4, 64);
  Writer writer(this->writer(), 0b1);
  Reader reader(this->reader(), 0);
  ASSERT_TRUE(writer.write(pattern(8, 1)));
  auto loan = this->writer().reserve_slot(0b1);  // a loan's handle names the sample it commits
  ASSERT_TRUE(loan);
  ASSERT_TRUE(this->writer().commit_slot(*loan, pattern(8, 2)));
  ASSERT_TRUE(writer.write(pattern(8, 3)));
  ASSERT_TRUE(this->reader().mark_read(*loan, 0));
  std::vector<std::byte> out(64);
  for (const std::uint8_t expected : {std::uint8_t{1}, std::uint8_t{3}}) {
    auto header = reader.take_into(out);
    ASSERT_TRUE(header && *header);
    EXPECT_TRUE(same(std::span<const std::byte>(out).first((*header)->sample_size), pattern(8, expected)));
  }
  EXPECT_FALSE(reader.take_into(out).value());
}

// A sample of no bytes is one too: its header says size 0, as a slot being written does.
TYPED_TEST(WriterReader, CopyingTakeDeliversAnEmptySample) {
  this->make(2, 64);
  Writer writer(this->writer(), 0b1);
  Reader reader(this->reader(), 0);
  ASSERT_TRUE(writer.write(std::span<const std::byte>{}));
  ASSERT_TRUE(writer.write(pattern(8, 1)));
  std::vector<std::byte> out(64);
  auto header = reader.take_into(out);
  ASSERT_TRUE(header && *header);
  EXPECT_EQ((*header)->sample_size, 0U);
  EXPECT_EQ((*header)->sequence_number, 0U);
  header = reader.take_into(out);
  ASSERT_TRUE(header && *header);
  EXPECT_EQ((*header)->sequence_number, 1U);
  EXPECT_FALSE(reader.take_into(out).value());
}

TYPED_TEST(WriterReader, ReadIntoKeepsTheNewestAndCountsTheSkipped) {
  this->make(4, 64);
  Writer writer(this->writer(), 0b1);
  Reader reader(this->reader(), 0);
  for (std::uint8_t i = 0; i < 3; ++i) ASSERT_TRUE(writer.write(pattern(8, i)));
  std::vector<std::byte> out(64);
  auto header = reader.read_into(out);
  ASSERT_TRUE(header && *header);
  EXPECT_EQ((*header)->sequence_number, 2U);
  EXPECT_TRUE(same(std::span<const std::byte>(out).first(8), pattern(8, 2)));
  EXPECT_EQ(reader.skipped(), 2U);
  EXPECT_FALSE(reader.read_into(out).value());
}

TYPED_TEST(WriterReader, RegisteredReaderIsInTheDefaultActiveMask) {
  this->make(1, 64);
  auto reader = Reader::registered(this->reader());
  if (!reader && reader.error().code == SlotErrorCode::Unsupported) GTEST_SKIP() << "no reader registry";
  ASSERT_TRUE(reader) << reader.error().message();
  Writer writer(this->writer());
  EXPECT_EQ(writer.active_readers(), ReaderMask{1} << reader->reader_index());
  ASSERT_TRUE(writer.write(pattern(8, 1)));
  EXPECT_EQ(writer.write(pattern(8, 2)).error().code, SlotErrorCode::NoFreeSlot);  // unread by it
  ASSERT_TRUE(reader->stats());
  ASSERT_TRUE(reader->take().value());
  EXPECT_TRUE(writer.write(pattern(8, 2)));
}

TYPED_TEST(WriterReader, BlockingWriteWaitsForAReader) {
  this->make(1, 64);
  Writer writer(this->writer(), 0b1);
  Reader reader(this->reader(), 0);
  ASSERT_TRUE(writer.write(pattern(8, 1)));
  std::thread reader_thread([&] {
    std::this_thread::sleep_for(30ms);
    std::vector<std::byte> out(64);
    (void)reader.take_into(out);
  });
  auto sn = writer.write_blocking(pattern(8, 2), WaitLimit::within(30s));  // watchdog only
  reader_thread.join();
  ASSERT_TRUE(sn) << sn.error().message();
  EXPECT_EQ(*sn, 1U);
}

TYPED_TEST(WriterReader, BlockingTakeWakesOnCommit) {
  this->make(2, 64);
  Reader reader(this->reader(), 0);
  std::thread writer_thread([&] {
    std::this_thread::sleep_for(30ms);
    Writer writer(this->writer(), 0b1);
    (void)writer.write(pattern(12, 4));
  });
  auto sample = reader.take_blocking(WaitLimit::within(30s));  // watchdog only
  writer_thread.join();
  ASSERT_TRUE(sample) << sample.error().message();
  EXPECT_TRUE(same(sample->bytes(), pattern(12, 4)));
}

TYPED_TEST(WriterReader, DeadlineExpiryIsTimedOut) {
  this->make(1, 64);
  Writer writer(this->writer(), 0b1);
  Reader reader(this->reader(), 0);
  std::vector<std::byte> out(64);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(reader.take_into_blocking(out, WaitLimit::within(40ms)).error().code, SlotErrorCode::TimedOut);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 40ms);  // it did wait
  ASSERT_TRUE(writer.write(pattern(8, 1)));
  EXPECT_EQ(writer.loan_blocking(8, WaitLimit::within(40ms)).error().code, SlotErrorCode::TimedOut);
  EXPECT_EQ(writer.write_blocking(pattern(8, 2), WaitLimit::until(std::chrono::steady_clock::now())).error().code,
            SlotErrorCode::TimedOut);
}

TYPED_TEST(WriterReader, StopRequestEndsABlockingRead) {
  this->make(1, 64);
  Reader reader(this->reader(), 0);
  const std::uint64_t before = this->reader().notify_generation();
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(30ms);
    stop.request_stop();
  });
  // The deadline is a watchdog: a wait that ignored the stop would end TimedOut, not Stopped.
  auto sample = reader.take_blocking(WaitLimit::within(30s, stop.get_token()));
  stopper.join();
  ASSERT_FALSE(sample);
  EXPECT_EQ(sample.error().code, SlotErrorCode::Stopped);
  // Nothing was written: the counter moved because the stop woke the segment's sleepers
  // (wake_waiters), which is what ends the sleep at once rather than at the next half lease.
  EXPECT_NE(this->reader().notify_generation(), before);
}

TYPED_TEST(WriterReader, StopRequestEndsABlockingWrite) {
  this->make(1, 64);
  Writer writer(this->writer(), 0b1);
  ASSERT_TRUE(writer.write(pattern(8, 1)));  // reader 0 never reads it
  std::stop_source stop;
  std::thread requester([&] {
    std::this_thread::sleep_for(30ms);
    stop.request_stop();
  });
  auto sn = writer.write_blocking(pattern(8, 2), WaitLimit::within(30s, stop.get_token()));
  requester.join();
  ASSERT_FALSE(sn);
  EXPECT_EQ(sn.error().code, SlotErrorCode::Stopped);
}

TYPED_TEST(WriterReader, WaitUntilReturnsTheAttemptsValueOrError) {
  this->make(1, 64);
  int calls = 0;
  auto value = wait_until(this->reader(), WaitLimit::within(30s), [&]() -> tl::expected<std::optional<int>, SlotError> {
    if (++calls < 3) return std::optional<int>{};
    return std::optional<int>(42);
  });
  ASSERT_TRUE(value);
  EXPECT_EQ(*value, 42);
  EXPECT_EQ(calls, 3);
  auto error = wait_until(this->reader(), WaitLimit::within(30s), []() -> tl::expected<std::optional<int>, SlotError> {
    return tl::unexpected(SlotError::of(SlotErrorCode::Overwritten));
  });
  EXPECT_EQ(error.error().code, SlotErrorCode::Overwritten);
}

}  // namespace
}  // namespace shmslot::test
