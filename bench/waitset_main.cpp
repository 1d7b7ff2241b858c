// shmslot_bench_waitset: what waiting through a WaitSet costs, against a reader's own blocking take.
//
// Method. Two processes (fork), the writer (parent) pinned to one CPU and the reader or listener
// (child) to the other; 64 B samples (--size). Every figure is a ratio against a baseline measured in
// the same invocation, repetitions interleaved across the configurations.
// 1. Wake-up latency of a blocked reader. The writer commits one sample stamped with steady_clock
//    time; the reader, asleep, returns, reads the time and records commit-to-return latency, then
//    acknowledges through a flag in a separate shared mapping (not through the measured segment).
//    The writer waits --pause-us after seeing the acknowledgement, so the reader is asleep before
//    every commit. Variants: (a) BasicReader::take_blocking (its announced futex wait), the
//    baseline; (b) a WaitSet with that one reader; (c) a WaitSet over --segments segments, one
//    PosixSlotAllocator segment each, the writer committing into the next one round-robin; (d) as
//    (c), forced to WaitSetMode::SingleWord (one word and a 1 ms poll interval). --warmup commits
//    per run are not recorded. Reported: p50 and p99 of all recorded latencies pooled over the
//    repetitions, and (b), (c), (d) p50 over (a) p50.
// 2. What an armed event fd costs a writer. The writer makes --commits writes, never blocking (its
//    active mask is empty, so no slot waits for a reader), into a segment whose reader 0 is the one
//    member of a WaitSet in the child with event_fd() open and armed, never drained (the child
//    sleeps); against the same writer with a child that has no WaitSet, the two in alternating
//    order from one repetition to the next. Reported: ns per commit (median of the repetitions)
//    and their ratio, and the writer's FUTEX_WAKE calls (shmslot::platform::futex_calls()) per
//    run, which is one arm cycle, and per 1000 commits; the run checks that the fd did become
//    readable.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_json.hpp"
#include "bench_stats.hpp"
#include "waitset.hpp"

