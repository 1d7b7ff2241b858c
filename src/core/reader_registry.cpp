// The reader registry: claiming, releasing and reaping reader entries, and disconnecting a reader.
// docs/recovery.md.
#include "core/reader_registry.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "core/owner_word.hpp"
#include "core/slot_checks.hpp"
#include "platform/process.hpp"

namespace shmslot::core {

namespace sw = slot_word;

ReaderRegistry::~ReaderRegistry() {
  // Entries this engine registered (explicitly, or by using an index) are freed, so the index can
  // be claimed again and a writer using registered_readers() stops waiting for it. The cursor and
  // the reader bits stay: a process that uses the same index again resumes where this one stopped.
  for (std::uint32_t mine = claimed_.load(std::memory_order_relaxed); mine != 0; mine &= mine - 1) {
    const auto r = static_cast<std::uint32_t>(__builtin_ctz(mine));
    release_entry(r, static_cast<std::uint64_t>(platform::current_pid()), false);
  }
}

std::chrono::milliseconds ReaderRegistry::lease() const {
  const std::uint32_t ms = view_.control().lease_ms;
  return ms != 0 ? std::chrono::milliseconds(ms) : kDefaultLease;
}

bool ReaderRegistry::owner_alive() const {
  const ExtControl& ctl = view_.control();
  return platform::process_alive(static_cast<pid_t>(ctl.owner_pid), ctl.owner_start_time);
}

bool ReaderRegistry::cursor_past(std::uint32_t reader, std::uint64_t seq) const {
  // A busy reader's cursor line is written on every sample: a writer asks the shared line only when
  // the value it saw last does not already answer. That is sound only while cursors never move
  // backwards, which holds without history (a registration starts at the newest number, past any
  // earlier cursor of the index); a late joiner's cursor starts back at the retained samples.
  // SYNC: acquire/release: the reader's release that produced the cached value happens before the
  // thread that cached it, and that thread's store before this load.
  if (cursor_cache_enabled_ && seq < cursor_seen_[reader].load(std::memory_order_acquire)) return true;
  // SYNC: acquire; pairs with the release (seq_cst) cursor CAS of mark_read: a cursor past `seq`
  // means the reader has read or passed that sample and will never deliver it (see recovery.md), so
  // its reads happen before the slot is reused.
  const std::uint64_t cursor = view_.reader_entry(reader).cursor.load(std::memory_order_acquire);
  if (cursor_cache_enabled_) cursor_seen_[reader].store(cursor, std::memory_order_release);
  return seq < cursor;
}

ReaderMask ReaderRegistry::not_past(ReaderMask readers, std::uint64_t seq) const {
  ReaderMask behind = 0;
  for (ReaderMask left = readers; left != 0; left &= left - 1) {
    const auto r = static_cast<std::uint32_t>(__builtin_ctz(left));
    if (!cursor_past(r, seq)) behind |= 1U << r;
  }
  return behind;
}

std::uint64_t ReaderRegistry::start_at_retained(std::uint32_t reader) const {
  const std::uint32_t bit = 1U << reader;
  // Every slot, whatever its phase: a WRITING slot may already hold its cleared mask and then get
  // the bit from the previous owner's disconnect before it commits (docs/model/history.pml found
  // that), and a slot older than `from` is passed by the cursor anyway, so clearing it is harmless.
  for (std::uint32_t i = 0; i < view_.slot_count(); ++i) {
    // Relaxed: published to writers by the release RMW of `registered` that follows (claim_entry).
    view_.slot_header(i).reader_mask.fetch_and(~bit, std::memory_order_relaxed);
  }
  // The window is read after the loop (which does not depend on it), right before the cursor store
  // and the registration: reserves that leave the joiner out of their mask are only those made in
  // that short stretch, not during a loop over up to 2^24 slots.
  return std::min(view_.retained_from(), view_.control().next_seq.load(std::memory_order_acquire));
}

bool ReaderRegistry::claim_entry(std::uint32_t reader, Cursor cursor) {
  ReaderEntry& entry = view_.reader_entry(reader);
  std::uint64_t free_owner = 0;
  const auto me = static_cast<std::uint64_t>(platform::current_pid());
  // SYNC: acq_rel; the claim orders after the previous owner's release (CAS to 0 in release_entry).
  if (!entry.owner.compare_exchange_strong(free_owner, me, std::memory_order_acq_rel, std::memory_order_relaxed)) {
    return false;
  }
  entry.owner_start.store(platform::current_start_time(), std::memory_order_relaxed);
  entry.evictions.store(0, std::memory_order_relaxed);
  // A registered reader reads from now on (or from the oldest retained sample); samples before count
  // as passed (cursor_past).
  if (cursor == Cursor::Newest) {
    // Forward only (a process using the index unregistered may move it too); published to writers
    // by the release RMW of `registered` below.
    advance_cursor(entry.cursor, view_.control().next_seq.load(std::memory_order_acquire));
  } else if (cursor == Cursor::Retained) {
    entry.cursor.store(start_at_retained(reader), std::memory_order_release);
  }
  // SYNC: release; a writer that sees the bit (acquire in registered_readers) sees the cursor.
  view_.control().registered.fetch_or(1U << reader, std::memory_order_release);
  claimed_.fetch_or(1U << reader, std::memory_order_relaxed);
  noted_.fetch_or(1U << reader, std::memory_order_relaxed);
  return true;
}

void ReaderRegistry::release_entry(std::uint32_t reader, std::uint64_t owner, bool dead) {
  ReaderEntry& entry = view_.reader_entry(reader);
  // Take the release first: the owner word holds a "releasing" marker (with our pid, in case we
  // die here) until the entry is clean, so no claim can slip in and lose its registered bit to a
  // late reaper, and two reapers never release one entry twice. SYNC: acq_rel.
  std::uint64_t expected = owner;
  const std::uint64_t marker = releasing_marker();
  if (!entry.owner.compare_exchange_strong(expected, marker, std::memory_order_acq_rel, std::memory_order_relaxed)) {
    return;  // released by someone else, or claimed anew
  }
  // A dead reader is disconnected first: its pins are dropped and its unread samples stop blocking
  // (also writers with an explicit mask) before the index can be claimed again. A live one leaves
  // its reads in the bits, as they were before marking by cursor.
  if (dead) {
    disconnect(reader);
  } else {
    mark_passed_by_bit(reader);
  }
  view_.control().registered.fetch_and(~(1U << reader), std::memory_order_release);
  claimed_.fetch_and(~(1U << reader), std::memory_order_relaxed);
  // A writer whose active mask is the registered readers may have been held back by this one alone:
  // it must look again (the dead path notified in disconnect, after which the slots were free).
  if (!dead) notifier_.notify();
  // Cleared before the entry is free: a claimer's start time is 0 ("any") until it writes its own,
  // so a reap between its claim and that write can never match it against ours.
  entry.owner_start.store(0, std::memory_order_relaxed);
  // SYNC: release; pairs with the acquire of the next claimer's CAS.
  entry.owner.store(0, std::memory_order_release);
}

void ReaderRegistry::mark_passed_by_bit(std::uint32_t reader) {
  const std::uint32_t bit = 1U << reader;
  // Acquire: the cursor's last move (this process's own mark_read, or another thread's) is seen.
  const std::uint64_t cursor = view_.reader_entry(reader).cursor.load(std::memory_order_acquire);
  for (std::uint32_t i = 0; i < view_.slot_count(); ++i) {
    SlotExt& ext = view_.slot_ext(i);
    // Pinned while the bit goes in, so that it lands on the sample compared with the cursor and not
    // on a newer one a writer put there meanwhile.
    std::uint64_t w = 0;
    if (!pin_sample(ext.word, bit, kAnyGeneration, w)) continue;
    const bool pinned_here = (sw::hold(w) & bit) == 0;  // w is the word before this pin
    // SYNC: release, as in mark_read: the reader's reads of the sample happen before a reuse.
    if (ext.seq.load(std::memory_order_relaxed) < cursor) {
      view_.slot_header(i).reader_mask.fetch_or(bit, std::memory_order_release);
    }
    if (pinned_here) unpin(ext.word, bit, sw::generation(w));
  }
}

void ReaderRegistry::note_reader(std::uint32_t reader) {
  const std::uint32_t bit = 1U << reader;
  if ((noted_.load(std::memory_order_relaxed) & bit) != 0) return;  // the hot path: one local load
  noted_.fetch_or(bit, std::memory_order_relaxed);
  // An index used without registering (the ZeroDDS way) is recorded if free, keeping its cursor:
  // such a reader reads what is in the segment, as ZeroDDS readers do.
  if (view_.reader_entry(reader).owner.load(std::memory_order_relaxed) == 0) (void)claim_entry(reader, Cursor::Keep);
}

tl::expected<std::uint32_t, SlotError> ReaderRegistry::register_reader(std::optional<std::uint32_t> index,
                                                                       StartAt start) {
  const Cursor cursor = start == StartAt::Retained ? Cursor::Retained : Cursor::Newest;
  const auto me = static_cast<std::uint64_t>(platform::current_pid());
  if (index) {
    const std::uint32_t r = *index;
    if (r >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
    ReaderEntry& entry = view_.reader_entry(r);
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
      if (claim_entry(r, cursor)) return r;
    }
    return fail(SlotErrorCode::ReaderIndexInUse);
  }
  for (std::uint32_t r = 0; r < kMaxReaders; ++r) {
    if (view_.reader_entry(r).owner.load(std::memory_order_relaxed) == 0 && claim_entry(r, cursor)) return r;
  }
  return fail(SlotErrorCode::NoFreeReader);
}

tl::expected<void, SlotError> ReaderRegistry::unregister_reader(std::uint32_t index) {
  if (index >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  const auto me = static_cast<std::uint64_t>(platform::current_pid());
  if (view_.reader_entry(index).owner.load(std::memory_order_acquire) != me) {
    return fail(SlotErrorCode::ReaderIndexInUse);
  }
  release_entry(index, me, false);
  noted_.fetch_and(~(1U << index), std::memory_order_relaxed);
  return {};
}

ReaderMask ReaderRegistry::registered_readers() const {
  // SYNC: acquire; pairs with the release fetch_or in claim_entry.
  return view_.control().registered.load(std::memory_order_acquire);
}

tl::expected<ReaderStats, SlotError> ReaderRegistry::reader_stats(std::uint32_t index) const {
  if (index >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  const ReaderEntry& entry = view_.reader_entry(index);
  ReaderStats out;
  const std::uint64_t owner = entry.owner.load(std::memory_order_relaxed);
  out.owner_pid = (owner & kReleasingOwner) != 0 ? 0 : static_cast<std::uint32_t>(owner);
  out.registered = (view_.control().registered.load(std::memory_order_relaxed) & (1U << index)) != 0;
  out.cursor = entry.cursor.load(std::memory_order_relaxed);
  out.evictions = entry.evictions.load(std::memory_order_relaxed);
  return out;
}

namespace {
// How long an awaiting reap waits for releases other live processes have begun, in all: a release
// takes microseconds, and a releaser descheduled on a busy machine runs again within a few
// scheduler periods. Between looks it sleeps, so a stopped releaser costs no CPU.
constexpr std::chrono::milliseconds kReleaseAwaitMax{100};
constexpr std::chrono::microseconds kReleaseAwaitPoll{100};
}  // namespace

std::size_t ReaderRegistry::reap_dead_readers(InFlightRelease in_flight) {
  std::size_t reaped = 0;
  std::optional<std::chrono::steady_clock::time_point> give_up_at;  // from the first wait, for the whole reap
  // Every entry with an owner, in case a claimer died between its CAS and setting its registered bit.
  for (std::uint32_t r = 0; r < kMaxReaders; ++r) {
    ReaderEntry& entry = view_.reader_entry(r);
    bool counted = false;
    for (;;) {
      const std::uint64_t owner = entry.owner.load(std::memory_order_acquire);
      if (owner == 0) break;
      if (owner_is_alive(owner, entry.owner_start.load(std::memory_order_relaxed))) {
        if ((owner & kReleasingOwner) == 0 || in_flight == InFlightRelease::Skip) break;
        // A live process is releasing it: microseconds, unless that process was descheduled
        // between its marker and the cleared bit (the random-kill harness caught a reap returning
        // with a dead reader still registered that way).
        const auto now = std::chrono::steady_clock::now();
        if (!give_up_at) give_up_at = now + std::min<std::chrono::nanoseconds>(lease(), kReleaseAwaitMax);
        if (now >= *give_up_at) break;
        std::this_thread::sleep_for(kReleaseAwaitPoll);
        continue;
      }
      // A dead owner, or a releaser that died mid-release. Losing the marker's CAS to another
      // reaper sends us round again: to wait for it, or to find the entry free. Counted once per
      // entry either way: a caller that retries a claim on a positive count finds it free.
      release_entry(r, owner, true);
      if (!counted) ++reaped;
      counted = true;
    }
  }
  return reaped;
}

void ReaderRegistry::disconnect(std::uint32_t reader) {
  const std::uint32_t bit = 1U << reader;
  // First, so that only commits already in flight can land behind the cursor unmarked. Forward
  // only: the reader may still be moving it (a disconnect from another thread or process).
  advance_cursor(view_.reader_entry(reader).cursor, view_.control().next_seq.load(std::memory_order_relaxed));
  for (std::uint32_t i = 0; i < view_.slot_count(); ++i) {
    // SYNC: release, as in mark_read.
    view_.slot_header(i).reader_mask.fetch_or(bit, std::memory_order_release);
    // Hold bits exist only on COMMITTED slots (a WRITING word carries the loaner's pid there).
    unpin(view_.slot_ext(i).word, bit, kAnyGeneration);
  }
  notifier_.notify();
}

}  // namespace shmslot::core
