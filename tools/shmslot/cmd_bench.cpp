// shmslot bench [--size BYTES] [--api copy|loan] [--wait busy|futex] [--payload full|stamp]
//               [--roundtrips N] [--max-seconds S] [--json]
// A quick look at this machine: shmslot's round trip between two processes beside the raw
// cache-line ping-pong, the floor any shared-memory transport sits on. The method is the one of
// bench/shmslot_bench_pingpong (bench_pingpong.hpp): fork, pin to two CPUs, warm up, stamp every
// round trip, percentiles; that program measures the whole matrix and the other floors.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/core.h>

#include "bench_machine.hpp"
#include "bench_pingpong.hpp"
#include "command.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"

namespace shmslot::cli {

namespace {

constexpr const char* kCommand = "bench";
constexpr std::uint64_t kMaxBenchSize = std::uint64_t{1} << 30;
// Each recorded round trip keeps one latency: 10^7 of them are 80 MB.
constexpr std::uint64_t kMaxRoundtrips = 10'000'000;

struct Options {
  std::size_t size = 64;
  std::string api = "copy";
  std::string wait = "busy";
  std::string payload = "full";
  std::uint64_t roundtrips = 20000;
  double max_seconds = 1.0;
  bool json = false;
};

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

std::string json_stats(const bench::LatencyStats& s) {
  return fmt::format(
      "{{\"count\": {}, \"p50_us\": {:.4f}, \"p90_us\": {:.4f}, \"p99_us\": {:.4f}, \"p999_us\": {:.4f}, "
      "\"max_us\": {:.4f}}}",
      s.count, s.p50, s.p90, s.p99, s.p999, s.max);
}

int run(const Options& o) {
  using namespace shmslot::bench;
  const CpuPair cpus = pick_cpu_pair();
  const MachineInfo machine = machine_info();

  PingPongConfig floor;
  floor.system = PingSystem::CacheLine;
  floor.cpus = cpus;
  floor.roundtrips = o.roundtrips;
  floor.max_seconds = o.max_seconds;
  PingPongConfig slot = floor;
  slot.system = PingSystem::Shmslot;
  slot.size = o.size;
  slot.api = o.api == "loan" ? Api::Loan : Api::Copy;
  slot.wait = o.wait == "futex" ? Wait::Futex : Wait::Busy;
  slot.payload = o.payload == "stamp" ? Payload::Stamp : Payload::Full;

  // Unrecorded: both CPUs busy for a moment first (an idle vCPU is slow to come up to speed).
  PingPongConfig settle = floor;
  settle.warmup = 0;
  settle.max_seconds = 0.2;
  (void)run_pingpong(settle);

  const PingPongResult rf = run_pingpong(floor);
  if (!rf.ok) return fail(kCommand, kExitFailure, "raw cache-line ping-pong: " + rf.error);
  const PingPongResult rs = run_pingpong(slot);
  if (!rs.ok) return fail(kCommand, kExitFailure, system_label(slot) + ": " + rs.error);
  const double ratio = rf.stats.p50 > 0 ? rs.stats.p50 / rf.stats.p50 : 0;
  const std::uint64_t errors = rf.verify_errors + rs.verify_errors;

  if (o.json) {
    fmt::print(
        "{{\"cpu_model\": {}, \"nproc_usable\": {}, \"kernel\": {}, \"cpus\": [{}, {}], \"distinct_cpus\": {}, "
        "\"pinned\": {}, \"size\": {}, \"shmslot\": {{\"label\": {}, \"stats\": {}}}, "
        "\"raw_cacheline\": {{\"stats\": {}}}, \"p50_ratio\": {:.3f}, \"verify_errors\": {}}}\n",
        json_string(machine.cpu_model), machine.nproc_usable, json_string(machine.kernel), cpus.a, cpus.b,
        cpus.distinct, rf.pinned && rs.pinned, o.size, json_string(system_label(slot)), json_stats(rs.stats),
        json_stats(rf.stats), ratio, errors);
  } else {
    fmt::print("{}, {} usable CPUs, {}\n", machine.cpu_model, machine.nproc_usable, machine.kernel);
    if (cpus.distinct) {
      fmt::print("processes pinned to CPUs {} and {}\n", cpus.a, cpus.b);
    } else {
      fmt::print("only one usable CPU ({}): both processes share it, not a cross-core figure\n", cpus.a);
    }
    fmt::print("\n{:<28} {:>8} {:>9} {:>9} {:>9} {:>9} {:>10} {:>8}\n", "round trip", "size", "p50 us", "p90 us",
               "p99 us", "p99.9 us", "max us", "n");
    auto row = [](const std::string& name, const std::string& size, const LatencyStats& s) {
      fmt::print("{:<28} {:>8} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>10.3f} {:>8}\n", name, size, s.p50, s.p90,
                 s.p99, s.p999, s.max, s.count);
    };
    row("raw cache line", "8 B", rf.stats);
    row(system_label(slot), std::to_string(o.size) + " B", rs.stats);
    fmt::print("\nshmslot p50 / raw cache-line p50 = {:.2f}x{}\n", ratio,
               errors != 0 ? fmt::format("; {} round trips failed verification", errors) : std::string());
  }
  return errors == 0 ? kExitOk : kExitFailure;
}

}  // namespace

void register_bench(CLI::App& app) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd = add_command(
      app, kCommand,
      "Measure shmslot's round trip between two processes beside the raw cache-line ping-pong (fork, "
      "pinned to two CPUs, warm-up, percentiles). The full matrix and the other floors: "
      "bench/shmslot_bench_pingpong, or `make bench`.");
  cmd->add_option("--size", o->size, "Payload bytes per hop (>= 16)")
      ->capture_default_str()
      ->check(whole_number_validator(16, kMaxBenchSize));
  cmd->add_option("--api", o->api, "copy: commit_slot + read_slot_into; loan: slot_data_ptr + commit_in_place + "
                                   "slot_read_ptr")
      ->capture_default_str()
      ->check(CLI::IsMember({"copy", "loan"}));
  cmd->add_option("--wait", o->wait, "busy: spin on next_unread_slot; futex: wait_for_change")
      ->capture_default_str()
      ->check(CLI::IsMember({"busy", "futex"}));
  cmd->add_option("--payload", o->payload,
                  "With --api loan: full writes every byte, stamp writes 8 bytes (refused with --api copy)")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "stamp"}));
  cmd->add_option("--roundtrips", o->roundtrips, "Recorded round trips per system")
      ->capture_default_str()
      ->check(whole_number_validator(1, kMaxRoundtrips));
  cmd->add_option("--max-seconds", o->max_seconds, "Cap on the recorded phase per system")
      ->capture_default_str()
      ->check(finite_range_validator(0.001, kMaxSeconds));
  cmd->add_flag("--json", o->json, "One JSON object on stdout instead of the table");
  set_action(*cmd, [o] {
    // A copy always writes the whole payload: there is nothing for --payload stamp to change.
    if (o->payload == "stamp" && o->api != "loan") {
      return fail(kCommand, kExitUsage, "--payload stamp needs --api loan (a copy always writes the whole payload)");
    }
    return run(*o);
  });
}

}  // namespace shmslot::cli
