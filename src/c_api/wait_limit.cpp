#include <chrono>

#include "objects.hpp"
#include "shmslot/shmslot.h"

namespace shmslot::c_api {

WaitLimit wait_limit_ms(std::uint32_t timeout_ms) {
  if (timeout_ms == SHMSLOT_WAIT_FOREVER) return WaitLimit{};
  return WaitLimit::within(std::chrono::milliseconds(timeout_ms));
}

}  // namespace shmslot::c_api
