// The vocabulary of slot operations, shared by the core, the interface and every layer above:
// reader masks, the ZeroDDS slot header, slot handles, errors, reader statistics, copied samples and
// the reliability choice of writers.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace shmslot {

/// One bit per reader: bit r set means reader r has read the slot. At most 32 readers per segment.
using ReaderMask = std::uint32_t;

/// Number of reader indices a segment supports (0..31).
inline constexpr std::uint32_t kMaxReaders = 32;

/// How long a dead peer may hold others up, unless the segment was created with another lease.
inline constexpr std::chrono::milliseconds kDefaultLease{250};

/// Size of the slot header that precedes every payload.
inline constexpr std::size_t kSlotHeaderSize = 16;

/// The most slots a segment may have (the order ring keeps a slot index in 24 bits).
inline constexpr std::size_t kMaxSlotCount = std::size_t{1} << 24;
/// The largest payload capacity of a slot: the slot (16-byte header + capacity, rounded up to
/// 64 bytes) must fit ZeroDDS's u32 slot_total_size.
inline constexpr std::size_t kMaxSlotCapacity = 0xFFFFFFFFULL - kSlotHeaderSize - 63;

/// A copy of a slot header (ZeroDDS `SlotHeader`): four u32 in this order, native byte order in the
/// segment, little-endian in `to_bytes_le`. `reader_mask` holds the bits readers set: ZeroDDS
/// readers and out-of-order marks. A shmslot reader that reads in order marks by its cursor instead
/// (ReaderStats::cursor; docs/protocol.md, "mark_read") and sets its bits only when it lets its
/// index go.
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
  /// A blocking call reached its deadline with nothing to deliver (no free slot, no sample). Retry
  /// helps once readers or writers progress.
  TimedOut,
  /// A blocking call gave up because its std::stop_token asked it to. Retry helps if the stop was
  /// not meant for good.
  Stopped,
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

/// What the registry knows of one reader index.
struct ReaderStats {
  bool registered = false;
  std::uint32_t owner_pid = 0;
  std::uint64_t cursor = 0;     ///< next sequence number it expects
  std::uint64_t evictions = 0;  ///< samples evicted (evict_stale) before it read them
};

/// A copied sample: the header as committed and `header.sample_size` payload bytes.
struct SlotRead {
  SlotHeader header;
  std::vector<std::byte> bytes;
};

/// What a writer does when every slot is taken: wait for readers, or drop the sample.
enum class Reliability : std::uint8_t {
  Reliable,    ///< wait (up to the timeout) until readers free a slot
  BestEffort,  ///< give up at once
};

/// Where a newly registered reader starts reading.
enum class StartAt : std::uint8_t {
  Newest,    ///< at the next sample committed (what register_reader does)
  Retained,  ///< at the oldest sample the segment retains for late joiners (history_depth), in order
};

/// What a blocking call waits for, so that only the changes that can end its wait wake it
/// (docs/protocol.md, "Notification").
enum class WaitFor : std::uint8_t {
  Sample,  ///< a sample to read: woken by commits (and discards, disconnects, reaps), not by reads
  Change,  ///< a free slot, or any change at all: woken by every mark_read too
};

}  // namespace shmslot
