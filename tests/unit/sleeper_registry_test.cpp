// White-box cases of the sleeper registry (docs/protocol.md, "Notification"): what enter, leave and
// reap_dead do to the sleepers word, the slot sleepers word and the entries, including the states a misjudged or a dead
// process leaves, which the multi-process tests cannot produce on demand.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "core/layout.hpp"
#include "core/segment_view.hpp"
#include "core/owner_word.hpp"
#include "core/sleeper_registry.hpp"
#include "core/slot_engine.hpp"
#include "platform/mapping.hpp"
#include "platform/process.hpp"

namespace shmslot::core {
namespace {

namespace sl = sleeper_word;

struct Segment {
  Segment()
      : geometry(make_geometry(4, 128, 100, true)),
        memory(platform::map_anonymous(geometry.total_size).value()),
        view(memory.data(), geometry, 1) {
    format_segment(memory.data(), geometry, FormatOptions{});
  }
  ExtControl& control() const { return view.control(); }
  Geometry geometry;
  platform::Mapping memory;
  SegmentView view;
};

// A pid that ran and is gone: a reaped child's.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

TEST(SleeperRegistry, EnterAndLeaveLeaveNothingBehind) {
  Segment seg;
  SleeperRegistry reg(seg.view);
  const auto a = reg.enter(false);
  const auto b = reg.enter(false);
  EXPECT_NE(a.entry, b.entry);
  EXPECT_EQ(seg.control().sleepers.load(), sl::tracked_bit(a.entry) | sl::tracked_bit(b.entry));
  EXPECT_EQ(seg.control().sleeper_entries[a.entry].owner.load(), static_cast<std::uint64_t>(::getpid()));
  reg.leave(a);
  reg.leave(b);
  EXPECT_EQ(seg.control().sleepers.load(), 0U);
  for (const SleeperEntry& e : seg.control().sleeper_entries) {
    EXPECT_EQ(e.owner.load(), 0U);
    EXPECT_EQ(e.owner_start.load(), 0U);
  }
}

TEST(SleeperRegistry, PastEveryEntryASleeperIsCounted) {
  Segment seg;
  SleeperRegistry reg(seg.view);
  std::vector<SleeperRegistry::Ticket> tickets;
  for (std::size_t i = 0; i < kMaxTrackedSleepers + 2; ++i) tickets.push_back(reg.enter(false));
  EXPECT_EQ(sl::tracked(seg.control().sleepers.load()), 0xFFFFFFFFU);
  EXPECT_EQ(sl::untracked(seg.control().sleepers.load()), 2U);
  for (const auto& t : tickets) reg.leave(t);
  EXPECT_EQ(seg.control().sleepers.load(), 0U);
}

TEST(SleeperRegistry, AReapClearsADeadSleepersMarkAndKeepsALiveOne) {
  Segment seg;
  SleeperRegistry reg(seg.view);
  const auto live = reg.enter(false);
  // Entry 5 as a sleeper killed asleep leaves it: owner set, bit set.
  seg.control().sleeper_entries[5].owner.store(static_cast<std::uint64_t>(dead_pid()));
  seg.control().sleepers.fetch_or(sl::tracked_bit(5));
  EXPECT_EQ(reg.reap_dead(), 1U);
  EXPECT_EQ(seg.control().sleepers.load(), sl::tracked_bit(live.entry));
  EXPECT_EQ(seg.control().sleeper_entries[5].owner.load(), 0U);
  EXPECT_EQ(reg.reap_dead(), 0U);
  reg.leave(live);
  EXPECT_EQ(seg.control().sleepers.load(), 0U);
}

TEST(SleeperRegistry, AReaperThatDiedHoldingItsMarkerIsFinishedByTheNext) {
  Segment seg;
  SleeperRegistry reg(seg.view);
  seg.control().sleeper_entries[3].owner.store(kReleasingOwner | static_cast<std::uint64_t>(dead_pid()));
  seg.control().sleepers.fetch_or(sl::tracked_bit(3));
  EXPECT_EQ(reg.reap_dead(), 1U);
  EXPECT_EQ(seg.control().sleepers.load(), 0U);
  EXPECT_EQ(seg.control().sleeper_entries[3].owner.load(), 0U);
}

// A reap that took this live process for dead freed its entry, and another sleeper claimed it and
// set the bit again: this process's leave must leave both alone, or that sleeper sleeps through
// every notify.
TEST(SleeperRegistry, LeaveAfterAMisjudgedReapTouchesNeitherTheEntryNorTheBit) {
  Segment seg;
  SleeperRegistry reg(seg.view);
  const auto mine = reg.enter(false);
  const std::uint64_t other = 0x7FFF0001;  // the new claimer
  seg.control().sleeper_entries[mine.entry].owner.store(other);
  reg.leave(mine);
  EXPECT_EQ(seg.control().sleepers.load(), sl::tracked_bit(mine.entry));
  EXPECT_EQ(seg.control().sleeper_entries[mine.entry].owner.load(), other);
}

TEST(SleeperRegistry, ASlotSleeperIsMarkedInBothWordsAndLeavesNeither) {
  Segment seg;
  SleeperRegistry reg(seg.view);
  const auto sample = reg.enter(false);
  const auto slot = reg.enter(true);
  EXPECT_EQ(seg.control().sleepers.load(), sl::tracked_bit(sample.entry) | sl::tracked_bit(slot.entry));
  EXPECT_EQ(seg.control().slot_sleepers.load(), sl::tracked_bit(slot.entry));
  EXPECT_EQ(reg.load_slot_sleepers(), sl::tracked_bit(slot.entry));
  reg.leave(slot);
  EXPECT_EQ(seg.control().slot_sleepers.load(), 0U);
  EXPECT_EQ(seg.control().sleepers.load(), sl::tracked_bit(sample.entry));
  reg.leave(sample);
  EXPECT_EQ(seg.control().sleepers.load(), 0U);
}

TEST(SleeperRegistry, PastEveryEntryASlotSleeperIsCountedInBothWords) {
  Segment seg;
  SleeperRegistry reg(seg.view);
  std::vector<SleeperRegistry::Ticket> tickets;
  for (std::size_t i = 0; i < kMaxTrackedSleepers; ++i) tickets.push_back(reg.enter(false));
  tickets.push_back(reg.enter(true));
  tickets.push_back(reg.enter(false));
  EXPECT_EQ(sl::untracked(seg.control().sleepers.load()), 2U);
  EXPECT_EQ(seg.control().slot_sleepers.load(), sl::kUntrackedOne);
  for (const auto& t : tickets) reg.leave(t);
  EXPECT_EQ(seg.control().sleepers.load(), 0U);
  EXPECT_EQ(seg.control().slot_sleepers.load(), 0U);
}

TEST(SleeperRegistry, AReapClearsADeadSlotSleepersMarkInBothWords) {
  Segment seg;
  SleeperRegistry reg(seg.view);
  seg.control().sleeper_entries[7].owner.store(static_cast<std::uint64_t>(dead_pid()));
  seg.control().slot_sleepers.fetch_or(sl::tracked_bit(7));
  seg.control().sleepers.fetch_or(sl::tracked_bit(7));
  EXPECT_EQ(reg.reap_dead(), 1U);
  EXPECT_EQ(seg.control().sleepers.load(), 0U);
  EXPECT_EQ(seg.control().slot_sleepers.load(), 0U);
}

TEST(SleeperRegistry, AWatchedCounterIsMarkedInBothWords) {
  Segment seg;
  SleeperRegistry reg(seg.view);
  reg.watch_generation();
  EXPECT_EQ(seg.control().sleepers.load(), sl::kGenerationWatched);
  EXPECT_EQ(seg.control().slot_sleepers.load(), sl::kGenerationWatched);
  // Set in one word only (a process that died between the two RMWs): the next watcher completes it.
  seg.control().slot_sleepers.store(0);
  reg.watch_generation();
  EXPECT_EQ(seg.control().slot_sleepers.load(), sl::kGenerationWatched);
}

}  // namespace
}  // namespace shmslot::core
