// Direction 1: a ZeroDDS process created the segment and writes it; shmslot attaches and reads.
#include <atomic>
#include <cstring>
#include <thread>

#include "compat_fixture.hpp"
#include "shmslot/shmslot.hpp"
#include "support/page_trap.hpp"

namespace shmslot::test {
namespace {

using Peer = ZeroDdsPeer;

class ShmslotReadsZeroDds : public CompatTest {
 protected:
  // A ZeroDDS owner segment and shmslot attached to it.
  void make(std::size_t count, std::size_t capacity) {
    auto p = Peer::create(flink(), count, capacity);
    ASSERT_TRUE(p) << p.error().message();
    track(p->shm_name());
    peer_.emplace(std::move(*p));
    auto a = PosixSlotAllocator::attach(flink());
    ASSERT_TRUE(a) << a.error().message();
    alloc_.emplace(std::move(*a));
  }
  // Reserve with `mask` and commit `bytes` on the peer; returns (slot, sn).
  std::pair<std::uint32_t, std::uint32_t> peer_publish(std::uint32_t mask, const std::vector<std::byte>& bytes) {
    auto idx = peer_->reserve_slot(mask);
    EXPECT_TRUE(idx) << idx.error().message();
    if (!idx) return {~0U, ~0U};
    auto sn = peer_->commit_slot(*idx, bytes);
    EXPECT_TRUE(sn) << sn.error().message();
    return {*idx, sn ? *sn : ~0U};
  }

  // Where shmslot mapped the segment: the mapping of the object that is not the peer's.
  std::byte* shmslot_base() const {
    std::byte* found = nullptr;
    for (std::byte* m : mappings_of(peer_->shm_name())) {
      if (m != peer_->bytes().data()) found = m;
    }
    return found;
  }

  std::optional<Peer> peer_;
  std::optional<PosixSlotAllocator> alloc_;

  void TearDown() override {
    alloc_.reset();
    peer_.reset();
    CompatTest::TearDown();
  }
};

TEST_F(ShmslotReadsZeroDds, AttachSeesTheZeroDdsGeometryAndWritesNothing) {
  auto p = Peer::create(flink(), 4, 256);
  ASSERT_TRUE(p) << p.error().message();
  track(p->shm_name());
  const auto before = to_vector(p->bytes());
  auto a = PosixSlotAllocator::attach(flink());
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_FALSE(a->has_extension());
  EXPECT_FALSE(a->is_owner());
  EXPECT_EQ(a->shm_name(), p->shm_name());
  ASSERT_TRUE(a->slot_count());
  EXPECT_EQ(*a->slot_count(), 4U);
  EXPECT_EQ(a->slot_total_size(), 320U);
  EXPECT_EQ(a->slot_capacity(), 320U - 16U);  // ZeroDDS consumers: total - 16, padding included
  EXPECT_EQ(a->notify_mode(), NotifyMode::WakeAlways);
  EXPECT_FALSE(a->type_hash().has_value());
  // Attaching must not write into a ZeroDDS segment (e.g. an extension flag at 0x14).
  EXPECT_EQ(to_vector(p->bytes()), before);
}

TEST_F(ShmslotReadsZeroDds, ReadsEverySampleThePeerCommitsWithItsBytes) {
  ASSERT_NO_FATAL_FAILURE(make(4, 256));
  const std::uint32_t reader = 3;
  const std::uint32_t mask = 1U << reader;
  const std::size_t sizes[] = {1, 256, 17, 64, 255, 2, 128, 200, 3, 256, 99, 48};
  for (std::uint32_t k = 0; k < std::size(sizes); ++k) {
    SCOPED_TRACE("sample " + std::to_string(k));
    const auto data = pattern(sizes[k], k);
    const auto [idx, sn] = peer_publish(mask, data);
    ASSERT_EQ(sn, k);
    auto h = alloc_->next_unread_slot(reader);
    ASSERT_TRUE(h) << h.error().message();
    ASSERT_TRUE(h->has_value());
    EXPECT_EQ((*h)->slot_index, idx);

    auto r = alloc_->read_slot(**h);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->header.sequence_number, sn);
    EXPECT_EQ(r->header.sample_size, sizes[k]);
    EXPECT_EQ(r->header.reader_mask, 0U);
    EXPECT_EQ(r->bytes, data);

    std::vector<std::byte> buf(alloc_->slot_capacity());
    auto into = alloc_->read_slot_into(**h, buf);
    ASSERT_TRUE(into) << into.error().message();
    EXPECT_EQ(into->sequence_number, sn);
    ASSERT_EQ(into->sample_size, sizes[k]);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), buf.begin()));

    auto span = alloc_->slot_read_ptr(**h, reader);
    ASSERT_TRUE(span) << span.error().message();
    EXPECT_EQ(to_vector(*span), data);

    ASSERT_TRUE(alloc_->mark_read(**h, reader));
    EXPECT_EQ(peer_->raw_header(idx).reader_mask, mask);
    auto none = alloc_->next_unread_slot(reader);
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->has_value());
  }
  // A zero-length ZeroDDS sample is indistinguishable from an empty slot: nothing to deliver.
  const auto [idx, sn] = peer_publish(mask, {});
  EXPECT_EQ(peer_->raw_header(idx).sample_size, 0U);
  (void)sn;
  auto none = alloc_->next_unread_slot(reader);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

