// The ping-pong loop every system is measured by, and what a link gives it (bench_pingpong.hpp
// states the method). A Link is built in the parent before fork (shared memory, pipes, segments),
// opened by each side after fork, then sends and receives one stamped hop at a time; drive<Link>()
// is the loop. The links of shmslot and the floors are in bench_pingpong_links.cpp; the peer
// programs (bench/peers/peer_pingpong.cpp) bring their own. A template in a header so that each
// link's send() and recv() are inlined into the loop that times them.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "bench_clock.hpp"
#include "bench_machine.hpp"
#include "bench_pingpong.hpp"
#include "bench_scratch.hpp"
#include "bench_stats.hpp"
#include "child_process.hpp"

namespace shmslot::bench::pingpong_detail {

enum class Role { Pinger, Echoer };

inline constexpr std::uint64_t kStop = ~std::uint64_t{0};
inline constexpr std::uint64_t kFailed = kStop - 1;  // recv gave up: the peer is gone or the deadline passed
inline constexpr std::uint32_t kSpinCheck = 0xFFF;   // spins between two deadline checks

// What the echoer reports back through shared memory.
struct Control {
  std::atomic<int> ready;  // 0 starting, 1 open, -1 failed
  std::atomic<std::uint64_t> verify_errors;
  std::atomic<int> pinned;
  char message[256];
};

inline void put_stamp(std::byte* p, std::uint64_t s) { std::memcpy(p, &s, sizeof s); }
inline std::uint64_t get_stamp(const std::byte* p) {
  std::uint64_t s = 0;
  std::memcpy(&s, p, sizeof s);
  return s;
}

// Stamp at both ends of a buffer: a copy that tore or stopped short shows a mismatch.
inline void stamp_both_ends(std::byte* p, std::size_t size, std::uint64_t s) {
  put_stamp(p, s);
  put_stamp(p + size - sizeof s, s);
}

// Every link keeps a deadline; spinning receivers look at it every kSpinCheck+1 spins.
struct LinkBase {
  std::uint64_t deadline_ns = 0;
  std::uint64_t verify_errors = 0;
  bool expired(std::uint32_t spins) const { return (spins & kSpinCheck) == kSpinCheck && now_ns() > deadline_ns; }
};

int echo_loop(auto& link, Control* control, int cpu) {
  const bool pinned = pin_to_cpu(cpu);
  control->pinned.store(pinned ? 1 : 0);
  const std::string err = link.open(Role::Echoer);
  if (!err.empty()) {
    std::snprintf(control->message, sizeof control->message, "echoer: %s", err.c_str());
    control->ready.store(-1);
    return 1;
  }
  control->ready.store(1);
  for (;;) {
    const std::uint64_t s = link.recv(Role::Echoer);
    if (s == kFailed) break;
    link.send(Role::Echoer, s);
    if (s == kStop) break;
  }
  control->verify_errors.store(link.verify_errors);
  return 0;
}

template <class Link>
PingPongResult drive(const PingPongConfig& cfg) {
  PingPongResult result;
  SharedRegion control_region(sizeof(Control));
  if (!control_region.ok()) {
    result.error = "mmap failed";
    return result;
  }
  auto* control = control_region.as<Control>();
  Link link(cfg);
  if (std::string err = link.prepare(); !err.empty()) {
    result.error = err;
    return result;
  }
  // Generous: the run is capped by max_seconds; this only guards against a peer that died.
  const auto budget_ns = static_cast<std::uint64_t>((cfg.max_seconds + 30.0) * 1e9);
  link.deadline_ns = now_ns() + budget_ns;
  support::ChildProcess child([&] { return echo_loop(link, control, cfg.cpus.b); });
  if (!child.started()) {
    result.error = "fork failed";
    return result;
  }
  const bool pinned = pin_to_cpu(cfg.cpus.a);
  std::string err = link.open(Role::Pinger);
  const std::uint64_t ready_deadline = now_ns() + 10'000'000'000ULL;
  while (err.empty() && control->ready.load() == 0 && now_ns() < ready_deadline) {
    ::usleep(100);
  }
  if (err.empty() && control->ready.load() != 1) {
    err = control->ready.load() == 0 ? "echoer did not start" : control->message;
  }
  if (!err.empty()) {
    child.wait(std::chrono::milliseconds(100));
    result.error = err;
    return result;
  }

  result.samples_us.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(cfg.roundtrips, 1U << 20)));
  const std::uint64_t total = cfg.warmup + cfg.roundtrips;
  const auto cap_ns = static_cast<std::uint64_t>(cfg.max_seconds * 1e9);
  std::uint64_t start = 0;
  std::uint64_t last = 0;
  bool failed = false;
  for (std::uint64_t i = 1; i <= total; ++i) {
    const std::uint64_t t0 = now_ns();
    link.send(Role::Pinger, i);
    const std::uint64_t r = link.recv(Role::Pinger);
    const std::uint64_t t1 = now_ns();
    if (r == kFailed) {
      failed = true;
      break;
    }
    if (r != i) ++link.verify_errors;
    if (i == cfg.warmup) start = t1;
    if (i > cfg.warmup) {
      if (start == 0) start = t0;
      result.samples_us.push_back(static_cast<double>(t1 - t0) / 1000.0);
      last = t1;
      if (t1 - start > cap_ns) break;
    }
  }
  if (!failed) {
    link.send(Role::Pinger, kStop);
    failed = link.recv(Role::Pinger) != kStop;
  }
  const auto code = child.wait(std::chrono::seconds(10));
  result.elapsed_s = static_cast<double>(last - start) / 1e9;
  result.verify_errors = link.verify_errors + control->verify_errors.load();
  result.pinned = pinned && control->pinned.load() == 1;
  result.stats = summarize(result.samples_us);
  if (failed) {
    result.error = "a round trip timed out or the echoer died";
  } else if (!code || *code != 0) {
    result.error = "echoer exited with " + (code ? std::to_string(*code) : std::string("a timeout"));
  } else {
    result.ok = true;
  }
  return result;
}

}  // namespace shmslot::bench::pingpong_detail
