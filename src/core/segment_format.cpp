// Formatting a fresh shmslot segment: the creator's one write of header and extension.
#include <cstring>

#include "core/slot_engine.hpp"

namespace shmslot::core {

void format_segment(std::byte* base, const Geometry& g, const FormatOptions& options) {
  auto* header = reinterpret_cast<SegmentHeader*>(base);
  header->magic = kSegmentMagic;
  header->slot_count = static_cast<std::uint32_t>(g.slot_count);
  header->slot_total_size = static_cast<std::uint32_t>(g.slot_total_size);
  header->ext_version = kExtVersion;
  header->ext_size = static_cast<std::uint32_t>(g.ext_size);
  auto* ctl = reinterpret_cast<ExtControl*>(base + g.ext_offset);
  ctl->magic = kControlMagic;
  ctl->flags = options.flags | (options.history_depth != 0 ? kFlagHistory : 0U);
  ctl->history_depth = options.history_depth;
  ctl->slot_capacity = g.slot_capacity;
  std::memcpy(ctl->type_hash, options.type_hash.data(), sizeof ctl->type_hash);
  ctl->owner_pid = options.owner_pid;
  ctl->owner_pid_ns = options.owner_pid_ns;
  ctl->owner_start_time = options.owner_start_time;
  ctl->lease_ms = options.lease_ms;
  // Ring entry k starts as "sequence k - n": older than k, so a reader expecting k waits for it.
  auto* ring = reinterpret_cast<RingEntry*>(base + g.ring_offset);
  for (std::uint64_t k = 0; k < g.slot_count; ++k) {
    ring[k].store(ring::make(k - g.slot_count, 0), std::memory_order_relaxed);
  }
  // SYNC: release; the extension is complete before anyone can see its magic. Attach also learns
  // the segment's name only from the flink file, which is written after this.
  header->ext_magic.store(kExtMagic, std::memory_order_release);
}

}  // namespace shmslot::core
