// The segment layout, pinned byte by byte: a formatted segment must look exactly like this. A moved
// field fails here loudly, even if every static_assert was edited along with it.
#include <gtest/gtest.h>

#include <cstring>

#include "core/layout.hpp"
#include "core/slot_engine.hpp"
#include "platform/mapping.hpp"

namespace shmslot::core {
namespace {

std::uint32_t u32_at(const std::byte* p, std::size_t off) {
  std::uint32_t v;
  std::memcpy(&v, p + off, 4);
  return v;
}
std::uint64_t u64_at(const std::byte* p, std::size_t off) {
  std::uint64_t v;
  std::memcpy(&v, p + off, 8);
  return v;
}

TEST(Layout, HeaderBytesAreZeroDdsV3PlusTheFlag) {
  const Geometry g = make_geometry(4, 128, 100, true);
  auto mem = platform::map_anonymous(g.total_size);
  ASSERT_TRUE(mem);
  FormatOptions options;
  options.flags = kFlagWakeAlways | kFlagHasTypeHash;
  options.type_hash = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  options.owner_pid = 4242;
  options.owner_start_time = 99;
  format_segment(mem->data(), g, options);
  const std::byte* p = mem->data();
  const std::uint8_t expect_header[32] = {
      0x53, 0x53, 0x44, 0x5A,  // magic "ZDSS"
      4,    0,    0,    0,     // slot_count
      128,  0,    0,    0,     // slot_total_size
      0,    0,    0,    0,     // next_sn
      0,    0,    0,    0,     // gen
      0x53, 0x53, 0x4C, 0x54,  // extension flag "SSLT"
      5,    0,    0,    0,     // extension version
      0,    0,    0,    0,     // extension size, checked below
  };
  EXPECT_EQ(std::memcmp(p, expect_header, 28), 0);
  EXPECT_EQ(u32_at(p, 0x1C), g.ext_size);
  // The slot array is all zero: ZeroDDS readers see every slot empty.
  for (std::size_t i = 0x20; i < g.slots_end; ++i) ASSERT_EQ(static_cast<int>(p[i]), 0) << i;
  const std::size_t ext = g.ext_offset;
  EXPECT_EQ(ext, 576U);
  EXPECT_EQ(u32_at(p, ext + 0), 0x58534C53U);  // "SLSX"
  EXPECT_EQ(u32_at(p, ext + 4), kFlagWakeAlways | kFlagHasTypeHash);
  EXPECT_EQ(u64_at(p, ext + 8), 100U);
  EXPECT_EQ(static_cast<int>(p[ext + 16]), 1);
  EXPECT_EQ(static_cast<int>(p[ext + 31]), 16);
  EXPECT_EQ(u32_at(p, ext + 32), 4242U);
  EXPECT_EQ(u64_at(p, ext + 40), 99U);
  EXPECT_EQ(u32_at(p, ext + 48), 0U);    // registered readers
  EXPECT_EQ(u32_at(p, ext + 52), 250U);  // lease in ms (the default)
  EXPECT_EQ(u64_at(p, ext + 56), 0U);    // last reap
  EXPECT_EQ(u64_at(p, ext + 64), 0U);   // next_seq
  EXPECT_EQ(u64_at(p, ext + 72), 0U);   // reserve_cursor
  EXPECT_EQ(u64_at(p, ext + 128), 0U);  // sleepers: none tracked, none untracked
  EXPECT_EQ(u64_at(p, ext + 192), 0U);  // reader 0 cursor
  EXPECT_EQ(u64_at(p, ext + 192 + 8), 0U);   // reader 0 owner: free
  EXPECT_EQ(u64_at(p, ext + 192 + 24), 0U);  // reader 0 evictions
  for (std::size_t e = 0; e < 32; ++e) {     // sleeper entries: owner and start time, all free
    EXPECT_EQ(u64_at(p, ext + 2240 + e * 16), 0U);
    EXPECT_EQ(u64_at(p, ext + 2240 + e * 16 + 8), 0U);
  }
  EXPECT_EQ(g.slot_ext_offset, ext + 192 + 32 * 64 + 32 * 16);
  EXPECT_EQ(g.ring_offset, g.slot_ext_offset + 4 * 32);
  // Ring entry k holds sequence k - n (mod 2^40) for slot 0.
  for (std::uint64_t k = 0; k < 4; ++k) {
    const std::uint64_t e = u64_at(p, g.ring_offset + k * 8);
    EXPECT_EQ(e >> 24, (k - 4) & ((std::uint64_t{1} << 40) - 1));
    EXPECT_EQ(e & 0xFFFFFF, 0U);
  }
  EXPECT_EQ(g.total_size, align_up(g.ring_offset + 4 * 8, 64));
}

TEST(Layout, CommittedSlotBytes) {
  const Geometry g = make_geometry(2, 64, 48, true);
  auto mem = platform::map_anonymous(g.total_size);
  ASSERT_TRUE(mem);
  format_segment(mem->data(), g, FormatOptions{});
  auto engine_ptr = make_engine(mem->data(), g, 0);
  SlotEngine& engine = *engine_ptr;
  auto h = engine.reserve(0);
  ASSERT_TRUE(h);
  const std::byte payload[3] = {std::byte{0xA1}, std::byte{0xA2}, std::byte{0xA3}};
  ASSERT_TRUE(engine.commit(*h, payload));
  const std::byte* slot = mem->data() + 0x20;
  EXPECT_EQ(u32_at(slot, 0), 0U);   // sequence number
  EXPECT_EQ(u32_at(slot, 4), 3U);   // sample size
  EXPECT_EQ(u32_at(slot, 8), 0U);   // reader mask
  EXPECT_EQ(u32_at(slot, 12), 0U);  // reserved: ZeroDDS writes 0, shmslot leaves it 0
  EXPECT_EQ(static_cast<int>(slot[16]), 0xA1);
  EXPECT_EQ(u32_at(mem->data(), 0x0C), 1U);  // next_sn mirror
  EXPECT_EQ(u32_at(mem->data(), 0x10), 0U);  // gen untouched: nobody sleeps, nobody watches it
  const std::uint64_t word = u64_at(mem->data(), g.slot_ext_offset);
  EXPECT_EQ(slot_word::hold(word), 0U);  // the loaner's pid is gone once committed
  EXPECT_EQ(slot_word::phase(word), slot_word::Phase::kCommitted);
  EXPECT_EQ(slot_word::generation(word), 1U);
  EXPECT_EQ(u64_at(mem->data(), g.slot_ext_offset + 8), 0U);  // 64-bit sequence
  EXPECT_EQ(u64_at(mem->data(), g.ring_offset), ring::make(0, 0));
}

}  // namespace
}  // namespace shmslot::core
