// The SlotBackend methods shared by both backends: each forwards to the protocol engine that runs
// over the backend's memory (heap for the in-memory backend, a shm mapping for POSIX).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "shmslot/segment_snapshot.hpp"
#include "shmslot/slot_backend.hpp"

namespace shmslot::core {
class SlotEngine;
}

namespace shmslot::detail {

class EngineBackend : public SlotBackend {
 public:
  tl::expected<SlotHandle, SlotError> reserve_slot(ReaderMask active_readers_mask) override;
  tl::expected<std::uint32_t, SlotError> commit_slot(SlotHandle handle, std::span<const std::byte> bytes) override;
  tl::expected<void, SlotError> discard_slot(SlotHandle handle) override;
  tl::expected<std::span<std::byte>, SlotError> slot_data_ptr(SlotHandle handle) override;
  tl::expected<std::uint32_t, SlotError> commit_in_place(SlotHandle handle, std::size_t len) override;
  tl::expected<SlotRead, SlotError> read_slot(SlotHandle handle) const override;
  tl::expected<SlotHeader, SlotError> read_slot_into(SlotHandle handle, std::span<std::byte> out) const override;
  tl::expected<std::span<const std::byte>, SlotError> slot_read_ptr(SlotHandle handle,
                                                                    std::uint32_t reader_index) override;
  std::optional<std::chrono::nanoseconds> commit_time(SlotHandle handle) const override;
  tl::expected<std::optional<SlotHandle>, SlotError> next_unread_slot(std::uint32_t reader_index) override;
  tl::expected<std::optional<SlotHeader>, SlotError> take_next_into(std::uint32_t reader_index,
                                                                    std::span<std::byte> out) override;
  tl::expected<void, SlotError> mark_read(SlotHandle handle, std::uint32_t reader_index) override;
  tl::expected<void, SlotError> mark_reader_disconnected(std::uint32_t reader_index) override;
  tl::expected<std::size_t, SlotError> slot_count() const override;
  std::size_t slot_total_size() const override;
  std::size_t slot_capacity() const override;
  std::optional<TypeHash> type_hash() const override;
  tl::expected<std::uint32_t, SlotError> register_reader(std::optional<std::uint32_t> index = std::nullopt) override;
  tl::expected<std::uint32_t, SlotError> register_reader_with_history(
      std::optional<std::uint32_t> index = std::nullopt) override;
  tl::expected<void, SlotError> unregister_reader(std::uint32_t index) override;
  ReaderMask registered_readers() const override;
  tl::expected<ReaderStats, SlotError> reader_stats(std::uint32_t index) const override;
  std::size_t reap() override;
  std::chrono::milliseconds lease() const override;
  std::uint64_t notify_generation() const override;
  void wake_waiters() const override;
  bool wait_for_change(std::uint64_t last, std::chrono::nanoseconds timeout) const override;
  WaitAnnouncement announce_wait(WaitFor what) const override;
  bool sleep_announced(const WaitAnnouncement& announced, std::chrono::nanoseconds timeout) const override;
  void withdraw_wait(const WaitAnnouncement& announced) const override;
  const std::atomic<std::uint32_t>* change_word() const override;
  bool has_free_slot(ReaderMask active) const override;

  tl::expected<std::size_t, SlotError> evict_stale(std::chrono::nanoseconds max_age, ReaderMask active) override;

  /// A point-in-time view of every header field, slot and reader cursor, for tools.
  SegmentSnapshot snapshot() const;

  ~EngineBackend() override;

 protected:
  EngineBackend();
  explicit EngineBackend(std::unique_ptr<core::SlotEngine> engine);
  EngineBackend(EngineBackend&&) noexcept;
  EngineBackend& operator=(EngineBackend&&) noexcept;
  EngineBackend(const EngineBackend&) = delete;
  EngineBackend& operator=(const EngineBackend&) = delete;

  core::SlotEngine* engine() const { return engine_.get(); }
  void set_engine(std::unique_ptr<core::SlotEngine> engine);

 private:
  std::unique_ptr<core::SlotEngine> engine_;
};

}  // namespace shmslot::detail
