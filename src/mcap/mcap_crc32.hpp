// CRC-32 (the zlib / IEEE 802.3 polynomial, reflected), as MCAP uses for chunks, the data section
// and the summary.
#pragma once

#include <cstdint>
#include <span>

namespace shmslot::mcap {

/// A running CRC-32: update() with each piece, value() at any point.
class Crc32 {
 public:
  void update(std::span<const std::uint8_t> bytes);
  std::uint32_t value() const { return state_ ^ 0xFFFFFFFFU; }

 private:
  std::uint32_t state_ = 0xFFFFFFFFU;
};

/// The CRC-32 of `bytes` in one call.
std::uint32_t crc32(std::span<const std::uint8_t> bytes);

}  // namespace shmslot::mcap
