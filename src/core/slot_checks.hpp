// Small checks every part of the engine makes on handles and slot words, and its error shorthand.
#pragma once

#include <cstdint>

#include <tl/expected.hpp>

#include "core/layout.hpp"
#include "shmslot/types.hpp"

namespace shmslot::core {

inline tl::unexpected<SlotError> fail(SlotErrorCode code) { return tl::unexpected(SlotError::of(code)); }

// Readers may name a slot by index alone (kAnyGeneration), as ZeroDDS code does.
inline bool generation_matches(const SlotHandle& h, std::uint64_t word) {
  return h.generation == kAnyGeneration || h.generation == slot_word::generation(word);
}

// A loan is named only by the exact handle reserve returned: an index alone could take over
// another writer's loan.
inline bool is_live_loan(const SlotHandle& h, std::uint64_t word) {
  return slot_word::phase(word) == slot_word::Phase::kWriting && h.generation == slot_word::generation(word);
}

}  // namespace shmslot::core
