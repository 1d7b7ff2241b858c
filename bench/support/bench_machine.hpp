// The machine a benchmark runs on: what a published number needs next to it, and the CPUs the two
// processes of a measurement are pinned to.
#pragma once

#include <string>
#include <vector>

namespace shmslot::bench {

/// What a published number needs next to it: the hardware, the kernel and how the clock works.
struct MachineInfo {
  std::string cpu_model;     ///< "model name" of /proc/cpuinfo
  int nproc_online = 0;      ///< sysconf(_SC_NPROCESSORS_ONLN)
  int nproc_usable = 0;      ///< CPUs in this process's affinity mask (what `nproc` prints)
  std::string kernel;        ///< uname -s -r
  std::string kernel_build;  ///< uname -v
  std::string hostname;
  bool hypervisor = false;   ///< the "hypervisor" CPU flag: a virtual machine
  std::string clocksource;   ///< /sys/devices/system/clocksource/clocksource0/current_clocksource
};

/// Reads /proc, /sys and uname once.
MachineInfo machine_info();

/// The command line as one shell-quoted string, for the JSON record.
std::string command_line(int argc, char** argv);

/// The CPUs this process may run on (sched_getaffinity), ascending.
std::vector<int> usable_cpus();

/// Pins the calling process to one CPU; false if the kernel refuses.
bool pin_to_cpu(int cpu);

/// Two distinct CPUs for a ping-pong pair, or the same one twice when only one is usable.
struct CpuPair {
  int a = 0;
  int b = 0;
  bool distinct = false;
};
CpuPair pick_cpu_pair();

/// pick_cpu_pair(), after printing the run's "# machine" line; then prints where the two roles run
/// ("# writer on CPU 0, readers on CPU 1"), or a warning when they must share one CPU.
CpuPair pick_and_print_cpu_pair(const char* first_role, const char* second_role);

}  // namespace shmslot::bench
