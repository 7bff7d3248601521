#include "common/stats.h"

#include <gtest/gtest.h>

namespace syncscope::suites {
namespace {

TEST(Stats, PercentileNearestRank) {
  std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(percentile(v, 0.0), 1);
  EXPECT_EQ(percentile(v, 0.10), 1);
  EXPECT_EQ(percentile(v, 0.11), 2);
  EXPECT_EQ(percentile(v, 0.50), 5);
  EXPECT_EQ(percentile(v, 0.90), 9);
  EXPECT_EQ(percentile(v, 1.0), 10);
  EXPECT_EQ(percentile({}, 0.5), 0);
}

TEST(Stats, SummarizeUnsorted) {
  Summary s = summarize({5, 1, 4, 2, 3});
  EXPECT_EQ(s.count, 5u);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.max, 5);
  EXPECT_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.mean, 3.0);
  EXPECT_EQ(summarize({}).count, 0u);
}

}  // namespace
}  // namespace syncscope::suites
