// shmslot_bench_ops: the cost of single slot operations against slot count (Google Benchmark).
//
// Method. One process, pinned to one CPU, 64-byte payloads (slot stride 128 bytes), slot counts 16,
// 256, 4096 and 65536, for InMemorySlotAllocator, PosixSlotAllocator and a bare ring of the same slot
// count and stride (the same slot-array footprint; only indexing, a header word and the memcpy) so
// that cache and TLB effects of the footprint can be divided out of shmslot's growth:
//   reserve_commit         reserve_slot(mask 0) + commit_slot(64 B); ring: next slot, memcpy, header
//   next_unread_mark_read  next_unread_slot(r) + mark_read(r) over a segment filled with n samples
//                          unread by 32 readers; each reader in turn reads all n (the fill is not
//                          timed: manual timing per batch of 32n, minus the cost of one clock read);
//                          ring: check the header's sequence number, set the reader's bit in it
//                          (64 times as many passes per fill: its reads cost about 1 ns)
//   read_slot_into         read_slot_into of committed slots round-robin (64 B seqlock copy);
//                          ring: header check + memcpy
// Every benchmark first touches every slot once (no page faults in the timed part) and reports the
// counter ns_per_op: thread CPU time (CLOCK_THREAD_CPUTIME_ID) per operation, so time the shared
// vCPU gives to other processes is not counted (Google Benchmark's own real_time column is wall
// clock, and its manual time is the CPU time of the batches). Defaults keep a run short
// (--benchmark_min_time=0.1, --benchmark_repetitions=3 unless given); pass larger values to run
// longer. Use --benchmark_format=json for the record; the JSON context carries the CPU model,
// nproc, kernel, the method and the exact command line.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <shmslot/shmslot.hpp>

#include "bench_clock.hpp"
#include "bench_machine.hpp"
#include "bench_scratch.hpp"

