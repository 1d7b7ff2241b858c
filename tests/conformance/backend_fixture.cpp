#include "backend_fixture.hpp"

namespace shmslot::test {

template <class Kind>
void BackendTest<Kind>::make(std::size_t slot_count, std::size_t slot_capacity, std::optional<TypeHash> hash) {
  CreateOptions options;
  options.type_hash = hash;
  make_with(slot_count, slot_capacity, options);
}

template <class Kind>
void BackendTest<Kind>::make_with(std::size_t slot_count, std::size_t slot_capacity, const CreateOptions& options) {
  reader_.reset();
  writer_.reset();
  if constexpr (std::is_same_v<Kind, InMemoryKind>) {
    auto a = InMemorySlotAllocator::create(7, slot_count, slot_capacity, options.history_depth);
    ASSERT_TRUE(a.has_value());
    if (options.type_hash) a->with_type_hash(*options.type_hash);
    writer_ = std::make_unique<InMemorySlotAllocator>(std::move(*a));
  } else {
    auto owner = PosixSlotAllocator::create(dir_.flink("seg"), slot_count, slot_capacity, options);
    ASSERT_TRUE(owner.has_value()) << owner.error().message();
    writer_ = std::make_unique<PosixSlotAllocator>(std::move(*owner));
    if constexpr (std::is_same_v<Kind, PosixAttachedKind>) {
      auto consumer = PosixSlotAllocator::attach(dir_.flink("seg"));
      ASSERT_TRUE(consumer.has_value()) << consumer.error().message();
      reader_ = std::make_unique<PosixSlotAllocator>(std::move(*consumer));
    }
  }
}

template <class Kind>
std::uint32_t BackendTest<Kind>::publish(const std::vector<std::byte>& bytes, ReaderMask mask) {
  auto h = writer().reserve_slot(mask);
  EXPECT_TRUE(h.has_value()) << (h ? "" : h.error().message());
  if (!h) return 0;
  auto sn = writer().commit_slot(*h, bytes);
  EXPECT_TRUE(sn.has_value()) << (sn ? "" : sn.error().message());
  return sn.value_or(0);
}

template class BackendTest<InMemoryKind>;
template class BackendTest<PosixOwnerKind>;
template class BackendTest<PosixAttachedKind>;

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

std::vector<std::byte> pattern(std::size_t size, std::uint8_t seed) {
  std::vector<std::byte> out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::byte>(static_cast<std::uint8_t>(seed + i * 31));
  return out;
}

}  // namespace shmslot::test
