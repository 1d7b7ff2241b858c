// Scenario 5 of the recovery tier: the owner (creator) of a segment is SIGKILLed. Its readers keep
// their mapping and everything in it, and see owner_alive() turn false; a new create on the same
// flink path recovers the path and starts a clean segment; after the last process is gone nothing is
// left in /dev/shm or the flink directory (with a clean last owner, or with collect_garbage()).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <shmslot/gc.hpp>

#include "multiprocess/leftovers.hpp"
#include "multiprocess/process_group.hpp"
#include "recovery/recovery_roles.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

constexpr std::size_t kSlots = 16;
constexpr std::uint64_t kSamples = kSlots / 2;  // with the end marker, fits without a reader reading

struct OwnerRound {
  ReaderBoard readers[2];
  WriterBoard owner;
  char shm_name[64]{};
  std::atomic<std::uint32_t> saw_owner_dead[2]{};
};

// The owner child: creates the segment (recovering the path from a dead owner), checks that it
// starts clean, waits for two registered readers, publishes kSamples and an end marker, then either
// waits to be killed or, when `leave` is given, waits for it and exits normally.
int run_owner(const std::string& flink, OwnerRound& round, const Gate& created, const Gate& registered,
              const Gate& written, const Gate* leave) {
  FailureNote& note = round.owner.failure;
  auto seg = PosixSlotAllocator::create(flink, kSlots, sizeof(RecoverySample), recovery_options());
  if (!seg) return note.report(kChildSetup, "create on the dead owner's path failed: " + seg.error().message());
  const SegmentSnapshot snap = seg->snapshot();
  std::string unclean;
  if (snap.next_sequence != 0) unclean += " next_sequence " + std::to_string(snap.next_sequence) + ";";
  if (seg->registered_readers() != 0) unclean += " readers registered;";
  if (!seg->owner_alive()) unclean += " owner_alive() false;";
  if (snap.owner_pid != static_cast<std::uint32_t>(::getpid()))
    unclean += " owner pid " + std::to_string(snap.owner_pid) + ";";
  for (const SlotSnapshot& s : snap.slots) {
    if (s.state != SlotState::Empty) unclean += " slot " + std::to_string(s.index) + " not empty;";
  }
  if (!unclean.empty()) return note.report(kChildCheckFailed, "the new segment does not start clean:" + unclean);
  const std::string& name = seg->shm_name();
  std::memcpy(round.shm_name, name.data(), std::min(name.size(), sizeof round.shm_name - 1));
  created.post();
  for (int r = 0; r < 2; ++r) {
    if (!registered.take(kWatchdog)) return note.report(kChildSetup, "the readers did not register");
  }
  WriterSpec spec;
  spec.writer_id = 1;
  spec.count = kSamples;
  spec.end_marker = true;
  if (const int code = recovery_writer(*seg, spec, round.owner); code != kChildOk) return code;
  written.post();
  if (leave == nullptr) {
    for (;;) ::pause();
  }
  if (!leave->take(kWatchdog)) return note.report(kChildSetup, "never told to leave");
  return kChildOk;  // the destructor removes flink file and segment
}

ChildProcess start_reader(const std::string& flink, OwnerRound& round, int r, const Gate& registered) {
  return ChildProcess([&flink, &round, r, &registered] {
    ReaderSpec spec;
    spec.style = r == 0 ? ReadStyle::Take : ReadStyle::ReadRef;
    spec.ready = &registered;
    spec.on_done = [&round, r](PosixSlotAllocator& s) {
      // Everything arrived (from the mapping, whether or not the owner still lives); now the
      // creator must be reported gone once it is.
      if (!wait_until([&] { return !s.owner_alive(); })) {
        return round.readers[r].failure.report(kChildCheckFailed, "owner_alive() stayed true after the owner died");
      }
      round.saw_owner_dead[r].store(1);
      return kChildOk;
    };
    return recovery_reader(flink, spec, round.readers[r]);
  });
}

