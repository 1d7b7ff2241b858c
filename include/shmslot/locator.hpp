// The discovery record ZeroDDS carries in PID_SHM_LOCATOR (vendor PID 0x8001), byte-exact.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace shmslot {

/// Why a locator could not be encoded or decoded.
enum class LocatorError {
  TruncatedHeader,  ///< fewer than 20 bytes
  TruncatedString,  ///< the path runs past the end
  InvalidUtf8,      ///< the path is not UTF-8
  PathTooLong,      ///< the path is longer than 256 bytes
};

/// One line for people.
const char* to_string(LocatorError e);

/// Where a same-host reader finds a writer's segment.
struct ShmLocator {
  std::uint32_t hostname_hash = 0;  ///< fnv1a_32 of the host name
  std::uint32_t uid = 0;
  std::uint32_t slot_count = 0;
  std::uint32_t slot_size = 0;  ///< slot_total_size
  std::string segment_path;     ///< the flink path

  /// hostname_hash, uid, slot_count, slot_size, str_len (path + NUL) as u32 LE, the path, a NUL,
  /// zero padding to a multiple of 4.
  tl::expected<std::vector<std::uint8_t>, LocatorError> to_bytes_le() const;
  /// Decodes to_bytes_le; strips one trailing NUL and ignores trailing padding.
  static tl::expected<ShmLocator, LocatorError> from_bytes_le(std::span<const std::uint8_t> bytes);

  friend bool operator==(const ShmLocator&, const ShmLocator&) = default;
};

/// 32-bit FNV-1a (offset basis 0x811C9DC5, prime 0x01000193).
constexpr std::uint32_t fnv1a_32(std::string_view bytes) {
  std::uint32_t h = 0x811C9DC5U;
  for (const char c : bytes) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 0x01000193U;
  }
  return h;
}

/// Same host and same user as the locator's writer.
bool is_same_host(std::string_view local_hostname, std::uint32_t local_uid, const ShmLocator& locator);

}  // namespace shmslot
