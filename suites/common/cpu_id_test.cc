// Tests of cpu_id.h: read_cpu() names the CPU the thread is pinned to (each
// usable CPU in turn, as sched_getcpu() does), and the start-up check finds
// it available and leaves the thread's affinity as it was.
#include "common/cpu_id.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <cstdlib>
#include <string>
#include <thread>

namespace syncscope::suites {
namespace {

TEST(ReadCpu, NamesEachCpuItIsPinnedTo) {
  // On a thread of its own, so the test runner's affinity is not touched.
  std::thread([] {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    ASSERT_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
    int checked = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (!CPU_ISSET(cpu, &allowed)) continue;
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0) << "CPU " << cpu;
      EXPECT_EQ(sched_getcpu(), cpu);
      EXPECT_EQ(read_cpu(), cpu) << kCpuReadMethod;
      ++checked;
    }
    EXPECT_GT(checked, 0);
  }).join();
}

TEST(ReadCpu, StartUpCheckFindsItAvailableAndRestoresTheAffinity) {
  cpu_set_t before, after;
  CPU_ZERO(&before);
  CPU_ZERO(&after);
  ASSERT_EQ(sched_getaffinity(0, sizeof(before), &before), 0);
  const CpuReadStatus s = check_cpu_read();
  ASSERT_EQ(sched_getaffinity(0, sizeof(after), &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&before, &after));
  EXPECT_TRUE(s.available) << s.reason;
  EXPECT_TRUE(s.reason.empty()) << s.reason;
  EXPECT_EQ(s.cpus_checked, CPU_COUNT(&before));
  EXPECT_GT(s.read_ns, 0.0);  // timed (no bound: a timing is not a test)
  EXPECT_EQ(cpu_read_status().available, s.available);
}

TEST(ReadCpu, TurnedOffByTheEnvironment) {
  ASSERT_EQ(setenv(kCpuReadEnv, "off", 1), 0);
  const CpuReadStatus s = check_cpu_read();
  unsetenv(kCpuReadEnv);
  EXPECT_FALSE(s.available);
  EXPECT_EQ(s.reason, "turned off by SYNCSCOPE_LOCK_MOVES=off");
  EXPECT_EQ(s.cpus_checked, 0);
}

}  // namespace
}  // namespace syncscope::suites