namespace {

using namespace shmslot;

constexpr std::size_t kPayload = 64;
constexpr std::size_t kStride = 128;  // slot_total_size for 64 bytes: 16-byte header + 64, rounded to 64
// next_unread_mark_read: 32 readers each read the n samples of one fill, so a timed batch holds 32n
// operations (512 at 16 slots) and the two clock reads around it stay small against it.
constexpr std::uint32_t kBatchReaders = 32;
// The bare ring's reads cost about 1 ns: it makes 64 times as many passes per fill (reader bit
// r % 32), so that its batches too are long against the clock read.
constexpr std::uint32_t kRingPasses = kBatchReaders * 64;
constexpr ReaderMask kAllReaders = ~ReaderMask{0};
const std::vector<std::int64_t> kSlotCounts{16, 256, 4096, 65536};

constexpr const char* kMethod =
    "One process pinned to one CPU; 64-byte payloads (slot stride 128 B); slot counts 16..65536; "
    "InMemorySlotAllocator, PosixSlotAllocator and a bare ring of the same slot count and stride "
    "(indexing + header word + memcpy only). next_unread_mark_read is timed per batch: 32 readers each "
    "read the n samples of one fill (fill untimed, one clock read subtracted). Every slot is "
    "touched before timing. Counter ns_per_op is thread CPU time per operation (preemption by other "
    "processes on the shared vCPU excluded; their cache pollution not).";

std::string g_flink_dir;  // a TempDir made in main
double g_clock_read_ns = 0;  // cost of one cpu_now_ns(), subtracted from every timed batch

// Thread CPU time: the time the vCPU spent on other processes (this machine is shared) is not
// counted, unlike wall-clock time; what they do to the caches still is.
std::uint64_t cpu_now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

double cpu_clock_cost_ns() {
  std::vector<double> per_call;
  for (int r = 0; r < 15; ++r) {
    const std::uint64_t t0 = cpu_now_ns();
    for (int i = 0; i < 200; ++i) benchmark::DoNotOptimize(cpu_now_ns());
    per_call.push_back(static_cast<double>(cpu_now_ns() - t0) / 201.0);
  }
  std::sort(per_call.begin(), per_call.end());
  return per_call[per_call.size() / 2];
}

std::unique_ptr<SlotBackend> make_backend(const std::string& kind, std::size_t n) {
  static int counter = 0;
  if (kind == "inmemory") {
    auto b = InMemorySlotAllocator::create(1, n, kPayload);
    return b ? std::make_unique<InMemorySlotAllocator>(std::move(*b)) : nullptr;
  }
  auto b = PosixSlotAllocator::create(g_flink_dir + "/ops-" + std::to_string(++counter) + ".flink", n, kPayload);
  return b ? std::make_unique<PosixSlotAllocator>(std::move(*b)) : nullptr;
}

const std::byte* payload() {
  static const std::vector<std::byte> p(kPayload, std::byte{0x5A});
  return p.data();
}

// Fills every slot once with committed samples for `mask`; the handles, in slot order of the fill.
std::vector<SlotHandle> fill(SlotBackend& b, std::size_t n, ReaderMask mask) {
  std::vector<SlotHandle> handles;
  handles.reserve(n);
  for (std::size_t k = 0; k < n; ++k) {
    auto h = b.reserve_slot(mask);
    if (!h || !b.commit_slot(*h, std::span<const std::byte>(payload(), kPayload))) return {};
    handles.push_back(*h);
  }
  return handles;
}

void finish(benchmark::State& state, double ns, double ops) {
  state.counters["ns_per_op"] = ops > 0 ? ns / ops : 0;
}

// ---- shmslot ---------------------------------------------------------------------------------------

void shmslot_reserve_commit(benchmark::State& state, const std::string& kind) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto b = make_backend(kind, n);
  if (!b || fill(*b, n, 0).size() != n) {
    state.SkipWithError("setup failed");
    return;
  }
  const std::span<const std::byte> bytes(payload(), kPayload);
  const std::uint64_t t0 = cpu_now_ns();
  for (auto _ : state) {
    auto h = b->reserve_slot(0);
    if (!h) {
      state.SkipWithError("reserve failed");
      break;
    }
    auto c = b->commit_slot(*h, bytes);
    benchmark::DoNotOptimize(c);
  }
  finish(state, static_cast<double>(cpu_now_ns() - t0), static_cast<double>(state.iterations()));
}

void shmslot_next_unread_mark_read(benchmark::State& state, const std::string& kind) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto b = make_backend(kind, n);
  if (!b) {
    state.SkipWithError("setup failed");
    return;
  }
  double total_ns = 0;
  double ops = 0;
  for (auto _ : state) {
    if (fill(*b, n, kAllReaders).size() != n) {  // n samples unread by every reader; not timed
      state.SkipWithError("fill failed");
      break;
    }
    bool ok = true;
    const std::uint64_t t0 = cpu_now_ns();
    for (std::uint32_t r = 0; r < kBatchReaders; ++r) {
      for (std::size_t k = 0; k < n; ++k) {
        auto h = b->next_unread_slot(r);
        ok = ok && h && *h && b->mark_read(**h, r);
      }
    }
    const std::uint64_t t1 = cpu_now_ns();
    if (!ok) {
      state.SkipWithError("next_unread_slot or mark_read failed");
      break;
    }
    const double ns = std::max(0.0, static_cast<double>(t1 - t0) - g_clock_read_ns);
    state.SetIterationTime(ns / 1e9);
    total_ns += ns;
    ops += static_cast<double>(n * kBatchReaders);
  }
  finish(state, total_ns, ops);
}

void shmslot_read_slot_into(benchmark::State& state, const std::string& kind) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto b = make_backend(kind, n);
  const auto handles = b ? fill(*b, n, 0) : std::vector<SlotHandle>{};
  if (handles.size() != n) {
    state.SkipWithError("setup failed");
    return;
  }
  std::vector<std::byte> out(kPayload);
  std::size_t k = 0;
  const std::uint64_t t0 = cpu_now_ns();
  for (auto _ : state) {
    auto r = b->read_slot_into(handles[k], out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
    k = (k + 1) & (n - 1);
  }
  finish(state, static_cast<double>(cpu_now_ns() - t0), static_cast<double>(state.iterations()));
}

