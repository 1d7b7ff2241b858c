// Writer in the parent, the sleeping reader (or listener) in a forked child; the child's figures
// come back through a shared mapping. The acknowledgement travels through that mapping, never
// through a measured segment, so it moves no futex word the reader sleeps on.
#include "waitset.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>

#include <shmslot/shmslot.hpp>
#include <shmslot/wait_set.hpp>

#include "bench_clock.hpp"
#include "bench_scratch.hpp"
#include "child_process.hpp"
#include "platform/futex.hpp"

namespace shmslot::bench {

const char* to_string(WakeupVariant v) {
  switch (v) {
    case WakeupVariant::TakeBlocking: return "take_blocking";
    case WakeupVariant::WaitSetOne: return "waitset_1";
    case WakeupVariant::WaitSetMany: return "waitset_many";
    case WakeupVariant::WaitSetManySingleWord: return "waitset_many_single_word";
  }
  return "?";
}

namespace {

// Slots per segment: the reader takes every sample before the next commit, so a few are plenty.
constexpr std::size_t kWakeupSlots = 8;
// Slots of the armed-fd segment: as many as the stream benchmark gives 64 B samples.
constexpr std::size_t kStreamSlots = 256;
// How long either side waits for the other before it calls the run failed.
constexpr std::uint64_t kHandshakeTimeoutNs = 10'000'000'000ULL;
// Time for the listener's set thread to go to sleep after the fd is created.
constexpr auto kSettle = std::chrono::milliseconds(20);

std::uint64_t get_stamp(const std::byte* p) {
  std::uint64_t s = 0;
  std::memcpy(&s, p, sizeof s);
  return s;
}

std::chrono::steady_clock::time_point steady_at(std::uint64_t ns) {
  return std::chrono::steady_clock::time_point{std::chrono::nanoseconds(ns)};
}

const char* mode_text(WaitSetMode m) {
  switch (m) {
    case WaitSetMode::Vectored: return "vectored";
    case WaitSetMode::SingleWord: return "single-word";
    case WaitSetMode::Automatic: return "automatic";
  }
  return "?";
}

// Waits until `ready` says so, the child fails (state -1) or the handshake times out.
template <class Ready>
bool await_child(const std::atomic<int>& state, Ready&& ready) {
  const std::uint64_t deadline = now_ns() + kHandshakeTimeoutNs;
  while (!ready()) {
    if (state.load() == -1 || now_ns() > deadline) return false;
    cpu_relax();
  }
  return true;
}

// ---- wake-up latency ------------------------------------------------------------------------------

struct alignas(64) WakeupShared {
  std::atomic<int> state;  // 0 starting, 1 ready, 2 done, -1 failed
  std::atomic<int> pinned;
  char mode[16];
  char message[160];
  // Samples the reader has taken: written by the reader only, on its own line.
  alignas(64) std::atomic<std::uint64_t> acked;
  // Followed by one commit-to-return latency (ns) per commit.
};

std::uint64_t* latencies(WakeupShared* shared) { return reinterpret_cast<std::uint64_t*>(shared + 1); }

int fail_child(WakeupShared* shared, const std::string& what) {
  std::snprintf(shared->message, sizeof shared->message, "%s", what.c_str());
  shared->state.store(-1);
  return 1;
}

int wakeup_reader(const WakeupConfig& cfg, const std::vector<std::string>& flinks, WakeupShared* shared) {
  shared->pinned.store(pin_to_cpu(cfg.cpus.b) ? 1 : 0);
  std::vector<PosixSlotAllocator> segments;
  segments.reserve(flinks.size());  // the readers and the set keep pointers to them
  for (const auto& flink : flinks) {
    auto seg = PosixSlotAllocator::attach(flink);
    if (!seg) return fail_child(shared, "attach: " + seg.error().message());
    segments.push_back(std::move(*seg));
  }
  std::vector<BasicReader<PosixSlotAllocator>> readers;
  readers.reserve(segments.size());
  for (auto& seg : segments) readers.emplace_back(seg, 0);

  std::optional<WaitSet> set;
  std::vector<std::size_t> reader_of_member;  // WaitSet member id -> index in `readers`
  if (cfg.variant != WakeupVariant::TakeBlocking) {
    WaitSetOptions options;
    if (cfg.variant == WakeupVariant::WaitSetManySingleWord) options.mode = WaitSetMode::SingleWord;
    set.emplace(options);
    for (std::size_t i = 0; i < readers.size(); ++i) {
      auto id = set->add(readers[i]);
      if (!id) return fail_child(shared, "add_reader: " + id.error().message());
      reader_of_member.resize(std::max(reader_of_member.size(), *id + 1));
      reader_of_member[*id] = i;
    }
  }
  std::vector<std::byte> buf(segments.front().slot_capacity());
  const std::uint64_t total = cfg.warmup + cfg.rounds;
  // Generous: a round is a pause and a wake-up; the writer's own handshake gives up first.
  const auto deadline = steady_at(now_ns() + total * (cfg.pause_ns + 10'000'000) + kHandshakeTimeoutNs);
  shared->state.store(1);
  for (std::uint64_t i = 0; i < total; ++i) {
    std::uint64_t returned = 0;
    std::uint64_t stamp = 0;
    if (!set) {
      auto sample = readers.front().take_blocking(WaitLimit::until(deadline));
      returned = now_ns();
      if (!sample) return fail_child(shared, "take_blocking: " + sample.error().message());
      stamp = get_stamp(sample->data());
    } else {
      auto found = set->wait(WaitLimit::until(deadline));
      returned = now_ns();
      if (!found) return fail_child(shared, "wait: " + found.error().message());
      int taken = 0;
      for (const WaitSetEvent& e : found->events) {
        if (e.kind != WaitSetEventKind::Data) continue;
        auto header = readers[reader_of_member[e.id]].take_into(buf);
        if (!header) return fail_child(shared, "take_into: " + header.error().message());
        if (!*header) continue;
        stamp = get_stamp(buf.data());
        ++taken;
      }
      // One commit per round: the set must report exactly that sample.
      if (taken != 1) return fail_child(shared, "wait returned " + std::to_string(taken) + " samples, not 1");
    }
    latencies(shared)[i] = returned - stamp;
    // SYNC: release; the writer's acquire load sees the latency written and the sample taken.
    shared->acked.store(i + 1, std::memory_order_release);
  }
  std::snprintf(shared->mode, sizeof shared->mode, "%s", set ? mode_text(set->mode()) : "-");
  shared->state.store(2);
  return 0;
}

}  // namespace

WakeupResult run_wakeup(const WakeupConfig& config) {
  WakeupResult r;
  const WakeupConfig& cfg = config;
  if (cfg.size < sizeof(std::uint64_t)) {
    r.error = "size must be at least 8 bytes (the stamp)";
    return r;
  }
  const bool many = cfg.variant == WakeupVariant::WaitSetMany || cfg.variant == WakeupVariant::WaitSetManySingleWord;
  const std::size_t count = many ? std::clamp<std::size_t>(cfg.segments, 1, WaitSet::kMaxSegments) : 1;
  const std::uint64_t total = cfg.warmup + cfg.rounds;
  SharedRegion region(sizeof(WakeupShared) + total * sizeof(std::uint64_t));
  if (!region.ok()) {
    r.error = "mmap failed";
    return r;
  }
  auto* shared = region.as<WakeupShared>();
  TempDir dir;
  std::vector<std::string> flinks;
  std::vector<PosixSlotAllocator> segments;
  segments.reserve(count);  // the writers keep pointers to them
  for (std::size_t i = 0; i < count; ++i) {
    flinks.push_back(dir.path() + "/wakeup" + std::to_string(i) + ".flink");
    auto created = PosixSlotAllocator::create(flinks.back(), kWakeupSlots, cfg.size);
    if (!created) {
      r.error = "create: " + created.error().message();
      return r;
    }
    segments.push_back(std::move(*created));
  }
  support::ChildProcess child([&] { return wakeup_reader(cfg, flinks, shared); });
  const bool pinned = pin_to_cpu(cfg.cpus.a);
  std::vector<BasicWriter<PosixSlotAllocator>> writers;
  writers.reserve(count);
  for (auto& seg : segments) writers.emplace_back(seg, ReaderMask{1});  // reader 0 must read every sample
  std::vector<std::byte> src(cfg.size, std::byte{0x5A});

  auto failed = [&](const std::string& what) {
    r.error = shared->state.load() == -1 ? std::string(shared->message) : what;
    return r;
  };
  if (!await_child(shared->state, [&] { return shared->state.load() == 1; })) return failed("reader did not start");
  for (std::uint64_t i = 0; i < total; ++i) {
    // SYNC: acquire; pairs with the reader's release of the previous acknowledgement.
    if (!await_child(shared->state, [&] { return shared->acked.load(std::memory_order_acquire) == i; })) {
      return failed("reader did not take sample " + std::to_string(i));
    }
    // The reader announces its sleep and sleeps within a few µs of the acknowledgement.
    const std::uint64_t acked_at = now_ns();
    while (now_ns() - acked_at < cfg.pause_ns) cpu_relax();
    const std::uint64_t stamp = now_ns();
    std::memcpy(src.data(), &stamp, sizeof stamp);
    if (auto sn = writers[i % count].write(src); !sn) return failed("write: " + sn.error().message());
  }
  if (!await_child(shared->state, [&] { return shared->state.load() == 2; })) return failed("reader did not finish");
  const auto status = child.wait(std::chrono::milliseconds(10'000));
  if (!status || *status != 0) return failed("reader exited with status " + std::to_string(status.value_or(-1)));
  r.latency_us.reserve(cfg.rounds);
  for (std::uint64_t i = cfg.warmup; i < total; ++i)
    r.latency_us.push_back(static_cast<double>(latencies(shared)[i]) / 1e3);
  r.mode = shared->mode;
  r.pinned = pinned && shared->pinned.load() == 1;
  r.ok = true;
  return r;
}

// ---- an armed event fd against a streaming writer ---------------------------------------------------

namespace {

struct alignas(64) ArmedShared {
  std::atomic<int> state;  // 0 starting, 1 listening, 2 done, -1 failed
  std::atomic<int> pinned;
  std::atomic<int> done;  // the writer has finished
  std::atomic<int> signalled;
  char message[160];
};

int listener(const ArmedFdConfig& cfg, const std::string& flink, ArmedShared* shared) {
  shared->pinned.store(pin_to_cpu(cfg.cpus.b) ? 1 : 0);
  auto fail = [&](const std::string& what) {
    std::snprintf(shared->message, sizeof shared->message, "%s", what.c_str());
    shared->state.store(-1);
    return 1;
  };
  auto seg = PosixSlotAllocator::attach(flink);
  if (!seg) return fail("attach: " + seg.error().message());
  std::optional<WaitSet> set;
  int fd = -1;
  if (cfg.with_wait_set) {
    set.emplace();
    if (auto id = set->add_reader(*seg, 0); !id) return fail("add_reader: " + id.error().message());
    auto opened = set->event_fd();
    if (!opened) return fail("event_fd: " + opened.error().message());
    fd = *opened;
  }
  shared->state.store(1);
  // Asleep and never draining: the set's thread signals the fd once, then no announcement stands.
  while (shared->done.load() == 0) ::usleep(10'000);
  if (set) {
    pollfd p{fd, POLLIN, 0};
    shared->signalled.store(::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0 ? 1 : 0);
  }
  shared->state.store(2);
  return 0;
}

}  // namespace

ArmedFdResult run_armed_fd(const ArmedFdConfig& config) {
  const ArmedFdConfig& cfg = config;
  ArmedFdResult r;
  SharedRegion region(sizeof(ArmedShared));
  if (!region.ok()) {
    r.error = "mmap failed";
    return r;
  }
  auto* shared = region.as<ArmedShared>();
  TempDir dir;
  const std::string flink = dir.path() + "/armed.flink";
  auto seg = PosixSlotAllocator::create(flink, kStreamSlots, cfg.size);
  if (!seg) {
    r.error = "create: " + seg.error().message();
    return r;
  }
  support::ChildProcess child([&] { return listener(cfg, flink, shared); });
  const bool pinned = pin_to_cpu(cfg.cpus.a);
  auto failed = [&](const std::string& what) {
    r.error = shared->state.load() == -1 ? std::string(shared->message) : what;
    return r;
  };
  if (!await_child(shared->state, [&] { return shared->state.load() == 1; })) return failed("listener did not start");
  std::this_thread::sleep_for(kSettle);
  // An empty active mask: no slot waits for reader 0, so a reserve never fails and the writer never
  // blocks, while reader 0 (the set's member) still sees every commit as a sample it has not read.
  BasicWriter<PosixSlotAllocator> writer(*seg, ReaderMask{0});
  std::vector<std::byte> src(cfg.size, std::byte{0x5A});
  const platform::FutexCalls before = platform::futex_calls();
  const std::uint64_t t0 = now_ns();
  for (std::uint64_t i = 0; i < cfg.commits; ++i) {
    std::memcpy(src.data(), &i, sizeof i);
    if (auto sn = writer.write(src); !sn) return failed("write: " + sn.error().message());
  }
  const std::uint64_t t1 = now_ns();
  const platform::FutexCalls after = platform::futex_calls();
  shared->done.store(1);
  if (!await_child(shared->state, [&] { return shared->state.load() == 2; })) return failed("listener did not finish");
  const auto status = child.wait(std::chrono::milliseconds(10'000));
  if (!status || *status != 0) return failed("listener exited with status " + std::to_string(status.value_or(-1)));
  r.ns_per_commit = cfg.commits == 0 ? 0 : static_cast<double>(t1 - t0) / static_cast<double>(cfg.commits);
  r.futex_wakes = after.wakes - before.wakes;
  r.fd_signalled = shared->signalled.load() == 1;
  r.pinned = pinned && shared->pinned.load() == 1;
  // With a set, a commit that never reached the fd would make the figure meaningless.
  r.ok = !cfg.with_wait_set || r.fd_signalled;
  if (!r.ok) r.error = "the event fd never became readable";
  return r;
}

}  // namespace shmslot::bench
