#include "peer_main.hpp"

#include <algorithm>
#include <cstdio>

#include "bench_json.hpp"
#include "bench_pingpong.hpp"
#include "peer_matrix.hpp"

namespace shmslot::bench::peers {

namespace {

constexpr const char* kMethod =
    "Ping-pong: the loop of shmslot_bench_pingpong (pingpong_detail::drive): two processes pinned to two "
    "CPUs, warm-up round trips unrecorded, then N round trips (capped by --max-seconds) per configuration "
    "and repetition, repetitions interleaved, percentiles nearest-rank over the repetitions pooled. Each "
    "process opens the peer after fork and pinning, waits until matched, then handshake samples go back and "
    "forth until one returns. Every hop writes the whole payload (pattern byte, stamp at both ends) into "
    "the peer's loan where it has one; the receiver checks one byte per 64-byte line and both stamps. "
    "Stream: one writer process to one reader process, pinned apart, handshake first, then the writer "
    "publishes for --stream-seconds and sends an end marker; the reader checks every index (count, order, "
    "integrity) and reads one word per line in place. Throughput = samples received / (writer start .. "
    "last sample received); lost = sent - received. Beside the peer, in the same repetitions and "
    "configuration by configuration: shmslot copy/busy and loan/busy/full ping-pongs, shmslot loan "
    "1-reader-busy streams and one raw cache-line ping-pong per repetition, so that ratios compare runs "
    "that saw the same state of the VM.";

bool all_ok(const nlohmann::json& results) {
  return std::all_of(results.begin(), results.end(), [](const nlohmann::json& r) { return r["ok"].get<bool>(); });
}

}  // namespace

void add_peer_options(CLI::App& app, PeerOptions& o) {
  app.footer(std::string("Method: ") + kMethod);
  app.add_option("--sizes", o.sizes, "Ping-pong payload bytes per hop (>= 16)")->capture_default_str();
  app.add_option("--stream-sizes", o.stream_sizes, "Stream payload bytes per sample (>= 16)")->capture_default_str();
  app.add_option("--roundtrips", o.roundtrips, "Recorded round trips per configuration and repetition")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup", o.warmup, "Unrecorded round trips first")->capture_default_str();
  app.add_option("--max-seconds", o.max_seconds, "Cap on the recorded phase of one configuration")
      ->capture_default_str();
  app.add_option("--repetitions", o.repetitions, "Fresh process pairs per ping-pong configuration")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--stream-seconds", o.stream_seconds, "How long the stream writer writes")->capture_default_str();
  app.add_option("--stream-repetitions", o.stream_repetitions, "Runs per stream configuration")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--settle-seconds", o.settle_seconds, "Unrecorded cache-line ping-pong before everything")
      ->capture_default_str();
  app.add_flag("--no-pingpong", o.no_pingpong, "Streams only");
  app.add_flag("--no-stream", o.no_stream, "Ping-pong only");
  app.add_flag("--no-shmslot", o.no_reference, "Skip shmslot's runs beside the peer's");
  app.add_option("--json", o.json, "Where the JSON record goes")->required();
}

int run_peer(const PeerSpec& spec, const PeerOptions& o, int argc, char** argv) {
  // Before anything pins this process: the header records the CPUs the run could use.
  nlohmann::json doc = run_header("peer", kMethod, argc, argv);
  const CpuPair cpus = pick_cpu_pair();
  std::printf("# %s %s (%s), %s\n", spec.label.c_str(), spec.version.c_str(), spec.qos.c_str(),
              cpus.distinct ? ("CPUs " + std::to_string(cpus.a) + " and " + std::to_string(cpus.b)).c_str()
                            : "WARNING: one usable CPU, both processes share it");
  if (o.settle_seconds > 0) {
    // As shmslot_bench_pingpong does: both vCPUs busy for a while before the first configuration.
    PingPongConfig settle;
    settle.system = PingSystem::CacheLine;
    settle.cpus = cpus;
    settle.warmup = 0;
    settle.roundtrips = ~std::uint64_t{0} >> 8;
    settle.max_seconds = o.settle_seconds;
    (void)run_pingpong(settle);
  }
  doc["peer"] = spec.name;
  doc["label"] = spec.label;
  doc["version"] = spec.version;
  doc["qos"] = spec.qos;
  doc["expected_path"] = spec.expected_path;
  doc["settings"] = {{"roundtrips", o.roundtrips},
                     {"warmup", o.warmup},
                     {"max_seconds", o.max_seconds},
                     {"repetitions", o.repetitions},
                     {"sizes", o.sizes},
                     {"stream_sizes", o.stream_sizes},
                     {"stream_seconds", o.stream_seconds},
                     {"stream_repetitions", o.stream_repetitions}};
  doc["cpus"] = {{"a", cpus.a}, {"b", cpus.b}, {"distinct", cpus.distinct}};
  const auto empty = nlohmann::json::array();
  const nlohmann::json pp =
      o.no_pingpong ? nlohmann::json{{"pingpong", empty}, {"reference", empty}} : pingpong_matrix(spec, o, cpus);
  const nlohmann::json st =
      o.no_stream ? nlohmann::json{{"stream", empty}, {"reference", empty}} : stream_matrix(spec, o, cpus);
  doc["pingpong"] = pp["pingpong"];
  doc["reference"] = pp["reference"];
  doc["stream"] = st["stream"];
  doc["stream_reference"] = st["reference"];
  const bool ok =
      all_ok(doc["pingpong"]) && all_ok(doc["stream"]) && all_ok(doc["reference"]) && all_ok(doc["stream_reference"]);
  doc["ok"] = ok;
  if (!write_json_file(o.json, doc)) return 1;
  return ok ? 0 : 1;
}

}  // namespace shmslot::bench::peers
