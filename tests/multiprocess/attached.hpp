// Small helpers shared by the multi-process tests' child bodies.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include <shmslot/shmslot.hpp>

#include "roles.hpp"

namespace shmslot::test {

// Attaches to the segment at `flink` and runs `body` on it; kExitSetup if attach fails.
inline int attached(const std::string& flink, const std::function<int(PosixSlotAllocator&)>& body) {
  auto segment = PosixSlotAllocator::attach(flink);
  if (!segment) {
    std::fprintf(stderr, "attach %s: %s\n", flink.c_str(), segment.error().message().c_str());
    return kExitSetup;
  }
  return body(*segment);
}

}  // namespace shmslot::test
