// Sample types that travel through slots as their bytes: the FlatStruct concept and its type hash.
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "shmslot/detail/sha256.hpp"
#include "shmslot/type_hash.hpp"

namespace shmslot {

/// The type hash ZeroDDS's derive macro gives a struct with this Rust-style layout string: the
/// first 16 bytes of SHA-256 of e.g. "Pose{x:i64,y:i64,z:i64}" (no spaces; tuple structs
/// "Name{u64,u64}", unit structs "Name{()}"). Computed at compile time.
constexpr TypeHash layout_type_hash(std::string_view layout) {
  const auto digest = detail::sha256(layout);
  TypeHash out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = digest[i];
  return out;
}

/// A type whose bytes are its value: trivially copyable, standard layout, aligned to at most 16
/// (payloads are 16-byte aligned in a segment), with a `static constexpr TypeHash kTypeHash`.
/// Contract the compiler cannot check: no pointers or references (they mean nothing in another
/// process), and kTypeHash changes whenever the layout does.
template <class T>
concept FlatStruct = std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T> && alignof(T) <= 16 &&
                     requires {
                       { T::kTypeHash } -> std::convertible_to<TypeHash>;
                     };

/// The hash of a FlatStruct.
template <FlatStruct T>
inline constexpr TypeHash type_hash_of = T::kTypeHash;

}  // namespace shmslot
