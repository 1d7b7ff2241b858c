// Scenario 2 of the recovery tier: a reader that is alive but does not read (SIGSTOP) is never
// disconnected. A Reliable writer times out on it; a writer with a maximum sample age evicts its
// unread samples instead, and the reader learns it from its eviction counter. After SIGCONT it
// carries on, registered as before, and has never seen a torn sample.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "multiprocess/leftovers.hpp"
#include "multiprocess/process_group.hpp"
#include "recovery/recovery_roles.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kSlots = 16;
constexpr auto kLease = 50ms;

ReaderMask bit(std::uint32_t index) { return ReaderMask{1} << index; }

// The registry still names the paused reader, and a reap more than a lease later leaves it alone.
void expect_still_registered(PosixSlotAllocator& seg, std::uint32_t index, pid_t pid) {
  std::this_thread::sleep_for(2 * kLease);
  EXPECT_EQ(seg.reap(), 0U) << "reap() found something to free while the only other process is merely stopped";
  EXPECT_NE(seg.registered_readers() & bit(index), 0U) << "the stopped reader was disconnected";
  auto stats = seg.reader_stats(index);
  ASSERT_TRUE(stats);
  EXPECT_TRUE(stats->registered);
  EXPECT_EQ(stats->owner_pid, static_cast<std::uint32_t>(pid));
}

// Waits until the reader holds a zero-copy guard (or reports a failure), so that the pause lands in
// the middle of a zero-copy read. It holds one only while it has a sample to read, for at most
// max_hold_us: on a loaded machine it may read all `written` samples before a look catches one of
// its holds, and would then wait for a sample that never comes until its stall watchdog fires. So
// the wait polls without sleeping, and whenever the reader's cursor has reached the last sample
// written, `write_one` gives it another. False if a write failed or no guard was seen in time.
bool wait_for_guard(PosixSlotAllocator& seg, std::uint32_t index, const ReaderBoard& rb, const std::uint64_t& written,
                    const std::function<bool()>& write_one) {
  const auto deadline = std::chrono::steady_clock::now() + kWatchdog;
  while (std::chrono::steady_clock::now() < deadline) {
    if (rb.holding.load() == 1 || rb.failure.any()) return true;
    const auto stats = seg.reader_stats(index);
    if (stats && stats->cursor >= written && !write_one()) return false;
    std::this_thread::yield();
  }
  return false;
}

