// The slot allocator for one process: the same protocol and semantics as the POSIX backend, over
// private memory.
#pragma once

#include <cstddef>
#include <cstdint>

#include "shmslot/detail/engine_backend.hpp"
#include "shmslot/slot_backend.hpp"

namespace shmslot {

namespace platform_detail {
struct OwnedMemory;
}

/// Heap-backed (anonymous memory) SlotBackend for threads of one process. Move-only.
class InMemorySlotAllocator final : public detail::EngineBackend {
 public:
  /// `slot_count` in 1..2^24, `slot_capacity` in 1..2^32-80; anything else is std::invalid_argument
  /// (use `create` to get an error value instead).
  InMemorySlotAllocator(std::uint64_t segment_id, std::size_t slot_count, std::size_t slot_capacity);

  /// As the constructor, with errors as values (OutOfBounds for bad sizes, and for a
  /// `history_depth` not below slot_count). `history_depth`: as CreateOptions::history_depth.
  static tl::expected<InMemorySlotAllocator, SlotError> create(std::uint64_t segment_id, std::size_t slot_count,
                                                               std::size_t slot_capacity,
                                                               std::uint32_t history_depth = 0);

  /// Records the sample type's hash (builder style).
  InMemorySlotAllocator&& with_type_hash(const TypeHash& hash) &&;
  InMemorySlotAllocator& with_type_hash(const TypeHash& hash) &;

  std::uint64_t segment_id() const { return segment_id_; }

  InMemorySlotAllocator(InMemorySlotAllocator&&) noexcept;
  InMemorySlotAllocator& operator=(InMemorySlotAllocator&&) noexcept;
  ~InMemorySlotAllocator() override;

 private:
  InMemorySlotAllocator(std::uint64_t segment_id, std::unique_ptr<platform_detail::OwnedMemory> memory);
  std::uint64_t segment_id_ = 0;
  std::unique_ptr<platform_detail::OwnedMemory> memory_;
};

}  // namespace shmslot
