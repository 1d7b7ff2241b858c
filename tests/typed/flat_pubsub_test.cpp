// FlatWriter / FlatReader over every backend (ZeroDDS's pubsub tests, ported, plus sequence order).
#include <gtest/gtest.h>

#include <thread>

#include "sample_types.hpp"
#include "shmslot/shmslot.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {
namespace {

using namespace std::chrono_literals;

struct InMemoryBackend {
  static constexpr const char* kName = "InMemory";
};
struct PosixBackend {
  static constexpr const char* kName = "Posix";
};

// A writer side and a reader side of one segment, optionally recording Pose's type hash.
template <class Kind>
class FlatPubSub : public ::testing::Test {
 protected:
  void make(std::size_t slots, std::optional<TypeHash> hash = type_hash_of<Pose>, std::size_t capacity = 64) {
    reader_side_.reset();
    writer_side_.reset();
    if constexpr (std::is_same_v<Kind, InMemoryBackend>) {
      auto a = InMemorySlotAllocator::create(0, slots, capacity).value();
      if (hash) a.with_type_hash(*hash);
      writer_side_ = std::make_unique<InMemorySlotAllocator>(std::move(a));
    } else {
      CreateOptions options;
      options.type_hash = hash;
      writer_side_ = std::make_unique<PosixSlotAllocator>(
          PosixSlotAllocator::create(dir_.flink("t"), slots, capacity, options).value());
      reader_side_ = std::make_unique<PosixSlotAllocator>(PosixSlotAllocator::attach(dir_.flink("t")).value());
    }
  }
  SlotBackend& w() { return *writer_side_; }
  SlotBackend& r() { return reader_side_ ? *reader_side_ : *writer_side_; }

