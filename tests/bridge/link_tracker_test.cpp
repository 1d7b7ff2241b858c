// The sequence bookkeeping behind the bridge's gaps and reordered counts.
#include "link_tracker.hpp"

#include <gtest/gtest.h>

namespace shmslot::bridge::detail {
namespace {

TEST(LinkTracker, InOrderSamplesHaveNoGap) {
  LinkTracker t;
  for (std::uint64_t i = 0; i < 5; ++i) {
    const LinkVerdict v = t.on_sample(7, i);
    EXPECT_EQ(v.new_sender, i == 0);
    EXPECT_EQ(v.missing, 0U);
    EXPECT_FALSE(v.late);
  }
  EXPECT_EQ(t.senders(), 1U);
}

TEST(LinkTracker, AGapIsCountedAndALateSampleIsToldApart) {
  LinkTracker t;
  (void)t.on_sample(7, 0);
  EXPECT_EQ(t.on_sample(7, 4).missing, 3U);  // 1, 2, 3 missing
  const LinkVerdict late = t.on_sample(7, 2);
  EXPECT_TRUE(late.late);
  EXPECT_EQ(late.missing, 0U);
  EXPECT_EQ(t.on_sample(7, 5).missing, 0U);
}

TEST(LinkTracker, ANewSenderStartsWhereItsFirstSampleIs) {
  LinkTracker t;
  (void)t.on_sample(1, 0);
  (void)t.on_sample(1, 1);
  // A receiver that joins a running sender, or a sender restarted under a new id: no gap.
  const LinkVerdict v = t.on_sample(2, 5000);
  EXPECT_TRUE(v.new_sender);
  EXPECT_EQ(v.missing, 0U);
  EXPECT_EQ(t.on_sample(1, 2).missing, 0U);  // senders are tracked apart
  EXPECT_EQ(t.senders(), 2U);
}

TEST(SequenceUnwrapper, ExtendsAcrossTheWrapOfTheSlotHeaderNumber) {
  SequenceUnwrapper u(0xFFFFFFFEULL);
  std::uint64_t skipped = 0;
  EXPECT_EQ(u.unwrap(0xFFFFFFFEU, skipped), 0xFFFFFFFEULL);
  EXPECT_EQ(skipped, 0U);
  EXPECT_EQ(u.unwrap(0xFFFFFFFFU, skipped), 0xFFFFFFFFULL);
  EXPECT_EQ(u.unwrap(0x00000001U, skipped), 0x100000001ULL);  // 0x1'0000'0000 was skipped
  EXPECT_EQ(skipped, 1U);
}

TEST(SequenceUnwrapper, StartsAtTheReadersCursor) {
  SequenceUnwrapper u(5ULL << 32 | 10);
  std::uint64_t skipped = 0;
  EXPECT_EQ(u.unwrap(12, skipped), (5ULL << 32) | 12);
  EXPECT_EQ(skipped, 2U);
}

TEST(SequenceUnwrapper, ANumberBehindTheLastIsLateNotAGapAndTheNumbersGoOn) {
  // A ZeroDDS segment's scan can hand out 11 after 12: 11 was passed, not lost 2^32 - 1 times.
  SequenceUnwrapper u(10);
  std::uint64_t skipped = 0;
  EXPECT_EQ(u.unwrap(10, skipped), 10U);
  EXPECT_EQ(u.unwrap(12, skipped), 12U);
  EXPECT_EQ(skipped, 1U);
  EXPECT_EQ(u.unwrap(11, skipped), 11U);
  EXPECT_EQ(skipped, 0U);
  EXPECT_EQ(u.unwrap(13, skipped), 13U);
  EXPECT_EQ(skipped, 0U);
}

TEST(SequenceUnwrapper, ANumberLateAcrossTheWrapStaysBeforeIt) {
  SequenceUnwrapper u(0xFFFFFFFEULL);
  std::uint64_t skipped = 0;
  EXPECT_EQ(u.unwrap(0x00000000U, skipped), 0x100000000ULL);
  EXPECT_EQ(skipped, 2U);
  EXPECT_EQ(u.unwrap(0xFFFFFFFFU, skipped), 0xFFFFFFFFULL);
  EXPECT_EQ(skipped, 0U);
  EXPECT_EQ(u.unwrap(0x00000001U, skipped), 0x100000001ULL);
  EXPECT_EQ(skipped, 0U);
}

TEST(SequenceUnwrapper, WithoutACursorTheFirstNumberIsNoGap) {
  // A ZeroDDS segment keeps no reader cursor: what was written before the bridge came was not lost.
  SequenceUnwrapper u;
  std::uint64_t skipped = 0;
  EXPECT_EQ(u.unwrap(5000, skipped), 5000U);
  EXPECT_EQ(skipped, 0U);
  EXPECT_EQ(u.unwrap(5002, skipped), 5002U);
  EXPECT_EQ(skipped, 1U);
}

TEST(SequenceUnwrapper, AKnownNumberIsTakenAsItIsEvenPast2To31) {
  // The reader's cursor gives the exact number; the 32-bit one alone could not tell a jump of 3 * 2^32.
  SequenceUnwrapper u(10);
  std::uint64_t skipped = 0;
  EXPECT_EQ(u.unwrap(5, skipped, (3ULL << 32) | 5), (3ULL << 32) | 5);
  EXPECT_EQ(skipped, ((3ULL << 32) | 5) - 10);
  // A cursor that does not hold this number is ignored.
  EXPECT_EQ(u.unwrap(7, skipped, 12345), (3ULL << 32) | 7);
  EXPECT_EQ(skipped, 1U);
}

}  // namespace
}  // namespace shmslot::bridge::detail
