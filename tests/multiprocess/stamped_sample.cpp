#include "stamped_sample.hpp"

#include <cstring>

namespace shmslot::test {

namespace {

constexpr std::uint64_t kPrime = 0x100000001B3ULL;  // FNV-1a's 64-bit prime
constexpr std::uint64_t kBasis = 0xCBF29CE484222325ULL;

// splitmix64's finaliser: every input bit reaches every output bit.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

// FNV-1a over 64-bit words instead of bytes (eight times fewer steps in a Debug build), with a
// byte-wise tail and a final mix. Any single changed byte changes the result.
std::uint64_t checksum(const Stamp& s, std::span<const std::byte> payload) {
  std::uint64_t h = kBasis;
  auto step = [&h](std::uint64_t word) {
    h ^= word;
    h *= kPrime;
    h ^= h >> 29;
  };
  step(s.index);
  step((std::uint64_t{s.writer} << 32) | s.payload_len);
  std::size_t i = 0;
  for (; i + 8 <= payload.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, payload.data() + i, 8);
    step(word);
  }
  for (; i < payload.size(); ++i) step(static_cast<std::uint64_t>(payload[i]) | 0x100);
  return mix(h);
}

void store_stamp(std::byte* out, const Stamp& s) {
  std::memcpy(out, &s.index, 8);
  std::memcpy(out + 8, &s.writer, 4);
  std::memcpy(out + 12, &s.payload_len, 4);
  std::memcpy(out + 16, &s.checksum, 8);
}

Stamp load_stamp(const std::byte* in) {
  Stamp s;
  std::memcpy(&s.index, in, 8);
  std::memcpy(&s.writer, in + 8, 4);
  std::memcpy(&s.payload_len, in + 12, 4);
  std::memcpy(&s.checksum, in + 16, 8);
  return s;
}

}  // namespace

std::size_t payload_len_for(std::uint32_t writer, std::uint64_t index, std::size_t capacity) {
  const std::size_t max_payload = capacity > kStampSize ? capacity - kStampSize : 0;
  if (index % 7 == 3) return max_payload;
  if (index % 11 == 5) return 0;
  return static_cast<std::size_t>(mix(index * 31 + writer) % (max_payload + 1));
}

std::size_t write_sample(std::span<std::byte> out, std::uint32_t writer, std::uint64_t index, std::size_t payload_len) {
  const std::span<std::byte> payload = out.subspan(kStampSize, payload_len);
  // xorshift64 seeded from (writer, index): two samples never share a payload pattern.
  std::uint64_t x = mix((index << 8) ^ writer) | 1;
  std::size_t i = 0;
  for (; i + 8 <= payload.size(); i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(payload.data() + i, &x, 8);
  }
  for (; i < payload.size(); ++i) payload[i] = static_cast<std::byte>(x >> (8 * (i % 8)));
  Stamp s{index, writer, static_cast<std::uint32_t>(payload_len), 0};
  s.checksum = checksum(s, payload);
  store_stamp(out.data(), s);
  return kStampSize + payload_len;
}

std::variant<Stamp, std::string> check_sample(std::span<const std::byte> sample) {
  if (sample.size() < kStampSize) {
    return "sample of " + std::to_string(sample.size()) + " bytes is shorter than its stamp";
  }
  const Stamp s = load_stamp(sample.data());
  if (s.payload_len != sample.size() - kStampSize) {
    return "stamp says " + std::to_string(s.payload_len) + " payload bytes, sample has " +
           std::to_string(sample.size() - kStampSize) + " (index " + std::to_string(s.index) + ")";
  }
  const std::uint64_t want = checksum(s, sample.subspan(kStampSize));
  if (want != s.checksum) {
    return "checksum mismatch (torn sample?) for writer " + std::to_string(s.writer) + " index " +
           std::to_string(s.index) + ", " + std::to_string(s.payload_len) + " payload bytes";
  }
  return s;
}

}  // namespace shmslot::test
