// The 16-byte header at the start of every slot, as ZeroDDS defines it, and the reader mask.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace shmslot {

/// One bit per reader: bit r set means reader r has read the slot. At most 32 readers per segment.
using ReaderMask = std::uint32_t;

/// Number of reader indices a segment supports (0..31).
inline constexpr std::uint32_t kMaxReaders = 32;

/// Size of the slot header that precedes every payload.
inline constexpr std::size_t kSlotHeaderSize = 16;

/// A copy of a slot header (ZeroDDS `SlotHeader`): four u32 in this order, native byte order in the
/// segment, little-endian in `to_bytes_le`.
struct SlotHeader {
  std::uint32_t sequence_number = 0;
  std::uint32_t sample_size = 0;
  std::uint32_t reader_mask = 0;
  std::uint32_t reserved = 0;

  /// A header for a fresh sample: no reader has read it yet.
  static constexpr SlotHeader make(std::uint32_t sn, std::uint32_t size) { return {sn, size, 0, 0}; }

  /// True when every reader in `active` has set its bit; readers outside `active` never block.
  constexpr bool all_read(ReaderMask active) const { return (reader_mask & active) == active; }

  /// Sets reader `index`'s bit; an index of 32 or more is ignored and returns false.
  constexpr bool mark_read(std::uint32_t index) {
    if (index >= kMaxReaders) return false;
    reader_mask |= ReaderMask{1} << index;
    return true;
  }

  /// The four fields little-endian, in field order.
  std::array<std::uint8_t, kSlotHeaderSize> to_bytes_le() const;

  /// Decodes `to_bytes_le`; nullopt when fewer than 16 bytes are given.
  static std::optional<SlotHeader> from_bytes_le(std::span<const std::uint8_t> bytes);

  friend constexpr bool operator==(const SlotHeader&, const SlotHeader&) = default;
};

}  // namespace shmslot
