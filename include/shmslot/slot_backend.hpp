// The backend interface (ZeroDDS SlotBackend, 16 methods): a pool of fixed-size slots that one or
// more writers fill and up to 32 readers read in place.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <tl/expected.hpp>

#include "shmslot/type_hash.hpp"
#include "shmslot/types.hpp"

namespace shmslot {


/// Threading contract: every method may be called from any thread of any process attached to the
/// segment, concurrently; a handle is used by one thread at a time.
class SlotBackend {
 public:
  virtual ~SlotBackend() = default;

  /// Loans a slot that is free, or committed and read by every reader in `active_readers_mask`.
  virtual tl::expected<SlotHandle, SlotError> reserve_slot(ReaderMask active_readers_mask) = 0;
  /// Copies `bytes` into the loaned slot and publishes it; returns its sequence number (mod 2^32).
  virtual tl::expected<std::uint32_t, SlotError> commit_slot(SlotHandle handle,
                                                             std::span<const std::byte> bytes) = 0;
  /// Gives a loan back without publishing.
  virtual tl::expected<void, SlotError> discard_slot(SlotHandle handle) = 0;
  /// The writable payload of a live loan, `slot_capacity()` bytes; valid until commit or discard.
  virtual tl::expected<std::span<std::byte>, SlotError> slot_data_ptr(SlotHandle handle);
  /// Publishes the first `len` bytes already written through slot_data_ptr.
  virtual tl::expected<std::uint32_t, SlotError> commit_in_place(SlotHandle handle, std::size_t len);

  /// Copies header and payload out; the copy is exactly what was committed, or Overwritten.
  virtual tl::expected<SlotRead, SlotError> read_slot(SlotHandle handle) const = 0;
  /// Copies the payload into `out` (no allocation); fails with SampleTooLarge when `out` is short.
  virtual tl::expected<SlotHeader, SlotError> read_slot_into(SlotHandle handle, std::span<std::byte> out) const = 0;
  /// Zero-copy read for reader `reader_index`: pins the slot, so the span stays valid until
  /// mark_read(handle, reader_index) or mark_reader_disconnected(reader_index).
  virtual tl::expected<std::span<const std::byte>, SlotError> slot_read_ptr(SlotHandle handle,
                                                                            std::uint32_t reader_index);
  /// When the sample `handle` names was committed, on CLOCK_MONOTONIC_COARSE, where the segment
  /// records it; nullopt on segments that do not (ZeroDDS-created ones) and for a handle whose slot
  /// no longer holds that sample. Exact only while the sample cannot be reused (pinned, or unread by
  /// a reader in the writer's active mask).
  virtual std::optional<std::chrono::nanoseconds> commit_time(SlotHandle handle) const;
  /// The oldest committed sample reader `reader_index` has not read, or nullopt.
  virtual tl::expected<std::optional<SlotHandle>, SlotError> next_unread_slot(std::uint32_t reader_index);
  /// Sets the reader's bit on the slot (and unpins it); wakes writers waiting for space.
  virtual tl::expected<void, SlotError> mark_read(SlotHandle handle, std::uint32_t reader_index) = 0;
  /// Marks every slot read by `reader_index` and drops its pins: a dead reader stops blocking.
  virtual tl::expected<void, SlotError> mark_reader_disconnected(std::uint32_t reader_index) = 0;
  /// next_unread_slot, read_slot_into and mark_read in one call: the oldest sample `reader_index`
  /// has not read, copied into `out` and marked read, or nullopt when there is none. Overwritten:
  /// that sample was gone (reused under a reader outside the active mask) and is passed; call again
  /// for the next. SampleTooLarge leaves it unread. A pin slot_read_ptr holds on the sample stays
  /// until mark_read of that handle. Backends may take it without the three steps' handle.
  virtual tl::expected<std::optional<SlotHeader>, SlotError> take_next_into(std::uint32_t reader_index,
                                                                            std::span<std::byte> out);

  /// Number of slots.
  virtual tl::expected<std::size_t, SlotError> slot_count() const = 0;
  /// Header + capacity, rounded up to 64 bytes: the slot stride.
  virtual std::size_t slot_total_size() const = 0;
  /// Payload bytes per slot.
  virtual std::size_t slot_capacity() const = 0;
  /// The sample type's hash when the backend records one.
  virtual std::optional<TypeHash> type_hash() const { return std::nullopt; }

