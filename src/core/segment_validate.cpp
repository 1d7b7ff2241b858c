#include "core/segment_validate.hpp"

#include <cstdio>
#include <cstring>

namespace shmslot::core {

namespace {

std::uint32_t read_u32(const std::byte* base, std::size_t offset) {
  // A relaxed atomic read: another process may be writing these words.
  return reinterpret_cast<const std::atomic<std::uint32_t>*>(base + offset)->load(std::memory_order_acquire);
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

tl::unexpected<InvalidSegment> invalid(std::string reason) { return tl::unexpected(InvalidSegment{std::move(reason)}); }

}  // namespace

tl::expected<Geometry, InvalidSegment> validate_segment(const std::byte* base, std::uint64_t mapped_size) {
  if (mapped_size < kV1SegmentHeaderSize) {
    return invalid("segment is " + std::to_string(mapped_size) + " bytes, smaller than a segment header");
  }
  const std::uint32_t magic = read_u32(base, offsetof(SegmentHeader, magic));
  if (magic == 0) return tl::unexpected(InvalidSegment{"segment header not initialised (magic is 0)", true});
  if (magic != kSegmentMagic) return invalid("bad magic " + hex32(magic) + ", expected " + hex32(kSegmentMagic));
  const std::uint64_t count = read_u32(base, offsetof(SegmentHeader, slot_count));
  const std::uint64_t total = read_u32(base, offsetof(SegmentHeader, slot_total_size));
  if (count == 0) return invalid("slot_count is 0");
  if (count > kMaxSlotCount) {
    return invalid("slot_count " + std::to_string(count) + " exceeds the limit " + std::to_string(kMaxSlotCount));
  }
  if (total < 64 || total % 64 != 0) {
    return invalid("slot_total_size " + std::to_string(total) + " is not a positive multiple of 64");
  }
  // count <= 2^24 and total < 2^32: the products below fit in 64 bits.
  const std::uint64_t v1_size = kV1SegmentHeaderSize + count * total;
  const std::uint64_t v3_size = kSegmentHeaderSize + count * total;
  if (mapped_size == v1_size) {
    return invalid("ZeroDDS rc.1 (V1) layout with a 0x10 header: not supported, only the V3 layout is");
  }
  if (mapped_size < v3_size) {
    return invalid("segment is " + std::to_string(mapped_size) + " bytes but its header describes " +
                   std::to_string(v3_size));
  }
  const std::uint32_t ext_magic = read_u32(base, offsetof(SegmentHeader, ext_magic));
  if (ext_magic == 0) {
    // A ZeroDDS segment: its readers take the capacity as total - 16.
    return make_geometry(count, total, total - kSlotHeaderSize, false);
  }
  if (ext_magic != kExtMagic) return invalid("unknown extension magic " + hex32(ext_magic) + " at 0x14");
  const std::uint32_t version = read_u32(base, offsetof(SegmentHeader, ext_version));
  if (version != kExtVersion) {
    return invalid("extension layout version " + std::to_string(version) + " is not supported (this build reads " +
                   std::to_string(kExtVersion) +
                   "); recreate the segment, or attach with the shmslot build that created it");
  }
  Geometry g = make_geometry(count, total, 0, true);
  const std::uint32_t ext_size = read_u32(base, offsetof(SegmentHeader, ext_size));
  if (ext_size != g.ext_size) {
    return invalid("extension size " + std::to_string(ext_size) + " does not match " + std::to_string(g.ext_size) +
                   " for " + std::to_string(count) + " slots");
  }
  if (mapped_size < g.total_size) {
    return invalid("segment is " + std::to_string(mapped_size) + " bytes but its layout needs " +
                   std::to_string(g.total_size));
  }
  const auto* ctl = reinterpret_cast<const ExtControl*>(base + g.ext_offset);
  if (ctl->magic != kControlMagic) return invalid("extension control block has bad magic " + hex32(ctl->magic));
  const std::uint32_t flags = ctl->flags;
  if ((flags & ~kKnownFlags) != 0) return invalid("unknown extension flags " + hex32(flags));
  const std::uint32_t depth = ctl->history_depth;
  if ((flags & kFlagHistory) != 0 && (depth == 0 || depth >= count)) {
    return invalid("history depth " + std::to_string(depth) + " is not in 1.." + std::to_string(count - 1) + " for " +
                   std::to_string(count) + " slots");
  }
  if ((flags & kFlagHistory) == 0 && depth != 0) {
    return invalid("history depth " + std::to_string(depth) + " recorded without the history flag");
  }
  g.history_depth = depth;
  const std::uint64_t capacity = ctl->slot_capacity;
  if (capacity == 0 || capacity > total - kSlotHeaderSize || slot_total_size_for(capacity) != total) {
    return invalid("recorded slot capacity " + std::to_string(capacity) + " does not fit slot_total_size " +
                   std::to_string(total));
  }
  g.slot_capacity = capacity;
  return g;
}

}  // namespace shmslot::core
