// WaitSet over every backend and in both sleeping modes: what makes a member ready, what wakes a
// sleeping set (a commit, a mark_read for a held-back writer, wake(), a stop), what it refuses, and
// the edge-armed event fd.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stop_token>
#include <thread>
#include <vector>

#include "backend_fixture.hpp"
#include "shmslot/wait_set.hpp"

namespace shmslot::test {
namespace {

using namespace std::chrono_literals;

// Generous: no bound on how fast a wake-up is, only that it comes. The POSIX segments below have a
// 60 s lease, so a sleeping set looks again by itself only every 30 s: a wake-up lost on the way
// ends a wait with TimedOut at this deadline instead of being hidden by the next half-lease look.
// (The in-memory backend's lease is the default 250 ms: there the tests check results, not wake-ups.)
constexpr auto kWatchdog = 20s;
constexpr auto kLongLease = 60s;

template <class Kind>
class WaitSetTest : public BackendTest<Kind> {
 protected:
  static constexpr WaitSetMode kModes[] = {WaitSetMode::Vectored, WaitSetMode::SingleWord};
  // Runs `body` once per mode, with a fresh backend each time.
  template <class Body>
  void in_each_mode(Body body) {
    for (const WaitSetMode mode : kModes) {
      SCOPED_TRACE(mode == WaitSetMode::Vectored ? "vectored" : "single-word");
      CreateOptions options;
      options.lease = kLongLease;
      this->make_with(4, 64, options);
      WaitSet set(WaitSetOptions{.mode = mode, .poll_interval = 1ms});
      ASSERT_EQ(set.mode(), mode);
      body(set);
    }
  }
  std::uint32_t registered_reader() {
    auto r = this->reader().register_reader();
    EXPECT_TRUE(r);
    return r.value_or(0);
  }
};
TYPED_TEST_SUITE(WaitSetTest, BackendKinds, KindNames);

bool has(const WaitSetResult& r, WaitSetEvent e) {
  return std::find(r.events.begin(), r.events.end(), e) != r.events.end();
}

TYPED_TEST(WaitSetTest, AnEmptySetTimesOut) {
  this->in_each_mode([](WaitSet& set) {
    auto r = set.wait(WaitLimit::within(20ms));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, SlotErrorCode::TimedOut);
  });
}

TYPED_TEST(WaitSetTest, AReaderIsReadyWhileItHasASample) {
  this->in_each_mode([this](WaitSet& set) {
    const std::uint32_t reader = this->registered_reader();
    auto id = set.add_reader(this->reader(), reader);
    ASSERT_TRUE(id);
    auto none = set.wait(WaitLimit::within(20ms));
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, SlotErrorCode::TimedOut);

    this->publish(bytes_of({7}), ReaderMask{1} << reader);
    auto ready = set.wait(WaitLimit::within(kWatchdog));
    ASSERT_TRUE(ready);
    EXPECT_TRUE(has(*ready, {*id, WaitSetEventKind::Data}));
    // Level-triggered: still ready until the sample is read.
    auto again = set.poll();
    ASSERT_TRUE(again);
    EXPECT_TRUE(has(*again, {*id, WaitSetEventKind::Data}));
    auto taken = BasicReader<SlotBackend>(this->reader(), reader).take();
    ASSERT_TRUE(taken && *taken);
    taken->reset();
    auto after = set.poll();
    ASSERT_TRUE(after);
    EXPECT_TRUE(after->events.empty());
  });
}

TYPED_TEST(WaitSetTest, ACommitFromAnotherThreadWakesTheSleepingSet) {
  this->in_each_mode([this](WaitSet& set) {
    const std::uint32_t reader = this->registered_reader();
    auto id = set.add_reader(this->reader(), reader);
    ASSERT_TRUE(id);
    std::thread writer([&] {
      std::this_thread::sleep_for(50ms);
      this->publish(bytes_of({1}), ReaderMask{1} << reader);
    });
    auto ready = set.wait(WaitLimit::within(kWatchdog));
    writer.join();
    ASSERT_TRUE(ready);
    EXPECT_TRUE(has(*ready, {*id, WaitSetEventKind::Data}));
  });
}

TYPED_TEST(WaitSetTest, AHeldBackWriterIsWokenWhenTheReaderFreesASlot) {
  this->in_each_mode([this](WaitSet& set) {
    const std::uint32_t reader = this->registered_reader();
    const ReaderMask mask = ReaderMask{1} << reader;
    for (int i = 0; i < 4; ++i) this->publish(bytes_of({i}), mask);
    auto id = set.add_writer(this->writer(), mask);
    ASSERT_TRUE(id);
    auto full = set.wait(WaitLimit::within(20ms));
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code, SlotErrorCode::TimedOut);
    std::thread frees([&] {
      std::this_thread::sleep_for(50ms);
      auto taken = BasicReader<SlotBackend>(this->reader(), reader).take();
      EXPECT_TRUE(taken && *taken);
    });
    auto ready = set.wait(WaitLimit::within(kWatchdog));
    frees.join();
    ASSERT_TRUE(ready);
    EXPECT_TRUE(has(*ready, {*id, WaitSetEventKind::SlotFree}));
  });
}

