// Measurement support shared by the benchmark programs in bench/ and the `shmslot bench`
// subcommand: the machine's description, CPU pinning, a clock, latency percentiles, shared anonymous
// memory and forked child processes. Uses only the C library and the C++ standard library, so the
// CLI can compile it in without any other dependency. Header-only, so that `shmslot bench`
// (cmd_bench.cpp) needs no build wiring beyond its own source file.
#pragma once

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <utility>
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

/// Monotonic nanoseconds (steady_clock, vDSO; on this x86 VM backed by the TSC).
inline std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

/// The median cost of one now_ns() call, measured: every per-round-trip sample carries it once.
double timer_overhead_ns();

/// Percentiles of a latency sample (nearest rank), in microseconds.
struct LatencyStats {
  std::size_t count = 0;
  double min = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};

/// Sorts `samples_us` in place and summarises it.
LatencyStats summarize(std::vector<double>& samples_us);

/// The value at quantile q (0..1) of a sorted sample, nearest rank.
double quantile_sorted(const std::vector<double>& sorted, double q);

/// (quantile, value) points of a sorted sample for a CDF plot: dense in the body, denser in the tail.
std::vector<std::pair<double, double>> cdf_points(const std::vector<double>& sorted);

/// A MAP_SHARED | MAP_ANONYMOUS region: inherited by fork, so parent and child share it. Zeroed.
class SharedRegion {
 public:
  explicit SharedRegion(std::size_t bytes);
  ~SharedRegion();
  SharedRegion(const SharedRegion&) = delete;
  SharedRegion& operator=(const SharedRegion&) = delete;

  void* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool ok() const { return data_ != nullptr; }
  template <class T>
  T* as() const {
    return static_cast<T*>(data_);
  }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

/// A forked child running a function whose return value is its exit code (it leaves with _exit, so
/// no destructor of the parent's objects runs twice). The destructor kills and reaps a child that is
/// still running. Fork only from a single-threaded parent.
class Child {
 public:
  explicit Child(const std::function<int()>& body);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child(Child&& other) noexcept;
  Child& operator=(Child&&) = delete;

  bool started() const { return pid_ > 0; }
  /// The exit code, 128+signal when killed, nullopt when still running after `timeout` (then killed).
  std::optional<int> wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

/// A fresh private directory for flink files (mkdtemp under $TMPDIR or /tmp), removed with its
/// contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  bool ok() const { return !path_.empty(); }

 private:
  std::string path_;
};

/// Spin-wait hint for busy loops that wait on another core (PAUSE on x86). The ping-pong loops
/// spin without it so the raw floors and shmslot use the same loop; the streams use it.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// ---- implementation -----------------------------------------------------------------------------
namespace detail {

inline std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

inline std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\n");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

// Single quotes unless the word is plainly safe, so the recorded line can be pasted back.
inline std::string shell_quote(const std::string& word) {
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

}  // namespace detail

inline MachineInfo machine_info() {
  MachineInfo m;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = detail::trim(line.substr(0, colon));
    if (key == "model name" && m.cpu_model.empty()) m.cpu_model = detail::trim(line.substr(colon + 1));
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
  m.clocksource = detail::first_line("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  return m;
}

inline std::string command_line(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) out += ' ';
    out += detail::shell_quote(argv[i]);
  }
  return out;
}

inline std::vector<int> usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

inline bool pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return ::sched_setaffinity(0, sizeof set, &set) == 0;
}

inline CpuPair pick_cpu_pair() {
  const auto cpus = usable_cpus();
  if (cpus.empty()) return {};
  if (cpus.size() == 1) return {cpus[0], cpus[0], false};
  return {cpus[0], cpus[1], true};
}

inline double timer_overhead_ns() {
  constexpr int kRounds = 15;
  constexpr int kCalls = 2000;
  std::vector<double> per_call;
  for (int r = 0; r < kRounds; ++r) {
    const std::uint64_t t0 = now_ns();
    std::uint64_t sink = 0;
    for (int i = 0; i < kCalls; ++i) sink += now_ns();
    const std::uint64_t t1 = now_ns();
    if (sink == 0) per_call.push_back(0);  // never: keeps the loop from being optimised away
    per_call.push_back(static_cast<double>(t1 - t0) / kCalls);
  }
  std::sort(per_call.begin(), per_call.end());
  return per_call[per_call.size() / 2];
}

inline double quantile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least q of the sample at or below it.
  const auto n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(q * n));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

inline LatencyStats summarize(std::vector<double>& samples_us) {
  LatencyStats s;
  s.count = samples_us.size();
  if (samples_us.empty()) return s;
  std::sort(samples_us.begin(), samples_us.end());
  s.min = samples_us.front();
  s.max = samples_us.back();
  s.p50 = quantile_sorted(samples_us, 0.50);
  s.p90 = quantile_sorted(samples_us, 0.90);
  s.p99 = quantile_sorted(samples_us, 0.99);
  s.p999 = quantile_sorted(samples_us, 0.999);
  s.mean = std::accumulate(samples_us.begin(), samples_us.end(), 0.0) / static_cast<double>(samples_us.size());
  return s;
}

inline std::vector<std::pair<double, double>> cdf_points(const std::vector<double>& sorted) {
  std::vector<std::pair<double, double>> out;
  if (sorted.empty()) return out;
  for (int i = 1; i <= 98; ++i) out.emplace_back(i / 100.0, 0.0);
  for (int i = 0; i < 10; ++i) out.emplace_back(0.99 + i * 0.001, 0.0);
  for (int i = 0; i < 10; ++i) out.emplace_back(0.999 + i * 0.0001, 0.0);
  out.emplace_back(1.0, 0.0);
  out.insert(out.begin(), {0.0, 0.0});
  for (auto& [q, v] : out) v = q == 0.0 ? sorted.front() : quantile_sorted(sorted, q);
  return out;
}

inline SharedRegion::SharedRegion(std::size_t bytes) : size_(bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  data_ = p == MAP_FAILED ? nullptr : p;
}

inline SharedRegion::~SharedRegion() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

inline Child::Child(const std::function<int()>& body) {
  pid_ = ::fork();
  if (pid_ == 0) {
    int code = 1;
    try {
      code = body();
    } catch (...) {
      code = 2;
    }
    ::_exit(code);
  }
}

inline Child::Child(Child&& other) noexcept : pid_(other.pid_), reaped_(other.reaped_) { other.pid_ = -1; }

inline Child::~Child() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

inline std::optional<int> Child::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return std::nullopt;
    }
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      reaped_ = true;
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

inline TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/shmslot-bench-XXXXXX";
  if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
}

inline TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace shmslot::bench
