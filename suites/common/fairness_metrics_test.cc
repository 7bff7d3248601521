#include "common/fairness_metrics.h"

#include <gtest/gtest.h>

namespace syncscope::suites {
namespace {

TEST(CountFairness, EvenAndSkewed) {
  auto even = count_fairness({10, 10, 10, 10});
  EXPECT_DOUBLE_EQ(even.jain_index, 1.0);
  EXPECT_DOUBLE_EQ(even.cv, 0.0);
  EXPECT_DOUBLE_EQ(even.min_max_ratio, 1.0);
  auto one = count_fairness({40, 0, 0, 0});
  EXPECT_DOUBLE_EQ(one.jain_index, 0.25);  // 1/n
  EXPECT_DOUBLE_EQ(one.min_max_ratio, 0.0);
  auto two = count_fairness({1, 3});
  EXPECT_DOUBLE_EQ(two.jain_index, 16.0 / (2 * 10));
  EXPECT_DOUBLE_EQ(two.cv, 0.5);
  EXPECT_DOUBLE_EQ(two.min_max_ratio, 1.0 / 3);
}

TEST(SequenceFairness, RoundRobinVersusBarging) {
  std::vector<uint16_t> rr, barge;
  for (int i = 0; i < 4000; ++i) rr.push_back(static_cast<uint16_t>(i % 4));
  for (int i = 0; i < 4000; ++i) barge.push_back(static_cast<uint16_t>(i / 1000));
  auto a = sequence_fairness(rr);
  EXPECT_DOUBLE_EQ(a.barging_share, 0.0);
  EXPECT_DOUBLE_EQ(a.lwss, 4.0);
  EXPECT_DOUBLE_EQ(a.mttr, 4.0);
  auto b = sequence_fairness(barge);
  EXPECT_NEAR(b.barging_share, 3996.0 / 3999.0, 1e-12);
  EXPECT_DOUBLE_EQ(b.lwss, 1.0);
  EXPECT_DOUBLE_EQ(b.mttr, 1.0);
  EXPECT_EQ(sequence_fairness({}).length, 0u);
}

TEST(MergeOrders, RebuildsLongestCompletePrefix) {
  std::vector<uint32_t> t0 = {0, 2, 3, 7}, t1 = {1, 4, 6};  // 5 is missing
  auto seq = merge_orders({&t0, &t1}, {4, 3});
  EXPECT_EQ(seq, (std::vector<uint16_t>{0, 1, 0, 0, 1}));
}

}  // namespace
}  // namespace syncscope::suites
