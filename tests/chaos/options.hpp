// The command line of shmslot_chaos.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "chaos/kill_points.hpp"

namespace shmslot::chaos {

struct Options {
  std::uint64_t kills = 400;            // stop once this many processes were killed
  std::uint64_t seed = 0;               // every random choice derives from it
  std::chrono::seconds time_limit{0};   // stop early (not a failure) after this long; 0: never
  std::chrono::milliseconds lease{20};  // the segment's lease: how long a dead peer holds others up
  std::size_t slots = 6;
  std::vector<KillPoint> points;        // the kill points to use; empty: all
  std::set<std::string> known_defects;  // invariants reported as known library defects, not failures
  bool self_test = false;               // inject faults and show that each check catches its own
  bool stop_on_violation = false;
  bool verbose = false;  // one line per round
};

// Parses argv; prints usage and returns nullopt on --help or an error (`exit_code` says which).
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

// Whether `point` is in use.
bool enabled(const Options& options, KillPoint point);

}  // namespace shmslot::chaos