  /// Claims a free reader index (or `index` itself) in the segment's registry, for this process.
  virtual tl::expected<std::uint32_t, SlotError> register_reader(std::optional<std::uint32_t> index = std::nullopt);
  /// register_reader for a late joiner: the reader starts with the samples the segment retains
  /// (CreateOptions::history_depth; none without history), in order, then the live ones.
  /// Unsupported where there is no registry (a ZeroDDS-created segment).
  virtual tl::expected<std::uint32_t, SlotError> register_reader_with_history(
      std::optional<std::uint32_t> index = std::nullopt);
  /// Disconnects and frees an index this process registered.
  virtual tl::expected<void, SlotError> unregister_reader(std::uint32_t index);
  /// The registered reader indices: the active mask a writer publishes with by default.
  virtual ReaderMask registered_readers() const { return 0; }
  /// The registry's view of one reader index.
  virtual tl::expected<ReaderStats, SlotError> reader_stats(std::uint32_t index) const;
  /// Frees committed samples older than `max_age` that some reader in `active` has not read (pinned
  /// slots excepted); each such reader's eviction counter records it. Returns how many.
  virtual tl::expected<std::size_t, SlotError> evict_stale(std::chrono::nanoseconds max_age, ReaderMask active);
  /// Disconnects dead registered readers and frees slots loaned by dead writers; returns how many.
  /// Also clears the marks of processes that died asleep in wait_for_change (not counted).
  virtual std::size_t reap() { return 0; }
  /// How long a dead peer may hold others up (the segment's lease).
  virtual std::chrono::milliseconds lease() const { return kDefaultLease; }

  /// The change counter, for callers that sleep on it without announcing themselves: it moves on
  /// every discard and disconnect, on wake_waiters(), and on every commit and mark_read that
  /// somebody may be waiting for. Reading it marks the segment's counter watched, so that from then
  /// on every commit and mark_read of every process moves it (docs/protocol.md, "Notification");
  /// callers that can say what they wait for use announce_wait() instead, which keeps a commit
  /// nobody waits for free of that shared write.
  virtual std::uint64_t notify_generation() const { return 0; }
  /// Moves the change counter on and wakes every sleeper of the segment (in every process), with no
  /// change to the data: how a stop request ends a wait at once. Those sleepers find nothing new and
  /// sleep again.
  virtual void wake_waiters() const {}
  /// Sleeps until notify_generation() differs from `last` or `timeout` passes (spurious returns
  /// possible); returns whether it differs. Never misses a change made after `last` was read, when
  /// `last` came from this backend's notify_generation() (reading it there is what makes commits
  /// move the counter; a value from a snapshot or another segment does not).
  virtual bool wait_for_change(std::uint64_t last, std::chrono::nanoseconds timeout) const;

  /// A sleep announced to the segment's writers and readers (announce_wait()).
  struct WaitAnnouncement {
    /// A ticket that records nothing: withdrawing or sleeping on it touches no sleeper entry.
    static constexpr std::uint32_t kNoTicket = 0xFFFF'FFFEU;
    std::uint64_t generation = 0;      ///< the change counter, read after the announcement
    std::uint32_t ticket = kNoTicket;  ///< what the backend took to record the sleeper
    WaitFor what = WaitFor::Change;    ///< what the sleeper waits for (as announced)
  };
  /// The register-then-check sleep: announces that this thread may sleep, after which the caller
  /// looks at the data once more. If it finds what it waits for, it calls withdraw_wait();
  /// otherwise sleep_announced(), which returns once a commit, mark_read or other change made after
  /// the announcement has happened (or on the timeout, or spuriously) and withdraws the
  /// announcement. Every announcement ends in exactly one of the two, passed back unchanged (a
  /// counted announcement, past 32 sleepers, cannot be checked: a second withdrawal would miscount).
  /// wait_until() uses this.
  /// `what`: a sleeper that waits for a sample is not woken by mark_read (WaitFor).
  virtual WaitAnnouncement announce_wait(WaitFor what) const {
    return {notify_generation(), WaitAnnouncement::kNoTicket, what};
  }
  /// Sleeps after announce_wait() (see there); returns whether the change counter moved.
  virtual bool sleep_announced(const WaitAnnouncement& announced, std::chrono::nanoseconds timeout) const {
    return wait_for_change(announced.generation, timeout);
  }
  /// Ends an announcement without sleeping.
  virtual void withdraw_wait(const WaitAnnouncement& announced) const { (void)announced; }
  /// The 32-bit futex word behind the change counter, or null when the backend has none: a
  /// sleeper on several segments at once (WaitSet) waits on the words of all of them, each with
  /// the low 32 bits of its announcement's generation as the expected value. Shared between
  /// processes on a POSIX segment (wake it with a shared, non-private FUTEX_WAKE).
  virtual const std::atomic<std::uint32_t>* change_word() const { return nullptr; }
  /// Whether a reserve_slot(active) would find a slot now, without taking one (the answer may be
  /// stale by the time the caller acts on it). Backends that cannot tell answer true.
  virtual bool has_free_slot(ReaderMask active) const {
    (void)active;
    return true;
  }

 protected:
  SlotBackend() = default;
  SlotBackend(const SlotBackend&) = default;
  SlotBackend(SlotBackend&&) = default;
  SlotBackend& operator=(const SlotBackend&) = default;
  SlotBackend& operator=(SlotBackend&&) = default;
};

}  // namespace shmslot