// The peer's first fit puts newer samples into lower slots; ZeroDDS's own next_unread_slot then
// returns them out of order, shmslot's must not.
TEST_F(ShmslotReadsZeroDds, NextUnreadDeliversInSequenceOrderDespiteFirstFitReuse) {
  ASSERT_NO_FATAL_FAILURE(make(4, 64));
  const std::uint32_t reader = 0;
  const std::uint32_t mask = 1;
  for (std::uint32_t k = 0; k < 4; ++k) ASSERT_EQ(peer_publish(mask, uniform(8, value_for(k))).second, k);
  // Read and mark sn 0 and 1; the peer refills slots 0 and 1 with sn 4 and 5.
  for (std::uint32_t k = 0; k < 2; ++k) {
    auto h = alloc_->next_unread_slot(reader);
    ASSERT_TRUE(h && h->has_value());
    auto r = alloc_->read_slot(**h);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->header.sequence_number, k);
    ASSERT_TRUE(alloc_->mark_read(**h, reader));
    const auto [idx, sn] = peer_publish(mask, uniform(8, value_for(k + 4)));
    EXPECT_EQ(idx, k);
    EXPECT_EQ(sn, k + 4);
  }
  // The scenario is the interesting one: ZeroDDS itself would deliver sn 4 (slot 0) first.
  auto zdds_next = peer_->next_unread_slot(reader);
  ASSERT_TRUE(zdds_next);
  ASSERT_EQ(*zdds_next, std::optional<std::uint32_t>(0U));
  EXPECT_EQ(peer_->raw_header(0).sequence_number, 4U);

  std::vector<std::uint32_t> got;
  for (;;) {
    auto h = alloc_->next_unread_slot(reader);
    ASSERT_TRUE(h) << h.error().message();
    if (!h->has_value()) break;
    auto r = alloc_->read_slot(**h);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(is_uniform(r->bytes, value_for(r->header.sequence_number)));
    got.push_back(r->header.sequence_number);
    ASSERT_TRUE(alloc_->mark_read(**h, reader));
    ASSERT_LE(got.size(), 4U);
  }
  EXPECT_EQ(got, (std::vector<std::uint32_t>{2, 3, 4, 5}));
}

