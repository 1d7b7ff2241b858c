// The sleeper registry: who may be asleep on `gen`. A sleeper killed in its sleep must not make every
// later commit pay a FUTEX_WAKE for ever (a reap, or the first commit that wakes nobody, clears its
// mark), a live one is never cleared, and more sleepers than entries are still woken.
#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <chrono>
#include <thread>
#include <vector>

#include "shmslot/shmslot.hpp"
#include "support/child_process.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

using namespace std::chrono_literals;

// Polls `pred` until it holds or the watchdog passes (a hang guard, not a speed claim).
template <class Pred>
bool eventually(Pred pred, std::chrono::seconds watchdog = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + watchdog;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

std::uint32_t waiters(const PosixSlotAllocator& a) { return a.snapshot().waiters; }

// A child that attaches and sleeps in wait_for_change until killed.
ChildProcess sleeping_child(const std::string& flink) {
  return ChildProcess([flink]() -> int {
    auto consumer = PosixSlotAllocator::attach(flink);
    if (!consumer) return 2;
    for (;;) (void)consumer->wait_for_change(consumer->notify_generation(), 3600s);
  });
}

void commit_one(PosixSlotAllocator& a) {
  auto h = a.reserve_slot(0);
  ASSERT_TRUE(h) << h.error().message();
  ASSERT_TRUE(a.commit_slot(*h, std::vector<std::byte>(8)));
}

TEST(PosixSleepers, ASleeperKilledInItsSleepIsClearedByAReap) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_TRUE(owner);
  ChildProcess child = sleeping_child(dir.flink("a"));
  ASSERT_TRUE(eventually([&] { return waiters(*owner) == 1; })) << "the child never went to sleep";
  child.kill(SIGKILL);
  ASSERT_TRUE(child.wait(60s).has_value());
  EXPECT_EQ(waiters(*owner), 1U) << "nothing but a reap may clear a sleeper's mark";
  owner->reap();
  EXPECT_EQ(waiters(*owner), 0U);
}

TEST(PosixSleepers, ACommitThatWakesNobodyClearsADeadSleepersMark) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_TRUE(owner);
  ChildProcess child = sleeping_child(dir.flink("a"));
  ASSERT_TRUE(eventually([&] { return waiters(*owner) == 1; }));
  child.kill(SIGKILL);
  ASSERT_TRUE(child.wait(60s).has_value());
  // The first commit's FUTEX_WAKE finds nobody behind a set bit: this engine reaps the sleepers
  // (its first heal is due at once), so the commits after it skip the system call again.
  ASSERT_NO_FATAL_FAILURE(commit_one(*owner));
  EXPECT_EQ(waiters(*owner), 0U);
}

TEST(PosixSleepers, ALiveSleeperIsNeverClearedAndIsWoken) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  auto consumer = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_TRUE(owner && consumer);
  // A stopped process is alive: its mark stays through a reap.
  ChildProcess child = sleeping_child(dir.flink("a"));
  ASSERT_TRUE(eventually([&] { return waiters(*owner) == 1; }));
  child.kill(SIGSTOP);
  owner->reap();
  EXPECT_EQ(waiters(*owner), 1U);
  // And a thread of this process, asleep beside it, is woken by the next commit.
  const std::uint64_t g0 = consumer->notify_generation();
  std::atomic<bool> changed{false};
  std::thread sleeper([&] { changed = consumer->wait_for_change(g0, 3600s); });
  ASSERT_TRUE(eventually([&] { return waiters(*owner) == 2; }));
  owner->reap();
  EXPECT_EQ(waiters(*owner), 2U);
  ASSERT_NO_FATAL_FAILURE(commit_one(*owner));
  sleeper.join();  // a lost wake-up hangs here until ctest's timeout
  EXPECT_TRUE(changed);
  child.kill(SIGKILL);
  ASSERT_TRUE(child.wait(60s).has_value());
  owner->reap();
  EXPECT_EQ(waiters(*owner), 0U);
}

// /proc/<pid>/stat shows a process whose main thread left as 'Z' while its other
// threads run: it is alive, and a reap must keep its sleeper's mark.
TEST(PosixSleepers, AProcessWhoseMainThreadLeftIsAliveAndKeepsItsMark) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  ASSERT_TRUE(owner);
  static std::string flink;
  flink = dir.flink("a");
  ChildProcess child([]() -> int {
    pthread_t thread;
    const int rc = ::pthread_create(
        &thread, nullptr,
        [](void*) -> void* {
          auto consumer = PosixSlotAllocator::attach(flink);
          if (consumer) {
            for (;;) (void)consumer->wait_for_change(consumer->notify_generation(), 3600s);
          }
          return nullptr;
        },
        nullptr);
    if (rc != 0) return 2;
    // The leader goes (the exit system call ends only the calling thread, and unwinds nothing), and
    // the process lives on in its other thread.
    ::syscall(SYS_exit, 0);
    return 3;
  });
  ASSERT_TRUE(eventually([&] { return waiters(*owner) == 1; }));
  owner->reap();
  EXPECT_EQ(waiters(*owner), 1U) << "a live process was taken for dead";
  child.kill(SIGKILL);
  ASSERT_TRUE(child.wait(60s).has_value());
  owner->reap();
  EXPECT_EQ(waiters(*owner), 0U);
}

TEST(PosixSleepers, MoreSleepersThanEntriesAreCountedAndAllWoken) {
  TempFlinkDir dir;
  auto owner = PosixSlotAllocator::create(dir.flink("a"), 4, 64);
  auto consumer = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_TRUE(owner && consumer);
  constexpr int kSleepers = 40;  // 32 tracked entries, 8 counted untracked
  const std::uint64_t g0 = consumer->notify_generation();
  std::atomic<int> changed{0};
  std::vector<std::thread> sleepers;
  for (int t = 0; t < kSleepers; ++t) {
    sleepers.emplace_back([&] { changed += consumer->wait_for_change(g0, 3600s) ? 1 : 0; });
  }
  ASSERT_TRUE(eventually([&] { return waiters(*owner) == kSleepers; }));
  ASSERT_NO_FATAL_FAILURE(commit_one(*owner));
  for (auto& t : sleepers) t.join();
  EXPECT_EQ(changed.load(), kSleepers);
  EXPECT_EQ(waiters(*owner), 0U);
}

}  // namespace
}  // namespace shmslot::test
