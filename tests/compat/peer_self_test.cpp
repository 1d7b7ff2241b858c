// The peer against the reference itself, before it is trusted as an oracle: the byte layout, OS
// naming and the crate's own posix.rs tests (spec §9.4), with no shmslot code involved.
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "compat_fixture.hpp"

namespace shmslot::test {
namespace {

using Peer = ZeroDdsPeer;

std::uint32_t u32_at(std::span<const std::byte> b, std::size_t off) {
  std::uint32_t v = 0;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}

using PeerSelfTest = CompatTest;

TEST_F(PeerSelfTest, CreateLaysOutTheV3SegmentExactly) {
  auto peer = Peer::create(flink(), 4, 64);
  ASSERT_TRUE(peer) << peer.error().message();
  track(peer->shm_name());
  // create(p, 4, 64): slot_total_size 128, segment 0x20 + 512 bytes (spec §3.3 worked example).
  EXPECT_EQ(peer->slot_total_size(), 128U);
  EXPECT_EQ(peer->slot_capacity(), 64U);
  EXPECT_EQ(peer->mapped_size(), 0x20U + 4U * 128U);
  const auto b = peer->bytes();
  const std::uint8_t magic_bytes[4] = {0x53, 0x53, 0x44, 0x5A};
  EXPECT_EQ(std::memcmp(b.data(), magic_bytes, 4), 0);
  EXPECT_EQ(u32_at(b, 0x04), 4U);
  EXPECT_EQ(u32_at(b, 0x08), 128U);
  EXPECT_EQ(u32_at(b, 0x0C), 0U);
  EXPECT_EQ(u32_at(b, 0x10), 0U);
  for (std::size_t i = 0x14; i < b.size(); ++i) ASSERT_EQ(b[i], std::byte{0}) << "offset " << i;

  struct stat st {};
  ASSERT_EQ(::stat(("/dev/shm/" + peer->shm_name().substr(1)).c_str(), &st), 0);
  EXPECT_EQ(static_cast<std::size_t>(st.st_size), peer->mapped_size());
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  ASSERT_EQ(::stat(flink().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  const std::string content = read_file(flink());
  EXPECT_EQ(content, peer->shm_name());
  EXPECT_TRUE(is_zerodds_segment_name(content)) << content;
}

TEST_F(PeerSelfTest, CreateFailsWithLinkExistsAndOwnerDropRemovesEverything) {
  std::string name;
  {
    auto peer = Peer::create(flink(), 2, 32);
    ASSERT_TRUE(peer) << peer.error().message();
    track(peer->shm_name());
    name = peer->shm_name();
    auto again = Peer::create(flink(), 2, 32);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Peer::Errc::LinkExists);
    {
      auto consumer = Peer::attach(flink());
      ASSERT_TRUE(consumer) << consumer.error().message();
      EXPECT_FALSE(consumer->is_owner());
    }
    // A consumer's drop only unmaps.
    EXPECT_EQ(read_file(flink()), name);
    EXPECT_EQ(shm_objects().count(name.substr(1)), 1U);
  }
  EXPECT_EQ(shm_objects().count(name.substr(1)), 0U);
  EXPECT_TRUE(dir_.entries().empty());
}

// posix.rs create_attach_roundtrip + the consumer's padded capacity (§2.6 step 5).
TEST_F(PeerSelfTest, AttachReportsCountTotalAndPaddedCapacity) {
  auto owner = Peer::create(flink(), 4, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  track(owner->shm_name());
  auto consumer = Peer::attach(flink());
  ASSERT_TRUE(consumer) << consumer.error().message();
  EXPECT_EQ(consumer->slot_count(), 4U);
  EXPECT_EQ(consumer->slot_total_size(), 128U);
  EXPECT_EQ(consumer->slot_capacity(), 112U);
  EXPECT_EQ(consumer->shm_name(), owner->shm_name());
}

// posix.rs write_read_through_shm, mark_read_visible_to_owner, next_sn_increments_atomically.
TEST_F(PeerSelfTest, WriteReadMarkAndFirstFitReuse) {
  auto owner = Peer::create(flink(), 2, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  track(owner->shm_name());
  auto consumer = Peer::attach(flink());
  ASSERT_TRUE(consumer) << consumer.error().message();

  auto h0 = owner->reserve_slot(0b011);
  ASSERT_TRUE(h0);
  EXPECT_EQ(*h0, 0U);
  auto h1 = owner->reserve_slot(0b011);
  ASSERT_TRUE(h1);
  EXPECT_EQ(*h1, 1U);
  auto none = owner->reserve_slot(0b011);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Peer::Errc::NoFreeSlot);

  const std::vector<std::byte> data{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
  auto sn0 = owner->commit_slot(*h0, data);
  ASSERT_TRUE(sn0);
  EXPECT_EQ(*sn0, 0U);
  auto sn1 = owner->commit_slot(*h1, data);
  ASSERT_TRUE(sn1);
  EXPECT_GT(*sn1, *sn0);
  EXPECT_EQ(owner->header_word(Peer::kNextSnOffset), 2U);
  EXPECT_EQ(owner->notify_generation(), 2U);

  auto r = consumer->read_slot(0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header, (Peer::Header{0, 4, 0, 0}));
  EXPECT_EQ(r->bytes, data);

  // Both slots committed and unread by readers 0 and 1: nothing is free for mask 0b011.
  EXPECT_FALSE(owner->reserve_slot(0b011));
  ASSERT_TRUE(consumer->mark_read(1, 0));
  ASSERT_TRUE(consumer->mark_read(1, 1));
  EXPECT_EQ(owner->raw_header(1).reader_mask, 0b011U);
  auto again = owner->reserve_slot(0b011);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 1U);
  // Mask 0: every unloaned slot is free, and first fit always lands on slot 0.
  auto zero = owner->reserve_slot(0);
  ASSERT_TRUE(zero);
  EXPECT_EQ(*zero, 0U);
  // The consumer's next_unread_slot goes by slot index.
  auto next = consumer->next_unread_slot(2);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, std::optional<std::uint32_t>(0U));
}

// posix.rs futex_notify_wakes_consumer_across_mappings, with the waiter seen asleep first.
TEST_F(PeerSelfTest, CommitWakesAConsumerWaitingOnAnotherMapping) {
  auto owner = Peer::create(flink(), 2, 64);
  ASSERT_TRUE(owner) << owner.error().message();
  track(owner->shm_name());
  auto consumer = Peer::attach(flink());
  ASSERT_TRUE(consumer) << consumer.error().message();
  const auto g0 = consumer->notify_generation();
  const auto gen_addr = reinterpret_cast<std::uintptr_t>(consumer->bytes().data() + Peer::kGenOffset);
  auto r = wake_while_asleep([&] { return consumer->wait_for_change(g0, 30s); },
                             [&] {
                               auto h = owner->reserve_slot(0);
                               ASSERT_TRUE(h);
                               ASSERT_TRUE(owner->commit_slot(*h, uniform(3, 7)));
                             },
                             [&](std::uintptr_t a) { return a == gen_addr; });
  EXPECT_TRUE(r.fell_asleep);
  EXPECT_TRUE(r.woken);
  EXPECT_TRUE(r.wait_result);
  EXPECT_NE(consumer->notify_generation(), g0);
}

}  // namespace
}  // namespace shmslot::test
