// The from-dds bridge's writes into its segment: FlatWriter::write_bp's back-pressure for payloads
// of any size (a FlatWriter needs one fixed type). A slot is reserved first and filled in place.
#pragma once

#include <chrono>
#include <optional>
#include <span>

#include <shmslot/flat_writer.hpp>
#include <shmslot/slot_backend.hpp>
#include <tl/expected.hpp>

namespace shmslot::bridge::detail {

class SegmentWriter {
 public:
  /// `active`: the readers a slot waits for; nullopt: the registered readers at each reserve.
  SegmentWriter(SlotBackend& segment, std::optional<ReaderMask> active) : segment_(&segment), active_(active) {}

  /// A slot free for the active readers. BestEffort tries once; Reliable waits for readers to free
  /// one until `deadline`. nullopt when there is none; `waited` is set when it had to wait.
  tl::expected<std::optional<SlotHandle>, SlotError> reserve(Reliability reliability,
                                                             std::chrono::steady_clock::time_point deadline,
                                                             bool& waited);
  /// Copies `bytes` into the reserved slot and publishes it; on failure the slot is given back.
  tl::expected<void, SlotError> commit(SlotHandle handle, std::span<const std::byte> bytes);
  /// Gives a reserved slot back unpublished.
  void discard(SlotHandle handle) { (void)segment_->discard_slot(handle); }

 private:
  SlotBackend* segment_;
  std::optional<ReaderMask> active_;
};

}  // namespace shmslot::bridge::detail
