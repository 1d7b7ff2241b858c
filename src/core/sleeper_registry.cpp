#include "core/sleeper_registry.hpp"

#include "core/owner_word.hpp"
#include "platform/process.hpp"

namespace shmslot::core {

namespace sl = sleeper_word;

SleeperRegistry::Ticket SleeperRegistry::enter(bool free_slot) const {
  const auto me = static_cast<std::uint64_t>(platform::current_pid());
  for (std::uint32_t i = 0; i < kMaxTrackedSleepers; ++i) {
    SleeperEntry& entry = entries_[i];
    std::uint64_t free_owner = 0;
    // Relaxed pre-check: only skips entries that look taken; the CAS decides.
    if (entry.owner.load(std::memory_order_relaxed) != 0) continue;
    // SYNC: acq_rel; the claim orders after the previous holder's release store of 0 (leave or
    // reap_dead), so its bit is clear before this claim can set it again.
    if (!entry.owner.compare_exchange_strong(free_owner, me, std::memory_order_acq_rel, std::memory_order_relaxed)) {
      continue;
    }
    entry.owner_start.store(platform::current_start_time(), std::memory_order_relaxed);
    // SYNC: seq_cst, both; with the caller's seq_cst fence after them and a publisher's seq_cst
    // load of the word after its publication (or notify's seq_cst RMW of `gen` before it), no
    // sleeper misses a change. The slot word comes last: a mark_read that sees its bit finds the
    // sleeper bit set when it reloads that word to decide the wake, and a sleeper killed between
    // the two leaves only a sleeper bit, which a commit's wake notices and heals (heal_if_due).
    word_.fetch_or(sl::tracked_bit(i), std::memory_order_seq_cst);
    if (free_slot) slot_word_.fetch_or(sl::tracked_bit(i), std::memory_order_seq_cst);
    return Ticket{i, free_slot};
  }
  // SYNC: seq_cst, as above. A count cannot be healed by a reap; it is used only past 32 sleepers.
  word_.fetch_add(sl::kUntrackedOne, std::memory_order_seq_cst);
  if (free_slot) slot_word_.fetch_add(sl::kUntrackedOne, std::memory_order_seq_cst);
  return Ticket{Ticket::kUntracked, free_slot};
}

void SleeperRegistry::leave(Ticket ticket) const {
  if (ticket.entry == Ticket::kUntracked) {
    // Relaxed: a late decrement costs at most one needless FUTEX_WAKE.
    word_.fetch_sub(sl::kUntrackedOne, std::memory_order_relaxed);
    if (ticket.free_slot) slot_word_.fetch_sub(sl::kUntrackedOne, std::memory_order_relaxed);
    return;
  }
  if (ticket.entry >= kMaxTrackedSleepers) return;  // a ticket that records nothing (or a forged one)
  SleeperEntry& entry = entries_[ticket.entry];
  // Take the entry first, as a reaper does: if a reap took this live process for dead, the entry
  // and the bit may belong to another sleeper by now, and clearing the bit would hide that one from
  // every notify. SYNC: acq_rel, as in reap_dead.
  std::uint64_t mine = static_cast<std::uint64_t>(platform::current_pid());
  if (!entry.owner.compare_exchange_strong(mine, releasing_marker(), std::memory_order_acq_rel,
                                           std::memory_order_relaxed)) {
    return;
  }
  // The bit goes before the entry is free: the next claimer of this entry sets the bit itself, and
  // a clear that came after its set would hide it from every notify (a lost wake-up).
  // Relaxed: the release store of the owner below orders it before the entry can be claimed again.
  // The slot bit is cleared whatever the ticket says: a forged ticket must not leave it behind.
  slot_word_.fetch_and(~sl::tracked_bit(ticket.entry), std::memory_order_relaxed);
  word_.fetch_and(~sl::tracked_bit(ticket.entry), std::memory_order_relaxed);
  entry.owner_start.store(0, std::memory_order_relaxed);
  // SYNC: release; pairs with the next claimer's acq_rel CAS.
  entry.owner.store(0, std::memory_order_release);
}

void SleeperRegistry::watch_generation() const {
  // Relaxed load: a bit another process set with its seq_cst RMW is as good as ours (the caller's
  // seq_cst fence comes after that RMW in S once this load has read it).
  if (sl::generation_watched(word_.load(std::memory_order_relaxed)) &&
      sl::generation_watched(slot_word_.load(std::memory_order_relaxed))) {
    return;
  }
  // SYNC: seq_cst; the watcher half of the Dekker pairs with the publishers' loads of these words
  // (a commit's of the first, a mark_read's of the second).
  word_.fetch_or(sl::kGenerationWatched, std::memory_order_seq_cst);
  slot_word_.fetch_or(sl::kGenerationWatched, std::memory_order_seq_cst);
}

std::size_t SleeperRegistry::reap_dead() const {
  std::size_t reaped = 0;
  for (std::uint32_t i = 0; i < kMaxTrackedSleepers; ++i) {
    SleeperEntry& entry = entries_[i];
    std::uint64_t owner = entry.owner.load(std::memory_order_acquire);
    if (owner == 0 || owner_is_alive(owner, entry.owner_start.load(std::memory_order_relaxed))) continue;
    // Take the entry first: the dead owner will not touch it and no claim can slip in while the word
    // holds our marker, so the bit cleared below is the dead sleeper's and nobody else's. Two reapers
    // never both clear it: the second's CAS fails (or, if the first died here, finds its marker dead).
    // SYNC: acq_rel, as in the reader registry's release_entry.
    if (!entry.owner.compare_exchange_strong(owner, releasing_marker(), std::memory_order_acq_rel,
                                             std::memory_order_relaxed)) {
      continue;
    }
    // Relaxed: ordered before the entry is free by the release store below.
    slot_word_.fetch_and(~sl::tracked_bit(i), std::memory_order_relaxed);
    word_.fetch_and(~sl::tracked_bit(i), std::memory_order_relaxed);
    entry.owner_start.store(0, std::memory_order_relaxed);
    // SYNC: release; pairs with the next claimer's acq_rel CAS.
    entry.owner.store(0, std::memory_order_release);
    ++reaped;
  }
  return reaped;
}

}  // namespace shmslot::core
