#include <gtest/gtest.h>

#include "shmslot/type_hash.hpp"

namespace shmslot {
namespace {

TEST(TypeHash, HexRoundtrip) {
  const TypeHash h{0x0e, 0x80, 0x9f, 0x18, 0x63, 0x8e, 0x26, 0xa6, 0xca, 0x8a, 0xb2, 0x9c, 0xb5, 0x95, 0x52, 0x57};
  EXPECT_EQ(to_hex(h), "0e809f18638e26a6ca8ab29cb5955257");
  EXPECT_EQ(type_hash_from_hex("0E809F18638E26A6CA8AB29CB5955257"), h);
}

TEST(TypeHash, BadHexIsRefused) {
  EXPECT_FALSE(type_hash_from_hex(""));
  EXPECT_FALSE(type_hash_from_hex("0e809f18638e26a6ca8ab29cb595525"));
  EXPECT_FALSE(type_hash_from_hex("0e809f18638e26a6ca8ab29cb59552570"));
  EXPECT_FALSE(type_hash_from_hex("0e809f18638e26a6ca8ab29cb595525g"));
}

}  // namespace
}  // namespace shmslot