namespace {

using namespace shmslot::bench;

constexpr const char* kMethod =
    "Two processes (fork), writer = parent pinned to one CPU, reader = child pinned to the other. "
    "Wake-up: the writer commits one sample stamped with steady_clock time into a segment whose reader "
    "is asleep; the reader records commit-to-return latency and acknowledges through a flag in a "
    "separate shared mapping; the writer waits --pause-us after each acknowledgement so the reader is "
    "asleep before every commit. Variants, interleaved by repetition: (a) BasicReader::take_blocking "
    "(baseline), (b) a WaitSet with that one reader, (c) a WaitSet over --segments segments, commits "
    "round-robin, (d) = (c) in SingleWord mode (1 ms poll interval). p50/p99 of all recorded latencies "
    "pooled; ratios are p50 over (a)'s p50. Armed fd: --commits non-blocking writes (empty active mask) "
    "into a segment whose reader is a WaitSet member with event_fd() armed and never drained, against "
    "the same writer with no WaitSet, in alternating order; ns per commit (median of repetitions), the "
    "writer's FUTEX_WAKE calls per run (one arm cycle) and per 1000 commits.";

struct Options {
  std::size_t size = 64;
  std::uint64_t rounds = 2000;
  std::uint64_t warmup = 50;
  double pause_us = 200;
  std::size_t segments = 64;
  std::uint64_t commits = 1'000'000;
  int repetitions = 3;
  std::string json = "waitset.json";
};

const std::vector<WakeupVariant> kVariants = {WakeupVariant::TakeBlocking, WakeupVariant::WaitSetOne,
                                              WakeupVariant::WaitSetMany, WakeupVariant::WaitSetManySingleWord};

std::string label(WakeupVariant v, std::size_t segments) {
  switch (v) {
    case WakeupVariant::TakeBlocking: return "take_blocking";
    case WakeupVariant::WaitSetOne: return "WaitSet, 1 segment";
    case WakeupVariant::WaitSetMany: return "WaitSet, " + std::to_string(segments) + " segments";
    case WakeupVariant::WaitSetManySingleWord: return "WaitSet, " + std::to_string(segments) + " segments, SingleWord";
  }
  return "?";
}

std::string armed_label(bool with_wait_set) { return with_wait_set ? "armed event fd, never drained" : "no WaitSet"; }

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double ratio(double num, double den) { return den > 0 ? num / den : 0; }

double per_thousand(std::uint64_t calls, std::uint64_t commits) {
  return commits == 0 ? 0 : 1000.0 * static_cast<double>(calls) / static_cast<double>(commits);
}

int run(const Options& o, int argc, char** argv) {
  // Before anything pins this process: the header records the CPUs the run could use.
  nlohmann::json doc = run_header("waitset", kMethod, argc, argv);
  const CpuPair cpus = pick_and_print_cpu_pair("writer", "reader");
  doc["settings"] = {
      {"size", o.size},         {"rounds", o.rounds},   {"warmup", o.warmup},          {"pause_us", o.pause_us},
      {"segments", o.segments}, {"commits", o.commits}, {"repetitions", o.repetitions}};
  doc["cpus"] = {{"writer", cpus.a}, {"reader", cpus.b}, {"distinct", cpus.distinct}};

  std::vector<std::vector<WakeupResult>> wakeups(kVariants.size());
  std::vector<std::vector<ArmedFdResult>> armed(2);
  for (int rep = 0; rep < o.repetitions; ++rep) {
    for (std::size_t k = 0; k < kVariants.size(); ++k) {
      WakeupConfig c;
      c.variant = kVariants[k];
      c.size = o.size;
      c.segments = o.segments;
      c.rounds = o.rounds;
      c.warmup = o.warmup;
      c.pause_ns = static_cast<std::uint64_t>(o.pause_us * 1e3);
      c.cpus = cpus;
      WakeupResult r = run_wakeup(c);
      std::vector<double> sorted = r.latency_us;
      const LatencyStats s = summarize(sorted);
      std::fprintf(stderr, "rep %d/%d  %-36s p50 %8.2f us  p99 %8.2f us  %s%s\n", rep + 1, o.repetitions,
                   label(c.variant, o.segments).c_str(), s.p50, s.p99, r.mode.c_str(),
                   r.ok ? "" : ("  FAILED: " + r.error).c_str());
      wakeups[k].push_back(std::move(r));
    }
    // Alternating order (A B, B A, ...), so neither writer always runs second.
    for (int k = 0; k < 2; ++k) {
      const int with = rep % 2 == 0 ? k : 1 - k;
      ArmedFdConfig c;
      c.with_wait_set = with == 1;
      c.size = o.size;
      c.commits = o.commits;
      c.cpus = cpus;
      ArmedFdResult r = run_armed_fd(c);
      std::fprintf(stderr, "rep %d/%d  %-36s %8.1f ns/commit  %8.3f wakes/1k%s\n", rep + 1, o.repetitions,
                   armed_label(c.with_wait_set).c_str(), r.ns_per_commit, per_thousand(r.futex_wakes, o.commits),
                   r.ok ? "" : ("  FAILED: " + r.error).c_str());
      armed[static_cast<std::size_t>(with)].push_back(std::move(r));
    }
  }

  int failures = 0;
  std::printf("\n%-40s %10s %10s %10s %12s  %s\n", "wake-up of a blocked reader", "p50 us", "p99 us", "samples",
              "p50 / (a)", "(pooled over the repetitions; mode: the WaitSet's, after the run)");
  doc["wakeup"] = nlohmann::json::array();
  double baseline_p50 = 0;
  for (std::size_t k = 0; k < kVariants.size(); ++k) {
    std::vector<double> pooled;
    std::vector<double> rep_p50;
    nlohmann::json reps = nlohmann::json::array();
    bool ok = true;
    bool pinned = true;
    std::string mode;
    for (const auto& r : wakeups[k]) {
      pooled.insert(pooled.end(), r.latency_us.begin(), r.latency_us.end());
      std::vector<double> one = r.latency_us;
      const LatencyStats s = summarize(one);
      rep_p50.push_back(s.p50);
      ok = ok && r.ok;
      pinned = pinned && r.pinned;
      if (!r.mode.empty()) mode = r.mode;
      reps.push_back({{"ok", r.ok}, {"error", r.error}, {"pinned", r.pinned}, {"mode", r.mode}, {"stats", to_json(s)}});
    }
    const LatencyStats s = summarize(pooled);
    if (k == 0) baseline_p50 = s.p50;
    const double vs_baseline = ratio(s.p50, baseline_p50);
    if (!ok || s.count == 0) ++failures;
    const std::string name = label(kVariants[k], o.segments);
    const bool one_segment = kVariants[k] == WakeupVariant::TakeBlocking || kVariants[k] == WakeupVariant::WaitSetOne;
    std::printf("%-40s %10.2f %10.2f %10zu %12.2f  %s%s\n", name.c_str(), s.p50, s.p99, s.count, vs_baseline,
                mode.c_str(), ok ? "" : "  FAILED");
    doc["wakeup"].push_back({{"variant", to_string(kVariants[k])},
                             {"label", name},
                             {"segments", one_segment ? 1 : o.segments},
                             {"mode", mode},
                             {"ok", ok},
                             {"pinned", pinned},
                             {"pooled", to_json(s)},
                             {"p50_per_repetition_us", rep_p50},
                             {"p50_over_take_blocking", vs_baseline},
                             {"repetitions", reps}});
  }

  std::printf("\n%-40s %12s %12s %12s %12s  %s\n", "writer, 64 B commits", "ns/commit", "ns / no set", "wakes/run",
              "wakes/1k", "(medians of the repetitions; wakes: the writer's FUTEX_WAKE calls)");
  doc["armed_fd"] = nlohmann::json::array();
  double baseline_ns = 0;
  // Each repetition's pair ran back to back: their ratio shows how far the noise alone moves it.
  std::vector<double> pair_ratios;
  for (std::size_t rep = 0; rep < armed[1].size(); ++rep) {
    pair_ratios.push_back(ratio(armed[1][rep].ns_per_commit, armed[0][rep].ns_per_commit));
  }
  for (std::size_t with = 0; with < 2; ++with) {
    std::vector<double> ns;
    std::vector<double> wakes;
    std::vector<double> wakes_per_run;
    nlohmann::json reps = nlohmann::json::array();
    bool ok = true;
    for (const auto& r : armed[with]) {
      ns.push_back(r.ns_per_commit);
      wakes.push_back(per_thousand(r.futex_wakes, o.commits));
      wakes_per_run.push_back(static_cast<double>(r.futex_wakes));
      ok = ok && r.ok;
      reps.push_back({{"ok", r.ok},
                      {"error", r.error},
                      {"pinned", r.pinned},
                      {"ns_per_commit", r.ns_per_commit},
                      {"futex_wakes", r.futex_wakes},
                      {"fd_signalled", r.fd_signalled}});
    }
    const double ns_median = median(ns);
    if (with == 0) baseline_ns = ns_median;
    if (!ok) ++failures;
    const std::string name = armed_label(with == 1);
    std::printf("%-40s %12.1f %12.2f %12.0f %12.3f%s\n", name.c_str(), ns_median, ratio(ns_median, baseline_ns),
                median(wakes_per_run), median(wakes), ok ? "" : "  FAILED");
    doc["armed_fd"].push_back({{"label", name},
                               {"with_wait_set", with == 1},
                               {"commits", o.commits},
                               {"ok", ok},
                               {"ns_per_commit_median", ns_median},
                               {"futex_wakes_per_1000_commits_median", median(wakes)},
                               {"futex_wakes_per_run_median", median(wakes_per_run)},
                               {"ns_over_no_wait_set", ratio(ns_median, baseline_ns)},
                               {"ns_over_no_wait_set_per_repetition", with == 1 ? pair_ratios : std::vector<double>{}},
                               {"repetitions", reps}});
  }
  if (!write_json_file(o.json, doc)) return 1;
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app(
      "WaitSet wake-up latency of a blocked reader against its own blocking take (1 and many segments, "
      "vectored and single-word), and what an armed event fd costs a streaming writer; JSON out.");
  app.footer(std::string("Method: ") + kMethod);
  app.add_option("--size", o.size, "Payload bytes per sample (>= 8)")
      ->check(CLI::Range(8, 1 << 20))
      ->capture_default_str();
  app.add_option("--rounds", o.rounds, "Recorded wake-ups per variant and repetition")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup", o.warmup, "Wake-ups before them, not recorded")->capture_default_str();
  app.add_option("--pause-us", o.pause_us, "The writer's pause after each acknowledgement (the reader falls asleep)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--segments", o.segments, "Segments of the many-segment WaitSet")
      ->check(CLI::Range(1, 128))
      ->capture_default_str();
  app.add_option("--commits", o.commits, "Writes per armed-fd run")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--repetitions", o.repetitions, "Runs per configuration (interleaved)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--json", o.json, "Where the JSON record goes")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return run(o, argc, argv);
}
