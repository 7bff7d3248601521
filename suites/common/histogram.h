// LogLinearHistogram — a small HDR-style histogram of non-negative integer
// values (nanoseconds, in the suites).
//
// Layout (after HdrHistogram, Gil Tene): values below 2*kSubBuckets get one
// bucket each (exact); above that, every power-of-two range [2^k, 2^(k+1))
// is split into kSubBuckets equal sub-buckets, so a bucket's width is at most
// 1/kSubBuckets of its values: with kSubBuckets = 64 the relative error of
// any reported percentile is below 1.6 %. The whole uint64 range fits in
// kBucketCount buckets, preallocated inline: record() never allocates, never
// locks, and is O(1) (one count-leading-zeros). One histogram per thread;
// merge() after the measured loop.
//
//   record(v)            count one value
//   percentile(q)        upper bound of the bucket holding the q-quantile
//                        (nearest rank), clamped to the exact max
//   min(), max(), count(), mean()
//   merge(other)         add another histogram's counts
//   buckets()            non-empty buckets as (upper bound, count), ascending
//
// Not thread-safe: each thread records into its own histogram.
#ifndef SYNCSCOPE_SUITES_COMMON_HISTOGRAM_H_
#define SYNCSCOPE_SUITES_COMMON_HISTOGRAM_H_

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace syncscope::suites {

class LogLinearHistogram {
 public:
  static constexpr int kSubBucketBits = 6;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;  // 64
  static constexpr uint64_t kLinearLimit = 2 * kSubBuckets;              // 128: exact below
  static constexpr int kBucketCount =
      static_cast<int>(kSubBuckets * (64 - kSubBucketBits - 1) + 2 * kSubBuckets);
  static_assert(kBucketCount == 64 * 57 + 128,
                "bucket count for 64-bit values with 64 sub-buckets");

  // Bucket index of v: exact below kLinearLimit; else v >> shift lies in
  // [kSubBuckets, 2*kSubBuckets) and the index is kSubBuckets*shift + that.
  static constexpr int bucket_of(uint64_t v) noexcept {
    if (v < kLinearLimit) return static_cast<int>(v);
    const int msb = 63 - std::countl_zero(v);
    const int shift = msb - kSubBucketBits;
    return static_cast<int>(kSubBuckets * static_cast<uint64_t>(shift) + (v >> shift));
  }
  static constexpr uint64_t lower_bound(int b) noexcept {
    if (static_cast<uint64_t>(b) < kLinearLimit) return static_cast<uint64_t>(b);
    const int shift = b / static_cast<int>(kSubBuckets) - 1;
    const uint64_t sub = static_cast<uint64_t>(b) % kSubBuckets + kSubBuckets;
    return sub << shift;
  }
  static constexpr uint64_t upper_bound(int b) noexcept {
    if (b + 1 >= kBucketCount) return std::numeric_limits<uint64_t>::max();
    return lower_bound(b + 1) - 1;
  }

  void record(uint64_t v) noexcept {
    ++counts_[static_cast<size_t>(bucket_of(v))];
    ++count_;
    sum_ += static_cast<double>(v);
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }

  void merge(const LogLinearHistogram& o) noexcept {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_ += o.sum_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }

  void reset() noexcept { *this = LogLinearHistogram(); }

  uint64_t count() const noexcept { return count_; }
  uint64_t min() const noexcept { return count_ ? min_ : 0; }
  uint64_t max() const noexcept { return max_; }
  double mean() const noexcept { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }

  // The q-quantile (q in [0,1]) by nearest rank, reported as the upper bound
  // of its bucket (never above the exact maximum). 0 when empty.
  uint64_t percentile(double q) const noexcept {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (int b = 0; b < kBucketCount; ++b) {
      seen += counts_[static_cast<size_t>(b)];
      if (seen >= rank) return std::min(upper_bound(b), max_);
    }
    return max_;
  }

  std::vector<std::pair<uint64_t, uint64_t>> buckets() const {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (int b = 0; b < kBucketCount; ++b)
      if (counts_[static_cast<size_t>(b)])
        out.emplace_back(std::min(upper_bound(b), max_), counts_[static_cast<size_t>(b)]);
    return out;
  }

 private:
  std::array<uint64_t, kBucketCount> counts_{};
  uint64_t count_ = 0;
  double sum_ = 0;
  uint64_t min_ = std::numeric_limits<uint64_t>::max();
  uint64_t max_ = 0;
};

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_HISTOGRAM_H_
