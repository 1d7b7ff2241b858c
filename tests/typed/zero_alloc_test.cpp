// The typed write and take paths allocate nothing (ZeroDDS's zero_alloc test, counted with a
// replaced global operator new instead of its Rust profiler).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "sample_types.hpp"
#include "shmslot/shmslot.hpp"

namespace {
std::atomic<std::size_t> g_allocations{0};
}

// The replacement pair is malloc/free by design; g++ 12 at -O2 sees free() meet new's pointer.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace shmslot::test {
namespace {

TEST(ZeroAlloc, WriteAndTakeAreHeapAllocationFree) {
  InMemorySlotAllocator backend(0, 1016, sizeof(Big));
  backend.with_type_hash(type_hash_of<Big>);
  FlatWriter<Big> writer(backend, 0b1);
  FlatReader<Big> reader(backend, 0);
  Big sample{};
  const std::size_t before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) {
    sample.bytes[0] = static_cast<std::uint8_t>(i);
    ASSERT_TRUE(writer.write(sample));
  }
  for (int i = 0; i < 1000; ++i) {
    auto got = reader.take();
    ASSERT_TRUE(got && *got);
    ASSERT_EQ((*got)->bytes[0], static_cast<std::uint8_t>(i));
  }
  for (int i = 0; i < 100; ++i) {
    auto loan = writer.loan();
    ASSERT_TRUE(loan);
    ASSERT_TRUE(std::move(*loan).commit());
    auto ref = reader.read_ref();
    ASSERT_TRUE(ref && *ref);
  }
  EXPECT_EQ(g_allocations.load() - before, 0U);
}

}  // namespace
}  // namespace shmslot::test
