// History across processes: a reader that joins while a writer process streams starts with the
// retained samples, then reads the live ones, in order; what it never saw shows as holes in the
// sequence numbers, at most the retained window's worth.
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <shmslot/shmslot.hpp>

#include "process_group.hpp"
#include "roles.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

constexpr auto kWatchdog = std::chrono::seconds(120);
constexpr auto kGateTimeout = std::chrono::seconds(30);

TEST(HistoryProcesses, ALateJoinerUnderLoadReadsTheRetainedThenTheLiveInOrder) {
  constexpr std::uint32_t kDepth = 16;
  constexpr std::size_t kSlots = 32;
  const std::uint64_t before_join = 2000;
  const std::uint64_t to_read = scaled(5000);
  TempFlinkDir dir;
  CreateOptions options;
  options.history_depth = kDepth;
  auto segment = PosixSlotAllocator::create(dir.flink("hist"), kSlots, 64, options);
  ASSERT_TRUE(segment) << segment.error().message();
  SharedBlock<Progress> progress;
  const Gate go;
  // The writer publishes its running number for the registered readers, waiting for them when the
  // segment is full, until the joiner has read enough (it is killed then). A short pause per sample
  // keeps it from moving more than a sample or two between the joiner's look at the counter and its
  // registration, so that "it started in the retained window" can be checked.
  ChildProcess writer([&] {
    auto attached = PosixSlotAllocator::attach(dir.flink("hist"));
    if (!attached || !go.take(kGateTimeout)) return kExitSetup;
    BasicWriter<PosixSlotAllocator> w(*attached);
    for (std::uint64_t n = 0;; ++n) {
      auto sn = w.write_blocking(std::as_bytes(std::span<const std::uint64_t, 1>(&n, 1)), WaitLimit::within(kWatchdog));
      if (!sn) return kExitApiError;
      progress->count[0].store(n + 1);
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  });
  ASSERT_TRUE(writer.started());
  ASSERT_TRUE(go.post());
  const auto deadline = std::chrono::steady_clock::now() + kWatchdog;
  while (progress->count[0].load() < before_join) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the writer did not start";
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const std::uint64_t next_before = segment->snapshot().next_sequence;
  auto joiner = BasicReader<PosixSlotAllocator>::registered_with_history(*segment);
  ASSERT_TRUE(joiner) << joiner.error().message();
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::uint64_t read = 0;
  while (read < to_read) {
    auto sample = joiner->take_blocking(WaitLimit::until(deadline));
    ASSERT_TRUE(sample) << "after " << read << " samples: " << sample.error().message();
    std::uint64_t n = 0;
    ASSERT_EQ(sample->size(), sizeof n);
    std::memcpy(&n, sample->data(), sizeof n);
    EXPECT_EQ(sample->sequence_number(), static_cast<std::uint32_t>(n));  // one writer: its number is the sequence's
    if (read == 0) {
      first = n;
    } else {
      ASSERT_GT(n, last) << "out of order after " << read << " samples";
    }
    last = n;
    ++read;
  }
  writer.kill_and_reap();
  // It started inside the retained window: with samples committed before it joined, and none older
  // than the window; and it lost at most what was retained when it joined.
  EXPECT_LT(first, next_before) << "started at the newest sample: no retained one was read";
  EXPECT_GE(first + kDepth, next_before) << "first " << first << ", next before joining " << next_before;
  const std::uint64_t holes = (last - first + 1) - read;
  EXPECT_LE(holes, kDepth) << "holes: " << holes;
  RecordProperty("holes", std::to_string(holes));
}

}  // namespace
}  // namespace shmslot::test
