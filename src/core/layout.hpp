// The shared-memory layout of a segment, declared once. docs/format.md draws it; tests/layout pins it.
// No pointers live in shared memory, only offsets computed from the header's counts.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace shmslot::core {

// ---- ZeroDDS V3 segment header (0x20 bytes). A ZeroDDS process reads and writes 0x00..0x13 only.
inline constexpr std::uint32_t kSegmentMagic = 0x5A445353;  // "ZDSS"; bytes 53 53 44 5A in memory
inline constexpr std::uint32_t kExtMagic = 0x544C5353;      // "SSLT"; bytes 53 53 4C 54: shmslot extension present
inline constexpr std::uint32_t kExtVersion = 5;  // 5: the slot header is a seqlock of its own (format.md)
inline constexpr std::size_t kSegmentHeaderSize = 0x20;
inline constexpr std::size_t kV1SegmentHeaderSize = 0x10;  // ZeroDDS rc.1: recognised, refused
inline constexpr std::size_t kSlotHeaderSize = 16;
inline constexpr std::size_t kCacheLine = 64;

struct SegmentHeader {
  std::uint32_t magic;                 // 0x00 kSegmentMagic
  std::uint32_t slot_count;            // 0x04
  std::uint32_t slot_total_size;       // 0x08 slot header + capacity, rounded up to 64
  std::atomic<std::uint32_t> next_sn;  // 0x0C ZeroDDS's SN counter; mirror of next_seq mod 2^32 here
  std::atomic<std::uint32_t> gen;      // 0x10 change counter and futex word
  std::atomic<std::uint32_t> ext_magic;  // 0x14 kExtMagic on shmslot segments, 0 on ZeroDDS ones
  std::uint32_t ext_version;           // 0x18 kExtVersion
  std::uint32_t ext_size;              // 0x1C bytes of the extension block
};
static_assert(std::is_standard_layout_v<SegmentHeader>);
static_assert(sizeof(SegmentHeader) == kSegmentHeaderSize);
static_assert(offsetof(SegmentHeader, magic) == 0x00);
static_assert(offsetof(SegmentHeader, slot_count) == 0x04);
static_assert(offsetof(SegmentHeader, slot_total_size) == 0x08);
static_assert(offsetof(SegmentHeader, next_sn) == 0x0C);
static_assert(offsetof(SegmentHeader, gen) == 0x10);
static_assert(offsetof(SegmentHeader, ext_magic) == 0x14);
static_assert(offsetof(SegmentHeader, ext_version) == 0x18);
static_assert(offsetof(SegmentHeader, ext_size) == 0x1C);

// ---- ZeroDDS slot header, at the start of every slot; the payload follows at +16.
struct SharedSlotHeader {
  std::atomic<std::uint32_t> sequence_number;  // +0  low 32 bits of the 64-bit sequence
  std::atomic<std::uint32_t> sample_size;      // +4  0 while WRITING, so ZeroDDS readers skip the slot
  std::atomic<std::uint32_t> reader_mask;      // +8  bit r: reader r has read this sample
  std::uint32_t reserved;                      // +12 0 (ZeroDDS writes 0 here)
};
static_assert(std::is_standard_layout_v<SharedSlotHeader>);
static_assert(sizeof(SharedSlotHeader) == kSlotHeaderSize);
static_assert(offsetof(SharedSlotHeader, sequence_number) == 0);
static_assert(offsetof(SharedSlotHeader, sample_size) == 4);
static_assert(offsetof(SharedSlotHeader, reader_mask) == 8);
static_assert(offsetof(SharedSlotHeader, reserved) == 12);

// ---- shmslot extension block, at ext_offset = align_up(0x20 + slot_count * slot_total_size, 64).
// ZeroDDS maps the whole object but never looks past the slot array.

inline constexpr std::uint32_t kControlMagic = 0x58534C53;  // "SLSX"
inline constexpr std::uint32_t kFlagWakeAlways = 1U << 0;   // every notify calls FUTEX_WAKE
inline constexpr std::uint32_t kFlagHasTypeHash = 1U << 1;
// ExtControl::history_depth holds H: writers keep the newest H committed samples for late joiners.
// A flag, not a version: segments without history stay readable by builds that predate it, and a
// build that does not know it (and would reuse retained slots) refuses the segment (format.md).
inline constexpr std::uint32_t kFlagHistory = 1U << 2;
inline constexpr std::uint32_t kKnownFlags = kFlagWakeAlways | kFlagHasTypeHash | kFlagHistory;
inline constexpr std::size_t kMaxReaders = 32;

