// Samples from a writer on host A reach readers on host B through `shmslot bridge --to-dds` (A)
// and `shmslot bridge --from-dds` (B): every one, once, in order, with reliable QoS; the rate and
// the one-way latency are printed. And a to-dds bridge killed mid-stream and started again: the
// stream resumes up to the last sample, and what was lost is bounded, never duplicated or corrupted.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "bridge_rig.hpp"
#include "reader_thread.hpp"

namespace shmslot::test {
namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

void store_u64(std::span<std::byte> bytes, std::size_t offset, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) bytes[offset + i] = static_cast<std::byte>(v >> (8 * i));
}

// Writes `count` samples of `size` bytes into A's segment at `rate` per second, each stamped with
// its index and send time; reader 0 (the to-dds bridge) is the active reader.
void write_stamped(PosixSlotAllocator& segment, int count, std::size_t size, double rate) {
  std::vector<std::byte> payload(size);
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(static_cast<double>(i) / rate)));
    SlotHandle handle;
    for (;;) {
      const std::uint64_t generation = segment.notify_generation();
      auto reserved = segment.reserve_slot(0x1);
      if (reserved) {
        handle = *reserved;
        break;
      }
      ASSERT_EQ(reserved.error().code, SlotErrorCode::NoFreeSlot);
      segment.wait_for_change(generation, std::chrono::milliseconds(50));
    }
    store_u64(payload, 0, static_cast<std::uint64_t>(i));
    store_u64(payload, 8, now_ns());
    ASSERT_TRUE(segment.commit_slot(handle, payload));
  }
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

