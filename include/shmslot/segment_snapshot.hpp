// A point-in-time view of a segment for tools (shmslot inspect): every field read once, without
// taking part in the protocol. Under concurrent use the fields are each current but not mutually
// consistent.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "shmslot/types.hpp"
#include "shmslot/type_hash.hpp"

namespace shmslot {

/// What a slot holds.
enum class SlotState : std::uint8_t {
  Empty,      ///< never committed, discarded or evicted (ZeroDDS segments: sample_size 0)
  Writing,    ///< loaned to a writer (or, for a moment, to a process evicting or reaping it)
  Committed,  ///< holds a sample
};

/// Name of the enumerator, e.g. "Committed".
const char* to_string(SlotState state);

struct SlotSnapshot {
  std::uint32_t index = 0;
  SlotState state = SlotState::Empty;
  std::uint32_t generation = 0;  ///< shmslot segments only
  std::uint64_t sequence = 0;    ///< 64-bit on shmslot segments, the 32-bit header value otherwise
  std::uint32_t sample_size = 0;
  /// Readers that have read it: the bits of the header's reader_mask and, on shmslot segments,
  /// the readers whose cursor is past it (readers reading in order mark by their cursor).
  ReaderMask reader_mask = 0;
  ReaderMask pinned_by = 0;    ///< readers holding a zero-copy read (shmslot segments only)
  std::uint32_t loaner_pid = 0;  ///< the process holding a Writing slot (shmslot segments only)
  std::optional<std::chrono::nanoseconds> age;  ///< since commit (shmslot segments only)
  /// The slot's state word holds a value no shmslot process writes (phase 3; a free slot with hold
  /// bits; a loaned slot without a loaner): something scribbled on the segment. `state` is then a
  /// guess, and the protocol never delivers the slot (shmslot segments only).
  bool damaged = false;
};

/// A reader entry of a shmslot segment: its cursor and what the registry records about it.
struct ReaderSnapshot {
  std::uint32_t index = 0;
  std::uint64_t cursor = 0;       ///< next sequence number it expects
  bool registered = false;        ///< claimed through register_reader (or recorded on first use)
  std::uint32_t owner_pid = 0;    ///< the process holding the entry; 0: none
  bool owner_alive = false;       ///< that process runs (pid and start time match)
  std::uint64_t evictions = 0;    ///< samples evicted (evict_stale) before it read them
};

struct SegmentSnapshot {
  bool extended = false;  ///< false: created by ZeroDDS
  std::uint32_t extension_version = 0;
  std::uint32_t slot_count = 0;
  std::uint32_t slot_total_size = 0;
  std::size_t slot_capacity = 0;
  std::uint32_t next_sn = 0;            ///< header 0x0C
  std::uint32_t notify_generation = 0;  ///< header 0x10
  std::uint64_t next_sequence = 0;      ///< shmslot segments: the 64-bit counter
  std::uint32_t waiters = 0;            ///< shmslot waiters that may be asleep on `gen` (the sleepers word)
  bool wake_always = false;             ///< NotifyMode::WakeAlways
  std::uint32_t history_depth = 0;      ///< samples kept for late joiners (CreateOptions::history_depth)
  /// Some process read notify_generation(): every commit and mark_read moves `gen` from then on.
  bool generation_watched = false;
  std::optional<TypeHash> type_hash;
  std::uint32_t owner_pid = 0;
  bool owner_alive = false;
  std::vector<SlotSnapshot> slots;
  std::uint32_t damaged_slots = 0;      ///< how many of `slots` are `damaged`
  std::vector<ReaderSnapshot> readers;  ///< shmslot segments: the 32 reader entries
};

}  // namespace shmslot
