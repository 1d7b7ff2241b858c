// Scenario 1 of the recovery tier: reader processes SIGKILLed at random points (while copying,
// while holding a zero-copy guard, right after registering) under a writer that publishes with the
// registered readers as its active mask. The writer must resume, the dead reader's index must be
// reaped and reusable, and the surviving readers must get every sample, in order, untorn.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "multiprocess/leftovers.hpp"
#include "multiprocess/process_group.hpp"
#include "recovery/recovery_roles.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

constexpr std::size_t kSlots = 16;

struct Board {
  std::atomic<std::uint32_t> stop{0};
  WriterBoard writer;
  ReaderBoard survivors[2];
};

ReaderMask bit(std::uint32_t index) { return ReaderMask{1} << index; }

TEST(ReaderKilled, WriterResumesSurvivorsGetEverySampleAndTheIndexIsReused) {
  const std::uint64_t seed = recovery_seed();
  std::cout << "seed " << seed << " (SHMSLOT_RECOVERY_SEED)\n";
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::uint64_t rounds = recovery_scaled(60);

  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("reader-kill");
  SharedBlock<Board> board;
  std::vector<std::unique_ptr<SharedBlock<ReaderBoard>>> victim_boards;
  Gate ready;
  Gate done;
  Gate leave;
  std::string shm_name;
  std::uint64_t kills_holding_guard = 0;
  std::uint64_t kills_before_reading = 0;
  std::uint64_t explicit_reregistrations = 0;
  std::uint64_t victim_samples = 0;
  {
    auto owner = PosixSlotAllocator::create(flink, kSlots, sizeof(RecoverySample), recovery_options());
    ASSERT_TRUE(owner) << owner.error().message();
    shm_name = owner->shm_name();

    // Two readers that live through every round, registered before the writer starts (indices 0, 1).
    ReaderSpec copy_reader;
    copy_reader.style = ReadStyle::Take;
    copy_reader.seed = seed + 1;
    copy_reader.ready = &ready;
    copy_reader.done = &done;
    copy_reader.leave = &leave;
    ReaderSpec zero_copy_reader = copy_reader;
    zero_copy_reader.style = ReadStyle::ReadRef;
    zero_copy_reader.max_hold_us = 200;
    zero_copy_reader.seed = seed + 2;
    std::vector<NamedChild> children;
    children.reserve(4);
    children.push_back(
        {"survivor 0 (take)", ChildProcess([&] { return recovery_reader(flink, copy_reader, board->survivors[0]); })});
    ASSERT_TRUE(ready.take(kWatchdog)) << board->survivors[0].failure.message();
    children.push_back({"survivor 1 (read_ref)",
                        ChildProcess([&] { return recovery_reader(flink, zero_copy_reader, board->survivors[1]); })});
    ASSERT_TRUE(ready.take(kWatchdog)) << board->survivors[1].failure.message();
    ASSERT_EQ(board->survivors[0].index.load(), 0U);
    ASSERT_EQ(board->survivors[1].index.load(), 1U);
    const ReaderMask survivor_mask = bit(0) | bit(1);

    // The reader that gets killed: a new process every round, registered the lowest free way or
    // with the dead one's index explicitly.
    auto spawn_victim = [&](std::uint64_t round, std::optional<std::uint32_t> index) {
      victim_boards.push_back(std::make_unique<SharedBlock<ReaderBoard>>());
      ReaderBoard& vb = **victim_boards.back();
      ReaderSpec spec;
      // Round 0 mod 3 reads in place and holds its guards a while, 1 mixes both ways with short
      // holds, 2 only copies: the kill lands in all kinds of calls.
      spec.style = round % 3 == 0 ? ReadStyle::ReadRef : round % 3 == 1 ? ReadStyle::Mixed : ReadStyle::Take;
      spec.index = index;
      spec.from_start = false;
      spec.max_hold_us = round % 3 == 0 ? 3000 : 300;
      spec.seed = seed + 100 + round;
      spec.ready = &ready;
      spec.done = &done;
      spec.leave = &leave;
      return std::make_unique<ChildProcess>([&, spec] { return recovery_reader(flink, spec, vb); });
    };
    std::unique_ptr<ChildProcess> victim = spawn_victim(0, std::nullopt);
    ASSERT_TRUE(ready.take(kWatchdog)) << (**victim_boards.back()).failure.message();
    ASSERT_EQ((**victim_boards.back()).index.load(), 2U);

    WriterSpec writer_spec;
    writer_spec.writer_id = 1;
    writer_spec.stop = &board->stop;
    writer_spec.end_marker = true;
    writer_spec.seed = seed + 3;
    children.push_back({"writer", ChildProcess([&] {
                          return with_segment(flink, board->writer.failure, [&](PosixSlotAllocator& s) {
                            return recovery_writer(s, writer_spec, board->writer);
                          });
                        })});

    for (std::uint64_t round = 0; round < rounds; ++round) {
      ReaderBoard& vb = **victim_boards.back();
      SCOPED_TRACE("round " + std::to_string(round) + ", victim pid " + std::to_string(victim->pid()));
      // Pick the moment: right after registering, while it holds a zero-copy guard, or at a random
      // point once it reads.
      const auto moment = rng() % 4;
      if (moment == 1 && round % 3 == 0) {
        ASSERT_TRUE(wait_until([&] { return vb.holding.load() == 1 || vb.failure.any(); }))
            << "the victim never held a guard";
      } else if (moment != 0) {
        ASSERT_TRUE(wait_until([&] { return vb.samples.load() >= 1 || vb.failure.any(); }))
            << "the victim never read a sample; writer at " << board->writer.committed.load();
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
      }
      const bool was_holding = vb.holding.load() == 1;
      const bool had_read = vb.samples.load() > 0;
      victim->kill(SIGKILL);
      const auto code = victim->wait(kWatchdog);
      ASSERT_EQ(code, std::optional<int>(128 + SIGKILL))
          << "the victim ended on its own (" << describe_exit(code) << "): " << vb.failure.message();
      ASSERT_FALSE(vb.failure.any()) << "the victim saw a bad sample before it died: " << vb.failure.message();
      kills_holding_guard += was_holding ? 1 : 0;
      kills_before_reading += had_read ? 0 : 1;
      victim_samples += vb.samples.load();
      const std::uint32_t dead = vb.index.load();
      ASSERT_LT(dead, 32U);
      // Every sample published from here on is one the dead reader never read: publishing more than
      // a segment's worth needs a slot that only a reap of the dead reader frees.
      const std::uint64_t at_kill = board->writer.committed.load();

      std::optional<std::uint32_t> explicit_index;
      if (round % 2 == 0) {
        // Nobody helps: the writer, blocked on the full segment, must reap by itself.
        ASSERT_TRUE(wait_until([&] { return (owner->registered_readers() & bit(dead)) == 0; }))
            << "the dead reader " << dead << " is still registered (mask " << owner->registered_readers()
            << "); writer at " << board->writer.committed.load() << " samples, " << at_kill << " at the kill";
        auto stats = owner->reader_stats(dead);
        ASSERT_TRUE(stats);
        EXPECT_FALSE(stats->registered);
        EXPECT_EQ(stats->owner_pid, 0U) << "the reaped entry still names an owner";
      } else {
        // The new reader asks for the dead one's index at once, racing the writer's reap.
        explicit_index = dead;
        ++explicit_reregistrations;
      }
      victim = spawn_victim(round + 1, explicit_index);
      ReaderBoard& next = **victim_boards.back();
      ASSERT_TRUE(ready.take(kWatchdog)) << "the new reader did not register: " << next.failure.message();
      EXPECT_EQ(next.index.load(), dead) << "the new reader did not get the freed index";
      ASSERT_TRUE(wait_until([&] {
        return board->writer.committed.load() >= at_kill + kSlots + 2 || board->writer.failure.any();
      })) << "the writer did not resume: "
          << board->writer.committed.load() << " samples, " << at_kill << " at the kill; "
          << board->writer.failure.message();
      ASSERT_FALSE(board->writer.failure.any()) << board->writer.failure.message();
      const ReaderMask mask = owner->registered_readers();
      EXPECT_EQ(mask, survivor_mask | bit(next.index.load())) << "the registry lost or kept a bit it must not";
      auto stats = owner->reader_stats(next.index.load());
      ASSERT_TRUE(stats);
      EXPECT_TRUE(stats->registered);
      EXPECT_EQ(stats->owner_pid, static_cast<std::uint32_t>(victim->pid()));
      for (const ReaderBoard& s : board->survivors) ASSERT_FALSE(s.failure.any()) << s.failure.message();
      if (HasFatalFailure()) return;
    }

    // The last new reader lives to the end: it must read a full segment's worth and more, in order.
    ReaderBoard& last = **victim_boards.back();
    ASSERT_TRUE(wait_until([&] { return last.samples.load() >= 2 * kSlots || last.failure.any(); }))
        << "the last new reader got only " << last.samples.load() << " samples";
    board->stop.store(1);
    ASSERT_TRUE(wait_until([&] { return board->writer.finished.load() == 1 || board->writer.failure.any(); }))
        << board->writer.failure.message();
    const ReaderBoard* finishing[] = {&board->survivors[0], &board->survivors[1], &last};
    ASSERT_TRUE(wait_until([&] {
      for (const ReaderBoard* r : finishing) {
        if (r->done.load() == 0 && !r->failure.any()) return false;
      }
      return true;
    })) << "a reader never got the end marker";
    for (const ReaderBoard* r : finishing) ASSERT_FALSE(r->failure.any()) << r->failure.message();
    // Scenario 6: every reader has read everything, so every slot is free for the registered mask.
    const ReaderMask mask = owner->registered_readers();
    EXPECT_EQ(mask, survivor_mask | bit(last.index.load()));
    EXPECT_EQ(reserve_every_slot(*owner, mask), kSlots) << "slots leaked (dead readers' pins or marks)";
    EXPECT_EQ(owner->reap(), 0U) << "a reap found something after every reader was accounted for";
    ASSERT_TRUE(leave.post(3));

    children.push_back({"last new reader", std::move(*victim)});
    const GroupOutcome outcome = wait_all(children, kWatchdog);
    EXPECT_TRUE(outcome.all_ok()) << "survivor 0: " << describe_exit(outcome.codes[0]) << " "
                                  << board->survivors[0].failure.message()
                                  << "; survivor 1: " << describe_exit(outcome.codes[1]) << " "
                                  << board->survivors[1].failure.message()
                                  << "; writer: " << describe_exit(outcome.codes[2]) << " "
                                  << board->writer.failure.message()
                                  << "; last reader: " << describe_exit(outcome.codes[3]) << " "
                                  << last.failure.message();
    const std::uint64_t published = board->writer.committed.load();
    for (const ReaderBoard& s : board->survivors) {
      EXPECT_EQ(s.samples.load(), published) << "a survivor missed samples";
      EXPECT_EQ(s.per_writer[1].load(), published);
      EXPECT_EQ(s.first_index.load(), 0U);
      EXPECT_EQ(s.last_index.load() + 1, published);
    }
    EXPECT_GT(board->survivors[1].guards_held.load(), 0U);
    victim_samples += last.samples.load();
    EXPECT_EQ(owner->registered_readers(), 0U) << "readers that left normally are still registered";

    const std::uint64_t verified =
        board->survivors[0].samples.load() + board->survivors[1].samples.load() + victim_samples;
    std::cout << "reader kills survived: " << rounds << " (" << kills_holding_guard << " holding a zero-copy guard, "
              << kills_before_reading << " before reading anything, " << explicit_reregistrations
              << " index re-registered explicitly before the reap); samples published: " << published
              << "; samples verified: " << verified << "\n";
    RecordProperty("kills", std::to_string(rounds));
    RecordProperty("kills_holding_guard", std::to_string(kills_holding_guard));
    RecordProperty("samples_published", std::to_string(published));
    RecordProperty("samples_verified", std::to_string(verified));
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

// A reader that died but whose parent has not waited for it yet is a zombie: its pid and its
// /proc/<pid>/stat (with the same start time) still exist. It runs nothing, so it is dead
// (docs/recovery.md: alive means "that pid runs"). A writer that is the reader's own parent and is
// blocked in write_bp never gets to wait for it, so the reap must not need the parent's wait.
TEST(ReaderKilled, AReaderThatDiedButIsNotYetWaitedForIsReaped) {
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("zombie-reader");
  SharedBlock<ReaderBoard> rb;
  Gate ready;
  std::string shm_name;
  {
    auto owner = PosixSlotAllocator::create(flink, kSlots, sizeof(RecoverySample), recovery_options());
    ASSERT_TRUE(owner) << owner.error().message();
    shm_name = owner->shm_name();
    ChildProcess reader([&] {
      return with_segment(flink, rb->failure, [&](PosixSlotAllocator& s) {
        auto r = FlatReader<RecoverySample>::registered(s);
        if (!r) return rb->failure.report(kChildApiError, "register failed");
        rb->index.store(r->reader_index());
        ready.post();
        ::raise(SIGKILL);
        return kChildOk;
      });
    });
    ASSERT_TRUE(ready.take(kWatchdog)) << rb->failure.message();
    const std::uint32_t index = rb->index.load();
    ASSERT_TRUE(wait_until([&] { return process_state(reader.pid()) == 'Z'; })) << "the reader did not die";
    ASSERT_NE(owner->registered_readers() & bit(index), 0U);
    const std::size_t reaped = owner->reap();
    EXPECT_GE(reaped, 1U) << "reap() took the zombie (pid " << reader.pid()
                          << ", state Z: killed, not yet waited for) for a live reader";
    EXPECT_EQ(owner->registered_readers() & bit(index), 0U) << "the dead reader is still registered";
    EXPECT_EQ(reader.wait(kWatchdog), std::optional<int>(128 + SIGKILL));
    // Once waited for, the pid is gone and the reap works (what the check above should not need).
    (void)owner->reap();
    EXPECT_EQ(owner->registered_readers() & bit(index), 0U) << "not even reaped after the wait";
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

}  // namespace
}  // namespace shmslot::test
