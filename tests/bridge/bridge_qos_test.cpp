// What the QoS and the type check do at the ends of a bridge: samples of another type hash are
// refused and counted; best effort drops when B's segment is full and says how many; with reliable
// QoS a slow reader on B holds the writer on A back (through B's segment, DDS flow control and A's
// segment), and nothing is lost.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "bridge_rig.hpp"
#include "reader_thread.hpp"

namespace shmslot::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kHashA = "00112233445566778899aabbccddeeff";
constexpr const char* kHashB = "ffeeddccbbaa99887766554433221100";

// The next stats line of `bridge` for which `done` holds.
std::optional<std::string> wait_stats(HostProcess& bridge, const std::function<bool(const std::string&)>& done) {
  return bridge.wait_line([&](const std::string& line) { return line.rfind("stats ", 0) == 0 && done(line); });
}

TEST(BridgeQos, SamplesOfAnotherTypeHashAreRefusedAndCounted) {
  BridgeRig rig({.type_hash_a = kHashA, .type_hash_b = kHashB});
  ASSERT_TRUE(rig.start_from_dds());
  ASSERT_TRUE(rig.start_owner_a());
  ASSERT_TRUE(rig.start_to_dds());
  ASSERT_TRUE(rig.wait_matched());
  constexpr int kCount = 200;
  auto pub = rig.run(rig.hosts().a(),
                     {"pub", rig.flink_a(), "--generate", "--size", "64", "--count", std::to_string(kCount), "--mask",
                      "1", "--type-hash", kHashA},
                     "pub");
  EXPECT_EQ(pub->wait(), 0) << pub->err();
  const auto refused =
      wait_stats(*rig.from_dds, [&](const std::string& l) { return pair_value(l, "type_mismatch") == kCount; });
  ASSERT_TRUE(refused) << rig.from_dds->out();
  EXPECT_EQ(pair_value(*refused, "forwarded"), 0);
  auto seg_b = attach_or_die(rig.flink_b());
  EXPECT_EQ(seg_b.snapshot().next_sequence, 0U) << "a refused sample reached B's segment";
  // Reported, not only counted: one line on stderr names the refused hash and the segment's.
  EXPECT_NE(
      rig.from_dds->err().find(std::string("refusing samples of type hash ") + kHashA + ": the segment's is " + kHashB),
      std::string::npos)
      << rig.from_dds->err();
  const std::string got = rig.stop(rig.from_dds);
  EXPECT_EQ(pair_value(got, "type_mismatch"), kCount);
  const std::string sent = rig.stop(rig.to_dds);
  EXPECT_EQ(pair_value(sent, "forwarded"), kCount) << sent;
}

