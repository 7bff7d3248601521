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

// lock_moves on hand-made (order, CPU) lists.
LockMoves moves_of(const std::vector<std::vector<uint32_t>>& orders,
                   const std::vector<std::vector<uint16_t>>& cpus) {
  std::vector<const std::vector<uint32_t>*> o;
  std::vector<const std::vector<uint16_t>*> c;
  std::vector<size_t> n;
  for (size_t t = 0; t < orders.size(); ++t) {
    o.push_back(&orders[t]);
    c.push_back(&cpus[t]);
    n.push_back(orders[t].size());
  }
  return lock_moves(o, c, n);
}

TEST(LockMoves, AllOnOneCpuIsZero) {
  const auto m = moves_of({{0, 2, 4}, {1, 3, 5}}, {{1, 1, 1}, {1, 1, 1}});
  EXPECT_EQ(m.pairs, 5u);
  EXPECT_EQ(m.moves, 0u);
  EXPECT_DOUBLE_EQ(m.per_acq(), 0.0);
}

TEST(LockMoves, AlternatingCpusIsOne) {
  // Two threads on their own CPUs taking turns: every hand-over moves.
  const auto m = moves_of({{0, 2, 4, 6}, {1, 3, 5}}, {{0, 0, 0, 0}, {1, 1, 1}});
  EXPECT_EQ(m.pairs, 6u);
  EXPECT_EQ(m.moves, 6u);
  EXPECT_DOUBLE_EQ(m.per_acq(), 1.0);
}

TEST(LockMoves, CountsByOrderNotByThread) {
  // Thread 0 ran on CPU 0 then moved to CPU 1; thread 1 stayed on CPU 1.
  // By order: 0:c0 1:c1 2:c0 3:c1 4:c1 5:c1 -> moves at 1, 2, 3.
  const auto m = moves_of({{0, 2, 4}, {1, 3, 5}}, {{0, 0, 1}, {1, 1, 1}});
  EXPECT_EQ(m.pairs, 5u);
  EXPECT_EQ(m.moves, 3u);
  EXPECT_DOUBLE_EQ(m.per_acq(), 0.6);
}

TEST(LockMoves, GapsAndUnreadCpusDropOnlyTheirPairs) {
  // Orders 3 and 6 missing (past a capacity, or a shared acquisition),
  // order 8's CPU unread: pairs (0,1) (1,2) (4,5) (7,8)x (8,9)x -> 3 pairs.
  const auto m = moves_of({{0, 2, 4, 8}, {1, 5, 7, 9}}, {{0, 0, 0, kNoCpu}, {1, 0, 0, 0}});
  EXPECT_EQ(m.pairs, 3u);
  EXPECT_EQ(m.moves, 2u);  // 0->1 (c0->c1), 1->2 (c1->c0); 4->5 stays on c0
  const auto none = moves_of({{0}, {}}, {{3}, {}});
  EXPECT_EQ(none.pairs, 0u);
  EXPECT_DOUBLE_EQ(none.per_acq(), 0.0);
  EXPECT_EQ(moves_of({}, {}).pairs, 0u);
}

}  // namespace
}  // namespace syncscope::suites