// A race of the in-order scan made deterministic (the stress test below finds it by chance): the
// peer commits while shmslot's next_unread_slot is scanning. Slots are one page each, so the scan's
// first touch of slot 1 (page 1 of shmslot's mapping) is where the peer's commit lands. Before the
// scan: sn 0 unread in slot 0, slot 1 free (its sn 1 was read), sn 2 unread in slot 2. The peer's
// first fit puts sn 3 into slot 1. The oldest unread sample is still sn 0, whatever happened during
// the scan.
TEST_F(ShmslotReadsZeroDds, CommitDuringTheNextUnreadScanDoesNotJumpTheQueue) {
  const std::size_t page = 4096;
  ASSERT_NO_FATAL_FAILURE(make(3, page - 16));  // slot_total_size == one page
  ASSERT_EQ(peer_->slot_total_size(), page);
  const std::uint32_t mask = 1;
  for (std::uint32_t k = 0; k < 3; ++k) ASSERT_EQ(peer_publish(mask, uniform(100, value_for(k))).second, k);
  ASSERT_TRUE(alloc_->mark_read(SlotHandle{0, 1, kAnyGeneration}, 0));  // sn 1 read: slot 1 reusable
  std::byte* base = shmslot_base();
  ASSERT_NE(base, nullptr);

  std::uint32_t injected_sn = ~0U;
  std::uint32_t injected_slot = ~0U;
  tl::expected<std::optional<SlotHandle>, SlotError> h;
  {
    // Page 1 holds the tail of slot 0 and the header of slot 1.
    PageTrap trap(base + page, page, [&] {
      auto idx = peer_->reserve_slot(mask);
      if (!idx) return;
      injected_slot = *idx;
      auto sn = peer_->commit_slot(*idx, uniform(100, value_for(3)));
      if (sn) injected_sn = *sn;
    });
    h = alloc_->next_unread_slot(0);
    ASSERT_TRUE(trap.fired()) << "the scan never touched slot 1";
  }
  ASSERT_EQ(injected_slot, 1U);
  ASSERT_EQ(injected_sn, 3U);
  ASSERT_TRUE(h) << h.error().message();
  ASSERT_TRUE(h->has_value());
  auto r = alloc_->read_slot(**h);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->header.sequence_number, 0U)
      << "next_unread_slot returned slot " << (*h)->slot_index << " (sn " << r->header.sequence_number
      << ") while sn 0 in slot 0 was still unread: a sample committed during the scan was taken for the oldest";
}

// The other half of the same race: while the scan is between slot 0 and slot 1, the peer commits
// sn 3 into slot 0 (already scanned, free) and sn 4 into slot 1 (not scanned yet). Before the scan
// every sample was read. sn 3 is now the oldest unread sample; returning sn 4 first breaks
// sequence order (sn 3 would come out after sn 4).
TEST_F(ShmslotReadsZeroDds, CommitIntoAnAlreadyScannedSlotDuringTheScanIsNotSkipped) {
  const std::size_t page = 4096;
  ASSERT_NO_FATAL_FAILURE(make(3, page - 16));
  const std::uint32_t mask = 1;
  for (std::uint32_t k = 0; k < 3; ++k) ASSERT_EQ(peer_publish(mask, uniform(100, value_for(k))).second, k);
  for (std::uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(alloc_->mark_read(SlotHandle{0, i, kAnyGeneration}, 0));
  std::byte* base = shmslot_base();
  ASSERT_NE(base, nullptr);

  std::vector<std::pair<std::uint32_t, std::uint32_t>> injected;  // (slot, sn)
  tl::expected<std::optional<SlotHandle>, SlotError> h;
  {
    PageTrap trap(base + page, page, [&] {
      for (int n = 0; n < 2; ++n) {
        auto idx = peer_->reserve_slot(mask);
        if (!idx) return;
        auto sn = peer_->commit_slot(*idx, uniform(100, value_for(3 + static_cast<std::uint32_t>(n))));
        if (sn) injected.emplace_back(*idx, *sn);
      }
    });
    h = alloc_->next_unread_slot(0);
    ASSERT_TRUE(trap.fired()) << "the scan never touched slot 1";
  }
  ASSERT_EQ(injected, (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0U, 3U}, {1U, 4U}}));
  ASSERT_TRUE(h) << h.error().message();
  ASSERT_TRUE(h->has_value()) << "two unread samples, none returned";
  auto r = alloc_->read_slot(**h);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->header.sequence_number, 3U)
      << "next_unread_slot returned slot " << (*h)->slot_index << " (sn " << r->header.sequence_number
      << ") while sn 3 in slot 0, committed during the scan behind it, was still unread";
}

