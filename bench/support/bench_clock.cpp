#include "bench_clock.hpp"

#include <algorithm>
#include <vector>

namespace shmslot::bench {

double timer_overhead_ns() {
  constexpr int kRounds = 15;
  constexpr int kCalls = 2000;
  std::vector<double> per_call;
  for (int r = 0; r < kRounds; ++r) {
    const std::uint64_t t0 = now_ns();
    std::uint64_t sink = 0;
    for (int i = 0; i < kCalls; ++i) sink += now_ns();
    const std::uint64_t t1 = now_ns();
    if (sink == 0) per_call.push_back(0);  // never: keeps the loop from being optimised away
    per_call.push_back(static_cast<double>(t1 - t0) / kCalls);
  }
  std::sort(per_call.begin(), per_call.end());
  return per_call[per_call.size() / 2];
}

}  // namespace shmslot::bench
