// Both directions with real processes: the peer runs in a forked child, shmslot in the test process,
// so notification and the segment's lifetime cross a process boundary as they do in production.
#include <sys/stat.h>

#include <set>
#include <thread>

#include "compat_fixture.hpp"
#include "shmslot/shmslot.hpp"
#include "support/child_process.hpp"

namespace shmslot::test {
namespace {

using Peer = ZeroDdsPeer;

// Child exit codes, so a failure in the child says what went wrong.
enum ChildExit : int {
  kOk = 0,
  kCreateFailed = 10,
  kAttachFailed = 11,
  kChildTimedOut = 12,
  kWrongSn = 13,
  kCommitFailed = 14,
  kBadSample = 15,
  kDuplicate = 16,
  kMarkFailed = 17,
};

bool flink_written(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && st.st_size > 0;
}

using MultiProcessCompat = CompatTest;

// A ZeroDDS writer process owns the segment; shmslot reads it from this process and must get every
// sample once, in sequence order, intact, while the writer reuses slots first-fit.
TEST_F(MultiProcessCompat, ZeroDdsWriterProcessToShmslotReader) {
  const std::string path = flink();
  const std::uint32_t reader = 1;
  const std::uint32_t mask = 1U << reader;
  const std::uint32_t total = 3000;
  const std::size_t slots = 8;
  const std::size_t capacity = 500;

  ChildProcess child([&]() -> int {
    auto p = Peer::create(path, slots, capacity);
    if (!p) return kCreateFailed;
    const auto deadline = std::chrono::steady_clock::now() + 3 * kWatchdog;
    for (std::uint32_t k = 0; k < total; ++k) {
      std::uint32_t idx = 0;
      for (;;) {
        const auto g = p->notify_generation();
        auto r = p->reserve_slot(mask);
        if (r) {
          idx = *r;
          break;
        }
        if (std::chrono::steady_clock::now() > deadline) return kChildTimedOut;
        p->wait_for_change(g, 100ms);
      }
      auto sn = p->commit_slot(idx, uniform(size_for(k, capacity), value_for(k)));
      if (!sn) return kCommitFailed;
      if (*sn != k) return kWrongSn;
    }
    // Stay the owner until the reader has marked everything, then tear down like ZeroDDS.
    for (;;) {
      const auto g = p->notify_generation();
      bool all_read = true;
      for (std::uint32_t i = 0; i < slots; ++i) {
        const auto h = p->raw_header(i);
        if (h.sample_size != 0 && (h.reader_mask & mask) == 0) all_read = false;
      }
      if (all_read) return kOk;
      if (std::chrono::steady_clock::now() > deadline) return kChildTimedOut;
      p->wait_for_change(g, 100ms);
    }
  });

  // A consumer finding the flink file before its name is written is covered by
  // RefusedSegments.EmptyFlinkOfAZeroDdsOwnerStillCreatingIsRetried; wait past it here.
  ASSERT_TRUE(eventually([&] { return flink_written(path); })) << "the ZeroDDS child never published its flink";
  auto a = PosixSlotAllocator::attach(path);
  ASSERT_TRUE(a) << a.error().message();
  track(a->shm_name());
  EXPECT_FALSE(a->has_extension());

  std::uint32_t expected = 0;
  std::uint32_t problems = 0;
  std::string first_problem;
  const auto deadline = std::chrono::steady_clock::now() + 3 * kWatchdog;
  while (expected < total && std::chrono::steady_clock::now() < deadline) {
    const auto g = a->notify_generation();
    auto h = a->next_unread_slot(reader);
    ASSERT_TRUE(h) << h.error().message();
    if (!h->has_value()) {
      a->wait_for_change(g, 100ms);
      continue;
    }
    auto r = a->read_slot(**h);
    if (!r) {
      ++problems;
      if (first_problem.empty()) first_problem = "read_slot: " + r.error().message();
    } else {
      const std::uint32_t sn = r->header.sequence_number;
      if (sn != expected || r->bytes.size() != size_for(sn, capacity) || !is_uniform(r->bytes, value_for(sn))) {
        ++problems;
        if (first_problem.empty()) {
          first_problem = "expected sn " + std::to_string(expected) + ", got sn " + std::to_string(sn) + " with " +
                          std::to_string(r->bytes.size()) + " bytes";
        }
      }
      expected = std::max(expected, sn + 1);
    }
    ASSERT_TRUE(a->mark_read(**h, reader));
  }
  EXPECT_EQ(expected, total) << "watchdog expired";
  EXPECT_EQ(problems, 0U) << first_problem;
  EXPECT_EQ(child.wait(kWatchdog), std::optional<int>(kOk));
  // The owner is gone: its flink file and segment with it, while our mapping stays readable.
  EXPECT_FALSE(flink_written(path));
  EXPECT_EQ(shm_objects().count(a->shm_name().substr(1)), 0U);
  auto stale = a->next_unread_slot(reader);
  ASSERT_TRUE(stale);
  EXPECT_FALSE(stale->has_value());
}

// shmslot writes (WakeAlways, ZeroDDS reader in the active mask); a ZeroDDS reader process sleeps
// on gen, reads by slot index and must see every sample exactly once, each one intact.
TEST_F(MultiProcessCompat, ShmslotWriterToZeroDdsReaderProcess) {
  const std::string path = flink();
  const std::uint32_t reader = 4;
  const std::uint32_t mask = 1U << reader;
  const std::uint32_t total = 3000;
  const std::size_t capacity = 300;

  ChildProcess child([&]() -> int {
    const auto deadline = std::chrono::steady_clock::now() + 3 * kWatchdog;
    while (!flink_written(path)) {
      if (std::chrono::steady_clock::now() > deadline) return kChildTimedOut;
      std::this_thread::sleep_for(1ms);
    }
    auto p = Peer::attach(path);
    if (!p) return kAttachFailed;
    std::set<std::uint32_t> seen;
    while (seen.size() < total) {
      const auto g = p->notify_generation();
      auto idx = p->next_unread_slot(reader);
      if (!idx->has_value()) {
        if (std::chrono::steady_clock::now() > deadline) return kChildTimedOut;
        p->wait_for_change(g, 100ms);
        continue;
      }
      auto r = p->read_slot(**idx);
      const std::uint32_t sn = r->header.sequence_number;
      if (sn >= total || r->bytes.size() != size_for(sn, capacity) || !is_uniform(r->bytes, value_for(sn))) {
        return kBadSample;
      }
      if (!seen.insert(sn).second) return kDuplicate;
      if (!p->mark_read(**idx, reader)) return kMarkFailed;
    }
    return kOk;
  });

  CreateOptions options;
  options.notify = NotifyMode::WakeAlways;
  auto a = PosixSlotAllocator::create(path, 4, capacity, options);
  ASSERT_TRUE(a) << a.error().message();
  track(a->shm_name());
  const auto deadline = std::chrono::steady_clock::now() + 3 * kWatchdog;
  for (std::uint32_t k = 0; k < total; ++k) {
    SlotHandle h{};
    for (;;) {
      const auto g = a->notify_generation();
      auto r = a->reserve_slot(mask);
      if (r) {
        h = *r;
        break;
      }
      ASSERT_EQ(r.error().code, SlotErrorCode::NoFreeSlot);
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "watchdog: the ZeroDDS reader stopped releasing slots";
      a->wait_for_change(g, 100ms);
    }
    auto sn = a->commit_slot(h, uniform(size_for(k, capacity), value_for(k)));
    ASSERT_TRUE(sn) << sn.error().message();
    ASSERT_EQ(*sn, k);
  }
  EXPECT_EQ(child.wait(3 * kWatchdog), std::optional<int>(kOk));
}

}  // namespace
}  // namespace shmslot::test
