// What a WaitSet costs: the wake-up of a blocked reader through a set against its own blocking take,
// and what an armed event fd costs a writer that streams into a segment the set listens to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench_machine.hpp"

namespace shmslot::bench {

/// How the blocked reader sleeps.
enum class WakeupVariant {
  TakeBlocking,           ///< the baseline: BasicReader::take_blocking, the segment's own futex wait
  WaitSetOne,             ///< a WaitSet with that one reader (mode Automatic)
  WaitSetMany,            ///< a WaitSet over `segments` segments, one reader each (mode Automatic)
  WaitSetManySingleWord,  ///< the same, forced to WaitSetMode::SingleWord
};

const char* to_string(WakeupVariant v);

struct WakeupConfig {
  WakeupVariant variant = WakeupVariant::TakeBlocking;
  std::size_t size = 64;             ///< payload bytes per sample (>= 8: the stamp)
  std::size_t segments = 64;         ///< WaitSetMany*: segments, committed into round-robin
  std::uint64_t rounds = 1000;       ///< timed commits
  std::uint64_t warmup = 50;         ///< commits before them, not timed
  std::uint64_t pause_ns = 200'000;  ///< the writer's pause after an acknowledgement: the reader is asleep
  CpuPair cpus = pick_cpu_pair();
};

struct WakeupResult {
  bool ok = false;
  std::string error;
  bool pinned = false;
  std::string mode;                ///< the set's mode after the run ("vectored", "single-word"; "-" for the baseline)
  std::vector<double> latency_us;  ///< commit (the writer's stamp) to the reader's return, per timed round
};

/// Forks the reader, commits `warmup + rounds` stamped samples one at a time, reaps it. Never throws.
WakeupResult run_wakeup(const WakeupConfig& config);

struct ArmedFdConfig {
  bool with_wait_set = false;  ///< false: the segment's one reader process has no WaitSet at all
  std::size_t size = 64;
  std::uint64_t commits = 1'000'000;
  CpuPair cpus = pick_cpu_pair();
};

struct ArmedFdResult {
  bool ok = false;
  std::string error;
  bool pinned = false;
  double ns_per_commit = 0;
  std::uint64_t futex_wakes = 0;  ///< the writer's FUTEX_WAKE calls during the commits
  bool fd_signalled = false;      ///< with_wait_set: the event fd became readable (the set saw the commits)
};

/// Forks the listener, streams `commits` writes that never block (an empty active mask), reaps it.
ArmedFdResult run_armed_fd(const ArmedFdConfig& config);

}  // namespace shmslot::bench
