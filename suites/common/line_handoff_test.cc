// Tests of the line hand-off probe (common/line_handoff.h): a positive
// median between two CPUs (or none, past its budget), the process's CPUs
// whatever the caller's mask, a budget that ends the exchange, and the
// caller's affinity given back.
#include "common/line_handoff.h"

#include <sched.h>

#include <gtest/gtest.h>

namespace syncscope::suites {
namespace {

TEST(LineHandoffProbe, PositiveBetweenTwoCpusAndTheAffinityIsGivenBack) {
  cpu_set_t before;
  ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
  const std::optional<double> ns = probe_line_handoff_ns();
  cpu_set_t after;
  ASSERT_EQ(sched_getaffinity(0, sizeof after, &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&before, &after));
  if (usable_cpus() >= 2) {
    // None only when the budget ran out first (a loaded machine).
    if (ns) {
      EXPECT_GT(*ns, 0.0);
    }
  } else {
    EXPECT_FALSE(ns);
  }
}

TEST(LineHandoffProbe, ABudgetEndsTheExchangeEarlyAndNothingHangs) {
  // The first two usable CPUs, or the one twice (the two threads then take
  // turns on it, as under load).
  const std::vector<int>& cpus = usable_cpu_list();
  const int a = cpus[0], b = cpus.size() > 1 ? cpus[1] : cpus[0];
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  // A 1 ns budget runs out in the warm-up sample: no sample kept, and the
  // thread on b, waiting for a hand-over, reads the stop and ends.
  const LineHandoff cut = measure_line_handoff(a, b, 20, 1000, std::chrono::nanoseconds(1));
  EXPECT_EQ(cut.one_way_ns.count, 0u);
  // No budget (and one far off): every sample.
  EXPECT_EQ(measure_line_handoff(a, b, 5, 7).one_way_ns.count, 7u);
  EXPECT_EQ(measure_line_handoff(a, b, 5, 7, std::chrono::hours(1)).one_way_ns.count, 7u);
  cpu_set_t after;
  ASSERT_EQ(sched_getaffinity(0, sizeof after, &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&all, &after));
}

TEST(LineHandoffProbe, ACallerPinnedToOneCpuStillProbesTheProcessCpus) {
  // The probe takes the process's CPUs as read at load (internal/cpus.h),
  // not the calling thread's mask: a harness thread pinned by a placement
  // still gets the machine's state, and its own mask back.
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  int first = 0;
  while (!CPU_ISSET(first, &all)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  const std::optional<double> ns = probe_line_handoff_ns();
  cpu_set_t after;
  ASSERT_EQ(sched_getaffinity(0, sizeof after, &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&one, &after));
  ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
  if (usable_cpus() < 2) {
    EXPECT_FALSE(ns);
  } else if (ns) {  // none only when its budget ran out (a loaded machine)
    EXPECT_GT(*ns, 0.0);
  }
}

}  // namespace
}  // namespace syncscope::suites