TEST(BridgeEndToEnd, EverySampleArrivesOnceInOrderWithReliableQos) {
  BridgeRig rig;
  ASSERT_TRUE(rig.start_from_dds());
  auto seg_b = attach_or_die(rig.flink_b());
  constexpr int kCount = 20000;
  constexpr int kSize = 256;
  const std::string count = std::to_string(kCount);
  // Two readers on host B, each registered before anything is published.
  auto sub0 = rig.run(rig.hosts().b(), {"sub", rig.flink_b(), "--verify", "--max", count, "--reader", "0"}, "sub0");
  auto sub1 = rig.run(rig.hosts().b(), {"sub", rig.flink_b(), "--verify", "--max", count, "--reader", "1"}, "sub1");
  ASSERT_TRUE(wait_registered(seg_b, 0x3));
  ASSERT_TRUE(rig.start_owner_a());
  ASSERT_TRUE(rig.start_to_dds());
  ASSERT_TRUE(rig.wait_matched());

  const auto start = Clock::now();
  auto pub = rig.run(
      rig.hosts().a(),
      {"pub", rig.flink_a(), "--generate", "--size", std::to_string(kSize), "--count", count, "--mask", "1"}, "pub");
  EXPECT_EQ(pub->wait(), 0) << pub->err();
  for (auto* sub : {sub0.get(), sub1.get()}) {
    ASSERT_EQ(sub->wait(), 0) << sub->err();
    const Verify v = parse_verify(sub->out());
    EXPECT_EQ(v.received, kCount);
    EXPECT_EQ(v.lost, 0);
    EXPECT_EQ(v.duplicate, 0);
    EXPECT_EQ(v.corrupt, 0);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "bridge throughput (%s): %d samples of %d B, writer on A to 2 readers on B, reliable depth %u: "
      "%.2f s, %.0f samples/s, %.2f MB/s\n",
      rig.hosts().isolated() ? "veth" : "loopback", kCount, kSize, rig.options().depth, seconds, kCount / seconds,
      kCount * static_cast<double>(kSize) / seconds / 1e6);

  // One-way latency: stamped samples at a steady 1 kHz, read on B by a reader in this process
  // (both ends read the same monotonic clock).
  constexpr int kStamped = 1000;
  std::vector<double> latency_us;
  {
    auto seg_a = attach_or_die(rig.flink_a());
    ReaderThread reader(rig.flink_b(), std::chrono::microseconds(0), [&](std::span<const std::byte> payload) {
      latency_us.push_back(static_cast<double>(now_ns() - load_u64(payload, 8)) / 1e3);
    });
    write_stamped(seg_a, kStamped, 64, 1000.0);
    const auto deadline = Clock::now() + kBridgeWatchdog;
    while (reader.received() < kStamped && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    reader.stop();
  }
  ASSERT_EQ(latency_us.size(), static_cast<std::size_t>(kStamped));
  std::printf(
      "bridge latency (%s): %d samples of 64 B at 1 kHz, writer on A to reader on B: p50 %.0f us, "
      "p90 %.0f us, p99 %.0f us, max %.0f us\n",
      rig.hosts().isolated() ? "veth" : "loopback", kStamped, percentile(latency_us, 0.5), percentile(latency_us, 0.9),
      percentile(latency_us, 0.99), percentile(latency_us, 1.0));

  const std::string sent = rig.stop(rig.to_dds);
  const std::string got = rig.stop(rig.from_dds);
  for (const std::string* s : {&sent, &got}) {
    EXPECT_EQ(pair_value(*s, "forwarded"), kCount + kStamped) << *s;
    EXPECT_EQ(pair_value(*s, "dropped"), 0) << *s;
    EXPECT_EQ(pair_value(*s, "gaps"), 0) << *s;
  }
  EXPECT_EQ(pair_value(got, "senders"), 1) << got;
  EXPECT_EQ(pair_value(got, "reordered"), 0) << got;
}

TEST(BridgeEndToEnd, AKilledBridgeRestartsAndTheStreamResumes) {
  RigOptions options;
  options.qos = "reliable";
  options.depth = 32;
  options.slots_a = 32;
  options.slots_b = 32;
  options.capacity = 512;
  BridgeRig rig(options);
  ASSERT_TRUE(rig.start_from_dds());
  auto seg_b = attach_or_die(rig.flink_b());
  // The reader on B, registered before anything is published; it knows which index came last.
  ReaderThread reader(rig.flink_b(), std::chrono::microseconds(0));
  ASSERT_TRUE(rig.start_owner_a());
  ASSERT_TRUE(rig.start_to_dds());
  ASSERT_TRUE(rig.wait_matched());

  constexpr int kCount = 6000;
  auto pub = rig.run(rig.hosts().a(),
                     {"pub", rig.flink_a(), "--generate", "--size", "128", "--count", std::to_string(kCount), "--rate",
                      "3000", "--mask", "1"},
                     "pub");
  // A third of the way through, the to-dds bridge dies without a word; the writer on A keeps
  // waiting for reader 0, which the restarted bridge takes up again (and resumes from its cursor).
  auto deadline = Clock::now() + kBridgeWatchdog;
  while (seg_b.snapshot().next_sequence < kCount / 3 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::uint64_t before_kill = seg_b.snapshot().next_sequence;
  rig.to_dds->signal(SIGKILL);
  EXPECT_EQ(rig.to_dds->wait(), 128 + SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // past the segment's lease: reaped
  ASSERT_TRUE(rig.start_to_dds());
  ASSERT_TRUE(rig.to_dds->wait_prefix("matched 1"));
  EXPECT_EQ(pub->wait(), 0) << pub->err();

  // Reliable from the restart on: the last sample arrives, however long that takes.
  deadline = Clock::now() + kBridgeWatchdog;
  while (reader.next_index() < kCount && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  reader.stop();
  const std::string sent = rig.stop(rig.to_dds);
  const std::string got = rig.stop(rig.from_dds);
  std::printf(
      "bridge restart: %llu samples on B before the kill; after the restart the reader on B has %llu of %d, "
      "%llu lost; restarted to-dds: %s; from-dds: %s\n",
      static_cast<unsigned long long>(before_kill), static_cast<unsigned long long>(reader.received()), kCount,
      static_cast<unsigned long long>(reader.lost()), sent.c_str(), got.c_str());
  EXPECT_EQ(reader.next_index(), static_cast<std::uint64_t>(kCount)) << "the last sample did not arrive";
  EXPECT_GT(reader.received(), before_kill) << "nothing flowed after the restart";
  EXPECT_EQ(reader.received() + reader.lost(), static_cast<std::uint64_t>(kCount));
  // None twice: the reap moved reader 0's cursor past everything the dead bridge had, including a
  // sample it wrote to DDS but did not live to mark read (docs/bridge.md, "Restarts").
  EXPECT_EQ(reader.disordered(), 0U);
  EXPECT_EQ(reader.corrupt(), 0U);
  // Lost: at most what the segment held when it was reaped, the sample in hand, and what the dead
  // bridge had not yet sent.
  EXPECT_LE(reader.lost(), rig.options().slots_a + rig.options().depth + 2);
  EXPECT_EQ(pair_value(got, "senders"), 2) << got;
  EXPECT_EQ(pair_value(got, "gaps"), 0) << "the reliable link itself lost nothing: " << got;
}

}  // namespace
}  // namespace shmslot::test
