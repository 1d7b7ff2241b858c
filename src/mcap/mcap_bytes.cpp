#include "mcap_bytes.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace shmslot::mcap {

void ByteSink::little_endian(std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void ByteSink::string(std::string_view s) {
  assert(s.size() <= std::numeric_limits<std::uint32_t>::max());
  u32(static_cast<std::uint32_t>(s.size()));
  out_.insert(out_.end(), s.begin(), s.end());
}

std::size_t ByteSink::u32_placeholder() {
  const std::size_t at = out_.size();
  u32(0);
  return at;
}

void ByteSink::patch_u32_length(std::size_t at) {
  const auto length = static_cast<std::uint32_t>(out_.size() - at - 4);
  for (std::size_t i = 0; i < 4; ++i) out_[at + i] = static_cast<std::uint8_t>(length >> (8 * i));
}

namespace {
template <class T>
bool read_le(std::span<const std::uint8_t> bytes, std::size_t& pos, T& v) {
  if (bytes.size() - pos < sizeof(T)) return false;
  T out = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) out = static_cast<T>(out | static_cast<T>(T{bytes[pos + i]} << (8 * i)));
  v = out;
  pos += sizeof(T);
  return true;
}
}  // namespace

bool ByteSource::u8(std::uint8_t& v) { return read_le(bytes_, pos_, v); }
bool ByteSource::u16(std::uint16_t& v) { return read_le(bytes_, pos_, v); }
bool ByteSource::u32(std::uint32_t& v) { return read_le(bytes_, pos_, v); }
bool ByteSource::u64(std::uint64_t& v) { return read_le(bytes_, pos_, v); }

bool ByteSource::raw(std::size_t n, std::span<const std::uint8_t>& out) {
  if (remaining() < n) return false;
  out = bytes_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool ByteSource::prefixed32(std::span<const std::uint8_t>& out) {
  const std::size_t start = pos_;
  std::uint32_t n = 0;
  if (!u32(n) || !raw(n, out)) {
    pos_ = start;
    return false;
  }
  return true;
}

bool ByteSource::string(std::string& s) {
  std::span<const std::uint8_t> view;
  if (!prefixed32(view)) return false;
  s.assign(view.begin(), view.end());
  return true;
}

}  // namespace shmslot::mcap
