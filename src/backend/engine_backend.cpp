#include "shmslot/detail/engine_backend.hpp"

#include "core/slot_engine.hpp"

namespace shmslot::detail {

namespace {
// Every method of a moved-from backend answers this instead of touching freed memory.
tl::unexpected<SlotError> unusable() { return tl::unexpected(SlotError::of(SlotErrorCode::LockPoisoned)); }
}  // namespace

EngineBackend::EngineBackend() = default;
EngineBackend::EngineBackend(std::unique_ptr<core::SlotEngine> engine) : engine_(std::move(engine)) {}
EngineBackend::EngineBackend(EngineBackend&&) noexcept = default;
EngineBackend& EngineBackend::operator=(EngineBackend&&) noexcept = default;
EngineBackend::~EngineBackend() = default;

void EngineBackend::set_engine(std::unique_ptr<core::SlotEngine> engine) { engine_ = std::move(engine); }

tl::expected<SlotHandle, SlotError> EngineBackend::reserve_slot(ReaderMask active_readers_mask) {
  if (!engine_) return unusable();
  return engine_->reserve(active_readers_mask);
}

tl::expected<std::uint32_t, SlotError> EngineBackend::commit_slot(SlotHandle handle, std::span<const std::byte> bytes) {
  if (!engine_) return unusable();
  return engine_->commit(handle, bytes);
}

tl::expected<void, SlotError> EngineBackend::discard_slot(SlotHandle handle) {
  if (!engine_) return unusable();
  return engine_->discard(handle);
}

tl::expected<std::span<std::byte>, SlotError> EngineBackend::slot_data_ptr(SlotHandle handle) {
  if (!engine_) return unusable();
  return engine_->data_ptr(handle);
}

tl::expected<std::uint32_t, SlotError> EngineBackend::commit_in_place(SlotHandle handle, std::size_t len) {
  if (!engine_) return unusable();
  return engine_->commit_in_place(handle, len);
}

tl::expected<SlotRead, SlotError> EngineBackend::read_slot(SlotHandle handle) const {
  if (!engine_) return unusable();
  return engine_->read(handle);
}

tl::expected<SlotHeader, SlotError> EngineBackend::read_slot_into(SlotHandle handle, std::span<std::byte> out) const {
  if (!engine_) return unusable();
  return engine_->read_into(handle, out);
}

tl::expected<std::span<const std::byte>, SlotError> EngineBackend::slot_read_ptr(SlotHandle handle,
                                                                                 std::uint32_t reader_index) {
  if (!engine_) return unusable();
  return engine_->read_ptr(handle, reader_index);
}

std::optional<std::chrono::nanoseconds> EngineBackend::commit_time(SlotHandle handle) const {
  return engine_ ? engine_->commit_time(handle) : std::nullopt;
}

tl::expected<std::optional<SlotHandle>, SlotError> EngineBackend::next_unread_slot(std::uint32_t reader_index) {
  if (!engine_) return unusable();
  return engine_->next_unread(reader_index);
}

tl::expected<std::optional<SlotHeader>, SlotError> EngineBackend::take_next_into(std::uint32_t reader_index,
                                                                                 std::span<std::byte> out) {
  if (!engine_) return unusable();
  // The engine's shortcut when it can decide on the slot header's line alone, else the three steps.
  if (auto taken = engine_->take_by_header(reader_index, out)) return std::optional<SlotHeader>(*taken);
  return SlotBackend::take_next_into(reader_index, out);
}

tl::expected<void, SlotError> EngineBackend::mark_read(SlotHandle handle, std::uint32_t reader_index) {
  if (!engine_) return unusable();
  return engine_->mark_read(handle, reader_index);
}

tl::expected<void, SlotError> EngineBackend::mark_reader_disconnected(std::uint32_t reader_index) {
  if (!engine_) return unusable();
  return engine_->disconnect(reader_index);
}

tl::expected<std::size_t, SlotError> EngineBackend::slot_count() const {
  if (!engine_) return unusable();
  return engine_->slot_count();
}

std::size_t EngineBackend::slot_total_size() const { return engine_ ? engine_->slot_total_size() : 0; }

std::size_t EngineBackend::slot_capacity() const { return engine_ ? engine_->slot_capacity() : 0; }

std::optional<TypeHash> EngineBackend::type_hash() const { return engine_ ? engine_->type_hash() : std::nullopt; }

tl::expected<std::uint32_t, SlotError> EngineBackend::register_reader(std::optional<std::uint32_t> index) {
  if (!engine_) return unusable();
  return engine_->register_reader(index, StartAt::Newest);
}

tl::expected<std::uint32_t, SlotError> EngineBackend::register_reader_with_history(std::optional<std::uint32_t> index) {
  if (!engine_) return unusable();
  return engine_->register_reader(index, StartAt::Retained);
}

tl::expected<void, SlotError> EngineBackend::unregister_reader(std::uint32_t index) {
  if (!engine_) return unusable();
  return engine_->unregister_reader(index);
}

ReaderMask EngineBackend::registered_readers() const { return engine_ ? engine_->registered_readers() : 0; }

tl::expected<ReaderStats, SlotError> EngineBackend::reader_stats(std::uint32_t index) const {
  if (!engine_) return unusable();
  return engine_->reader_stats(index);
}

std::size_t EngineBackend::reap() { return engine_ ? engine_->reap() : 0; }

std::chrono::milliseconds EngineBackend::lease() const {
  return engine_ ? engine_->lease() : kDefaultLease;
}

std::uint64_t EngineBackend::notify_generation() const { return engine_ ? engine_->generation() : 0; }

void EngineBackend::wake_waiters() const {
  if (engine_) engine_->wake_waiters();
}

bool EngineBackend::wait_for_change(std::uint64_t last, std::chrono::nanoseconds timeout) const {
  return engine_ ? engine_->wait_for_change(last, timeout) : false;
}

namespace {
core::Notifier::Announcement to_core(const SlotBackend::WaitAnnouncement& a) {
  return {static_cast<std::uint32_t>(a.generation),
          core::SleeperRegistry::Ticket{a.ticket, a.what == WaitFor::Change}};
}
}  // namespace

SlotBackend::WaitAnnouncement EngineBackend::announce_wait(WaitFor what) const {
  if (!engine_) return {};
  const core::Notifier::Announcement a = engine_->announce_wait(what == WaitFor::Change);
  return {a.generation, a.ticket.entry, what};
}

const std::atomic<std::uint32_t>* EngineBackend::change_word() const {
  return engine_ ? &engine_->change_word() : nullptr;
}

bool EngineBackend::has_free_slot(ReaderMask active) const { return engine_ && engine_->has_free_slot(active); }

bool EngineBackend::sleep_announced(const WaitAnnouncement& announced, std::chrono::nanoseconds timeout) const {
  return engine_ ? engine_->sleep_announced(to_core(announced), timeout) : false;
}

void EngineBackend::withdraw_wait(const WaitAnnouncement& announced) const {
  if (engine_) engine_->withdraw_wait(to_core(announced));
}

tl::expected<std::size_t, SlotError> EngineBackend::evict_stale(std::chrono::nanoseconds max_age, ReaderMask active) {
  if (!engine_) return unusable();
  return engine_->evict_stale(max_age, active);
}

SegmentSnapshot EngineBackend::snapshot() const { return engine_ ? engine_->snapshot() : SegmentSnapshot{}; }

}  // namespace shmslot::detail
