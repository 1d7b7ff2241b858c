// Direction 2: shmslot created the segment and writes it; a ZeroDDS process attaches and reads.
// Plus the segments shmslot must refuse or leave alone.
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "compat_fixture.hpp"
#include "shmslot/shmslot.hpp"

namespace shmslot::test {
namespace {

using Peer = ZeroDdsPeer;

class ZeroDdsReadsShmslot : public CompatTest {
 protected:
  void make(std::size_t count, std::size_t capacity, CreateOptions options = {}) {
    auto a = PosixSlotAllocator::create(flink(), count, capacity, options);
    ASSERT_TRUE(a) << a.error().message();
    track(a->shm_name());
    alloc_.emplace(std::move(*a));
    auto p = Peer::attach(flink());
    ASSERT_TRUE(p) << p.error().message();
    peer_.emplace(std::move(*p));
  }
  SlotHandle publish(ReaderMask mask, const std::vector<std::byte>& bytes, std::uint32_t* sn_out = nullptr) {
    auto h = alloc_->reserve_slot(mask);
    EXPECT_TRUE(h) << h.error().message();
    if (!h) return {};
    auto sn = alloc_->commit_slot(*h, bytes);
    EXPECT_TRUE(sn) << sn.error().message();
    if (sn_out != nullptr && sn) *sn_out = *sn;
    return *h;
  }
  void TearDown() override {
    peer_.reset();
    alloc_.reset();
    CompatTest::TearDown();
  }

