#include "chaos/child.hpp"

#include <string>

namespace shmslot::chaos {

std::string describe_result(const std::optional<int>& result) {
  if (!result) return "still running";
  if (*result >= 128) return "killed by signal " + std::to_string(*result - 128);
  return "exit " + std::to_string(*result);
}

}  // namespace shmslot::chaos
