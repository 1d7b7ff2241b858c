// The full protocol on a shmslot segment: the engine's jobs, each in its own part, over one view.
#pragma once

#include <type_traits>

#include "core/reader_registry.hpp"
#include "core/reaper.hpp"
#include "core/slot_engine.hpp"
#include "core/slot_reader.hpp"
#include "core/slot_writer.hpp"

namespace shmslot::core {

class ExtendedEngine final : public SlotEngine {
 public:
  explicit ExtendedEngine(const SegmentView& view);

  tl::expected<SlotHandle, SlotError> reserve(ReaderMask active) override { return writer_.reserve(active); }
  tl::expected<std::uint32_t, SlotError> commit(SlotHandle h, std::span<const std::byte> bytes) override {
    return writer_.commit(h, bytes.size(), bytes.data());
  }
  tl::expected<std::uint32_t, SlotError> commit_in_place(SlotHandle h, std::size_t len) override {
    return writer_.commit(h, len, nullptr);
  }
  tl::expected<void, SlotError> discard(SlotHandle h) override { return writer_.discard(h); }
  tl::expected<std::span<std::byte>, SlotError> data_ptr(SlotHandle h) override { return writer_.data_ptr(h); }
  tl::expected<std::size_t, SlotError> evict_stale(std::chrono::nanoseconds max_age, ReaderMask active) override;
  bool has_free_slot(ReaderMask active) const override { return writer_.has_free_slot(active); }

  tl::expected<std::span<const std::byte>, SlotError> read_ptr(SlotHandle h, std::uint32_t reader) override {
    return reader_.read_ptr(h, reader);
  }
  std::optional<std::chrono::nanoseconds> commit_time(SlotHandle h) const override { return reader_.commit_time(h); }
  tl::expected<std::optional<SlotHandle>, SlotError> next_unread(std::uint32_t reader) override {
    return reader_.next_unread(reader);
  }
  tl::expected<void, SlotError> mark_read(SlotHandle h, std::uint32_t reader) override {
    return reader_.mark_read(h, reader);
  }
  std::optional<SlotHeader> take_by_header(std::uint32_t reader, std::span<std::byte> out) override {
    return reader_.take_by_header(reader, out);
  }
  tl::expected<void, SlotError> disconnect(std::uint32_t reader) override;

  tl::expected<std::uint32_t, SlotError> register_reader(std::optional<std::uint32_t> index, StartAt start) override;
  tl::expected<void, SlotError> unregister_reader(std::uint32_t index) override {
    return registry_.unregister_reader(index);
  }
  ReaderMask registered_readers() const override { return registry_.registered_readers(); }
  tl::expected<ReaderStats, SlotError> reader_stats(std::uint32_t index) const override {
    return registry_.reader_stats(index);
  }
  std::size_t reap() override { return reaper_.reap(); }
  std::chrono::milliseconds lease() const override { return registry_.lease(); }
  bool owner_alive() const override { return registry_.owner_alive(); }

 private:
  tl::expected<SlotHeader, SlotError> copy_out(SlotHandle h, const CopyDest& dest) const override {
    return reader_.copy_out(h, dest);
  }

  // Declared in dependency order: each part refers to the ones above it.
  ReaderRegistry registry_;
  Reaper reaper_;
  SlotWriter writer_;
  SlotReader reader_;
};

// The parts refer to each other and to the base's view: the engine must never be copied or moved.
static_assert(!std::is_copy_constructible_v<ExtendedEngine> && !std::is_move_constructible_v<ExtendedEngine>);

}  // namespace shmslot::core