  std::optional<PosixSlotAllocator> alloc_;
  std::optional<Peer> peer_;
};

TEST_F(ZeroDdsReadsShmslot, PeerAttachAcceptsTheSegmentAndSeesItsGeometry) {
  ASSERT_NO_FATAL_FAILURE(make(4, 256));
  EXPECT_TRUE(alloc_->has_extension());
  EXPECT_EQ(peer_->header_word(0x00), Peer::kMagic);
  const std::uint8_t magic_bytes[4] = {0x53, 0x53, 0x44, 0x5A};
  EXPECT_EQ(std::memcmp(peer_->bytes().data(), magic_bytes, 4), 0);
  EXPECT_EQ(peer_->slot_count(), 4U);
  EXPECT_EQ(peer_->slot_total_size(), 320U);
  EXPECT_EQ(peer_->slot_total_size(), alloc_->slot_total_size());
  EXPECT_EQ(peer_->slot_capacity(), 304U);  // what ZeroDDS derives; shmslot itself keeps 256
  EXPECT_EQ(alloc_->slot_capacity(), 256U);
  EXPECT_GE(peer_->mapped_size(), 0x20U + 4U * 320U);
  EXPECT_EQ(peer_->shm_name(), alloc_->shm_name());
  // A fresh segment: empty slots for a ZeroDDS reader, counters at 0.
  EXPECT_EQ(peer_->header_word(Peer::kNextSnOffset), 0U);
  EXPECT_EQ(peer_->notify_generation(), 0U);
  for (std::uint32_t i = 0; i < 4; ++i) EXPECT_EQ(peer_->raw_header(i), Peer::Header{}) << "slot " << i;
  auto next = peer_->next_unread_slot(0);
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->has_value());
}

TEST_F(ZeroDdsReadsShmslot, FlinkAndShmObjectFollowZeroDdsNamingAndMode) {
  ASSERT_NO_FATAL_FAILURE(make(3, 100));
  const std::string content = read_file(flink());
  EXPECT_EQ(content, alloc_->shm_name());  // exactly the name: no newline, no NUL
  EXPECT_TRUE(is_zerodds_segment_name(content)) << "flink holds '" << content << "'";
  struct stat st {};
  ASSERT_EQ(::lstat(flink().c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  const std::string object = "/dev/shm/" + content.substr(content.empty() ? 0 : 1);
  ASSERT_EQ(::stat(object.c_str(), &st), 0) << object;
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  EXPECT_EQ(st.st_uid, ::geteuid());
  EXPECT_GE(static_cast<std::uint64_t>(st.st_size), 0x20U + 3U * 128U);
  EXPECT_EQ(static_cast<std::size_t>(st.st_size), peer_->mapped_size());
}

TEST_F(ZeroDdsReadsShmslot, PeerReadsSamplesCommittedWithCommitSlot) {
  ASSERT_NO_FATAL_FAILURE(make(4, 256));
  const std::uint32_t reader = 2;
  const std::size_t sizes[] = {1, 256, 31, 128, 7, 200, 64, 255, 2, 100};
  for (std::uint32_t k = 0; k < std::size(sizes); ++k) {
    SCOPED_TRACE("sample " + std::to_string(k));
    const auto data = pattern(sizes[k], k + 100);
    std::uint32_t sn = ~0U;
    const SlotHandle h = publish(1U << reader, data, &sn);
    EXPECT_EQ(sn, k);

    auto idx = peer_->next_unread_slot(reader);
    ASSERT_TRUE(idx);
    ASSERT_EQ(*idx, std::optional<std::uint32_t>(h.slot_index));
    auto r = peer_->read_slot(h.slot_index);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header, (Peer::Header{sn, static_cast<std::uint32_t>(sizes[k]), 0, 0}));
    EXPECT_EQ(r->bytes, data);
    auto span = peer_->slot_read_ptr(h.slot_index);
    ASSERT_TRUE(span);
    EXPECT_EQ(to_vector(*span), data);

    ASSERT_TRUE(peer_->mark_read(h.slot_index, reader));
    auto seen = alloc_->read_slot(h);
    ASSERT_TRUE(seen) << seen.error().message();
    EXPECT_EQ(seen->header.reader_mask, 1U << reader);
    auto none = peer_->next_unread_slot(reader);
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->has_value());
  }
}

TEST_F(ZeroDdsReadsShmslot, PeerReadsSamplesCommittedInPlace) {
  ASSERT_NO_FATAL_FAILURE(make(2, 256));
  const std::uint32_t reader = 0;
  for (std::uint32_t k = 0; k < 6; ++k) {
    SCOPED_TRACE("sample " + std::to_string(k));
    auto h = alloc_->reserve_slot(1U << reader);
    ASSERT_TRUE(h) << h.error().message();
    auto dst = alloc_->slot_data_ptr(*h);
    ASSERT_TRUE(dst) << dst.error().message();
    ASSERT_EQ(dst->size(), 256U);
    const std::size_t len = 10 + k * 40;
    const auto data = pattern(len, k);
    std::memcpy(dst->data(), data.data(), len);
    auto sn = alloc_->commit_in_place(*h, len);
    ASSERT_TRUE(sn) << sn.error().message();
    EXPECT_EQ(*sn, k);

    auto idx = peer_->next_unread_slot(reader);
    ASSERT_TRUE(idx);
    ASSERT_EQ(*idx, std::optional<std::uint32_t>(h->slot_index));
    auto r = peer_->read_slot(h->slot_index);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header, (Peer::Header{*sn, static_cast<std::uint32_t>(len), 0, 0}));
    EXPECT_EQ(r->bytes, data);
    ASSERT_TRUE(peer_->mark_read(h->slot_index, reader));
  }
}

