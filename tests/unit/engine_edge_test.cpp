// White-box cases of the protocol engine that public calls cannot reach quickly.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>

#include "core/layout.hpp"
#include "core/slot_engine.hpp"
#include "platform/mapping.hpp"

namespace shmslot::core {
namespace {

struct Segment {
  explicit Segment(std::uint64_t slots, bool extended = true)
      : geometry(make_geometry(slots, 128, extended ? 100 : 112, extended)),
        memory(platform::map_anonymous(geometry.total_size).value()) {
    if (extended) {
      format_segment(memory.data(), geometry, FormatOptions{});
    } else {
      auto* h = reinterpret_cast<SegmentHeader*>(memory.data());
      h->magic = kSegmentMagic;
      h->slot_count = static_cast<std::uint32_t>(slots);
      h->slot_total_size = 128;
    }
  }
  ExtControl& control() const { return *reinterpret_cast<ExtControl*>(memory.data() + geometry.ext_offset); }
  SharedSlotHeader& slot(std::uint32_t i) const {
    return *reinterpret_cast<SharedSlotHeader*>(memory.data() + kSegmentHeaderSize + i * 128);
  }
  Geometry geometry;
  platform::Mapping memory;
};

std::uint8_t publish(SlotEngine& e, std::uint8_t value) {
  auto h = e.reserve(0);
  EXPECT_TRUE(h);
  const std::byte b{value};
  EXPECT_TRUE(e.commit(*h, std::span<const std::byte>(&b, 1)));
  return value;
}

TEST(EngineEdge, ReaderFarBehindTheRingStillFindsTheSamples) {
  // Sequence numbers past 2^39: a reader whose cursor is 0 is further behind than the ring's
  // 40-bit comparison can tell, and must still find what is there.
  Segment s(4);
  // A long history: next_seq far on, and each ring entry holding the newest earlier sequence
  // number of its residue, as 2^39 commits would have left them.
  const std::uint64_t next = (std::uint64_t{1} << 39) + 10;
  s.control().next_seq.store(next);
  auto* ring_entries = reinterpret_cast<RingEntry*>(s.memory.data() + s.geometry.ring_offset);
  for (std::uint64_t k = 0; k < 4; ++k) ring_entries[k].store(ring::make(next - 4 + (k - next) % 4, 0));
  auto engine = make_engine(s.memory.data(), s.geometry, 0);
  SlotEngine& e = *engine;
  for (std::uint8_t v = 1; v <= 3; ++v) publish(e, v);
  for (std::uint8_t v = 1; v <= 3; ++v) {
    auto h = e.next_unread(0);
    ASSERT_TRUE(h && *h) << "sample " << int{v};
    EXPECT_EQ(static_cast<int>(e.read(**h)->bytes[0]), v);
    ASSERT_TRUE(e.mark_read(**h, 0));
  }
  EXPECT_FALSE(e.next_unread(0).value());
}

TEST(EngineEdge, SequenceTakenButNotPublishedHoldsReadersBack) {
  // A writer that took sequence 1 and has not published it yet (simulated by taking it by hand):
  // the reader must wait for it rather than deliver 2 first.
  Segment s(4);
  auto engine = make_engine(s.memory.data(), s.geometry, 0);
  SlotEngine& e = *engine;
  publish(e, 0);
  auto h0 = e.next_unread(0);
  ASSERT_TRUE(h0 && *h0);
  ASSERT_TRUE(e.mark_read(**h0, 0));
  s.control().next_seq.fetch_add(1);  // sequence 1: taken, in flight
  publish(e, 2);
  EXPECT_FALSE(e.next_unread(0).value());
}

TEST(EngineEdge, AZeroDdsSegmentRefusesHistoryAsItRefusesRegistration) {
  Segment s(4, false);
  auto engine = make_engine(s.memory.data(), s.geometry, 0);
  auto late = engine->register_reader(std::nullopt, StartAt::Retained);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, SlotErrorCode::Unsupported);
}

TEST(EngineEdge, ZeroDdsSegmentDeliversInSequenceOrderAcrossTheWrap) {
  Segment s(4, false);
  const std::uint32_t sns[4] = {1, 0xFFFFFFFE, 0, 0xFFFFFFFF};  // slot order differs from sequence order
  for (std::uint32_t i = 0; i < 4; ++i) {
    s.slot(i).sequence_number = sns[i];
    s.slot(i).sample_size = 1;
  }
  auto engine = make_engine(s.memory.data(), s.geometry, 0);
  SlotEngine& e = *engine;
  std::vector<std::uint32_t> order;
  for (int k = 0; k < 4; ++k) {
    auto h = e.next_unread(2);
    ASSERT_TRUE(h && *h);
    order.push_back(s.slot((*h)->slot_index).sequence_number);
    ASSERT_TRUE(e.mark_read(**h, 2));
  }
  EXPECT_EQ(order, (std::vector<std::uint32_t>{0xFFFFFFFE, 0xFFFFFFFF, 0, 1}));
  EXPECT_EQ(e.reserve(0).error().code, SlotErrorCode::ReadOnlySegment);
}

TEST(EngineEdge, RegisteringWithEveryIndexTakenReapsDeadWritersLoansToo) {
  // All 32 entries held by this (live) process, and slot 0 loaned to a writer that has died:
  // registering finds no index, and the reap it runs before giving up frees the dead loan as well.
  Segment s(4);
  auto engine = make_engine(s.memory.data(), s.geometry, 0);
  SlotEngine& e = *engine;
  for (std::uint32_t r = 0; r < kMaxReaders; ++r) ASSERT_TRUE(e.register_reader(r, StartAt::Newest));
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);  // a pid that is dead now
  auto* ext = reinterpret_cast<SlotExt*>(s.memory.data() + s.geometry.slot_ext_offset);
  ext[0].word.store(slot_word::make(slot_word::Phase::kWriting, 1, static_cast<std::uint32_t>(child)));
  const std::uint64_t gen = e.generation();
  EXPECT_EQ(e.register_reader(std::nullopt, StartAt::Newest).error().code, SlotErrorCode::NoFreeReader);
  EXPECT_EQ(slot_word::phase(ext[0].word.load()), slot_word::Phase::kFree);
  EXPECT_NE(e.generation(), gen);  // the reap told waiting writers
}

}  // namespace
}  // namespace shmslot::core
