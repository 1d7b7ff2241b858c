// The slot protocol of docs/protocol.md over one mapped segment, whatever owns the memory. Two engines
// implement it, chosen once when a segment is attached (make_engine): the full protocol on a shmslot
// segment (extended_engine.hpp), and the read-only ZeroDDS rules on a segment a ZeroDDS process
// created (zerodds_engine.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include <tl/expected.hpp>

#include "core/copy_dest.hpp"
#include "core/layout.hpp"
#include "core/notifier.hpp"
#include "core/segment_view.hpp"
#include "shmslot/segment_snapshot.hpp"
#include "shmslot/type_hash.hpp"
#include "shmslot/types.hpp"

namespace shmslot::core {

// What the creator writes into a fresh extended segment.
struct FormatOptions {
  std::uint32_t flags = 0;  // kFlag*
  std::uint32_t lease_ms = static_cast<std::uint32_t>(kDefaultLease.count());
  TypeHash type_hash{};
  std::uint32_t owner_pid = 0;
  std::uint32_t owner_pid_ns = 0;
  std::uint64_t owner_start_time = 0;
  std::uint32_t history_depth = 0;  // H; sets kFlagHistory when not 0 (the caller checked H < slot_count)
};

// Writes header and extension into zero-filled memory; the extension magic is stored last.
void format_segment(std::byte* base, const Geometry& geometry, const FormatOptions& options);

class SlotEngine {
 public:
  virtual ~SlotEngine() = default;
  SlotEngine(const SlotEngine&) = delete;
  SlotEngine& operator=(const SlotEngine&) = delete;

  // Writer operations (slot_writer.hpp).
  virtual tl::expected<SlotHandle, SlotError> reserve(ReaderMask active) = 0;
  virtual tl::expected<std::uint32_t, SlotError> commit(SlotHandle h, std::span<const std::byte> bytes) = 0;
  virtual tl::expected<std::uint32_t, SlotError> commit_in_place(SlotHandle h, std::size_t len) = 0;
  virtual tl::expected<void, SlotError> discard(SlotHandle h) = 0;
  virtual tl::expected<std::span<std::byte>, SlotError> data_ptr(SlotHandle h) = 0;
  virtual tl::expected<std::size_t, SlotError> evict_stale(std::chrono::nanoseconds max_age, ReaderMask active) = 0;
  // Whether a reserve for `active` would find a slot now (no loan taken; the answer may be stale
  // by the time the caller acts on it).
  virtual bool has_free_slot(ReaderMask active) const = 0;

  // Reader operations (slot_reader.hpp).
  // Copying reads: exactly as committed, or Overwritten.
  tl::expected<SlotRead, SlotError> read(SlotHandle h) const;
  tl::expected<SlotHeader, SlotError> read_into(SlotHandle h, std::span<std::byte> out) const {
    return copy_out(h, CopyDest{out, nullptr});
  }
  virtual tl::expected<std::span<const std::byte>, SlotError> read_ptr(SlotHandle h, std::uint32_t reader) = 0;
  virtual std::optional<std::chrono::nanoseconds> commit_time(SlotHandle h) const = 0;
  virtual tl::expected<std::optional<SlotHandle>, SlotError> next_unread(std::uint32_t reader) = 0;
  virtual tl::expected<void, SlotError> mark_read(SlotHandle h, std::uint32_t reader) = 0;
  // next_unread, a copy into `out` and mark_read in one, when the engine can tell on the slot
  // header's line alone that the sample at the reader's cursor is there, whole and unread; nullopt
  // hands the decision to those three steps (nothing changed then).
  virtual std::optional<SlotHeader> take_by_header(std::uint32_t reader, std::span<std::byte> out) {
    (void)reader;
    (void)out;
    return std::nullopt;
  }
  virtual tl::expected<void, SlotError> disconnect(std::uint32_t reader) = 0;

  // The reader registry and reaping (reader_registry.hpp, reaper.hpp, docs/recovery.md).
  virtual tl::expected<std::uint32_t, SlotError> register_reader(std::optional<std::uint32_t> index, StartAt start) = 0;
  virtual tl::expected<void, SlotError> unregister_reader(std::uint32_t index) = 0;
  virtual ReaderMask registered_readers() const = 0;
  virtual tl::expected<ReaderStats, SlotError> reader_stats(std::uint32_t index) const = 0;
  // Disconnects dead registered readers and frees loans of dead writers; returns how many.
  virtual std::size_t reap() = 0;
  virtual std::chrono::milliseconds lease() const = 0;
  virtual bool owner_alive() const = 0;

  // Change notification (notifier.hpp), the same for both engines.
  std::uint64_t generation() const { return notifier_.generation(); }
  // Moves the change counter on and wakes its sleepers, with no change to the data.
  void wake_waiters() const { notifier_.notify(); }
  bool wait_for_change(std::uint64_t last, std::chrono::nanoseconds timeout) const {
    return notifier_.wait_for_change(last, timeout);
  }
  Notifier::Announcement announce_wait(bool free_slot) const { return notifier_.announce(free_slot); }
  bool sleep_announced(const Notifier::Announcement& a, std::chrono::nanoseconds timeout) const {
    return notifier_.sleep(a, timeout);
  }
  void withdraw_wait(const Notifier::Announcement& a) const { notifier_.withdraw(a); }
  const std::atomic<std::uint32_t>& change_word() const { return notifier_.word(); }

  // Every field read once, for tools (snapshot.cpp).
  SegmentSnapshot snapshot() const;

  std::size_t slot_count() const { return static_cast<std::size_t>(view_.geometry().slot_count); }
  std::size_t slot_total_size() const { return static_cast<std::size_t>(view_.geometry().slot_total_size); }
  std::size_t slot_capacity() const { return static_cast<std::size_t>(view_.geometry().slot_capacity); }
  bool extended() const { return view_.extended(); }
  std::uint32_t flags() const { return view_.extended() ? view_.control().flags : 0; }
  std::optional<TypeHash> type_hash() const;
  // Records a type hash in the extension. Only for memory no other thread or process sees yet.
  void record_type_hash(const TypeHash& hash);
  const Geometry& geometry() const { return view_.geometry(); }
  std::byte* base() const { return view_.base(); }

 protected:
  explicit SlotEngine(const SegmentView& view) : view_(view), notifier_(view_) {}
  virtual tl::expected<SlotHeader, SlotError> copy_out(SlotHandle h, const CopyDest& dest) const = 0;
  const SegmentView view_;
  const Notifier notifier_;
};

// The engine for a validated segment: ExtendedEngine on a shmslot segment, ZeroDdsEngine otherwise.
std::unique_ptr<SlotEngine> make_engine(std::byte* base, const Geometry& geometry, std::uint64_t segment_id);

}  // namespace shmslot::core
