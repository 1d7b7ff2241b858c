// Copying reads on a shmslot segment: a seqlock over the slot word and the 64-bit sequence number.
// docs/protocol.md, "Copy read".
#include <algorithm>

#include "core/seqlock_copy.hpp"
#include "core/slot_checks.hpp"
#include "core/slot_reader.hpp"

namespace shmslot::core {

namespace sw = slot_word;
using sw::Phase;

tl::expected<SlotHeader, SlotError> SlotReader::copy_out(SlotHandle h, const CopyDest& dest) const {
  if (h.slot_index >= view_.slot_count()) return fail(SlotErrorCode::OutOfBounds);
  const std::uint32_t i = h.slot_index;
  const SlotExt& ext = view_.slot_ext(i);
  const SharedSlotHeader& hdr = view_.slot_header(i);
  // SYNC: acquire; pairs with the commit's release store of the word.
  const std::uint64_t w1 = ext.word.load(std::memory_order_acquire);
  if (!generation_matches(h, w1)) return fail(SlotErrorCode::Overwritten);
  if (sw::phase(w1) == Phase::kWriting) return fail(SlotErrorCode::Overwritten);
  // The 64-bit sequence number joins the check: the 30-bit generation alone could wrap around to
  // the same value while a reader is preempted in the middle of a copy.
  const std::uint64_t seq1 = ext.seq.load(std::memory_order_relaxed);
  SlotHeader out;
  out.sequence_number = hdr.sequence_number.load(std::memory_order_relaxed);
  out.reader_mask = hdr.reader_mask.load(std::memory_order_relaxed);
  std::size_t size = 0;
  if (sw::phase(w1) == Phase::kCommitted) {
    // Clamped: the header is shared memory and a size beyond the capacity is never trusted.
    size = std::min<std::size_t>(hdr.sample_size.load(std::memory_order_relaxed), view_.slot_capacity());
  }
  auto target = dest.prepare(size);
  if (!target) return tl::unexpected(target.error());
  seqlock_copy(*target, view_.payload(i), size);
  // SYNC: acquire fence; pairs with the release fence in reserve. If the copy read any byte of a
  // newer payload, the load below sees the newer word.
  std::atomic_thread_fence(std::memory_order_acquire);
  const std::uint64_t w2 = ext.word.load(std::memory_order_relaxed);
  if (sw::state(w1) != sw::state(w2) || ext.seq.load(std::memory_order_relaxed) != seq1) {
    return fail(SlotErrorCode::Overwritten);
  }
  out.sample_size = static_cast<std::uint32_t>(size);
  return out;
}

}  // namespace shmslot::core