// One cache line per reader, so readers moving their cursors never share a line with each other.
// docs/recovery.md describes the registry fields.
struct alignas(kCacheLine) ReaderEntry {
  std::atomic<std::uint64_t> cursor;       // next sequence number this reader expects
  std::atomic<std::uint64_t> owner;        // pid of the registered reader process; 0: free
  std::atomic<std::uint64_t> owner_start;  // its start time (0: not written yet, matches any)
  std::atomic<std::uint64_t> evictions;    // samples evicted before this reader read them
  std::uint8_t reserved[32];
};
static_assert(sizeof(ReaderEntry) == kCacheLine);
static_assert(offsetof(ReaderEntry, cursor) == 0);
static_assert(offsetof(ReaderEntry, owner) == 8);
static_assert(offsetof(ReaderEntry, owner_start) == 16);
static_assert(offsetof(ReaderEntry, evictions) == 24);

// A process asleep (or about to sleep) on `gen` through wait_for_change. Written only on the sleep
// path, so four share a line. docs/protocol.md, "Notification".
inline constexpr std::size_t kMaxTrackedSleepers = 32;
struct SleeperEntry {
  std::atomic<std::uint64_t> owner;        // owner word (owner_word.hpp): the sleeper's pid; 0: free
  std::atomic<std::uint64_t> owner_start;  // its start time (0: not written yet, matches any)
};
static_assert(sizeof(SleeperEntry) == 16);
static_assert(offsetof(SleeperEntry, owner) == 0);
static_assert(offsetof(SleeperEntry, owner_start) == 8);

namespace sleeper_word {
inline constexpr std::uint64_t kUntrackedOne = std::uint64_t{1} << 32;
// Sticky: some process reads `gen` without announcing a sleep (notify_generation), so every commit
// and mark_read must move it. Never cleared: nothing tells when such a caller has gone.
inline constexpr std::uint64_t kGenerationWatched = std::uint64_t{1} << 63;
constexpr std::uint64_t tracked_bit(std::uint32_t entry) { return std::uint64_t{1} << entry; }
constexpr std::uint32_t tracked(std::uint64_t w) { return static_cast<std::uint32_t>(w); }
constexpr std::uint32_t untracked(std::uint64_t w) { return static_cast<std::uint32_t>((w & ~kGenerationWatched) >> 32); }
// Somebody may be asleep on `gen` (a tracked bit or an untracked count): a FUTEX_WAKE is due.
constexpr bool anyone_asleep(std::uint64_t w) { return (w & ~kGenerationWatched) != 0; }
constexpr bool generation_watched(std::uint64_t w) { return (w & kGenerationWatched) != 0; }
}  // namespace sleeper_word