// ---- bare ring: the same slot array, nothing but indexing, one header word and the memcpy ---------

struct RingHeader {
  std::atomic<std::uint64_t> seq;
  std::atomic<std::uint32_t> size;
  std::atomic<std::uint32_t> read_mask;
};
static_assert(sizeof(RingHeader) == 16);

class BareRing {
 public:
  explicit BareRing(std::size_t n)
      : n_(n), mem_(static_cast<std::byte*>(std::aligned_alloc(64, n * kStride)), &std::free) {
    std::memset(mem_.get(), 0, n * kStride);  // faulted in, as shmslot's fill does
  }
  RingHeader& header(std::uint64_t i) const { return *reinterpret_cast<RingHeader*>(slot(i)); }
  std::byte* slot(std::uint64_t i) const { return mem_.get() + (i & (n_ - 1)) * kStride; }
  void commit(const std::byte* src) {
    std::byte* s = slot(write_);
    std::memcpy(s + 16, src, kPayload);
    RingHeader& h = header(write_);
    h.size.store(static_cast<std::uint32_t>(kPayload), std::memory_order_relaxed);
    h.read_mask.store(0, std::memory_order_relaxed);
    h.seq.store(write_, std::memory_order_release);
    ++write_;
  }
  // Reader r checks the next slot's sequence number and sets its bit in the slot's read mask.
  bool next_and_mark(std::uint32_t r) {
    RingHeader& h = header(read_);
    const bool ok = h.seq.load(std::memory_order_acquire) == read_;
    h.read_mask.store(h.read_mask.load(std::memory_order_relaxed) | (1U << r), std::memory_order_release);
    ++read_;
    return ok;
  }
  // The next reader starts at the oldest sample the last fill wrote.
  void rewind_reader() { read_ = write_ - n_; }
  std::size_t n() const { return n_; }

 private:
  std::size_t n_;
  std::unique_ptr<std::byte, decltype(&std::free)> mem_;
  std::uint64_t write_ = 0;
  std::uint64_t read_ = 0;
};

void ring_reserve_commit(benchmark::State& state) {
  BareRing ring(static_cast<std::size_t>(state.range(0)));
  const std::uint64_t t0 = cpu_now_ns();
  for (auto _ : state) {
    ring.commit(payload());
    benchmark::ClobberMemory();
  }
  finish(state, static_cast<double>(cpu_now_ns() - t0), static_cast<double>(state.iterations()));
}

void ring_next_mark(benchmark::State& state) {
  BareRing ring(static_cast<std::size_t>(state.range(0)));
  const std::size_t n = ring.n();
  double total_ns = 0;
  double ops = 0;
  for (auto _ : state) {
    for (std::size_t k = 0; k < n; ++k) ring.commit(payload());
    bool ok = true;
    const std::uint64_t t0 = cpu_now_ns();
    for (std::uint32_t r = 0; r < kRingPasses; ++r) {
      ring.rewind_reader();
      for (std::size_t k = 0; k < n; ++k) ok = ring.next_and_mark(r % kBatchReaders) && ok;
    }
    const std::uint64_t t1 = cpu_now_ns();
    if (!ok) {
      state.SkipWithError("ring out of sequence");
      break;
    }
    benchmark::ClobberMemory();
    const double ns = std::max(0.0, static_cast<double>(t1 - t0) - g_clock_read_ns);
    state.SetIterationTime(ns / 1e9);
    total_ns += ns;
    ops += static_cast<double>(n * kRingPasses);
  }
  finish(state, total_ns, ops);
}

