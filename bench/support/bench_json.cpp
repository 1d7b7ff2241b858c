#include "bench_json.hpp"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "bench_clock.hpp"

namespace shmslot::bench {

nlohmann::json to_json(const MachineInfo& m) {
  return {{"cpu_model", m.cpu_model},   {"nproc_online", m.nproc_online}, {"nproc_usable", m.nproc_usable},
          {"kernel", m.kernel},         {"kernel_build", m.kernel_build}, {"hostname", m.hostname},
          {"hypervisor", m.hypervisor}, {"clocksource", m.clocksource}};
}

nlohmann::json to_json(const LatencyStats& s) {
  return {{"count", s.count},   {"min_us", s.min},   {"p50_us", s.p50},   {"p90_us", s.p90},
          {"p99_us", s.p99},    {"p999_us", s.p999}, {"max_us", s.max},   {"mean_us", s.mean}};
}

nlohmann::json run_header(const std::string& benchmark, const std::string& method, int argc, char** argv) {
  char when[64] = "";
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  if (::gmtime_r(&t, &tm) != nullptr) std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {{"benchmark", benchmark},
          {"method", method},
          {"date_utc", when},
          {"command_line", command_line(argc, argv)},
          {"machine", to_json(machine_info())},
          {"timer_overhead_ns", timer_overhead_ns()}};
}

bool write_json_file(const std::string& path, const nlohmann::json& doc) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ofstream out(path);
  out << doc.dump(2) << '\n';
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    return false;
  }
  std::fprintf(stderr, "wrote %s\n", path.c_str());
  return true;
}

}  // namespace shmslot::bench
