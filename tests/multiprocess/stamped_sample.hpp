// The samples of the multi-process tests: each carries who wrote it, its index in that writer's
// stream, its length and a checksum over all of it, so a reader can tell a lost, duplicated,
// reordered or torn sample from a good one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>

namespace shmslot::test {

// The first 24 bytes of every sample; the pseudo-random payload follows. Stored with memcpy, so the
// slot payload needs no particular alignment.
struct Stamp {
  std::uint64_t index = 0;        // position in the writer's stream, from 0
  std::uint32_t writer = 0;       // writer id
  std::uint32_t payload_len = 0;  // bytes after the stamp
  std::uint64_t checksum = 0;     // stamp_checksum over index, writer, payload_len and the payload
};
inline constexpr std::size_t kStampSize = 24;

// The payload length of sample `index` of `writer` in a slot of `capacity` bytes: varied, with the
// extremes (0 and the full slot) every few samples.
std::size_t payload_len_for(std::uint32_t writer, std::uint64_t index, std::size_t capacity);

// Writes sample (`writer`, `index`) with `payload_len` payload bytes into `out` (at least
// kStampSize + payload_len bytes); returns the sample's size.
std::size_t write_sample(std::span<std::byte> out, std::uint32_t writer, std::uint64_t index, std::size_t payload_len);

// The stamp of a sample whose bytes are consistent, or a description of what is wrong with it.
std::variant<Stamp, std::string> check_sample(std::span<const std::byte> sample);

}  // namespace shmslot::test