TYPED_TEST(WaitSetTest, WakeFromAnotherThreadEndsTheWaitAndIsKeptWhenNobodyWaits) {
  this->in_each_mode([this](WaitSet& set) {
    ASSERT_TRUE(set.add_reader(this->reader(), this->registered_reader()));
    std::thread waker([&] {
      std::this_thread::sleep_for(50ms);
      set.wake();
    });
    auto woken = set.wait(WaitLimit::within(kWatchdog));
    waker.join();
    ASSERT_TRUE(woken);
    EXPECT_TRUE(woken->woken);
    EXPECT_TRUE(woken->events.empty());
    set.wake();  // before the wait: the wait returns at once
    auto kept = set.wait(WaitLimit::within(kWatchdog));
    ASSERT_TRUE(kept);
    EXPECT_TRUE(kept->woken);
    auto gone = set.wait(WaitLimit::within(20ms));  // and only once
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, SlotErrorCode::TimedOut);
  });
}

TYPED_TEST(WaitSetTest, AStopRequestEndsTheWait) {
  this->in_each_mode([this](WaitSet& set) {
    ASSERT_TRUE(set.add_reader(this->reader(), this->registered_reader()));
    std::stop_source stop;
    std::thread stopper([&] {
      std::this_thread::sleep_for(50ms);
      stop.request_stop();
    });
    auto r = set.wait(WaitLimit::within(kWatchdog, stop.get_token()));
    stopper.join();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, SlotErrorCode::Stopped);
  });
}

TYPED_TEST(WaitSetTest, RefusesBadMembersClearly) {
  this->in_each_mode([this](WaitSet& set) {
    auto bad = set.add_reader(this->reader(), kMaxReaders);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, SlotErrorCode::ReaderIndexOutOfRange);
    auto unknown = set.remove(5);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, SlotErrorCode::OutOfBounds);
    auto id = set.add_reader(this->reader(), this->registered_reader());
    ASSERT_TRUE(id);
    EXPECT_EQ(set.size(), 1U);
    ASSERT_TRUE(set.remove(*id));
    EXPECT_EQ(set.size(), 0U);
    EXPECT_EQ(set.segment_count(), 0U);
    auto twice = set.remove(*id);
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().code, SlotErrorCode::OutOfBounds);
  });
}

TYPED_TEST(WaitSetTest, ReadersOfOneBackendShareItsWord) {
  this->in_each_mode([this](WaitSet& set) {
    ASSERT_TRUE(set.add_reader(this->reader(), this->registered_reader()));
    ASSERT_TRUE(set.add_reader(this->reader(), this->registered_reader()));
    ASSERT_TRUE(set.add_writer(this->reader()));
    EXPECT_EQ(set.size(), 3U);
    EXPECT_EQ(set.segment_count(), 1U);
  });
}

// Whether `fd` becomes readable within `timeout`.
bool readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 && (p.revents & POLLIN) != 0;
}

TYPED_TEST(WaitSetTest, TheEventFdIsReadableOncePerArmCycle) {
  this->in_each_mode([this](WaitSet& set) {
    const std::uint32_t reader = this->registered_reader();
    const ReaderMask mask = ReaderMask{1} << reader;
    auto id = set.add_reader(this->reader(), reader);
    ASSERT_TRUE(id);
    auto fd = set.event_fd();
    ASSERT_TRUE(fd);
    EXPECT_FALSE(readable(*fd, 20ms));
    // While the fd is open its thread waits: wait() and membership changes are refused.
    auto refused = set.wait(WaitLimit::within(1ms));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, SlotErrorCode::Unsupported);
    EXPECT_FALSE(set.add_reader(this->reader(), reader));

    this->publish(bytes_of({1}), mask);
    ASSERT_TRUE(readable(*fd, kWatchdog));
    // Disarmed once signalled: more samples do not signal again (the eventfd counter stays 1).
    this->publish(bytes_of({2}), mask);
    this->publish(bytes_of({3}), mask);
    std::this_thread::sleep_for(50ms);
    std::uint64_t signals = 0;
    ASSERT_EQ(::read(*fd, &signals, sizeof signals), static_cast<ssize_t>(sizeof signals));
    EXPECT_EQ(signals, 1U);
    auto found = set.poll();
    ASSERT_TRUE(found);
    EXPECT_TRUE(has(*found, {*id, WaitSetEventKind::Data}));
    BasicReader<SlotBackend> r(this->reader(), reader);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(r.take() && true);
    // Everything read, then re-armed: not readable until the next sample.
    set.drain();
    EXPECT_FALSE(readable(*fd, 50ms));
    this->publish(bytes_of({4}), mask);
    ASSERT_TRUE(readable(*fd, kWatchdog));
    // Re-arming with the sample still there signals again at once.
    set.drain();
    ASSERT_TRUE(readable(*fd, kWatchdog));
    ASSERT_TRUE(r.take());
    set.drain();
    EXPECT_FALSE(readable(*fd, 50ms));
    // A wake() makes it readable, and the next poll says so once.
    set.wake();
    ASSERT_TRUE(readable(*fd, kWatchdog));
    set.drain();
    auto woken = set.poll();
    ASSERT_TRUE(woken);
    EXPECT_TRUE(woken->woken);
    EXPECT_TRUE(woken->events.empty());
    auto again = set.poll();
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->woken);
    set.close_event_fd();
    EXPECT_TRUE(set.add_reader(this->reader(), reader));  // members may change again
  });
}

