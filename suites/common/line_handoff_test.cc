// Tests of the line hand-off probe (common/line_handoff.h): a positive
// median between two CPUs, nothing with one CPU, and the caller's affinity
// given back.
#include "common/line_handoff.h"

#include <sched.h>

#include <gtest/gtest.h>

namespace syncscope::suites {
namespace {

int count_of(const cpu_set_t& s) { return CPU_COUNT(&s); }

TEST(LineHandoffProbe, PositiveBetweenTwoCpusAndTheAffinityIsGivenBack) {
  cpu_set_t before;
  ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
  const std::optional<double> ns = probe_line_handoff_ns();
  cpu_set_t after;
  ASSERT_EQ(sched_getaffinity(0, sizeof after, &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&before, &after));
  if (count_of(before) >= 2) {
    ASSERT_TRUE(ns);
    EXPECT_GT(*ns, 0.0);
  } else {
    EXPECT_FALSE(ns);
  }
}

TEST(LineHandoffProbe, NothingWithOneCpu) {
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  int first = 0;
  while (!CPU_ISSET(first, &all)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  EXPECT_FALSE(probe_line_handoff_ns());
  ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
}

}  // namespace
}  // namespace syncscope::suites
