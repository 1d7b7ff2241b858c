#include "bench_stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace shmslot::bench {

double quantile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least q of the sample at or below it.
  const auto n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(q * n));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

LatencyStats summarize(std::vector<double>& samples_us) {
  LatencyStats s;
  s.count = samples_us.size();
  if (samples_us.empty()) return s;
  std::sort(samples_us.begin(), samples_us.end());
  s.min = samples_us.front();
  s.max = samples_us.back();
  s.p50 = quantile_sorted(samples_us, 0.50);
  s.p90 = quantile_sorted(samples_us, 0.90);
  s.p99 = quantile_sorted(samples_us, 0.99);
  s.p999 = quantile_sorted(samples_us, 0.999);
  s.mean = std::accumulate(samples_us.begin(), samples_us.end(), 0.0) / static_cast<double>(samples_us.size());
  return s;
}

std::vector<std::pair<double, double>> cdf_points(const std::vector<double>& sorted) {
  std::vector<std::pair<double, double>> out;
  if (sorted.empty()) return out;
  for (int i = 1; i <= 98; ++i) out.emplace_back(i / 100.0, 0.0);
  for (int i = 0; i < 10; ++i) out.emplace_back(0.99 + i * 0.001, 0.0);
  for (int i = 0; i < 10; ++i) out.emplace_back(0.999 + i * 0.0001, 0.0);
  out.emplace_back(1.0, 0.0);
  out.insert(out.begin(), {0.0, 0.0});
  for (auto& [q, v] : out) v = q == 0.0 ? sorted.front() : quantile_sorted(sorted, q);
  return out;
}

}  // namespace shmslot::bench
