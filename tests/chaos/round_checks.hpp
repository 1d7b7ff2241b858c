// The checks at the end of a round, once the writer is paused and every live reader has read all
// there is: what each reader had to receive (docs/recovery.md), and the state of the segment (no slot
// leaked, no pin or registration left by a dead reader, the writer able to reserve every slot).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <shmslot/shmslot.hpp>

#include "chaos/board.hpp"
#include "chaos/report.hpp"

namespace shmslot::chaos {

// One writer incarnation on the current segment.
struct WriterLife {
  std::uint32_t id = 0;
  std::uint64_t committed = 0;  // commits that returned
  std::uint64_t first_seq = 0;  // sequence number of its sample 0 (valid when committed > 0)
  bool dead = false;            // killed: one more sample may have been in flight
};

// A reader that is alive and has drained the segment.
struct DrainedReader {
  std::string name;  // for messages: "reader 1 (pid 123, index 2)"
  const ReaderBoard* board = nullptr;
  std::uint32_t* settled_through = nullptr;  // writer ids up to this one are checked for good
};

// Every committed sample a reader was owed arrived (from its registration on: docs/recovery.md, a new
// registration reads from the newest sample), nothing beyond what was committed did, and readers
// agree on the sample a killed writer had in flight.
bool check_streams(const std::vector<WriterLife>& writers, const std::vector<DrainedReader>& readers, Report& report,
                   const std::string& context);

struct SegmentExpectation {
  std::map<std::uint32_t, pid_t> readers;  // live reader index -> its pid
  bool owner_alive = true;
};

// With the readers drained: the writer reserves every slot within a few leases (reserve_slot reaps
// dead peers by itself); after a reap() no slot is loaned or pinned, the registry holds exactly the
// live readers, and a second reap() finds nothing left to repair.
bool check_segment(PosixSlotAllocator& segment, const SegmentExpectation& expected, Report& report,
                   const std::string& context);

}  // namespace shmslot::chaos
