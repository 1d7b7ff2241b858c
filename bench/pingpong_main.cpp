// shmslot_bench_pingpong: round-trip latency between two processes, shmslot and its floors in one run.
//
// Method. The parent and a forked child are pinned to two different CPUs (sched_setaffinity; when
// only one CPU is usable the output says so and both share it). The parent stamps round trip i,
// sends it, waits for the child's echo of the same stamp and size, and records the steady_clock time
// around the two hops. Per configuration: `--warmup` unrecorded round trips, then `--roundtrips`
// recorded ones, or fewer if `--max-seconds` passes first; repeated `--repetitions` times (each a
// fresh pair of processes and fresh segments, repetitions interleaved across configurations so slow
// drift of the VM spreads over all of them). Reported: p50/p90/p99/p99.9/max of all recorded round
// trips pooled, and the spread of the per-repetition p50. Every hop is verified (stamp at both ends;
// for loan/full one byte per cache line) and mismatches are counted.
//
// shmslot: two PosixSlotAllocator segments (one per direction, `--slots` slots of the payload size);
// the receiver is reader 0 and in the writer's active mask. --api copy: commit_slot + read_slot_into;
// --api loan: slot_data_ptr + commit_in_place + slot_read_ptr (pinned until mark_read). --wait busy:
// spin on next_unread_slot; --wait futex: wait_for_change when nothing is unread. --payload full:
// the sender writes every byte into the loaned slot and the receiver reads every line; stamp: the
// sender writes an 8-byte stamp only (copy always moves the whole payload).
// Floors: raw cache line (two atomics on separate lines of a shared mapping, spinning), raw futex
// (FUTEX_WAKE every hop, FUTEX_WAIT until the word changes), pipe, AF_UNIX socketpair (blocking
// whole-payload read/write), raw shm SPSC ring (memcpy in, memcpy out, busy).
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_json.hpp"
#include "bench_pingpong.hpp"

