// Threads attacking the protocol's claims: no torn copy, pins hold, several writers lose nothing.
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "backend_fixture.hpp"

namespace shmslot::test {
namespace {

using namespace std::chrono_literals;

template <class Kind>
using Concurrency = BackendTest<Kind>;
TYPED_TEST_SUITE(Concurrency, BackendKinds, KindNames);

// A sample whose every byte derives from (writer, counter): any mix of two samples is detectable.
struct Stamp {
  std::uint32_t writer;
  std::uint32_t counter;
};

std::vector<std::byte> stamped(Stamp s, std::size_t size) {
  std::vector<std::byte> out(size);
  std::memcpy(out.data(), &s, sizeof s);
  for (std::size_t i = sizeof s; i < size; ++i) {
    out[i] = static_cast<std::byte>(static_cast<std::uint8_t>(s.writer * 131 + s.counter * 7 + i));
  }
  return out;
}

bool intact(const std::byte* p, std::size_t size, Stamp* out) {
  if (size < sizeof(Stamp)) return false;
  std::memcpy(out, p, sizeof(Stamp));
  const auto expect = stamped(*out, size);
  return std::memcmp(expect.data(), p, size) == 0;
}

TYPED_TEST(Concurrency, CopyingReadsAreNeverTorn) {
  this->make(2, 1024);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (std::uint32_t c = 0; !stop; ++c) {
      auto h = this->writer().reserve_slot(0);  // mask 0: reuse as fast as possible
      if (!h) continue;
      (void)this->writer().commit_slot(*h, stamped({1, c}, 64 + c % 900));
    }
  });
  std::size_t good = 0;
  std::size_t overwritten = 0;
  std::vector<std::byte> buf(1024);
  const auto end = std::chrono::steady_clock::now() + 700ms;
  while (std::chrono::steady_clock::now() < end) {
    for (std::uint32_t i = 0; i < 2; ++i) {
      auto r = this->reader().read_slot_into(SlotHandle{0, i}, buf);
      if (!r) {
        ASSERT_EQ(r.error().code, SlotErrorCode::Overwritten);
        ++overwritten;
        continue;
      }
      if (r->sample_size == 0) continue;
      Stamp s{};
      ASSERT_TRUE(intact(buf.data(), r->sample_size, &s)) << "torn sample accepted";
      ASSERT_EQ(r->sample_size, 64 + s.counter % 900);
      ++good;
    }
  }
  stop = true;
  writer.join();
  EXPECT_GT(good, 0U);
  this->RecordProperty("overwritten", static_cast<int>(overwritten));
}

TYPED_TEST(Concurrency, PinnedSpanNeverChangesUnderAWriter) {
  this->make(4, 256);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (std::uint32_t c = 0; !stop; ++c) {
      auto h = this->writer().reserve_slot(0);
      if (!h) {
        std::this_thread::yield();
        continue;
      }
      (void)this->writer().commit_slot(*h, stamped({2, c}, 256));
    }
  });
  int pinned = 0;
  const auto end = std::chrono::steady_clock::now() + 700ms;
  while (std::chrono::steady_clock::now() < end) {
    auto h = this->reader().next_unread_slot(9);  // outside the mask: only the pin protects it
    if (!h || !*h) continue;
    auto span = this->reader().slot_read_ptr(**h, 9);
    if (!span) {
      ASSERT_EQ(span.error().code, SlotErrorCode::Overwritten);
      continue;
    }
    Stamp s{};
    ASSERT_TRUE(intact(span->data(), span->size(), &s));
    const std::vector<std::byte> copy(span->begin(), span->end());
    std::this_thread::sleep_for(100us);  // give the writer every chance to reuse it
    ASSERT_EQ(std::memcmp(copy.data(), span->data(), copy.size()), 0) << "pinned slot was reused";
    ASSERT_TRUE(this->reader().mark_read(**h, 9));
    ++pinned;
  }
  stop = true;
  writer.join();
  EXPECT_GT(pinned, 0);
}

TYPED_TEST(Concurrency, SeveralWritersAndReadersLoseNothing) {
  constexpr std::uint32_t kWriters = 3;
  constexpr std::uint32_t kReaders = 2;
  constexpr std::uint32_t kPerWriter = 3000;
  constexpr ReaderMask kActive = 0b11;
  this->make(16, 128);
  std::vector<std::thread> threads;
  for (std::uint32_t w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (std::uint32_t c = 0; c < kPerWriter;) {
        const auto g = this->writer().notify_generation();
        auto h = this->writer().reserve_slot(kActive);
        if (!h) {
          this->writer().wait_for_change(g, 100ms);
          continue;
        }
        auto sn = this->writer().commit_slot(*h, stamped({w, c}, 16 + (c * 13) % 100));
        if (sn) ++c;
      }
    });
  }
  std::vector<std::vector<std::uint32_t>> last(kReaders, std::vector<std::uint32_t>(kWriters, 0));
  std::vector<std::uint32_t> seen(kReaders, 0);
  std::atomic<int> errors{0};
  std::vector<std::thread> readers;
  for (std::uint32_t r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      std::vector<std::byte> buf(128);
      const auto deadline = std::chrono::steady_clock::now() + 120s;
      std::uint32_t sn_expected = 0;
      while (seen[r] < kWriters * kPerWriter && std::chrono::steady_clock::now() < deadline) {
        const auto g = this->reader().notify_generation();
        auto h = this->reader().next_unread_slot(r);
        if (!h) {
          ++errors;
          return;
        }
        if (!*h) {
          this->reader().wait_for_change(g, 100ms);
          continue;
        }
        auto hdr = this->reader().read_slot_into(**h, buf);
        Stamp s{};
        // An active reader's sample cannot be overwritten before it marks it.
        if (!hdr || !intact(buf.data(), hdr->sample_size, &s) || s.writer >= kWriters) {
          ++errors;
          return;
        }
        // Sequence numbers arrive consecutively; each writer's counters arrive in order.
        if (hdr->sequence_number != sn_expected++ || s.counter != last[r][s.writer]) {
          ++errors;
          return;
        }
        ++last[r][s.writer];
        ++seen[r];
        if (!this->reader().mark_read(**h, r)) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(errors.load(), 0);
  for (std::uint32_t r = 0; r < kReaders; ++r) {
    EXPECT_EQ(seen[r], kWriters * kPerWriter) << "reader " << r;
    for (std::uint32_t w = 0; w < kWriters; ++w) EXPECT_EQ(last[r][w], kPerWriter);
  }
}

}  // namespace
}  // namespace shmslot::test
