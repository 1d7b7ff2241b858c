// Defaults of the optional SlotBackend methods, as in ZeroDDS: in-place and zero-copy calls are
// unsupported, nothing is unread, and waiting returns at once.
#include "shmslot/slot_backend.hpp"

namespace shmslot {

tl::expected<std::span<std::byte>, SlotError> SlotBackend::slot_data_ptr(SlotHandle) {
  return tl::unexpected(SlotError::of(SlotErrorCode::InPlaceUnsupported));
}

tl::expected<std::uint32_t, SlotError> SlotBackend::commit_in_place(SlotHandle, std::size_t) {
  return tl::unexpected(SlotError::of(SlotErrorCode::InPlaceUnsupported));
}

tl::expected<std::span<const std::byte>, SlotError> SlotBackend::slot_read_ptr(SlotHandle, std::uint32_t) {
  return tl::unexpected(SlotError::of(SlotErrorCode::InPlaceUnsupported));
}

std::optional<std::chrono::nanoseconds> SlotBackend::commit_time(SlotHandle) const { return std::nullopt; }

tl::expected<std::optional<SlotHandle>, SlotError> SlotBackend::next_unread_slot(std::uint32_t) {
  return std::optional<SlotHandle>{};
}

tl::expected<std::optional<SlotHeader>, SlotError> SlotBackend::take_next_into(std::uint32_t reader_index,
                                                                               std::span<std::byte> out) {
  auto handle = next_unread_slot(reader_index);
  if (!handle) return tl::unexpected(handle.error());
  if (!*handle) return std::optional<SlotHeader>{};
  auto header = read_slot_into(**handle, out);
  const bool gone = !header && header.error().code == SlotErrorCode::Overwritten;
  if (!header && !gone) return tl::unexpected(header.error());  // SampleTooLarge: stays unread
  if (auto marked = mark_read(**handle, reader_index); !marked && marked.error().code != SlotErrorCode::Overwritten) {
    return tl::unexpected(marked.error());
  }
  if (gone) return tl::unexpected(SlotError::of(SlotErrorCode::Overwritten));
  return std::optional<SlotHeader>(*header);
}

tl::expected<std::uint32_t, SlotError> SlotBackend::register_reader(std::optional<std::uint32_t>) {
  return tl::unexpected(SlotError::of(SlotErrorCode::Unsupported));
}

tl::expected<std::uint32_t, SlotError> SlotBackend::register_reader_with_history(std::optional<std::uint32_t>) {
  return tl::unexpected(SlotError::of(SlotErrorCode::Unsupported));
}

tl::expected<void, SlotError> SlotBackend::unregister_reader(std::uint32_t) {
  return tl::unexpected(SlotError::of(SlotErrorCode::Unsupported));
}

tl::expected<std::size_t, SlotError> SlotBackend::evict_stale(std::chrono::nanoseconds, ReaderMask) {
  return tl::unexpected(SlotError::of(SlotErrorCode::Unsupported));
}

tl::expected<ReaderStats, SlotError> SlotBackend::reader_stats(std::uint32_t) const {
  return tl::unexpected(SlotError::of(SlotErrorCode::Unsupported));
}

bool SlotBackend::wait_for_change(std::uint64_t last, std::chrono::nanoseconds) const {
  return notify_generation() != last;
}

}  // namespace shmslot
