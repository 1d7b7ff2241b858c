// The reader registry of a shmslot segment: 32 reader entries (cursor, owner, start time,
// evictions) and the `registered` mask; who may claim an index, who frees it, and what a reader's
// cursor says about the samples it has passed. docs/recovery.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include <tl/expected.hpp>

#include "core/notifier.hpp"
#include "core/segment_view.hpp"
#include "shmslot/types.hpp"

namespace shmslot::core {

class ReaderRegistry {
 public:
  ReaderRegistry(const SegmentView& view, const Notifier& notifier)
      : view_(view), notifier_(notifier), cursor_cache_enabled_(view.geometry().history_depth == 0) {}
  // Frees the entries this process registered through this engine; see the definition.
  ~ReaderRegistry();
  ReaderRegistry(const ReaderRegistry&) = delete;
  ReaderRegistry& operator=(const ReaderRegistry&) = delete;

  // Claims `index`, or the first free entry (NoFreeReader when none is: the engine reaps and retries);
  // its cursor starts as `start` says (an index this process holds already keeps its cursor).
  tl::expected<std::uint32_t, SlotError> register_reader(std::optional<std::uint32_t> index, StartAt start);
  tl::expected<void, SlotError> unregister_reader(std::uint32_t index);
  ReaderMask registered_readers() const;
  tl::expected<ReaderStats, SlotError> reader_stats(std::uint32_t index) const;
  // Marks every slot read by `reader`, drops its pins and moves its cursor to the newest number.
  void disconnect(std::uint32_t reader);
  // Records an index used without registering (the ZeroDDS way) once per engine; see recovery.md.
  void note_reader(std::uint32_t reader);
  // What a reap does with an entry a live process is releasing already (another reap, or a
  // registration over a dead owner, got there first): `Await` waits for that release to end, up to
  // kReleaseAwaitMax (or the lease, if shorter), so that no reader dead when the reap looked is
  // registered when it returns; `Skip` leaves it to that process (a writer's reap on its blocked
  // path must not stall). A marker whose process is stopped, or whose pid was reused, costs an
  // `Await` reap that bound, no more.
  enum class InFlightRelease { Await, Skip };
  // Frees the entries of dead owners (and of releasers that died mid-release); returns how many.
  std::size_t reap_dead_readers(InFlightRelease in_flight);

  // A reader whose cursor is past `seq` has read or passed that sample.
  bool cursor_past(std::uint32_t reader, std::uint64_t seq) const;
  // The readers in `readers` whose cursor is not past `seq`: those that may still read the sample.
  ReaderMask not_past(ReaderMask readers, std::uint64_t seq) const;
  // Every reader in `active` has read the sample (its bit is in `read_by`) or moved past `seq`.
  bool all_done(ReaderMask read_by, ReaderMask active, std::uint64_t seq) const {
    return not_past(active & ~read_by, seq) == 0;
  }

  std::chrono::milliseconds lease() const;
  bool owner_alive() const;

 private:
  // Where a claimed entry's cursor goes: where it was (an index used without registering), or as
  // register_reader's StartAt says.
  enum class Cursor : std::uint8_t { Keep, Newest, Retained };
  bool claim_entry(std::uint32_t reader, Cursor cursor);
  // A late joiner's start: the oldest retained number, with the joiner's bit cleared on the
  // retained samples (a previous owner of the index may have marked them read).
  std::uint64_t start_at_retained(std::uint32_t reader) const;
  // Sets the reader's bit on every sample its cursor has passed (a reader that reads in order marks
  // by cursor alone), for whoever goes by bits once the index is let go: a ZeroDDS process taking
  // it over, read_slot's reader_mask.
  void mark_passed_by_bit(std::uint32_t reader);
  // Frees entry `reader` if `owner` still holds it; a dead owner's reader is disconnected first.
  void release_entry(std::uint32_t reader, std::uint64_t owner, bool dead);

  const SegmentView view_;  // a copy: one indirection less on every access
  const Notifier& notifier_;
  std::atomic<std::uint32_t> claimed_{0};  // entries this engine registered (released on destruction)
  std::atomic<std::uint32_t> noted_{0};    // indices this engine has used or registered
  // cursor_past's memory of each reader's cursor (only where cursors never move back).
  const bool cursor_cache_enabled_;
  mutable std::atomic<std::uint64_t> cursor_seen_[kMaxReaders] = {};
};

}  // namespace shmslot::core
