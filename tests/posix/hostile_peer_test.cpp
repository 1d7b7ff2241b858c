// A process that scribbles on shared memory after attach must not make another read out of bounds
// or loop forever: every value read from the segment is checked before use.
#include <gtest/gtest.h>

#include <random>

#include "core/layout.hpp"
#include "raw_segment.hpp"
#include "shmslot/shmslot.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

TEST(PosixHostilePeer, ScribbledSlotHeadersAndRingAreSurvived) {
  TempFlinkDir dir;
  constexpr std::size_t kSlots = 8;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), kSlots, 64);
  ASSERT_TRUE(owner);
  auto consumer = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_TRUE(consumer);
  for (int i = 0; i < 5; ++i) {
    auto h = owner->reserve_slot(0);
    ASSERT_TRUE(h);
    ASSERT_TRUE(owner->commit_slot(*h, std::vector<std::byte>(40, std::byte{7})));
  }
  const core::Geometry g = core::make_geometry(kSlots, 128, 64, true);
  RawSegment raw(owner->shm_name());
  std::mt19937_64 rng(12345);
  std::vector<std::byte> buf(64);
  for (int round = 0; round < 2000; ++round) {
    // Random garbage over slot headers, slot words, sequence numbers, ring entries and cursors.
    for (int k = 0; k < 4; ++k) {
      const std::size_t span = g.total_size - core::kSegmentHeaderSize;
      const std::size_t off = core::kSegmentHeaderSize + (rng() % (span / 8)) * 8;
      if (off >= g.ext_offset && off < g.ext_offset + 8) continue;  // keep the control magic
      raw.set_u64(off, rng());
    }
    for (SlotBackend* b : {static_cast<SlotBackend*>(&*owner), static_cast<SlotBackend*>(&*consumer)}) {
      for (std::uint32_t i = 0; i < kSlots; ++i) {
        auto r = b->read_slot_into(SlotHandle{0, i}, buf);
        if (r) {
          EXPECT_LE(r->sample_size, 64U);
        }
        auto v = b->read_slot(SlotHandle{0, i});
        if (v) {
          EXPECT_LE(v->bytes.size(), 64U);
        }
        auto span = b->slot_read_ptr(SlotHandle{0, i}, 3);
        if (span) {
          EXPECT_LE(span->size(), 64U);
        }
        (void)b->mark_read(SlotHandle{0, i}, 3);
      }
      for (int k = 0; k < 4; ++k) {
        auto h = b->next_unread_slot(static_cast<std::uint32_t>(rng() % 32));
        ASSERT_TRUE(h);
        if (*h) {
          EXPECT_LT((*h)->slot_index, kSlots);
        }
      }
      auto h = b->reserve_slot(static_cast<ReaderMask>(rng()));
      if (h) {
        EXPECT_LT(h->slot_index, kSlots);
        (void)b->commit_slot(*h, std::vector<std::byte>(10, std::byte{1}));
      }
    }
  }
}

}  // namespace
}  // namespace shmslot::test
