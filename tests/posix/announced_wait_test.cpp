// The register-then-check sleep (docs/protocol.md, "Notification"): a commit or mark_read moves the
// change counter at 0x10 only when somebody may be waiting for it. Attacked here: nobody waiting
// means no write to the counter; a sleeper that announced itself is woken by every commit (readers)
// and every mark_read (a writer held back by a full segment), across threads and processes; a
// caller of notify_generation() makes every later commit move the counter, in every process; an
// announcement always ends without a mark.
//
// A lost wake-up shows as TimedOut: the segments' lease is the longest there is (60 s), so no sleep
// ends by itself before the waits' 25 s deadline. The deadline is a hang guard, not a speed claim.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "shmslot/shmslot.hpp"
#include "support/child_process.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kHangGuard = 25s;

PosixSlotAllocator make_segment(const std::string& flink, std::size_t slots) {
  CreateOptions options;
  options.lease = 60s;
  auto created = PosixSlotAllocator::create(flink, slots, 64, options);
  if (!created) throw std::runtime_error("create " + flink + ": " + created.error().message());
  return std::move(*created);
}

std::uint32_t generation_of(const PosixSlotAllocator& a) { return a.snapshot().notify_generation; }

std::array<std::byte, 8> number(std::uint64_t n) {
  std::array<std::byte, 8> bytes{};
  std::memcpy(bytes.data(), &n, sizeof n);
  return bytes;
}

std::uint64_t number_in(std::span<const std::byte> bytes) {
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), std::min(bytes.size(), sizeof n));
  return n;
}

// `rounds` times: write n on `out`, then wait for n with `reader` (or, with `serve`, the other way
// round). Returns an empty string or what went wrong. Both readers must be registered before the
// first write: a writer publishes to the readers registered when it reserves.
std::string ping_pong(PosixSlotAllocator& out, Reader& reader, std::uint64_t rounds, bool serve) {
  Writer writer(out);
  std::array<std::byte, 8> got{};
  for (std::uint64_t n = 0; n < rounds; ++n) {
    if (!serve) {
      if (auto w = writer.write_blocking(number(n), WaitLimit::within(kHangGuard)); !w) return "write: " + w.error().message();
    }
    auto header = reader.take_into_blocking(got, WaitLimit::within(kHangGuard));
    if (!header) return "round " + std::to_string(n) + ": take: " + header.error().message();
    if (number_in(got) != n) return "round " + std::to_string(n) + ": got " + std::to_string(number_in(got));
    if (serve) {
      if (auto w = writer.write_blocking(number(n), WaitLimit::within(kHangGuard)); !w) return "write: " + w.error().message();
    }
  }
  return {};
}

TEST(AnnouncedWait, ACommitAndAMarkNobodyWaitsForLeaveTheCounterAlone) {
  TempFlinkDir dir;
  PosixSlotAllocator seg = make_segment(dir.flink("a"), 4);
  auto reader = Reader::registered(seg);
  ASSERT_TRUE(reader);
  Writer writer(seg);
  const std::uint32_t before = generation_of(seg);
  for (std::uint64_t n = 0; n < 10; ++n) {
    ASSERT_TRUE(writer.write(number(n)));
    auto sample = reader->take();
    ASSERT_TRUE(sample && *sample);
  }
  EXPECT_EQ(generation_of(seg), before);
  EXPECT_FALSE(seg.snapshot().generation_watched);
  // The rare changes still move it: a discard.
  {
    auto loan = writer.loan(8);
    ASSERT_TRUE(loan);
  }  // the loan's destructor discards it
  EXPECT_EQ(generation_of(seg), before + 1);
}

TEST(AnnouncedWait, ReadingTheCounterMakesEveryLaterCommitMoveItInEveryProcess) {
  TempFlinkDir dir;
  PosixSlotAllocator seg = make_segment(dir.flink("a"), 4);
  Writer writer(seg);
  ASSERT_TRUE(writer.write(number(0)));
  ASSERT_EQ(generation_of(seg), 0U);
  // Another process reads the counter, as a wait_for_change caller does, and leaves.
  ChildProcess watcher([flink = dir.flink("a")]() -> int {
    auto other = PosixSlotAllocator::attach(flink);
    if (!other) return 2;
    (void)other->notify_generation();
    return 0;
  });
  ASSERT_EQ(watcher.wait(60s), 0);
  EXPECT_TRUE(seg.snapshot().generation_watched);
  ASSERT_TRUE(writer.write(number(1)));
  ASSERT_TRUE(writer.write(number(2)));
  EXPECT_EQ(generation_of(seg), 2U);  // sticky: the watcher may come back, nothing says it will not
}

