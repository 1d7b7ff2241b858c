// What a chaos run counts and finds: kills per kill point (and where exactly each landed), the
// checks it made, and every violation with the context needed to chase it.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "chaos/kill_points.hpp"

namespace shmslot::chaos {

struct Violation {
  std::string invariant;  // "torn", "loss", "leak", ... (the prefix of the child's report)
  std::string detail;
  std::string context;  // seed, epoch, round and the kills of that round
  bool known = false;   // an invariant listed as a known library defect (--known-defect)
};

struct KillTally {
  std::uint64_t kills = 0;
  std::uint64_t survived = 0;                  // followed by checks that found no violation (known defects aside)
  std::uint64_t pending = 0;                   // not through their checks yet
  std::uint64_t exact = 0;                     // stopped at the aimed point (trap fired, syscall reached, phase seen)
  std::map<std::string, std::uint64_t> where;  // "access 3", "fallocate (entry)", "missed, in mark_read"
};

class Report {
 public:
  explicit Report(std::set<std::string> known_defects) : known_(std::move(known_defects)) {}

  void kill(KillPoint point, bool exact, const std::string& where);
  void violation(const std::string& invariant, const std::string& detail, const std::string& context);

  // The kills since the last settle() have been through the checks that follow them: they survived
  // if no violation (other than a known defect) was recorded since.
  void settle();

  std::uint64_t kills() const { return kills_; }
  std::uint64_t survived() const { return survived_; }
  std::size_t violations() const;  // not counting known defects
  std::size_t known_defects() const;
  const std::vector<Violation>& all() const { return violations_; }
  // Whether some violation (known or not) of `invariant` was recorded; its detail contains `text`.
  bool saw(const std::string& invariant, const std::string& text = "") const;

  // Counters the harness fills in.
  std::uint64_t rounds = 0;
  std::uint64_t epochs = 0;
  std::uint64_t rounds_checked = 0;  // rounds whose quiesce checks all ran
  std::uint64_t samples = 0;         // accepted and verified by readers (copy + in place)
  std::uint64_t copies = 0;
  std::uint64_t zero_copies = 0;
  std::uint64_t holds = 0;
  std::uint64_t overwritten = 0;
  std::uint64_t writer_incarnations = 0;
  std::uint64_t reader_restarts = 0;
  std::uint64_t recreated = 0;      // creates at the path of a killed owner
  std::uint64_t full_reserves = 0;  // quiesced segments in which every slot was reserved again
  // The sleeper marks of a segment once every process but the harness had left it (before the reap).
  void waiters_left(std::uint32_t count) {
    ++segments_counted_;
    segments_with_waiters_ += count != 0 ? 1 : 0;
    max_waiters_left_ = std::max(max_waiters_left_, count);
  }
  bool ptrace = true;
  bool echo = true;  // print each violation to stderr as it is recorded

  void print(std::FILE* out, std::uint64_t seed, std::chrono::duration<double> took) const;

 private:
  std::set<std::string> known_;
  std::array<KillTally, kKillPoints> tallies_{};
  std::uint64_t kills_ = 0;
  std::uint64_t survived_ = 0;
  std::size_t violations_at_settle_ = 0;
  std::uint64_t segments_counted_ = 0;
  std::uint64_t segments_with_waiters_ = 0;
  std::uint32_t max_waiters_left_ = 0;
  std::vector<Violation> violations_;
};

}  // namespace shmslot::chaos