struct alignas(kCacheLine) ExtControl {
  // Line 0: written by the creator before the segment is published; afterwards only `registered`
  // (on reader registration) and `last_reap_ns` (at most once per half lease, only while a writer
  // is blocked) change, so the line stays shared clean in the steady state.
  std::uint32_t magic;           // kControlMagic
  std::uint32_t flags;           // kFlag*; fixed once ext_magic is published (Notifier caches WakeAlways)
  std::uint64_t slot_capacity;   // the capacity the creator asked for (ZeroDDS derives total - 16)
  std::uint8_t type_hash[16];    // valid when kFlagHasTypeHash
  std::uint32_t owner_pid;       // creator, for diagnostics and garbage collection
  std::uint32_t owner_pid_ns;    // creator's pid namespace (inode of /proc/self/ns/pid; 0: unknown)
  std::uint64_t owner_start_time;  // creator's start time in clock ticks since boot (/proc/pid/stat)
  std::atomic<std::uint32_t> registered;  // bit r: reader entry r has an owner
  std::uint32_t lease_ms;                 // liveness lease: how long a dead peer may block others
  std::atomic<std::uint64_t> last_reap_ns;  // CLOCK_MONOTONIC_COARSE of the last reap
  // Line 1: the writers' line. Readers read next_seq only on the rare lapped path.
  alignas(kCacheLine) std::atomic<std::uint64_t> next_seq;
  std::atomic<std::uint64_t> reserve_cursor;
  // H with kFlagHistory (1 .. slot_count-1), else 0. Written once by the creator; on the writers'
  // line because every reserve of a segment with history reads it beside next_seq.
  std::uint32_t history_depth;
  std::uint8_t pad1[44];
  // Line 2: who may sleep on `gen`, loaded by every commit and mark_read; apart from the writers'
  // line so that a reader going to sleep does not steal the line a writer is about to fetch_add.
  // Bits 0..31: sleeper entry i is taken by a sleeper (sleeper_word); bits 32..62: sleepers that
  // found every entry taken; bit 63: somebody reads `gen` without announcing itself, so every
  // commit moves it.
  alignas(kCacheLine) std::atomic<std::uint64_t> sleepers;
  // The same encoding for the sleepers among them that wait for a free slot (a writer held back by
  // a full segment): the only ones a mark_read has to wake. Bit 63 as in `sleepers`.
  std::atomic<std::uint64_t> slot_sleepers;
  std::uint8_t pad2[48];
  // Lines 3..34
  ReaderEntry readers[kMaxReaders];
  // Lines 35..42: who holds each tracked sleeper bit, so that a reap can clear a dead sleeper's.
  SleeperEntry sleeper_entries[kMaxTrackedSleepers];
};
static_assert(std::is_standard_layout_v<ExtControl>);
static_assert(offsetof(ExtControl, magic) == 0);
static_assert(offsetof(ExtControl, flags) == 4);
static_assert(offsetof(ExtControl, slot_capacity) == 8);
static_assert(offsetof(ExtControl, type_hash) == 16);
static_assert(offsetof(ExtControl, owner_pid) == 32);
static_assert(offsetof(ExtControl, owner_pid_ns) == 36);
static_assert(offsetof(ExtControl, owner_start_time) == 40);
static_assert(offsetof(ExtControl, registered) == 48);
static_assert(offsetof(ExtControl, lease_ms) == 52);
static_assert(offsetof(ExtControl, last_reap_ns) == 56);
static_assert(offsetof(ExtControl, next_seq) == 64);
static_assert(offsetof(ExtControl, reserve_cursor) == 72);
static_assert(offsetof(ExtControl, history_depth) == 80);
static_assert(offsetof(ExtControl, sleepers) == 128);
static_assert(offsetof(ExtControl, slot_sleepers) == 136);
static_assert(offsetof(ExtControl, readers) == 192);
static_assert(offsetof(ExtControl, sleeper_entries) == 192 + kMaxReaders * kCacheLine);
static_assert(sizeof(ExtControl) == 192 + kMaxReaders * kCacheLine + kMaxTrackedSleepers * sizeof(SleeperEntry));

// Per-slot state; two slots share a line (a slot's word and its header are written by the same
// writer in the same commit, and neighbouring slots are rarely touched at the same instant).
struct SlotExt {
  std::atomic<std::uint64_t> word;  // hold mask or loaner pid | phase | generation, see slot_word
  std::atomic<std::uint64_t> seq;   // 64-bit sequence number of the committed sample; kSeqTaking
                                    // while a commit takes its number (see SlotWriter::commit)
  std::atomic<std::uint64_t> commit_time_ns;  // CLOCK_MONOTONIC_COARSE at commit, for evict_stale
  // Written by reserve: readers of the loaner's active mask that no registration covers (ZeroDDS
  // readers, which sleep on `gen` unannounced); the commit wakes when any is present.
  std::atomic<std::uint32_t> hidden_readers;
  std::uint32_t reserved;
};
static_assert(sizeof(SlotExt) == 32);
inline constexpr std::uint64_t kSeqTaking = ~std::uint64_t{0};
static_assert(offsetof(SlotExt, word) == 0);
static_assert(offsetof(SlotExt, seq) == 8);
static_assert(offsetof(SlotExt, commit_time_ns) == 16);
static_assert(offsetof(SlotExt, hidden_readers) == 24);

