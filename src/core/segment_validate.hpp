// Everything attach checks before it trusts a mapped segment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <tl/expected.hpp>

#include "core/layout.hpp"

namespace shmslot::core {

// Why a mapping is not a usable segment.
struct InvalidSegment {
  std::string reason;
  bool not_initialised = false;  // magic still 0: a ZeroDDS owner may not have written it yet
};

// The geometry of the segment at `base` (`mapped_size` bytes), or why it cannot be used. Each field
// is read from shared memory exactly once; the result holds copies, never re-read later.
tl::expected<Geometry, InvalidSegment> validate_segment(const std::byte* base, std::uint64_t mapped_size);

}  // namespace shmslot::core