TYPED_TEST(WaitSetTest, NoWakeIsLostWhenItRacesTheStartOfASleep) {
  this->in_each_mode([this](WaitSet& set) {
    ASSERT_TRUE(set.add_reader(this->reader(), this->registered_reader()));
    for (int round = 0; round < 200; ++round) {
      std::thread waker([&] { set.wake(); });  // lands before, during or after the set starts sleeping
      auto woken = set.wait(WaitLimit::within(kWatchdog));
      waker.join();
      ASSERT_TRUE(woken) << "round " << round << ": " << woken.error().message();
      ASSERT_TRUE(woken->woken);
    }
    for (int round = 0; round < 50; ++round) {
      std::stop_source stop;
      std::thread stopper([&] { stop.request_stop(); });
      auto stopped = set.wait(WaitLimit::within(kWatchdog, stop.get_token()));
      stopper.join();
      ASSERT_FALSE(stopped);
      ASSERT_EQ(stopped.error().code, SlotErrorCode::Stopped) << "round " << round;
    }
  });
}

class WaitSetLimits : public ::testing::TestWithParam<WaitSetMode> {};

TEST_P(WaitSetLimits, RefusesThe129thSegmentAndWakesAFullSet) {
  std::vector<std::unique_ptr<InMemorySlotAllocator>> segments;
  WaitSet set(WaitSetOptions{.mode = GetParam()});
  for (std::size_t i = 0; i < WaitSet::kMaxSegments; ++i) {
    auto a = InMemorySlotAllocator::create(i + 1, 2, 64);
    ASSERT_TRUE(a);
    segments.push_back(std::make_unique<InMemorySlotAllocator>(std::move(*a)));
    ASSERT_TRUE(set.add_reader(*segments.back(), 0));
  }
  auto extra = InMemorySlotAllocator::create(999, 2, 64);
  ASSERT_TRUE(extra);
  auto refused = set.add_reader(*extra, 0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, SlotErrorCode::Unsupported);
  EXPECT_EQ(set.segment_count(), WaitSet::kMaxSegments);
  // With 128 words there is no room for the set's own (and none in SingleWord mode): wake() goes
  // through the first segment's counter.
  std::thread waker([&] {
    std::this_thread::sleep_for(50ms);
    set.wake();
  });
  auto woken = set.wait(WaitLimit::within(kWatchdog));
  waker.join();
  ASSERT_TRUE(woken);
  EXPECT_TRUE(woken->woken);
  // And a commit on the last segment wakes it.
  std::thread writer([&] {
    std::this_thread::sleep_for(50ms);
    auto h = segments.back()->reserve_slot(1);
    ASSERT_TRUE(h);
    ASSERT_TRUE(segments.back()->commit_slot(*h, bytes_of({1})));
  });
  auto ready = set.wait(WaitLimit::within(kWatchdog));
  writer.join();
  ASSERT_TRUE(ready);
  EXPECT_TRUE(has(*ready, {WaitSet::kMaxSegments - 1, WaitSetEventKind::Data}));
}

TEST_P(WaitSetLimits, AMovedFromBackendIsAnErrorNotASpin) {
  auto a = InMemorySlotAllocator::create(1, 2, 64);
  ASSERT_TRUE(a);
  WaitSet set(WaitSetOptions{.mode = GetParam()});
  ASSERT_TRUE(set.add_writer(*a));
  InMemorySlotAllocator taken(std::move(*a));  // the member's backend is moved from
  auto r = set.wait(WaitLimit::within(kWatchdog));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, SlotErrorCode::LockPoisoned);
}

INSTANTIATE_TEST_SUITE_P(BothModes, WaitSetLimits, ::testing::Values(WaitSetMode::Vectored, WaitSetMode::SingleWord),
                         [](const auto& mode) { return mode.param == WaitSetMode::Vectored ? "Vectored" : "SingleWord"; });

TEST(WaitSetMode, TheEnvironmentForcesTheMode) {
  ::setenv("SHMSLOT_WAITSET_MODE", "single-word", 1);
  const WaitSet forced;
  ::unsetenv("SHMSLOT_WAITSET_MODE");
  EXPECT_EQ(forced.mode(), WaitSetMode::SingleWord);
  const WaitSet automatic;
  EXPECT_EQ(automatic.mode(), WaitSetMode::Vectored);  // this kernel (Linux 5.16+) has futex_waitv
}

}  // namespace
}  // namespace shmslot::test
