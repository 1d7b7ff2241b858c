// WaitSet across processes: one parent thread sleeps on many segments that writer processes fill;
// a writer SIGKILLed while it holds a loan is reported while the set sleeps; and a writer makes no
// system call per commit once a set has stopped waiting (counted with the ptrace stepper, not timed).
#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <shmslot/shmslot.hpp>
#include <shmslot/wait_set.hpp>

#include "process_group.hpp"
#include "roles.hpp"
#include "support/skip_or_fail.hpp"
#include "support/syscall_stepper.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWatchdog = std::chrono::seconds(120);
constexpr auto kGateTimeout = std::chrono::seconds(30);

// The payload of a sample: which writer, and its running number.
struct Stamp {
  std::uint32_t writer = 0;
  std::uint64_t n = 0;
};

std::span<const std::byte> bytes_of(const Stamp& s) { return std::as_bytes(std::span<const Stamp, 1>(&s, 1)); }

class WaitSetProcesses : public ::testing::TestWithParam<WaitSetMode> {};

// Eight writer processes, one segment each; the parent's one thread takes every sample of all eight
// through one WaitSet, each writer's in order, while another thread of the parent wakes the set now
// and then (a wake is reported, and costs no sample).
TEST_P(WaitSetProcesses, OneThreadTakesEveryStreamOfManySegmentsInOrder) {
  constexpr std::size_t kWriters = Progress::kMaxChildren;
  const std::uint64_t samples = scaled(3000);
  TempFlinkDir dir;
  std::vector<std::unique_ptr<PosixSlotAllocator>> segments;
  std::vector<BasicReader<PosixSlotAllocator>> readers;
  for (std::size_t w = 0; w < kWriters; ++w) {
    auto s = PosixSlotAllocator::create(dir.flink("ws" + std::to_string(w)), 8, 64);
    ASSERT_TRUE(s) << s.error().message();
    segments.push_back(std::make_unique<PosixSlotAllocator>(std::move(*s)));
    auto r = BasicReader<PosixSlotAllocator>::registered(*segments.back());
    ASSERT_TRUE(r);
    readers.push_back(std::move(*r));
  }
  SharedBlock<Progress> progress;
  const Gate go;
  std::vector<ChildProcess> children;
  for (std::size_t w = 0; w < kWriters; ++w) {
    children.emplace_back([&, w] {
      auto segment = PosixSlotAllocator::attach(dir.flink("ws" + std::to_string(w)));
      if (!segment || !go.take(kGateTimeout)) return kExitSetup;
      BasicWriter<PosixSlotAllocator> writer(*segment);
      for (std::uint64_t n = 0; n < samples; ++n) {
        // Lets the parent fall asleep now and then, so that wake-ups are exercised, not only looks.
        if (n % 500 == 0) std::this_thread::sleep_for(1ms);
        if (!writer.write_blocking(bytes_of(Stamp{static_cast<std::uint32_t>(w), n}), WaitLimit::within(kWatchdog))) {
          return kExitApiError;
        }
        progress->count[w].store(n + 1);
      }
      return kExitOk;
    });
    ASSERT_TRUE(children.back().started());
  }
  WaitSet set(WaitSetOptions{.mode = GetParam()});
  std::vector<std::size_t> ids;
  for (auto& r : readers) {
    auto id = set.add(r);
    ASSERT_TRUE(id);
    ids.push_back(*id);
  }
  ASSERT_TRUE(go.post(kWriters));
  std::atomic<bool> done{false};
  std::uint64_t wakes_seen = 0;
  std::thread waker([&] {
    while (!done.load()) {
      set.wake();
      std::this_thread::sleep_for(2ms);
    }
  });
  // Stops and joins the waker however the test body leaves (an ASSERT returns early).
  struct StopWaker {
    std::atomic<bool>& done;
    std::thread& thread;
    ~StopWaker() {
      done = true;
      if (thread.joinable()) thread.join();
    }
  } stop_waker{done, waker};
  std::array<std::uint64_t, kWriters> next{};
  std::uint64_t total = 0;
  const auto deadline = std::chrono::steady_clock::now() + kWatchdog;
  while (total < samples * kWriters) {
    auto found = set.wait(WaitLimit::until(deadline));
    ASSERT_TRUE(found) << "after " << total << " samples: " << found.error().message();
    if (found->woken) ++wakes_seen;
    for (const WaitSetEvent& e : found->events) {
      ASSERT_EQ(e.kind, WaitSetEventKind::Data);
      const std::size_t w = e.id;
      for (;;) {
        auto sample = readers[w].take();
        ASSERT_TRUE(sample);
        if (!*sample) break;
        Stamp s;
        ASSERT_EQ((*sample)->size(), sizeof s);
        std::memcpy(&s, (*sample)->data(), sizeof s);
        ASSERT_EQ(s.writer, w);
        ASSERT_EQ(s.n, next[w]) << "writer " << w << " out of order";
        ++next[w];
        ++total;
      }
    }
  }
  EXPECT_GT(wakes_seen, 0U);
  for (auto& c : children) EXPECT_EQ(c.wait(kWatchdog), std::optional<int>(kExitOk));
}

