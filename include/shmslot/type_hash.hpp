// The 16-byte identity of a sample type (ZeroDDS TYPE_HASH).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shmslot {

/// First 16 bytes of SHA-256 of the type's layout string, or any 16 bytes both sides agree on.
using TypeHash = std::array<std::uint8_t, 16>;

/// Lower-case hex, 32 characters.
std::string to_hex(const TypeHash& hash);

/// Parses 32 hex digits (either case); nullopt on anything else.
std::optional<TypeHash> type_hash_from_hex(std::string_view hex);

}  // namespace shmslot
