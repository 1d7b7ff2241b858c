// JSON pieces every benchmark program writes: the machine, the command line, latency statistics.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bench_machine.hpp"
#include "bench_stats.hpp"

namespace shmslot::bench {

/// {"cpu_model", "nproc_online", "nproc_usable", "kernel", "kernel_build", "hostname", "hypervisor",
/// "clocksource"}.
nlohmann::json to_json(const MachineInfo& m);

/// {"count", "min_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "mean_us"}.
nlohmann::json to_json(const LatencyStats& s);

/// The record every program starts with: benchmark name, method, machine, command line, timer cost.
nlohmann::json run_header(const std::string& benchmark, const std::string& method, int argc, char** argv);

/// Writes `doc` (indented) to `path`, creating parent directories; false with a message on stderr.
bool write_json_file(const std::string& path, const nlohmann::json& doc);

}  // namespace shmslot::bench
