// One conformance suite, run against every backend: each typed test gets a writer-side and a
// reader-side SlotBackend for the same slots.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shmslot/shmslot.hpp"
#include "support/temp_flink.hpp"

namespace shmslot::test {

// The in-memory backend: writer and reader are the same object.
struct InMemoryKind {
  static constexpr const char* kName = "InMemory";
};
// A POSIX segment used through its owner only.
struct PosixOwnerKind {
  static constexpr const char* kName = "PosixOwner";
};
// A POSIX segment: the owner writes, a separately attached consumer reads.
struct PosixAttachedKind {
  static constexpr const char* kName = "PosixAttached";
};

template <class Kind>
class BackendTest : public ::testing::Test {
 public:
  // (Re)creates the backend under test with this geometry.
  void make(std::size_t slot_count, std::size_t slot_capacity, std::optional<TypeHash> hash = std::nullopt);
  // The same with creation options: the in-memory backend takes the type hash and history depth of
  // `options` (its lease is always the default); the POSIX ones take all of them.
  void make_with(std::size_t slot_count, std::size_t slot_capacity, const CreateOptions& options);

  SlotBackend& writer() { return *writer_; }
  SlotBackend& reader() { return reader_ ? *reader_ : *writer_; }

  // Reserve with `mask` and commit `bytes`; fails the test on error.
  std::uint32_t publish(const std::vector<std::byte>& bytes, ReaderMask mask = 0);

  TempFlinkDir dir_;
  std::unique_ptr<SlotBackend> writer_;
  std::unique_ptr<SlotBackend> reader_;  // null when the writer object also reads
};

using BackendKinds = ::testing::Types<InMemoryKind, PosixOwnerKind, PosixAttachedKind>;

struct KindNames {
  template <class T>
  static std::string GetName(int) {
    return T::kName;
  }
};

std::vector<std::byte> bytes_of(std::initializer_list<int> values);
std::vector<std::byte> pattern(std::size_t size, std::uint8_t seed);

}  // namespace shmslot::test
