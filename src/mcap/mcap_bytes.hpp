// MCAP's primitive encodings: little-endian integers, strings and byte arrays with a u32 length
// prefix (u64 for a chunk's records). ByteSink appends; ByteSource reads with bounds checks, so a
// length field that points past the record is a false return, never a read out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace shmslot::mcap {

/// Appends encoded fields to a byte vector.
class ByteSink {
 public:
  explicit ByteSink(std::vector<std::uint8_t>& out) : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { little_endian(v, 2); }
  void u32(std::uint32_t v) { little_endian(v, 4); }
  void u64(std::uint64_t v) { little_endian(v, 8); }
  /// u32 length, then the bytes.
  void string(std::string_view s);
  /// The bytes as they are, no prefix.
  void raw(std::span<const std::uint8_t> bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  /// Writes a u32 placeholder and returns its position, for a length known only later.
  std::size_t u32_placeholder();
  /// Sets the placeholder at `at` to the number of bytes written after it.
  void patch_u32_length(std::size_t at);
  std::size_t size() const { return out_.size(); }

 private:
  void little_endian(std::uint64_t v, int bytes);
  std::vector<std::uint8_t>& out_;
};

/// Reads encoded fields from a span; each read returns false (and reads nothing) when too few bytes
/// remain.
class ByteSource {
 public:
  explicit ByteSource(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool u8(std::uint8_t& v);
  bool u16(std::uint16_t& v);
  bool u32(std::uint32_t& v);
  bool u64(std::uint64_t& v);
  bool string(std::string& s);
  /// `n` bytes as a view into the source.
  bool raw(std::size_t n, std::span<const std::uint8_t>& out);
  /// A u32 byte length, then a view of that many bytes (a map or array to decode with a nested source).
  bool prefixed32(std::span<const std::uint8_t>& out);
  /// Everything left.
  std::span<const std::uint8_t> rest() const { return bytes_.subspan(pos_); }
  std::size_t remaining() const { return bytes_.size() - pos_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

/// `bytes` viewed as MCAP's unsigned bytes.
inline std::span<const std::uint8_t> as_u8(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
}

}  // namespace shmslot::mcap
