// Fairness metrics — see fairness_metrics.h.
#include "common/fairness_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace syncscope::suites {

CountFairness count_fairness(const std::vector<uint64_t>& counts) {
  CountFairness f;
  if (counts.empty()) return f;
  const double n = static_cast<double>(counts.size());
  double sum = 0, sq = 0;
  uint64_t mn = std::numeric_limits<uint64_t>::max(), mx = 0;
  for (uint64_t c : counts) {
    sum += static_cast<double>(c);
    sq += static_cast<double>(c) * static_cast<double>(c);
    mn = std::min(mn, c);
    mx = std::max(mx, c);
  }
  if (sq > 0) f.jain_index = sum * sum / (n * sq);
  const double mean = sum / n;
  if (mean > 0) f.cv = std::sqrt(std::max(0.0, sq / n - mean * mean)) / mean;
  f.min_max_ratio = mx ? static_cast<double>(mn) / static_cast<double>(mx) : 0;
  return f;
}

SequenceFairness sequence_fairness(const std::vector<uint16_t>& seq, size_t window) {
  SequenceFairness f;
  f.length = seq.size();
  if (seq.size() < 2) return f;
  size_t same = 0;
  for (size_t i = 1; i < seq.size(); ++i) same += seq[i] == seq[i - 1];
  f.barging_share = static_cast<double>(same) / static_cast<double>(seq.size() - 1);

  uint16_t max_id = *std::max_element(seq.begin(), seq.end());
  window = std::max<size_t>(1, std::min(window, seq.size()));
  std::vector<uint32_t> stamp(static_cast<size_t>(max_id) + 1, UINT32_MAX);
  double distinct_sum = 0;
  size_t windows = 0;
  for (size_t start = 0; start + window <= seq.size(); start += window, ++windows) {
    size_t distinct = 0;
    for (size_t i = start; i < start + window; ++i) {
      if (stamp[seq[i]] != windows) {
        stamp[seq[i]] = static_cast<uint32_t>(windows);
        ++distinct;
      }
    }
    distinct_sum += static_cast<double>(distinct);
  }
  f.lwss = windows ? distinct_sum / static_cast<double>(windows) : 0;

  std::vector<size_t> last(static_cast<size_t>(max_id) + 1, SIZE_MAX);
  std::vector<uint32_t> gaps;
  gaps.reserve(seq.size());
  for (size_t i = 0; i < seq.size(); ++i) {
    if (last[seq[i]] != SIZE_MAX) gaps.push_back(static_cast<uint32_t>(i - last[seq[i]]));
    last[seq[i]] = i;
  }
  if (!gaps.empty()) {
    auto mid = gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2);
    std::nth_element(gaps.begin(), mid, gaps.end());
    f.mttr = *mid;
  }
  return f;
}

std::vector<uint16_t> merge_orders(const std::vector<const std::vector<uint32_t>*>& orders,
                                   const std::vector<size_t>& lengths) {
  size_t cap = 0;
  for (size_t t = 0; t < orders.size(); ++t)
    if (lengths[t]) cap = std::max<size_t>(cap, (*orders[t])[lengths[t] - 1] + 1);
  std::vector<uint16_t> seq(cap, UINT16_MAX);
  for (size_t t = 0; t < orders.size(); ++t)
    for (size_t i = 0; i < lengths[t]; ++i) seq[(*orders[t])[i]] = static_cast<uint16_t>(t);
  size_t k = 0;
  while (k < seq.size() && seq[k] != UINT16_MAX) ++k;
  seq.resize(k);
  return seq;
}

LockMoves lock_moves(const std::vector<const std::vector<uint32_t>*>& orders,
                     const std::vector<const std::vector<uint16_t>*>& cpus,
                     const std::vector<size_t>& lengths) {
  size_t cap = 0;
  for (size_t t = 0; t < orders.size(); ++t)
    for (size_t i = 0; i < lengths[t]; ++i)
      cap = std::max<size_t>(cap, static_cast<size_t>((*orders[t])[i]) + 1);
  std::vector<uint16_t> cpu_of(cap, kNoCpu);  // by order number
  for (size_t t = 0; t < orders.size(); ++t)
    for (size_t i = 0; i < lengths[t]; ++i) cpu_of[(*orders[t])[i]] = (*cpus[t])[i];
  LockMoves m;
  for (size_t k = 1; k < cpu_of.size(); ++k) {
    if (cpu_of[k - 1] == kNoCpu || cpu_of[k] == kNoCpu) continue;
    ++m.pairs;
    m.moves += cpu_of[k - 1] != cpu_of[k];
  }
  return m;
}

}  // namespace syncscope::suites
