// Latency statistics of a sample: nearest-rank percentiles and the points of a CDF plot.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace shmslot::bench {

/// Percentiles of a latency sample (nearest rank), in microseconds.
struct LatencyStats {
  std::size_t count = 0;
  double min = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};

/// Sorts `samples_us` in place and summarises it.
LatencyStats summarize(std::vector<double>& samples_us);

/// The value at quantile q (0..1) of a sorted sample, nearest rank.
double quantile_sorted(const std::vector<double>& sorted, double q);

/// (quantile, value) points of a sorted sample for a CDF plot: dense in the body, denser in the tail.
std::vector<std::pair<double, double>> cdf_points(const std::vector<double>& sorted);

}  // namespace shmslot::bench