TEST_F(ShmslotReadsZeroDds, MarkReadIsVisibleToThePeerWriter) {
  ASSERT_NO_FATAL_FAILURE(make(1, 16));
  ASSERT_EQ(peer_publish(0b011, {std::byte{0xFF}}).first, 0U);
  auto blocked = peer_->reserve_slot(0b011);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, Peer::Errc::NoFreeSlot);

  auto h = alloc_->next_unread_slot(0);
  ASSERT_TRUE(h && h->has_value());
  auto g = peer_->notify_generation();
  ASSERT_TRUE(alloc_->mark_read(**h, 0));
  EXPECT_NE(peer_->notify_generation(), g);  // a blocked ZeroDDS writer waits on gen
  EXPECT_EQ(peer_->raw_header(0).reader_mask, 0b001U);
  EXPECT_FALSE(peer_->reserve_slot(0b011));  // reader 1 still holds it

  auto h1 = alloc_->next_unread_slot(1);
  ASSERT_TRUE(h1 && h1->has_value());
  g = peer_->notify_generation();
  ASSERT_TRUE(alloc_->mark_read(**h1, 1));
  EXPECT_NE(peer_->notify_generation(), g);
  EXPECT_EQ(peer_->raw_header(0).reader_mask, 0b011U);
  auto free_again = peer_->reserve_slot(0b011);
  ASSERT_TRUE(free_again) << free_again.error().message();
  EXPECT_EQ(*free_again, 0U);
}

TEST_F(ShmslotReadsZeroDds, ReaderDisconnectFreesThePeerWritersSlots) {
  ASSERT_NO_FATAL_FAILURE(make(2, 16));
  peer_publish(0b100, uniform(4, 1));
  peer_publish(0b100, uniform(4, 2));
  ASSERT_FALSE(peer_->reserve_slot(0b100));
  const auto g = peer_->notify_generation();
  ASSERT_TRUE(alloc_->mark_reader_disconnected(2));
  EXPECT_NE(peer_->notify_generation(), g);
  EXPECT_EQ(peer_->raw_header(0).reader_mask & 0b100U, 0b100U);
  EXPECT_EQ(peer_->raw_header(1).reader_mask & 0b100U, 0b100U);
  auto idx = peer_->reserve_slot(0b100);
  ASSERT_TRUE(idx) << idx.error().message();
  EXPECT_EQ(*idx, 0U);
}

TEST_F(ShmslotReadsZeroDds, WritingIsRefusedWithReadOnlySegmentAndChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(make(2, 64));
  peer_publish(0, uniform(8, 0x5A));
  const auto before = to_vector(peer_->bytes());
  const SlotError read_only = SlotError::of(SlotErrorCode::ReadOnlySegment);
  const std::vector<std::byte> data(8, std::byte{1});

  auto r = alloc_->reserve_slot(0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), read_only);
  for (std::uint32_t slot : {0U, 1U}) {
    const SlotHandle h{0, slot, kAnyGeneration};
    auto c = alloc_->commit_slot(h, data);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), read_only);
    auto ci = alloc_->commit_in_place(h, 4);
    ASSERT_FALSE(ci);
    EXPECT_EQ(ci.error(), read_only);
    auto d = alloc_->discard_slot(h);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error(), read_only);
    auto p = alloc_->slot_data_ptr(h);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error(), read_only);
  }
  auto e = alloc_->evict_stale(0ns, 1);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), read_only);
  EXPECT_EQ(to_vector(peer_->bytes()), before);
}

