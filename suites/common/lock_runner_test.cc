// Tests of the lock runner's real-time option (RtScope, ThreadRole::
// rt_priority, RunnerConfig::coordinator_rt_priority): a real-time run
// completes and counts, the flags say what the OS granted, and a thread's
// previous scheduling policy comes back afterwards. Whether SCHED_FIFO is
// granted depends on the machine (root / CAP_SYS_NICE): both outcomes are
// checked against what the OS says, never assumed.
#include "common/lock_runner.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <mutex>
#include <thread>

namespace syncscope::suites {
namespace {

// Whether this process may use SCHED_FIFO, asked on a throwaway thread.
bool fifo_permitted() {
  bool ok = false;
  std::thread t([&] {
    sched_param p{};
    p.sched_priority = 1;
    ok = pthread_setschedparam(pthread_self(), SCHED_FIFO, &p) == 0;
  });
  t.join();
  return ok;
}

int current_policy() {
  int policy = -1;
  sched_param p{};
  pthread_getschedparam(pthread_self(), &policy, &p);
  return policy;
}

TEST(RtScope, GrantsOrSaysWhyAndRestoresThePolicy) {
  const bool permitted = fifo_permitted();
  const int before = current_policy();
  {
    RtScope rt(1);
    EXPECT_EQ(rt.ok(), permitted);
    if (rt.ok()) {
      EXPECT_EQ(current_policy(), SCHED_FIFO);
      EXPECT_TRUE(rt.reason().empty());
    } else {
      EXPECT_NE(rt.reason().find("SCHED_FIFO refused"), std::string::npos) << rt.reason();
      EXPECT_EQ(current_policy(), before);
    }
  }
  EXPECT_EQ(current_policy(), before);
}

TEST(RtScope, ZeroPriorityAsksForNothing) {
  RtScope rt(0);
  EXPECT_FALSE(rt.ok());
  EXPECT_TRUE(rt.reason().empty());
}

TEST(LockRunner, RealTimeRunCompletesAndReportsWhatWasGranted) {
  const bool permitted = fifo_permitted();
  const int before = current_policy();
  // Pinned one per PU when there are two (as lockskew does); otherwise
  // only one real-time thread, so no two busy FIFO threads share a PU.
  const bool two = usable_pus() >= 2;
  std::vector<ThreadRole> roles = {ThreadRole{200, 20, WorkDist::kFixed, 0, -1, 1}};
  if (two) {
    roles.push_back(ThreadRole{100, 2000, WorkDist::kFixed, 0, -1, 1});
    ASSERT_EQ(place_roles(hw::Policy::kCompact, roles, nullptr), "");
  }
  RunnerConfig cfg{roles, 0.05, false, true, 0};
  cfg.coordinator_rt_priority = 2;
  std::mutex m;
  RunnerResult r = run_lock(m, cfg);
  EXPECT_EQ(r.coordinator_realtime, permitted);
  EXPECT_EQ(r.rt_refused.empty(), permitted);
  for (auto& t : r.threads) {
    EXPECT_GT(t->acquisitions, 0u);
    EXPECT_EQ(t->realtime, permitted);
    EXPECT_EQ(t->write_wait.count(), t->acquisitions);
  }
  EXPECT_EQ(current_policy(), before);  // the coordinator got its policy back
}

}  // namespace
}  // namespace syncscope::suites
