// Forced interleavings of the reader registry (docs/recovery.md, "The reader registry" and
// "Reaping"): a reap that runs while a new reader is in the middle of claiming an entry, a reap
// that lost the race for a dead reader's entry to another reap and finishes after a new reader has
// claimed it, and a reap that finds another live process in the middle of releasing such an entry. Chance hits these windows rarely (they are a few instructions, or one slot loop, wide),
// so each test stops a real process at the exact point: the claimer by single-stepping it with
// ptrace until its CAS on the entry's owner word has landed, the late reaper by a page trap on the
// slot header its disconnect touches (the technique of multiprocess/forced_interleaving_test.cpp).
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "multiprocess/leftovers.hpp"
#include "multiprocess/process_group.hpp"
#include "recovery/recovery_roles.hpp"
#include "support/page_trap.hpp"
#include "support/temp_flink.hpp"
#include "support/token_channel.hpp"

namespace shmslot::test {
namespace {

constexpr std::size_t kSlots = 3;

struct RaceBoard {
  FailureNote dead;
  FailureNote claimer;
  FailureNote second;
  FailureNote reaper;
  std::atomic<std::uint32_t> dead_index{kNoIndex};
  std::atomic<std::uint32_t> claimed{kNoIndex};
  std::atomic<std::uint32_t> second_index{kNoIndex};
  std::atomic<std::uint64_t> late_reaped{0};
  std::atomic<std::uint32_t> still_owner{0};      // the claimer, at the end: owner of its entry, bit set
  std::atomic<std::uint64_t> first_index{~0ULL};  // the claimer's first sample
};

ReaderMask bit(std::uint32_t index) { return ReaderMask{1} << index; }

// A reader process that registers (index 0 of a fresh segment) and dies, as SIGKILL leaves it.
void register_and_die(const std::string& flink, RaceBoard& board) {
  ChildProcess dead([&] {
    return with_segment(flink, board.dead, [&](PosixSlotAllocator& s) {
      auto r = s.register_reader();
      if (!r) return board.dead.report(kChildApiError, "register_reader failed");
      board.dead_index.store(*r);
      ::raise(SIGKILL);
      return kChildOk;
    });
  });
  EXPECT_EQ(dead.wait(kWatchdog), std::optional<int>(128 + SIGKILL)) << board.dead.message();
}

// The claimer's last word: does the registry still say it owns the index it registered?
void record_ownership(PosixSlotAllocator& s, RaceBoard& board, std::uint32_t index) {
  auto stats = s.reader_stats(index);
  const bool owner = stats && stats->owner_pid == static_cast<std::uint32_t>(::getpid());
  board.still_owner.store(owner && (s.registered_readers() & bit(index)) != 0 ? 1 : 0);
}

// A process that reaps the dead reader's entry and is stopped inside that release, after its
// marker went into the owner word and before the registered bit is cleared: a page trap on slot 1's
// header (slots are one page each), which the release's disconnect touches. It sends 'T' to the
// parent when stopped ('N' if reap() never got there) and goes on when the parent sends anything.
ChildProcess start_late_reaper(const std::string& flink, RaceBoard& board, std::size_t page,
                               const TokenChannel& to_parent, const TokenChannel& to_reaper) {
  return ChildProcess([&] {
    return with_segment(flink, board.reaper, [&](PosixSlotAllocator& s) {
      // Where the mapping is: a loan's payload pointer, minus its offset.
      auto h = s.reserve_slot(0);
      if (!h) return board.reaper.report(kChildApiError, "reserve_slot failed");
      auto data = s.slot_data_ptr(*h);
      if (!data) return board.reaper.report(kChildApiError, "slot_data_ptr failed");
      const auto base = reinterpret_cast<std::uintptr_t>(data->data()) - 0x20 - 16 - h->slot_index * page;
      (void)s.discard_slot(*h);
      const std::uintptr_t slot1_header = base + 0x20 + page;
      std::size_t reaped = 0;
      bool fired = false;
      {
        const PageTrap trap(reinterpret_cast<char*>(slot1_header & ~(std::uintptr_t{page} - 1)), page, [&] {
          to_parent.send('T');
          to_reaper.receive();  // the parent has acted (or given up)
        });
        reaped = s.reap();
        fired = trap.fired();
      }
      if (!fired) {
        to_parent.send('N');
        return board.reaper.report(kChildSetup, "reap() never touched slot 1's header: the interleaving was not forced");
      }
      board.late_reaped.store(reaped);
      return kChildOk;
    });
  });
}

// Interleaving (reader entry 0; D registered it and died; a reap freed it):
//
//   claimer C (register_reader)            reaper (reap)
//   CAS entry.owner 0 -> C        <- C is stopped here by single-stepping
//                                          owner C, owner_start: still D's start time (a release
//                                          does not clear it); process_alive(C, D's start) is
//                                          false -> release_entry(0, C): disconnect, clear the
//                                          registered bit, CAS owner C -> 0
//   store owner_start, cursor, set the registered bit, return 0
//
// C believes it holds index 0 and its bit is set, but the entry has no owner: the next
// register_reader() hands index 0 to another live process too. recovery.md says owner_start is 0
// ("any start time") until the claimer writes it, which would make the reaper leave C alone.
TEST(RegistryRace, AReapInsideARegistrationLeavesTheClaimerItsIndex) {
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("reap-inside-claim");
  SharedBlock<RaceBoard> board;
  Gate claimed;
  Gate leave;
  std::string shm_name;
  {
    auto owner = PosixSlotAllocator::create(flink, kSlots, sizeof(RecoverySample), recovery_options());
    ASSERT_TRUE(owner) << owner.error().message();
    shm_name = owner->shm_name();
    register_and_die(flink, *board);
    ASSERT_EQ(board->dead_index.load(), 0U);
    ASSERT_EQ(owner->reap(), 1U) << "the dead reader was not reaped";
    ASSERT_EQ(owner->registered_readers(), 0U);
    RawSegmentAccess raw(shm_name);
    ASSERT_TRUE(raw.ok());
    const std::uint64_t stale_start = raw.reader_owner_start(0);
    EXPECT_EQ(stale_start, 0U)
        << "the freed entry 0 keeps its dead owner's start time " << stale_start
        << " (recovery.md: owner_start is 0, \"any start time\", until the next owner writes it)";

    // Start times count clock ticks (10 ms at 100 Hz): C must start in a later tick than D did,
    // as any process started a while later does.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ChildProcess claimer([&] {
      return with_segment(flink, board->claimer, [&](PosixSlotAllocator& s) {
        if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) return 4;  // no ptrace here: skipped
        ::raise(SIGSTOP);
        auto r = s.register_reader();
        if (!r)
          return board->claimer.report(kChildApiError, std::string("register_reader: ") + to_string(r.error().code));
        board->claimed.store(*r);
        claimed.post();
        if (!leave.take(kWatchdog)) return board->claimer.report(kChildSetup, "never told to leave");
        record_ownership(s, *board, *r);
        return kChildOk;
      });
    });
    const pid_t pid = claimer.pid();
    siginfo_t info{};
    ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WSTOPPED | WNOWAIT), 0);
    if (info.si_code != CLD_TRAPPED && info.si_code != CLD_STOPPED) {
      GTEST_SKIP() << "ptrace(PTRACE_TRACEME) is not permitted here; the claimer exited";
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, WUNTRACED), pid);
    ASSERT_TRUE(WIFSTOPPED(status));
    // Step C until its CAS has made it the entry's owner: it is then between that CAS and its
    // store of owner_start.
    bool in_window = false;
    std::uint64_t steps = 0;
    for (; steps < 20'000'000 && !in_window; ++steps) {
      if (::ptrace(PTRACE_SINGLESTEP, pid, nullptr, nullptr) != 0) break;
      if (::waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) break;
      auto stats = owner->reader_stats(0);
      in_window = stats && stats->owner_pid == static_cast<std::uint32_t>(pid);
    }
    ASSERT_TRUE(in_window) << "the claimer never became the owner of entry 0 (" << steps << " steps)";
    EXPECT_EQ(raw.reader_owner_start(0), stale_start) << "the claimer was not stopped inside its claim";
    const std::size_t reaped = owner->reap();
    EXPECT_EQ(reaped, 0U) << "a reap freed entry 0 while its new owner (pid " << pid
                          << ", alive, stopped after its CAS on the owner word) was still claiming it: it "
                          << "compared the live pid with the dead predecessor's start time";
    ASSERT_EQ(::ptrace(PTRACE_DETACH, pid, nullptr, nullptr), 0);
    ASSERT_TRUE(claimed.take(kWatchdog)) << board->claimer.message();
    ASSERT_EQ(board->claimed.load(), 0U);
    auto stats = owner->reader_stats(0);
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->owner_pid, static_cast<std::uint32_t>(pid)) << "entry 0 no longer names its live owner";
    EXPECT_NE(owner->registered_readers() & bit(0), 0U);
    // Another reader process registers now: it must not be handed index 0 as well.
    ChildProcess second([&] {
      return with_segment(flink, board->second, [&](PosixSlotAllocator& s) {
        auto r = s.register_reader();
        if (!r) return board->second.report(kChildApiError, "register_reader failed");
        board->second_index.store(*r);
        return kChildOk;  // unregisters as it leaves
      });
    });
    EXPECT_EQ(second.wait(kWatchdog), std::optional<int>(0)) << board->second.message();
    EXPECT_NE(board->second_index.load(), 0U) << "two live reader processes were both given index 0";
    ASSERT_TRUE(leave.post());
    EXPECT_EQ(claimer.wait(kWatchdog), std::optional<int>(0)) << board->claimer.message();
    EXPECT_EQ(board->still_owner.load(), 1U) << "the claimer lost its registration while it lived";
    std::cout << "claimer stopped after " << steps << " single steps, inside its claim\n";
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