// shmslot's waiter on a ZeroDDS segment does not register anywhere the peer knows about: it must
// rely on the peer's unconditional FUTEX_WAKE, on a shared futex.
TEST_F(ShmslotReadsZeroDds, WaitForChangeIsWokenByThePeersCommitDiscardAndMarkRead) {
  ASSERT_NO_FATAL_FAILURE(make(2, 64));
  const std::function<void()> triggers[] = {
      [&] { peer_publish(0, uniform(4, 9)); },
      [&] {
        auto idx = peer_->reserve_slot(0);
        ASSERT_TRUE(idx);
        ASSERT_TRUE(peer_->discard_slot(*idx));
      },
      [&] { ASSERT_TRUE(peer_->mark_read(0, 5)); },
  };
  const char* names[] = {"commit", "discard", "mark_read"};
  for (std::size_t t = 0; t < std::size(triggers); ++t) {
    SCOPED_TRACE(names[t]);
    const auto g0 = alloc_->notify_generation();
    auto r = wake_while_asleep([&] { return alloc_->wait_for_change(g0, 30s); }, triggers[t], is_gen_of_some_mapping);
    EXPECT_TRUE(r.fell_asleep) << "shmslot's wait_for_change was never seen in FUTEX_WAIT on gen";
    EXPECT_TRUE(r.woken) << "the peer's FUTEX_WAKE did not wake shmslot's waiter";
    EXPECT_TRUE(r.wait_result);
    EXPECT_NE(alloc_->notify_generation(), g0);
  }
}

// The safe ZeroDDS configuration: shmslot's reader is in the peer writer's active mask, the writer
// reuses few slots as fast as it can. Every sample arrives once, in order, intact; never Overwritten.
class ShmslotReadsZeroDdsStress : public ShmslotReadsZeroDds, public ::testing::WithParamInterface<std::size_t> {};

TEST_P(ShmslotReadsZeroDdsStress, ReaderInTheActiveMaskGetsEverySampleInOrderIntact) {
  const std::size_t slots = GetParam();
  const std::size_t capacity = 240;
  ASSERT_NO_FATAL_FAILURE(make(slots, capacity));
  const std::uint32_t reader = 7;
  const std::uint32_t mask = 1U << reader;
  const std::uint32_t total = 20000;
  const auto deadline = std::chrono::steady_clock::now() + 3 * kWatchdog;
  std::atomic<bool> stop{false};
  std::atomic<std::uint32_t> writer_errors{0};

  std::thread writer([&] {
    for (std::uint32_t k = 0; k < total && !stop.load(); ++k) {
      std::uint32_t idx = 0;
      for (;;) {
        const auto g = peer_->notify_generation();
        auto r = peer_->reserve_slot(mask);
        if (r) {
          idx = *r;
          break;
        }
        if (stop.load()) return;
        peer_->wait_for_change(g, 100ms);
      }
      auto sn = peer_->commit_slot(idx, uniform(size_for(k, capacity), value_for(k)));
      if (!sn || *sn != k) writer_errors.fetch_add(1);
    }
  });

  std::uint32_t expected = 0;
  std::uint32_t out_of_order = 0;
  std::uint32_t overwritten = 0;
  std::uint32_t bad_payload = 0;
  std::string first_problem;
  while (expected < total && std::chrono::steady_clock::now() < deadline) {
    auto h = alloc_->next_unread_slot(reader);
    ASSERT_TRUE(h) << h.error().message();
    if (!h->has_value()) {
      const auto g = alloc_->notify_generation();
      h = alloc_->next_unread_slot(reader);
      ASSERT_TRUE(h) << h.error().message();
      if (!h->has_value()) {
        alloc_->wait_for_change(g, 100ms);
        continue;
      }
    }
    auto r = alloc_->read_slot(**h);
    if (!r) {
      ++overwritten;
      if (first_problem.empty()) first_problem = "read_slot failed: " + r.error().message();
    } else {
      const std::uint32_t sn = r->header.sequence_number;
      if (sn != expected) {
        ++out_of_order;
        if (first_problem.empty()) {
          first_problem = "expected sn " + std::to_string(expected) + ", got " + std::to_string(sn) + " (slot " +
                          std::to_string((*h)->slot_index) + ")";
        }
      }
      if (r->header.sample_size != size_for(sn, capacity) || r->bytes.size() != size_for(sn, capacity) ||
          !is_uniform(r->bytes, value_for(sn))) {
        ++bad_payload;
        if (first_problem.empty()) first_problem = "torn or inconsistent payload for sn " + std::to_string(sn);
      }
      expected = std::max(expected, sn + 1);
    }
    ASSERT_TRUE(alloc_->mark_read(**h, reader));
  }
  stop.store(true);
  writer.join();
  EXPECT_EQ(expected, total) << "watchdog expired before every sample arrived";
  EXPECT_EQ(writer_errors.load(), 0U);
  EXPECT_EQ(out_of_order, 0U) << first_problem;
  EXPECT_EQ(overwritten, 0U) << first_problem;
  EXPECT_EQ(bad_payload, 0U) << first_problem;
}

