#include "chaos/phase_word.hpp"

#include <unistd.h>

#include <algorithm>

namespace shmslot::chaos {

namespace {

// The trap's stop function runs in a signal handler: it reaches the board through these.
ChildBoard* g_parking = nullptr;
std::uint32_t g_parking_phase = 0;

void park(std::uint32_t access) {
  g_parking->parked_access.store(access, std::memory_order_relaxed);
  // SYNC: release; the harness reads parked (acquire) and then parked_access.
  g_parking->parked.store(g_parking_phase, std::memory_order_release);
  for (;;) ::pause();  // until the SIGKILL
}

// Below the most accesses a call of this phase was seen to make. A phase never measured, and a
// quarter of the aims after, first let one call run through with an aim it cannot reach: that call
// counts its accesses, so the range follows the longest calls. (Each aim is at a process that will be
// killed, so `attempt` counts the calls of this aim.) A call shorter than its aim leaves the trap armed
// for the next call of the phase.
constexpr std::uint32_t kMeasure = 0xFFFFFFFF;

std::uint32_t choose_access(std::uint32_t draw, std::uint32_t attempt, std::uint32_t seen) {
  if (seen == 0 || (attempt == 0 && draw % 4 == 0)) return kMeasure;
  return 1 + static_cast<std::uint32_t>((draw / 4 + std::uint64_t{attempt} * 2654435761U) % seen);
}

}  // namespace

PhaseWord::PhaseWord(ChildBoard& child, Board& board) : child_(child), board_(board) { g_parking = &child_; }

bool PhaseWord::watch(const PosixSlotAllocator& segment) {
  const auto range = test::mapped_range("/dev/shm" + segment.shm_name());
  if (!range) return false;
  // The segment header's page holds the futex word: a FUTEX_WAKE on an inaccessible page fails with
  // EFAULT instead of faulting, which would lose wake-ups. That page stays open.
  trap_.emplace(range->begin, range->length, range->begin);
  return true;
}

void PhaseWord::set(Phase phase) { child_.phase.store(static_cast<std::uint32_t>(phase), std::memory_order_release); }

bool PhaseWord::aimed_at(Phase phase) const {
  return child_.target.load(std::memory_order_acquire) == static_cast<std::uint32_t>(phase);
}

void PhaseWord::enter(Phase phase) {
  set(phase);
  if (!trap_ || !aimed_at(phase)) return;
  const auto p = static_cast<std::uint32_t>(phase);
  g_parking_phase = p;
  armed_ = phase;
  trap_->arm(choose_access(child_.draw.load(std::memory_order_relaxed), attempt_++,
                           board_.seen[p].load(std::memory_order_relaxed)),
             park);
}

void PhaseWord::leave() {
  if (armed_ == Phase::None) return;
  const auto p = static_cast<std::uint32_t>(armed_);
  armed_ = Phase::None;
  const std::uint32_t made = std::max<std::uint32_t>(trap_->disarm(), 1);
  // The call ended before the aim: remember how many accesses it made.
  std::uint32_t seen = board_.seen[p].load(std::memory_order_relaxed);
  while (made > seen && !board_.seen[p].compare_exchange_weak(seen, made, std::memory_order_relaxed)) {
  }
}

}  // namespace shmslot::chaos