  TempFlinkDir dir_;
  std::unique_ptr<SlotBackend> writer_side_;
  std::unique_ptr<SlotBackend> reader_side_;
};

struct Names {
  template <class T>
  static std::string GetName(int) {
    return T::kName;
  }
};
using Kinds = ::testing::Types<InMemoryBackend, PosixBackend>;
TYPED_TEST_SUITE(FlatPubSub, Kinds, Names);

TYPED_TEST(FlatPubSub, WriteThenRead) {
  this->make(4);
  FlatWriter<Pose> writer(this->w(), 0b1);
  FlatReader<Pose> reader(this->r(), 0);
  ASSERT_EQ(writer.write(Pose{1, 2, 3}).value(), 0U);
  EXPECT_EQ(reader.read().value(), (Pose{1, 2, 3}));
  EXPECT_FALSE(reader.read().value());  // not read again
}

TYPED_TEST(FlatPubSub, TakeDeliversEverySampleInOrder) {
  this->make(8);
  FlatWriter<Pose> writer(this->w(), 0b11);
  FlatReader<Pose> a(this->r(), 0);
  FlatReader<Pose> b(this->r(), 1);
  for (std::int64_t round = 0; round < 20; ++round) {
    for (std::int64_t k = 0; k < 5; ++k) ASSERT_TRUE(writer.write(Pose{round * 5 + k, 0, 0}));
    for (std::int64_t k = 0; k < 5; ++k) {
      EXPECT_EQ(a.take().value()->x, round * 5 + k);
      EXPECT_EQ(b.take().value()->x, round * 5 + k);
    }
    EXPECT_FALSE(a.take().value());
  }
}

TYPED_TEST(FlatPubSub, ReadKeepsOnlyTheNewest) {
  this->make(8);
  FlatWriter<Pose> writer(this->w(), 0b1);
  FlatReader<Pose> reader(this->r(), 0);
  for (std::int64_t k = 1; k <= 3; ++k) ASSERT_TRUE(writer.write(Pose{k, 0, 0}));
  EXPECT_EQ(reader.read().value()->x, 3);
  EXPECT_EQ(reader.skipped(), 2U);
  EXPECT_FALSE(reader.take().value());  // the skipped ones are marked read
}

TYPED_TEST(FlatPubSub, LoanCommitPattern) {
  this->make(4);
  FlatWriter<Pose> writer(this->w(), 0b1);
  FlatReader<Pose> reader(this->r(), 0);
  auto loan = writer.loan();
  ASSERT_TRUE(loan);
  EXPECT_EQ(**loan, (Pose{0, 0, 0}));  // zeroed, as ZeroDDS does
  (*loan)->x = 7;
  (*loan)->z = 9;
  ASSERT_EQ(std::move(*loan).commit().value(), 0U);
  EXPECT_EQ(reader.take().value(), (Pose{7, 0, 9}));
}

TYPED_TEST(FlatPubSub, LoanWritesInPlace) {
  this->make(4);
  FlatWriter<Pose> writer(this->w(), 0);
  auto loan = writer.loan();
  ASSERT_TRUE(loan);
  // The loan's storage is the slot's payload: visible through the backend before the commit.
  auto handle = this->w().reserve_slot(0);  // another slot
  ASSERT_TRUE(handle);
  (*loan)->y = 42;
  auto data = this->w().slot_data_ptr(SlotHandle{0, 0, 1});
  ASSERT_TRUE(data);
  std::int64_t y = 0;
  std::memcpy(&y, data->data() + 8, sizeof y);
  EXPECT_EQ(y, 42);
  ASSERT_TRUE(std::move(*loan).commit());
}

TYPED_TEST(FlatPubSub, LoanDroppedWithoutCommitReleasesTheSlot) {
  this->make(1);
  FlatWriter<Pose> writer(this->w(), 0b1);
  {
    auto loan = writer.loan();
    ASSERT_TRUE(loan);
    EXPECT_EQ(writer.loan().error().code, SlotErrorCode::NoFreeSlot);
  }
  EXPECT_TRUE(writer.loan());
}

TYPED_TEST(FlatPubSub, ReaderRecyclesSlotAfterRead) {
  this->make(1);
  FlatWriter<Pose> writer(this->w(), 0b1);
  FlatReader<Pose> reader(this->r(), 0);
  ASSERT_TRUE(writer.write(Pose{1, 1, 1}));
  EXPECT_EQ(writer.write(Pose{2, 2, 2}).error().code, SlotErrorCode::NoFreeSlot);
  ASSERT_TRUE(reader.take().value());
  EXPECT_TRUE(writer.write(Pose{2, 2, 2}));
}

TYPED_TEST(FlatPubSub, ReadRefPointsIntoTheSlotAndHoldsIt) {
  this->make(1);
  FlatWriter<Pose> writer(this->w(), 0);  // mask 0: only the guard keeps the slot
  FlatReader<Pose> reader(this->r(), 3);
  ASSERT_TRUE(writer.write(Pose{4, 5, 6}));
  {
    auto ref = reader.read_ref();
    ASSERT_TRUE(ref && *ref);
    EXPECT_EQ(***ref, (Pose{4, 5, 6}));
    EXPECT_EQ((**ref)->y, 5);
    EXPECT_EQ(writer.write(Pose{0, 0, 0}).error().code, SlotErrorCode::NoFreeSlot);
  }
  EXPECT_TRUE(writer.write(Pose{0, 0, 0}));
}

TYPED_TEST(FlatPubSub, ReadRefIntoInnerReleasesTheSlot) {
  this->make(1);
  FlatWriter<Pose> writer(this->w(), 0b1);
  FlatReader<Pose> reader(this->r(), 0);
  ASSERT_TRUE(writer.write(Pose{8, 8, 8}));
  auto ref = reader.read_ref();
  ASSERT_TRUE(ref && *ref);
  const Pose copy = std::move(**ref).into_inner();
  EXPECT_EQ(copy, (Pose{8, 8, 8}));
  EXPECT_TRUE(writer.write(Pose{9, 9, 9}));
}

TYPED_TEST(FlatPubSub, TypeHashMismatchIsItsOwnError) {
  this->make(4, type_hash_of<Other>);
  FlatReader<Pose> reader(this->r(), 0);
  EXPECT_EQ(reader.take().error().code, SlotErrorCode::TypeMismatch);
  EXPECT_EQ(reader.read().error().code, SlotErrorCode::TypeMismatch);
  FlatWriter<Pose> writer(this->w(), 0);
  EXPECT_EQ(writer.write(Pose{}).error().code, SlotErrorCode::TypeMismatch);
  EXPECT_EQ(writer.loan().error().code, SlotErrorCode::TypeMismatch);
}

TYPED_TEST(FlatPubSub, MatchingHashReadsNothingYet) {
  this->make(4);
  FlatReader<Pose> reader(this->r(), 0);
  auto r = reader.read();
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
}

TYPED_TEST(FlatPubSub, WithoutARecordedHashTheSampleSizeDecides) {
  this->make(4, std::nullopt);
  FlatWriter<Other> other(this->w(), 0b1);
  FlatReader<Pose> reader(this->r(), 0);
  ASSERT_TRUE(other.write(Other{1, 2}));  // 8 bytes where a Pose has 24
  EXPECT_EQ(reader.take().error().code, SlotErrorCode::TypeMismatch);
  this->make(4, std::nullopt);
  FlatWriter<Pose> writer(this->w(), 0b1);
  FlatReader<Pose> fresh(this->r(), 0);
  ASSERT_TRUE(writer.write(Pose{1, 2, 3}));
  EXPECT_EQ(fresh.take().value(), (Pose{1, 2, 3}));
}

TYPED_TEST(FlatPubSub, SampleLargerThanTheCapacityIsRefused) {
  this->make(2, std::nullopt, 64);
  FlatWriter<Big> writer(this->w(), 0);
  EXPECT_EQ(writer.write(Big{}).error(), SlotError::too_large(sizeof(Big), 64));
  EXPECT_EQ(writer.loan().error(), SlotError::too_large(sizeof(Big), 64));
}

TYPED_TEST(FlatPubSub, BlockingReadWakesOnCommit) {
  this->make(4);
  FlatReader<Pose> reader(this->r(), 0);
  std::thread writer_thread([&] {
    std::this_thread::sleep_for(50ms);
    FlatWriter<Pose> writer(this->w(), 0b1);
    (void)writer.write(Pose{5, 5, 5});
  });
  auto got = reader.take_blocking(30s);  // watchdog only; no bound on how fast
  writer_thread.join();
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, (Pose{5, 5, 5}));
}