// While shmslot fills a slot, a ZeroDDS reader must see sample_size 0 there and skip it, also when
// the slot held an older sample that ZeroDDS reader has not read.
TEST_F(ZeroDdsReadsShmslot, ReservedButUncommittedSlotIsEmptyForThePeer) {
  ASSERT_NO_FATAL_FAILURE(make(1, 64));
  // A fresh slot, reserved: empty.
  auto h = alloc_->reserve_slot(0b01);
  ASSERT_TRUE(h);
  EXPECT_EQ(peer_->raw_header(0).sample_size, 0U);
  ASSERT_TRUE(alloc_->commit_slot(*h, uniform(10, 0xA1)));
  // Reader 1 (not in the writer's active mask) has not read sample A; reader 0 reads it.
  auto next1 = peer_->next_unread_slot(1);
  ASSERT_TRUE(next1);
  ASSERT_EQ(*next1, std::optional<std::uint32_t>(0U));
  ASSERT_TRUE(peer_->mark_read(0, 0));

  // shmslot reuses the slot: the old sample must vanish for every ZeroDDS reader.
  auto h2 = alloc_->reserve_slot(0b01);
  ASSERT_TRUE(h2) << h2.error().message();
  ASSERT_EQ(h2->slot_index, 0U);
  EXPECT_EQ(peer_->raw_header(0).sample_size, 0U);
  auto skip1 = peer_->next_unread_slot(1);
  ASSERT_TRUE(skip1);
  EXPECT_FALSE(skip1->has_value()) << "ZeroDDS reader 1 would read a slot shmslot is filling";
  auto dst = alloc_->slot_data_ptr(*h2);
  ASSERT_TRUE(dst);
  std::memset(dst->data(), 0xB2, 20);  // half-written sample B
  auto skip_again = peer_->next_unread_slot(1);
  ASSERT_TRUE(skip_again);
  EXPECT_FALSE(skip_again->has_value());
  auto r = peer_->read_slot(0);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->bytes.empty());

  // Commit B: now visible, complete.
  auto sn = alloc_->commit_in_place(*h2, 20);
  ASSERT_TRUE(sn);
  auto next = peer_->next_unread_slot(1);
  ASSERT_TRUE(next);
  ASSERT_EQ(*next, std::optional<std::uint32_t>(0U));
  r = peer_->read_slot(0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header, (Peer::Header{*sn, 20, 0, 0}));
  EXPECT_TRUE(is_uniform(r->bytes, 0xB2));

  // Reserve and discard: the slot stays empty for ZeroDDS readers (nothing half-written shows).
  ASSERT_TRUE(peer_->mark_read(0, 0));
  auto h3 = alloc_->reserve_slot(0b01);
  ASSERT_TRUE(h3);
  std::memset(alloc_->slot_data_ptr(*h3)->data(), 0xC3, 30);
  ASSERT_TRUE(alloc_->discard_slot(*h3));
  auto after = peer_->next_unread_slot(1);
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->has_value());
  EXPECT_EQ(peer_->raw_header(0).sample_size, 0U);
}

TEST_F(ZeroDdsReadsShmslot, PeerMarkReadMakesTheSlotReusableForShmslot) {
  ASSERT_NO_FATAL_FAILURE(make(2, 64));
  const ReaderMask mask = 0b10;
  const SlotHandle a = publish(mask, uniform(5, 1));
  publish(mask, uniform(5, 2));
  auto full = alloc_->reserve_slot(mask);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, SlotErrorCode::NoFreeSlot);

  // The ZeroDDS reader 1 takes one sample (ZeroDDS order: lowest slot index) and releases it.
  auto idx = peer_->next_unread_slot(1);
  ASSERT_TRUE(idx);
  ASSERT_TRUE(idx->has_value());
  EXPECT_EQ(**idx, a.slot_index);
  const auto g = alloc_->notify_generation();
  ASSERT_TRUE(peer_->mark_read(**idx, 1));
  EXPECT_NE(alloc_->notify_generation(), g);
  auto reused = alloc_->reserve_slot(mask);
  ASSERT_TRUE(reused) << reused.error().message();
  EXPECT_EQ(reused->slot_index, **idx);
  ASSERT_TRUE(alloc_->discard_slot(*reused));

  // A ZeroDDS-side disconnect frees everything reader 1 held.
  ASSERT_TRUE(peer_->mark_reader_disconnected(1));
  auto r1 = alloc_->reserve_slot(mask);
  ASSERT_TRUE(r1) << r1.error().message();
  auto r2 = alloc_->reserve_slot(mask);
  ASSERT_TRUE(r2) << r2.error().message();
  EXPECT_NE(r1->slot_index, r2->slot_index);
}

