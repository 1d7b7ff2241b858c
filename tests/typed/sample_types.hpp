// Sample types for the typed tests, with the hashes ZeroDDS's derive macro gives them.
#pragma once

#include <cstdint>

#include "shmslot/flat_struct.hpp"

namespace shmslot::test {

struct Pose {
  std::int64_t x, y, z;
  static constexpr TypeHash kTypeHash = layout_type_hash("PoseDerived{x:i64,y:i64,z:i64}");
  friend bool operator==(const Pose&, const Pose&) = default;
};

struct Other {
  std::int32_t a, b;
  static constexpr TypeHash kTypeHash = layout_type_hash("PoseDifferent{a:i32,b:i32}");
};

struct Big {
  std::uint8_t bytes[1024];
  static constexpr TypeHash kTypeHash = layout_type_hash("Big{bytes:[u8;1024]}");
};

}  // namespace shmslot::test
