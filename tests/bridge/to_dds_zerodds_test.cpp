// ToDdsBridge on a segment a ZeroDDS process created: no reader cursor, only the 32-bit sequence
// numbers of the slot headers, and a scan that can hand a sample out after a newer one. The bridge
// runs in this process, best effort with no DDS reader matched, so it takes and drops every sample
// and its stats say what it made of the sequence numbers.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <shmslot/bridge.hpp>
#include <shmslot/posix_slot_allocator.hpp>

#include "support/temp_flink.hpp"
#include "support/zerodds_peer.hpp"

namespace shmslot::test {
namespace {

// This process's own DDS participant on loopback, confined as the test hosts' processes are
// (tests/bridge/cyclonedds-test.xml): only lo, no multicast, the one peer 127.0.0.1.
void use_loopback_dds() {
  ::setenv("CYCLONEDDS_URI", (std::string("file://") + SHMSLOT_BRIDGE_DDS_CONFIG).c_str(), 1);
  ::setenv("SHMSLOT_DDS_INTERFACE", "lo", 1);
  ::setenv("SHMSLOT_DDS_PEER", "127.0.0.1", 1);
}

bridge::ToDdsOptions best_effort_on_reader_0() {
  bridge::ToDdsOptions options;
  options.link.topic = "shmslot_zerodds_" + std::to_string(::getpid());
  options.link.domain = 1 + static_cast<std::uint32_t>(::getpid() % 200);
  options.link.qos.reliability = Reliability::BestEffort;
  options.reader_index = 0;
  return options;
}

TEST(ToDdsBridgeOnZeroDds, NeitherTheHistoryBeforeItNorALateSampleIsAGap) {
  use_loopback_dds();
  TempFlinkDir dir;
  auto peer = ZeroDdsPeer::create(dir.flink("z"), 4, 64);
  ASSERT_TRUE(peer) << peer.error().message();
  const std::vector<std::byte> payload(16, std::byte{0x5A});
  // 1000 samples before the bridge comes, nobody waited for: slot 0 ends up holding number 999.
  for (int i = 0; i < 1000; ++i) {
    auto slot = peer->reserve_slot(0);
    ASSERT_TRUE(slot) << slot.error().message();
    ASSERT_TRUE(peer->commit_slot(*slot, payload));
  }
  auto segment = PosixSlotAllocator::attach(dir.flink("z"));
  ASSERT_TRUE(segment) << segment.error().message();
  auto link = bridge::ToDdsBridge::open(*segment, best_effort_on_reader_0());
  ASSERT_TRUE(link) << link.error().message();

  ASSERT_TRUE(link->pump(std::chrono::milliseconds(50)));
  EXPECT_EQ(link->stats().dropped, 1U);  // 999, the only one still there
  EXPECT_EQ(link->stats().gaps, 0U) << "the 999 samples before the bridge counted as lost";

  // A slow writer takes number 1000 and a fast one publishes 1001 before it is done.
  auto slow = peer->reserve_slot(1);
  auto fast = peer->reserve_slot(1);
  ASSERT_TRUE(slow && fast);
  auto slow_sn = peer->begin_commit(*slow, payload);
  ASSERT_TRUE(slow_sn);
  ASSERT_TRUE(peer->commit_slot(*fast, payload));
  ASSERT_TRUE(link->pump(std::chrono::milliseconds(50)));
  EXPECT_EQ(link->stats().dropped, 2U);
  EXPECT_EQ(link->stats().gaps, 1U);  // 1000 was not there when 1001 was read

  peer->end_commit(*slow, *slow_sn, payload.size());
  ASSERT_TRUE(link->pump(std::chrono::milliseconds(50)));
  EXPECT_EQ(link->stats().dropped, 3U);  // 1000 arrives late: forwarded all the same
  EXPECT_EQ(link->stats().gaps, 1U) << "a late sample counted as 2^32 - 2 lost ones";
}

}  // namespace
}  // namespace shmslot::test