bool in_dev_shm(const std::string& name) { return std::filesystem::exists("/dev/shm" + name); }

TEST(OwnerKilled, ReadersSeeItAndANewCreateOnThePathStartsClean) {
  const std::uint64_t seed = recovery_seed();
  std::cout << "seed " << seed << " (SHMSLOT_RECOVERY_SEED)\n";
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::uint64_t kills = recovery_scaled(10);
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("owner-killed");
  std::vector<std::string> names;
  std::uint64_t verified = 0;
  std::string last_name;
  for (std::uint64_t round = 0; round <= kills; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const bool last = round == kills;  // the last owner leaves normally
    SharedBlock<OwnerRound> board;
    Gate created;
    Gate registered;
    Gate written;
    Gate leave;
    ChildProcess owner([&] { return run_owner(flink, *board, created, registered, written, last ? &leave : nullptr); });
    ASSERT_TRUE(created.take(kWatchdog)) << board->owner.failure.message();
    const std::string name(board->shm_name);
    if (!names.empty()) {
      EXPECT_NE(name, names.back());
      EXPECT_FALSE(in_dev_shm(names.back())) << "the new create left the dead owner's segment " << names.back();
    }
    names.push_back(name);
    auto watcher = PosixSlotAllocator::attach(flink);
    ASSERT_TRUE(watcher) << watcher.error().message();
    EXPECT_TRUE(watcher->owner_alive());
    std::vector<NamedChild> readers;
    readers.push_back({"reader 0 (take)", start_reader(flink, *board, 0, registered)});
    readers.push_back({"reader 1 (read_ref)", start_reader(flink, *board, 1, registered)});
    ASSERT_TRUE(written.take(kWatchdog)) << board->owner.failure.message() << " / "
                                         << board->readers[0].failure.message() << " / "
                                         << board->readers[1].failure.message();
    if (last) {
      ASSERT_TRUE(leave.post());
      EXPECT_EQ(owner.wait(kWatchdog), std::optional<int>(0)) << board->owner.failure.message();
    } else {
      // Killed whether or not the readers have read everything yet.
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
      owner.kill(SIGKILL);
      EXPECT_EQ(owner.wait(kWatchdog), std::optional<int>(128 + SIGKILL));
    }
    EXPECT_FALSE(watcher->owner_alive()) << "owner_alive() is true after the owner's exit";
    const GroupOutcome outcome = wait_all(readers, kWatchdog);
    EXPECT_TRUE(outcome.all_ok()) << outcome.describe(readers, nullptr) << ": " << board->readers[0].failure.message()
                                  << " / " << board->readers[1].failure.message();
    for (int r = 0; r < 2; ++r) {
      EXPECT_EQ(board->readers[r].samples.load(), kSamples) << "reader " << r;
      EXPECT_EQ(board->saw_owner_dead[r].load(), 1U) << "reader " << r;
      verified += board->readers[r].samples.load();
    }
    if (!last) {
      // A crash runs no destructor: the path and the segment stay until someone recovers them.
      EXPECT_TRUE(std::filesystem::exists(flink));
      EXPECT_TRUE(in_dev_shm(name));
    }
    last_name = name;
    if (HasFatalFailure()) break;
  }
  for (const std::string& n : names) EXPECT_FALSE(in_dev_shm(n)) << n << " is left in /dev/shm";
  expect_nothing_left(dir, shm_before, last_name);
  std::cout << "owners killed: " << kills << ", segments recreated on the same path: " << kills
            << "; samples verified: " << verified << "\n";
  RecordProperty("kills", std::to_string(kills));
  RecordProperty("samples_verified", std::to_string(verified));
}

