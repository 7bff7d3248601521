// Small order statistics over samples, for suites that keep their own
// samples (c2c round trips, per-thread counts). Not used inside measured loops.
//
//   Summary summarize(samples)   min, p10, median, p90, max, mean, count
//   double percentile(sorted, q) nearest-rank percentile of sorted samples
#ifndef SYNCSCOPE_SUITES_COMMON_STATS_H_
#define SYNCSCOPE_SUITES_COMMON_STATS_H_

#include <cstddef>
#include <vector>

namespace syncscope::suites {

// Nearest-rank percentile (q in [0, 1]) of samples sorted ascending.
// An empty vector yields 0.
double percentile(const std::vector<double>& sorted, double q) noexcept;

struct Summary {
  size_t count = 0;
  double min = 0, p10 = 0, median = 0, p90 = 0, max = 0, mean = 0;
};

// Sorts a copy of the samples and summarizes them.
Summary summarize(std::vector<double> samples);

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_STATS_H_
