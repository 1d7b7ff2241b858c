// What only the in-memory backend has: its constructor's contract and the builder.
#include <gtest/gtest.h>

#include <stdexcept>
#include <type_traits>

#include "shmslot/in_memory_slot_allocator.hpp"

namespace shmslot {
namespace {

TEST(InMemory, ConstructorRefusesBadSizes) {
  EXPECT_THROW(InMemorySlotAllocator(0, 0, 64), std::invalid_argument);
  EXPECT_THROW(InMemorySlotAllocator(0, 4, 0), std::invalid_argument);
  EXPECT_EQ(InMemorySlotAllocator::create(0, 0, 64).error().code, SlotErrorCode::OutOfBounds);
  EXPECT_NO_THROW(InMemorySlotAllocator(0, 4, 64));
}

TEST(InMemory, SegmentIdIsCarriedInHandles) {
  InMemorySlotAllocator a(77, 2, 64);
  EXPECT_EQ(a.segment_id(), 77U);
  auto h = a.reserve_slot(0);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->segment_id, 77U);
}

TEST(InMemory, WithTypeHashBuilder) {
  const TypeHash h{0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42};
  auto a = InMemorySlotAllocator(0, 2, 64).with_type_hash(h);
  EXPECT_EQ(a.type_hash(), h);
  EXPECT_FALSE(InMemorySlotAllocator(0, 2, 64).type_hash());
}

TEST(InMemory, IsMoveOnly) {
  static_assert(!std::is_copy_constructible_v<InMemorySlotAllocator>);
  static_assert(std::is_nothrow_move_constructible_v<InMemorySlotAllocator>);
  InMemorySlotAllocator a(0, 2, 64);
  InMemorySlotAllocator b = std::move(a);
  EXPECT_EQ(a.reserve_slot(0).error().code, SlotErrorCode::LockPoisoned);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(b.reserve_slot(0));
}

TEST(InMemory, DefaultBackendMethodsAreThoseOfZeroDds) {
  // A backend that implements only the required methods gets ZeroDDS's defaults.
  struct Minimal final : SlotBackend {
    tl::expected<SlotHandle, SlotError> reserve_slot(ReaderMask) override { return SlotHandle{}; }
    tl::expected<std::uint32_t, SlotError> commit_slot(SlotHandle, std::span<const std::byte>) override { return 0U; }
    tl::expected<void, SlotError> discard_slot(SlotHandle) override { return {}; }
    tl::expected<SlotRead, SlotError> read_slot(SlotHandle) const override { return SlotRead{}; }
    tl::expected<SlotHeader, SlotError> read_slot_into(SlotHandle, std::span<std::byte>) const override {
      return SlotHeader{};
    }
    tl::expected<void, SlotError> mark_read(SlotHandle, std::uint32_t) override { return {}; }
    tl::expected<void, SlotError> mark_reader_disconnected(std::uint32_t) override { return {}; }
    tl::expected<std::size_t, SlotError> slot_count() const override { return std::size_t{1}; }
    std::size_t slot_total_size() const override { return 64; }
    std::size_t slot_capacity() const override { return 48; }
  } m;
  EXPECT_EQ(m.slot_data_ptr(SlotHandle{}).error().code, SlotErrorCode::InPlaceUnsupported);
  EXPECT_EQ(m.commit_in_place(SlotHandle{}, 1).error().code, SlotErrorCode::InPlaceUnsupported);
  EXPECT_EQ(m.slot_read_ptr(SlotHandle{}, 0).error().code, SlotErrorCode::InPlaceUnsupported);
  EXPECT_FALSE(m.next_unread_slot(0).value());
  EXPECT_FALSE(m.type_hash());
  EXPECT_EQ(m.notify_generation(), 0U);
  EXPECT_FALSE(m.wait_for_change(0, std::chrono::seconds(5)));  // returns at once: nothing to wait on
}

}  // namespace
}  // namespace shmslot