TEST(OwnerKilled, WhatItLeftIsCollectedWhileItsReadersStillRead) {
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("owner-killed-gc");
  SharedBlock<OwnerRound> board;
  Gate created;
  Gate registered;
  Gate written;
  ChildProcess owner([&] { return run_owner(flink, *board, created, registered, written, nullptr); });
  ASSERT_TRUE(created.take(kWatchdog)) << board->owner.failure.message();
  const std::string name(board->shm_name);
  std::vector<NamedChild> readers;
  readers.push_back({"reader 0 (take)", start_reader(flink, *board, 0, registered)});
  readers.push_back({"reader 1 (read_ref)", start_reader(flink, *board, 1, registered)});
  ASSERT_TRUE(written.take(kWatchdog)) << board->owner.failure.message();
  owner.kill(SIGKILL);
  ASSERT_EQ(owner.wait(kWatchdog), std::optional<int>(128 + SIGKILL));

  GcOptions options;
  options.flink_dir = dir.path();
  options.only_named = true;
  auto collected = collect_garbage(options);
  ASSERT_TRUE(collected) << collected.error().message();
  bool segment = false;
  bool flink_file = false;
  for (const GcEntry& e : collected->entries) {
    EXPECT_TRUE(e.removed) << e.path << ": " << e.error;
    segment = segment || (e.kind == GcKind::Segment && e.path == "/dev/shm" + name);
    flink_file = flink_file || (e.kind == GcKind::Flink && e.path == flink);
  }
  EXPECT_TRUE(segment) << "the dead owner's segment was not collected";
  EXPECT_TRUE(flink_file) << "the dead owner's flink file was not collected";
  // Its readers keep their mapping: they read everything and see the owner gone.
  const GroupOutcome outcome = wait_all(readers, kWatchdog);
  EXPECT_TRUE(outcome.all_ok()) << outcome.describe(readers, nullptr) << ": " << board->readers[0].failure.message()
                                << " / " << board->readers[1].failure.message();
  for (int r = 0; r < 2; ++r) EXPECT_EQ(board->readers[r].samples.load(), kSamples) << "reader " << r;
  expect_nothing_left(dir, shm_before, name);
}

// A creator that died but was not waited for yet (a zombie; see ReaderKilled.AReaderThatDiedButIs-
// NotYetWaitedForIsReaped) is gone for its readers
// (owner_alive() false) and for a new create on its flink path. A supervisor that restarts a crashed
// owner typically learns of the crash from SIGCHLD before it waits.
TEST(OwnerKilled, AnOwnerThatDiedButIsNotYetWaitedForIsDead) {
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("zombie-owner");
  SharedBlock<ReaderBoard> board;  // its failure note only
  Gate created;
  ChildProcess owner([&] {
    auto seg = PosixSlotAllocator::create(flink, kSlots, sizeof(RecoverySample), recovery_options());
    if (!seg) return board->failure.report(kChildSetup, "create: " + seg.error().message());
    created.post();
    ::raise(SIGKILL);
    return kChildOk;
  });
  ASSERT_TRUE(created.take(kWatchdog)) << board->failure.message();
  ASSERT_TRUE(wait_until([&] { return process_state(owner.pid()) == 'Z'; })) << "the owner did not die";
  std::string shm_name;
  {
    auto reader = PosixSlotAllocator::attach(flink);
    ASSERT_TRUE(reader) << reader.error().message();
    EXPECT_FALSE(reader->owner_alive()) << "owner_alive() is true for the killed owner (pid " << owner.pid()
                                        << ", state Z: not yet waited for)";
    auto recreated = PosixSlotAllocator::create(flink, kSlots, sizeof(RecoverySample), recovery_options());
    EXPECT_TRUE(recreated) << "create on the path of the killed owner (state Z): " << recreated.error().message();
    if (recreated) shm_name = recreated->shm_name();
  }
  EXPECT_EQ(owner.wait(kWatchdog), std::optional<int>(128 + SIGKILL));
  if (shm_name.empty()) {
    // Clean up what the failed create left, so that the leftover check below reports only that.
    auto after = PosixSlotAllocator::create(flink, kSlots, sizeof(RecoverySample), recovery_options());
    ASSERT_TRUE(after) << after.error().message();
    shm_name = after->shm_name();
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

}  // namespace
}  // namespace shmslot::test
