#include "bench_machine.hpp"

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace shmslot::bench {

namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\n");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

// Single quotes unless the word is plainly safe, so the recorded line can be pasted back.
std::string shell_quote(const std::string& word) {
  const bool safe = !word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                            "0123456789-_./=:,+@%") == std::string::npos;
  if (safe) return word;
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

MachineInfo machine_info() {
  MachineInfo m;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon));
    if (key == "model name" && m.cpu_model.empty()) m.cpu_model = trim(line.substr(colon + 1));
    if (key == "flags" && line.find(" hypervisor") != std::string::npos) m.hypervisor = true;
  }
  m.nproc_online = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  m.nproc_usable = static_cast<int>(usable_cpus().size());
  utsname u{};
  if (::uname(&u) == 0) {
    m.kernel = std::string(u.sysname) + " " + u.release;
    m.kernel_build = u.version;
    m.hostname = u.nodename;
  }
  m.clocksource = first_line("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  return m;
}

std::string command_line(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) out += ' ';
    out += shell_quote(argv[i]);
  }
  return out;
}

std::vector<int> usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

bool pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return ::sched_setaffinity(0, sizeof set, &set) == 0;
}

CpuPair pick_cpu_pair() {
  const auto cpus = usable_cpus();
  if (cpus.empty()) return {};
  if (cpus.size() == 1) return {cpus[0], cpus[0], false};
  return {cpus[0], cpus[1], true};
}

CpuPair pick_and_print_cpu_pair(const char* first_role, const char* second_role) {
  const CpuPair cpus = pick_cpu_pair();
  const MachineInfo machine = machine_info();
  std::printf("# %s, %d usable CPUs, %s\n", machine.cpu_model.c_str(), machine.nproc_usable, machine.kernel.c_str());
  if (cpus.distinct) {
    std::printf("# %s on CPU %d, %s on CPU %d\n", first_role, cpus.a, second_role, cpus.b);
  } else {
    std::printf("# WARNING: only one usable CPU (%d): %s and %s share it; these are not cross-core figures\n",
                cpus.a, first_role, second_role);
  }
  return cpus;
}

}  // namespace shmslot::bench