// A writer process dies holding a loan while the set sleeps on the segment: the set's own reap
// (at least every half lease while it sleeps) finds it and reports PeerDied.
TEST_P(WaitSetProcesses, AWriterKilledWhileTheSetSleepsIsReported) {
  TempFlinkDir dir;
  CreateOptions options;
  options.lease = 200ms;
  auto segment = PosixSlotAllocator::create(dir.flink("dies"), 4, 64, options);
  ASSERT_TRUE(segment) << segment.error().message();
  auto reader = BasicReader<PosixSlotAllocator>::registered(*segment);
  ASSERT_TRUE(reader);
  const Gate loaned;
  ChildProcess writer([&] {
    auto attached = PosixSlotAllocator::attach(dir.flink("dies"));
    if (!attached) return kExitSetup;
    auto loan = attached->reserve_slot(0);
    if (!loan || !loaned.post()) return kExitApiError;
    for (;;) ::pause();  // holds the loan until killed
  });
  ASSERT_TRUE(writer.started());
  ASSERT_TRUE(loaned.take(kGateTimeout));
  WaitSet set(WaitSetOptions{.mode = GetParam()});
  auto id = set.add(*reader);
  ASSERT_TRUE(id);
  // The first wait reaps at once and finds the writer alive: it sleeps until a half lease later.
  std::thread killer([&] {
    std::this_thread::sleep_for(50ms);
    writer.kill(SIGKILL);
  });
  std::optional<WaitSetEvent> died;
  const auto deadline = std::chrono::steady_clock::now() + kWatchdog;
  while (!died) {
    auto found = set.wait(WaitLimit::until(deadline));
    ASSERT_TRUE(found) << found.error().message();
    for (const auto& e : found->events) {
      if (e.kind == WaitSetEventKind::PeerDied) died = e;
    }
  }
  killer.join();
  EXPECT_EQ(died->id, *id);
  EXPECT_EQ(writer.reap(), 128 + SIGKILL);
  // What it held is free: all four slots can be loaned again.
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(segment->reserve_slot(0)) << i;
}

INSTANTIATE_TEST_SUITE_P(BothModes, WaitSetProcesses,
                         ::testing::Values(WaitSetMode::Vectored, WaitSetMode::SingleWord),
                         [](const auto& mode) { return mode.param == WaitSetMode::Vectored ? "Vectored" : "SingleWord"; });

// The system calls a child makes from its stop to its exit, `commits` commits in between (the
// ptrace stepper counts every system-call stop; nullopt where ptrace is not permitted).
std::optional<std::uint32_t> syscall_stops_around(PosixSlotAllocator& segment, std::uint32_t reader, int commits) {
  ChildProcess child([&] {
    if (!trace_me_and_stop()) return 77;
    BasicWriter<PosixSlotAllocator> writer(segment, ReaderMask{1} << reader);
    for (int i = 0; i < commits; ++i) {
      auto loan = writer.loan(sizeof(Stamp));
      if (!loan) return kExitApiError;
      if (!std::move(*loan).commit()) return kExitApiError;
    }
    return kExitOk;
  });
  if (!child.started()) return std::nullopt;
  const SteppingOutcome out = step_syscalls(child.pid(), UINT32_MAX, [] { return true; });
  if (out.end != SteppingOutcome::End::Exited) return std::nullopt;
  child.reaped_as(out.wait_status);
  if (!WIFEXITED(out.wait_status) || WEXITSTATUS(out.wait_status) != kExitOk) return std::nullopt;
  return out.stops;
}

// "No system call per commit while nobody sleeps": a set that has slept on the segment and
// stopped waiting leaves nothing behind that makes commits wake; a WakeAlways segment, which calls
// FUTEX_WAKE on every commit, shows that the count would see it.
TEST(WaitSetSyscalls, ACommitNobodySleepsOnMakesNoSystemCall) {
  TempFlinkDir dir;
  constexpr int kMany = 200;
  auto segment = PosixSlotAllocator::create(dir.flink("quiet"), 2 * kMany + 8, 64);
  ASSERT_TRUE(segment) << segment.error().message();
  auto reader = segment->register_reader();
  ASSERT_TRUE(reader);
  {
    WaitSet set;
    ASSERT_TRUE(set.add_reader(*segment, *reader));
    auto slept = set.wait(WaitLimit::within(20ms));
    ASSERT_FALSE(slept);
    ASSERT_EQ(slept.error().code, SlotErrorCode::TimedOut);
    // The set stays, not waiting: its members must cost the writer nothing.
    const auto few = syscall_stops_around(*segment, *reader, 2);
    if (!few) SHMSLOT_SKIP_OR_FAIL_IN_CI("ptrace is not permitted here (or the child failed)");
    const auto many = syscall_stops_around(*segment, *reader, kMany);
    ASSERT_TRUE(many);
    EXPECT_EQ(*many, *few) << "system calls grew with the commits: " << *few << " for 2, " << *many << " for "
                           << kMany;
  }
  CreateOptions loud;
  loud.notify = NotifyMode::WakeAlways;
  auto always = PosixSlotAllocator::create(dir.flink("loud"), 2 * kMany + 8, 64, loud);
  ASSERT_TRUE(always) << always.error().message();
  auto r = always->register_reader();
  ASSERT_TRUE(r);
  const auto few = syscall_stops_around(*always, *r, 2);
  const auto many = syscall_stops_around(*always, *r, kMany);
  ASSERT_TRUE(few && many);
  EXPECT_GE(*many, *few + 2 * (kMany - 2)) << "the stepper did not see a FUTEX_WAKE per commit";
}

}  // namespace
}  // namespace shmslot::test