INSTANTIATE_TEST_SUITE_P(Slots, ShmslotReadsZeroDdsStress, ::testing::Values(std::size_t{3}, std::size_t{64}),
                         [](const ::testing::TestParamInfo<std::size_t>& param_info) {
                           return std::to_string(param_info.param) + "slots";
                         });

// A torn read made deterministic: the peer (mask 0: the reader is outside its active mask, so the
// peer may reuse the slot at any time) starts rewriting slot 0 exactly while shmslot copies it. The
// payload spans two pages; when shmslot's copy reaches page 1 the peer takes its sequence number
// and copies the new payload (a real writer preempted before its header store). read_slot must
// report Overwritten, or return a sample whose bytes match its header.
TEST_F(ShmslotReadsZeroDds, ReadSlotRacingAPeerRewriteIsOverwrittenNotTorn) {
  const std::size_t page = 4096;
  ASSERT_NO_FATAL_FAILURE(make(1, 2 * page - 16));
  const std::size_t len = 2 * page - 200;  // from 0x30 well into page 1
  ASSERT_EQ(peer_publish(0, uniform(len, value_for(0))).second, 0U);
  auto h = alloc_->next_unread_slot(0);
  ASSERT_TRUE(h && h->has_value());
  std::byte* base = shmslot_base();
  ASSERT_NE(base, nullptr);

  std::uint32_t rewrite_sn = ~0U;
  tl::expected<SlotRead, SlotError> r;
  {
    PageTrap trap(base + page, page, [&] {
      auto idx = peer_->reserve_slot(0);
      if (!idx || *idx != 0) return;
      auto sn = peer_->begin_commit(0, uniform(len, value_for(1)));
      if (sn) rewrite_sn = *sn;
    });
    r = alloc_->read_slot(**h);
    ASSERT_TRUE(trap.fired()) << "the copy never reached page 1";
  }
  ASSERT_EQ(rewrite_sn, 1U);
  peer_->end_commit(0, rewrite_sn, len);  // the writer resumes and finishes its commit
  if (!r) {
    EXPECT_EQ(r.error().code, SlotErrorCode::Overwritten) << r.error().message();
    return;
  }
  const std::uint32_t sn = r->header.sequence_number;
  std::size_t old_bytes = 0;
  std::size_t new_bytes = 0;
  for (std::byte b : r->bytes) {
    old_bytes += b == std::byte{value_for(0)} ? 1 : 0;
    new_bytes += b == std::byte{value_for(1)} ? 1 : 0;
  }
  EXPECT_TRUE(r->bytes.size() == len && is_uniform(r->bytes, value_for(sn)))
      << "read_slot returned header {sn " << sn << ", size " << r->header.sample_size << "} with " << old_bytes
      << " bytes of sn 0 and " << new_bytes << " bytes of sn 1: a torn sample, not Overwritten";
}

// A ZeroDDS writer stopped between its sequence number and its header store (as if it died there):
// reads of older samples cannot rule out that the stalled commit rewrites their slot, so they report
// Overwritten, every time (the engine remembers the stalled commit instead of waiting again). Once
// the commit lands, the same read succeeds: the memory of a stall never hides a good sample.
TEST_F(ShmslotReadsZeroDds, StalledPeerCommitIsOverwrittenUntilItLands) {
  ASSERT_NO_FATAL_FAILURE(make(2, 64));
  // Reader 0 is in the peer's active mask, so the peer leaves slot 0 to it and writes slot 1.
  ASSERT_EQ(peer_publish(0b1, uniform(32, value_for(0))).second, 0U);
  auto h = alloc_->next_unread_slot(0);
  ASSERT_TRUE(h && h->has_value());
  ASSERT_EQ((*h)->slot_index, 0U);
  auto idx = peer_->reserve_slot(0b1);
  ASSERT_TRUE(idx);
  ASSERT_EQ(*idx, 1U);  // the other slot: slot 0 keeps sample 0 intact
  auto sn = peer_->begin_commit(1, uniform(32, value_for(1)));
  ASSERT_TRUE(sn);
  for (int k = 0; k < 3; ++k) {
    auto r = alloc_->read_slot(**h);
    ASSERT_FALSE(r) << "read " << k << " returned a sample while a newer commit was unfinished";
    EXPECT_EQ(r.error().code, SlotErrorCode::Overwritten);
  }
  peer_->end_commit(1, *sn, 32);
  auto r = alloc_->read_slot(**h);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->header.sequence_number, 0U);
  EXPECT_TRUE(is_uniform(r->bytes, value_for(0)));
}