// The order ring: entry s % slot_count holds (s mod 2^40) << 24 | slot index.
using RingEntry = std::atomic<std::uint64_t>;
static_assert(sizeof(RingEntry) == 8);
inline constexpr unsigned kRingSlotBits = 24;
inline constexpr std::uint64_t kRingSeqMask = (std::uint64_t{1} << 40) - 1;
inline constexpr std::uint64_t kMaxSlotCount = std::uint64_t{1} << kRingSlotBits;

static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<std::uint32_t>) == 4 && sizeof(std::atomic<std::uint64_t>) == 8);

// ---- The slot word: bits 0..31 hold mask (COMMITTED) or the loaner's pid (WRITING), bits 32..33
// phase, bits 34..63 generation.
namespace slot_word {
enum class Phase : std::uint32_t { kFree = 0, kWriting = 1, kCommitted = 2 };
inline constexpr std::uint32_t kGenerationMask = (1U << 30) - 1;

constexpr std::uint32_t hold(std::uint64_t w) { return static_cast<std::uint32_t>(w); }
constexpr Phase phase(std::uint64_t w) { return static_cast<Phase>((w >> 32) & 3U); }
constexpr std::uint32_t generation(std::uint64_t w) { return static_cast<std::uint32_t>(w >> 34); }
// Phase and generation together: what a seqlock reader compares; hold bits are not part of it.
constexpr std::uint32_t state(std::uint64_t w) { return static_cast<std::uint32_t>(w >> 32); }
constexpr std::uint64_t make(Phase p, std::uint32_t gen, std::uint32_t hold_mask = 0) {
  return (std::uint64_t{gen & kGenerationMask} << 34) | (std::uint64_t{static_cast<std::uint32_t>(p)} << 32) |
         hold_mask;
}
constexpr std::uint32_t next_generation(std::uint32_t gen) { return (gen + 1) & kGenerationMask; }
}  // namespace slot_word

namespace ring {
constexpr std::uint64_t make(std::uint64_t seq, std::uint32_t slot) {
  return ((seq & kRingSeqMask) << kRingSlotBits) | slot;
}
constexpr std::uint32_t slot(std::uint64_t e) {
  return static_cast<std::uint32_t>(e & (kMaxSlotCount - 1));
}
// Signed distance of the entry's sequence from `seq` (both mod 2^40): < 0 older, 0 same, > 0 newer.
constexpr std::int64_t distance(std::uint64_t e, std::uint64_t seq) {
  const std::uint64_t d = ((e >> kRingSlotBits) - seq) & kRingSeqMask;
  return d >= (kRingSeqMask + 1) / 2 ? static_cast<std::int64_t>(d) - static_cast<std::int64_t>(kRingSeqMask + 1)
                                     : static_cast<std::int64_t>(d);
}
}  // namespace ring

constexpr std::uint64_t align_up(std::uint64_t x, std::uint64_t a) { return (x + a - 1) & ~(a - 1); }

// Offsets and sizes of one segment, computed from its counts in 64-bit arithmetic.
struct Geometry {
  std::uint64_t slot_count = 0;
  std::uint64_t slot_total_size = 0;
  std::uint64_t slot_capacity = 0;  // usable bytes per slot
  bool extended = false;
  std::uint64_t slots_end = 0;   // 0x20 + count * total: a ZeroDDS segment's exact size
  std::uint64_t ext_offset = 0;  // start of ExtControl
  std::uint64_t slot_ext_offset = 0;
  std::uint64_t ring_offset = 0;
  std::uint64_t ext_size = 0;
  std::uint64_t total_size = 0;  // bytes of the whole object
  std::uint64_t history_depth = 0;  // H, validated (ExtControl::history_depth); 0: no history
};

// slot_total_size for a requested capacity: 16 + capacity rounded up to a cache line.
constexpr std::uint64_t slot_total_size_for(std::uint64_t capacity) { return align_up(kSlotHeaderSize + capacity, 64); }

// The geometry of an extended segment, or of a ZeroDDS one (`extended == false`). Callers check the
// limits first; with slot_count <= 2^24 and slot_total_size <= 2^32 nothing here overflows 64 bits.
Geometry make_geometry(std::uint64_t slot_count, std::uint64_t slot_total_size, std::uint64_t slot_capacity,
                       bool extended);

}  // namespace shmslot::core
