#include "chaos/report.hpp"

#include <algorithm>
#include <utility>

namespace shmslot::chaos {

void Report::kill(KillPoint point, bool exact, const std::string& where) {
  KillTally& t = tallies_[static_cast<int>(point)];
  ++t.kills;
  t.exact += exact ? 1 : 0;
  ++t.where[where];
  ++t.pending;
  ++kills_;
}

void Report::settle() {
  const bool passed = violations() == violations_at_settle_;
  for (KillTally& t : tallies_) {
    t.survived += passed ? t.pending : 0;
    survived_ += passed ? t.pending : 0;
    t.pending = 0;
  }
  violations_at_settle_ = violations();
}

void Report::violation(const std::string& invariant, const std::string& detail, const std::string& context) {
  violations_.push_back(Violation{invariant, detail, context, known_.count(invariant) != 0});
  const Violation& v = violations_.back();
  if (!echo || v.known) return;  // known defects are summed up in print()
  std::fprintf(stderr, "%s %s: %s\n  %s\n", v.known ? "KNOWN DEFECT" : "VIOLATION", v.invariant.c_str(),
               v.detail.c_str(), v.context.c_str());
}

std::size_t Report::violations() const {
  return static_cast<std::size_t>(
      std::count_if(violations_.begin(), violations_.end(), [](const Violation& v) { return !v.known; }));
}

std::size_t Report::known_defects() const { return violations_.size() - violations(); }

bool Report::saw(const std::string& invariant, const std::string& text) const {
  return std::any_of(violations_.begin(), violations_.end(), [&](const Violation& v) {
    return v.invariant == invariant && v.detail.find(text) != std::string::npos;
  });
}

namespace {

// "access 1..14 (12 distinct)" for trap kills, the most frequent places otherwise.
std::string where_summary(const KillTally& t) {
  std::uint64_t lo = ~0ULL;
  std::uint64_t hi = 0;
  std::size_t accesses = 0;
  std::vector<std::pair<std::uint64_t, std::string>> others;
  for (const auto& [where, n] : t.where) {
    if (where.rfind("access ", 0) == 0) {
      const std::uint64_t k = std::stoull(where.substr(7));
      lo = std::min(lo, k);
      hi = std::max(hi, k);
      ++accesses;
    } else {
      others.emplace_back(n, where);
    }
  }
  std::string out;
  if (accesses > 0) {
    out = "before access " + std::to_string(lo) + ".." + std::to_string(hi) + " (" + std::to_string(accesses) +
          " distinct)";
  }
  std::sort(others.rbegin(), others.rend());
  const std::size_t shown = std::min<std::size_t>(others.size(), 5);
  for (std::size_t i = 0; i < shown; ++i) {
    out += (out.empty() ? "" : ", ") + others[i].second + " " + std::to_string(others[i].first);
  }
  if (others.size() > shown) out += ", +" + std::to_string(others.size() - shown) + " more";
  return out;
}

}  // namespace

void Report::print(std::FILE* out, std::uint64_t seed, std::chrono::duration<double> took) const {
  std::fprintf(out,
               "\nshmslot chaos: seed %llu, %llu kills in %.1f s (%llu epochs, %llu rounds, %llu rounds checked)\n",
               static_cast<unsigned long long>(seed), static_cast<unsigned long long>(kills_), took.count(),
               static_cast<unsigned long long>(epochs), static_cast<unsigned long long>(rounds),
               static_cast<unsigned long long>(rounds_checked));
  std::fprintf(out, "%-20s %7s %9s %7s  %s\n", "kill point", "kills", "survived", "aimed", "where they landed");
  for (int p = 0; p < kKillPoints; ++p) {
    const KillTally& t = tallies_[p];
    const KillPointInfo& i = info(static_cast<KillPoint>(p));
    std::fprintf(out, "%-20s %7llu %9llu %7llu  %s\n", i.name, static_cast<unsigned long long>(t.kills),
                 static_cast<unsigned long long>(t.survived), static_cast<unsigned long long>(t.exact),
                 where_summary(t).c_str());
  }
  std::fprintf(out,
               "samples verified byte by byte: %llu (%llu copied, %llu in place, %llu pins held and re-checked); "
               "reads that found their sample overwritten: %llu\n",
               static_cast<unsigned long long>(samples), static_cast<unsigned long long>(copies),
               static_cast<unsigned long long>(zero_copies), static_cast<unsigned long long>(holds),
               static_cast<unsigned long long>(overwritten));
  std::fprintf(out,
               "writer incarnations: %llu; reader restarts: %llu; segments re-created over a killed owner: %llu; "
               "quiesced segments fully reserved again: %llu%s\n",
               static_cast<unsigned long long>(writer_incarnations), static_cast<unsigned long long>(reader_restarts),
               static_cast<unsigned long long>(recreated), static_cast<unsigned long long>(full_reserves),
               ptrace ? "" : "; ptrace not permitted: create/attach/teardown kills at random delays");
  std::fprintf(out,
               "segments left with a sleeper mark once every process had gone (a reader killed inside "
               "wait_for_change), each cleared by one reap (checked: `sleeper`): %llu of %llu, at most %u\n",
               static_cast<unsigned long long>(segments_with_waiters_),
               static_cast<unsigned long long>(segments_counted_), max_waiters_left_);
  std::map<std::string, std::pair<std::size_t, const Violation*>> by_invariant;
  for (const Violation& v : violations_) {
    auto& [count, first] = by_invariant[(v.known ? "known defect " : "") + v.invariant];
    if (count++ == 0) first = &v;
  }
  const std::uint64_t failed = violations();
  std::fprintf(out, "kills survived: %llu of %llu; violations: %llu", static_cast<unsigned long long>(survived_),
               static_cast<unsigned long long>(kills_), static_cast<unsigned long long>(failed));
  if (known_defects() > 0)
    std::fprintf(out, " (+%llu known defects)", static_cast<unsigned long long>(known_defects()));
  std::fprintf(out, "\n");
  for (const auto& [name, entry] : by_invariant) {
    std::fprintf(out, "  %-30s %6zu", name.c_str(), entry.first);
    if (entry.second->known) std::fprintf(out, "  first: %s", entry.second->detail.c_str());
    std::fprintf(out, "\n");
  }
  std::size_t shown = 0;
  for (const Violation& v : violations_) {
    if (v.known) continue;
    if (shown++ == 20) {
      std::fprintf(out, "  ... (%zu more above in the log)\n", failed - 20);
      break;
    }
    std::fprintf(out, "  %s: %s\n    %s\n", v.invariant.c_str(), v.detail.c_str(), v.context.c_str());
  }
}

}  // namespace shmslot::chaos
