// The type hash of a layout string, as ZeroDDS's derive macro computes it.
#include <algorithm>

#include "shmslot/flat_struct.hpp"
#include "shmslot/shmslot.h"
#include "status.hpp"

using namespace shmslot::c_api;

extern "C" shmslot_status shmslot_layout_type_hash(const char* layout, uint8_t out[SHMSLOT_TYPE_HASH_SIZE]) {
  if (layout == nullptr) return null_argument("layout");
  if (out == nullptr) return null_argument("out");
  return guarded([&] {
    const auto hash = shmslot::layout_type_hash(layout);
    std::copy(hash.begin(), hash.end(), out);
    return SHMSLOT_OK;
  });
}
