// Tests of the 2015 design's spinning and of InstrumentedGoMutex2015's
// counters (the shared contract is in go_mutex_designs_test.cc). States and
// counts only, no timing thresholds.
#include <gtest/gtest.h>
#include <syncscope/go_mutex_2015.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "go_mutex_test_support.h"

namespace syncscope {
namespace {

using namespace std::chrono_literals;

using testing_support::eventually;
using testing_support::SchedulingControl;

template <class M>
concept HasStats = requires(M& m) {
  m.stats();
  m.reset_stats();
};
static_assert(!HasStats<GoMutex2015>, "instrumentation is compiled out of GoMutex2015");
static_assert(HasStats<InstrumentedGoMutex2015>);

TEST(GoSpinPolicyTest, SpinsOnlyOnMulticoreAndAtMostFourRounds) {
  const bool multicore = usable_cpus() > 1;
  EXPECT_GE(usable_cpus(), 1u);
  for (int i = 0; i < GoSpinPolicy::kActiveSpin; ++i) {
    EXPECT_EQ(GoSpinPolicy::can_spin(i), multicore) << i;
  }
  EXPECT_FALSE(GoSpinPolicy::can_spin(GoSpinPolicy::kActiveSpin));
  EXPECT_FALSE(GoSpinPolicy::can_spin(100));
  GoSpinPolicy::do_spin();  // returns
}

// A thread that finds the lock held spins its full budget (on a multicore:
// the holder never lets go here), then parks exactly once, and is woken by
// the unlock.
TEST(InstrumentedGoMutex2015Test, SpinsThenParksOnceThenIsWoken) {
  InstrumentedGoMutex2015 m;
  m.lock();
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    m.lock();
    got = true;
    m.unlock();
  });
  ASSERT_TRUE(eventually([&] { return m.stats().parks == 1; }));
  GoMutexStats s = m.stats();
  const uint64_t expected_spins =
      usable_cpus() > 1 ? static_cast<uint64_t>(GoSpinPolicy::kActiveSpin) : 0u;
  EXPECT_EQ(s.spins, expected_spins);
  EXPECT_EQ(s.barges, 0u);
  EXPECT_FALSE(got.load());
  m.unlock();
  waiter.join();
  EXPECT_TRUE(got.load());
  s = m.stats();
  EXPECT_EQ(s.handoffs, 0u);  // no starvation mode in this design
  EXPECT_EQ(s.mode_switches, 0u);
  m.reset_stats();
  s = m.stats();
  EXPECT_EQ(s.spins + s.parks + s.barges, 0u);
}

// The 2015 design favours running threads: after waking a parked waiter,
// the unlocking thread takes the lock right back — a barge. The waiter runs
// at SCHED_IDLE on our CPU, so it cannot get there first (a retry covers the
// rare case where the scheduler runs it anyway).
TEST(InstrumentedGoMutex2015Test, RelockAfterWakingAWaiterIsCountedAsBarge) {
  InstrumentedGoMutex2015 m;
  SchedulingControl sched;
  sched.pin_self();
  bool barged = false;
  for (int attempt = 0; attempt < 20 && !barged; ++attempt) {
    m.reset_stats();
    m.lock();
    std::atomic<bool> got{false};
    std::thread waiter([&] {
      sched.pin_as_idle_victim();
      m.lock();
      got = true;
      m.unlock();
    });
    ASSERT_TRUE(eventually([&] { return m.stats().parks == 1; }));
    std::this_thread::sleep_for(1ms);  // let it reach the futex
    m.unlock();                        // wakes the waiter (kWoken)...
    m.lock();                          // ...and competes with it
    barged = !got.load();              // we won while the woken waiter was competing
    m.unlock();
    waiter.join();
    EXPECT_TRUE(got.load());
    if (barged) {
      EXPECT_EQ(m.stats().barges, 1u);
    }
  }
  EXPECT_TRUE(barged) << "the unlocking thread never won against the woken waiter";
}

// try_lock with nobody waiting is not a barge.
TEST(InstrumentedGoMutex2015Test, TryLockWithoutWaitersIsNoBarge) {
  InstrumentedGoMutex2015 m;
  EXPECT_TRUE(m.try_lock());
  EXPECT_FALSE(m.try_lock());
  m.unlock();
  EXPECT_EQ(m.stats().barges, 0u);  // nobody was waiting
}

}  // namespace
}  // namespace syncscope
