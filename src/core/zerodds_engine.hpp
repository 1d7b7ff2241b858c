// A segment that a ZeroDDS process created and writes (no shmslot extension): read-only, with the
// safest reads its protocol allows. docs/protocol.md, "ZeroDDS-created segments".
#pragma once

#include <atomic>
#include <chrono>

#include "core/slot_checks.hpp"
#include "core/slot_engine.hpp"

namespace shmslot::core {

class ZeroDdsEngine final : public SlotEngine {
 public:
  explicit ZeroDdsEngine(const SegmentView& view) : SlotEngine(view) {}

  // A ZeroDDS writer keeps its loans in its own heap: shmslot never writes such a segment.
  tl::expected<SlotHandle, SlotError> reserve(ReaderMask) override { return read_only(); }
  tl::expected<std::uint32_t, SlotError> commit(SlotHandle, std::span<const std::byte>) override {
    return read_only();
  }
  tl::expected<std::uint32_t, SlotError> commit_in_place(SlotHandle, std::size_t) override { return read_only(); }
  tl::expected<void, SlotError> discard(SlotHandle) override { return read_only(); }
  tl::expected<std::span<std::byte>, SlotError> data_ptr(SlotHandle) override { return read_only(); }
  tl::expected<std::size_t, SlotError> evict_stale(std::chrono::nanoseconds, ReaderMask) override {
    return read_only();
  }
  bool has_free_slot(ReaderMask) const override { return false; }  // never writable here

  tl::expected<std::span<const std::byte>, SlotError> read_ptr(SlotHandle h, std::uint32_t reader) override;
  std::optional<std::chrono::nanoseconds> commit_time(SlotHandle) const override { return std::nullopt; }
  tl::expected<std::optional<SlotHandle>, SlotError> next_unread(std::uint32_t reader) override;
  tl::expected<void, SlotError> mark_read(SlotHandle h, std::uint32_t reader) override;
  tl::expected<void, SlotError> disconnect(std::uint32_t reader) override;

  // No registry: ZeroDDS readers pick their index by configuration.
  tl::expected<std::uint32_t, SlotError> register_reader(std::optional<std::uint32_t>, StartAt) override {
    return fail(SlotErrorCode::Unsupported);
  }
  tl::expected<void, SlotError> unregister_reader(std::uint32_t) override { return fail(SlotErrorCode::Unsupported); }
  ReaderMask registered_readers() const override { return 0; }
  tl::expected<ReaderStats, SlotError> reader_stats(std::uint32_t) const override {
    return fail(SlotErrorCode::Unsupported);
  }
  std::size_t reap() override { return 0; }
  std::chrono::milliseconds lease() const override { return kDefaultLease; }
  bool owner_alive() const override { return true; }  // a ZeroDDS segment records no owner: assume alive

 private:
  static tl::unexpected<SlotError> read_only() { return fail(SlotErrorCode::ReadOnlySegment); }
  tl::expected<SlotHeader, SlotError> copy_out(SlotHandle h, const CopyDest& dest) const override;
  // True once the newest commit a ZeroDDS writer started has written its header (or none newer
  // than `copied_sn` was started); false if it stays unfinished for a while.
  bool newest_commit_landed(std::uint32_t copied_sn) const;

  static constexpr int kScanAttempts = 64;
  static constexpr std::chrono::milliseconds kLandingWait{50};

  // (1 << 32) | next_sn of a ZeroDDS commit that did not land within kLandingWait; 0: none.
  mutable std::atomic<std::uint64_t> stalled_{0};
};

}  // namespace shmslot::core
