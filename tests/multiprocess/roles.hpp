// The bodies of the writer and reader child processes. Each returns the child's exit code (0: all
// checks passed) and prints what went wrong, and a one-line summary, to stderr.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include <shmslot/shmslot.hpp>

namespace shmslot::test {

// Exit codes of the roles.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;  // a sample was lost, duplicated, reordered or torn
inline constexpr int kExitApiError = 2;     // a shmslot call failed where it must not
inline constexpr int kExitSetup = 3;        // create, attach or the start gate failed

struct WriterPlan {
  std::uint32_t writer_id = 0;
  std::uint64_t samples = 0;
  ReaderMask active = 0;    // the readers that must read a sample before its slot is reused
  bool end_marker = false;  // then publish one more sample, index == samples, payload empty
};

enum class ReadMethod {
  Copy,         // read_slot_into a fixed buffer, then mark_read
  CopyAlloc,    // read_slot (allocating), then mark_read
  ZeroCopy,     // slot_read_ptr (pins), check in place, then mark_read (unpins)
  Alternate,    // Copy for even sequence positions, ZeroCopy for odd ones
  CopyingTake,  // take_next_into a fixed buffer: found, copied and marked read in one call
};

const char* to_string(ReadMethod m);

struct ReaderPlan {
  std::uint32_t reader_index = 0;
  ReadMethod method = ReadMethod::Copy;
  // Writer id w publishes samples_per_writer[w] samples (ids are 0..size-1).
  std::vector<std::uint64_t> samples_per_writer;
  // In every writer's active mask: every sample arrives exactly once, in sequence order, and the
  // k-th sample read has sequence number k. Otherwise (lossy) samples may be skipped and the one
  // writer sends an end marker.
  bool lossless = true;
  // Lossy: the last sample before the end marker must arrive too. True whenever the writer cannot
  // have reused its slot for the end marker: at least 3 slots and at most one of them pinned.
  bool expect_last = true;
  // Sleep 1 ms after every this many samples (0: never), so writers find the segment full.
  int pause_every = 0;
  // ZeroCopy, lossy: keep each pin while the writer laps the segment, then check that the pinned
  // bytes did not change.
  bool hold_pins = false;
};

// Publishes plan.samples stamped samples, alternating commit_slot and slot_data_ptr +
// commit_in_place; blocks on wait_for_change while reserve_slot answers NoFreeSlot.
int run_writer(SlotBackend& segment, const WriterPlan& plan, std::atomic<std::uint64_t>* progress);

// Reads until every sample (lossless) or the end marker (lossy) has arrived, checking each one;
// blocks on wait_for_change when there is nothing to read.
int run_reader(SlotBackend& segment, const ReaderPlan& plan, std::atomic<std::uint64_t>* progress);

// `base` times $SHMSLOT_MP_SCALE (a positive integer, default 1): longer soak runs of the same tests
// without rebuilding, e.g. SHMSLOT_MP_SCALE=20 ctest -L multiprocess.
std::uint64_t scaled(std::uint64_t base);

// Sleeps until the segment's change counter differs from `seen`, however long that takes: a lost
// wake-up hangs the caller, and the test's watchdog turns that into a failure.
void block_until_change(const SlotBackend& segment, std::uint64_t seen);

}  // namespace shmslot::test
