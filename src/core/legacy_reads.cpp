// Reading a segment that a ZeroDDS process created and writes (no shmslot extension): the safest
// reads its protocol allows. See "ZeroDDS-created segments" in docs/protocol.md.
#include <algorithm>
#include <chrono>

#include "core/seqlock_copy.hpp"
#include "core/slot_engine.hpp"

namespace shmslot::core {

tl::expected<SlotHeader, SlotError> SlotEngine::legacy_copy_out(SlotHandle h, const CopyDest& dest) const {
  const SharedSlotHeader& hdr = header_of(h.slot_index);
  // SYNC: acquire; pairs with the ZeroDDS writer's release increment of gen after its header stores.
  (void)header_->gen.load(std::memory_order_acquire);
  SlotHeader out;
  out.reader_mask = hdr.reader_mask.load(std::memory_order_acquire);
  out.sequence_number = hdr.sequence_number.load(std::memory_order_relaxed);
  const std::uint32_t raw_size = hdr.sample_size.load(std::memory_order_relaxed);
  const auto size = std::min<std::size_t>(raw_size, geo_.slot_capacity);
  auto target = dest.prepare(size);
  if (!target) return tl::unexpected(target.error());
  seqlock_copy(*target, payload_of(h.slot_index), size);
  std::atomic_thread_fence(std::memory_order_acquire);
  // ZeroDDS rewrites sequence number and size on every reuse: a change means the copy may be torn.
  if (hdr.sequence_number.load(std::memory_order_relaxed) != out.sequence_number ||
      hdr.sample_size.load(std::memory_order_relaxed) != raw_size) {
    return tl::unexpected(SlotError::of(SlotErrorCode::Overwritten));
  }
  // A ZeroDDS writer takes its sequence number (next_sn) before it copies the payload and writes
  // the header last, so a rewrite of this slot that is still copying leaves the header unchanged.
  // Unless this sample is the newest taken, wait (briefly) for the newest commit to land, then look
  // at the header again.
  if (!legacy_newest_commit_landed(out.sequence_number) ||
      hdr.sequence_number.load(std::memory_order_acquire) != out.sequence_number ||
      hdr.sample_size.load(std::memory_order_relaxed) != raw_size) {
    return tl::unexpected(SlotError::of(SlotErrorCode::Overwritten));
  }
  out.sample_size = static_cast<std::uint32_t>(size);
  return out;
}

bool SlotEngine::legacy_newest_commit_landed(std::uint32_t copied_sn) const {
  const std::uint32_t taken = header_->next_sn.load(std::memory_order_acquire);
  if (taken - 1U == copied_sn) return true;  // nothing newer was started
  // A commit this engine has already waited for in vain gets one look, not another full wait: a
  // writer that died mid-commit would otherwise cost every later read the whole wait.
  const std::uint64_t stalled_key = (std::uint64_t{1} << 32) | taken;
  const bool known_stalled = legacy_stalled_.load(std::memory_order_relaxed) == stalled_key;
  const auto deadline = std::chrono::steady_clock::now() + (known_stalled ? std::chrono::milliseconds(0) : kLegacyLandingWait);
  for (unsigned spin = 0;; ++spin) {
    if (header_->next_sn.load(std::memory_order_acquire) != taken) return true;  // it finished, another began
    for (std::uint32_t i = 0; i < geo_.slot_count; ++i) {
      if (header_of(i).sequence_number.load(std::memory_order_acquire) == taken - 1U &&
          header_of(i).sample_size.load(std::memory_order_acquire) != 0) {
        return true;
      }
    }
    if ((known_stalled || (spin & 63U) == 63U) && std::chrono::steady_clock::now() > deadline) {
      // Relaxed: a hint local to this process; a wrong value costs one wait or one look, never a torn read.
      legacy_stalled_.store(stalled_key, std::memory_order_relaxed);
      return false;  // a stalled writer
    }
  }
}

std::optional<SlotHandle> SlotEngine::legacy_next_unread(std::uint32_t reader) const {
  const std::uint32_t bit = 1U << reader;
  std::optional<SlotHandle> best;
  // A commit landing during the scan may land in a slot the scan has passed while a newer one lands
  // ahead of it: scan again while next_sn moved under the scan (bounded; a busy writer still yields
  // a sample that was the oldest when its scan started).
  for (int attempt = 0; attempt < kLegacyScanAttempts; ++attempt) {
    // SYNC: acquire, as in legacy_copy_out.
    const std::uint32_t before = header_->next_sn.load(std::memory_order_acquire);
    (void)header_->gen.load(std::memory_order_acquire);
    best.reset();
    std::uint32_t best_sn = 0;
    for (std::uint32_t i = 0; i < geo_.slot_count; ++i) {
      const SharedSlotHeader& hdr = header_of(i);
      if (hdr.sample_size.load(std::memory_order_relaxed) == 0) continue;  // ZeroDDS: 0 means empty
      if ((hdr.reader_mask.load(std::memory_order_relaxed) & bit) != 0) continue;
      const std::uint32_t sn = hdr.sequence_number.load(std::memory_order_relaxed);
      // The smallest sequence number, by signed difference, so the order survives the counter's wrap.
      if (!best || static_cast<std::int32_t>(sn - best_sn) < 0) {
        best = SlotHandle{segment_id_, i, kAnyGeneration};
        best_sn = sn;
      }
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (header_->next_sn.load(std::memory_order_relaxed) == before) break;
  }
  return best;
}

}  // namespace shmslot::core
