// Where everything of one mapped segment lives: typed views onto its header, slots, extension and
// order ring, computed once from the validated geometry. Every part of the engine works through one.
#pragma once

#include <cstddef>
#include <atomic>
#include <cstdint>

#include "core/layout.hpp"

namespace shmslot::core {

class SegmentView {
 public:
  // `base` maps at least geometry.total_size bytes (or slots_end for a ZeroDDS segment), validated.
  SegmentView(std::byte* base, const Geometry& geometry, std::uint64_t segment_id)
      : base_(base),
        geo_(geometry),
        segment_id_(segment_id),
        header_(reinterpret_cast<SegmentHeader*>(base)),
        ctl_(geometry.extended ? reinterpret_cast<ExtControl*>(base + geometry.ext_offset) : nullptr),
        slot_ext_(geometry.extended ? reinterpret_cast<SlotExt*>(base + geometry.slot_ext_offset) : nullptr),
        ring_(geometry.extended ? reinterpret_cast<RingEntry*>(base + geometry.ring_offset) : nullptr) {}

  std::byte* base() const { return base_; }
  const Geometry& geometry() const { return geo_; }
  std::uint64_t segment_id() const { return segment_id_; }
  std::uint64_t slot_count() const { return geo_.slot_count; }
  std::uint64_t slot_capacity() const { return geo_.slot_capacity; }
  bool extended() const { return geo_.extended; }

  SegmentHeader& header() const { return *header_; }
  SharedSlotHeader& slot_header(std::uint32_t i) const {
    return *reinterpret_cast<SharedSlotHeader*>(base_ + kSegmentHeaderSize + i * geo_.slot_total_size);
  }
  std::byte* payload(std::uint32_t i) const {
    return base_ + kSegmentHeaderSize + i * geo_.slot_total_size + kSlotHeaderSize;
  }
  // The extension: only on shmslot segments (extended()).
  ExtControl& control() const { return *ctl_; }
  ReaderEntry& reader_entry(std::uint32_t r) const { return ctl_->readers[r]; }
  SlotExt& slot_ext(std::uint32_t i) const { return slot_ext_[i]; }
  RingEntry& ring_entry(std::uint64_t k) const { return ring_[k]; }
  RingEntry& ring_at(std::uint64_t seq) const { return ring_[seq % geo_.slot_count]; }

  // The oldest sequence number a segment with history keeps (protocol.md, "History for late
  // joiners"): committed samples at or above it are retained, never reused or evicted. No history:
  // past every number. Relaxed: next_seq only grows, so a stale value retains more, never less.
  std::uint64_t retained_from() const {
    if (geo_.history_depth == 0) return UINT64_MAX;
    const std::uint64_t next = ctl_->next_seq.load(std::memory_order_relaxed);
    return next > geo_.history_depth ? next - geo_.history_depth : 0;
  }

 private:
  std::byte* base_;
  Geometry geo_;
  std::uint64_t segment_id_;
  SegmentHeader* header_;
  ExtControl* ctl_;
  SlotExt* slot_ext_;
  RingEntry* ring_;
};

}  // namespace shmslot::core
