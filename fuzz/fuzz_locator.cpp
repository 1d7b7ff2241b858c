// libFuzzer target: ShmLocator::from_bytes_le on the input. When it decodes, to_bytes_le must
// succeed and decode back to an equal locator (round trip), and re-encoding that must give the same
// bytes (a canonical form). fnv1a_32 runs on the input too (constexpr-capable, must not misbehave).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "shmslot/locator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  volatile std::uint32_t h = shmslot::fnv1a_32(text);
  (void)h;

  auto decoded = shmslot::ShmLocator::from_bytes_le(bytes);
  if (!decoded) {
    (void)shmslot::to_string(decoded.error());
    return 0;
  }
  (void)shmslot::is_same_host("fuzzhost", 0, *decoded);
  auto encoded = decoded->to_bytes_le();
  FUZZ_CHECK(encoded.has_value(), std::string("to_bytes_le refused a decoded locator: ") +
                                      shmslot::to_string(encoded.error()));
  FUZZ_CHECK(encoded->size() % 4 == 0 && encoded->size() >= 20, "encoded size");
  FUZZ_CHECK(encoded->size() <= size + 4, "encoding longer than the input it came from (+ NUL and padding)");
  auto again = shmslot::ShmLocator::from_bytes_le(*encoded);
  FUZZ_CHECK(again.has_value(), std::string("decoding to_bytes_le failed: ") + shmslot::to_string(again.error()));
  FUZZ_CHECK(*again == *decoded, "round trip changed the locator (path '" + decoded->segment_path + "' -> '" +
                                     again->segment_path + "')");
  auto twice = again->to_bytes_le();
  FUZZ_CHECK(twice.has_value() && *twice == *encoded, "encoding is not canonical");
  return 0;
}