TYPED_TEST(FlatPubSub, BlockingReadTimesOutWithoutAWriter) {
  this->make(4);
  FlatReader<Pose> reader(this->r(), 0);
  const auto start = std::chrono::steady_clock::now();
  auto got = reader.read_blocking(60ms);
  ASSERT_TRUE(got);
  EXPECT_FALSE(*got);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 60ms);  // it did wait
}

TYPED_TEST(FlatPubSub, WriteBpBestEffortDropsWhenFull) {
  this->make(1);
  FlatWriter<Pose> writer(this->w(), 0b1);
  ASSERT_EQ(writer.write_bp(Pose{}, Reliability::BestEffort, 1s).value().kind, WriteOutcome::Kind::Written);
  EXPECT_EQ(writer.write_bp(Pose{}, Reliability::BestEffort, 1s).value(), WriteOutcome::dropped());
}

TYPED_TEST(FlatPubSub, WriteBpReliableBlocksUntilAReaderFrees) {
  this->make(1);
  FlatWriter<Pose> writer(this->w(), 0b1);
  FlatReader<Pose> reader(this->r(), 0);
  ASSERT_TRUE(writer.write(Pose{1, 0, 0}));
  std::thread reader_thread([&] {
    std::this_thread::sleep_for(50ms);
    (void)reader.take();
  });
  auto outcome = writer.write_bp(Pose{2, 0, 0}, Reliability::Reliable, 30s);
  reader_thread.join();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->kind, WriteOutcome::Kind::Written);
  EXPECT_EQ(outcome->sequence_number, 1U);
}

TYPED_TEST(FlatPubSub, WriteBpReliableTimesOut) {
  this->make(1);
  FlatWriter<Pose> writer(this->w(), 0b1);
  ASSERT_TRUE(writer.write(Pose{}));
  EXPECT_EQ(writer.write_bp(Pose{}, Reliability::Reliable, 50ms).value(), WriteOutcome::timed_out());
}

}  // namespace
}  // namespace shmslot::test
