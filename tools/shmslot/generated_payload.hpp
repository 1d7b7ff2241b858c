// Verifiable payloads for `pub --generate` and `sub --verify`:
//   bytes 0..7   the sample's index, u64 little-endian (0, 1, 2, ... per pub run)
//   bytes 8..15  FNV-1a-64 of bytes 16..end, u64 little-endian
//   bytes 16..   pseudo-random bytes from splitmix64 seeded with the index
// so a reader can tell a lost, a duplicated and a corrupt (torn, overwritten) sample apart.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace shmslot::cli {

/// Index and checksum: the smallest generated payload.
inline constexpr std::size_t kGeneratedHeaderSize = 16;

/// 64-bit FNV-1a (offset basis 0xCBF29CE484222325, prime 0x100000001B3).
std::uint64_t fnv1a_64(std::span<const std::byte> bytes);

/// Fills `out` (at least kGeneratedHeaderSize bytes) with sample `index`.
void fill_generated(std::span<std::byte> out, std::uint64_t index);

/// What check_generated found.
enum class PayloadStatus {
  Ok,           ///< index, checksum and content agree
  TooShort,     ///< fewer than kGeneratedHeaderSize bytes
  BadChecksum,  ///< the checksum does not match the bytes after it
  BadContent,   ///< checksum matches, but the bytes are not those of the index
};

struct PayloadCheck {
  PayloadStatus status = PayloadStatus::Ok;
  std::uint64_t index = 0;  ///< as recorded in the sample (meaningful when Ok)
};

/// Checks one received sample.
PayloadCheck check_generated(std::span<const std::byte> sample);

/// Counts what a stream of generated samples looked like at the reader: every index from 0 on is
/// expected once, in order.
class StreamVerifier {
 public:
  /// Takes the next received sample.
  void add(std::span<const std::byte> sample);

  std::uint64_t received() const { return received_; }
  std::uint64_t lost() const { return lost_; }            ///< indices skipped over
  std::uint64_t duplicate() const { return duplicate_; }  ///< indices at or below one already seen
  std::uint64_t corrupt() const { return corrupt_; }      ///< samples that failed check_generated

 private:
  std::uint64_t received_ = 0;
  std::uint64_t lost_ = 0;
  std::uint64_t duplicate_ = 0;
  std::uint64_t corrupt_ = 0;
  std::uint64_t next_expected_ = 0;
};

}  // namespace shmslot::cli
