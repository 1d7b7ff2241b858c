// Who may be asleep on `gen`: the sleeper word (ExtControl::sleepers) that every commit loads, the
// slot sleeper word (ExtControl::slot_sleepers) that every mark_read loads, and the 32 sleeper
// entries that name the process behind each of their bits, so that a sleeper killed in its sleep
// stops costing every later commit a FUTEX_WAKE once a reap clears its bits.
// docs/protocol.md, "Notification".
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/segment_view.hpp"

namespace shmslot::core {

class SleeperRegistry {
 public:
  // What enter() took: a tracked entry, or one count in the untracked half of the word; and whether
  // the sleeper waits for a free slot (then it holds the same bit or count in the slot word too).
  struct Ticket {
    static constexpr std::uint32_t kUntracked = ~std::uint32_t{0};
    std::uint32_t entry = kUntracked;
    bool free_slot = false;
  };

  explicit SleeperRegistry(const SegmentView& view)
      : word_(view.control().sleepers),
        slot_word_(view.control().slot_sleepers),
        entries_(view.control().sleeper_entries) {}

  // Announces a sleeper: claims a free entry and sets its bit (or, with every entry taken, counts
  // it untracked), then in the slot word too when it waits for a free slot. Its last steps are
  // seq_cst RMWs of the words: the sleeper half of the Dekker pairs.
  Ticket enter(bool free_slot) const;
  // Withdraws what enter() announced: takes the entry back (unless a reap took it), clears the bits
  // (or the counts), then frees the entry.
  void leave(Ticket ticket) const;
  // SYNC: seq_cst; the notifier half of the Dekker pairs (after its seq_cst RMW of `gen`, or after
  // the seq_cst publication of a commit).
  std::uint64_t load() const { return word_.load(std::memory_order_seq_cst); }
  // SYNC: seq_cst; the same for a mark_read, after its seq_cst unpin: only slot sleepers need it.
  std::uint64_t load_slot_sleepers() const { return slot_word_.load(std::memory_order_seq_cst); }
  // Sets the sticky kGenerationWatched bit in both words unless it is set already: from now on
  // every commit and mark_read moves `gen`. The caller orders it before its read of `gen` with a
  // seq_cst fence.
  void watch_generation() const;
  // Clears the bits of sleepers that died and frees their entries; returns how many.
  std::size_t reap_dead() const;

 private:
  std::atomic<std::uint64_t>& word_;
  std::atomic<std::uint64_t>& slot_word_;
  SleeperEntry* entries_;
};

}  // namespace shmslot::core
