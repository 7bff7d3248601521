// Tests of the calibrated work (calibrated_work.h): the chain is Go's
// gbench.WorkSteps step for step — the same values at the same step counts,
// pinned here and in suites/common/go/gbench/gbench_test.go
// (TestWorkStepsIsTheCxxChain) — and the calibration and the plans give the
// step counts they promise. No timing is asserted.
#include "common/calibrated_work.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace syncscope::suites {
namespace {

// Values of x = x * 6364136223846793005 + 1442695040888963407 (mod 2^64)
// from x = n, n times; the same table is in gbench_test.go.
TEST(CalibratedWorkTest, WorkStepsRunsTheGoPeersChain) {
  EXPECT_EQ(work_steps(0), 0u);
  EXPECT_EQ(work_steps(1), 7806831264735756412ULL);
  EXPECT_EQ(work_steps(3), 13547870596056087544ULL);
  EXPECT_EQ(work_steps(1000), 9694332111084602096ULL);
}

TEST(CalibratedWorkTest, StepsForScalesTheMeasuredRate) {
  const double rate = CalibratedWork::steps_per_ns();
  ASSERT_GT(rate, 0.0);
  EXPECT_EQ(CalibratedWork::steps_for(0), 0u);
  EXPECT_EQ(CalibratedWork::steps_for(-5), 0u);
  EXPECT_EQ(CalibratedWork::steps_for(1000), static_cast<uint64_t>(1000 * rate + 0.5));
}

TEST(CalibratedWorkTest, AFixedPlanRunsTheSameStepsEveryCall) {
  WorkPlan plan(1000, WorkDist::kFixed, 7);
  const uint64_t want = work_steps(CalibratedWork::steps_for(1000));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(plan.run(), want);
}

}  // namespace
}  // namespace syncscope::suites
