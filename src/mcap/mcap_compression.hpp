// Chunk compression: none, zstd (one zstd frame) or lz4 (one LZ4 *frame*, as MCAP requires, not
// the raw block format), through Debian's libzstd and liblz4.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "mcap_error.hpp"

namespace shmslot::mcap {

enum class Compression { None, Zstd, Lz4 };

/// The name a Chunk record carries: "", "zstd" or "lz4".
std::string_view chunk_compression_name(Compression c);

/// The inverse of chunk_compression_name; nullopt for a name this module does not implement.
std::optional<Compression> compression_from_chunk_name(std::string_view name);

/// The largest uncompressed chunk the reader accepts: a corrupt size field must not make it
/// allocate gigabytes.
inline constexpr std::uint64_t kMaxUncompressedChunk = std::uint64_t{1} << 30;

/// Compresses `in` into `out` (replacing its content); for None, copies.
tl::expected<void, McapError> compress(Compression c, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);

/// Decompresses `in`, which must expand to exactly `uncompressed_size` bytes, into `out`.
tl::expected<void, McapError> decompress(Compression c, std::span<const std::uint8_t> in,
                                         std::uint64_t uncompressed_size, std::vector<std::uint8_t>& out);

}  // namespace shmslot::mcap
