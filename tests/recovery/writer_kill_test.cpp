// Scenarios 3 and 4 of the recovery tier: writers that die. One killed between reserve and commit
// with half a payload in its slot (no reader may ever see it; a reap reclaims the slot), writers
// SIGKILLed at random points while publishing continuously (readers never see a torn sample, every
// committed sample arrives in order, nobody stalls), and a writer stopped at the two exact points of
// commit where a signal rarely lands: after taking a sequence number, and after marking its slot
// committed but before entering it in the order ring.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
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

using namespace std::chrono_literals;

constexpr std::size_t kSlots = 16;

struct Board {
  ReaderBoard readers[3];
  WriterBoard writers[kMaxIncarnations];
  FailureNote doomed;
  std::atomic<std::uint32_t> doomed_slot{kNoIndex};
};

int writing_slots(const SegmentSnapshot& snap, std::uint32_t* which = nullptr) {
  int n = 0;
  for (const SlotSnapshot& s : snap.slots) {
    if (s.state == SlotState::Writing) {
      ++n;
      if (which != nullptr) *which = s.index;
    }
  }
  return n;
}

// Readers registered before any writer starts, read until the end marker, then wait for `leave`.
struct ReaderSet {
  std::vector<NamedChild> children;
  Gate ready;
  Gate done;
  Gate leave;

  void start(const std::string& flink, Board& board, int count, std::uint64_t seed) {
    const ReadStyle styles[] = {ReadStyle::Take, ReadStyle::ReadRef, ReadStyle::Mixed};
    const char* names[] = {"reader 0 (take)", "reader 1 (read_ref)", "reader 2 (mixed)"};
    for (int r = 0; r < count; ++r) {
      ReaderSpec spec;
      spec.style = styles[r];
      spec.max_hold_us = r == 0 ? 0 : 100;
      spec.seed = seed + static_cast<std::uint64_t>(r);
      spec.ready = &ready;
      spec.done = &done;
      spec.leave = &leave;
      ReaderBoard& rb = board.readers[r];
      children.push_back({names[r], ChildProcess([&flink, spec, &rb] { return recovery_reader(flink, spec, rb); })});
      if (!ready.take(kWatchdog)) ADD_FAILURE() << names[r] << " did not register: " << rb.failure.message();
    }
  }
  bool all_have(const Board& board, std::uint64_t samples) const {
    for (std::size_t r = 0; r < children.size(); ++r) {
      if (board.readers[r].samples.load() < samples && !board.readers[r].failure.any()) return false;
    }
    return true;
  }
  std::string failures(const Board& board) const {
    std::string out;
    for (std::size_t r = 0; r < children.size(); ++r) {
      if (board.readers[r].failure.any()) out += children[r].name + ": " + board.readers[r].failure.message() + "; ";
    }
    return out;
  }
  std::string counts(const Board& board) const {
    std::string out;
    for (std::size_t r = 0; r < children.size(); ++r) out += std::to_string(board.readers[r].samples.load()) + " ";
    return out;
  }
};

ChildProcess start_writer(const std::string& flink, Board& board, const WriterSpec& spec) {
  WriterBoard& wb = board.writers[spec.writer_id];
  return ChildProcess([&flink, &wb, spec] {
    return with_segment(flink, wb.failure, [&](PosixSlotAllocator& s) { return recovery_writer(s, spec, wb); });
  });
}

