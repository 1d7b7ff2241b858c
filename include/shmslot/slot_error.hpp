// Slot handles and the errors of slot operations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace shmslot {

/// Generation value meaning "whatever the slot holds now" (a handle built from a bare index).
inline constexpr std::uint32_t kAnyGeneration = 0xFFFFFFFFU;

/// Names one slot of one segment, at one generation. Handles from reserve_slot and next_unread_slot
/// carry the slot's generation, so a handle to a slot that was reused since is detected.
struct SlotHandle {
  std::uint64_t segment_id = 0;  ///< the backend's id (0 for POSIX, as in ZeroDDS); not checked
  std::uint32_t slot_index = 0;
  std::uint32_t generation = kAnyGeneration;

  friend constexpr bool operator==(const SlotHandle&, const SlotHandle&) = default;
};

/// What went wrong in a slot operation.
enum class SlotErrorCode {
  /// Every slot is loaned, pinned, or unread by an active reader. Retry after readers progress.
  NoFreeSlot,
  /// The slot index is not below slot_count. A bug in the caller; retry does not help.
  OutOfBounds,
  /// The sample is larger than the slot capacity (both sizes are in the error). Retry does not help.
  SampleTooLarge,
  /// The backend is unusable (moved-from). Retry does not help.
  LockPoisoned,
  /// The backend has no in-place (zero-copy) support. Retry does not help.
  InPlaceUnsupported,
  /// A reader index of 32 or more. A bug in the caller; retry does not help.
  ReaderIndexOutOfRange,
  /// The handle is not a live loan (already committed, discarded, or never reserved).
  NotLoaned,
  /// The slot was reused since the handle was made, or while it was being copied: the sample is
  /// gone. Retry does not help for this handle; ask next_unread_slot for the next one.
  Overwritten,
  /// The segment was created by a ZeroDDS process, whose writer keeps its loans in its own heap;
  /// shmslot may read it but never write it. Retry does not help.
  ReadOnlySegment,
  /// The segment's type hash (or a sample's size) is not the reader's or writer's type. Retry does
  /// not help.
  TypeMismatch,
  /// All 32 reader entries are registered. Retry helps after a reader leaves or dies (reap).
  NoFreeReader,
  /// The explicit reader index is registered by another live process. Retry does not help.
  ReaderIndexInUse,
  /// The backend or segment does not offer this (e.g. the reader registry on a ZeroDDS segment).
  Unsupported,
};

/// The error of a slot operation. `sample` and `capacity` are set for SampleTooLarge.
struct SlotError {
  SlotErrorCode code = SlotErrorCode::OutOfBounds;
  std::size_t sample = 0;
  std::size_t capacity = 0;

  static constexpr SlotError of(SlotErrorCode c) { return SlotError{c, 0, 0}; }
  static constexpr SlotError too_large(std::size_t sample_size, std::size_t slot_capacity) {
    return SlotError{SlotErrorCode::SampleTooLarge, sample_size, slot_capacity};
  }

  /// One line for people, e.g. "sample 16 byte does not fit in slot capacity 8".
  std::string message() const;

  friend constexpr bool operator==(const SlotError&, const SlotError&) = default;
};

/// Name of the enumerator, e.g. "NoFreeSlot".
const char* to_string(SlotErrorCode code);

}  // namespace shmslot
