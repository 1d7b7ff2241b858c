#include "recovery/recovery_sample.hpp"

#include <cstdlib>
#include <cstring>
#include <random>
#include <span>

namespace shmslot::test {

void fill_sample(RecoverySample& out, std::uint32_t writer, std::uint64_t index) {
  const std::size_t len = payload_len_for(writer, index, kSampleBytes);
  const std::size_t used = write_sample(std::span<std::byte>(out.bytes), writer, index, len);
  std::memset(out.bytes.data() + used, 0, kSampleBytes - used);
}

RecoverySample make_sample(std::uint32_t writer, std::uint64_t index) {
  RecoverySample s{};
  fill_sample(s, writer, index);
  return s;
}

std::variant<Stamp, std::string> verify_sample(const RecoverySample& sample) {
  std::uint32_t len = 0;
  std::memcpy(&len, sample.bytes.data() + 12, 4);  // Stamp::payload_len
  if (len > kSampleBytes - kStampSize) {
    return "torn sample: stamp says " + std::to_string(len) + " payload bytes, at most " +
           std::to_string(kSampleBytes - kStampSize) + " fit";
  }
  auto checked = check_sample(std::span<const std::byte>(sample.bytes.data(), kStampSize + len));
  if (std::holds_alternative<std::string>(checked)) return checked;
  const Stamp stamp = std::get<Stamp>(checked);
  if (len != payload_len_for(stamp.writer, stamp.index, kSampleBytes)) {
    return "sample of writer " + std::to_string(stamp.writer) + " index " + std::to_string(stamp.index) + " has " +
           std::to_string(len) + " payload bytes, its writer makes " +
           std::to_string(payload_len_for(stamp.writer, stamp.index, kSampleBytes));
  }
  for (std::size_t i = kStampSize + len; i < kSampleBytes; ++i) {
    if (sample.bytes[i] != std::byte{0}) {
      return "sample of writer " + std::to_string(stamp.writer) + " index " + std::to_string(stamp.index) +
             " has a non-zero byte after its payload (offset " + std::to_string(i) + ")";
    }
  }
  return stamp;
}

std::uint64_t recovery_scaled(std::uint64_t base) {
  const char* scale = std::getenv("SHMSLOT_RECOVERY_SCALE");
  const std::uint64_t factor = scale != nullptr ? std::strtoull(scale, nullptr, 10) : 1;
  return base * (factor == 0 ? 1 : factor);
}

std::uint64_t recovery_seed() {
  if (const char* seed = std::getenv("SHMSLOT_RECOVERY_SEED"); seed != nullptr && *seed != '\0') {
    return std::strtoull(seed, nullptr, 0);
  }
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace shmslot::test