namespace {

using namespace shmslot::bench;

constexpr const char* kMethod =
    "Two processes (fork), pinned to two CPUs. The parent sends a stamped payload and waits for the "
    "child's echo; one sample is the steady_clock time of the round trip (two hops). Warm-up round "
    "trips are not recorded; then N round trips (capped by --max-seconds) per configuration and "
    "repetition, repetitions interleaved. Percentiles are nearest-rank over all repetitions pooled. "
    "Every hop is verified. shmslot uses one PosixSlotAllocator segment per direction (receiver = "
    "reader 0, in the active mask). Floors in the same run: raw cache-line ping-pong (two atomics in "
    "a shared mapping), raw futex ping-pong, pipe, AF_UNIX socketpair, raw shm SPSC ring with memcpy "
    "per hop.";

struct Options {
  std::vector<std::string> apis{"copy", "loan"};
  std::vector<std::string> waits{"busy", "futex"};
  std::vector<std::string> payloads{"full", "stamp"};
  std::vector<std::size_t> sizes{64, 4096, 65536, 1048576};
  std::uint64_t roundtrips = 20000;
  std::uint64_t warmup = 1000;
  double max_seconds = 0.5;
  std::size_t slots = 8;
  int repetitions = 1;
  double settle_seconds = 0.3;
  bool no_floors = false;
  bool no_shmslot = false;
  std::string json = "pingpong.json";
};

std::vector<PingPongConfig> build_matrix(const Options& o) {
  std::vector<PingPongConfig> out;
  PingPongConfig base;
  base.warmup = o.warmup;
  base.roundtrips = o.roundtrips;
  base.max_seconds = o.max_seconds;
  base.slot_count = o.slots;
  auto add = [&](PingSystem s, std::size_t size, Api a = Api::Copy, Wait w = Wait::Busy, Payload p = Payload::Full) {
    PingPongConfig c = base;
    c.system = s;
    c.size = size;
    c.api = a;
    c.wait = w;
    c.payload = p;
    out.push_back(c);
  };
  if (!o.no_floors) {
    add(PingSystem::CacheLine, 8);
    add(PingSystem::Futex, 4);
  }
  for (std::size_t size : o.sizes) {
    if (!o.no_shmslot) {
      for (const auto& a : o.apis) {
        for (const auto& w : o.waits) {
          const Api api = a == "loan" ? Api::Loan : Api::Copy;
          const Wait wait = w == "futex" ? Wait::Futex : Wait::Busy;
          if (api == Api::Copy) {
            add(PingSystem::Shmslot, size, api, wait, Payload::Full);
            continue;
          }
          for (const auto& p : o.payloads) {
            add(PingSystem::Shmslot, size, api, wait, p == "stamp" ? Payload::Stamp : Payload::Full);
          }
        }
      }
    }
    if (!o.no_floors) {
      add(PingSystem::ShmRing, size);
      add(PingSystem::Pipe, size);
      add(PingSystem::SocketPair, size);
    }
  }
  return out;
}

std::string size_text(std::size_t size) {
  if (size >= (1U << 20) && size % (1U << 20) == 0) return std::to_string(size >> 20) + " MiB";
  if (size >= 1024 && size % 1024 == 0) return std::to_string(size >> 10) + " KiB";
  return std::to_string(size) + " B";
}

struct Accumulated {
  PingPongConfig config;
  std::vector<double> pooled;
  std::vector<LatencyStats> reps;
  std::uint64_t verify_errors = 0;
  std::vector<std::string> errors;
  bool pinned = true;
};

int run(const Options& o, int argc, char** argv) {
  // Before anything pins this process: the header records the CPUs the run could use.
  nlohmann::json doc = run_header("pingpong", kMethod, argc, argv);
  const CpuPair cpus = pick_and_print_cpu_pair("pinger", "echoer");
  if (o.settle_seconds > 0) {
    // Unrecorded: both vCPUs busy for a while before the first configuration. Without it the first
    // configuration of a run measured up to 4x slower here (an idle vCPU is slow to come up to speed).
    PingPongConfig settle;
    settle.system = PingSystem::CacheLine;
    settle.cpus = cpus;
    settle.warmup = 0;
    settle.roundtrips = ~std::uint64_t{0} >> 8;
    settle.max_seconds = o.settle_seconds;
    (void)run_pingpong(settle);
  }
  auto matrix = build_matrix(o);
  for (auto& c : matrix) c.cpus = cpus;
  std::vector<Accumulated> acc(matrix.size());
  for (std::size_t k = 0; k < matrix.size(); ++k) acc[k].config = matrix[k];

  for (int rep = 0; rep < o.repetitions; ++rep) {
    for (std::size_t k = 0; k < matrix.size(); ++k) {
      PingPongResult r = run_pingpong(matrix[k]);
      Accumulated& a = acc[k];
      if (!r.ok) a.errors.push_back(r.error);
      a.verify_errors += r.verify_errors;
      a.pinned = a.pinned && r.pinned;
      a.reps.push_back(r.stats);
      a.pooled.insert(a.pooled.end(), r.samples_us.begin(), r.samples_us.end());
      const std::string size = has_payload(matrix[k].system) ? size_text(matrix[k].size) : "-";
      std::fprintf(stderr, "rep %d/%d  %-28s %8s  p50 %9.3f us  n=%zu%s\n", rep + 1, o.repetitions,
                   system_label(matrix[k]).c_str(), size.c_str(), r.stats.p50, r.stats.count,
                   r.ok ? "" : ("  FAILED: " + r.error).c_str());
    }
  }

  doc["settings"] = {{"roundtrips", o.roundtrips},   {"warmup", o.warmup},           {"max_seconds", o.max_seconds},
                     {"slots", o.slots},             {"repetitions", o.repetitions}, {"sizes", o.sizes},
                     {"settle_seconds", o.settle_seconds}};
  doc["cpus"] = {{"pinger", cpus.a}, {"echoer", cpus.b}, {"distinct", cpus.distinct}};
  doc["results"] = nlohmann::json::array();

  std::printf("\n%-28s %8s %9s %9s %9s %9s %10s %8s %14s %6s\n", "system", "size", "p50 us", "p90 us", "p99 us",
              "p99.9 us", "max us", "n", "p50 reps", "errors");
  int failures = 0;
  for (auto& a : acc) {
    const LatencyStats pooled = summarize(a.pooled);
    double p50_lo = 0;
    double p50_hi = 0;
    nlohmann::json reps = nlohmann::json::array();
    for (std::size_t i = 0; i < a.reps.size(); ++i) {
      const double p = a.reps[i].p50;
      p50_lo = i == 0 ? p : std::min(p50_lo, p);
      p50_hi = i == 0 ? p : std::max(p50_hi, p);
      reps.push_back(to_json(a.reps[i]));
    }
    const PingPongConfig& c = a.config;
    const bool ok = a.errors.empty() && a.verify_errors == 0;
    if (!ok) ++failures;
    char spread[40];
    std::snprintf(spread, sizeof spread, "%.3f-%.3f", p50_lo, p50_hi);
    std::printf("%-28s %8s %9.3f %9.3f %9.3f %9.3f %10.3f %8zu %14s %6llu%s\n", system_label(c).c_str(),
                has_payload(c.system) ? size_text(c.size).c_str() : "-", pooled.p50, pooled.p90, pooled.p99,
                pooled.p999, pooled.max, pooled.count, spread, static_cast<unsigned long long>(a.verify_errors),
                a.errors.empty() ? "" : ("  " + a.errors.front()).c_str());
    nlohmann::json cdf = nlohmann::json::array();
    for (const auto& [q, v] : cdf_points(a.pooled)) cdf.push_back({q, v});
    doc["results"].push_back({{"system", to_string(c.system)},
                              {"label", system_label(c)},
                              {"api", c.system == PingSystem::Shmslot ? to_string(c.api) : ""},
                              {"wait", c.system == PingSystem::Shmslot ? to_string(c.wait) : ""},
                              {"payload", c.system == PingSystem::Shmslot ? to_string(c.payload) : ""},
                              {"size", has_payload(c.system) ? c.size : 0},
                              {"slot_count", c.slot_count},
                              {"ok", ok},
                              {"errors", a.errors},
                              {"verify_errors", a.verify_errors},
                              {"pinned", a.pinned},
                              {"pooled", to_json(pooled)},
                              {"p50_spread_us", {p50_lo, p50_hi}},
                              {"repetitions", reps},
                              {"cdf", cdf}});
  }
  if (!write_json_file(o.json, doc)) return 1;
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app("Round-trip latency between two processes: shmslot (copy/loan, busy/futex, full/stamp) and the raw "
               "floors (cache line, futex, pipe, socketpair, shm ring) in one run; JSON out.");
  app.footer(std::string("Method: ") + kMethod);
  app.add_option("--api", o.apis, "shmslot API paths")->check(CLI::IsMember({"copy", "loan"}))->capture_default_str();
  app.add_option("--wait", o.waits, "How the receiver waits")->check(CLI::IsMember({"busy", "futex"}))
      ->capture_default_str();
  app.add_option("--payload", o.payloads, "What the loan sender writes (copy moves everything)")
      ->check(CLI::IsMember({"full", "stamp"}))->capture_default_str();
  app.add_option("--sizes", o.sizes, "Payload bytes per hop (>= 16)")->capture_default_str();
  app.add_option("--roundtrips", o.roundtrips, "Recorded round trips per configuration and repetition")
      ->capture_default_str();
  app.add_option("--warmup", o.warmup, "Unrecorded round trips first")->capture_default_str();
  app.add_option("--max-seconds", o.max_seconds, "Cap on the recorded phase of one configuration")
      ->capture_default_str();
  app.add_option("--slots", o.slots, "Slots per shmslot segment and per raw ring")->capture_default_str();
  app.add_option("--repetitions", o.repetitions, "Fresh process pairs per configuration")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--settle-seconds", o.settle_seconds, "Unrecorded cache-line ping-pong before everything")
      ->capture_default_str();
  app.add_flag("--no-floors", o.no_floors, "Measure shmslot only");
  app.add_flag("--no-shmslot", o.no_shmslot, "Measure the floors only");
  app.add_option("--json", o.json, "Where the JSON record goes")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return run(o, argc, argv);
}
