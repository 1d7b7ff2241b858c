// The slot protocol of docs/protocol.md over one mapped segment, whatever owns the memory.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <tl/expected.hpp>

#include "core/layout.hpp"
#include "shmslot/segment_snapshot.hpp"
#include "shmslot/slot_backend.hpp"

namespace shmslot::core {

// What the creator writes into a fresh extended segment.
struct FormatOptions {
  std::uint32_t flags = 0;  // kFlag*
  std::uint32_t lease_ms = 250;
  TypeHash type_hash{};
  std::uint32_t owner_pid = 0;
  std::uint64_t owner_start_time = 0;
};

class SlotEngine {
 public:
  // `base` maps at least geometry.total_size bytes (or slots_end for a ZeroDDS segment), validated.
  SlotEngine(std::byte* base, const Geometry& geometry, std::uint64_t segment_id);

  // Writes header and extension into zero-filled memory; the extension magic is stored last.
  static void format(std::byte* base, const Geometry& geometry, const FormatOptions& options);

  tl::expected<SlotHandle, SlotError> reserve(ReaderMask active);
  tl::expected<std::uint32_t, SlotError> commit(SlotHandle h, std::span<const std::byte> bytes);
  tl::expected<std::uint32_t, SlotError> commit_in_place(SlotHandle h, std::size_t len);
  tl::expected<void, SlotError> discard(SlotHandle h);
  tl::expected<std::span<std::byte>, SlotError> data_ptr(SlotHandle h);

  tl::expected<SlotRead, SlotError> read(SlotHandle h) const;
  tl::expected<SlotHeader, SlotError> read_into(SlotHandle h, std::span<std::byte> out) const;
  tl::expected<std::span<const std::byte>, SlotError> read_ptr(SlotHandle h, std::uint32_t reader);
  std::optional<std::chrono::nanoseconds> commit_time(SlotHandle h) const;
  tl::expected<std::optional<SlotHandle>, SlotError> next_unread(std::uint32_t reader);
  tl::expected<void, SlotError> mark_read(SlotHandle h, std::uint32_t reader);
  tl::expected<void, SlotError> disconnect(std::uint32_t reader);
  tl::expected<std::size_t, SlotError> evict_stale(std::chrono::nanoseconds max_age, ReaderMask active);

  // The reader registry and reaping (registry.cpp, docs/recovery.md).
  tl::expected<std::uint32_t, SlotError> register_reader(std::optional<std::uint32_t> index);
  tl::expected<void, SlotError> unregister_reader(std::uint32_t index);
  ReaderMask registered_readers() const;
  tl::expected<ReaderStats, SlotError> reader_stats(std::uint32_t index) const;
  // Disconnects dead registered readers and frees loans of dead writers; returns how many.
  std::size_t reap();
  std::chrono::milliseconds lease() const;
  bool owner_alive() const;
  ~SlotEngine();
  SlotEngine(const SlotEngine&) = delete;
  SlotEngine& operator=(const SlotEngine&) = delete;

  SegmentSnapshot snapshot() const;

  std::uint64_t generation() const;
  bool wait_for_change(std::uint64_t last, std::chrono::nanoseconds timeout) const;

  std::size_t slot_count() const { return static_cast<std::size_t>(geo_.slot_count); }
  std::size_t slot_total_size() const { return static_cast<std::size_t>(geo_.slot_total_size); }
  std::size_t slot_capacity() const { return static_cast<std::size_t>(geo_.slot_capacity); }
  std::optional<TypeHash> type_hash() const;
  // Records a type hash in the extension. Only for memory no other thread or process sees yet.
  void record_type_hash(const TypeHash& hash);
  bool extended() const { return geo_.extended; }
  std::uint32_t flags() const { return geo_.extended ? ctl_->flags : 0; }
  const Geometry& geometry() const { return geo_; }
  std::byte* base() const { return base_; }

