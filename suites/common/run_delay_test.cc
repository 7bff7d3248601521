// Tests of the run-delay reader: the schedstat line's parsing, and on this
// kernel (when it has schedstats) that two threads made to share one CPU
// each wait for it, that a thread's figure never goes back, and that the
// process sum holds live threads' waits and leaves excluded threads out.
#include "common/run_delay.h"

#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace syncscope::suites {
namespace {

TEST(RunDelay, ParsesTheSecondOfThreeFields) {
  EXPECT_EQ(parse_schedstat_run_delay("123 456 7\n"), 456u);
  EXPECT_EQ(parse_schedstat_run_delay("0 0 0"), 0u);
  EXPECT_EQ(parse_schedstat_run_delay("18446744073709551615 9 1\n"), 9u);
  EXPECT_FALSE(parse_schedstat_run_delay(""));
  EXPECT_FALSE(parse_schedstat_run_delay("1 2"));
  EXPECT_FALSE(parse_schedstat_run_delay("1 2 3 4"));
  EXPECT_FALSE(parse_schedstat_run_delay("1 x 3"));
  EXPECT_FALSE(parse_schedstat_run_delay("-1 2 3"));
}

bool have_schedstat() { return access("/proc/thread-self/schedstat", R_OK) == 0; }

TEST(RunDelay, UnreadableWhereTheKernelHasNoSchedstats) {
  if (have_schedstat()) {
    EXPECT_TRUE(thread_run_delay_ns());
    EXPECT_TRUE(process_run_delay_ns());
  } else {
    EXPECT_FALSE(thread_run_delay_ns());
    EXPECT_FALSE(process_run_delay_ns());
  }
}

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Two threads pinned to one CPU, each busy until it has run 50 ms, both
// started once both are pinned: while one runs the other is runnable, so
// at least one of them waits for the CPU. They then stay alive, blocked,
// until released (a blocked thread's run delay stays put).
TEST(RunDelay, ThreadsSharingOneCpuWaitForIt) {
  if (!have_schedstat()) {
    EXPECT_FALSE(thread_run_delay_ns());
    return;
  }
  cpu_set_t mine;
  ASSERT_EQ(sched_getaffinity(0, sizeof mine, &mine), 0);
  int cpu = 0;
  while (!CPU_ISSET(cpu, &mine)) ++cpu;
  std::atomic<int> pinned{0}, pin_failed{0};
  std::atomic<int> done{0};
  std::atomic<bool> release{false};
  uint64_t before[2] = {}, after[2] = {};
  pid_t tids[2] = {};
  std::vector<std::thread> ts;
  for (int i = 0; i < 2; ++i) {
    ts.emplace_back([&, i] {
      tids[i] = static_cast<pid_t>(syscall(SYS_gettid));
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      if (sched_setaffinity(0, sizeof one, &one) != 0) pin_failed.fetch_add(1);
      pinned.fetch_add(1);
      while (pinned.load() < 2) std::this_thread::yield();
      before[i] = thread_run_delay_ns().value_or(0);
      const double start = thread_cpu_s();
      while (thread_cpu_s() - start < 0.05) {
      }
      after[i] = thread_run_delay_ns().value_or(0);
      done.fetch_add(1);
      while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  }
  while (done.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // Now blocked (sleeping between looks): their figures stay at `after`,
  // give or take the short wake-ups of the sleep loop, which only add.
  const std::optional<uint64_t> without = process_run_delay_ns({tids[0], tids[1]});
  const std::optional<uint64_t> with = process_run_delay_ns();
  const std::optional<uint64_t> first = task_run_delay_ns(tids[0]);
  release.store(true);
  for (auto& t : ts) t.join();
  ASSERT_EQ(pin_failed.load(), 0) << "could not pin both threads to CPU " << cpu;
  for (int i = 0; i < 2; ++i) {
    EXPECT_GE(after[i], before[i]) << i;
  }
  EXPECT_FALSE(task_run_delay_ns(tids[0]));  // joined: gone
  // The one that finished second waited while the other ran (at least one
  // of them: a thread that ran its 50 ms in one stretch first waited 0).
  EXPECT_GT((after[0] - before[0]) + (after[1] - before[1]), 0u);
  ASSERT_TRUE(first);
  EXPECT_GE(*first, after[0]);
  ASSERT_TRUE(without);
  ASSERT_TRUE(with);
  EXPECT_GE(*with, *without + after[0] + after[1]);
}

}  // namespace
}  // namespace syncscope::suites
