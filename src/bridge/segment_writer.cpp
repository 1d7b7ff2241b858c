#include "segment_writer.hpp"

#include <algorithm>
#include <cstring>

namespace shmslot::bridge::detail {

tl::expected<std::optional<SlotHandle>, SlotError> SegmentWriter::reserve(
    Reliability reliability, std::chrono::steady_clock::time_point deadline, bool& waited) {
  waited = false;
  for (;;) {
    // Capture the counter before trying: a slot freed after the try moves it, so the wait below
    // returns at once instead of sleeping through that change (as FlatWriter::write_bp does).
    const std::uint64_t generation = segment_->notify_generation();
    auto handle = segment_->reserve_slot(active_.value_or(segment_->registered_readers()));
    if (handle) return std::optional<SlotHandle>(*handle);
    if (handle.error().code != SlotErrorCode::NoFreeSlot) return tl::unexpected(handle.error());
    if (reliability == Reliability::BestEffort) return std::optional<SlotHandle>{};
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds::zero()) return std::optional<SlotHandle>{};
    waited = true;
    // At least every half lease: a reader that died wakes nobody, and the reap that frees its
    // slots runs inside reserve_slot.
    segment_->wait_for_change(generation, std::min<std::chrono::nanoseconds>(left, segment_->lease() / 2));
  }
}

tl::expected<void, SlotError> SegmentWriter::commit(SlotHandle handle, std::span<const std::byte> bytes) {
  auto data = segment_->slot_data_ptr(handle);
  if (!data) {
    discard(handle);
    return tl::unexpected(data.error());
  }
  if (bytes.size() > data->size()) {
    discard(handle);
    return tl::unexpected(SlotError::too_large(bytes.size(), data->size()));
  }
  if (!bytes.empty()) std::memcpy(data->data(), bytes.data(), bytes.size());
  auto sn = segment_->commit_in_place(handle, bytes.size());
  if (!sn) {
    discard(handle);
    return tl::unexpected(sn.error());
  }
  return {};
}

}  // namespace shmslot::bridge::detail
