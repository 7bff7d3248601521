#include "common/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace syncscope::suites {
namespace {

using H = LogLinearHistogram;

TEST(LogLinearHistogram, BucketsAreContiguousAndCoverEverything) {
  EXPECT_EQ(H::bucket_of(0), 0);
  EXPECT_EQ(H::bucket_of(127), 127);
  EXPECT_EQ(H::bucket_of(128), 128);
  EXPECT_EQ(H::bucket_of(UINT64_MAX), H::kBucketCount - 1);
  for (int b = 0; b + 1 < H::kBucketCount; ++b) {
    ASSERT_EQ(H::upper_bound(b) + 1, H::lower_bound(b + 1)) << b;
    ASSERT_EQ(H::bucket_of(H::lower_bound(b)), b) << b;
    ASSERT_EQ(H::bucket_of(H::upper_bound(b)), b) << b;
  }
}

TEST(LogLinearHistogram, RelativeErrorBounded) {
  for (uint64_t v : {129ull, 1000ull, 123456ull, 1ull << 40, (1ull << 40) + 12345}) {
    int b = H::bucket_of(v);
    double width = static_cast<double>(H::upper_bound(b) - H::lower_bound(b) + 1);
    EXPECT_LE(width / static_cast<double>(H::lower_bound(b)), 1.0 / 64 + 1e-12) << v;
  }
}

TEST(LogLinearHistogram, ExactBelowLinearLimit) {
  H h;
  for (uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
  EXPECT_EQ(h.percentile(0.5), 50u);
  EXPECT_EQ(h.percentile(0.99), 99u);
  EXPECT_EQ(h.percentile(1.0), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LogLinearHistogram, PercentilesMatchSortedSamplesWithinError) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(10.0, 2.0);
  std::vector<uint64_t> v;
  H h;
  for (int i = 0; i < 20000; ++i) {
    uint64_t x = static_cast<uint64_t>(dist(rng));
    v.push_back(x);
    h.record(x);
  }
  std::sort(v.begin(), v.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    uint64_t exact = v[static_cast<size_t>(std::ceil(q * v.size())) - 1];
    uint64_t got = h.percentile(q);
    EXPECT_GE(got, exact) << q;
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * (1 + 1.0 / 64) + 1) << q;
  }
  EXPECT_EQ(h.max(), v.back());
  EXPECT_EQ(h.min(), v.front());
}

TEST(LogLinearHistogram, MergeAndBuckets) {
  H a, b;
  a.record(5);
  a.record(1000);
  b.record(5);
  b.record(1u << 20);
  a.merge(b);
  EXPECT_EQ(a.count(), 4u);
  EXPECT_EQ(a.max(), 1u << 20);
  auto bk = a.buckets();
  ASSERT_EQ(bk.size(), 3u);
  EXPECT_EQ(bk[0], (std::pair<uint64_t, uint64_t>{5, 2}));
  EXPECT_EQ(bk.back().first, 1u << 20);  // clamped to the exact max
  uint64_t total = 0;
  for (auto& [ub, c] : bk) total += c;
  EXPECT_EQ(total, 4u);
  H empty;
  EXPECT_EQ(empty.percentile(0.5), 0u);
  EXPECT_EQ(empty.min(), 0u);
}

}  // namespace
}  // namespace syncscope::suites
