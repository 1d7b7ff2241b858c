// Zero-copy reads: a pinned slot is never reused under its reader.
#include "backend_fixture.hpp"

namespace shmslot::test {
namespace {

template <class Kind>
using ZeroCopy = BackendTest<Kind>;
TYPED_TEST_SUITE(ZeroCopy, BackendKinds, KindNames);

TYPED_TEST(ZeroCopy, ReadPtrSeesTheCommittedBytes) {
  this->make(2, 64);
  this->publish(pattern(33, 9), 0b1);
  auto h = this->reader().next_unread_slot(0);
  ASSERT_TRUE(h && *h);
  auto span = this->reader().slot_read_ptr(**h, 0);
  ASSERT_TRUE(span);
  ASSERT_EQ(span->size(), 33U);
  EXPECT_TRUE(std::equal(span->begin(), span->end(), pattern(33, 9).begin()));
  ASSERT_TRUE(this->reader().mark_read(**h, 0));
}

TYPED_TEST(ZeroCopy, PinHoldsTheSlotEvenForAReaderOutsideTheMask) {
  this->make(1, 64);
  this->publish(pattern(16, 1), 0);  // mask 0: the writer may reuse at any time...
  auto h = this->reader().next_unread_slot(5);
  ASSERT_TRUE(h && *h);
  auto span = this->reader().slot_read_ptr(**h, 5);
  ASSERT_TRUE(span);
  // ...except while reader 5 holds it.
  EXPECT_EQ(this->writer().reserve_slot(0).error().code, SlotErrorCode::NoFreeSlot);
  EXPECT_TRUE(std::equal(span->begin(), span->end(), pattern(16, 1).begin()));
  ASSERT_TRUE(this->reader().mark_read(**h, 5));
  EXPECT_TRUE(this->writer().reserve_slot(0));
}

TYPED_TEST(ZeroCopy, ReadRefHoldsSlotUntilReleased) {
  this->make(1, 64);
  this->publish(bytes_of({4}), 0b1);
  auto h = this->reader().next_unread_slot(0);
  ASSERT_TRUE(h && *h);
  ASSERT_TRUE(this->reader().slot_read_ptr(**h, 0));
  ASSERT_TRUE(this->reader().slot_read_ptr(**h, 0));  // pinning twice is idempotent
  EXPECT_FALSE(this->writer().reserve_slot(0b1));
  ASSERT_TRUE(this->reader().mark_read(**h, 0));
  EXPECT_TRUE(this->writer().reserve_slot(0b1));
}

TYPED_TEST(ZeroCopy, DisconnectDropsPins) {
  this->make(1, 64);
  this->publish(bytes_of({4}), 0);
  auto h = this->reader().next_unread_slot(2);
  ASSERT_TRUE(h && *h);
  ASSERT_TRUE(this->reader().slot_read_ptr(**h, 2));
  EXPECT_FALSE(this->writer().reserve_slot(0));
  ASSERT_TRUE(this->reader().mark_reader_disconnected(2));
  EXPECT_TRUE(this->writer().reserve_slot(0));
}

TYPED_TEST(ZeroCopy, PinOfAReusedSlotIsRefused) {
  this->make(1, 64);
  this->publish(bytes_of({1}), 0);
  auto h = this->reader().next_unread_slot(0);
  ASSERT_TRUE(h && *h);
  this->publish(bytes_of({2}), 0);
  EXPECT_EQ(this->reader().slot_read_ptr(**h, 0).error().code, SlotErrorCode::Overwritten);
}

}  // namespace
}  // namespace shmslot::test
