// Copying reads on a shmslot segment: a seqlock over the slot word and the 64-bit sequence number,
// and the copying take that checks the slot header's line alone. docs/protocol.md, "Copy read" and
// "Copying take".
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

std::optional<SlotHeader> SlotReader::take_by_header(std::uint32_t reader, std::span<std::byte> out) {
  if (reader >= kMaxReaders) return std::nullopt;  // the three steps report it
  registry_.note_reader(reader);
  std::atomic<std::uint64_t>& cursor = view_.reader_entry(reader).cursor;
  // Relaxed, as in next_unread: the ring entry and the header synchronise the data.
  const std::uint64_t s = cursor.load(std::memory_order_relaxed);
  // SYNC: acquire; pairs with the release CAS in publish_in_order (the entry names the slot).
  const std::uint64_t e = view_.ring_at(s).load(std::memory_order_acquire);
  // Not published yet, a gap or lapped: next_unread's cases.
  if (ring::distance(e, s) != 0) return std::nullopt;
  const std::uint32_t i = ring::slot(e);
  if (i >= view_.slot_count()) return std::nullopt;  // a ring entry is shared memory: never trust its index
  const SharedSlotHeader& hdr = view_.slot_header(i);
  // The header as a seqlock: reserve stores sample_size = 0 before its release fence, so before any
  // payload byte, and commit stores the number, then the size with release, after the payload.
  // SYNC: acquire; pairs with commit's release store of sample_size: the payload, the number and
  // the cleared reader_mask of that commit are visible.
  const std::uint32_t size = hdr.sample_size.load(std::memory_order_acquire);
  const std::uint32_t number = hdr.sequence_number.load(std::memory_order_relaxed);
  const ReaderMask read_by = hdr.reader_mask.load(std::memory_order_relaxed);
  // Size 0 is a slot being written (or a sample of size 0, which the steps deliver); another number
  // is another sample; this reader's bit means it marked this one out of order already.
  if (size == 0 || number != static_cast<std::uint32_t>(s) || (read_by & (1U << reader)) != 0) return std::nullopt;
  if (size > view_.slot_capacity() || size > out.size()) return std::nullopt;  // the steps report it
  seqlock_copy(out.data(), view_.payload(i), size);
  // SYNC: acquire fence; pairs with the release fence in reserve: if the copy read any byte a reuse
  // stored, the loads below see that reuse's size 0 or a later size. The size again with acquire:
  // when it is the reuse's commit's (release), its number is seen too, so an equal size of the next
  // sample cannot pass with the old number.
  std::atomic_thread_fence(std::memory_order_acquire);
  if (hdr.sample_size.load(std::memory_order_acquire) != size ||
      hdr.sequence_number.load(std::memory_order_relaxed) != number) {
    return std::nullopt;  // reused under the copy: the steps find out what became of it
  }
  // The mark, as mark_by_cursor's (same SYNC): the cursor past the sample tells every writer it is
  // read. A thread sharing the index that moved the cursor first took it: the steps go on from there.
  std::uint64_t expected = s;
  if (!cursor.compare_exchange_strong(expected, s + 1, std::memory_order_seq_cst, std::memory_order_relaxed)) {
    return std::nullopt;
  }
  notifier_.notify_slot_freed();
  SlotHeader taken;
  taken.sequence_number = number;
  taken.sample_size = size;
  taken.reader_mask = read_by;
  return taken;
}

}  // namespace shmslot::core
