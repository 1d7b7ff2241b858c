// ShmLocator and FNV-1a (ZeroDDS locator.rs tests, ported, plus the exact bytes).
#include <gtest/gtest.h>

#include "shmslot/locator.hpp"

namespace shmslot {
namespace {

ShmLocator sample() { return ShmLocator{fnv1a_32("node1.local"), 1000, 16, 128, "/zddspub_AB12CD"}; }

TEST(Locator, RoundtripLe) {
  const auto bytes = sample().to_bytes_le();
  ASSERT_TRUE(bytes);
  EXPECT_EQ(ShmLocator::from_bytes_le(*bytes).value(), sample());
}

TEST(Locator, ExactBytes) {
  const auto bytes = sample().to_bytes_le().value();
  // 20-byte header, 15 path bytes, NUL, no padding needed (36 is a multiple of 4).
  ASSERT_EQ(bytes.size(), 36U);
  const std::uint32_t h = fnv1a_32("node1.local");
  EXPECT_EQ(bytes[0], h & 0xFF);
  EXPECT_EQ(bytes[3], h >> 24);
  EXPECT_EQ(bytes[4], 0xE8);  // 1000
  EXPECT_EQ(bytes[5], 0x03);
  EXPECT_EQ(bytes[8], 16);
  EXPECT_EQ(bytes[12], 128);
  EXPECT_EQ(bytes[16], 16);  // str_len = path + NUL
  EXPECT_EQ(bytes[20], '/');
  EXPECT_EQ(bytes[34], 'D');
  EXPECT_EQ(bytes[35], 0);
  ShmLocator odd = sample();
  odd.segment_path = "/ab";
  EXPECT_EQ(odd.to_bytes_le().value().size(), 24U);  // 20 + 3 + NUL = 24
  odd.segment_path = "/abcd";
  EXPECT_EQ(odd.to_bytes_le().value().size(), 28U);  // 20 + 5 + NUL = 26, padded to 28
}

TEST(Locator, TruncatedHeaderErrors) {
  const std::vector<std::uint8_t> nineteen(19, 0);
  EXPECT_EQ(ShmLocator::from_bytes_le(nineteen).error(), LocatorError::TruncatedHeader);
}

TEST(Locator, TruncatedStringErrors) {
  auto bytes = sample().to_bytes_le().value();
  bytes.resize(30);
  EXPECT_EQ(ShmLocator::from_bytes_le(bytes).error(), LocatorError::TruncatedString);
}

TEST(Locator, PathTooLongErrors) {
  ShmLocator loc = sample();
  loc.segment_path = std::string(257, 'a');
  EXPECT_EQ(loc.to_bytes_le().error(), LocatorError::PathTooLong);
  loc.segment_path = std::string(256, 'a');
  EXPECT_TRUE(loc.to_bytes_le());
  std::vector<std::uint8_t> bytes(20 + 300, 'a');
  bytes[16] = 0x02;  // str_len = 258 > 257
  bytes[17] = 0x01;
  bytes[18] = 0;
  bytes[19] = 0;
  EXPECT_EQ(ShmLocator::from_bytes_le(bytes).error(), LocatorError::PathTooLong);
  bytes[16] = 0x01;  // str_len = 257, and its last byte is not a NUL: a 257-byte path
  EXPECT_EQ(ShmLocator::from_bytes_le(bytes).error(), LocatorError::PathTooLong);
}

TEST(Locator, InvalidUtf8Errors) {
  auto bytes = sample().to_bytes_le().value();
  bytes[21] = 0xC0;  // an overlong lead byte
  EXPECT_EQ(ShmLocator::from_bytes_le(bytes).error(), LocatorError::InvalidUtf8);
}

TEST(Locator, Fnv1aKnownValues) {
  EXPECT_EQ(fnv1a_32("hello"), 0x4F9F2CABU);
  EXPECT_EQ(fnv1a_32("localhost"), 0x0150773AU);
  EXPECT_EQ(fnv1a_32(""), 0x811C9DC5U);
  static_assert(fnv1a_32("hello") == 0x4F9F2CABU);
}

TEST(Locator, SameHostMatch) {
  EXPECT_TRUE(is_same_host("node1.local", 1000, sample()));
  EXPECT_FALSE(is_same_host("node1.local", 1001, sample()));
  EXPECT_FALSE(is_same_host("node2.local", 1000, sample()));
}

}  // namespace
}  // namespace shmslot
