// The child side of an aimed kill: the child publishes each step's phase in its phase word, and when
// the harness aims at that phase, the step runs with the access trap armed, so the child stops
// before the chosen access to the segment and waits there to be killed.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include <shmslot/shmslot.hpp>

#include "chaos/board.hpp"
#include "support/access_trap.hpp"

namespace shmslot::chaos {

class PhaseWord {
 public:
  PhaseWord(ChildBoard& child, Board& board);
  PhaseWord(const PhaseWord&) = delete;
  PhaseWord& operator=(const PhaseWord&) = delete;

  // Traps this process's accesses to `segment` from now on (found by name in /proc/self/maps); false
  // if the mapping cannot be found. Until then only Observe and Random aims reach the child.
  bool watch(const PosixSlotAllocator& segment);

  // Runs `body` as phase `phase`: published first, and trapped if the harness aims at it.
  template <class F>
  decltype(auto) step(Phase phase, F&& body) {
    enter(phase);
    const Leaver leaver{this};
    return std::forward<F>(body)();
  }

  // Publishes a phase with nothing to trap (a sleep, a pause).
  void set(Phase phase);
  // Whether the harness aims at `phase`: the child then steers towards it (a reader reads in place
  // for a pin kill, say).
  bool aimed_at(Phase phase) const;

 private:
  struct Leaver {
    PhaseWord* self;
    ~Leaver() { self->leave(); }
  };
  void enter(Phase phase);
  void leave();

  ChildBoard& child_;
  Board& board_;
  std::optional<test::AccessTrap> trap_;
  Phase armed_ = Phase::None;
  std::uint32_t attempt_ = 0;
};

}  // namespace shmslot::chaos
