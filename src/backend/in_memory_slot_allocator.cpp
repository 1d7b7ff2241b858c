#include "shmslot/in_memory_slot_allocator.hpp"

#include <stdexcept>

#include "core/layout.hpp"
#include "core/slot_engine.hpp"
#include "platform/mapping.hpp"

namespace shmslot {

namespace platform_detail {
struct OwnedMemory {
  platform::Mapping mapping;
};
}  // namespace platform_detail

namespace {
constexpr std::uint64_t kMaxCapacity = kMaxSlotCapacity;
static_assert(core::kMaxSlotCount == kMaxSlotCount);
}

InMemorySlotAllocator::InMemorySlotAllocator(std::uint64_t segment_id,
                                             std::unique_ptr<platform_detail::OwnedMemory> memory)
    : EngineBackend(), segment_id_(segment_id), memory_(std::move(memory)) {}

tl::expected<InMemorySlotAllocator, SlotError> InMemorySlotAllocator::create(std::uint64_t segment_id,
                                                                             std::size_t slot_count,
                                                                             std::size_t slot_capacity,
                                                                             std::uint32_t history_depth) {
  if (slot_count == 0 || slot_count > core::kMaxSlotCount || slot_capacity == 0 || slot_capacity > kMaxCapacity ||
      history_depth >= slot_count) {
    return tl::unexpected(SlotError::of(SlotErrorCode::OutOfBounds));
  }
  core::Geometry g = core::make_geometry(slot_count, core::slot_total_size_for(slot_capacity), slot_capacity, true);
  g.history_depth = history_depth;
  auto mapping = platform::map_anonymous(g.total_size);
  if (!mapping) return tl::unexpected(SlotError::of(SlotErrorCode::NoFreeSlot));
  core::FormatOptions format;
  format.history_depth = history_depth;
  core::format_segment(mapping->data(), g, format);
  auto engine = core::make_engine(mapping->data(), g, segment_id);
  auto memory = std::make_unique<platform_detail::OwnedMemory>(platform_detail::OwnedMemory{std::move(*mapping)});
  InMemorySlotAllocator out(segment_id, std::move(memory));
  out.set_engine(std::move(engine));
  return out;
}

InMemorySlotAllocator::InMemorySlotAllocator(std::uint64_t segment_id, std::size_t slot_count,
                                             std::size_t slot_capacity) {
  auto made = create(segment_id, slot_count, slot_capacity);
  if (!made) throw std::invalid_argument("InMemorySlotAllocator: slot_count must be 1..2^24 and slot_capacity 1..2^32-80");
  *this = std::move(*made);
}

InMemorySlotAllocator&& InMemorySlotAllocator::with_type_hash(const TypeHash& hash) && {
  if (engine() != nullptr) engine()->record_type_hash(hash);
  return std::move(*this);
}

InMemorySlotAllocator& InMemorySlotAllocator::with_type_hash(const TypeHash& hash) & {
  if (engine() != nullptr) engine()->record_type_hash(hash);
  return *this;
}

InMemorySlotAllocator::InMemorySlotAllocator(InMemorySlotAllocator&&) noexcept = default;
InMemorySlotAllocator& InMemorySlotAllocator::operator=(InMemorySlotAllocator&&) noexcept = default;
// The engine (in the base) releases its reader entries in the memory, so it goes first: members
// are destroyed before the base.
InMemorySlotAllocator::~InMemorySlotAllocator() { set_engine(nullptr); }

}  // namespace shmslot
