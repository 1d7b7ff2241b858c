// Type hashes equal ZeroDDS's derive macro for the same layout strings (its documented vectors),
// and the FlatStruct concept admits exactly the types that can travel as bytes.
#include <gtest/gtest.h>

#include <string>

#include "sample_types.hpp"

namespace shmslot::test {
namespace {

TEST(TypeHash, MatchesZeroDdsDeriveVectors) {
  EXPECT_EQ(to_hex(layout_type_hash("PoseDerived{x:i64,y:i64,z:i64}")), "0e809f18638e26a6ca8ab29cb5955257");
  EXPECT_EQ(to_hex(layout_type_hash("PoseDifferent{a:i32,b:i32}")), "49185762c56565229c802d099f9bfe32");
  EXPECT_EQ(to_hex(layout_type_hash("Tuple{u64,u64}")), "401149d90b645105c097f454c082be58");
  EXPECT_EQ(to_hex(layout_type_hash("Marker{()}")), "2291de7b588280747c1ffaf9a4d5471d");
}

TEST(TypeHash, IsComputedAtCompileTime) {
  static_assert(layout_type_hash("PoseDerived{x:i64,y:i64,z:i64}")[0] == 0x0e);
  static_assert(type_hash_of<Pose>[15] == 0x57);
}

TEST(TypeHash, ShaMatchesKnownDigests) {
  // FIPS 180-4 examples: "" and "abc", and a two-block message.
  auto hex = [](const std::array<std::uint8_t, 32>& d) {
    std::string s;
    for (auto b : d) s += "0123456789abcdef"[b >> 4], s += "0123456789abcdef"[b & 15];
    return s;
  };
  EXPECT_EQ(hex(detail::sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(detail::sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(detail::sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(TypeHash, DistinctLayoutsGetDistinctHashes) {
  EXPECT_NE(layout_type_hash("A{x:i64}"), layout_type_hash("A{x:u64}"));          // same size, other type
  EXPECT_NE(layout_type_hash("A{x:i64,y:i64}"), layout_type_hash("A{y:i64,x:i64}"));  // reordered
  EXPECT_NE(layout_type_hash("A{x:i64}"), layout_type_hash("B{x:i64}"));          // renamed type
  EXPECT_NE(layout_type_hash("A{x:i64}"), layout_type_hash("A{y:i64}"));          // renamed field
}

struct WithPointer {
  int* p;
  static constexpr TypeHash kTypeHash{};
};
struct NoHash {
  int x;
};
struct TooAligned {
  alignas(32) int x;
  static constexpr TypeHash kTypeHash{};
};
struct NotTrivial {
  NotTrivial(const NotTrivial&) {}
  static constexpr TypeHash kTypeHash{};
};

TEST(FlatStructConcept, AdmitsPlainTypesOnly) {
  static_assert(FlatStruct<Pose>);
  static_assert(FlatStruct<Big>);
  static_assert(sizeof(Pose) == 24);  // WIRE_SIZE is sizeof, tail padding included
  static_assert(!FlatStruct<NoHash>);
  static_assert(!FlatStruct<TooAligned>);
  static_assert(!FlatStruct<NotTrivial>);
  // Pointers are a documented contract the compiler cannot see.
  static_assert(FlatStruct<WithPointer>);
}

}  // namespace
}  // namespace shmslot::test