TEST(AnnouncedWait, AWaitForChangeCallerIsWokenByTheNextCommit) {
  TempFlinkDir dir;
  PosixSlotAllocator seg = make_segment(dir.flink("a"), 4);
  auto consumer = PosixSlotAllocator::attach(dir.flink("a"));
  ASSERT_TRUE(consumer);
  Writer writer(seg);
  std::atomic<bool> asleep{false};
  std::atomic<bool> woken{false};
  std::thread sleeper([&] {
    const std::uint64_t g = consumer->notify_generation();
    asleep = true;
    woken = consumer->wait_for_change(g, kHangGuard);
  });
  while (!asleep) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(20ms);  // most likely inside FUTEX_WAIT by now; either way it must wake
  ASSERT_TRUE(writer.write(number(1)));
  sleeper.join();
  EXPECT_TRUE(woken) << "a wait_for_change caller slept through a commit";
}

TEST(AnnouncedWait, SleepingReadersAreWokenByEveryCommitAcrossThreads) {
  TempFlinkDir dir;
  PosixSlotAllocator ping = make_segment(dir.flink("ping"), 4);
  PosixSlotAllocator pong = make_segment(dir.flink("pong"), 4);
  auto from_ping = Reader::registered(ping);
  auto from_pong = Reader::registered(pong);
  ASSERT_TRUE(from_ping && from_pong);
  std::string served;
  std::thread server([&] { served = ping_pong(pong, *from_ping, 5000, true); });
  const std::string asked = ping_pong(ping, *from_pong, 5000, false);
  server.join();
  EXPECT_EQ(asked, "");
  EXPECT_EQ(served, "");
  EXPECT_FALSE(ping.snapshot().generation_watched);
  EXPECT_EQ(ping.snapshot().waiters, 0U);
  EXPECT_EQ(pong.snapshot().waiters, 0U);
}