// ZeroDDS waiters sleep in FUTEX_WAIT on gen without registering: a WakeAlways segment must wake
// them on every commit, discard and mark_read.
TEST_F(ZeroDdsReadsShmslot, WakeAlwaysSegmentWakesAPeerWaitingOnGen) {
  CreateOptions options;
  options.notify = NotifyMode::WakeAlways;
  ASSERT_NO_FATAL_FAILURE(make(2, 64, options));
  EXPECT_EQ(alloc_->notify_mode(), NotifyMode::WakeAlways);
  const auto gen_addr = reinterpret_cast<std::uintptr_t>(peer_->bytes().data() + Peer::kGenOffset);
  SlotHandle committed{};
  const std::function<void()> triggers[] = {
      [&] { committed = publish(0, uniform(4, 1)); },
      [&] {
        auto h = alloc_->reserve_slot(0);
        ASSERT_TRUE(h);
        ASSERT_TRUE(alloc_->discard_slot(*h));
      },
      [&] { ASSERT_TRUE(alloc_->mark_read(committed, 4)); },
  };
  const char* names[] = {"commit", "discard", "mark_read"};
  for (std::size_t t = 0; t < std::size(triggers); ++t) {
    SCOPED_TRACE(names[t]);
    const auto g0 = peer_->notify_generation();
    auto r = wake_while_asleep([&] { return peer_->wait_for_change(g0, 30s); }, triggers[t],
                               [&](std::uintptr_t a) { return a == gen_addr; });
    EXPECT_TRUE(r.fell_asleep) << "the peer was never seen in FUTEX_WAIT on gen";
    EXPECT_TRUE(r.woken) << "shmslot's " << names[t] << " did not wake a ZeroDDS waiter";
    EXPECT_TRUE(r.wait_result);
    EXPECT_NE(peer_->notify_generation(), g0);
  }
}

// On a segment in the default notify mode a ZeroDDS reader still sleeps on gen unannounced; a writer
// whose active mask holds its index (a bit no registration covers) wakes it on commit.
TEST_F(ZeroDdsReadsShmslot, DefaultSegmentWakesAZeroDdsReaderInTheWritersActiveMask) {
  ASSERT_NO_FATAL_FAILURE(make(2, 64));
  EXPECT_EQ(alloc_->notify_mode(), NotifyMode::WakeOnDemand);
  const auto gen_addr = reinterpret_cast<std::uintptr_t>(peer_->bytes().data() + Peer::kGenOffset);
  const auto g0 = peer_->notify_generation();
  auto r = wake_while_asleep([&] { return peer_->wait_for_change(g0, 30s); }, [&] { publish(1U << 4, uniform(4, 1)); },
                             [&](std::uintptr_t a) { return a == gen_addr; });
  EXPECT_TRUE(r.fell_asleep) << "the peer was never seen in FUTEX_WAIT on gen";
  EXPECT_TRUE(r.woken) << "a commit for a ZeroDDS reader did not wake it";
  EXPECT_TRUE(r.wait_result);
}

// ---- segments shmslot must refuse or leave alone ------------------------------------------------

using RefusedSegments = CompatTest;

TEST_F(RefusedSegments, V1SegmentIsRefusedWithInvalidHeaderNamingV1) {
  auto v1 = Peer::create(flink(), 4, 64, Peer::Layout::V1);
  ASSERT_TRUE(v1) << v1.error().message();
  track(v1->shm_name());
  ASSERT_EQ(v1->mapped_size(), 0x10U + 4U * 128U);
  ASSERT_EQ(v1->header_word(0), Peer::kMagic);  // same magic as V3: only the size tells them apart
  auto h = v1->reserve_slot(0);
  ASSERT_TRUE(h);
  ASSERT_TRUE(v1->commit_slot(*h, uniform(12, 3)));
  const auto before = to_vector(v1->bytes());
  auto a = PosixSlotAllocator::attach(flink());
  ASSERT_FALSE(a) << "a V1 segment was accepted";
  EXPECT_EQ(a.error().code, PosixErrorCode::InvalidHeader) << a.error().message();
  EXPECT_NE(a.error().detail.find("V1"), std::string::npos) << a.error().detail;
  EXPECT_EQ(to_vector(v1->bytes()), before);
}

