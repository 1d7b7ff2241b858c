// SlotHeader (ZeroDDS slot.rs tests, ported).
#include <gtest/gtest.h>

#include "shmslot/types.hpp"

namespace shmslot {
namespace {

TEST(SlotHeader, SizeIs16) {
  EXPECT_EQ(kSlotHeaderSize, 16U);
  EXPECT_EQ(sizeof(SlotHeader), 16U);
}

TEST(SlotHeader, NewHeaderHasZeroMask) {
  const auto h = SlotHeader::make(7, 24);
  EXPECT_EQ(h.sequence_number, 7U);
  EXPECT_EQ(h.sample_size, 24U);
  EXPECT_EQ(h.reader_mask, 0U);
  EXPECT_EQ(h.reserved, 0U);
}

TEST(SlotHeader, MarkReadSetsBit) {
  auto h = SlotHeader::make(0, 1);
  EXPECT_TRUE(h.mark_read(0));
  EXPECT_TRUE(h.mark_read(2));
  EXPECT_EQ(h.reader_mask, 0b101U);
  EXPECT_FALSE(h.mark_read(32));  // out of range: refused, mask unchanged
  EXPECT_EQ(h.reader_mask, 0b101U);
}

TEST(SlotHeader, AllReadWithTwoActiveReaders) {
  auto h = SlotHeader::make(0, 1);
  EXPECT_FALSE(h.all_read(0b11));
  h.mark_read(0);
  EXPECT_FALSE(h.all_read(0b11));
  h.mark_read(1);
  EXPECT_TRUE(h.all_read(0b11));
}

TEST(SlotHeader, InactiveReaderBitsDontBlock) {
  auto h = SlotHeader::make(0, 1);
  h.mark_read(0);
  EXPECT_TRUE(h.all_read(0b001));
  EXPECT_TRUE(SlotHeader::make(0, 1).all_read(0));
}

TEST(SlotHeader, RoundtripLe) {
  SlotHeader h{0xAABBCCDD, 24, 0b1010, 0};
  const auto bytes = h.to_bytes_le();
  EXPECT_EQ(bytes[0], 0xDD);
  EXPECT_EQ(bytes[3], 0xAA);
  EXPECT_EQ(bytes[4], 24);
  EXPECT_EQ(SlotHeader::from_bytes_le(bytes), h);
}

TEST(SlotHeader, FromBytesTooShortReturnsNone) {
  const std::uint8_t fifteen[15] = {};
  EXPECT_FALSE(SlotHeader::from_bytes_le(fifteen));
}

}  // namespace
}  // namespace shmslot