TEST(AnnouncedWait, SleepingReadersAreWokenByEveryCommitAcrossProcesses) {
  TempFlinkDir dir;
  PosixSlotAllocator ping = make_segment(dir.flink("ping"), 4);
  PosixSlotAllocator pong = make_segment(dir.flink("pong"), 4);
  ChildProcess server([&dir]() -> int {
    auto in = PosixSlotAllocator::attach(dir.flink("ping"));
    auto out = PosixSlotAllocator::attach(dir.flink("pong"));
    if (!in || !out) return 2;
    auto from_ping = Reader::registered(*in);
    if (!from_ping) return 3;
    const std::string why = ping_pong(*out, *from_ping, 5000, true);
    if (!why.empty()) std::fprintf(stderr, "server: %s\n", why.c_str());
    return why.empty() ? 0 : 1;
  });
  auto from_pong = Reader::registered(pong);
  ASSERT_TRUE(from_pong);
  // The server registers its reader before the first ping can be missed: wait for it.
  for (int i = 0; i < 60000 && ping.registered_readers() == 0; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(ping_pong(ping, *from_pong, 5000, false), "");
  EXPECT_EQ(server.wait(60s), 0);
  EXPECT_FALSE(pong.snapshot().generation_watched);
}

TEST(AnnouncedWait, AWriterHeldBackByAFullSegmentIsWokenByEveryMarkRead) {
  TempFlinkDir dir;
  PosixSlotAllocator seg = make_segment(dir.flink("a"), 2);
  auto reader = Reader::registered(seg);
  ASSERT_TRUE(reader);
  constexpr std::uint64_t kSamples = 20000;
  std::string wrote;
  std::thread producer([&] {
    Writer writer(seg);
    for (std::uint64_t n = 0; n < kSamples; ++n) {
      if (auto w = writer.write_blocking(number(n), WaitLimit::within(kHangGuard)); !w) {
        wrote = "sample " + std::to_string(n) + ": " + w.error().message();
        return;
      }
    }
  });
  std::array<std::byte, 8> got{};
  std::uint64_t n = 0;
  for (; n < kSamples; ++n) {
    auto header = reader->take_into_blocking(got, WaitLimit::within(kHangGuard));
    if (!header) break;
    if (number_in(got) != n) break;
    // Now and then the reader dawdles, so that the writer finds the segment full and sleeps.
    if (n % 64 == 0) std::this_thread::yield();
  }
  producer.join();
  EXPECT_EQ(wrote, "");
  EXPECT_EQ(n, kSamples) << "the reader stopped at sample " << n;
  EXPECT_EQ(seg.snapshot().waiters, 0U);
}

TEST(AnnouncedWait, AnAnnouncementEndsWithoutAMarkWhicheverWayItEnds) {
  TempFlinkDir dir;
  PosixSlotAllocator seg = make_segment(dir.flink("a"), 4);
  const auto withdrawn = seg.announce_wait(WaitFor::Change);
  EXPECT_EQ(seg.snapshot().waiters, 1U);
  seg.withdraw_wait(withdrawn);
  EXPECT_EQ(seg.snapshot().waiters, 0U);
  const auto slept = seg.announce_wait(WaitFor::Change);
  EXPECT_FALSE(seg.sleep_announced(slept, 1ms));  // nothing changed: it returns by its timeout
  EXPECT_EQ(seg.snapshot().waiters, 0U);
  // A change after the announcement ends the sleep at once (the counter moved past the one read).
  const auto changed = seg.announce_wait(WaitFor::Change);
  seg.wake_waiters();
  EXPECT_TRUE(seg.sleep_announced(changed, kHangGuard));
  EXPECT_EQ(seg.snapshot().waiters, 0U);
  EXPECT_FALSE(seg.snapshot().generation_watched);
}

TEST(AnnouncedWait, AMarkReadMovesTheCounterOnlyForAWaiterOfAFreeSlot) {
  TempFlinkDir dir;
  PosixSlotAllocator seg = make_segment(dir.flink("a"), 4);
  auto reader = Reader::registered(seg);
  ASSERT_TRUE(reader);
  Writer writer(seg);
  ASSERT_TRUE(writer.write(number(1)));
  ASSERT_TRUE(writer.write(number(2)));
  std::array<std::byte, 8> got{};
  // A waiter for a sample (another reader) is announced: the commit wakes it, a mark_read does not.
  const auto sample = seg.announce_wait(WaitFor::Sample);
  const std::uint32_t before_mark = generation_of(seg);
  ASSERT_TRUE(reader->take_into(got));
  EXPECT_EQ(generation_of(seg), before_mark);
  ASSERT_TRUE(writer.write(number(3)));
  EXPECT_NE(generation_of(seg), before_mark);
  seg.withdraw_wait(sample);
  // A waiter for a free slot (a writer) is announced: the mark_read moves the counter.
  const auto slot = seg.announce_wait(WaitFor::Change);
  const std::uint32_t before_slot = generation_of(seg);
  ASSERT_TRUE(reader->take_into(got));
  EXPECT_NE(generation_of(seg), before_slot);
  seg.withdraw_wait(slot);
  EXPECT_EQ(seg.snapshot().waiters, 0U);
}

TEST(AnnouncedWait, AWriterHeldBackByAReaderThatUnregistersIsWoken) {
  TempFlinkDir dir;
  PosixSlotAllocator seg = make_segment(dir.flink("a"), 1);
  auto reader = std::make_optional(Reader::registered(seg));
  ASSERT_TRUE(*reader);
  Writer writer(seg);  // its active mask: the registered readers, read at every reserve
  ASSERT_TRUE(writer.write(number(0)));
  std::string wrote;
  std::thread blocked([&] {
    // Full: the one slot holds a sample the reader has not read, until the reader goes.
    if (auto w = writer.write_blocking(number(1), WaitLimit::within(kHangGuard)); !w) wrote = w.error().message();
  });
  while (seg.snapshot().waiters == 0) std::this_thread::yield();  // the writer has announced its wait
  const std::uint32_t before = generation_of(seg);
  reader.reset();  // unregisters without reading: the writer's mask no longer holds it
  // The unregistration moved the counter, which is what ends the writer's sleep (its deadline's
  // last try would succeed too, so the join alone could not tell a wake-up from a timeout).
  EXPECT_NE(generation_of(seg), before);
  blocked.join();
  EXPECT_EQ(wrote, "");
}

TEST(AnnouncedWait, AWithdrawalOfATicketThatRecordsNothingTouchesNoSleeper) {
  TempFlinkDir dir;
  PosixSlotAllocator seg = make_segment(dir.flink("a"), 4);
  const auto open = seg.announce_wait(WaitFor::Change);
  ASSERT_EQ(seg.snapshot().waiters, 1U);
  seg.withdraw_wait({});                                   // a default announcement records nothing
  seg.withdraw_wait({open.generation, 1U << 28});          // nor does a ticket no registry hands out
  seg.withdraw_wait({open.generation, 63});                // an entry past the 32 (bit 63 is another word's)
  EXPECT_FALSE(seg.sleep_announced({open.generation, 40}, 1ms));
  EXPECT_EQ(seg.snapshot().waiters, 1U);
  EXPECT_FALSE(seg.snapshot().generation_watched);
  seg.withdraw_wait(open);
  EXPECT_EQ(seg.snapshot().waiters, 0U);
}

// What a wait_until attempt saw: how often it ran, and the most sleepers the segment announced
// while it did (an announced try sees its own announcement).
struct AttemptLog {
  int calls = 0;
  std::uint32_t most_waiters = 0;
};

// An attempt that delivers at its `deliver_at`-th call (never, for 0).
auto delivering_at(const PosixSlotAllocator& seg, AttemptLog& log, int deliver_at) {
  return [&seg, &log, deliver_at]() -> tl::expected<std::optional<int>, SlotError> {
    ++log.calls;
    log.most_waiters = std::max(log.most_waiters, seg.snapshot().waiters);
    if (log.calls == deliver_at) return std::optional<int>(log.calls);
    return std::optional<int>{};
  };
}

TEST(AnnouncedWait, ASpinWindowTriesWithoutAnnouncing) {
  TempFlinkDir dir;
  PosixSlotAllocator seg = make_segment(dir.flink("a"), 4);
  AttemptLog spun;
  const auto got = wait_until(seg, WaitLimit::within(kHangGuard).spinning(kHangGuard), WaitFor::Sample,
                              delivering_at(seg, spun, 5));
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, 5);
  EXPECT_EQ(spun.most_waiters, 0U) << "a try inside the spin window was announced";
  // Without the window the second try is already announced: what the assertion above tells apart.
  AttemptLog slept;
  const auto second = wait_until(seg, WaitLimit::within(kHangGuard), WaitFor::Sample, delivering_at(seg, slept, 2));
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(slept.most_waiters, 1U);
  EXPECT_EQ(seg.snapshot().waiters, 0U);
}

