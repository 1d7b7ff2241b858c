// Change notification: the counter moves on every change and a waiter is always woken.
#include <atomic>
#include <chrono>
#include <thread>

#include "backend_fixture.hpp"

namespace shmslot::test {
namespace {

using namespace std::chrono_literals;

template <class Kind>
using Notify = BackendTest<Kind>;
TYPED_TEST_SUITE(Notify, BackendKinds, KindNames);

TYPED_TEST(Notify, CounterMovesOnCommitDiscardMarkReadAndDisconnect) {
  this->make(2, 64);
  auto g = this->reader().notify_generation();
  this->publish(bytes_of({1}));
  EXPECT_NE(this->reader().notify_generation(), g);
  g = this->reader().notify_generation();
  auto h = this->writer().reserve_slot(0);
  ASSERT_TRUE(h);
  EXPECT_EQ(this->reader().notify_generation(), g);  // reserve is not a change readers care about
  ASSERT_TRUE(this->writer().discard_slot(*h));
  EXPECT_NE(this->reader().notify_generation(), g);
  g = this->reader().notify_generation();
  ASSERT_TRUE(this->reader().mark_read(SlotHandle{0, 0}, 0));
  EXPECT_NE(this->reader().notify_generation(), g);
  g = this->reader().notify_generation();
  ASSERT_TRUE(this->reader().mark_reader_disconnected(3));
  EXPECT_NE(this->reader().notify_generation(), g);
}

TYPED_TEST(Notify, WaitReturnsAtOnceWhenAlreadyChanged) {
  this->make(2, 64);
  const auto g = this->reader().notify_generation();
  this->publish(bytes_of({1}));
  EXPECT_TRUE(this->reader().wait_for_change(g, 10s));
}

TYPED_TEST(Notify, WaitTimesOutWithoutAChange) {
  this->make(2, 64);
  const auto g = this->reader().notify_generation();
  EXPECT_FALSE(this->reader().wait_for_change(g, 20ms));
  EXPECT_EQ(this->reader().notify_generation(), g);
}

TYPED_TEST(Notify, CommitFromAnotherThreadWakesTheWaiter) {
  this->make(2, 64);
  const auto g0 = this->reader().notify_generation();
  std::thread writer([&] {
    std::this_thread::sleep_for(50ms);
    this->publish(bytes_of({1}));
  });
  // Generous watchdog, no bound asserted on how fast the wake-up is.
  const bool changed = this->reader().wait_for_change(g0, 30s);
  writer.join();
  EXPECT_TRUE(changed);
  EXPECT_NE(this->reader().notify_generation(), g0);
}

TYPED_TEST(Notify, NoLostWakeUpsUnderAPingPong) {
  // Two threads hand a token back and forth through samples alone; a single lost wake-up would
  // stall the exchange until the watchdog.
  this->make(4, 64);
  constexpr int kRounds = 2000;
  std::atomic<bool> failed{false};
  // Waits for a sample whose first byte is `want`; every sample on the way is marked read (a
  // side also sees its own samples, since a reader outside the mask still reads).
  auto wait_for_sample = [&](SlotBackend& b, std::uint32_t reader, int want) -> int {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
      const auto g = b.notify_generation();
      auto h = b.next_unread_slot(reader);
      if (h && *h) {
        auto r = b.read_slot(**h);
        (void)b.mark_read(**h, reader);
        if (!r || r->bytes.empty()) return -1;
        if (static_cast<int>(r->bytes[0]) == want) return want;
        continue;
      }
      if (std::chrono::steady_clock::now() > deadline) return -2;
      b.wait_for_change(g, 1s);
    }
  };
  std::thread pong([&] {
    for (int i = 0; i < kRounds; ++i) {
      if (wait_for_sample(this->reader(), 1, 1) < 0) {
        failed = true;
        return;
      }
      this->publish(bytes_of({2}), 0b01);
    }
  });
  for (int i = 0; i < kRounds && !failed; ++i) {
    this->publish(bytes_of({1}), 0b10);
    if (wait_for_sample(this->writer(), 0, 2) < 0) failed = true;
  }
  pong.join();
  EXPECT_FALSE(failed);
}

}  // namespace
}  // namespace shmslot::test