TEST(BridgeQos, BestEffortCountsWhatItDrops) {
  // B's segment has 4 slots and its one reader is slow: most samples find it full and are dropped.
  RigOptions options;
  options.qos = "best-effort";
  options.depth = 8;
  options.slots_a = 64;
  options.slots_b = 4;
  options.capacity = 512;
  BridgeRig rig(options);
  ASSERT_TRUE(rig.start_from_dds());
  ReaderThread reader(rig.flink_b(), std::chrono::microseconds(2000));
  ASSERT_TRUE(rig.start_owner_a());
  ASSERT_TRUE(rig.start_to_dds());
  ASSERT_TRUE(rig.wait_matched());
  constexpr int kCount = 3000;
  auto pub = rig.run(
      rig.hosts().a(),
      {"pub", rig.flink_a(), "--generate", "--size", "256", "--count", std::to_string(kCount), "--mask", "1"}, "pub");
  EXPECT_EQ(pub->wait(), 0) << pub->err();
  // Everything is on its way once the to-dds bridge has passed on or dropped every sample (best
  // effort never waits). Then both bridges stop, and the reader drains B's segment: nothing is
  // forwarded after the from-dds bridge stopped, so the reader ends with exactly what it forwarded.
  const auto all_sent = wait_stats(*rig.to_dds, [&](const std::string& line) {
    return pair_value(line, "forwarded") + pair_value(line, "dropped") == kCount;
  });
  ASSERT_TRUE(all_sent) << rig.to_dds->out();
  const std::string sent = rig.stop(rig.to_dds);
  const std::string got = rig.stop(rig.from_dds);
  const auto deadline = Clock::now() + kBridgeWatchdog;
  while (static_cast<long long>(reader.received()) < pair_value(got, "forwarded") && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  reader.stop();
  const long long forwarded = pair_value(got, "forwarded");
  const long long dropped = pair_value(got, "dropped");
  const long long gaps = pair_value(got, "gaps");
  std::printf(
      "best effort: %d sent; on B forwarded %lld, dropped %lld (segment full), gaps %lld (lost on the "
      "link); the reader read %llu, missed %llu\n",
      kCount, forwarded, dropped, gaps, static_cast<unsigned long long>(reader.received()),
      static_cast<unsigned long long>(reader.lost()));
  EXPECT_EQ(pair_value(sent, "forwarded"), kCount) << sent;
  EXPECT_GT(dropped + gaps, 0) << "nothing was dropped: the test did not load B";
  EXPECT_LE(forwarded + dropped + gaps, kCount);
  EXPECT_EQ(static_cast<long long>(reader.received()), forwarded);
  // Every sample the reader missed is accounted for by a drop or a gap: none vanished silently.
  EXPECT_LE(static_cast<long long>(reader.lost()), dropped + gaps);
  EXPECT_EQ(reader.disordered(), 0U);
  EXPECT_EQ(reader.corrupt(), 0U);
}

TEST(BridgeQos, ASlowReaderOnBHoldsTheWriterOnABackAndNothingIsLost) {
  RigOptions options;
  options.qos = "reliable";
  options.depth = 16;
  options.slots_a = 16;
  options.slots_b = 8;
  options.capacity = 1024;
  BridgeRig rig(options);
  ASSERT_TRUE(rig.start_from_dds());
  ReaderThread reader(rig.flink_b(), std::chrono::microseconds(1000));
  ASSERT_TRUE(rig.start_owner_a());
  ASSERT_TRUE(rig.start_to_dds());
  ASSERT_TRUE(rig.wait_matched());
  auto seg_a = attach_or_die(rig.flink_a());
  constexpr int kCount = 2000;
  constexpr int kSize = 1024;
  auto pub = rig.run(rig.hosts().a(),
                     {"pub", rig.flink_a(), "--generate", "--size", std::to_string(kSize), "--count",
                      std::to_string(kCount), "--mask", "1"},
                     "pub");
  // How far the writer on A gets ahead of the reader on B. Without back-pressure it would publish
  // all 2000 at once; with it, only what the chain can hold: A's slots, the bridge's sample in
  // hand, the DDS writer's unacknowledged data (Cyclone's WhcHigh watermark, 500 kB by default),
  // the DDS reader's history, B's slots.
  long long max_lead = 0;
  const auto deadline = Clock::now() + kBridgeWatchdog;
  while (reader.received() < kCount && Clock::now() < deadline) {
    const auto written = static_cast<long long>(seg_a.snapshot().next_sequence);
    max_lead = std::max(max_lead, written - static_cast<long long>(reader.received()));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(pub->wait(), 0) << pub->err();
  reader.stop();
  const long long bound = static_cast<long long>(rig.options().slots_a + rig.options().slots_b) +
                          2 * rig.options().depth + 500 * 1024 / kSize + 4;
  std::printf(
      "back-pressure: writer on A at most %lld samples ahead of the slow reader on B (bound %lld, "
      "run %d)\n",
      max_lead, bound, kCount);
  EXPECT_EQ(reader.received(), static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(reader.lost(), 0U);
  EXPECT_EQ(reader.disordered(), 0U);
  EXPECT_EQ(reader.corrupt(), 0U);
  EXPECT_LE(max_lead, bound) << "the writer on A was not held back";
  const std::string sent = rig.stop(rig.to_dds);
  const std::string got = rig.stop(rig.from_dds);
  EXPECT_GT(pair_value(got, "blocked"), 0) << "B's segment was never full: " << got;
  EXPECT_EQ(pair_value(got, "dropped"), 0) << got;
  EXPECT_EQ(pair_value(got, "gaps"), 0) << got;
  EXPECT_EQ(pair_value(sent, "forwarded"), kCount) << sent;
}

}  // namespace
}  // namespace shmslot::test
