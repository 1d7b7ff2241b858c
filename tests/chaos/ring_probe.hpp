// Reads a segment's order ring directly (core/layout.hpp), to tell one known stall from any other.
// next_unread_slot finds sequence s through ring entry s % n (n: the slot count). An entry holding s
// delivers it; one holding s - n says s is not published yet, and a lease after a later number was
// taken, s is passed (or found committed). Any other value sends the reader to the resync scan, which
// looks only below its frontier: the smallest (newest number in an entry) + n. An entry that never got
// a number because its writer died inside commit holds the frontier back, and readers whose cursor is
// at or past the frontier wait, whatever is committed, until a sample one ring-length later is
// published (docs/protocol.md, next_unread_slot steps 2 and 4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shmslot::chaos {

struct RingSnapshot {
  std::uint64_t next_sequence = 0;
  std::vector<std::uint64_t> newest;  // entry k: the newest number published for k (mod n), unwrapped

  std::uint64_t slot_count() const { return newest.size(); }
  // The resync scan's frontier: every number below it is published (or gone).
  std::uint64_t frontier() const;
  // Why a reader whose cursor is `s` cannot move, if the ring is the reason; empty otherwise.
  std::string why_stuck(std::uint64_t s) const;
  // "[12 7 8 9 10 11]"
  std::string text() const;
};

std::optional<RingSnapshot> read_ring(const std::string& shm_name);

}  // namespace shmslot::chaos
