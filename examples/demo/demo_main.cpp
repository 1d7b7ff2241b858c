// shmslot_demo: creates a fresh segment in a fresh temporary directory, starts one writer and two
// reader processes (this same program, re-executed with --role), lets them stream for a few
// seconds, prints what each reader saw, and removes everything it created.
//
//   shmslot_demo [--seconds 3] [--slots 64] [--size 1024] [--rate 0]
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <shmslot/shmslot.hpp>

#include "demo_common.hpp"

namespace shmslot_demo {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

// One child process and the read end of the pipe it reports through.
struct Child {
  std::string name;
  pid_t pid = -1;
  int report_fd = -1;
  std::optional<int> status;  // waitpid status once reaped
};

// Re-executes this program with `role_args` and a report pipe; nullopt if fork or pipe fail.
std::optional<Child> spawn(const char* argv0, std::string name, std::vector<std::string> role_args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  role_args.insert(role_args.begin(), argv0);
  role_args.push_back("--report-fd");
  role_args.push_back(std::to_string(fds[1]));
  // argv is built before fork: the child only calls async-signal-safe functions.
  std::vector<char*> argv;
  for (auto& a : role_args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return std::nullopt;
  }
  if (pid == 0) {
    ::fcntl(fds[1], F_SETFD, 0);  // the write end survives exec, the read end does not
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  return Child{std::move(name), pid, fds[0], std::nullopt};
}

// Waits for the one-byte token a reader sends once it has attached.
bool wait_attached(const Child& child, std::chrono::milliseconds timeout) {
  pollfd p{child.report_fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
  char token = 0;
  return read_all(child.report_fd, &token, 1) && token == 'A';
}

bool exited_ok(const Child& c) { return c.status && WIFEXITED(*c.status) && WEXITSTATUS(*c.status) == 0; }

// Reaps every child; kills them all if one fails, on Ctrl-C, or after `budget`.
void reap_all(std::vector<Child>& children, std::chrono::seconds budget) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  bool killing = false;
  for (;;) {
    bool running = false;
    for (auto& c : children) {
      if (c.status) continue;
      int status = 0;
      if (::waitpid(c.pid, &status, WNOHANG) == c.pid) {
        c.status = status;
        if (!exited_ok(c)) killing = true;
      } else {
        running = true;
      }
    }
    if (!running) return;
    if (g_interrupted != 0 || std::chrono::steady_clock::now() >= deadline) killing = true;
    if (killing) {
      for (auto& c : children) {
        if (!c.status) ::kill(c.pid, SIGKILL);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string describe_exit(const Child& c) {
  if (!c.status) return "not reaped";
  if (WIFEXITED(*c.status)) return fmt::format("exit {}", WEXITSTATUS(*c.status));
  if (WIFSIGNALED(*c.status)) return fmt::format("killed by signal {}", WTERMSIG(*c.status));
  return "stopped";
}

double per_second(std::uint64_t count, std::uint64_t from_ns, std::uint64_t to_ns) {
  return to_ns > from_ns ? static_cast<double>(count) * 1e9 / static_cast<double>(to_ns - from_ns) : 0.0;
}

int orchestrate(const char* argv0, const RunOptions& o) {
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_interrupted = 1; };
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  std::string dir = (std::filesystem::temp_directory_path() / "shmslot-demo-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    fmt::print(stderr, "mkdtemp {}: {}\n", dir, std::strerror(errno));
    return 1;
  }
  const std::string flink = dir + "/demo.flink";
  std::string shm_name;
  std::vector<Child> children;
  WriterReport writer{};
  ReaderReport readers[2]{};
  bool reports_ok = true;
  {
    auto segment = shmslot::PosixSlotAllocator::create(flink, o.slots, o.sample_size);
    if (!segment) {
      fmt::print(stderr, "create {}: {}\n", flink, segment.error().message());
      std::filesystem::remove(dir);
      return 1;
    }
    shm_name = segment->shm_name();
    fmt::print("shmslot {} demo: 1 writer and 2 reader processes, {:.1f} s, {} slots of {} B, rate {}\n",
               shmslot::kVersion, o.seconds, o.slots, o.sample_size,
               o.rate == 0 ? std::string("as fast as the readers go") : fmt::format("{} samples/s", o.rate));
    fmt::print("segment  {} -> /dev/shm{}\n", flink, shm_name);

    const std::vector<std::string> common = {"--flink",   flink,
                                             "--seconds", fmt::format("{}", o.seconds),
                                             "--slots",   std::to_string(o.slots),
                                             "--size",    std::to_string(o.sample_size),
                                             "--rate",    std::to_string(o.rate)};
    auto with = [&](std::vector<std::string> extra) {
      extra.insert(extra.end(), common.begin(), common.end());
      return extra;
    };
    // Readers first, and the writer only once both have attached, so the first samples' latency
    // is not the readers' start-up time.
    bool started = true;
    for (std::uint32_t r = 0; r < 2 && started; ++r) {
      std::vector<std::string> args = {"--role", "reader", "--reader-index", std::to_string(r)};
      if (r == 1) args.push_back("--zero-copy");
      auto child = spawn(argv0, fmt::format("reader {}", r), with(args));
      started = child.has_value();
      if (child) children.push_back(std::move(*child));
    }
    for (const auto& c : children) started = started && wait_attached(c, std::chrono::seconds(10));
    if (started) {
      auto child = spawn(argv0, "writer", with({"--role", "writer"}));
      started = child.has_value();
      if (child) children.push_back(std::move(*child));
    }
    if (!started) fmt::print(stderr, "could not start the demo's processes\n");
    // A generous budget for a run that started; none for one that did not (readers would wait forever).
    reap_all(children, std::chrono::seconds(started ? static_cast<long>(o.seconds) + 60 : 0));
    for (std::size_t i = 0; i < children.size(); ++i) {
      void* report = i < 2 ? static_cast<void*>(&readers[i]) : static_cast<void*>(&writer);
      const std::size_t size = i < 2 ? sizeof(ReaderReport) : sizeof(WriterReport);
      reports_ok = read_all(children[i].report_fd, report, size) && reports_ok;
      ::close(children[i].report_fd);
    }
    reports_ok = reports_ok && started && children.size() == 3;
  }  // the segment's owner goes: flink file and shm object are removed here
  std::error_code ec;
  const bool flink_gone = !std::filesystem::exists(flink, ec);
  const bool shm_gone = !std::filesystem::exists("/dev/shm" + shm_name, ec);
  const bool dir_gone = std::filesystem::remove(dir, ec) && !ec;

  bool ok = reports_ok && flink_gone && shm_gone && dir_gone;
  for (const auto& c : children) {
    if (!exited_ok(c)) fmt::print("{:<8} {}\n", c.name, describe_exit(c));
    ok = ok && exited_ok(c);
  }
  if (children.size() == 3 && reports_ok) {
    const double sent_rate = per_second(writer.sent, writer.first_send_ns, writer.last_send_ns);
    fmt::print("writer   {} samples, {:.0f} samples/s, {:.1f} MB/s; found the segment full {} times\n", writer.sent,
               sent_rate, sent_rate * static_cast<double>(o.sample_size) / 1e6, writer.full);
    fmt::print("{:<6} {:<15} {:>9} {:>10} {:>8} {:>5} {:>4} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}\n", "reader",
               "read with", "samples", "samples/s", "MB/s", "lost", "dup", "order", "corrupt", "waits", "p50 us",
               "p90 us", "p99 us", "max us");
    for (int r = 0; r < 2; ++r) {
      const ReaderReport& x = readers[r];
      const double rate = per_second(x.received, x.first_recv_ns, x.last_recv_ns);
      fmt::print(
          "{:<6} {:<15} {:>9} {:>10.0f} {:>8.1f} {:>5} {:>4} {:>6} {:>8} {:>8} {:>8.1f} {:>8.1f} {:>8.1f} {:>9.1f}\n",
          r, r == 0 ? "read_slot_into" : "slot_read_ptr", x.received, rate,
          per_second(x.bytes, x.first_recv_ns, x.last_recv_ns) / 1e6, x.lost, x.duplicates, x.reordered, x.corrupt,
          x.waits, x.p50_us, x.p90_us, x.p99_us, x.max_us);
      ok = ok && x.error == 0 && x.received == writer.sent && x.lost == 0 && x.duplicates == 0 && x.reordered == 0 &&
           x.corrupt == 0;
    }
  }
  fmt::print("cleanup  flink file {}, /dev/shm{} {}, {} {}\n", flink_gone ? "removed" : "LEFT BEHIND", shm_name,
             shm_gone ? "removed" : "LEFT BEHIND", dir, dir_gone ? "removed" : "LEFT BEHIND");
  if (g_interrupted != 0) {
    fmt::print("result   interrupted\n");
    return 130;
  }
  fmt::print("result   {}\n",
             ok ? "OK: every sample reached both readers once, in order, intact; nothing left behind" : "FAILED");
  return ok ? 0 : 1;
}

}  // namespace

}  // namespace shmslot_demo

int main(int argc, char** argv) {
  using namespace shmslot_demo;
  RunOptions options;
  RoleArgs role_args;
  std::string role;
  CLI::App app{"shmslot demo: one writer and two reader processes stream over a fresh shared-memory segment"};
  app.add_option("--seconds", options.seconds, "how long the writer streams")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--slots", options.slots, "slots in the segment")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--size", options.sample_size, "bytes per sample, its 24-byte header included")
      ->capture_default_str()
      ->check(CLI::Range(sizeof(SampleHeader), std::size_t{1} << 24));
  app.add_option("--rate", options.rate, "samples per second, 0 for as fast as the readers go")->capture_default_str();
  // The child roles: not for people, so not in --help.
  app.add_option("--role", role)->group("")->check(CLI::IsMember({"writer", "reader"}));
  app.add_option("--flink", role_args.flink)->group("");
  app.add_option("--report-fd", role_args.report_fd)->group("");
  app.add_option("--reader-index", role_args.reader_index)->group("");
  app.add_flag("--zero-copy", role_args.zero_copy)->group("");
  CLI11_PARSE(app, argc, argv);

  if (role == "writer") return run_writer(options, role_args);
  if (role == "reader") return run_reader(options, role_args);
  return orchestrate(argv[0], options);
}
