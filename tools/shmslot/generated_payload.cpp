#include "generated_payload.hpp"

#include <algorithm>

namespace shmslot::cli {

namespace {

void store_le64(std::byte* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::byte>(v >> (8 * i));
}

std::uint64_t load_le64(const std::byte* in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{std::to_integer<std::uint8_t>(in[i])} << (8 * i);
  return v;
}

// splitmix64 (Steele, Lea, Flood 2014): every seed gives a distinct, well-mixed stream.
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void fill_body(std::span<std::byte> body, std::uint64_t index) {
  std::uint64_t state = index;
  std::size_t i = 0;
  while (i < body.size()) {
    std::byte word[8];
    store_le64(word, splitmix64(state));
    const std::size_t n = std::min<std::size_t>(8, body.size() - i);
    std::copy_n(word, n, body.begin() + static_cast<std::ptrdiff_t>(i));
    i += n;
  }
}

bool body_matches(std::span<const std::byte> body, std::uint64_t index) {
  std::uint64_t state = index;
  for (std::size_t i = 0; i < body.size(); i += 8) {
    std::byte word[8];
    store_le64(word, splitmix64(state));
    const std::size_t n = std::min<std::size_t>(8, body.size() - i);
    if (!std::equal(word, word + n, body.begin() + static_cast<std::ptrdiff_t>(i))) return false;
  }
  return true;
}

}  // namespace

std::uint64_t fnv1a_64(std::span<const std::byte> bytes) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (const std::byte b : bytes) {
    h ^= std::to_integer<std::uint8_t>(b);
    h *= 0x100000001B3ULL;
  }
  return h;
}

void fill_generated(std::span<std::byte> out, std::uint64_t index) {
  if (out.size() < kGeneratedHeaderSize) return;
  const auto body = out.subspan(kGeneratedHeaderSize);
  fill_body(body, index);
  store_le64(out.data(), index);
  store_le64(out.data() + 8, fnv1a_64(body));
}

PayloadCheck check_generated(std::span<const std::byte> sample) {
  if (sample.size() < kGeneratedHeaderSize) return {PayloadStatus::TooShort, 0};
  const std::uint64_t index = load_le64(sample.data());
  const auto body = sample.subspan(kGeneratedHeaderSize);
  if (load_le64(sample.data() + 8) != fnv1a_64(body)) return {PayloadStatus::BadChecksum, index};
  if (!body_matches(body, index)) return {PayloadStatus::BadContent, index};
  return {PayloadStatus::Ok, index};
}

void StreamVerifier::add(std::span<const std::byte> sample) {
  ++received_;
  const PayloadCheck check = check_generated(sample);
  if (check.status != PayloadStatus::Ok) {
    ++corrupt_;
    return;
  }
  if (check.index < next_expected_) {
    ++duplicate_;
    return;
  }
  lost_ += check.index - next_expected_;
  next_expected_ = check.index + 1;
}

}  // namespace shmslot::cli
