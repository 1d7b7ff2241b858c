// Where a copying read puts a payload: the caller's buffer, or a vector grown to the sample size.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include <tl/expected.hpp>

#include "shmslot/types.hpp"

namespace shmslot::core {

struct CopyDest {
  std::span<std::byte> fixed;
  std::vector<std::byte>* grow = nullptr;

  tl::expected<std::byte*, SlotError> prepare(std::size_t size) const {
    if (grow != nullptr) {
      grow->resize(size);
      return grow->data();
    }
    if (size > fixed.size()) return tl::unexpected(SlotError::too_large(size, fixed.size()));
    return fixed.data();
  }
};

}  // namespace shmslot::core
