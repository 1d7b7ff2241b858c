// The writer and reader halves of docs/protocol.md on an extended segment. Each step's number refers
// to that page; ZeroDDS-created segments branch to legacy_reads.cpp.
#include "core/slot_engine.hpp"

#include <algorithm>
#include <cstring>

#include "core/seqlock_copy.hpp"
#include "platform/futex.hpp"
#include "platform/process.hpp"

namespace shmslot::core {

namespace sw = slot_word;
using sw::Phase;

namespace {

tl::unexpected<SlotError> fail(SlotErrorCode code) { return tl::unexpected(SlotError::of(code)); }

// Readers may name a slot by index alone (kAnyGeneration), as ZeroDDS code does.
bool generation_matches(const SlotHandle& h, std::uint64_t word) {
  return h.generation == kAnyGeneration || h.generation == sw::generation(word);
}

// A loan is named only by the exact handle reserve returned: an index alone could take over
// another writer's loan.
bool is_live_loan(const SlotHandle& h, std::uint64_t word) {
  return sw::phase(word) == Phase::kWriting && h.generation == sw::generation(word);
}

}  // namespace

SlotEngine::SlotEngine(std::byte* base, const Geometry& geometry, std::uint64_t segment_id)
    : base_(base), geo_(geometry), segment_id_(segment_id), header_(reinterpret_cast<SegmentHeader*>(base)) {
  if (geo_.extended) {
    ctl_ = reinterpret_cast<ExtControl*>(base_ + geo_.ext_offset);
    slot_ext_ = reinterpret_cast<SlotExt*>(base_ + geo_.slot_ext_offset);
    ring_ = reinterpret_cast<RingEntry*>(base_ + geo_.ring_offset);
  }
}

void SlotEngine::format(std::byte* base, const Geometry& g, const FormatOptions& options) {
  auto* header = reinterpret_cast<SegmentHeader*>(base);
  header->magic = kSegmentMagic;
  header->slot_count = static_cast<std::uint32_t>(g.slot_count);
  header->slot_total_size = static_cast<std::uint32_t>(g.slot_total_size);
  header->ext_version = kExtVersion;
  header->ext_size = static_cast<std::uint32_t>(g.ext_size);
  auto* ctl = reinterpret_cast<ExtControl*>(base + g.ext_offset);
  ctl->magic = kControlMagic;
  ctl->flags = options.flags;
  ctl->slot_capacity = g.slot_capacity;
  std::memcpy(ctl->type_hash, options.type_hash.data(), sizeof ctl->type_hash);
  ctl->owner_pid = options.owner_pid;
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

std::optional<TypeHash> SlotEngine::type_hash() const {
  if (!geo_.extended || (ctl_->flags & kFlagHasTypeHash) == 0) return std::nullopt;
  TypeHash h{};
  std::memcpy(h.data(), ctl_->type_hash, h.size());
  return h;
}

void SlotEngine::record_type_hash(const TypeHash& hash) {
  if (!geo_.extended) return;
  std::memcpy(ctl_->type_hash, hash.data(), hash.size());
  ctl_->flags |= kFlagHasTypeHash;
}

// ---- writer side --------------------------------------------------------------------------------

tl::expected<SlotHandle, SlotError> SlotEngine::reserve(ReaderMask active) { return reserve_impl(active, false); }

tl::expected<SlotHandle, SlotError> SlotEngine::reserve_impl(ReaderMask active, bool reaped_already) {
  if (!geo_.extended) return fail(SlotErrorCode::ReadOnlySegment);
  const std::uint64_t n = geo_.slot_count;
  for (std::uint64_t attempt = 0; attempt < n; ++attempt) {
    // Relaxed: the cursor only spreads writers over the slots; the CAS below decides ownership.
    const auto i = static_cast<std::uint32_t>(ctl_->reserve_cursor.fetch_add(1, std::memory_order_relaxed) % n);
    SlotExt& ext = ext_of(i);
    // SYNC: acquire; pairs with the release unpin in mark_read / disconnect.
    std::uint64_t w = ext.word.load(std::memory_order_acquire);
    const Phase phase = sw::phase(w);
    if (phase == Phase::kWriting) continue;
    if (phase == Phase::kCommitted) {
      if (sw::hold(w) != 0) continue;
      // SYNC: acquire; pairs with the release fetch_or in mark_read: the readers' reads of the old
      // sample happen before this writer's stores into the slot.
      const ReaderMask read_by = header_of(i).reader_mask.load(std::memory_order_acquire);
      if (!all_done(read_by & active, active, ext.seq.load(std::memory_order_relaxed))) continue;
    }
    const std::uint32_t gen = sw::next_generation(sw::generation(w));
    // The loaner's pid rides in the word while WRITING, so a reap frees exactly a dead writer's loan.
    const auto loaner = static_cast<std::uint32_t>(platform::current_pid());
    // SYNC: acq_rel on success (orders the loan before the payload stores below and after the
    // loads above); relaxed on failure, which only sends us to the next candidate.
    if (!ext.word.compare_exchange_strong(w, sw::make(Phase::kWriting, gen, loaner), std::memory_order_acq_rel,
                                          std::memory_order_relaxed)) {
      continue;
    }
    // ZeroDDS readers skip a slot of size 0; stored before the fence, so before any payload byte.
    header_of(i).sample_size.store(0, std::memory_order_relaxed);
    // SYNC: release fence; the writer half of the seqlock. A copying reader that sees any byte
    // stored after this fence sees the WRITING word in its re-check (its acquire fence pairs here).
    std::atomic_thread_fence(std::memory_order_release);
    return SlotHandle{segment_id_, i, gen};
  }
  // Full: perhaps a dead reader or writer holds slots. Reaping is rate-limited to once per half
  // lease across all processes, and only this blocked path pays for it.
  if (!reaped_already && maybe_reap() > 0) return reserve_impl(active, true);
  return fail(SlotErrorCode::NoFreeSlot);
}

bool SlotEngine::all_done(ReaderMask read_by, ReaderMask active, std::uint64_t seq) const {
  ReaderMask missing = active & ~read_by;
  while (missing != 0) {
    const auto r = static_cast<std::uint32_t>(__builtin_ctz(missing));
    if (!cursor_past(r, seq)) return false;  // r has neither read it nor moved past it
    missing &= missing - 1;
  }
  return true;
}

tl::expected<std::span<std::byte>, SlotError> SlotEngine::data_ptr(SlotHandle h) {
  if (!geo_.extended) return fail(SlotErrorCode::ReadOnlySegment);
  if (h.slot_index >= geo_.slot_count) return fail(SlotErrorCode::OutOfBounds);
  // Relaxed: only this loan's owner moves a WRITING word on, and it is the caller.
  const std::uint64_t w = ext_of(h.slot_index).word.load(std::memory_order_relaxed);
  if (!is_live_loan(h, w)) return fail(SlotErrorCode::NotLoaned);
  return std::span<std::byte>(payload_of(h.slot_index), static_cast<std::size_t>(geo_.slot_capacity));
}

tl::expected<std::uint32_t, SlotError> SlotEngine::commit(SlotHandle h, std::span<const std::byte> bytes) {
  return commit_impl(h, bytes.size(), bytes.data());
}

tl::expected<std::uint32_t, SlotError> SlotEngine::commit_in_place(SlotHandle h, std::size_t len) {
  return commit_impl(h, len, nullptr);
}

tl::expected<std::uint32_t, SlotError> SlotEngine::commit_impl(SlotHandle h, std::size_t len, const std::byte* src) {
  if (!geo_.extended) return fail(SlotErrorCode::ReadOnlySegment);
  if (h.slot_index >= geo_.slot_count) return fail(SlotErrorCode::OutOfBounds);
  const std::uint32_t i = h.slot_index;
  SlotExt& ext = ext_of(i);
  // Relaxed: see data_ptr.
  const std::uint64_t w = ext.word.load(std::memory_order_relaxed);
  if (!is_live_loan(h, w)) return fail(SlotErrorCode::NotLoaned);
  if (len > geo_.slot_capacity) return tl::unexpected(SlotError::too_large(len, geo_.slot_capacity));
  if (src != nullptr && len != 0) std::memcpy(payload_of(i), src, len);

  // Relaxed: the counter needs atomicity only; the sample is published by the release store below.
  const std::uint64_t seq = ctl_->next_seq.fetch_add(1, std::memory_order_relaxed);
  SharedSlotHeader& hdr = header_of(i);
  hdr.sequence_number.store(static_cast<std::uint32_t>(seq), std::memory_order_relaxed);
  hdr.sample_size.store(static_cast<std::uint32_t>(len), std::memory_order_relaxed);
  hdr.reader_mask.store(0, std::memory_order_relaxed);
  ext.seq.store(seq, std::memory_order_relaxed);
  ext.commit_time_ns.store(platform::coarse_now_ns(), std::memory_order_relaxed);
  // Informational mirror of ZeroDDS's counter; may lag under concurrent writers.
  header_->next_sn.store(static_cast<std::uint32_t>(seq + 1), std::memory_order_relaxed);
  // SYNC: release; the commit point. Pairs with every reader's acquire load of the word: payload
  // and header stores above are visible to whoever sees COMMITTED.
  ext.word.store(sw::make(Phase::kCommitted, sw::generation(w)), std::memory_order_release);
  publish_in_order(seq, i);
  notify();
  return static_cast<std::uint32_t>(seq);
}

void SlotEngine::publish_in_order(std::uint64_t seq, std::uint32_t slot) {
  RingEntry& entry = ring_at(seq);
  const std::uint64_t mine = ring::make(seq, slot);
  std::uint64_t seen = entry.load(std::memory_order_relaxed);
  // Only ever move an entry forward: a writer delayed past seq + n must not hide the newer sample.
  // SYNC: release on success; pairs with the acquire load in next_unread. Relaxed on failure: we
  // only re-compare the sequence numbers.
  while (ring::distance(seen, seq) < 0) {
    if (entry.compare_exchange_weak(seen, mine, std::memory_order_release, std::memory_order_relaxed)) break;
  }
}

tl::expected<void, SlotError> SlotEngine::discard(SlotHandle h) {
  if (!geo_.extended) return fail(SlotErrorCode::ReadOnlySegment);
  if (h.slot_index >= geo_.slot_count) return fail(SlotErrorCode::OutOfBounds);
  SlotExt& ext = ext_of(h.slot_index);
  std::uint64_t w = ext.word.load(std::memory_order_relaxed);
  if (!is_live_loan(h, w)) return fail(SlotErrorCode::NotLoaned);
  // SYNC: release; our partial payload stores happen before the next owner's. CAS rather than a
  // store because a disconnect may touch hold bits concurrently (it leaves a WRITING word's value as is).
  const std::uint64_t freed = sw::make(Phase::kFree, sw::next_generation(sw::generation(w)));
  while (!ext.word.compare_exchange_weak(w, freed, std::memory_order_release, std::memory_order_relaxed)) {
    if (sw::phase(w) != Phase::kWriting) return fail(SlotErrorCode::NotLoaned);
  }
  notify();
  return {};
}

// ---- reader side --------------------------------------------------------------------------------

tl::expected<std::byte*, SlotError> SlotEngine::CopyDest::prepare(std::size_t size) const {
  if (grow != nullptr) {
    grow->resize(size);
    return grow->data();
  }
  if (size > fixed.size()) return tl::unexpected(SlotError::too_large(size, fixed.size()));
  return fixed.data();
}

tl::expected<SlotRead, SlotError> SlotEngine::read(SlotHandle h) const {
  SlotRead out;
  auto header = copy_out(h, CopyDest{{}, &out.bytes});
  if (!header) return tl::unexpected(header.error());
  out.header = *header;
  return out;
}

tl::expected<SlotHeader, SlotError> SlotEngine::read_into(SlotHandle h, std::span<std::byte> out) const {
  return copy_out(h, CopyDest{out, nullptr});
}

tl::expected<SlotHeader, SlotError> SlotEngine::copy_out(SlotHandle h, const CopyDest& dest) const {
  if (h.slot_index >= geo_.slot_count) return fail(SlotErrorCode::OutOfBounds);
  if (!geo_.extended) return legacy_copy_out(h, dest);
  const std::uint32_t i = h.slot_index;
  const SlotExt& ext = ext_of(i);
  const SharedSlotHeader& hdr = header_of(i);
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
    size = std::min<std::size_t>(hdr.sample_size.load(std::memory_order_relaxed), geo_.slot_capacity);
  }
  auto target = dest.prepare(size);
  if (!target) return tl::unexpected(target.error());
  seqlock_copy(*target, payload_of(i), size);
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

tl::expected<std::span<const std::byte>, SlotError> SlotEngine::read_ptr(SlotHandle h, std::uint32_t reader) {
  if (reader >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  if (h.slot_index >= geo_.slot_count) return fail(SlotErrorCode::OutOfBounds);
  const std::uint32_t i = h.slot_index;
  const SharedSlotHeader& hdr = header_of(i);
  if (!geo_.extended) {
    // ZeroDDS rules: valid while this reader is in the writer's active mask and has not marked it.
    // SYNC: acquire; pairs with the ZeroDDS writer's release increment of gen after its stores.
    (void)header_->gen.load(std::memory_order_acquire);
    const auto size = std::min<std::size_t>(hdr.sample_size.load(std::memory_order_relaxed), geo_.slot_capacity);
    return std::span<const std::byte>(payload_of(i), size);
  }
  note_reader(reader);
  SlotExt& ext = ext_of(i);
  const std::uint32_t bit = 1U << reader;
  std::uint64_t w = ext.word.load(std::memory_order_acquire);
  for (;;) {
    if (sw::phase(w) != Phase::kCommitted || !generation_matches(h, w)) return fail(SlotErrorCode::Overwritten);
    if ((sw::hold(w) & bit) != 0) break;  // pinned already by this reader index
    // SYNC: acquire on success; pairs with the commit's release store: the payload read through
    // the span is the committed one. Acquire on failure too, since the new value is examined again.
    if (ext.word.compare_exchange_weak(w, w | bit, std::memory_order_acquire, std::memory_order_acquire)) break;
  }
  const auto size = std::min<std::size_t>(hdr.sample_size.load(std::memory_order_relaxed), geo_.slot_capacity);
  return std::span<const std::byte>(payload_of(i), size);
}

std::optional<std::chrono::nanoseconds> SlotEngine::commit_time(SlotHandle h) const {
  if (!geo_.extended || h.slot_index >= geo_.slot_count) return std::nullopt;
  const SlotExt& ext = ext_of(h.slot_index);
  // A seqlock read of one field: the time belongs to the sample the handle names only if the word
  // (phase and generation) is the same before and after. SYNC: acquire, as in copy_out.
  const std::uint64_t w1 = ext.word.load(std::memory_order_acquire);
  if (sw::phase(w1) != Phase::kCommitted || !generation_matches(h, w1)) return std::nullopt;
  const std::uint64_t at = ext.commit_time_ns.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);  // SYNC: as in copy_out's re-check
  if (sw::state(ext.word.load(std::memory_order_relaxed)) != sw::state(w1)) return std::nullopt;
  return std::chrono::nanoseconds(at);
}

tl::expected<void, SlotError> SlotEngine::mark_read(SlotHandle h, std::uint32_t reader) {
  if (reader >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  if (h.slot_index >= geo_.slot_count) return fail(SlotErrorCode::OutOfBounds);
  const std::uint32_t i = h.slot_index;
  const std::uint32_t bit = 1U << reader;
  SharedSlotHeader& hdr = header_of(i);
  if (!geo_.extended) {
    // ZeroDDS rules: one atomic OR. SYNC: release; pairs with the ZeroDDS writer's next reserve.
    hdr.reader_mask.fetch_or(bit, std::memory_order_release);
    notify();
    return {};
  }
  SlotExt& ext = ext_of(i);
  // Pin the sample the handle names (unless this reader's zero-copy read pinned it already): while
  // pinned the slot cannot be reused, so the bit below lands on this sample and no other.
  std::uint64_t w = ext.word.load(std::memory_order_acquire);
  for (;;) {
    if (sw::phase(w) != Phase::kCommitted || !generation_matches(h, w)) {
      notify();  // the sample is gone (reused under a reader outside the active mask): nothing to mark
      return {};
    }
    if ((sw::hold(w) & bit) != 0) break;
    // SYNC: acquire; the sequence number read below is the pinned sample's.
    if (ext.word.compare_exchange_weak(w, w | bit, std::memory_order_acquire, std::memory_order_acquire)) break;
  }
  // A reader that reads in order moves its cursor here, so the slot it just freed can be reused
  // without lapping it (next_unread would otherwise find the ring entry already overwritten).
  const std::uint64_t seq = ext.seq.load(std::memory_order_relaxed);
  std::uint64_t expected = seq;
  ctl_->readers[reader].cursor.compare_exchange_strong(expected, seq + 1, std::memory_order_relaxed);
  // SYNC: release; pairs with the writer's acquire load of reader_mask in reserve: this reader's
  // reads of the sample happen before the slot is reused.
  hdr.reader_mask.fetch_or(bit, std::memory_order_release);
  // SYNC: release; pairs with the acquire load of the word in reserve: unpinned only after the
  // reader is done with the span.
  ext.word.fetch_and(~std::uint64_t{bit}, std::memory_order_release);
  notify();
  return {};
}

tl::expected<void, SlotError> SlotEngine::disconnect(std::uint32_t reader) {
  if (reader >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  const std::uint32_t bit = 1U << reader;
  if (geo_.extended) {
    // First, so that only commits already in flight can land behind the cursor unmarked.
    // Relaxed: the cursor is this reader's own position; nothing is published through it.
    ctl_->readers[reader].cursor.store(ctl_->next_seq.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
  for (std::uint32_t i = 0; i < geo_.slot_count; ++i) {
    // SYNC: release, as in mark_read.
    header_of(i).reader_mask.fetch_or(bit, std::memory_order_release);
    if (!geo_.extended) continue;
    SlotExt& ext = ext_of(i);
    // Hold bits exist only on COMMITTED slots (a WRITING word carries the loaner's pid there).
    std::uint64_t w = ext.word.load(std::memory_order_relaxed);
    while (sw::phase(w) == Phase::kCommitted && (sw::hold(w) & bit) != 0 &&
           !ext.word.compare_exchange_weak(w, w & ~std::uint64_t{bit}, std::memory_order_release,
                                           std::memory_order_relaxed)) {
      // SYNC: release, as in mark_read's unpin; retried while the word changes under us.
    }
  }
  notify();
  return {};
}

tl::expected<std::optional<SlotHandle>, SlotError> SlotEngine::next_unread(std::uint32_t reader) {
  if (reader >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  if (!geo_.extended) return legacy_next_unread(reader);
  note_reader(reader);
  const std::uint32_t bit = 1U << reader;
  std::atomic<std::uint64_t>& cursor = ctl_->readers[reader].cursor;
  // Relaxed: the cursor is a position, the data is synchronised through ring entry and slot word.
  std::uint64_t s = cursor.load(std::memory_order_relaxed);
  for (;;) {
    // SYNC: acquire; pairs with the release CAS in publish_in_order.
    const std::uint64_t e = ring_at(s).load(std::memory_order_acquire);
    const std::int64_t d = ring::distance(e, s);
    // The entry for s holds s - n until s is published, or an older number still when s - n (and
    // perhaps s - 2n ...) was never entered either: writers that died inside commit holding numbers
    // that share this entry. Both mean "s is not published yet", and s may be a gap. Only a cursor
    // more than 2^38 behind the counter (the entry compares modulo 2^40) needs a resync instead.
    if (d < -static_cast<std::int64_t>(geo_.slot_count) &&
        ctl_->next_seq.load(std::memory_order_relaxed) - s >= (std::uint64_t{1} << 38)) {
      return resync_lapped(reader, s);
    }
    if (d <= -static_cast<std::int64_t>(geo_.slot_count)) {
      if (!gap_expired(reader, s)) return std::optional<SlotHandle>{};
      // s was taken a lease ago and later numbers exist: its writer died mid-commit. Deliver it if
      // it got as far as COMMITTED, else pass the gap.
      if (auto found = find_committed(s); found && (header_of(found->slot_index).reader_mask.load(
                                                       std::memory_order_relaxed) & bit) == 0) {
        return std::optional<SlotHandle>{*found};
      }
      if (cursor.compare_exchange_strong(s, s + 1, std::memory_order_relaxed)) ++s;
      continue;
    }
    if (d != 0) return resync_lapped(reader, s);
    const std::uint32_t i = ring::slot(e);
    bool deliver = false;
    std::uint64_t w = 0;
    if (i < geo_.slot_count) {  // a ring entry is shared memory: never trust its index
      const SlotExt& ext = ext_of(i);
      // A small seqlock over (word, seq): both must describe the same commit.
      // The reader mask is read inside the window too: a reuse resets it, and a reset seen here
      // shows up as a changed word in the re-check.
      w = ext.word.load(std::memory_order_acquire);  // SYNC: acquire; pairs with the commit's release
      const std::uint64_t seq = ext.seq.load(std::memory_order_relaxed);
      const ReaderMask read_by = header_of(i).reader_mask.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      const bool stable = sw::state(ext.word.load(std::memory_order_relaxed)) == sw::state(w);
      deliver = stable && sw::phase(w) == Phase::kCommitted && seq == s && (read_by & bit) == 0;
    }
    if (deliver) return std::optional<SlotHandle>{SlotHandle{segment_id_, i, sw::generation(w)}};
    // Read already, or overwritten under a reader outside the active mask: move past it. The CAS
    // keeps threads that share a reader index from moving the cursor backwards.
    if (cursor.compare_exchange_strong(s, s + 1, std::memory_order_relaxed)) ++s;
  }
}

std::optional<SlotHandle> SlotEngine::resync_lapped(std::uint32_t reader, std::uint64_t from) {
  // The ring no longer says where `from` is: the reader was lapped (it was outside the active mask,
  // or marked out of order) or has been away for 2^39 samples. Rare, so two scans are fine.
  const std::uint64_t n = geo_.slot_count;
  // 1. The publication frontier: every sequence number below `frontier` is committed (or gone).
  //    Entry k holds the newest published e_k = k (mod n), so e_k + n is not published yet.
  const std::uint64_t next = ctl_->next_seq.load(std::memory_order_acquire);
  std::uint64_t frontier = next;
  for (std::uint64_t k = 0; k < n; ++k) {
    const std::uint64_t e = ring_[k].load(std::memory_order_acquire);
    const std::uint64_t newest = next + static_cast<std::uint64_t>(ring::distance(e, next));  // wraps back
    frontier = std::min(frontier, newest + n);
  }
  if (frontier <= from) return std::nullopt;  // `from` itself may still be in flight: wait for it
  // 2. The oldest committed sample in [from, frontier) this reader has not read.
  const std::uint32_t bit = 1U << reader;
  std::optional<SlotHandle> best;
  std::uint64_t best_seq = 0;
  for (std::uint32_t i = 0; i < geo_.slot_count; ++i) {
    const SlotExt& ext = ext_of(i);
    const std::uint64_t w = ext.word.load(std::memory_order_acquire);  // SYNC: acquire, as in next_unread
    const std::uint64_t seq = ext.seq.load(std::memory_order_relaxed);
    const ReaderMask read_by = header_of(i).reader_mask.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (sw::state(ext.word.load(std::memory_order_relaxed)) != sw::state(w)) continue;  // changing now
    if (sw::phase(w) != Phase::kCommitted || seq < from || seq >= frontier) continue;
    if ((read_by & bit) != 0) continue;
    if (!best || seq < best_seq) {
      best = SlotHandle{segment_id_, i, sw::generation(w)};
      best_seq = seq;
    }
  }
  // Everything in [from, target) is committed and either read or already overwritten.
  const std::uint64_t target = best ? best_seq : frontier;
  std::atomic<std::uint64_t>& cursor = ctl_->readers[reader].cursor;
  std::uint64_t seen = cursor.load(std::memory_order_relaxed);
  while (seen < target && !cursor.compare_exchange_weak(seen, target, std::memory_order_relaxed)) {
  }
  return best;
}

tl::expected<std::size_t, SlotError> SlotEngine::evict_stale(std::chrono::nanoseconds max_age, ReaderMask active) {
  if (!geo_.extended) return fail(SlotErrorCode::ReadOnlySegment);
  const std::uint64_t now = platform::coarse_now_ns();
  const auto age_ns = static_cast<std::uint64_t>(std::max<std::int64_t>(max_age.count(), 0));
  std::size_t evicted = 0;
  for (std::uint32_t i = 0; i < geo_.slot_count; ++i) {
    SlotExt& ext = ext_of(i);
    const std::uint64_t w = ext.word.load(std::memory_order_acquire);
    // A pinned slot is never forced free: a zero-copy reader is looking at it.
    if (sw::phase(w) != Phase::kCommitted || sw::hold(w) != 0) continue;
    SharedSlotHeader& hdr = header_of(i);
    const ReaderMask read_by = hdr.reader_mask.load(std::memory_order_relaxed);
    const std::uint64_t seq = ext.seq.load(std::memory_order_relaxed);
    if (all_done(read_by & active, active, seq)) continue;
    const std::uint64_t committed_at = ext.commit_time_ns.load(std::memory_order_relaxed);
    if (now < committed_at || now - committed_at < age_ns) continue;
    // Free the slot outright: the CAS fails if anything changed since w was read (a pin, a reuse),
    // and readers see the sample gone (next_unread skips it, a copy reports Overwritten).
    std::uint64_t expected = w;
    if (!ext.word.compare_exchange_strong(expected, sw::make(Phase::kFree, sw::next_generation(sw::generation(w))),
                                          std::memory_order_acq_rel, std::memory_order_relaxed)) {
      continue;
    }
    hdr.sample_size.store(0, std::memory_order_relaxed);  // ZeroDDS readers: empty
    ++evicted;
    // Tell each reader that lost it (it had neither read it nor moved past it).
    for (ReaderMask lost = active & ~read_by; lost != 0; lost &= lost - 1) {
      const auto r = static_cast<std::uint32_t>(__builtin_ctz(lost));
      if (!cursor_past(r, seq)) ctl_->readers[r].evictions.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (evicted > 0) notify();
  return evicted;
}

// ---- notification ---------------------------------------------------------------------------------

void SlotEngine::notify() {
  // SYNC: seq_cst increment, then seq_cst load of `waiters`; with the waiter's seq_cst increment of
  // `waiters` and load of `gen` this is a Dekker pair: no waiter sleeps through this change.
  header_->gen.fetch_add(1, std::memory_order_seq_cst);
  const bool wake = !geo_.extended || (ctl_->flags & kFlagWakeAlways) != 0 ||
                    ctl_->waiters.load(std::memory_order_seq_cst) != 0;
  if (wake) platform::futex_wake_all(header_->gen);
}

std::uint64_t SlotEngine::generation() const {
  // SYNC: acquire; a caller that sees a new value also sees the change that produced it.
  return header_->gen.load(std::memory_order_acquire);
}

bool SlotEngine::wait_for_change(std::uint64_t last, std::chrono::nanoseconds timeout) const {
  const auto expected = static_cast<std::uint32_t>(last);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (header_->gen.load(std::memory_order_acquire) != expected) return true;
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds::zero()) return false;
    if (geo_.extended) {
      // SYNC: seq_cst; the waiter half of the Dekker pair in notify().
      ctl_->waiters.fetch_add(1, std::memory_order_seq_cst);
      if (header_->gen.load(std::memory_order_seq_cst) == expected) platform::futex_wait(header_->gen, expected, left);
      ctl_->waiters.fetch_sub(1, std::memory_order_seq_cst);
    } else {
      // ZeroDDS writers wake on every change; the kernel's compare closes the window.
      platform::futex_wait(header_->gen, expected, left);
    }
  }
}

}  // namespace shmslot::core
