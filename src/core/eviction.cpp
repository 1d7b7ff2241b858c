#include "core/eviction.hpp"

#include <algorithm>

#include "core/slot_checks.hpp"
#include "platform/process.hpp"

namespace shmslot::core {

namespace sw = slot_word;
using sw::Phase;

std::size_t evict_stale(const SegmentView& view, const ReaderRegistry& registry, const Notifier& notifier,
                        std::chrono::nanoseconds max_age, ReaderMask active) {
  const std::uint64_t now = platform::coarse_now_ns();
  const auto age_ns = static_cast<std::uint64_t>(std::max<std::int64_t>(max_age.count(), 0));
  std::size_t evicted = 0;
  // Retained samples are left alone: their slots cannot be reused yet, so evicting them would only
  // make laggards skip them (protocol.md, "History for late joiners").
  const std::uint64_t retain_from = view.retained_from();
  for (std::uint32_t i = 0; i < view.slot_count(); ++i) {
    SlotExt& ext = view.slot_ext(i);
    const std::uint64_t w = ext.word.load(std::memory_order_acquire);
    // A pinned slot is never forced free: a zero-copy reader is looking at it.
    if (sw::phase(w) != Phase::kCommitted || sw::hold(w) != 0) continue;
    SharedSlotHeader& hdr = view.slot_header(i);
    const ReaderMask read_by = hdr.reader_mask.load(std::memory_order_relaxed);
    const std::uint64_t seq = ext.seq.load(std::memory_order_relaxed);
    if (seq >= retain_from) continue;
    if (registry.all_done(read_by & active, active, seq)) continue;
    const std::uint64_t committed_at = ext.commit_time_ns.load(std::memory_order_relaxed);
    if (now < committed_at || now - committed_at < age_ns) continue;
    // Free the slot through a loan of this process's: the CAS fails if anything changed since w was
    // read (a pin, a reuse), and readers see the sample gone (next_unread skips it, a copy reports
    // Overwritten, the copying take finds size 0).
    if (!free_slot_empty(ext, hdr, w, static_cast<std::uint32_t>(platform::current_pid()))) continue;
    ++evicted;
    // Tell each reader that lost it (it had neither read it nor moved past it).
    for (ReaderMask lost = active & ~read_by; lost != 0; lost &= lost - 1) {
      const auto r = static_cast<std::uint32_t>(__builtin_ctz(lost));
      if (!registry.cursor_past(r, seq)) view.reader_entry(r).evictions.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (evicted > 0) notifier.notify();
  return evicted;
}

}  // namespace shmslot::core