// Torn-read stress: the peer writes with mask 0, so first fit rewrites slot 0 over and
// over while shmslot copies it. Each sample's payload is size_for(sn) bytes all equal to
// value_for(sn). Every read must be Overwritten or a uniform payload consistent with its header.
TEST_F(ShmslotReadsZeroDds, ConcurrentRewriteIsReportedAsOverwrittenNeverTorn) {
  const std::size_t capacity = 4096 - 16;
  ASSERT_NO_FATAL_FAILURE(make(2, capacity));
  std::atomic<bool> stop{false};
  std::atomic<std::uint32_t> commits{0};
  std::thread writer([&] {
    std::uint32_t k = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      auto idx = peer_->reserve_slot(0);
      if (!idx || *idx != 0) break;
      auto sn = peer_->commit_slot(*idx, uniform(size_for(k, capacity), value_for(k)));
      if (!sn) break;
      ++k;
      commits.store(k, std::memory_order_relaxed);
    }
  });
  ASSERT_TRUE(eventually([&] { return commits.load() > 0; }));
  std::uint64_t clean = 0;
  std::uint64_t overwritten = 0;
  std::uint64_t torn = 0;
  std::uint64_t other = 0;
  std::string first_torn;
  const SlotHandle h{0, 0, kAnyGeneration};
  const auto deadline = std::chrono::steady_clock::now() + kWatchdog;
  while ((commits.load() < 20000 || clean + overwritten + torn < 20000) &&
         std::chrono::steady_clock::now() < deadline) {
    auto r = alloc_->read_slot(h);
    if (!r) {
      if (r.error().code == SlotErrorCode::Overwritten) {
        ++overwritten;
      } else {
        ++other;
      }
      continue;
    }
    const std::uint32_t sn = r->header.sequence_number;
    const bool consistent = r->header.sample_size == size_for(sn, capacity) &&
                            r->bytes.size() == r->header.sample_size && is_uniform(r->bytes, value_for(sn));
    if (consistent) {
      ++clean;
    } else {
      ++torn;
      if (first_torn.empty()) {
        std::size_t changes = 0;
        for (std::size_t j = 1; j < r->bytes.size(); ++j) changes += r->bytes[j] != r->bytes[j - 1] ? 1 : 0;
        first_torn = "header {sn " + std::to_string(sn) + ", size " + std::to_string(r->header.sample_size) +
                     "} (expected size " + std::to_string(size_for(sn, capacity)) + ", byte " +
                     std::to_string(value_for(sn)) + "), payload starts with byte " +
                     (r->bytes.empty() ? std::string("-") : std::to_string(static_cast<int>(r->bytes[0]))) +
                     " and changes value " + std::to_string(changes) + " times";
      }
    }
  }
  stop.store(true);
  writer.join();
  RecordProperty("clean", std::to_string(clean));
  RecordProperty("overwritten", std::to_string(overwritten));
  RecordProperty("torn", std::to_string(torn));
  EXPECT_GT(clean + overwritten, 0U);
  EXPECT_EQ(other, 0U);
  EXPECT_EQ(torn, 0U) << torn << " of " << (clean + overwritten + torn) << " reads returned a torn sample ("
                      << overwritten << " Overwritten, " << clean << " clean); first: " << first_torn;
}

}  // namespace
}  // namespace shmslot::test
