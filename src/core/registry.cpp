// The reader registry, reaping of dead peers, and gap passing: docs/recovery.md.
#include <algorithm>
#include <thread>

#include "core/slot_engine.hpp"
#include "platform/process.hpp"

namespace shmslot::core {

namespace sw = slot_word;
using sw::Phase;

namespace {
tl::unexpected<SlotError> fail(SlotErrorCode code) { return tl::unexpected(SlotError::of(code)); }

// An owner word with this bit is being released by the process in its low bits.
constexpr std::uint64_t kReleasingOwner = std::uint64_t{1} << 63;

bool owner_is_alive(std::uint64_t owner, std::uint64_t start) {
  if ((owner & kReleasingOwner) != 0) return platform::process_alive(static_cast<pid_t>(owner & 0xFFFFFFFFU), 0);
  return platform::process_alive(static_cast<pid_t>(owner), start);
}
}  // namespace

SlotEngine::~SlotEngine() {
  // Entries this engine registered (explicitly, or by using an index) are freed, so the index can
  // be claimed again and a writer using registered_readers() stops waiting for it. The cursor and
  // the reader bits stay: a process that uses the same index again resumes where this one stopped.
  for (std::uint32_t mine = claimed_.load(std::memory_order_relaxed); mine != 0; mine &= mine - 1) {
    const auto r = static_cast<std::uint32_t>(__builtin_ctz(mine));
    release_entry(r, static_cast<std::uint64_t>(platform::current_pid()), false);
  }
}

std::chrono::milliseconds SlotEngine::lease() const {
  return std::chrono::milliseconds(geo_.extended && ctl_->lease_ms != 0 ? ctl_->lease_ms : 250);
}

bool SlotEngine::owner_alive() const {
  if (!geo_.extended) return true;  // a ZeroDDS segment records no owner: assume alive
  return platform::process_alive(static_cast<pid_t>(ctl_->owner_pid), ctl_->owner_start_time);
}

bool SlotEngine::cursor_past(std::uint32_t reader, std::uint64_t seq) const {
  // SYNC: acquire; pairs with nothing stronger than the cursor's own CASes, which only move it
  // forward. A cursor past `seq` means the reader will never deliver that sample (see recovery.md).
  return seq < ctl_->readers[reader].cursor.load(std::memory_order_acquire);
}

bool SlotEngine::claim_entry(std::uint32_t reader, bool reset_cursor) {
  ReaderEntry& entry = ctl_->readers[reader];
  std::uint64_t free_owner = 0;
  const auto me = static_cast<std::uint64_t>(platform::current_pid());
  // SYNC: acq_rel; the claim orders after the previous owner's release (CAS to 0 in release_entry).
  if (!entry.owner.compare_exchange_strong(free_owner, me, std::memory_order_acq_rel, std::memory_order_relaxed)) {
    return false;
  }
  entry.owner_start.store(platform::current_start_time(), std::memory_order_relaxed);
  entry.evictions.store(0, std::memory_order_relaxed);
  // A registered reader reads from now on; samples before count as passed (cursor_past).
  if (reset_cursor) entry.cursor.store(ctl_->next_seq.load(std::memory_order_acquire), std::memory_order_release);
  // SYNC: release; a writer that sees the bit (acquire in registered_readers) sees the cursor.
  ctl_->registered.fetch_or(1U << reader, std::memory_order_release);
  claimed_.fetch_or(1U << reader, std::memory_order_relaxed);
  noted_.fetch_or(1U << reader, std::memory_order_relaxed);
  return true;
}

void SlotEngine::release_entry(std::uint32_t reader, std::uint64_t owner, bool dead) {
  ReaderEntry& entry = ctl_->readers[reader];
  // Take the release first: the owner word holds a "releasing" marker (with our pid, in case we
  // die here) until the entry is clean, so no claim can slip in and lose its registered bit to a
  // late reaper, and two reapers never release one entry twice. SYNC: acq_rel.
  std::uint64_t expected = owner;
  const std::uint64_t marker = kReleasingOwner | static_cast<std::uint64_t>(platform::current_pid());
  if (!entry.owner.compare_exchange_strong(expected, marker, std::memory_order_acq_rel, std::memory_order_relaxed)) {
    return;  // released by someone else, or claimed anew
  }
  // A dead reader is disconnected first: its pins are dropped and its unread samples stop blocking
  // (also writers with an explicit mask) before the index can be claimed again.
  if (dead) (void)disconnect(reader);
  ctl_->registered.fetch_and(~(1U << reader), std::memory_order_release);
  claimed_.fetch_and(~(1U << reader), std::memory_order_relaxed);
  // Cleared before the entry is free: a claimer's start time is 0 ("any") until it writes its own,
  // so a reap between its claim and that write can never match it against ours.
  entry.owner_start.store(0, std::memory_order_relaxed);
  // SYNC: release; pairs with the acquire of the next claimer's CAS.
  entry.owner.store(0, std::memory_order_release);
}

void SlotEngine::note_reader(std::uint32_t reader) {
  const std::uint32_t bit = 1U << reader;
  if ((noted_.load(std::memory_order_relaxed) & bit) != 0) return;  // the hot path: one local load
  noted_.fetch_or(bit, std::memory_order_relaxed);
  // An index used without registering (the ZeroDDS way) is recorded if free, keeping its cursor:
  // such a reader reads what is in the segment, as ZeroDDS readers do.
  if (ctl_->readers[reader].owner.load(std::memory_order_relaxed) == 0) (void)claim_entry(reader, false);
}

tl::expected<std::uint32_t, SlotError> SlotEngine::register_reader(std::optional<std::uint32_t> index) {
  if (!geo_.extended) return fail(SlotErrorCode::Unsupported);
  const auto me = static_cast<std::uint64_t>(platform::current_pid());
  if (index) {
    const std::uint32_t r = *index;
    if (r >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
    ReaderEntry& entry = ctl_->readers[r];
    for (int attempt = 0; attempt < 1000; ++attempt) {
      const std::uint64_t owner = entry.owner.load(std::memory_order_acquire);
      if (owner == me) {
        claimed_.fetch_or(1U << r, std::memory_order_relaxed);
        noted_.fetch_or(1U << r, std::memory_order_relaxed);
        return r;
      }
      if ((owner & kReleasingOwner) != 0) {
        if (owner_is_alive(owner, 0)) {
          std::this_thread::yield();  // a release in progress takes microseconds
          continue;
        }
        release_entry(r, owner, true);  // its releaser died: finish the release
      } else if (owner != 0) {
        if (owner_is_alive(owner, entry.owner_start.load(std::memory_order_relaxed))) {
          return fail(SlotErrorCode::ReaderIndexInUse);
        }
        release_entry(r, owner, true);  // its owner died: free it first
      }
      if (claim_entry(r, true)) return r;
    }
    return fail(SlotErrorCode::ReaderIndexInUse);
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (std::uint32_t r = 0; r < kMaxReaders; ++r) {
      if (ctl_->readers[r].owner.load(std::memory_order_relaxed) == 0 && claim_entry(r, true)) return r;
    }
    if (reap() == 0) break;  // dead readers free their indices; try once more if any were
  }
  return fail(SlotErrorCode::NoFreeReader);
}

tl::expected<void, SlotError> SlotEngine::unregister_reader(std::uint32_t index) {
  if (!geo_.extended) return fail(SlotErrorCode::Unsupported);
  if (index >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  const auto me = static_cast<std::uint64_t>(platform::current_pid());
  if (ctl_->readers[index].owner.load(std::memory_order_acquire) != me) return fail(SlotErrorCode::ReaderIndexInUse);
  release_entry(index, me, false);
  noted_.fetch_and(~(1U << index), std::memory_order_relaxed);
  return {};
}

ReaderMask SlotEngine::registered_readers() const {
  // SYNC: acquire; pairs with the release fetch_or in claim_entry.
  return geo_.extended ? ctl_->registered.load(std::memory_order_acquire) : 0;
}

tl::expected<ReaderStats, SlotError> SlotEngine::reader_stats(std::uint32_t index) const {
  if (!geo_.extended) return fail(SlotErrorCode::Unsupported);
  if (index >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  const ReaderEntry& entry = ctl_->readers[index];
  ReaderStats out;
  const std::uint64_t owner = entry.owner.load(std::memory_order_relaxed);
  out.owner_pid = (owner & kReleasingOwner) != 0 ? 0 : static_cast<std::uint32_t>(owner);
  out.registered = (ctl_->registered.load(std::memory_order_relaxed) & (1U << index)) != 0;
  out.cursor = entry.cursor.load(std::memory_order_relaxed);
  out.evictions = entry.evictions.load(std::memory_order_relaxed);
  return out;
}

std::size_t SlotEngine::reap() {
  if (!geo_.extended) return 0;
  std::size_t reaped = 0;
  // 1. Registered readers whose process is gone (every entry with an owner, in case a claimer died
  //    between its CAS and setting its registered bit).
  for (std::uint32_t r = 0; r < kMaxReaders; ++r) {
    ReaderEntry& entry = ctl_->readers[r];
    const std::uint64_t owner = entry.owner.load(std::memory_order_acquire);
    if (owner == 0) continue;
    if (owner_is_alive(owner, entry.owner_start.load(std::memory_order_relaxed))) continue;
    release_entry(r, owner, true);  // a dead owner, or a releaser that died mid-release
    ++reaped;
  }
  // 2. Loans of dead writers: the loaner's pid is in the WRITING word, so the CAS frees exactly
  //    that loan; if the loan was committed or discarded meanwhile, the CAS fails.
  for (std::uint32_t i = 0; i < geo_.slot_count; ++i) {
    SlotExt& ext = ext_of(i);
    std::uint64_t w = ext.word.load(std::memory_order_acquire);
    if (sw::phase(w) != Phase::kWriting) continue;
    const std::uint32_t loaner = sw::hold(w);
    if (loaner == 0 || platform::process_alive(static_cast<pid_t>(loaner), 0)) continue;
    if (ext.word.compare_exchange_strong(w, sw::make(Phase::kFree, sw::next_generation(sw::generation(w))),
                                         std::memory_order_acq_rel, std::memory_order_relaxed)) {
      header_of(i).sample_size.store(0, std::memory_order_relaxed);
      ++reaped;
    }
  }
  if (reaped > 0) notify();
  return reaped;
}

std::size_t SlotEngine::maybe_reap() {
  if (!geo_.extended) return 0;
  const std::uint64_t now = platform::coarse_now_ns();
  const auto half_lease = static_cast<std::uint64_t>(std::chrono::nanoseconds(lease()).count() / 2);
  std::uint64_t last = ctl_->last_reap_ns.load(std::memory_order_relaxed);
  if (now >= last && now - last < half_lease) return 0;
  // Relaxed: the timestamp only elects one reaper per interval; reap() synchronises on its own.
  if (!ctl_->last_reap_ns.compare_exchange_strong(last, now, std::memory_order_relaxed)) return 0;
  return reap();
}

bool SlotEngine::gap_expired(std::uint32_t reader, std::uint64_t s) {
  // Not a gap unless a later number was taken: then s's writer is at least that slow.
  if (ctl_->next_seq.load(std::memory_order_relaxed) <= s + 1) {
    gap_since_[reader] = 0;
    return false;
  }
  const std::uint64_t now = platform::coarse_now_ns();
  if (gap_since_[reader] == 0 || gap_seq_[reader] != s) {
    gap_since_[reader] = now;
    gap_seq_[reader] = s;
    return false;
  }
  return now - gap_since_[reader] >= static_cast<std::uint64_t>(std::chrono::nanoseconds(lease()).count());
}

std::optional<SlotHandle> SlotEngine::find_committed(std::uint64_t seq) const {
  for (std::uint32_t i = 0; i < geo_.slot_count; ++i) {
    const SlotExt& ext = ext_of(i);
    const std::uint64_t w = ext.word.load(std::memory_order_acquire);
    if (sw::phase(w) != Phase::kCommitted || ext.seq.load(std::memory_order_relaxed) != seq) continue;
    std::atomic_thread_fence(std::memory_order_acquire);
    if (sw::state(ext.word.load(std::memory_order_relaxed)) != sw::state(w)) continue;
    return SlotHandle{segment_id_, i, sw::generation(w)};
  }
  return std::nullopt;
}

}  // namespace shmslot::core
