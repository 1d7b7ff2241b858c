#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>

namespace shmslot_demo {

std::size_t LatencyHistogram::bucket_of(std::uint64_t ns) {
  const unsigned msb = 63U - static_cast<unsigned>(std::countl_zero(ns | 1U));
  const unsigned shift = msb < kSubBits ? 0U : msb - kSubBits + 1U;
  return (std::size_t{shift} << kSubBits) + static_cast<std::size_t>(ns >> shift);
}

std::uint64_t LatencyHistogram::upper_bound_of(std::size_t bucket) {
  const auto shift = static_cast<unsigned>(bucket >> kSubBits);
  const std::uint64_t sub = bucket & ((std::size_t{1} << kSubBits) - 1);
  return ((sub + 1) << shift) - 1;
}

void LatencyHistogram::record(std::uint64_t ns) {
  ++counts_[bucket_of(ns)];
  ++count_;
  max_ = std::max(max_, ns);
}

std::uint64_t LatencyHistogram::percentile(double fraction) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(fraction * static_cast<double>(count_ - 1)) + 1;
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < counts_.size(); ++b) {
    seen += counts_[b];
    if (seen >= rank) return std::min(upper_bound_of(b), max_);
  }
  return max_;
}

}  // namespace shmslot_demo
