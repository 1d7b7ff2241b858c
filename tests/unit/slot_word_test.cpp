// The bit packing of the slot word and the order ring (src/core/layout.hpp).
#include <gtest/gtest.h>

#include "core/layout.hpp"

namespace shmslot::core {
namespace {

TEST(SlotWord, FieldsRoundtrip) {
  using slot_word::Phase;
  const auto w = slot_word::make(Phase::kCommitted, 0x2ABCDEF1, 0x80000001U);
  EXPECT_EQ(slot_word::phase(w), Phase::kCommitted);
  EXPECT_EQ(slot_word::generation(w), 0x2ABCDEF1U & slot_word::kGenerationMask);
  EXPECT_EQ(slot_word::hold(w), 0x80000001U);
  EXPECT_EQ(slot_word::state(w), slot_word::state(slot_word::make(Phase::kCommitted, 0x2ABCDEF1, 0)));
}

TEST(SlotWord, GenerationWrapsWithinItsBits) {
  EXPECT_EQ(slot_word::next_generation(slot_word::kGenerationMask), 0U);
  EXPECT_EQ(slot_word::next_generation(5), 6U);
}

TEST(Ring, DistanceIsSignedModulo2To40) {
  EXPECT_EQ(ring::distance(ring::make(10, 3), 10), 0);
  EXPECT_EQ(ring::distance(ring::make(10, 3), 12), -2);
  EXPECT_EQ(ring::distance(ring::make(14, 3), 12), 2);
  EXPECT_EQ(ring::slot(ring::make(14, 0xABCDEF)), 0xABCDEFU);
  // Across the 2^40 wrap of the stored sequence number.
  const std::uint64_t big = (std::uint64_t{1} << 40) + 5;
  EXPECT_EQ(ring::distance(ring::make(big, 1), big), 0);
  EXPECT_EQ(ring::distance(ring::make(big - 10, 1), big), -10);
  // The initial entry k - n is older than k for every k < n.
  EXPECT_LT(ring::distance(ring::make(std::uint64_t{0} - 4, 0), 0), 0);
}

TEST(Geometry, MatchesTheDocumentedLayout) {
  const Geometry z = make_geometry(4, 128, 112, false);
  EXPECT_EQ(z.total_size, 0x20U + 4 * 128);  // a ZeroDDS segment's exact size
  const Geometry g = make_geometry(4, 128, 100, true);
  EXPECT_EQ(g.slots_end, 0x20U + 4 * 128);
  EXPECT_EQ(g.ext_offset, 576U);  // 544 rounded up to 64
  EXPECT_EQ(g.slot_ext_offset, 576U + sizeof(ExtControl));
  EXPECT_EQ(g.ring_offset, g.slot_ext_offset + 4 * 32);
  EXPECT_EQ(g.total_size, 3520U);  // the worked example in docs/format.md
  EXPECT_EQ(g.ext_size, g.total_size - g.ext_offset);
  EXPECT_EQ(slot_total_size_for(0), 64U);
  EXPECT_EQ(slot_total_size_for(48), 64U);
  EXPECT_EQ(slot_total_size_for(64), 128U);
  EXPECT_EQ(slot_total_size_for(1024), 1088U);
}

}  // namespace
}  // namespace shmslot::core