// The end of every writer test: an end marker, every reader done, no slot leaked (scenario 6), the
// readers leave and exit cleanly.
void finish(PosixSlotAllocator& owner, Board& board, ReaderSet& readers, std::uint32_t end_writer) {
  FlatWriter<RecoverySample> writer(owner);
  auto end = writer.write_bp(make_sample(kEndMarkerWriter, end_writer), Reliability::Reliable, kWatchdog);
  ASSERT_TRUE(end && end->kind == WriteOutcome::Kind::Written);
  ASSERT_TRUE(wait_until([&] {
    for (std::size_t r = 0; r < readers.children.size(); ++r) {
      if (board.readers[r].done.load() == 0 && !board.readers[r].failure.any()) return false;
    }
    return true;
  })) << "a reader never got the end marker: "
      << readers.counts(board);
  ASSERT_EQ(readers.failures(board), "");
  const ReaderMask mask = owner.registered_readers();
  EXPECT_EQ(static_cast<std::size_t>(bit_count(mask)), readers.children.size());
  EXPECT_EQ(writing_slots(owner.snapshot()), 0) << "a dead writer's loan is still there";
  EXPECT_EQ(reserve_every_slot(owner, mask), kSlots) << "slots leaked";
  ASSERT_TRUE(readers.leave.post(static_cast<int>(readers.children.size())));
  const GroupOutcome outcome = wait_all(readers.children, kWatchdog);
  EXPECT_TRUE(outcome.all_ok()) << outcome.describe(readers.children, nullptr) << " -- " << readers.failures(board);
}

