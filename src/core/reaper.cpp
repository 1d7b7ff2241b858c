#include "core/reaper.hpp"

#include "core/slot_checks.hpp"
#include "platform/process.hpp"

namespace shmslot::core {

namespace sw = slot_word;
using sw::Phase;

std::size_t Reaper::reap(ReaderRegistry::InFlightRelease in_flight) {
  std::size_t reaped = registry_.reap_dead_readers(in_flight);
  reaped += free_dead_loans();
  if (reaped > 0) notifier_.notify();
  // Not counted: a dead sleeper held no slot, so freeing its entry lets no writer on.
  (void)notifier_.reap_dead_sleepers();
  return reaped;
}

std::size_t Reaper::free_dead_loans() {
  // The loaner's pid is in the WRITING word, so the CAS frees exactly that loan; if the loan was
  // committed or discarded meanwhile, the CAS fails.
  std::size_t freed = 0;
  for (std::uint32_t i = 0; i < view_.slot_count(); ++i) {
    SlotExt& ext = view_.slot_ext(i);
    std::uint64_t w = ext.word.load(std::memory_order_acquire);
    if (sw::phase(w) != Phase::kWriting) continue;
    const std::uint32_t loaner = sw::hold(w);
    if (loaner == 0 || platform::process_alive(static_cast<pid_t>(loaner), 0)) continue;
    // Fails if the loan moved on by itself (committed, discarded, or freed by another reaper).
    if (free_slot_empty(ext, view_.slot_header(i), w, static_cast<std::uint32_t>(platform::current_pid()))) ++freed;
  }
  return freed;
}

std::size_t Reaper::maybe_reap() {
  std::atomic<std::uint64_t>& last_reap = view_.control().last_reap_ns;
  const std::uint64_t now = platform::coarse_now_ns();
  const auto half_lease = static_cast<std::uint64_t>(std::chrono::nanoseconds(registry_.lease()).count() / 2);
  std::uint64_t last = last_reap.load(std::memory_order_relaxed);
  if (now >= last && now - last < half_lease) return 0;
  // Relaxed: the timestamp only elects one reaper per interval; reap() synchronises on its own.
  if (!last_reap.compare_exchange_strong(last, now, std::memory_order_relaxed)) return 0;
  return reap(ReaderRegistry::InFlightRelease::Skip);
}

}  // namespace shmslot::core
