// Where a chaos run kills processes: the phases a child publishes in its phase word, and the kill
// points the harness aims at, each with the way it is aimed.
#pragma once

#include <cstdint>

namespace shmslot::chaos {

// What a child is doing; it stores the phase in its phase word before each step.
enum class Phase : std::uint32_t {
  None,
  Attach,      // PosixSlotAllocator::attach
  Register,    // register_reader
  NextUnread,  // next_unread_slot
  CopyRead,    // read_slot_into / read_slot
  Pin,         // slot_read_ptr (takes the pin)
  Holding,     // checking a pinned sample in place
  MarkRead,    // mark_read (unpins)
  Waiting,     // a reader asleep in sleep_announced, nothing to read
  Leave,       // unregister_reader
  Reserve,     // FlatWriter::loan (reserve_slot + zero fill)
  Fill,        // writing the sample into the loaned slot
  Commit,      // FlatLoan::commit
  WriteBp,     // FlatWriter::write_bp, Reliable: reserve, copy, commit, waits on a full segment
  WaitSpace,   // a writer asleep in sleep_announced, segment full
  Paused,      // a writer paused by the harness between two samples
  Create,      // PosixSlotAllocator::create
  Idle,        // an owner holding its segment
  Teardown,    // the owner's ~PosixSlotAllocator
  kCount,
};

const char* to_string(Phase phase);

// How a kill is aimed.
enum class Aim : std::uint8_t {
  Access,   // stopped by the access trap at its k-th access to the segment inside the phase
  Syscall,  // stopped by ptrace at its k-th system-call stop inside the phase
  Observe,  // killed once its phase word shows the phase (it sleeps there)
  Random,   // killed after a random delay, wherever it is
};

enum class KillPoint : std::uint8_t {
  ReaderNextUnread,
  ReaderCopyRead,
  ReaderPin,
  ReaderHolding,
  ReaderMarkRead,
  ReaderWaiting,
  ReaderLeave,
  ReaderRandom,
  Attach,
  Register,
  WriterReserve,
  WriterMidLoan,
  WriterCommit,
  WriterWriteBp,
  WriterBlocked,
  WriterRandom,
  OwnerCreate,
  OwnerIdle,
  OwnerTeardown,
  kCount,
};

inline constexpr int kKillPoints = static_cast<int>(KillPoint::kCount);

struct KillPointInfo {
  const char* name;  // for the report and --points
  Phase phase;       // the phase aimed at
  Aim aim;
  unsigned weight;   // relative frequency among the kills inside a round (0: at epoch boundaries only)
  const char* what;  // one line for the report
};

const KillPointInfo& info(KillPoint point);

}  // namespace shmslot::chaos
