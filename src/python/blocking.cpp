#include "blocking.hpp"

#include <cmath>

namespace shmslot::python {

WaitLimit wait_limit(std::optional<double> timeout_s) {
  if (!timeout_s) return WaitLimit{};
  if (std::isnan(*timeout_s) || *timeout_s < 0) throw pybind11::value_error("timeout must be None or >= 0 seconds");
  // within() saturates a huge timeout to "never"; a double beyond the range of nanoseconds too.
  const double ns = *timeout_s * 1e9;
  if (ns >= 9e18) return WaitLimit{};
  return WaitLimit::within(std::chrono::nanoseconds(static_cast<std::int64_t>(ns)));
}

}  // namespace shmslot::python
