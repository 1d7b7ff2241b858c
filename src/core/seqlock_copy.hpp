// The one deliberate data race of the protocol: copying a payload a writer may be reusing.
#pragma once

#include <cstddef>

namespace shmslot::core {

// memcpy that TSan does not instrument. Correct only inside a seqlock read: the caller re-checks the
// slot word after an acquire fence and discards the copy if the slot changed (docs/protocol.md).
void seqlock_copy(std::byte* dst, const std::byte* src, std::size_t n);

}  // namespace shmslot::core
