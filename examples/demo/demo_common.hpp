// What the demo's three roles share: the sample layout on the wire, the reports the children send
// back to the main process, and the command line each role runs with.
#pragma once

#include <time.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fd_io.hpp"

namespace shmslot_demo {

/// Nanoseconds on CLOCK_MONOTONIC, the clock every process on the host shares.
inline std::uint64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

/// The first bytes of every sample; the payload after it is filled with the low byte of `seq`.
struct SampleHeader {
  std::uint64_t seq;      ///< 0, 1, 2, ... in the writer's order
  std::uint64_t send_ns;  ///< monotonic_ns() just before commit
  std::uint32_t size;     ///< whole sample, header included
  std::uint32_t flags;    ///< kFlagEnd on the last sample
};
inline constexpr std::uint32_t kFlagEnd = 1;

/// Options of the whole run; the main process passes them on to its children.
struct RunOptions {
  double seconds = 3.0;            ///< how long the writer streams
  std::size_t slots = 64;          ///< slots in the segment
  std::size_t sample_size = 1024;  ///< bytes per sample, header included; also the slot capacity
  std::uint64_t rate = 0;          ///< samples per second, 0: as fast as the readers allow
};

/// What a child role needs beyond RunOptions.
struct RoleArgs {
  std::string flink;   ///< the segment to attach to
  int report_fd = -1;  ///< where to write the report (a pipe to the main process)
  std::uint32_t reader_index = 0;
  bool zero_copy = false;  ///< reader: slot_read_ptr instead of read_slot_into
};

/// The writer's report, written once to its report fd.
struct WriterReport {
  std::uint64_t sent = 0;  ///< samples, the end marker not counted
  std::uint64_t full = 0;  ///< times a loan found no free slot and the writer waited
  std::uint64_t first_send_ns = 0;
  std::uint64_t last_send_ns = 0;
  std::int32_t error = 0;  ///< 0, or the SlotErrorCode + 1 of the call that failed
};

/// A reader's report, written once to its report fd after a one-byte "attached" token.
struct ReaderReport {
  std::uint64_t received = 0;  ///< samples, the end marker not counted
  std::uint64_t bytes = 0;
  std::uint64_t lost = 0;        ///< sequence numbers skipped
  std::uint64_t duplicates = 0;  ///< a sequence number seen twice in a row
  std::uint64_t reordered = 0;   ///< a sequence number below one already seen
  std::uint64_t corrupt = 0;     ///< header size or payload bytes not what the writer wrote
  std::uint64_t waits = 0;       ///< times the reader found nothing and slept (wait_until)
  std::uint64_t first_recv_ns = 0;
  std::uint64_t last_recv_ns = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;  ///< send-to-read latency
  std::int32_t error = 0;                                 ///< as in WriterReport
};

/// Whole reports through the report pipes, retrying on EINTR and short writes or reads.
using shmslot::support::read_all;
using shmslot::support::write_all;

/// The child roles; each returns its exit code.
int run_writer(const RunOptions& options, const RoleArgs& args);
int run_reader(const RunOptions& options, const RoleArgs& args);

}  // namespace shmslot_demo
