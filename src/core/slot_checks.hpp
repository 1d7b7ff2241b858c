// Small checks every part of the engine makes on handles and slot words, and its error shorthand.
#pragma once

#include <atomic>
#include <cstdint>

#include <tl/expected.hpp>

#include "core/layout.hpp"
#include "shmslot/types.hpp"

namespace shmslot::core {

inline tl::unexpected<SlotError> fail(SlotErrorCode code) { return tl::unexpected(SlotError::of(code)); }

// Readers may name a slot by index alone (kAnyGeneration), as ZeroDDS code does.
inline bool generation_matches(const SlotHandle& h, std::uint64_t word) {
  return h.generation == kAnyGeneration || h.generation == slot_word::generation(word);
}

// A loan is named only by the exact handle reserve returned: an index alone could take over
// another writer's loan.
inline bool is_live_loan(const SlotHandle& h, std::uint64_t word) {
  return slot_word::phase(word) == slot_word::Phase::kWriting && h.generation == slot_word::generation(word);
}

// Sets `bit` (a reader's pin) in a COMMITTED word of generation `gen` (kAnyGeneration: whatever
// sample the slot holds); false, and nothing set, if the slot holds no such sample. `w` is the word
// before the pin: its hold bits say whether the reader had pinned the slot already. SYNC: acquire
// on success; pairs with the commit's release store: what is read under the pin is the committed
// sample's. Acquire on failure too, since the new value is examined again.
inline bool pin_sample(std::atomic<std::uint64_t>& word, std::uint32_t bit, std::uint32_t gen, std::uint64_t& w) {
  w = word.load(std::memory_order_acquire);
  for (;;) {
    if (slot_word::phase(w) != slot_word::Phase::kCommitted) return false;
    if (gen != kAnyGeneration && slot_word::generation(w) != gen) return false;
    if ((slot_word::hold(w) & bit) != 0) return true;  // pinned already by this reader index
    if (word.compare_exchange_weak(w, w | bit, std::memory_order_acquire, std::memory_order_acquire)) return true;
  }
}

// Moves a reader's cursor forward to `target`, never back: writers may remember a cursor they saw
// (ReaderRegistry::cursor_past), which is sound only while cursors only grow. Relaxed: a position;
// what the cursor publishes is ordered by its owner's mark_read.
inline void advance_cursor(std::atomic<std::uint64_t>& cursor, std::uint64_t target) {
  std::uint64_t seen = cursor.load(std::memory_order_relaxed);
  while (seen < target && !cursor.compare_exchange_weak(seen, target, std::memory_order_relaxed)) {
  }
}

// Drops `bit` (a reader's pin) from a COMMITTED word of generation `gen` (kAnyGeneration: whatever
// sample the slot holds, as a disconnect drops every pin of an index), and from nothing else: a
// disconnect may have dropped the pin already and the slot been loaned since, and a WRITING word's
// low half is the loaner's pid, which a blind fetch_and would corrupt (a reap would then free a
// live loan). SYNC: seq_cst on success (a release for the writer's acquire load of the word in
// reserve, and the publication half of the Dekker pair in notify_slot_freed: a lock cmpxchg on
// x86); relaxed on failure, which only reloads the word.
inline void unpin(std::atomic<std::uint64_t>& word, std::uint32_t bit, std::uint32_t gen) {
  std::uint64_t w = word.load(std::memory_order_relaxed);
  while (slot_word::phase(w) == slot_word::Phase::kCommitted &&
         (gen == kAnyGeneration || slot_word::generation(w) == gen) &&
         (slot_word::hold(w) & bit) != 0 &&
         !word.compare_exchange_weak(w, w & ~std::uint64_t{bit}, std::memory_order_seq_cst,
                                     std::memory_order_relaxed)) {
  }
}

// Takes the slot from its word `from` (a COMMITTED sample nobody needs, or a dead writer's loan)
// and frees it empty: first a loan of this process's (WRITING, so that no writer can reserve it and every
// reader skips it), then the header's size 0, then FREE. Zeroed while still its loan, the size
// cannot land on a sample another writer commits into the freed slot (zeroed after the FREE store,
// it could). False if the word is no longer `from`: the slot is left as it is. A process that dies
// in between leaves a loan of a dead pid, which the next reap frees the same way.
inline bool free_slot_empty(SlotExt& ext, SharedSlotHeader& hdr, std::uint64_t from, std::uint32_t pid) {
  const std::uint32_t gen = slot_word::next_generation(slot_word::generation(from));
  // SYNC: acq_rel on success, as a reserve's CAS; relaxed on failure: the slot is left alone.
  if (!ext.word.compare_exchange_strong(from, slot_word::make(slot_word::Phase::kWriting, gen, pid),
                                        std::memory_order_acq_rel, std::memory_order_relaxed)) {
    return false;
  }
  hdr.sample_size.store(0, std::memory_order_relaxed);  // ZeroDDS readers and the copying take: empty
  // SYNC: release; the size above happens before the reserve (acquire CAS) that takes the slot next.
  ext.word.store(slot_word::make(slot_word::Phase::kFree, slot_word::next_generation(gen)), std::memory_order_release);
  return true;
}

}  // namespace shmslot::core
