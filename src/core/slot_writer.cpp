#include "core/slot_writer.hpp"

#include <atomic>
#include <cstring>

#include "core/slot_checks.hpp"
#include "platform/cache_hint.hpp"
#include "platform/process.hpp"

namespace shmslot::core {

namespace sw = slot_word;
using sw::Phase;

tl::expected<SlotHandle, SlotError> SlotWriter::reserve(ReaderMask active) {
  auto loan = reserve_once(active);
  // Full: perhaps a dead reader or writer holds slots. Reaping is rate-limited to once per half
  // lease across all processes, and only this blocked path pays for it.
  if (!loan && reaper_.maybe_reap() > 0) loan = reserve_once(active);
  return loan;
}

tl::expected<SlotHandle, SlotError> SlotWriter::reserve_once(ReaderMask active) {
  const std::uint64_t n = view_.slot_count();
  // Relaxed: the cursor only spreads writers over the slots; the CAS below decides ownership. One
  // start per reserve, then every slot in turn: numbers taken one per attempt could skip the one
  // reusable slot while other writers move the cursor too.
  const std::uint64_t start = view_.control().reserve_cursor.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t retain_from = view_.retained_from();
  for (std::uint64_t attempt = 0; attempt < n; ++attempt) {
    const auto i = static_cast<std::uint32_t>((start + attempt) % n);
    SlotExt& ext = view_.slot_ext(i);
    // SYNC: acquire; pairs with the release unpin in mark_read / disconnect.
    std::uint64_t w = ext.word.load(std::memory_order_acquire);
    if (!reusable(i, w, active, retain_from)) continue;
    // Usually owned already (the last commit asked for them); asked for only once the slot is
    // known reusable, so that a writer retrying on a full segment does not pull the lines of the
    // oldest sample from the reader it waits for.
    prefetch_slot(i);
    const std::uint32_t gen = sw::next_generation(sw::generation(w));
    // The loaner's pid rides in the word while WRITING, so a reap frees exactly a dead writer's loan.
    const auto loaner = static_cast<std::uint32_t>(platform::current_pid());
    // SYNC: acq_rel on success (orders the loan before the payload stores below and after the
    // loads above); relaxed on failure, which only sends us to the next candidate.
    if (!ext.word.compare_exchange_strong(w, sw::make(Phase::kWriting, gen, loaner), std::memory_order_acq_rel,
                                          std::memory_order_relaxed)) {
      continue;
    }
    // ZeroDDS readers skip a slot of size 0; stored before the fence, so before any payload byte:
    // the seqlock begin of the header line, which a copying take re-checks (take_by_header).
    view_.slot_header(i).sample_size.store(0, std::memory_order_relaxed);
    // Readers no registration covers sleep on `gen` without announcing it: the commit must wake them.
    // Relaxed: read back by this loan's commit, which the caller orders after this reserve.
    ext.hidden_readers.store(active & ~registry_.registered_readers(), std::memory_order_relaxed);
    // SYNC: release fence; the writer half of the seqlock. A copying reader that sees any byte
    // stored after this fence sees the WRITING word in its re-check (its acquire fence pairs here).
    std::atomic_thread_fence(std::memory_order_release);
    // The next reserve starts after the slot taken, where the oldest sample now is (relaxed, as above;
    // only when this one had to look further, so the steady state keeps one RMW).
    if (attempt > 0) view_.control().reserve_cursor.fetch_add(attempt, std::memory_order_relaxed);
    return SlotHandle{view_.segment_id(), i, gen};
  }
  return fail(SlotErrorCode::NoFreeSlot);
}

void SlotWriter::prefetch_slot(std::uint32_t i) const {
  // The lines a reserve and a small commit write, readers having read them a lap ago: the word's
  // line (X), the header with the payload's first 16 bytes (Sa), the next 64 payload bytes (Sb).
  // Asked for together, their transfers overlap; otherwise the word's CAS, the number's fetch_add
  // and the ring's CAS would each wait for one of them in turn (protocol.md, "Cost budget").
  platform::prefetch_for_write(&view_.slot_ext(i));
  platform::prefetch_for_write(&view_.slot_header(i));
  if (view_.slot_capacity() > 16) platform::prefetch_for_write(view_.payload(i) + 16);
}

bool SlotWriter::reusable(std::uint32_t i, std::uint64_t w, ReaderMask active, std::uint64_t retain_from) const {
  const Phase phase = sw::phase(w);
  if (phase == Phase::kWriting) return false;
  if (phase != Phase::kCommitted) return true;
  if (sw::hold(w) != 0) return false;
  // Relaxed: the acquire load of the word (the caller's) orders it; a seq from a newer commit is
  // only newer, so it retains or waits for readers more, never less.
  const std::uint64_t seq = view_.slot_ext(i).seq.load(std::memory_order_relaxed);
  if (seq >= retain_from) return false;  // among the newest H: kept for late joiners
  // Readers that read in order only move their cursors (mark_read): when every active reader's
  // cursor is past the sample, the slot's header line is not even looked at.
  const ReaderMask behind = registry_.not_past(active, seq);
  if (behind == 0) return true;
  // Those still behind must have marked it by bit (out of order, or ZeroDDS readers).
  // SYNC: acquire; pairs with the release fetch_or in mark_read: the readers' reads of the old
  // sample happen before this writer's stores into the slot.
  const ReaderMask read_by = view_.slot_header(i).reader_mask.load(std::memory_order_acquire);
  return (behind & ~read_by) == 0;
}

bool SlotWriter::has_free_slot(ReaderMask active) const {
  const auto n = static_cast<std::uint32_t>(view_.slot_count());
  const std::uint64_t retain_from = view_.retained_from();
  for (std::uint32_t i = 0; i < n; ++i) {
    // SYNC: acquire, as in reserve_once: this answers the question reserve will ask.
    if (reusable(i, view_.slot_ext(i).word.load(std::memory_order_acquire), active, retain_from)) return true;
  }
  return false;
}

tl::expected<std::span<std::byte>, SlotError> SlotWriter::data_ptr(SlotHandle h) const {
  if (h.slot_index >= view_.slot_count()) return fail(SlotErrorCode::OutOfBounds);
  // Relaxed: only this loan's owner moves a WRITING word on, and it is the caller.
  const std::uint64_t w = view_.slot_ext(h.slot_index).word.load(std::memory_order_relaxed);
  if (!is_live_loan(h, w)) return fail(SlotErrorCode::NotLoaned);
  return std::span<std::byte>(view_.payload(h.slot_index), static_cast<std::size_t>(view_.slot_capacity()));
}

tl::expected<std::uint32_t, SlotError> SlotWriter::commit(SlotHandle h, std::size_t len, const std::byte* src) {
  if (h.slot_index >= view_.slot_count()) return fail(SlotErrorCode::OutOfBounds);
  const std::uint32_t i = h.slot_index;
  SlotExt& ext = view_.slot_ext(i);
  // Relaxed: see data_ptr.
  const std::uint64_t w = ext.word.load(std::memory_order_relaxed);
  if (!is_live_loan(h, w)) return fail(SlotErrorCode::NotLoaned);
  if (len > view_.slot_capacity()) return tl::unexpected(SlotError::too_large(len, view_.slot_capacity()));

  // A small copy comes after the number is taken: a locked instruction waits until every store
  // before it owns its line, and the payload's lines were last read by a reader. After the
  // fetch_add, the payload, header and ring stores all wait at the ring's CAS together, one round
  // trip instead of two. A large copy goes first: a number taken is a number readers wait for (a
  // lapped reader's scan stops at it, and past a lease the gap rule passes it), so the time between
  // taking and publishing one stays a few stores, not a copy that may fault or be preempted.
  const bool copy_first = src != nullptr && len > kCopyAfterNumberMax;
  if (copy_first) std::memcpy(view_.payload(i), src, len);
  // A number taken but not committed yet must show in a lapped reader's slot scan (resync_lapped),
  // or the reader could pass it: the marker goes first, then the number is taken, then stored.
  // SYNC: acq_rel fetch_add (a plain lock xadd on x86, as before): its release half orders the
  // marker before it, and every later fetch_add acquires it (they continue its release sequence), so
  // whoever publishes a later number, and every reader that acquires that publication, sees the
  // marker or what follows it. The sample itself is published by the release store of the word.
  ext.seq.store(kSeqTaking, std::memory_order_relaxed);
  const std::uint64_t seq = view_.control().next_seq.fetch_add(1, std::memory_order_acq_rel);
  ext.seq.store(seq, std::memory_order_relaxed);  // the marker gives way to the number at once
  // The ring entry's line is the one a caught-up reader polls: asked for now, it travels while the
  // payload is copied instead of after it, at the CAS that publishes.
  platform::prefetch_for_write(&view_.ring_at(seq));
  if (!copy_first && src != nullptr && len != 0) std::memcpy(view_.payload(i), src, len);
  SharedSlotHeader& hdr = view_.slot_header(i);
  hdr.reader_mask.store(0, std::memory_order_relaxed);
  hdr.sequence_number.store(static_cast<std::uint32_t>(seq), std::memory_order_relaxed);
  // SYNC: release, and last of the header: the seqlock end of the header line. A copying take that
  // sees this size (acquire) sees the payload, the number and the cleared mask above
  // (SlotReader::take_by_header); ZeroDDS readers, which go by a nonzero size, gain the same.
  hdr.sample_size.store(static_cast<std::uint32_t>(len), std::memory_order_release);
  ext.commit_time_ns.store(platform::coarse_now_ns(), std::memory_order_relaxed);
  // Informational mirror of ZeroDDS's counter; may lag under concurrent writers.
  view_.header().next_sn.store(static_cast<std::uint32_t>(seq + 1), std::memory_order_relaxed);
  // Relaxed: written by this loan's reserve (see there); read while the slot is still ours.
  const bool wake_hidden = ext.hidden_readers.load(std::memory_order_relaxed) != 0;
  // SYNC: release; the commit point. Pairs with every reader's acquire load of the word: payload
  // and header stores above are visible to whoever sees COMMITTED.
  ext.word.store(sw::make(Phase::kCommitted, sw::generation(w)), std::memory_order_release);
  if (publish_in_order(seq, i)) {
    // SYNC: seq_cst fence between the two publishing stores (the word above, the ring entry) and
    // notify_published's load of the sleeper word. A reader waiting for this sample looks at the ring
    // entry, but a writer waiting for a free slot looks at the word, which is only a release store:
    // the fence orders both before the load, so a waiter whose announcement that load missed sees
    // them (protocol.md, "Notification"). `lock or` of the stack on x86 with gcc, after the ring's
    // lock cmpxchg has already drained the store buffer.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    notifier_.notify_published(wake_hidden);
  } else {
    notifier_.notify(wake_hidden);  // a newer entry hides this sample: readers find it by the slot scan
  }
  // The next reserve of a lone writer takes the next slot (reserve_cursor moves one per loan): its
  // lines come over while this writer does other work or waits. Readers are done with that slot's
  // sample unless one lags a whole lap (then the segment is full, and that reader's next look at
  // the sample costs it one transfer). The largest single gain for small samples (benchmarks.md,
  // "Prefetching for write").
  prefetch_slot(i + 1 == view_.slot_count() ? 0 : i + 1);
  return static_cast<std::uint32_t>(seq);
}

bool SlotWriter::publish_in_order(std::uint64_t seq, std::uint32_t slot) {
  RingEntry& entry = view_.ring_at(seq);
  const std::uint64_t mine = ring::make(seq, slot);
  std::uint64_t seen = entry.load(std::memory_order_relaxed);
  // Only ever move an entry forward: a writer delayed past seq + n must not hide the newer sample.
  // SYNC: release on success; pairs with the acquire load in next_unread (the commit's seq_cst fence
  // after it orders it for waiters). Relaxed on failure: we only re-compare the sequence numbers.
  while (ring::distance(seen, seq) < 0) {
    if (entry.compare_exchange_weak(seen, mine, std::memory_order_release, std::memory_order_relaxed)) return true;
  }
  return false;
}

tl::expected<void, SlotError> SlotWriter::discard(SlotHandle h) {
  if (h.slot_index >= view_.slot_count()) return fail(SlotErrorCode::OutOfBounds);
  SlotExt& ext = view_.slot_ext(h.slot_index);
  std::uint64_t w = ext.word.load(std::memory_order_relaxed);
  if (!is_live_loan(h, w)) return fail(SlotErrorCode::NotLoaned);
  // SYNC: release; our partial payload stores happen before the next owner's. CAS rather than a
  // store because a disconnect may touch hold bits concurrently (it leaves a WRITING word's value as is).
  const std::uint64_t freed = sw::make(Phase::kFree, sw::next_generation(sw::generation(w)));
  while (!ext.word.compare_exchange_weak(w, freed, std::memory_order_release, std::memory_order_relaxed)) {
    if (sw::phase(w) != Phase::kWriting) return fail(SlotErrorCode::NotLoaned);
  }
  notifier_.notify();
  return {};
}

}  // namespace shmslot::core
