// The sample type of the recovery tests: a FlatStruct that carries a stamped, checksummed sample of
// the multi-process tests (multiprocess/stamped_sample.hpp) in a fixed-size array, so that FlatWriter
// and FlatReader can move it and a reader can still tell a torn or half-written one from a good one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include <shmslot/flat_struct.hpp>

#include "multiprocess/stamped_sample.hpp"

namespace shmslot::test {

inline constexpr std::size_t kSampleBytes = 240;  // + 16 bytes of slot header: one 256-byte slot

struct RecoverySample {
  std::array<std::byte, kSampleBytes> bytes;
  static constexpr TypeHash kTypeHash = layout_type_hash("RecoverySample{bytes:[u8;240]}");
};
static_assert(FlatStruct<RecoverySample>);
static_assert(sizeof(RecoverySample) == kSampleBytes);

// Writer ids with a meaning of their own. Writer incarnations are numbered 1, 2, ... below these.
inline constexpr std::uint32_t kEndMarkerWriter = 0xE0D;  // "stop reading": the stream is over
inline constexpr std::uint32_t kDoomedWriter = 0xD00D;    // a writer that dies before committing
inline constexpr std::uint32_t kMaxIncarnations = 512;    // writer ids 1..kMaxIncarnations-1

// Sample `index` of writer `writer`: the stamp, a payload of payload_len_for(writer, index) bytes,
// zeros after it.
RecoverySample make_sample(std::uint32_t writer, std::uint64_t index);
// Writes the same into `out` (e.g. a loaned slot), byte by byte as make_sample would.
void fill_sample(RecoverySample& out, std::uint32_t writer, std::uint64_t index);
// The stamp of a consistent sample (checksum, length as the writer computes it, zero tail), or what
// is wrong with it.
std::variant<Stamp, std::string> verify_sample(const RecoverySample& sample);

// `base` times $SHMSLOT_RECOVERY_SCALE (a positive integer, default 1).
std::uint64_t recovery_scaled(std::uint64_t base);
// $SHMSLOT_RECOVERY_SEED if set, else a random seed; printed by the tests so a run can be repeated.
std::uint64_t recovery_seed();

}  // namespace shmslot::test