 private:
  SharedSlotHeader& header_of(std::uint32_t i) const {
    return *reinterpret_cast<SharedSlotHeader*>(base_ + kSegmentHeaderSize + i * geo_.slot_total_size);
  }
  std::byte* payload_of(std::uint32_t i) const {
    return base_ + kSegmentHeaderSize + i * geo_.slot_total_size + kSlotHeaderSize;
  }
  SlotExt& ext_of(std::uint32_t i) const { return slot_ext_[i]; }
  RingEntry& ring_at(std::uint64_t seq) const { return ring_[seq % geo_.slot_count]; }

  // Where a copying read puts the payload: a caller's buffer, or a vector grown to the sample size.
  struct CopyDest {
    std::span<std::byte> fixed;
    std::vector<std::byte>* grow = nullptr;
    tl::expected<std::byte*, SlotError> prepare(std::size_t size) const;
  };
  tl::expected<SlotHeader, SlotError> copy_out(SlotHandle h, const CopyDest& dest) const;
  tl::expected<SlotHeader, SlotError> legacy_copy_out(SlotHandle h, const CopyDest& dest) const;
  tl::expected<std::uint32_t, SlotError> commit_impl(SlotHandle h, std::size_t len, const std::byte* src);
  void publish_in_order(std::uint64_t seq, std::uint32_t slot);
  tl::expected<SlotHandle, SlotError> reserve_impl(ReaderMask active, bool reaped_already);
  // Every reader in `active` has read the sample (its bit is in `read_by`) or moved past `seq`.
  bool all_done(ReaderMask read_by, ReaderMask active, std::uint64_t seq) const;
  // The COMMITTED slot holding sequence number `seq`, by a scan.
  std::optional<SlotHandle> find_committed(std::uint64_t seq) const;
  std::optional<SlotHandle> resync_lapped(std::uint32_t reader, std::uint64_t from);
  std::optional<SlotHandle> legacy_next_unread(std::uint32_t reader) const;
  // ZeroDDS segments: true once the newest commit a ZeroDDS writer started has written its header
  // (or none newer than `copied_sn` was started); false if it stays unfinished for a while.
  bool legacy_newest_commit_landed(std::uint32_t copied_sn) const;
  static constexpr int kLegacyScanAttempts = 64;
  static constexpr std::chrono::milliseconds kLegacyLandingWait{50};
  // (1 << 32) | next_sn of a ZeroDDS commit that did not land within kLegacyLandingWait; 0: none.
  mutable std::atomic<std::uint64_t> legacy_stalled_{0};
  void notify();
  // Records an index used without registering (the ZeroDDS way) once per engine; see recovery.md.
  void note_reader(std::uint32_t reader);
  bool claim_entry(std::uint32_t reader, bool reset_cursor);
  // Frees entry `reader` if `owner` still holds it; a dead owner's reader is disconnected first.
  void release_entry(std::uint32_t reader, std::uint64_t owner, bool dead);
  // A reader whose cursor is past `seq` has read or passed that sample.
  bool cursor_past(std::uint32_t reader, std::uint64_t seq) const;
  std::size_t maybe_reap();
  // Passing a sequence number a dead writer took but never published (recovery.md).
  bool gap_expired(std::uint32_t reader, std::uint64_t s);

  std::byte* base_;
  Geometry geo_;
  std::uint64_t segment_id_;
  SegmentHeader* header_;
  ExtControl* ctl_ = nullptr;
  SlotExt* slot_ext_ = nullptr;
  RingEntry* ring_ = nullptr;
  std::atomic<std::uint32_t> claimed_{0};  // entries this engine registered (released on destruction)
  std::atomic<std::uint32_t> noted_{0};    // indices this engine has used or registered
  std::uint64_t gap_since_[kMaxReaders] = {};  // per reader: when it started waiting on a gap (0: not)
  std::uint64_t gap_seq_[kMaxReaders] = {};
};

}  // namespace shmslot::core