TEST(PausedReader, AReliableWriterTimesOutAndTheReaderCarriesOnWithNothingLost) {
  const std::uint64_t seed = recovery_seed();
  std::cout << "seed " << seed << " (SHMSLOT_RECOVERY_SEED)\n";
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::uint64_t cycles = recovery_scaled(4);
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("paused-reliable");
  SharedBlock<ReaderBoard> rb;
  Gate ready;
  Gate done;
  Gate leave;
  std::string shm_name;
  std::uint64_t timeouts = 0;
  std::uint64_t stopped_holding = 0;
  {
    auto owner = PosixSlotAllocator::create(flink, kSlots, sizeof(RecoverySample), recovery_options(kLease));
    ASSERT_TRUE(owner) << owner.error().message();
    shm_name = owner->shm_name();
    ReaderSpec spec;
    spec.style = ReadStyle::Mixed;
    spec.max_hold_us = 500;
    spec.seed = seed;
    spec.ready = &ready;
    spec.done = &done;
    spec.leave = &leave;
    ChildProcess reader([&] { return recovery_reader(flink, spec, *rb); });
    ASSERT_TRUE(ready.take(kWatchdog)) << rb->failure.message();
    const std::uint32_t index = rb->index.load();

    // The parent writes (it forks nothing more from here on).
    FlatWriter<RecoverySample> writer(*owner);
    ASSERT_EQ(writer.active_readers(), bit(index));
    std::uint64_t next = 0;
    auto write = [&](std::chrono::nanoseconds timeout) {
      auto outcome = writer.write_bp(make_sample(1, next), Reliability::Reliable, timeout);
      if (outcome && outcome->kind == WriteOutcome::Kind::Written) ++next;
      return outcome;
    };
    for (std::uint64_t cycle = 0; cycle < cycles; ++cycle) {
      SCOPED_TRACE("cycle " + std::to_string(cycle));
      const std::uint64_t running = 2 * kSlots + rng() % kSlots;
      for (std::uint64_t k = 0; k < running; ++k) {
        auto outcome = write(kWatchdog);
        ASSERT_TRUE(outcome && outcome->kind == WriteOutcome::Kind::Written) << "write " << next << " failed";
      }
      if (cycle % 2 == 1) {
        // Pause it in the middle of a zero-copy read: its pin must survive the pause too.
        ASSERT_TRUE(wait_for_guard(*owner, index, *rb, next, [&] {
          auto outcome = write(kWatchdog);
          return outcome && outcome->kind == WriteOutcome::Kind::Written;
        })) << "no zero-copy guard seen, or write " << next << " failed";
      }
      ASSERT_TRUE(stop_process(reader)) << "the reader did not stop";
      stopped_holding += rb->holding.load();
      std::uint64_t written_while_stopped = 0;
      bool timed_out = false;
      for (std::size_t k = 0; k <= kSlots && !timed_out; ++k) {
        auto outcome = write(4 * kLease);
        ASSERT_TRUE(outcome) << to_string(outcome.error().code);
        if (outcome->kind == WriteOutcome::Kind::TimedOut) {
          timed_out = true;
        } else {
          ASSERT_EQ(outcome->kind, WriteOutcome::Kind::Written);
          ++written_while_stopped;
        }
      }
      EXPECT_TRUE(timed_out) << "the writer wrote " << written_while_stopped
                             << " samples past a stopped reader in a segment of " << kSlots;
      timeouts += timed_out ? 1 : 0;
      expect_still_registered(*owner, index, reader.pid());
      ASSERT_EQ(process_state(reader.pid()), 'T');
      continue_process(reader);
      auto outcome = write(kWatchdog);
      ASSERT_TRUE(outcome && outcome->kind == WriteOutcome::Kind::Written) << "the writer did not resume";
      ASSERT_FALSE(rb->failure.any()) << rb->failure.message();
    }
    auto end = writer.write_bp(make_sample(kEndMarkerWriter, next), Reliability::Reliable, kWatchdog);
    ASSERT_TRUE(end && end->kind == WriteOutcome::Kind::Written);
    ASSERT_TRUE(done.take(kWatchdog)) << rb->failure.message();
    EXPECT_EQ(rb->samples.load(), next) << "the paused reader lost samples";
    EXPECT_EQ(rb->per_writer[1].load(), next);
    EXPECT_EQ(rb->evictions.load(), 0U);
    // Scenario 6 on the way: nothing is held once the reader has read everything.
    EXPECT_EQ(reserve_every_slot(*owner, owner->registered_readers()), kSlots);
    ASSERT_TRUE(leave.post());
    const auto code = reader.wait(kWatchdog);
    EXPECT_EQ(code, std::optional<int>(0)) << describe_exit(code) << ": " << rb->failure.message();
    std::cout << "pauses: " << cycles << " (" << stopped_holding
              << " while holding a guard), write_bp timeouts: " << timeouts
              << ", samples verified: " << rb->samples.load() << "\n";
    RecordProperty("pauses", std::to_string(cycles));
    RecordProperty("samples_verified", std::to_string(rb->samples.load()));
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

TEST(PausedReader, AWriterWithAMaximumAgeEvictsAndTheReaderCountsItsLosses) {
  const std::uint64_t seed = recovery_seed();
  std::cout << "seed " << seed << " (SHMSLOT_RECOVERY_SEED)\n";
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::uint64_t cycles = recovery_scaled(4);
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("paused-evict");
  SharedBlock<ReaderBoard> rb;
  Gate ready;
  Gate done;
  Gate leave;
  std::string shm_name;
  std::uint64_t pinned_through_pause = 0;
  {
    auto owner = PosixSlotAllocator::create(flink, kSlots, sizeof(RecoverySample), recovery_options(kLease));
    ASSERT_TRUE(owner) << owner.error().message();
    shm_name = owner->shm_name();
    ReaderSpec spec;
    spec.style = ReadStyle::Mixed;
    spec.max_hold_us = 2000;
    spec.lossy = true;
    spec.seed = seed;
    spec.ready = &ready;
    spec.done = &done;
    spec.leave = &leave;
    ChildProcess reader([&] { return recovery_reader(flink, spec, *rb); });
    ASSERT_TRUE(ready.take(kWatchdog)) << rb->failure.message();
    const std::uint32_t index = rb->index.load();

    FlatWriter<RecoverySample> writer(*owner);
    writer.set_max_sample_age(20ms);
    std::uint64_t next = 0;
    auto write = [&] {
      auto outcome = writer.write_bp(make_sample(1, next), Reliability::Reliable, kWatchdog);
      if (outcome && outcome->kind == WriteOutcome::Kind::Written) ++next;
      return outcome && outcome->kind == WriteOutcome::Kind::Written;
    };
    for (std::uint64_t cycle = 0; cycle < cycles; ++cycle) {
      SCOPED_TRACE("cycle " + std::to_string(cycle));
      const std::uint64_t running = 2 * kSlots + rng() % kSlots;
      for (std::uint64_t k = 0; k < running; ++k) ASSERT_TRUE(write()) << "write " << next << " failed";
      if (cycle % 2 == 0) {
        ASSERT_TRUE(wait_for_guard(*owner, index, *rb, next, write))
            << "no zero-copy guard seen, or write " << next << " failed";
      }
      ASSERT_TRUE(stop_process(reader)) << "the reader did not stop";
      const bool holding = rb->holding.load() == 1;
      const std::uint64_t evictions_before = owner->reader_stats(index)->evictions;
      // Four segments' worth while it sleeps: only eviction makes room, and it must not time out.
      for (std::size_t k = 0; k < 4 * kSlots; ++k) ASSERT_TRUE(write()) << "write " << next << " did not get a slot";
      EXPECT_GT(owner->reader_stats(index)->evictions, evictions_before) << "evictions were not counted";
      if (holding) {
        // The slot under its guard was never evicted: it is still committed and pinned by it.
        const SegmentSnapshot snap = owner->snapshot();
        int pinned = 0;
        for (const SlotSnapshot& s : snap.slots) {
          if ((s.pinned_by & bit(index)) != 0 && s.state == SlotState::Committed) ++pinned;
        }
        EXPECT_EQ(pinned, 1) << "the sample under the paused reader's zero-copy guard was evicted";
        pinned_through_pause += pinned == 1 ? 1 : 0;
      }
      expect_still_registered(*owner, index, reader.pid());
      continue_process(reader);
      ASSERT_FALSE(rb->failure.any()) << rb->failure.message();
    }
    ASSERT_TRUE(writer.write_bp(make_sample(kEndMarkerWriter, next), Reliability::Reliable, kWatchdog));
    ASSERT_TRUE(done.take(kWatchdog)) << rb->failure.message();
    const std::uint64_t received = rb->samples.load();
    const std::uint64_t evictions = rb->evictions.load();
    EXPECT_GT(evictions, 0U) << "FlatReader::evictions() does not report the evicted samples";
    EXPECT_EQ(evictions, owner->reader_stats(index)->evictions);
    EXPECT_LT(received, next) << "nothing was lost although samples were evicted";
    EXPECT_GE(received + evictions, next) << "samples were lost without being counted as evicted: " << received
                                          << " received + " << evictions << " evicted of " << next;
    EXPECT_EQ(reserve_every_slot(*owner, owner->registered_readers()), kSlots);
    ASSERT_TRUE(leave.post());
    const auto code = reader.wait(kWatchdog);
    EXPECT_EQ(code, std::optional<int>(0)) << describe_exit(code) << ": " << rb->failure.message();
    std::cout << "pauses: " << cycles << " (" << pinned_through_pause
              << " with a guard that stayed pinned), written: " << next << ", received (all verified): " << received
              << ", evictions counted: " << evictions
              << " (received + evictions - written = " << static_cast<std::int64_t>(received + evictions - next)
              << ")\n";
    RecordProperty("pauses", std::to_string(cycles));
    RecordProperty("evictions", std::to_string(evictions));
    RecordProperty("samples_verified", std::to_string(received));
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

}  // namespace
}  // namespace shmslot::test