// ZeroDDS publishes its flink file before it writes the header: an attach in that window must not
// accept the zero header, and must succeed once the header is there.
TEST_F(RefusedSegments, ZeroDdsSegmentWithoutHeaderYetIsNotAccepted) {
  auto p = Peer::create(flink(), 2, 64, Peer::Layout::V3, Peer::CreateStop::BeforeHeaderInit);
  ASSERT_TRUE(p) << p.error().message();
  track(p->shm_name());
  auto a = PosixSlotAllocator::attach(flink());
  ASSERT_FALSE(a) << "a segment with magic 0 was accepted";
  EXPECT_EQ(a.error().code, PosixErrorCode::InvalidHeader) << a.error().message();
  p->finish_create();
  auto b = PosixSlotAllocator::attach(flink());
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_FALSE(b->has_extension());
  EXPECT_EQ(b->slot_capacity(), 128U - 16U);
}

// ZeroDDS creates its flink file, then writes the name into it: a consumer can find it empty. Its
// own consumers re-read the flink and retry (5 x 50 ms, spec §3.4), so an attach racing a ZeroDDS
// owner's create succeeds. shmslot's attach must retry in that window too, not give up at once.
TEST_F(RefusedSegments, EmptyFlinkOfAZeroDdsOwnerStillCreatingIsRetried) {
  auto p = Peer::create(flink(), 2, 64, Peer::Layout::V3, Peer::CreateStop::AfterFlinkCreated);
  ASSERT_TRUE(p) << p.error().message();
  track(p->shm_name());
  ASSERT_EQ(read_file(flink()), "");
  const auto start = std::chrono::steady_clock::now();
  auto a = PosixSlotAllocator::attach(flink());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(a) << "an empty flink file was accepted";
  // A lower bound only: at least the 4 sleeps of 50 ms ZeroDDS's consumers make before giving up.
  EXPECT_GE(elapsed, 150ms) << "attach gave up on an empty flink file (a ZeroDDS owner between create_new and "
                               "write) without retrying, after "
                            << std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()
                            << " us: " << a.error().message();
  // Once the owner has finished, the same flink attaches.
  p->finish_create();
  auto b = PosixSlotAllocator::attach(flink());
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_FALSE(b->has_extension());
}

// A live ZeroDDS owner's flink path: shmslot's create must refuse it and touch neither the flink
// file nor the segment (it cannot check a ZeroDDS owner's liveness).
TEST_F(RefusedSegments, CreateOnALiveZeroDdsFlinkIsInUseAndLeavesItAlone) {
  auto p = Peer::create(flink(), 2, 64);
  ASSERT_TRUE(p) << p.error().message();
  track(p->shm_name());
  auto h = p->reserve_slot(0);
  ASSERT_TRUE(h);
  ASSERT_TRUE(p->commit_slot(*h, uniform(6, 6)));
  const auto before = to_vector(p->bytes());

  auto a = PosixSlotAllocator::create(flink(), 2, 64);
  ASSERT_FALSE(a) << "shmslot took over a live ZeroDDS flink path";
  EXPECT_EQ(a.error().code, PosixErrorCode::InUse) << a.error().message();
  EXPECT_EQ(read_file(flink()), p->shm_name());
  EXPECT_EQ(shm_objects().count(p->shm_name().substr(1)), 1U);
  EXPECT_EQ(to_vector(p->bytes()), before);
  // And the ZeroDDS segment is still attachable by both.
  EXPECT_TRUE(Peer::attach(flink()));
  EXPECT_TRUE(PosixSlotAllocator::attach(flink()));
}

}  // namespace
}  // namespace shmslot::test