// Interleaving (reader entry 0; D registered it and died):
//
//   reaper A (reap)                  reaper B (reap)              new reader C
//   owner == D, dead: release_entry
//     disconnect(0) ... TRAP
//                                    owner == D, dead:
//                                    release_entry: disconnect,
//                                    clear bit 0, CAS owner D -> 0
//                                                                 register_reader(): CAS owner
//                                                                 0 -> C, set bit 0
//     ... disconnect(0) goes on (marks every slot read by 0, drops 0's pins: now C's)
//     registered.fetch_and(~bit 0)  <- clears C's bit
//     CAS owner D -> 0 fails (owner is C)
//
// C is alive and owns entry 0, but its bit is gone from registered_readers(): a writer that
// publishes with the registered readers as its active mask no longer waits for C and overwrites
// samples C has not read.
TEST(RegistryRace, AReapThatLostTheRaceForADeadEntryLeavesTheNextOwnerRegistered) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("late-reap");
  SharedBlock<RaceBoard> board;
  Gate claimed;
  Gate leave;
  const TokenChannel to_parent;
  const TokenChannel to_reaper;
  std::string shm_name;
  {
    auto owner = PosixSlotAllocator::create(flink, kSlots, page - 16, recovery_options());
    ASSERT_TRUE(owner) << owner.error().message();
    ASSERT_EQ(owner->slot_total_size(), page) << "a slot must be exactly one page for the trap to be precise";
    shm_name = owner->shm_name();
    register_and_die(flink, *board);
    ASSERT_EQ(board->dead_index.load(), 0U);
    ASSERT_NE(owner->registered_readers() & bit(0), 0U);

    ChildProcess reaper = start_late_reaper(flink, *board, page, to_parent, to_reaper);
    ASSERT_EQ(to_parent.receive(), 'T') << "the late reaper did not stop inside its disconnect: "
                                        << board->reaper.message();
    // B: another reap. It frees the dead reader's entry completely, unless the implementation lets
    // only the first reaper of an entry release it (then C gets another index, and all is well).
    const std::size_t second_reap = owner->reap();
    // C: a new reader process claims the lowest free entry and waits for samples.
    ChildProcess claimer([&] {
      return with_segment(flink, board->claimer, [&](PosixSlotAllocator& s) {
        auto reader = FlatReader<RecoverySample>::registered(s);
        if (!reader) return board->claimer.report(kChildApiError, "register failed");
        board->claimed.store(reader->reader_index());
        claimed.post();
        if (!leave.take(kWatchdog)) return board->claimer.report(kChildSetup, "never told to leave");
        record_ownership(s, *board, reader->reader_index());
        auto first = reader->take_blocking(kWatchdog);
        if (!first || !*first) return board->claimer.report(kChildApiError, "no sample");
        auto verified = verify_sample(**first);
        if (auto* problem = std::get_if<std::string>(&verified))
          return board->claimer.report(kChildCheckFailed, *problem);
        board->first_index.store(std::get<Stamp>(verified).index);
        return kChildOk;
      });
    });
    ASSERT_TRUE(claimed.take(kWatchdog)) << board->claimer.message();
    const std::uint32_t index = board->claimed.load();
    ASSERT_LT(index, 32U);
    ASSERT_NE(owner->registered_readers() & bit(index), 0U);
    const bool forced = second_reap == 1 && index == 0;  // C holds the entry the late reaper is releasing
    ASSERT_TRUE(to_reaper.send('C'));
    EXPECT_EQ(reaper.wait(kWatchdog), std::optional<int>(0)) << board->reaper.message();

    EXPECT_NE(owner->registered_readers() & bit(index), 0U)
        << "the late reap (which found entry 0's owner dead before another reap freed it and reader pid "
        << claimer.pid() << " claimed it) cleared the live new owner's registered bit";
    EXPECT_EQ(owner->registered_readers(), bit(index)) << "registered_readers() is not exactly the new reader's bit";
    auto stats = owner->reader_stats(index);
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->owner_pid, static_cast<std::uint32_t>(claimer.pid()));
    // What it costs the new reader: the writer (registered readers as its active mask) must stop
    // after one segment's worth, since C has read nothing.
    FlatWriter<RecoverySample> writer(*owner);
    for (std::uint64_t i = 0; i < kSlots; ++i) {
      auto w = writer.write_bp(make_sample(1, i), Reliability::BestEffort, std::chrono::nanoseconds(0));
      ASSERT_TRUE(w && w->kind == WriteOutcome::Kind::Written);
    }
    auto over = writer.write_bp(make_sample(1, kSlots), Reliability::BestEffort, std::chrono::nanoseconds(0));
    ASSERT_TRUE(over);
    EXPECT_EQ(over->kind, WriteOutcome::Kind::Dropped)
        << "the writer reused the slot of a sample the registered reader " << claimer.pid() << " had not read";
    ASSERT_TRUE(leave.post());
    EXPECT_EQ(claimer.wait(kWatchdog), std::optional<int>(0)) << board->claimer.message();
    EXPECT_EQ(board->still_owner.load(), 1U) << "the new reader lost its registration while it lived";
    EXPECT_EQ(board->first_index.load(), 0U) << "the new reader's first sample was overwritten before it read it";
    std::cout << (forced ? "the new reader claimed entry 0 while the late reaper was releasing it\n"
                         : "the second reap left entry 0 to the first; the new reader got index " +
                               std::to_string(index) + "\n");
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

