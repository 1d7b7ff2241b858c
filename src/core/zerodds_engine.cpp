#include "core/zerodds_engine.hpp"

#include <algorithm>

#include "core/seqlock_copy.hpp"

namespace shmslot::core {

tl::expected<SlotHeader, SlotError> ZeroDdsEngine::copy_out(SlotHandle h, const CopyDest& dest) const {
  if (h.slot_index >= view_.slot_count()) return fail(SlotErrorCode::OutOfBounds);
  const SharedSlotHeader& hdr = view_.slot_header(h.slot_index);
  // SYNC: acquire; pairs with the ZeroDDS writer's release increment of gen after its header stores.
  (void)view_.header().gen.load(std::memory_order_acquire);
  SlotHeader out;
  out.reader_mask = hdr.reader_mask.load(std::memory_order_acquire);
  out.sequence_number = hdr.sequence_number.load(std::memory_order_relaxed);
  const std::uint32_t raw_size = hdr.sample_size.load(std::memory_order_relaxed);
  const auto size = std::min<std::size_t>(raw_size, view_.slot_capacity());
  auto target = dest.prepare(size);
  if (!target) return tl::unexpected(target.error());
  seqlock_copy(*target, view_.payload(h.slot_index), size);
  std::atomic_thread_fence(std::memory_order_acquire);
  // ZeroDDS rewrites sequence number and size on every reuse: a change means the copy may be torn.
  if (hdr.sequence_number.load(std::memory_order_relaxed) != out.sequence_number ||
      hdr.sample_size.load(std::memory_order_relaxed) != raw_size) {
    return fail(SlotErrorCode::Overwritten);
  }
  // A ZeroDDS writer takes its sequence number (next_sn) before it copies the payload and writes
  // the header last, so a rewrite of this slot that is still copying leaves the header unchanged.
  // Unless this sample is the newest taken, wait (briefly) for the newest commit to land, then look
  // at the header again.
  if (!newest_commit_landed(out.sequence_number) ||
      hdr.sequence_number.load(std::memory_order_acquire) != out.sequence_number ||
      hdr.sample_size.load(std::memory_order_relaxed) != raw_size) {
    return fail(SlotErrorCode::Overwritten);
  }
  out.sample_size = static_cast<std::uint32_t>(size);
  return out;
}

bool ZeroDdsEngine::newest_commit_landed(std::uint32_t copied_sn) const {
  const std::atomic<std::uint32_t>& next_sn = view_.header().next_sn;
  const std::uint32_t taken = next_sn.load(std::memory_order_acquire);
  if (taken - 1U == copied_sn) return true;  // nothing newer was started
  // A commit this engine has already waited for in vain gets one look, not another full wait: a
  // writer that died mid-commit would otherwise cost every later read the whole wait.
  const std::uint64_t stalled_key = (std::uint64_t{1} << 32) | taken;
  const bool known_stalled = stalled_.load(std::memory_order_relaxed) == stalled_key;
  const auto deadline = std::chrono::steady_clock::now() + (known_stalled ? std::chrono::milliseconds(0) : kLandingWait);
  for (unsigned spin = 0;; ++spin) {
    if (next_sn.load(std::memory_order_acquire) != taken) return true;  // it finished, another began
    for (std::uint32_t i = 0; i < view_.slot_count(); ++i) {
      if (view_.slot_header(i).sequence_number.load(std::memory_order_acquire) == taken - 1U &&
          view_.slot_header(i).sample_size.load(std::memory_order_acquire) != 0) {
        return true;
      }
    }
    if ((known_stalled || (spin & 63U) == 63U) && std::chrono::steady_clock::now() > deadline) {
      // Relaxed: a hint local to this process; a wrong value costs one wait or one look, never a torn read.
      stalled_.store(stalled_key, std::memory_order_relaxed);
      return false;  // a stalled writer
    }
  }
}

tl::expected<std::optional<SlotHandle>, SlotError> ZeroDdsEngine::next_unread(std::uint32_t reader) {
  if (reader >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  const std::uint32_t bit = 1U << reader;
  const SegmentHeader& header = view_.header();
  std::optional<SlotHandle> best;
  // A commit landing during the scan may land in a slot the scan has passed while a newer one lands
  // ahead of it: scan again while next_sn moved under the scan (bounded; a busy writer still yields
  // a sample that was the oldest when its scan started).
  for (int attempt = 0; attempt < kScanAttempts; ++attempt) {
    // SYNC: acquire, as in copy_out.
    const std::uint32_t before = header.next_sn.load(std::memory_order_acquire);
    (void)header.gen.load(std::memory_order_acquire);
    best.reset();
    std::uint32_t best_sn = 0;
    for (std::uint32_t i = 0; i < view_.slot_count(); ++i) {
      const SharedSlotHeader& hdr = view_.slot_header(i);
      if (hdr.sample_size.load(std::memory_order_relaxed) == 0) continue;  // ZeroDDS: 0 means empty
      if ((hdr.reader_mask.load(std::memory_order_relaxed) & bit) != 0) continue;
      const std::uint32_t sn = hdr.sequence_number.load(std::memory_order_relaxed);
      // The smallest sequence number, by signed difference, so the order survives the counter's wrap.
      if (!best || static_cast<std::int32_t>(sn - best_sn) < 0) {
        best = SlotHandle{view_.segment_id(), i, kAnyGeneration};
        best_sn = sn;
      }
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (header.next_sn.load(std::memory_order_relaxed) == before) break;
  }
  return best;
}

tl::expected<std::span<const std::byte>, SlotError> ZeroDdsEngine::read_ptr(SlotHandle h, std::uint32_t reader) {
  if (reader >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  if (h.slot_index >= view_.slot_count()) return fail(SlotErrorCode::OutOfBounds);
  // ZeroDDS rules: valid while this reader is in the writer's active mask and has not marked it.
  // SYNC: acquire; pairs with the ZeroDDS writer's release increment of gen after its stores.
  (void)view_.header().gen.load(std::memory_order_acquire);
  const auto size = std::min<std::size_t>(view_.slot_header(h.slot_index).sample_size.load(std::memory_order_relaxed),
                                          view_.slot_capacity());
  return std::span<const std::byte>(view_.payload(h.slot_index), size);
}

tl::expected<void, SlotError> ZeroDdsEngine::mark_read(SlotHandle h, std::uint32_t reader) {
  if (reader >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  if (h.slot_index >= view_.slot_count()) return fail(SlotErrorCode::OutOfBounds);
  // ZeroDDS rules: one atomic OR. SYNC: release; pairs with the ZeroDDS writer's next reserve.
  view_.slot_header(h.slot_index).reader_mask.fetch_or(1U << reader, std::memory_order_release);
  notifier_.notify();
  return {};
}

tl::expected<void, SlotError> ZeroDdsEngine::disconnect(std::uint32_t reader) {
  if (reader >= kMaxReaders) return fail(SlotErrorCode::ReaderIndexOutOfRange);
  for (std::uint32_t i = 0; i < view_.slot_count(); ++i) {
    // SYNC: release, as in mark_read.
    view_.slot_header(i).reader_mask.fetch_or(1U << reader, std::memory_order_release);
  }
  notifier_.notify();
  return {};
}

}  // namespace shmslot::core
