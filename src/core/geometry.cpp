#include "core/layout.hpp"

namespace shmslot::core {

Geometry make_geometry(std::uint64_t slot_count, std::uint64_t slot_total_size, std::uint64_t slot_capacity,
                       bool extended) {
  Geometry g;
  g.slot_count = slot_count;
  g.slot_total_size = slot_total_size;
  g.slot_capacity = slot_capacity;
  g.extended = extended;
  g.slots_end = kSegmentHeaderSize + slot_count * slot_total_size;
  if (!extended) {
    g.total_size = g.slots_end;
    return g;
  }
  g.ext_offset = align_up(g.slots_end, kCacheLine);
  g.slot_ext_offset = g.ext_offset + sizeof(ExtControl);
  g.ring_offset = g.slot_ext_offset + slot_count * sizeof(SlotExt);
  const std::uint64_t end = align_up(g.ring_offset + slot_count * sizeof(RingEntry), kCacheLine);
  g.ext_size = end - g.ext_offset;
  g.total_size = end;
  return g;
}

}  // namespace shmslot::core
