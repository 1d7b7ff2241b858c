// The reader half of the protocol on a shmslot segment: the next unread sample in sequence order,
// copying reads (a seqlock over the slot word), zero-copy pins, and marking samples read.
// docs/protocol.md, "Reader".
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>

#include <tl/expected.hpp>

#include "core/copy_dest.hpp"
#include "core/notifier.hpp"
#include "core/reader_registry.hpp"
#include "core/segment_view.hpp"
#include "shmslot/types.hpp"

namespace shmslot::core {

class SlotReader {
 public:
  SlotReader(const SegmentView& view, ReaderRegistry& registry, const Notifier& notifier)
      : view_(view), registry_(registry), notifier_(notifier) {}

  tl::expected<std::optional<SlotHandle>, SlotError> next_unread(std::uint32_t reader);
  // Copies the sample out (copy_read.cpp); exactly as committed, or Overwritten.
  tl::expected<SlotHeader, SlotError> copy_out(SlotHandle h, const CopyDest& dest) const;
  tl::expected<std::span<const std::byte>, SlotError> read_ptr(SlotHandle h, std::uint32_t reader);
  tl::expected<void, SlotError> mark_read(SlotHandle h, std::uint32_t reader);
  // The sample at the reader's cursor copied into `out` and marked read, checked on the slot
  // header's line alone (copy_read.cpp; protocol.md, "Copying take"); nullopt when that line cannot
  // tell, and then nothing changed.
  std::optional<SlotHeader> take_by_header(std::uint32_t reader, std::span<std::byte> out);
  std::optional<std::chrono::nanoseconds> commit_time(SlotHandle h) const;

 private:
  // Pins the sample `h` names for `reader` (kept if pinned already); false if it is gone.
  bool pin(SlotHandle h, std::uint32_t reader, std::uint64_t& word);
  // Marks the sample read by moving the reader's cursor past it, when it is the one at the cursor
  // (reading in order); false otherwise, and nothing changed.
  bool mark_by_cursor(SlotHandle h, std::uint32_t reader);
  // Marks it read by its bit in reader_mask, under a pin (out of order, or the cursor has moved on).
  tl::expected<void, SlotError> mark_by_bit(SlotHandle h, std::uint32_t reader);
  // After a mark found its sample gone: moves the cursor past the sample at it if that was in
  // `slot` and is gone, as next_unread would (so the copying take cannot find it by its header).
  void pass_gone_at_cursor(std::uint32_t slot, std::uint32_t reader);
  // The COMMITTED slot holding sequence number `seq`, by a scan.
  std::optional<SlotHandle> find_committed(std::uint64_t seq) const;
  std::optional<SlotHandle> resync_lapped(std::uint32_t reader, std::uint64_t from);
  // Passing a sequence number a dead writer took but never published (recovery.md).
  bool gap_expired(std::uint32_t reader, std::uint64_t s);

  const SegmentView view_;  // a copy: one indirection less on every access
  ReaderRegistry& registry_;
  const Notifier& notifier_;
  // Per reader: when it started waiting on the gap at gap_seq_ (0: not waiting). Threads may share a
  // reader index (a WaitSet's fd thread looks while its owner takes), so the pair changes under
  // gap_mutex_: a `since` of one number never meets the `seq` of another. The reset to 0 is a
  // relaxed store outside it: it only restarts the wait, never ends it early.
  std::atomic<std::uint64_t> gap_since_[kMaxReaders] = {};
  std::atomic<std::uint64_t> gap_seq_[kMaxReaders] = {};
  // Per reader: the coarse clock reading of its last look at next_seq (gap_expired).
  std::atomic<std::uint64_t> gap_look_ns_[kMaxReaders] = {};
  std::mutex gap_mutex_;
};

}  // namespace shmslot::core
