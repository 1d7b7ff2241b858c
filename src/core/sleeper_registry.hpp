// Who may be asleep on `gen`: the sleeper word (ExtControl::sleepers) that every notify loads, and
// the 32 sleeper entries that name the process behind each of its bits, so that a sleeper killed in
// its sleep stops costing every later commit a FUTEX_WAKE once a reap clears its bit.
// docs/protocol.md, "Notification".
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/segment_view.hpp"

namespace shmslot::core {

class SleeperRegistry {
 public:
  // What enter() took: a tracked entry, or one count in the untracked half of the word.
  struct Ticket {
    static constexpr std::uint32_t kUntracked = ~std::uint32_t{0};
    std::uint32_t entry = kUntracked;
  };

  explicit SleeperRegistry(const SegmentView& view)
      : word_(view.control().sleepers), entries_(view.control().sleeper_entries) {}

  // Announces a sleeper: claims a free entry and sets its bit (or, with every entry taken, counts
  // it untracked). Its last step is a seq_cst RMW of the word: the sleeper half of the Dekker pair.
  Ticket enter() const;
  // Withdraws what enter() announced: takes the entry back (unless a reap took it), clears the bit
  // (or the count), then frees the entry.
  void leave(Ticket ticket) const;
  // SYNC: seq_cst; the notifier half of the Dekker pairs (after its seq_cst RMW of `gen`, or after
  // the seq_cst store that published a commit or a mark_read).
  std::uint64_t load() const { return word_.load(std::memory_order_seq_cst); }
  // Sets the sticky kGenerationWatched bit unless it is set already: from now on every commit and
  // mark_read moves `gen`. The caller orders it before its read of `gen` with a seq_cst fence.
  void watch_generation() const;
  // Clears the bits of sleepers that died and frees their entries; returns how many.
  std::size_t reap_dead() const;

 private:
  std::atomic<std::uint64_t>& word_;
  SleeperEntry* entries_;
};

}  // namespace shmslot::core