TEST(AnnouncedWait, AStopRequestOrTheDeadlineEndsASpinWindow) {
  TempFlinkDir dir;
  PosixSlotAllocator seg = make_segment(dir.flink("a"), 4);
  std::stop_source source;
  int calls = 0;
  const auto stopped = wait_until(seg, WaitLimit::within(kHangGuard, source.get_token()).spinning(kHangGuard),
                                  WaitFor::Sample, [&]() -> tl::expected<std::optional<int>, SlotError> {
                                    if (++calls == 3) source.request_stop();
                                    return std::optional<int>{};
                                  });
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, SlotErrorCode::Stopped);
  EXPECT_EQ(calls, 3);
  // A window longer than the time left ends at the deadline, with the usual last (announced) try.
  // A try long after the deadline (the window running on to its own end) fails the wait with an
  // error of the attempt's own, which the assertions below tell from TimedOut.
  AttemptLog never;
  const auto deadline = std::chrono::steady_clock::now() + 20ms;
  auto never_delivering = delivering_at(seg, never, 0);
  const auto timed_out = wait_until(seg, WaitLimit::until(deadline).spinning(kHangGuard), WaitFor::Sample,
                                    [&]() -> tl::expected<std::optional<int>, SlotError> {
                                      if (std::chrono::steady_clock::now() > deadline + 5s) {
                                        return tl::unexpected(SlotError::of(SlotErrorCode::Unsupported));
                                      }
                                      return never_delivering();
                                    });
  ASSERT_FALSE(timed_out);
  EXPECT_EQ(timed_out.error().code, SlotErrorCode::TimedOut) << timed_out.error().message();
  EXPECT_EQ(never.most_waiters, 1U);
  EXPECT_EQ(seg.snapshot().waiters, 0U);
}

}  // namespace
}  // namespace shmslot::test
