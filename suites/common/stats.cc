// Order statistics — see stats.h.
#include "common/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace syncscope::suites {

double percentile(const std::vector<double>& sorted, double q) noexcept {
  if (sorted.empty()) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Nearest rank: the smallest sample with at least q of the samples <= it.
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  if (rank == 0) rank = 1;
  return sorted[rank - 1];
}

Summary summarize(std::vector<double> samples) {
  Summary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.count = samples.size();
  s.min = samples.front();
  s.max = samples.back();
  s.p10 = percentile(samples, 0.10);
  s.median = percentile(samples, 0.50);
  s.p90 = percentile(samples, 0.90);
  s.mean =
      std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
  return s;
}

}  // namespace syncscope::suites
