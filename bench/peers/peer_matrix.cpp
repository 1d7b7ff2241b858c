#include "peer_matrix.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "bench_json.hpp"
#include "bench_pingpong.hpp"
#include "peer_pingpong.hpp"
#include "peer_stream.hpp"
#include "stream.hpp"

namespace shmslot::bench::peers {

namespace {

std::string size_text(std::size_t size) {
  if (size >= (1U << 20) && size % (1U << 20) == 0) return std::to_string(size >> 20) + " MiB";
  if (size >= 1024 && size % 1024 == 0) return std::to_string(size >> 10) + " KiB";
  return std::to_string(size) + " B";
}

// Unique per process, configuration and repetition: a process of an earlier run that the
// middleware has not yet forgotten cannot match this one.
std::string topic_name(const PeerSpec& spec, const char* kind, std::size_t k, int rep) {
  return spec.name + "_" + kind + "_" + std::to_string(::getpid()) + "_" + std::to_string(k) + "_" +
         std::to_string(rep);
}

// ---- ping-pong ------------------------------------------------------------------------------------

struct PingEntry {
  PingPongConfig config;
  bool peer = false;  // else shmslot or the cache line, beside the peer
  std::string label;
  std::vector<double> pooled;
  std::vector<LatencyStats> reps;
  std::vector<std::string> errors;
  std::set<std::string> paths;
  std::uint64_t verify_errors = 0;
  bool pinned = true;
};

std::vector<PingEntry> ping_entries(const PeerSpec& spec, const PeerOptions& o, const CpuPair& cpus) {
  PingPongConfig base;
  base.warmup = o.warmup;
  base.roundtrips = o.roundtrips;
  base.max_seconds = o.max_seconds;
  base.cpus = cpus;
  std::vector<PingEntry> out;
  auto add_reference = [&](PingSystem system, std::size_t size, Api api) {
    PingEntry e;
    e.config = base;
    e.config.system = system;
    e.config.size = size;
    e.config.api = api;
    e.config.wait = Wait::Busy;
    e.config.payload = Payload::Full;
    e.label = system_label(e.config);
    out.push_back(e);
  };
  if (!o.no_reference) add_reference(PingSystem::CacheLine, 8, Api::Copy);
  for (std::size_t size : o.sizes) {
    PingEntry e;
    e.config = base;
    e.config.system = PingSystem::ShmRing;  // not looked at by drive(): the link is PeerLink
    e.config.size = size;
    e.peer = true;
    e.label = spec.label;
    out.push_back(e);
    if (o.no_reference) continue;
    add_reference(PingSystem::Shmslot, size, Api::Copy);
    add_reference(PingSystem::Shmslot, size, Api::Loan);
  }
  return out;
}

nlohmann::json ping_json(const PeerSpec& spec, PingEntry& e) {
  const LatencyStats pooled = summarize(e.pooled);
  double lo = 0;
  double hi = 0;
  nlohmann::json reps = nlohmann::json::array();
  for (std::size_t i = 0; i < e.reps.size(); ++i) {
    lo = i == 0 ? e.reps[i].p50 : std::min(lo, e.reps[i].p50);
    hi = i == 0 ? e.reps[i].p50 : std::max(hi, e.reps[i].p50);
    reps.push_back(to_json(e.reps[i]));
  }
  const std::vector<std::string> paths(e.paths.begin(), e.paths.end());
  const bool ok = e.errors.empty() && e.verify_errors == 0 && pooled.count > 0;
  std::printf("%-24s %8s %9.3f %9.3f %9.3f %9.3f %10.3f %8zu %6llu  %s%s\n", e.label.c_str(),
              has_payload(e.config.system) ? size_text(e.config.size).c_str() : "-", pooled.p50, pooled.p90, pooled.p99,
              pooled.p999, pooled.max, pooled.count, static_cast<unsigned long long>(e.verify_errors),
              paths.empty() ? "" : paths.front().c_str(), e.errors.empty() ? "" : ("  " + e.errors.front()).c_str());
  nlohmann::json cdf = nlohmann::json::array();
  for (const auto& [q, v] : cdf_points(e.pooled)) cdf.push_back({q, v});
  return {{"system", e.peer ? spec.name : to_string(e.config.system)},
          {"label", e.label},
          {"size", has_payload(e.config.system) ? e.config.size : 0},
          {"ok", ok},
          {"errors", e.errors},
          {"verify_errors", e.verify_errors},
          {"pinned", e.pinned},
          {"path", paths.empty() ? "" : paths.front()},
          {"paths", paths},
          {"pooled", to_json(pooled)},
          {"p50_spread_us", {lo, hi}},
          {"repetitions", reps},
          {"cdf", cdf}};
}

// ---- stream ---------------------------------------------------------------------------------------

struct StreamEntry {
  PeerStreamConfig config;
  bool peer = false;  // else shmslot beside the peer
  std::string variant;
  std::string label;
  std::vector<PeerStreamResult> results;
};

// shmslot_bench_stream's run, loan API and 1 busy reader (it reads in place as the peers' readers
// do), in the peers' terms.
PeerStreamResult run_reference_stream(const PeerStreamConfig& c) {
  StreamConfig sc;
  sc.system = StreamSystem::Shmslot;
  sc.api = StreamApi::Loan;
  sc.readers = 1;
  sc.blocking = false;
  sc.size = c.size;
  sc.slot_count = c.depth;
  sc.seconds = c.seconds;
  sc.cpus = c.cpus;
  const StreamResult s = run_stream(sc);
  PeerStreamResult r;
  r.ok = s.ok && s.lossless;
  r.error = s.error.empty() && !s.lossless ? "LOSS" : s.error;
  r.path = "shmslot segment";
  r.sent = s.sent;
  r.received = s.readers.empty() ? 0 : s.readers.front().received;
  r.lost = r.sent > r.received ? r.sent - r.received : 0;
  r.gaps = s.readers.empty() ? 0 : s.readers.front().sequence_gaps;
  r.verify_errors = s.readers.empty() ? 0 : s.readers.front().verify_errors;
  r.seconds = s.seconds;
  r.samples_per_s = s.samples_per_s;
  r.gbytes_per_s = s.gbytes_per_s;
  r.end_marker_seen = s.ok;
  r.pinned = s.pinned;
  return r;
}

nlohmann::json to_json(const PeerStreamResult& r) {
  return {{"ok", r.ok},
          {"error", r.error},
          {"path", r.path},
          {"sent", r.sent},
          {"received", r.received},
          {"lost", r.lost},
          {"gaps", r.gaps},
          {"out_of_order", r.out_of_order},
          {"verify_errors", r.verify_errors},
          {"publish_failures", r.publish_failures},
          {"end_marker_seen", r.end_marker_seen},
          {"seconds", r.seconds},
          {"samples_per_s", r.samples_per_s},
          {"gbytes_per_s", r.gbytes_per_s},
          {"sent_per_s", r.sent_per_s},
          {"pinned", r.pinned}};
}

nlohmann::json stream_json(const PeerSpec& spec, const StreamEntry& e) {
  const PeerStreamConfig& c = e.config;
  std::vector<double> rates;
  bool ok = true;
  bool lossless = true;
  std::uint64_t sent = 0;
  std::uint64_t lost = 0;
  std::vector<std::string> errors;
  std::set<std::string> paths;
  nlohmann::json reps = nlohmann::json::array();
  for (const auto& r : e.results) {
    rates.push_back(r.samples_per_s);
    ok = ok && r.ok;
    lossless = lossless && r.ok && r.lost == 0 && r.gaps == 0 && r.out_of_order == 0 && r.verify_errors == 0;
    sent += r.sent;
    lost += r.lost;
    if (!r.error.empty()) errors.push_back(r.error);
    if (!r.path.empty()) paths.insert(r.path);
    reps.push_back(to_json(r));
  }
  std::sort(rates.begin(), rates.end());
  const double median = rates.empty() ? 0 : rates[rates.size() / 2];
  const double gbps = median * static_cast<double>(c.size) / 1e9;
  const std::vector<std::string> path_list(paths.begin(), paths.end());
  std::printf("%-28s %8s %6zu %14.0f %10.3f %12llu %12llu  %s%s\n", e.label.c_str(), size_text(c.size).c_str(), c.depth,
              median, gbps, static_cast<unsigned long long>(sent), static_cast<unsigned long long>(lost),
              path_list.empty() ? "" : path_list.front().c_str(),
              errors.empty() ? "" : ("  " + errors.front()).c_str());
  return {{"system", e.peer ? spec.name : "shmslot"},
          {"label", e.label},
          {"variant", e.variant},
          {"lossless_asked", c.lossless},
          {"size", c.size},
          {"depth", c.depth},
          {"seconds", c.seconds},
          {"ok", ok},
          {"errors", errors},
          {"path", path_list.empty() ? "" : path_list.front()},
          {"paths", path_list},
          {"lossless", lossless},
          {"sent", sent},
          {"lost", lost},
          {"samples_per_s_median", median},
          {"gbytes_per_s_median", gbps},
          {"samples_per_s_min", rates.empty() ? 0 : rates.front()},
          {"samples_per_s_max", rates.empty() ? 0 : rates.back()},
          {"repetitions", reps}};
}

}  // namespace

nlohmann::json pingpong_matrix(const PeerSpec& spec, const PeerOptions& o, const CpuPair& cpus) {
  std::vector<PingEntry> entries = ping_entries(spec, o, cpus);
  for (int rep = 0; rep < o.repetitions; ++rep) {
    for (std::size_t k = 0; k < entries.size(); ++k) {
      PingEntry& e = entries[k];
      PeerPingResult r;
      if (e.peer) {
        r = run_peer_pingpong(spec, e.config, topic_name(spec, "pp", k, rep));
      } else {
        r.result = run_pingpong(e.config);
      }
      if (!r.result.ok) e.errors.push_back(r.result.error);
      if (!r.path.empty()) e.paths.insert(r.path);
      e.verify_errors += r.result.verify_errors;
      e.pinned = e.pinned && r.result.pinned;
      e.reps.push_back(r.result.stats);
      e.pooled.insert(e.pooled.end(), r.result.samples_us.begin(), r.result.samples_us.end());
      std::fprintf(stderr, "rep %d/%d  %-24s %8s  p50 %9.3f us  n=%zu  %s%s\n", rep + 1, o.repetitions, e.label.c_str(),
                   has_payload(e.config.system) ? size_text(e.config.size).c_str() : "-", r.result.stats.p50,
                   r.result.stats.count, r.path.c_str(), r.result.ok ? "" : ("  FAILED: " + r.result.error).c_str());
    }
  }
  std::printf("\n%-24s %8s %9s %9s %9s %9s %10s %8s %6s  %s\n", "system", "size", "p50 us", "p90 us", "p99 us",
              "p99.9 us", "max us", "n", "errors", "path");
  nlohmann::json out = {{"pingpong", nlohmann::json::array()}, {"reference", nlohmann::json::array()}};
  for (auto& e : entries) out[e.peer ? "pingpong" : "reference"].push_back(ping_json(spec, e));
  return out;
}

nlohmann::json stream_matrix(const PeerSpec& spec, const PeerOptions& o, const CpuPair& cpus) {
  std::vector<StreamEntry> entries;
  for (std::size_t size : o.stream_sizes) {
    PeerStreamConfig c;
    c.size = size;
    c.depth = spec.stream_depth ? spec.stream_depth(size) : 16;
    c.seconds = o.stream_seconds;
    c.cpus = cpus;
    for (const StreamVariant& v : spec.stream_variants) {
      StreamEntry e;
      e.config = c;
      e.config.lossless = v.lossless;
      e.peer = true;
      e.variant = v.name;
      e.label = v.name.empty() ? spec.label : spec.label + " " + v.name;
      entries.push_back(e);
    }
    if (o.no_reference) continue;
    StreamEntry e;
    e.config = c;  // the peer's depth as slot count: shmslot_bench_stream's default at these sizes
    e.label = "shmslot loan, 1 reader busy";
    entries.push_back(e);
  }
  for (int rep = 0; rep < o.stream_repetitions; ++rep) {
    for (std::size_t k = 0; k < entries.size(); ++k) {
      StreamEntry& e = entries[k];
      PeerStreamResult r =
          e.peer ? run_peer_stream(spec, e.config, topic_name(spec, "st", k, rep)) : run_reference_stream(e.config);
      std::fprintf(stderr, "rep %d/%d  %-28s %8s  %12.0f samples/s %8.3f GB/s  sent %llu lost %llu  %s%s\n", rep + 1,
                   o.stream_repetitions, e.label.c_str(), size_text(e.config.size).c_str(), r.samples_per_s,
                   r.gbytes_per_s, static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.lost),
                   r.path.c_str(), r.ok ? "" : ("  FAILED: " + r.error).c_str());
      e.results.push_back(std::move(r));
    }
  }
  std::printf("\n%-28s %8s %6s %14s %10s %12s %12s  %s\n", "system", "size", "depth", "samples/s", "GB/s", "sent",
              "lost", "(median of repetitions; sent/lost of all)");
  nlohmann::json out = {{"stream", nlohmann::json::array()}, {"reference", nlohmann::json::array()}};
  for (const auto& e : entries) out[e.peer ? "stream" : "reference"].push_back(stream_json(spec, e));
  return out;
}

}  // namespace shmslot::bench::peers
