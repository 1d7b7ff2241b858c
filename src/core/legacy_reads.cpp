// Reading a segment that a ZeroDDS process created and writes (no shmslot extension): the safest
// reads its protocol allows. See "ZeroDDS-created segments" in docs/protocol.md.
#include <algorithm>

#include "core/seqlock_copy.hpp"
#include "core/slot_engine.hpp"

namespace shmslot::core {

tl::expected<SlotHeader, SlotError> SlotEngine::legacy_copy_out(SlotHandle h, const CopyDest& dest) const {
  const SharedSlotHeader& hdr = header_of(h.slot_index);
  // SYNC: acquire; pairs with the ZeroDDS writer's release increment of gen after its header stores.
  (void)header_->gen.load(std::memory_order_acquire);
  SlotHeader out;
  out.reader_mask = hdr.reader_mask.load(std::memory_order_acquire);
  out.sequence_number = hdr.sequence_number.load(std::memory_order_relaxed);
  const std::uint32_t raw_size = hdr.sample_size.load(std::memory_order_relaxed);
  const auto size = std::min<std::size_t>(raw_size, geo_.slot_capacity);
  auto target = dest.prepare(size);
  if (!target) return tl::unexpected(target.error());
  seqlock_copy(*target, payload_of(h.slot_index), size);
  std::atomic_thread_fence(std::memory_order_acquire);
  // ZeroDDS rewrites sequence number and size on every reuse: a change means the copy may be torn.
  if (hdr.sequence_number.load(std::memory_order_relaxed) != out.sequence_number ||
      hdr.sample_size.load(std::memory_order_relaxed) != raw_size) {
    return tl::unexpected(SlotError::of(SlotErrorCode::Overwritten));
  }
  out.sample_size = static_cast<std::uint32_t>(size);
  return out;
}

std::optional<SlotHandle> SlotEngine::legacy_next_unread(std::uint32_t reader) const {
  const std::uint32_t bit = 1U << reader;
  // SYNC: acquire, as in legacy_copy_out.
  (void)header_->gen.load(std::memory_order_acquire);
  // The oldest pending sample: the smallest sequence number, compared by signed 32-bit difference
  // so that a counter that wrapped still orders correctly (samples are far fewer than 2^31 apart).
  std::optional<SlotHandle> best;
  std::uint32_t best_sn = 0;
  for (std::uint32_t i = 0; i < geo_.slot_count; ++i) {
    const SharedSlotHeader& hdr = header_of(i);
    if (hdr.sample_size.load(std::memory_order_relaxed) == 0) continue;  // ZeroDDS: 0 means empty
    if ((hdr.reader_mask.load(std::memory_order_relaxed) & bit) != 0) continue;
    const std::uint32_t sn = hdr.sequence_number.load(std::memory_order_relaxed);
    if (!best || static_cast<std::int32_t>(sn - best_sn) < 0) {
      best = SlotHandle{segment_id_, i, kAnyGeneration};
      best_sn = sn;
    }
  }
  return best;
}

}  // namespace shmslot::core
