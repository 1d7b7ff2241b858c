// The child-process bodies and parent-side helpers of the recovery tests: registered readers and
// writers of RecoverySample that report through shared memory (a killed child has no exit code to
// tell what it saw), and small tools to look at processes and segments from the parent.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <shmslot/shmslot.hpp>

#include "multiprocess/process_group.hpp"
#include "recovery/recovery_sample.hpp"

namespace shmslot::test {

inline constexpr std::uint32_t kNoIndex = 0xFFFFFFFF;
// How long anything may take before a test calls it a hang. Never a performance bound: every wait
// that reaches it is a failure.
inline constexpr std::chrono::milliseconds kWatchdog{60000};
// How long a reader waits for its next sample before it reports a stall (a gap it never passes, a
// writer blocked forever on a dead reader): 400 leases of 50 ms.
inline constexpr std::chrono::milliseconds kStallWatchdog{20000};

// Exit codes of the recovery children (signals show up as 128 + signal).
inline constexpr int kChildOk = 0;
inline constexpr int kChildCheckFailed = 1;
inline constexpr int kChildApiError = 2;
inline constexpr int kChildSetup = 3;

// A message slot in shared memory: the first failure a child reports.
struct FailureNote {
  std::atomic<std::uint32_t> failed{0};
  char text[480]{};
  // Records `what` (the first report wins) and returns `code`.
  int report(int code, const std::string& what);
  bool any() const { return failed.load(std::memory_order_acquire) != 0; }
  std::string message() const;
};

// What a reader child has done, visible to the parent while the child runs and after it died.
struct ReaderBoard {
  std::atomic<std::int32_t> pid{0};
  std::atomic<std::uint32_t> index{kNoIndex};  // its reader index once registered
  std::atomic<std::uint64_t> samples{0};       // samples checked and accepted
  std::atomic<std::uint32_t> first_writer{0};  // the first sample it accepted
  std::atomic<std::uint64_t> first_index{0};
  std::atomic<std::uint32_t> last_writer{0};  // the last one
  std::atomic<std::uint64_t> last_index{0};
  std::atomic<std::uint32_t> holding{0};                      // 1 while it holds a zero-copy guard
  std::atomic<std::uint64_t> guards_held{0};                  // guards held for a while and re-checked
  std::atomic<std::uint64_t> evictions{0};                    // FlatReader::evictions() when the end marker came
  std::atomic<std::uint32_t> done{0};                         // the end marker arrived
  std::atomic<std::uint64_t> per_writer[kMaxIncarnations]{};  // samples accepted per writer id
  FailureNote failure;
};

// What a writer child has done.
struct WriterBoard {
  std::atomic<std::int32_t> pid{0};
  std::atomic<std::uint64_t> committed{0};  // samples whose commit returned
  std::atomic<std::uint32_t> finished{0};   // wrote everything (and the end marker, if asked)
  FailureNote failure;
};

enum class ReadStyle { Take, ReadRef, Mixed };
enum class WriteStyle { Copy, Loan, Mixed };

struct ReaderSpec {
  ReadStyle style = ReadStyle::Take;
  // Register this index explicitly (register_reader(index)); nullopt: FlatReader::registered.
  std::optional<std::uint32_t> index;
  // Registered before any writer started: the first sample must be index 0 of its writer.
  bool from_start = true;
  // ReadRef: hold every guard a random 0..max_hold_us microseconds, then check the bytes did not change.
  int max_hold_us = 0;
  // Samples may be evicted: within one writer the indices only increase (instead of +1 each).
  bool lossy = false;
  std::uint64_t seed = 0;
  const Gate* ready = nullptr;  // one token once registered
  const Gate* done = nullptr;   // one token once the end marker arrived
  const Gate* leave = nullptr;  // then wait for one token before unregistering and exiting
  std::chrono::milliseconds stall = kStallWatchdog;
  // Runs after the end marker (and before `leave`), on the reader's attachment; its result is the
  // child's exit code unless it is kChildOk.
  std::function<int(PosixSlotAllocator&)> on_done;
};

struct WriterSpec {
  std::uint32_t writer_id = 1;
  std::uint64_t count = 0;  // samples to write; 0: until *stop is non-zero
  const std::atomic<std::uint32_t>* stop = nullptr;
  bool end_marker = false;  // then one sample of kEndMarkerWriter
  WriteStyle style = WriteStyle::Mixed;
  std::optional<std::chrono::nanoseconds> max_age;  // FlatWriter::set_max_sample_age
  std::uint64_t seed = 0;
};

// Attaches to `flink`, registers, and takes samples until the end marker, checking each one:
// untorn (checksum, length, zero tail), never the doomed writer's, writers in increasing order and
// within a writer indices 0, 1, 2, ... (or only increasing when lossy). Reports on `board`.
int recovery_reader(const std::string& flink, const ReaderSpec& spec, ReaderBoard& board);

// Publishes samples (writer_id, 0), (writer_id, 1), ... through a FlatWriter that uses the
// registered readers as its active mask; a write that finds no slot for kWatchdog is a failure.
int recovery_writer(SlotBackend& segment, const WriterSpec& spec, WriterBoard& board);

// Attaches to `flink` and runs `body` on the segment; kChildSetup (reported) if attach fails.
int with_segment(const std::string& flink, FailureNote& note, const std::function<int(PosixSlotAllocator&)>& body);

// The options every recovery test creates its segment with: a short lease keeps reaping fast.
CreateOptions recovery_options(std::chrono::milliseconds lease = std::chrono::milliseconds(50));

// Polls `done` every millisecond until it holds or `watchdog` passes; returns whether it held.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds watchdog = kWatchdog);

// The state letter of /proc/<pid>/stat (R, S, T, Z, ...), or '?' if there is no such process.
char process_state(pid_t pid);

// Sends SIGSTOP and waits until the process is stopped (state T); false if it never stops.
bool stop_process(const ChildProcess& child);
// Sends SIGCONT.
void continue_process(const ChildProcess& child);

// Reserves slots with `mask` until reserve_slot fails or every slot is loaned, then discards the
// loans; returns how many it got. Equal to the slot count when nothing leaked.
std::size_t reserve_every_slot(SlotBackend& segment, ReaderMask mask);

// Number of set bits.
int bit_count(ReaderMask mask);

// "exit 0", "signal 9", "killed by the watchdog".
std::string describe_exit(const std::optional<int>& code);

// Direct access to the words of a segment (layout.hpp), for children that stand in for a writer
// dying at an exact instruction of commit (docs/protocol.md "commit_slot"), which a signal cannot hit
// reliably.
class RawSegmentAccess {
 public:
  explicit RawSegmentAccess(const std::string& shm_name);
  ~RawSegmentAccess();
  RawSegmentAccess(const RawSegmentAccess&) = delete;
  RawSegmentAccess& operator=(const RawSegmentAccess&) = delete;
  bool ok() const { return base_ != nullptr; }

  // Commit step 3 alone: takes the next sequence number, as a writer does just before it publishes.
  std::uint64_t take_sequence_number();
  // Commit steps 3-5 for a slot this process holds in WRITING (reserve_slot + slot_data_ptr):
  // takes a number, writes header and seq, marks the slot COMMITTED, but does not enter it in the
  // order ring (step 6). Returns the sequence number.
  std::uint64_t commit_without_publishing(std::uint32_t slot, std::uint32_t len);
  // Commit's taking step alone for a slot this process holds in WRITING: the marker, the number,
  // the number in the slot; what a writer preempted right after taking its number has done.
  std::uint64_t take_sequence_number_in(std::uint32_t slot);
  // The rest of that commit: header, seq and the COMMITTED word, without entering the ring (a later
  // number of its class holds the entry by then).
  void finish_commit(std::uint32_t slot, std::uint64_t seq, std::uint32_t len);
  // Reader entry `r`'s owner_start word (docs/recovery.md, "The reader registry").
  std::uint64_t reader_owner_start(std::uint32_t r) const;

 private:
  std::byte* base_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace shmslot::test
