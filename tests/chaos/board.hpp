// What the harness and its children share: one small anonymous shared mapping, made before the first
// fork, separate from the segment under test. Each child has a phase word the harness reads to aim,
// and the harness writes its aim and its commands into the child's entry. A killed child has no exit
// code to say what it saw, so everything a check needs is here.
#pragma once

#include <atomic>
#include <cstdint>

#include "chaos/kill_points.hpp"
#include "recovery/recovery_roles.hpp"

namespace shmslot::chaos {

inline constexpr std::uint32_t kNoIndex = 0xFFFFFFFF;
inline constexpr int kReaders = 3;              // readers that live through the rounds (until killed)
inline constexpr std::uint32_t kRecords = 128;  // writer incarnations a reader remembers

enum class Command : std::uint32_t {
  Run,
  Pause,        // writer: stop between two samples (after at least one of this incarnation)
  Step,         // writer, paused: publish one sample, then pause again
  Leave,        // leave normally: unregister / destroy
  LeaveTraced,  // owner: stop for ptrace, then destroy (the teardown kill point)
};

enum class RunState : std::uint32_t {
  Starting,
  Running,  // attached (and registered, for a reader)
  Paused,
};

// The harness's view of one child process.
struct ChildBoard {
  std::atomic<std::int32_t> pid{0};
  std::atomic<std::uint32_t> phase{0};          // Phase now
  std::atomic<std::uint32_t> target{0};         // Phase to stop in (access trap); 0: none
  std::atomic<std::uint32_t> draw{0};           // random number choosing the access to stop at
  std::atomic<std::uint32_t> parked{0};         // Phase the trap stopped it in; 0: not stopped
  std::atomic<std::uint32_t> parked_access{0};  // the access it stopped before
  std::atomic<std::uint32_t> command{0};        // Command
  std::atomic<std::uint32_t> state{0};          // RunState
  test::FailureNote failure;                    // the first check that failed, in the child's words

  // For a new process in this entry.
  void reset() {
    pid.store(0);
    phase.store(0);
    target.store(0);
    draw.store(0);
    parked.store(0);
    parked_access.store(0);
    command.store(static_cast<std::uint32_t>(Command::Run));
    state.store(static_cast<std::uint32_t>(RunState::Starting));
    failure.failed.store(0);
  }
  Phase current() const { return static_cast<Phase>(phase.load(std::memory_order_acquire)); }
};

// One writer incarnation as one reader received it. The reader checks order and contiguity as the
// samples come; the harness checks the ends against what the writer committed.
struct StreamRecord {
  std::atomic<std::uint32_t> writer{0};
  std::atomic<std::uint64_t> first_index{0};
  std::atomic<std::uint64_t> first_seq{0};
  std::atomic<std::uint64_t> last_index{0};
  std::atomic<std::uint64_t> last_seq{0};
  std::atomic<std::uint64_t> count{0};
};

// How a reader reads: every way at random, or one way only (the self-test's readers): copies of a
// handle next_unread_slot found, zero-copy reads of one, or the copying take (take_next_into).
enum class ReadWay : std::uint32_t { Mixed, CopyOnly, ZeroCopyOnly, TakeOnly };

struct ReaderBoard {
  ChildBoard child;
  std::atomic<std::uint32_t> way{0};                    // ReadWay
  std::atomic<std::uint32_t> explicit_index{kNoIndex};  // register this index, else the lowest free one
  std::atomic<std::uint32_t> index{kNoIndex};           // the index it registered
  // docs/recovery.md: a new registration reads "from now on". Its cursor right after registering:
  // nothing older may arrive. The next sequence number right after registering: from there on,
  // every committed sample must arrive.
  std::atomic<std::uint64_t> low{0};
  std::atomic<std::uint64_t> high{0};
  std::atomic<std::uint64_t> samples{0};      // accepted
  std::atomic<std::uint64_t> copies{0};       // of them, read by copying
  std::atomic<std::uint64_t> zero_copies{0};  // of them, read in place
  std::atomic<std::uint64_t> overwritten{0};  // reads that found the sample gone
  std::atomic<std::uint64_t> holds{0};        // pins held for a while and re-checked
  StreamRecord records[kRecords];             // by writer incarnation % kRecords

  void reset() {
    child.reset();
    way.store(0);
    explicit_index.store(kNoIndex);
    index.store(kNoIndex);
    low.store(0);
    high.store(0);
    samples.store(0);
    copies.store(0);
    zero_copies.store(0);
    overwritten.store(0);
    holds.store(0);
    for (StreamRecord& r : records) r.writer.store(0);
  }
};

// Faults the self-test makes the writer commit, to show the readers' checks catch them.
enum class WriterFault : std::uint32_t {
  None,
  TornSample,    // one byte of a committed sample's payload changed after its checksum was taken
  Repeated,      // the previous sample committed once more: an older sample after a newer one
  Skipped,       // one index never committed
  Overclaimed,   // claims one more commit than it made (a sample the readers cannot have)
  Underclaimed,  // claims one commit fewer than it made (readers get a sample "never committed")
};

struct WriterBoard {
  ChildBoard child;
  std::atomic<std::uint32_t> incarnation{0};  // the writer id in every sample's stamp
  std::atomic<std::uint64_t> committed{0};    // samples whose commit returned
  std::atomic<std::uint64_t> first_seq{0};    // the sequence number of its sample 0, once committed
  std::atomic<std::uint32_t> fault{0};        // WriterFault, applied once

  void reset() {
    child.reset();
    incarnation.store(0);
    committed.store(0);
    first_seq.store(0);
    fault.store(0);
  }
};

struct OwnerBoard {
  ChildBoard child;
  std::atomic<std::uint32_t> created{0};
  char shm_name[64]{};

  void reset() {
    child.reset();
    created.store(0);
    shm_name[0] = '\0';
  }
};

struct Board {
  OwnerBoard owner;
  WriterBoard writer;
  ReaderBoard readers[kReaders];
  ReaderBoard extra;  // a process started to be killed while attaching or registering
  // The most accesses (or system-call stops) a call of each phase was seen to make: aims are drawn
  // below it. Shared, so it survives the processes that learnt it.
  std::atomic<std::uint32_t> seen[static_cast<int>(Phase::kCount)]{};
};

}  // namespace shmslot::chaos