// A reap that finds another live process releasing a dead reader's entry waits for that release
// (up to 100 ms) instead of returning with the dead reader still registered: after reap(), only
// live readers are registered (recovery.md, "Reaping"). The random-kill harness caught the reap
// that skipped such an entry, its releaser descheduled between the marker and the cleared bit.
TEST(RegistryRace, AReapWaitsForAReleaseAnotherLiveProcessBegan) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("await-release");
  SharedBlock<RaceBoard> board;
  const TokenChannel to_parent;
  const TokenChannel to_reaper;
  std::string shm_name;
  {
    // A lease longer than the reap's own bound on waiting (100 ms), which the resumed releaser
    // finishes well within.
    auto owner = PosixSlotAllocator::create(flink, kSlots, page - 16, recovery_options(std::chrono::milliseconds(500)));
    ASSERT_TRUE(owner) << owner.error().message();
    ASSERT_EQ(owner->slot_total_size(), page) << "a slot must be exactly one page for the trap to be precise";
    shm_name = owner->shm_name();
    register_and_die(flink, *board);
    ASSERT_EQ(board->dead_index.load(), 0U);
    ChildProcess reaper = start_late_reaper(flink, *board, page, to_parent, to_reaper);
    ASSERT_EQ(to_parent.receive(), 'T') << "the releaser did not stop inside its release: " << board->reaper.message();
    ASSERT_NE(owner->registered_readers() & bit(0), 0U) << "the stopped release has cleared the bit already";
    // The releaser goes on a little after this reap has found its marker.
    std::thread resume([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      (void)to_reaper.send('C');
    });
    (void)owner->reap();
    const ReaderMask after_reap = owner->registered_readers();
    resume.join();
    EXPECT_EQ(after_reap & bit(0), 0U) << "reap() returned while the dead reader's entry was still registered";
    EXPECT_EQ(reaper.wait(kWatchdog), std::optional<int>(0)) << board->reaper.message();
    EXPECT_EQ(owner->registered_readers(), 0U);
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

}  // namespace
}  // namespace shmslot::test
