#include "core/slot_reader.hpp"

#include <algorithm>

#include "core/slot_checks.hpp"
#include "platform/process.hpp"

namespace shmslot::core {

namespace sw = slot_word;
using sw::Phase;

// Inline: on the zero-copy path it runs twice per sample (read_ptr, then mark_read finds it pinned).
inline bool SlotReader::pin(SlotHandle h, std::uint32_t reader, std::uint64_t& w) {
  return pin_sample(view_.slot_ext(h.slot_index).word, 1U << reader, h.generation, w);
}

tl::expected<std::span<const std::byte>, SlotError> SlotReader::read_ptr(SlotHandle h, std::uint32_t reader) {
  if (reader >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  if (h.slot_index >= view_.slot_count()) return fail(SlotErrorCode::OutOfBounds);
  registry_.note_reader(reader);
  std::uint64_t w = 0;
  if (!pin(h, reader, w)) return fail(SlotErrorCode::Overwritten);
  const std::uint32_t i = h.slot_index;
  const auto size = std::min<std::size_t>(view_.slot_header(i).sample_size.load(std::memory_order_relaxed),
                                          view_.slot_capacity());
  return std::span<const std::byte>(view_.payload(i), size);
}

tl::expected<void, SlotError> SlotReader::mark_read(SlotHandle h, std::uint32_t reader) {
  if (reader >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  if (h.slot_index >= view_.slot_count()) return fail(SlotErrorCode::OutOfBounds);
  if (mark_by_cursor(h, reader)) return {};
  return mark_by_bit(h, reader);
}

bool SlotReader::mark_by_cursor(SlotHandle h, std::uint32_t reader) {
  SlotExt& ext = view_.slot_ext(h.slot_index);
  // A small seqlock over (word, seq), as in next_unread: `seq` is the number of the sample `h` names.
  // SYNC: acquire; pairs with the commit's release store of the word.
  const std::uint64_t w = ext.word.load(std::memory_order_acquire);
  if (sw::phase(w) != Phase::kCommitted || !generation_matches(h, w)) return false;
  const std::uint64_t seq = ext.seq.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);  // SYNC: as in copy_out's re-check
  if (sw::state(ext.word.load(std::memory_order_relaxed)) != sw::state(w)) return false;
  // The sample is the one at this reader's cursor: moving the cursor past it marks it read for every
  // shmslot writer (ReaderRegistry::all_done), with no store into the writer's lines.
  // SYNC: seq_cst on success: a release that pairs with the acquire load of the cursor in
  // cursor_past (this reader's reads of the sample happen before the slot is reused), and the
  // publication half of the Dekker pair in notify_slot_freed (a plain lock cmpxchg on x86).
  // Relaxed on failure: not this reader's next sample, so the bit path marks it.
  std::uint64_t expected = seq;
  if (!view_.reader_entry(reader).cursor.compare_exchange_strong(expected, seq + 1, std::memory_order_seq_cst,
                                                                  std::memory_order_relaxed)) {
    return false;
  }
  const std::uint32_t bit = 1U << reader;
  // A zero-copy read pinned it: unpinned after the cursor moved, so a writer that sees the pin gone
  // sees the cursor too.
  if ((sw::hold(w) & bit) != 0) unpin(ext.word, bit, sw::generation(w));
  notifier_.notify_slot_freed();
  return true;
}

tl::expected<void, SlotError> SlotReader::mark_by_bit(SlotHandle h, std::uint32_t reader) {
  const std::uint32_t i = h.slot_index;
  const std::uint32_t bit = 1U << reader;
  // Pin the sample the handle names (unless this reader's zero-copy read pinned it already): while
  // pinned the slot cannot be reused, so the bit below lands on this sample and no other.
  std::uint64_t w = 0;
  if (!pin(h, reader, w)) {
    // The sample is gone (reused under a reader outside the active mask): nothing to mark.
    pass_gone_at_cursor(i, reader);
    notifier_.notify();
    return {};
  }
  SlotExt& ext = view_.slot_ext(i);
  // SYNC: release; pairs with the writer's acquire load of reader_mask in reserve: this reader's
  // reads of the sample happen before the slot is reused.
  view_.slot_header(i).reader_mask.fetch_or(bit, std::memory_order_release);
  // Unpinned only after the reader is done with the span; the publication for a writer waiting for a
  // free slot (see unpin).
  unpin(ext.word, bit, sw::generation(w));
  notifier_.notify_slot_freed();
  return {};
}

void SlotReader::pass_gone_at_cursor(std::uint32_t slot, std::uint32_t reader) {
  // A sample copied, then gone before its mark, leaves the cursor on it. next_unread would pass it
  // (the word no longer holds it), but the copying take reads the header, which still names it from
  // a reserve's CAS until that reserve zeroes the size: it would deliver the sample again. So pass
  // it here, when the ring puts the cursor's sample in this slot and the slot no longer holds it.
  std::atomic<std::uint64_t>& cursor = view_.reader_entry(reader).cursor;
  std::uint64_t c = cursor.load(std::memory_order_relaxed);
  // SYNC: acquire, as in next_unread.
  const std::uint64_t e = view_.ring_at(c).load(std::memory_order_acquire);
  if (ring::distance(e, c) != 0 || ring::slot(e) != slot) return;
  const SlotExt& ext = view_.slot_ext(slot);
  // The small seqlock of next_unread: only a word that stays COMMITTED with `seq` == c keeps it.
  const std::uint64_t w = ext.word.load(std::memory_order_acquire);  // SYNC: acquire, as in next_unread
  const std::uint64_t seq = ext.seq.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  const bool held = sw::phase(w) == Phase::kCommitted && seq == c &&
                    sw::state(ext.word.load(std::memory_order_relaxed)) == sw::state(w);
  // Relaxed, as next_unread's own pass; the CAS keeps threads sharing the index from moving it back.
  if (!held) cursor.compare_exchange_strong(c, c + 1, std::memory_order_relaxed);
}

std::optional<std::chrono::nanoseconds> SlotReader::commit_time(SlotHandle h) const {
  if (h.slot_index >= view_.slot_count()) return std::nullopt;
  const SlotExt& ext = view_.slot_ext(h.slot_index);
  // A seqlock read of one field: the time belongs to the sample the handle names only if the word
  // (phase and generation) is the same before and after. SYNC: acquire, as in copy_out.
  const std::uint64_t w1 = ext.word.load(std::memory_order_acquire);
  if (sw::phase(w1) != Phase::kCommitted || !generation_matches(h, w1)) return std::nullopt;
  const std::uint64_t at = ext.commit_time_ns.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);  // SYNC: as in copy_out's re-check
  if (sw::state(ext.word.load(std::memory_order_relaxed)) != sw::state(w1)) return std::nullopt;
  return std::chrono::nanoseconds(at);
}

tl::expected<std::optional<SlotHandle>, SlotError> SlotReader::next_unread(std::uint32_t reader) {
  if (reader >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  registry_.note_reader(reader);
  const std::uint32_t bit = 1U << reader;
  const std::uint64_t n = view_.slot_count();
  std::atomic<std::uint64_t>& cursor = view_.reader_entry(reader).cursor;
  // Relaxed: the cursor is a position, the data is synchronised through ring entry and slot word.
  std::uint64_t s = cursor.load(std::memory_order_relaxed);
  for (;;) {
    // SYNC: acquire; pairs with the release CAS in publish_in_order.
    const std::uint64_t e = view_.ring_at(s).load(std::memory_order_acquire);
    const std::int64_t d = ring::distance(e, s);
    // The entry for s holds s - n until s is published, or an older number still when s - n (and
    // perhaps s - 2n ...) was never entered either: writers that died inside commit holding numbers
    // that share this entry. Both mean "s is not published yet", and s may be a gap. Only a cursor
    // more than 2^38 behind the counter (the entry compares modulo 2^40) needs a resync instead.
    if (d < -static_cast<std::int64_t>(n) &&
        view_.control().next_seq.load(std::memory_order_relaxed) - s >= (std::uint64_t{1} << 38)) {
      return resync_lapped(reader, s);
    }
    if (d <= -static_cast<std::int64_t>(n)) {
      if (!gap_expired(reader, s)) return std::optional<SlotHandle>{};
      // s was taken a lease ago and later numbers exist: its writer died mid-commit. Deliver it if
      // it got as far as COMMITTED, else pass the gap.
      if (auto found = find_committed(s);
          found && (view_.slot_header(found->slot_index).reader_mask.load(std::memory_order_relaxed) & bit) == 0) {
        return std::optional<SlotHandle>{*found};
      }
      if (cursor.compare_exchange_strong(s, s + 1, std::memory_order_relaxed)) ++s;
      continue;
    }
    if (d != 0) return resync_lapped(reader, s);
    const std::uint32_t i = ring::slot(e);
    bool deliver = false;
    std::uint64_t w = 0;
    if (i < n) {  // a ring entry is shared memory: never trust its index
      const SlotExt& ext = view_.slot_ext(i);
      // A small seqlock over (word, seq): both must describe the same commit.
      // The reader mask is read inside the window too: a reuse resets it, and a reset seen here
      // shows up as a changed word in the re-check.
      w = ext.word.load(std::memory_order_acquire);  // SYNC: acquire; pairs with the commit's release
      const std::uint64_t seq = ext.seq.load(std::memory_order_relaxed);
      const ReaderMask read_by = view_.slot_header(i).reader_mask.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      const bool stable = sw::state(ext.word.load(std::memory_order_relaxed)) == sw::state(w);
      deliver = stable && sw::phase(w) == Phase::kCommitted && seq == s && (read_by & bit) == 0;
    }
    if (deliver) return std::optional<SlotHandle>{SlotHandle{view_.segment_id(), i, sw::generation(w)}};
    // Read already, or overwritten under a reader outside the active mask: move past it. The CAS
    // keeps threads that share a reader index from moving the cursor backwards.
    if (cursor.compare_exchange_strong(s, s + 1, std::memory_order_relaxed)) ++s;
  }
}

std::optional<SlotHandle> SlotReader::resync_lapped(std::uint32_t reader, std::uint64_t from) {
  // The ring no longer says where `from` is: the reader was lapped (it was outside the active mask,
  // or marked out of order) or has been away for 2^39 samples. Rare, so two scans are fine.
  const std::uint64_t n = view_.slot_count();
  // 1. The publication frontier: every sequence number in [from, frontier) is committed (or gone).
  //    Entry k holds the newest published e_k = k (mod n), so e_k + n is not published yet. But a
  //    number below `from` no longer bounds it: the reader has passed it already (a writer that died
  //    inside commit left it out of the ring, and the gap rule passed it). What this reader waits for
  //    in class k is at least q_k, the first number >= from that is k (mod n). Without this, such a
  //    stale entry held the frontier below `from` until class k was published again, which a writer
  //    blocked by this very reader never does (a deadlock the random-kill harness found).
  const std::uint64_t next = view_.control().next_seq.load(std::memory_order_acquire);
  std::uint64_t frontier = next;
  for (std::uint64_t k = 0; k < n; ++k) {
    const std::uint64_t e = view_.ring_entry(k).load(std::memory_order_acquire);
    const std::uint64_t newest = next + static_cast<std::uint64_t>(ring::distance(e, next));  // wraps back
    const std::uint64_t first_needed = from + (k + n - from % n) % n;
    frontier = std::min(frontier, std::max(newest + n, first_needed));
  }
  if (frontier <= from) return std::nullopt;  // `from` itself may still be in flight: wait for it
  // 2. The oldest committed sample in [from, limit) this reader has not read. `limit` stops short of
  //    any number a writer has taken but not committed: the ring cannot show it (a later number of
  //    its class may have taken its entry), but its slot is WRITING with the number, or with the
  //    marker while the number is being taken (SlotWriter::commit), which this scan sees (see the
  //    SYNC there). A WRITING slot may also still hold the number of the sample it overwrites: waiting
  //    for that commit costs only its duration.
  const std::uint32_t bit = 1U << reader;
  std::uint64_t limit = frontier;
  std::optional<SlotHandle> best;
  std::uint64_t best_seq = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    const SlotExt& ext = view_.slot_ext(i);
    std::uint64_t w = 0;
    std::uint64_t seq = 0;
    ReaderMask read_by = 0;
    bool stable = false;
    for (int attempt = 0; attempt < 4 && !stable; ++attempt) {
      w = ext.word.load(std::memory_order_acquire);  // SYNC: acquire, as in next_unread
      seq = ext.seq.load(std::memory_order_relaxed);
      read_by = view_.slot_header(i).reader_mask.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      stable = sw::state(ext.word.load(std::memory_order_relaxed)) == sw::state(w);
    }
    if (!stable) {  // a commit may be landing a number this reader is owed: decide on the next visit
      limit = from;
      continue;
    }
    if (sw::phase(w) == Phase::kWriting) {
      if (seq == kSeqTaking) {
        limit = from;
      } else if (seq >= from && seq < limit) {
        limit = seq;
      }
      continue;
    }
    if (sw::phase(w) != Phase::kCommitted || seq < from || seq >= frontier) continue;
    if ((read_by & bit) != 0) continue;
    if (!best || seq < best_seq) {
      best = SlotHandle{view_.segment_id(), i, sw::generation(w)};
      best_seq = seq;
    }
  }
  // A writer that died holding a number holds nobody up for more than a lease (the gap rule).
  if (limit < frontier && gap_expired(reader, from)) limit = frontier;
  if (best && best_seq >= limit) best.reset();
  // Everything in [from, target) is committed and either read or already overwritten.
  const std::uint64_t target = best ? best_seq : limit;
  advance_cursor(view_.reader_entry(reader).cursor, target);
  return best;
}

std::optional<SlotHandle> SlotReader::find_committed(std::uint64_t seq) const {
  for (std::uint32_t i = 0; i < view_.slot_count(); ++i) {
    const SlotExt& ext = view_.slot_ext(i);
    const std::uint64_t w = ext.word.load(std::memory_order_acquire);
    if (sw::phase(w) != Phase::kCommitted || ext.seq.load(std::memory_order_relaxed) != seq) continue;
    std::atomic_thread_fence(std::memory_order_acquire);
    if (sw::state(ext.word.load(std::memory_order_relaxed)) != sw::state(w)) continue;
    return SlotHandle{view_.segment_id(), i, sw::generation(w)};
  }
  return std::nullopt;
}

bool SlotReader::gap_expired(std::uint32_t reader, std::uint64_t s) {
  // Every empty look at the head of the stream comes here, and next_seq lives on the writers' line:
  // a busy reader loading it on every look would pull that line away from each commit's fetch_add.
  // It is looked at once per tick of the coarse clock (a jiffy: 1-10 ms), which only delays the
  // start of a gap's lease by that much. Relaxed: a per-reader timestamp; threads sharing an index
  // at worst look twice in one tick.
  const std::uint64_t now = platform::coarse_now_ns();
  if (gap_look_ns_[reader].load(std::memory_order_relaxed) == now) return false;
  gap_look_ns_[reader].store(now, std::memory_order_relaxed);
  // Not a gap unless a later number was taken: then s's writer is at least that slow.
  if (view_.control().next_seq.load(std::memory_order_relaxed) <= s + 1) {
    gap_since_[reader].store(0, std::memory_order_relaxed);
    return false;
  }
  const std::lock_guard lock(gap_mutex_);  // rare: a number later than s was taken before s committed
  const std::uint64_t since = gap_since_[reader].load(std::memory_order_relaxed);
  if (since == 0 || gap_seq_[reader].load(std::memory_order_relaxed) != s) {
    gap_since_[reader].store(now, std::memory_order_relaxed);
    gap_seq_[reader].store(s, std::memory_order_relaxed);
    return false;
  }
  return now - since >= static_cast<std::uint64_t>(std::chrono::nanoseconds(registry_.lease()).count());
}

}  // namespace shmslot::core