TEST(WriterKilled, BetweenReserveAndCommitItsHalfWrittenSampleIsNeverSeenAndItsSlotIsReclaimed) {
  const std::uint64_t seed = recovery_seed();
  std::cout << "seed " << seed << " (SHMSLOT_RECOVERY_SEED)\n";
  RecordProperty("seed", std::to_string(seed));
  const std::uint64_t rounds = std::min<std::uint64_t>(recovery_scaled(20), kMaxIncarnations - 2);
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("writer-dies-loaned");
  SharedBlock<Board> board;
  ReaderSet readers;
  Gate loaned;
  std::string shm_name;
  std::uint64_t reaped_by_call = 0;
  std::uint64_t reaped_by_reserve = 0;
  {
    auto owner = PosixSlotAllocator::create(flink, kSlots, sizeof(RecoverySample), recovery_options());
    ASSERT_TRUE(owner) << owner.error().message();
    shm_name = owner->shm_name();
    readers.start(flink, *board, 2, seed);
    ASSERT_FALSE(HasFailure());

    std::uint64_t delivered = 0;
    for (std::uint64_t round = 0; round < rounds; ++round) {
      SCOPED_TRACE("round " + std::to_string(round));
      const bool flat_loan = round % 2 == 0;      // FlatWriter::loan, else reserve_slot + slot_data_ptr
      const bool kills_itself = round % 4 < 2;    // raise(SIGKILL), else the parent kills it
      const bool reserve_reaps = round % 3 == 1;  // the next writer's reserve_slot reaps, else reap()
      board->doomed_slot.store(kNoIndex);
      ChildProcess doomed([&] {
        return with_segment(flink, board->doomed, [&](PosixSlotAllocator& s) {
          const RecoverySample full = make_sample(kDoomedWriter, round);
          FlatWriter<RecoverySample> writer(s);
          std::optional<FlatLoan<RecoverySample>> loan;
          if (flat_loan) {
            auto l = writer.loan();
            if (!l) return board->doomed.report(kChildApiError, "loan failed");
            std::memcpy(l->operator->()->bytes.data(), full.bytes.data(), kSampleBytes / 2);
            loan.emplace(std::move(*l));
          } else {
            auto h = s.reserve_slot(s.registered_readers());
            if (!h) return board->doomed.report(kChildApiError, "reserve_slot failed");
            auto data = s.slot_data_ptr(*h);
            if (!data) return board->doomed.report(kChildApiError, "slot_data_ptr failed");
            std::memcpy(data->data(), full.bytes.data(), kSampleBytes / 2);
            board->doomed_slot.store(h->slot_index);
          }
          loaned.post();
          if (kills_itself) ::raise(SIGKILL);
          for (;;) ::pause();
          return kChildOk;
        });
      });
      ASSERT_TRUE(loaned.take(kWatchdog)) << board->doomed.message();
      if (!kills_itself) doomed.kill(SIGKILL);
      ASSERT_EQ(doomed.wait(kWatchdog), std::optional<int>(128 + SIGKILL));

      std::uint32_t loaned_slot = kNoIndex;
      ASSERT_EQ(writing_slots(owner->snapshot(), &loaned_slot), 1) << "the dead writer's loan is not in WRITING";
      if (!flat_loan) {
        EXPECT_EQ(loaned_slot, board->doomed_slot.load());
      }

      const std::uint32_t id = static_cast<std::uint32_t>(round + 1);
      WriterSpec spec;
      spec.writer_id = id;
      spec.seed = seed + round;
      if (reserve_reaps) {
        // Nobody calls reap(): with the readers paused (having read everything), the new writer
        // needs every slot, the dead loan's included, so its reserve_slot must reclaim it.
        ASSERT_TRUE(wait_until([&] { return readers.all_have(*board, delivered); }));
        for (auto& r : readers.children) ASSERT_TRUE(stop_process(r.process));
        spec.count = kSlots;
        ChildProcess writer = start_writer(flink, *board, spec);
        const auto code = writer.wait(kWatchdog);
        for (auto& r : readers.children) continue_process(r.process);
        ASSERT_EQ(code, std::optional<int>(0))
            << "the new writer could not fill the segment: " << board->writers[id].failure.message();
        ++reaped_by_reserve;
      } else {
        EXPECT_GE(owner->reap(), 1U) << "reap() did not free the dead writer's loan";
        ++reaped_by_call;
        spec.count = 2 * kSlots + 3;
        ChildProcess writer = start_writer(flink, *board, spec);
        const auto code = writer.wait(kWatchdog);
        ASSERT_EQ(code, std::optional<int>(0)) << board->writers[id].failure.message();
      }
      EXPECT_EQ(writing_slots(owner->snapshot()), 0) << "the loaned slot was not reclaimed";
      delivered += spec.count;
      ASSERT_TRUE(wait_until([&] { return readers.all_have(*board, delivered); }))
          << "readers have " << readers.counts(*board) << "of " << delivered;
      ASSERT_EQ(readers.failures(*board), "");
    }
    finish(*owner, *board, readers, static_cast<std::uint32_t>(rounds + 1));
    std::uint64_t verified = 0;
    for (std::size_t r = 0; r < readers.children.size(); ++r) {
      const ReaderBoard& rb = board->readers[r];
      EXPECT_EQ(rb.samples.load(), delivered) << readers.children[r].name;
      for (std::uint64_t round = 0; round < rounds; ++round) {
        const std::uint64_t want = round % 3 == 1 ? kSlots : 2 * kSlots + 3;
        EXPECT_EQ(rb.per_writer[round + 1].load(), want) << readers.children[r].name << ", writer " << round + 1;
      }
      verified += rb.samples.load();
    }
    std::cout << "writers killed holding a half-written loan: " << rounds << " (reclaimed by reap(): " << reaped_by_call
              << ", by the next writer's reserve_slot: " << reaped_by_reserve << "); samples verified: " << verified
              << "\n";
    RecordProperty("kills", std::to_string(rounds));
    RecordProperty("samples_verified", std::to_string(verified));
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

TEST(WriterKilled, AtRandomPointsReadersSeeEveryCommittedSampleInOrderAndNeverStall) {
  const std::uint64_t seed = recovery_seed();
  std::cout << "seed " << seed << " (SHMSLOT_RECOVERY_SEED)\n";
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::uint64_t rounds = std::min<std::uint64_t>(recovery_scaled(100), kMaxIncarnations - 2);
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("writer-killed");
  SharedBlock<Board> board;
  ReaderSet readers;
  std::string shm_name;
  std::uint64_t killed_blocked_or_writing = 0;
  {
    auto owner = PosixSlotAllocator::create(flink, kSlots, sizeof(RecoverySample), recovery_options());
    ASSERT_TRUE(owner) << owner.error().message();
    shm_name = owner->shm_name();
    readers.start(flink, *board, 3, seed);
    ASSERT_FALSE(HasFailure());

    for (std::uint64_t round = 0; round < rounds; ++round) {
      SCOPED_TRACE("round " + std::to_string(round));
      const auto id = static_cast<std::uint32_t>(round + 1);
      WriterSpec spec;
      spec.writer_id = id;
      spec.count = 0;                           // until killed
      spec.stop = &board->writers[0].finished;  // never set
      spec.seed = seed + round;
      ChildProcess writer = start_writer(flink, *board, spec);
      // Sometimes before it wrote anything, mostly while it streams.
      if (rng() % 5 != 0) {
        const std::uint64_t some = rng() % (3 * kSlots);
        ASSERT_TRUE(wait_until([&] {
          return board->writers[id].committed.load() >= some || board->writers[id].failure.any();
        })) << "writer "
            << id << " is stuck at " << board->writers[id].committed.load();
      }
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
      writer.kill(SIGKILL);
      const auto code = writer.wait(kWatchdog);
      ASSERT_EQ(code, std::optional<int>(128 + SIGKILL))
          << "writer " << id << " ended on its own: " << board->writers[id].failure.message();
      killed_blocked_or_writing += board->writers[id].committed.load() > 0 ? 1 : 0;
      ASSERT_EQ(readers.failures(*board), "");
    }
    // A last writer that finishes: everything before it must have been passed or delivered.
    const auto last_id = static_cast<std::uint32_t>(rounds + 1);
    WriterSpec last;
    last.writer_id = last_id;
    last.count = 4 * kSlots;
    last.seed = seed;
    ChildProcess writer = start_writer(flink, *board, last);
    const auto code = writer.wait(kWatchdog);
    ASSERT_EQ(code, std::optional<int>(0))
        << board->writers[last_id].failure.message() << " -- " << readers.failures(*board);
    finish(*owner, *board, readers, last_id + 1);

    // Every sample whose commit returned arrived at every reader, and at most the one a writer was
    // committing when it died on top; all readers agree on it.
    std::uint64_t committed_total = 0;
    std::uint64_t in_flight_delivered = 0;
    for (std::uint32_t id = 1; id <= last_id; ++id) {
      const std::uint64_t committed = board->writers[id].committed.load();
      committed_total += committed;
      const std::uint64_t got = board->readers[0].per_writer[id].load();
      EXPECT_TRUE(got == committed || (id != last_id && got == committed + 1))
          << "writer " << id << ": " << committed << " commits returned, reader 0 got " << got;
      in_flight_delivered += got - std::min(got, committed);
      for (std::size_t r = 1; r < readers.children.size(); ++r) {
        EXPECT_EQ(board->readers[r].per_writer[id].load(), got) << readers.children[r].name << ", writer " << id;
      }
    }
    const std::uint64_t next_sequence = owner->snapshot().next_sequence;
    const std::uint64_t received = board->readers[0].samples.load();
    // Sequence numbers taken but never delivered: writers killed inside commit (plus the end marker
    // not counted as a sample).
    const std::uint64_t gaps = next_sequence - 1 - received;
    std::uint64_t verified = 0;
    for (std::size_t r = 0; r < readers.children.size(); ++r) verified += board->readers[r].samples.load();
    std::cout << "writers killed: " << rounds << " (" << killed_blocked_or_writing << " after publishing); samples "
              << "committed: " << committed_total << ", delivered although the writer died before its commit "
              << "returned: " << in_flight_delivered << ", sequence numbers passed as gaps: " << gaps
              << "; samples verified: " << verified << "\n";
    RecordProperty("kills", std::to_string(rounds));
    RecordProperty("gaps_passed", std::to_string(gaps));
    RecordProperty("samples_verified", std::to_string(verified));
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

// A writer that dies right after taking a sequence number (commit step 3) leaves a gap: a reader
// waiting for that number must pass it once a later number is published and a lease has gone by
// (docs/recovery.md). The child stands in for such a writer with the one store commit makes up to
// that point, since a signal almost never lands in that window.
TEST(WriterKilled, AfterTakingASequenceNumberReadersPassTheGap) {
  const std::uint64_t seed = recovery_seed();
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("writer-dies-after-taking-a-number");
  SharedBlock<Board> board;
  ReaderSet readers;
  std::string shm_name;
  {
    auto owner = PosixSlotAllocator::create(flink, kSlots, sizeof(RecoverySample), recovery_options());
    ASSERT_TRUE(owner) << owner.error().message();
    shm_name = owner->shm_name();
    readers.start(flink, *board, 2, seed);
    ASSERT_FALSE(HasFailure());
    auto take_a_number_and_die = [&] {
      ChildProcess taker([&] {
        RawSegmentAccess raw(shm_name);
        if (!raw.ok()) return board->doomed.report(kChildSetup, "raw map failed");
        (void)raw.take_sequence_number();
        ::raise(SIGKILL);
        return kChildOk;
      });
      return taker.wait(kWatchdog);
    };
    std::uint64_t delivered = 0;
    // 1. The next writer publishes four segments' worth: the readers pass the gap at the latest when
    //    a sample lands in the gap's ring entry (they find themselves lapped and resync).
    // 2. The next writer publishes half a segment and stops: nothing laps the gap, the readers must
    //    pass it by its lease alone.
    const std::uint64_t counts[] = {4 * kSlots, kSlots / 2};
    for (std::uint32_t stage = 0; stage < 2; ++stage) {
      SCOPED_TRACE(stage == 0 ? "a writer that laps the gap" : "a writer that stops after half a segment");
      ASSERT_EQ(take_a_number_and_die(), std::optional<int>(128 + SIGKILL)) << board->doomed.message();
      WriterSpec spec;
      spec.writer_id = stage + 1;
      spec.count = counts[stage];
      ChildProcess writer = start_writer(flink, *board, spec);
      const auto code = writer.wait(kWatchdog);
      ASSERT_EQ(code, std::optional<int>(0))
          << "the writer after the gap: " << board->writers[spec.writer_id].failure.message() << " -- "
          << readers.failures(*board);
      delivered += spec.count;
      ASSERT_TRUE(wait_until([&] { return readers.all_have(*board, delivered); }))
          << "readers have " << readers.counts(*board) << "of " << delivered;
      ASSERT_EQ(readers.failures(*board), "");
    }
    finish(*owner, *board, readers, 3);
    for (std::size_t r = 0; r < readers.children.size(); ++r) {
      EXPECT_EQ(board->readers[r].per_writer[1].load(), counts[0]) << readers.children[r].name;
      EXPECT_EQ(board->readers[r].per_writer[2].load(), counts[1]) << readers.children[r].name;
    }
    std::cout << "gaps passed: 2; samples verified: "
              << board->readers[0].samples.load() + board->readers[1].samples.load() << "\n";
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

// A writer that dies after marking its slot COMMITTED (commit step 5) but before entering it in the
// order ring (step 6) leaves a complete sample: it must still be delivered, in order, once a later
// number is published and a lease has gone by (docs/recovery.md). Its slot stays committed and
// unread, so the next writer fills the segment before it can lap the gap.
TEST(WriterKilled, AfterCommittingButBeforePublishingItsSampleIsStillDelivered) {
  const std::uint64_t seed = recovery_seed();
  TempFlinkDir dir;
  const auto shm_before = shm_objects();
  const std::string flink = dir.flink("writer-dies-before-publishing");
  SharedBlock<Board> board;
  ReaderSet readers;
  std::string shm_name;
  {
    auto owner = PosixSlotAllocator::create(flink, kSlots, sizeof(RecoverySample), recovery_options());
    ASSERT_TRUE(owner) << owner.error().message();
    shm_name = owner->shm_name();
    readers.start(flink, *board, 2, seed);
    ASSERT_FALSE(HasFailure());
    const std::uint64_t per_writer = 4 * kSlots;
    WriterSpec spec;
    spec.writer_id = 1;
    spec.count = per_writer;
    {
      ChildProcess first = start_writer(flink, *board, spec);
      ASSERT_EQ(first.wait(kWatchdog), std::optional<int>(0)) << board->writers[1].failure.message();
    }
    ASSERT_TRUE(wait_until([&] { return readers.all_have(*board, per_writer); }));
    ChildProcess committer([&] {
      return with_segment(flink, board->doomed, [&](PosixSlotAllocator& s) {
        RawSegmentAccess raw(s.shm_name());
        auto h = s.reserve_slot(s.registered_readers());
        if (!raw.ok() || !h) return board->doomed.report(kChildSetup, "reserve or raw map failed");
        auto data = s.slot_data_ptr(*h);
        if (!data) return board->doomed.report(kChildSetup, "slot_data_ptr failed");
        const RecoverySample sample = make_sample(2, 0);
        std::memcpy(data->data(), &sample, sizeof sample);
        (void)raw.commit_without_publishing(h->slot_index, static_cast<std::uint32_t>(sizeof sample));
        ::raise(SIGKILL);
        return kChildOk;
      });
    });
    ASSERT_EQ(committer.wait(kWatchdog), std::optional<int>(128 + SIGKILL)) << board->doomed.message();
    spec.writer_id = 3;
    ChildProcess third = start_writer(flink, *board, spec);
    const auto code = third.wait(kWatchdog);
    ASSERT_EQ(code, std::optional<int>(0))
        << "the writer after the unpublished commit: " << board->writers[3].failure.message() << " -- "
        << readers.failures(*board);
    ASSERT_TRUE(wait_until([&] { return readers.all_have(*board, 2 * per_writer + 1); }))
        << "readers have " << readers.counts(*board) << "of " << 2 * per_writer + 1;
    ASSERT_EQ(readers.failures(*board), "");
    finish(*owner, *board, readers, 4);
    for (std::size_t r = 0; r < readers.children.size(); ++r) {
      const ReaderBoard& rb = board->readers[r];
      EXPECT_EQ(rb.per_writer[1].load(), per_writer) << readers.children[r].name;
      EXPECT_EQ(rb.per_writer[2].load(), 1U) << readers.children[r].name << ": the committed, unpublished sample";
      EXPECT_EQ(rb.per_writer[3].load(), per_writer) << readers.children[r].name;
    }
    std::cout << "unpublished commit delivered; samples verified: "
              << board->readers[0].samples.load() + board->readers[1].samples.load() << "\n";
  }
  expect_nothing_left(dir, shm_before, shm_name);
}

}  // namespace
}  // namespace shmslot::test

namespace shmslot::test {
namespace {

// Two writers die after taking numbers of one ring class (3 and 6 with 3 slots), and a reader stands
// between them: it has passed 3 by the gap rule and not read 4 yet when 7 (4's class) is published.
// It finds itself lapped; the resync's frontier must not stop at 3 + 3 = 6's stale entry below it,
// or it waits for class 0 to be published again while the writer, full of its unread samples, waits
// for it (the random-kill harness found this deadlock).
TEST(WriterKilled, AReaderLappedBetweenTwoDeadWritersGapsIsNotStalled) {
  TempFlinkDir dir;
  CreateOptions options;
  options.lease = std::chrono::milliseconds(20);
  auto seg = PosixSlotAllocator::create(dir.flink("two-gaps"), 3, 64, options);
  ASSERT_TRUE(seg) << seg.error().message();
  ASSERT_EQ(seg->register_reader(0).value_or(99), 0U);
  RawSegmentAccess dead_writers(seg->shm_name());
  ASSERT_TRUE(dead_writers.ok());
  auto commit = [&] {
    auto h = seg->reserve_slot(seg->registered_readers());
    ASSERT_TRUE(h) << h.error().message();
    ASSERT_TRUE(seg->commit_slot(*h, std::vector<std::byte>(8)));
  };
  // The next unread sample's sequence number, waiting out gaps (a lease each); nullopt on the hang guard.
  auto next_seq = [&]() -> std::optional<std::uint64_t> {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto next = seg->next_unread_slot(0);
      if (next && *next) return seg->read_slot(**next).value().header.sequence_number;
      std::this_thread::sleep_for(1ms);
    }
    return std::nullopt;
  };
  auto read_one = [&](std::uint64_t expect) {
    auto next = seg->next_unread_slot(0);
    ASSERT_TRUE(next && *next);
    ASSERT_EQ(seg->read_slot(**next).value().header.sequence_number, expect);
    ASSERT_TRUE(seg->mark_read(**next, 0));
  };
  for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(commit());
  for (std::uint64_t s = 0; s < 3; ++s) ASSERT_NO_FATAL_FAILURE(read_one(s));
  ASSERT_EQ(dead_writers.take_sequence_number(), 3U);
  ASSERT_NO_FATAL_FAILURE(commit());  // 4
  ASSERT_NO_FATAL_FAILURE(commit());  // 5
  ASSERT_EQ(next_seq(), std::optional<std::uint64_t>(4)) << "the gap at 3 was not passed";
  ASSERT_EQ(dead_writers.take_sequence_number(), 6U);
  ASSERT_NO_FATAL_FAILURE(commit());  // 7, into the slot 2 held; 4 and 5 stay unread, the writer is full
  EXPECT_EQ(next_seq(), std::optional<std::uint64_t>(4)) << "the lapped reader stalled below the dead writers' gap";
  ASSERT_NO_FATAL_FAILURE(read_one(4));
  ASSERT_NO_FATAL_FAILURE(read_one(5));
  EXPECT_EQ(next_seq(), std::optional<std::uint64_t>(7)) << "the gap at 6 was not passed";
}

}  // namespace
}  // namespace shmslot::test

namespace shmslot::test {
namespace {

// Two writers with different active masks: W1 (reader 0 in its mask) has taken number x and is
// preempted before its commit lands; W2 (an empty mask) commits x+1 and x+2 into the other slot, and
// x+2 takes x's ring entry. Reader 0, lapped at x, must wait for x rather than pass it: W1 is alive,
// and once it commits, x is reader 0's.
TEST(WriterKilled, ALappedReaderWaitsForANumberALiveWriterIsStillCommitting) {
  TempFlinkDir dir;
  CreateOptions options;
  options.lease = std::chrono::milliseconds(60'000);  // no gap rule may pass x during the test
  auto seg = PosixSlotAllocator::create(dir.flink("overtaken"), 2, 64, options);
  ASSERT_TRUE(seg) << seg.error().message();
  ASSERT_EQ(seg->register_reader(0).value_or(99), 0U);
  RawSegmentAccess w1(seg->shm_name());
  ASSERT_TRUE(w1.ok());
  auto loan = seg->reserve_slot(0b1);
  ASSERT_TRUE(loan);
  const std::uint64_t x = w1.take_sequence_number_in(loan->slot_index);
  for (int i = 0; i < 2; ++i) {
    auto h = seg->reserve_slot(0);
    ASSERT_TRUE(h) << h.error().message();
    ASSERT_NE(h->slot_index, loan->slot_index);
    ASSERT_TRUE(seg->commit_slot(*h, std::vector<std::byte>(8)));
  }
  auto early = seg->next_unread_slot(0);
  ASSERT_TRUE(early);
  EXPECT_FALSE(*early) << "the reader passed x while its writer was still committing it (got "
                       << seg->read_slot(**early).value().header.sequence_number << ")";
  w1.finish_commit(loan->slot_index, x, 8);
  auto after = seg->next_unread_slot(0);
  ASSERT_TRUE(after && *after) << "x never reached the reader";
  EXPECT_EQ(seg->read_slot(**after).value().header.sequence_number, static_cast<std::uint32_t>(x));
}

}  // namespace
}  // namespace shmslot::test
