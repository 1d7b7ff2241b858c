#include "shmslot/types.hpp"

namespace shmslot {

namespace {
void put_le(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t get_le(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}
}  // namespace

std::array<std::uint8_t, kSlotHeaderSize> SlotHeader::to_bytes_le() const {
  std::array<std::uint8_t, kSlotHeaderSize> out{};
  put_le(out.data() + 0, sequence_number);
  put_le(out.data() + 4, sample_size);
  put_le(out.data() + 8, reader_mask);
  put_le(out.data() + 12, reserved);
  return out;
}

std::optional<SlotHeader> SlotHeader::from_bytes_le(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kSlotHeaderSize) return std::nullopt;
  return SlotHeader{get_le(bytes.data()), get_le(bytes.data() + 4), get_le(bytes.data() + 8), get_le(bytes.data() + 12)};
}

}  // namespace shmslot
