// Lossless streaming from one writer process to reader processes, for shmslot and the raw floors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench_machine.hpp"

namespace shmslot::bench {

enum class StreamSystem {
  Shmslot,     ///< one PosixSlotAllocator segment, every reader in the writer's active mask
  ShmRing,     ///< raw floor: SPSC ring in shared memory, memcpy in and memcpy out, spinning
  ShmRingSlotStride,  ///< the same ring laid out as a segment's slots (128 B apart at 64 B, payload at 48 mod 64)
  MemcpyOnly,  ///< context: one process, one core, the same two memcpys per sample, no other core
};

enum class StreamApi {
  Copy,  ///< commit_slot (memcpy in) + read_slot_into (memcpy out): the bytes the ring floor moves
  Loan,  ///< memcpy into slot_data_ptr + commit_in_place; readers read one word per line in place
};

const char* to_string(StreamSystem s);
const char* to_string(StreamApi a);

struct StreamConfig {
  StreamSystem system = StreamSystem::Shmslot;
  StreamApi api = StreamApi::Copy;
  bool blocking = false;      ///< readers (and a writer facing a full segment) sleep in wait_until
  std::uint32_t wait_spin_us = 0;  ///< blocking: tries this long before the first sleep (WaitLimit::spin)
  int readers = 1;            ///< 1..32 (the ring: 1)
  std::size_t size = 64;      ///< payload bytes per sample (>= 16)
  std::size_t slot_count = 256;
  double seconds = 1.0;       ///< how long the writer writes
  CpuPair cpus = pick_cpu_pair();
};

/// What one reader saw.
struct ReaderReport {
  std::uint64_t received = 0;       ///< samples delivered (the end marker not counted)
  std::uint64_t sequence_gaps = 0;  ///< samples whose stamp was not the previous one + 1
  std::uint64_t verify_errors = 0;  ///< torn stamps, wrong sizes, wrong protocol sequence numbers
  double seconds = 0;               ///< writer start to this reader's end marker
};

struct StreamResult {
  bool ok = false;
  std::string error;
  std::uint64_t sent = 0;
  double seconds = 0;  ///< writer start to the last reader's end marker
  double samples_per_s = 0;
  double gbytes_per_s = 0;  ///< payload bytes delivered to one reader, 1e9 bytes per second
  bool lossless = false;    ///< every reader received every sample once, in order, intact
  bool pinned = false;
  std::vector<ReaderReport> readers;
  std::uint64_t futex_waits = 0;  ///< FUTEX_WAIT calls of the writer and every reader, during the run
  std::uint64_t futex_wakes = 0;  ///< FUTEX_WAKE calls, likewise (shmslot only; the floors make none)
};

/// Runs one configuration: forks the readers, writes for `seconds`, reaps them. Never throws.
StreamResult run_stream(const StreamConfig& config);

}  // namespace shmslot::bench