void ring_read(benchmark::State& state) {
  BareRing ring(static_cast<std::size_t>(state.range(0)));
  const std::size_t n = ring.n();
  for (std::size_t k = 0; k < n; ++k) ring.commit(payload());
  std::vector<std::byte> out(kPayload);
  std::uint64_t k = 0;
  const std::uint64_t t0 = cpu_now_ns();
  for (auto _ : state) {
    const std::uint64_t seq = ring.header(k).seq.load(std::memory_order_acquire);
    std::memcpy(out.data(), ring.slot(k) + 16, kPayload);
    benchmark::DoNotOptimize(seq);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    ++k;
  }
  finish(state, static_cast<double>(cpu_now_ns() - t0), static_cast<double>(state.iterations()));
}

void register_all() {
  auto slots = [](benchmark::internal::Benchmark* b) {
    b->ArgName("slots")->Unit(benchmark::kNanosecond);
    for (auto n : kSlotCounts) b->Arg(n);
  };
  for (const std::string kind : {"inmemory", "posix"}) {
    slots(benchmark::RegisterBenchmark(("reserve_commit/" + kind).c_str(), shmslot_reserve_commit, kind));
    slots(benchmark::RegisterBenchmark(("next_unread_mark_read/" + kind).c_str(), shmslot_next_unread_mark_read, kind)
              ->UseManualTime());
    slots(benchmark::RegisterBenchmark(("read_slot_into/" + kind).c_str(), shmslot_read_slot_into, kind));
  }
  slots(benchmark::RegisterBenchmark("reserve_commit/ring", ring_reserve_commit));
  slots(benchmark::RegisterBenchmark("next_unread_mark_read/ring", ring_next_mark)->UseManualTime());
  slots(benchmark::RegisterBenchmark("read_slot_into/ring", ring_read));
}

bool has_flag(int argc, char** argv, const char* prefix) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix, std::strlen(prefix)) == 0) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (has_flag(argc, argv, "--help") || has_flag(argc, argv, "-h")) {
    std::printf("shmslot_bench_ops: cost of single slot operations against slot count, beside a bare ring.\n"
                "Method: %s\nDefaults unless given: --benchmark_min_time=0.1 --benchmark_repetitions=3.\n"
                "Google Benchmark's flags follow.\n\n",
                kMethod);
  }
  // Short by default; explicit flags win.
  std::vector<char*> args(argv, argv + argc);
  std::string min_time = "--benchmark_min_time=0.1";
  std::string reps = "--benchmark_repetitions=3";
  if (!has_flag(argc, argv, "--benchmark_min_time")) args.push_back(min_time.data());
  if (!has_flag(argc, argv, "--benchmark_repetitions")) args.push_back(reps.data());
  int n_args = static_cast<int>(args.size());
  args.push_back(nullptr);

  const std::string command = bench::command_line(argc, argv);
  const auto machine = bench::machine_info();
  const auto cpus = bench::pick_cpu_pair();
  const bool pinned = bench::pin_to_cpu(cpus.a);
  g_clock_read_ns = cpu_clock_cost_ns();

  benchmark::AddCustomContext("method", kMethod);
  benchmark::AddCustomContext("command_line", command);
  benchmark::AddCustomContext("cpu_model", machine.cpu_model);
  benchmark::AddCustomContext("nproc_usable", std::to_string(machine.nproc_usable));
  benchmark::AddCustomContext("kernel", machine.kernel + " " + machine.kernel_build);
  benchmark::AddCustomContext("hypervisor", machine.hypervisor ? "yes" : "no");
  benchmark::AddCustomContext("clocksource", machine.clocksource);
  benchmark::AddCustomContext("pinned_cpu", pinned ? std::to_string(cpus.a) : "none");
  benchmark::AddCustomContext("cpu_clock_read_ns", std::to_string(g_clock_read_ns));
  benchmark::Initialize(&n_args, args.data());
  if (benchmark::ReportUnrecognizedArguments(n_args, args.data())) return 1;
  // After Initialize, which exits by itself for --help: the directory is removed on every return.
  bench::TempDir dir;
  if (!dir.ok()) return 1;
  g_flink_dir = dir.path();
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
