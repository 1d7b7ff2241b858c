// Round-trip latency between two processes, for shmslot and for the raw floors it is measured
// against. Shared by bench/pingpong_main.cpp (the full matrix) and `shmslot bench` (a quick run);
// bench_pingpong_links.cpp has the links of every system, bench_pingpong_drive.hpp the loop.
//
// Method, the same for every system: the parent (the "pinger") and a forked child (the "echoer")
// are pinned to two different CPUs. The pinger stamps round trip i, sends it and waits for the echo
// of the same stamp; the echoer sends back what it receives, the same number of bytes. One sample is
// the steady_clock time from before the send to after the echo arrived (one clock read per side, so
// each sample carries one timer_overhead_ns()). The first `warmup` round trips are not recorded; the
// run then records `roundtrips` round trips, or stops early after `max_seconds`. Every hop is checked
// (stamp, and where the payload is written the pattern), and a mismatch is counted as an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench_machine.hpp"
#include "bench_stats.hpp"

namespace shmslot::bench {

/// What carries the round trip.
enum class PingSystem {
  Shmslot,     ///< two PosixSlotAllocator segments, one per direction, reader 0 in the writer's mask
  CacheLine,   ///< raw floor: two std::atomic<uint64_t> on separate lines of a shared mapping, spinning
  Futex,       ///< raw floor: two futex words, FUTEX_WAKE on every hop, FUTEX_WAIT until it changes
  Pipe,        ///< two pipes, blocking read/write of the whole payload (pipe buffer raised to fit)
  SocketPair,  ///< one AF_UNIX SOCK_STREAM socketpair, blocking read/write of the whole payload
  ShmRing,     ///< raw floor: an SPSC ring per direction in shared memory, memcpy in and memcpy out
};

/// shmslot's API path.
enum class Api {
  Copy,  ///< commit_slot (memcpy in) + read_slot_into (seqlock memcpy out)
  Loan,  ///< slot_data_ptr + commit_in_place (write in place) + slot_read_ptr (pinned, read in place)
};

/// How the receiver waits for the next sample (shmslot).
enum class Wait {
  Busy,   ///< spin on next_unread_slot
  Futex,  ///< notify_generation, next_unread_slot, then wait_for_change (FUTEX_WAIT) when empty
};

/// What the sender writes each hop (shmslot, Loan; Copy always moves the whole payload).
enum class Payload {
  Full,   ///< sender writes every byte; receiver reads one byte per 64-byte line and checks it
  Stamp,  ///< sender writes an 8-byte stamp into the loaned slot; receiver reads only the stamp
};

const char* to_string(PingSystem s);
const char* to_string(Api a);
const char* to_string(Wait w);
const char* to_string(Payload p);

/// Whether `size` matters for the system (the cache-line and futex floors move 8 and 4 bytes).
bool has_payload(PingSystem s);

struct PingPongConfig {
  PingSystem system = PingSystem::Shmslot;
  Api api = Api::Copy;
  Wait wait = Wait::Busy;
  Payload payload = Payload::Full;
  std::size_t size = 64;        ///< bytes per hop (>= 16 where it applies)
  std::size_t slot_count = 8;   ///< slots per shmslot segment and per raw ring
  std::uint64_t warmup = 1000;  ///< round trips before recording
  std::uint64_t roundtrips = 20000;
  double max_seconds = 0.5;     ///< cap on the recorded phase
  CpuPair cpus = pick_cpu_pair();
};

/// A short human name, e.g. "shmslot copy/busy", "shmslot loan/futex/stamp", "raw cache line".
std::string system_label(const PingPongConfig& c);

struct PingPongResult {
  bool ok = false;
  std::string error;                ///< why not ok
  std::vector<double> samples_us;   ///< recorded round trips, sorted by summarize()
  LatencyStats stats;               ///< of samples_us
  std::uint64_t verify_errors = 0;  ///< stamps or payload bytes that did not match, both sides
  double elapsed_s = 0;             ///< recorded phase
  bool pinned = false;              ///< both processes accepted their CPU
};

/// Forks the echoer, runs the round trips, reaps the child. Never throws.
PingPongResult run_pingpong(const PingPongConfig& config);

}  // namespace shmslot::bench
