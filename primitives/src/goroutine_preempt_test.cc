// Preemption of goroutines at safe points (goroutine.h, "Preemption";
// scheduler.cc, "The monitor"): the monitor's slice rule on synthetic looks,
// safe points on threads and goroutines, a goroutine that loops on safe
// points (directly, through SpinWait, on a SpinLock) on the only P while
// another goroutine of that P waits to run, stale marks, the counters, the
// monitor's idle sleep and the process exiting with the monitor running.
//
// No timing thresholds: a goroutine "runs for a whole slice" by holding its
// P while its thread sleeps (testing_support::eventually; the goroutine
// reaches no safe point, so the P stays with it and does not switch) until
// the monitor has marked it — an exact state, with eventually's hang guard.
// The loops that need preemption to end are bounded by the test's timeout.
#include <gtest/gtest.h>
#include <syncscope/chan.h>
#include <syncscope/goroutine.h>
#include <syncscope/internal/scheduler.h>
#include <syncscope/spin_lock.h>
#include <syncscope/wait_group.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>

#include "go_mutex_test_support.h"
#include "goroutine_test_support.h"

namespace syncscope {
namespace {

using internal::kTimeSliceNs;
using internal::SliceWatch;
using testing_support::eventually;

class PreemptTest : public testing_support::OnGoroutinesTest {};

// ---- the monitor's rule ------------------------------------------------------------
// A P is due for preemption only when two looks kTimeSliceNs apart see the
// same schedtick: a P that switched goroutines (a new tick) starts a new
// slice at that look, and a P seen idle starts one at its next look.
TEST(SliceWatchTest, MarksOnlyASliceThatDidNotSwitch) {
  SliceWatch w;
  EXPECT_FALSE(w.observe(7, 1000));                     // first look: a slice starts
  EXPECT_FALSE(w.observe(7, 1000 + kTimeSliceNs - 1));  // not a whole slice yet
  EXPECT_TRUE(w.observe(7, 1000 + kTimeSliceNs));       // same goroutine for a slice
  EXPECT_TRUE(w.observe(7, 1000 + 3 * kTimeSliceNs));   // still: marked again
  // The P switched: whatever time has passed, the new goroutine's slice
  // starts now.
  EXPECT_FALSE(w.observe(8, 1000 + 5 * kTimeSliceNs));
  EXPECT_FALSE(w.observe(8, 1000 + 6 * kTimeSliceNs - 1));
  EXPECT_TRUE(w.observe(8, 1000 + 6 * kTimeSliceNs));
  // A switch between every look never marks.
  SliceWatch busy;
  for (uint32_t i = 0; i < 100; ++i) EXPECT_FALSE(busy.observe(i, i * kTimeSliceNs));
  // Seen idle: the next look starts a slice even with the tick unchanged.
  w.forget();
  EXPECT_FALSE(w.observe(8, 1000 + 9 * kTimeSliceNs));
  EXPECT_TRUE(w.observe(8, 1000 + 10 * kTimeSliceNs));
  // The tick wraps around: still a different tick.
  SliceWatch wrap;
  EXPECT_FALSE(wrap.observe(UINT32_MAX, 0));
  EXPECT_FALSE(wrap.observe(0, 2 * kTimeSliceNs));
}

// The process exits (std::exit: atexit handlers, static destructors) while
// a goroutine loops on safe points and the monitor keeps marking it: the
// monitor is stopped and joined, and the exit status is the one asked for.
// The runtime must start in the child: this test comes before every test
// that starts goroutines (gtest runs them in file order), so a forked child
// (the "fast" death-test style: under qemu-user a re-executed child cannot
// exec the aarch64 binary) starts its own; under ThreadSanitizer the child
// re-executes the binary ("threadsafe").
TEST(PreemptExitTest, TheProcessExitsWithTheMonitorRunning) {
  testing_support::use_safe_death_test_style();
  EXPECT_EXIT(
      {
        set_gomaxprocs(1);
        static std::atomic<bool> spinning{false};
        go([] {
          spinning = true;
          for (;;) preempt_point();
        });
        go([] {});  // runs only when the looping goroutine is preempted
        const bool ok = eventually([] {
          return spinning.load() && goroutine_stats().preemptions > 0 && num_goroutine() == 1;
        });
        std::exit(ok ? 0 : 3);
      },
      ::testing::ExitedWithCode(0), "");
}

// ---- safe points -------------------------------------------------------------------
TEST_F(PreemptTest, ASafePointOnAThreadDoesNothing) {
  for (int i = 0; i < 1000; ++i) preempt_point();
  EXPECT_FALSE(internal::preempt_requested());
}

// A goroutine that holds its only P for a whole slice gets marked; its next
// safe point yields (it goes to the global queue, behind the goroutine that
// waited there, which runs first); the mark is gone afterwards. The
// counters show one request and one preemption at least.
TEST_F(PreemptTest, AMarkedGoroutineYieldsAtItsNextSafePoint) {
  use_procs(1);
  const GoroutineStats before = goroutine_stats();
  std::atomic<bool> holder_running{false}, other_queued{false}, marked{false}, other_ran{false};
  std::atomic<int> other_ran_before_resume{-1}, marked_after{-1};
  WaitGroup done;
  done.add(2);
  go([&] {
    holder_running = true;
    // The thread sleeps: the goroutine keeps the only P, which does not
    // switch, until the other goroutine is queued and the monitor marked us.
    marked = eventually([&] { return other_queued.load() && internal::preempt_requested(); });
    preempt_point();  // yields: the other goroutine runs before this returns
    other_ran_before_resume = other_ran.load();
    marked_after = internal::preempt_requested();
    done.done();
  });
  ASSERT_TRUE(eventually([&] { return holder_running.load(); }));
  go([&] {  // from a thread: the global queue, where it waits for the P
    other_ran = true;
    done.done();
  });
  other_queued = true;
  done.wait();
  EXPECT_TRUE(marked.load());
  EXPECT_EQ(other_ran_before_resume.load(), 1);
  EXPECT_EQ(marked_after.load(), 0);
  const GoroutineStats after = goroutine_stats();
  EXPECT_GE(after.preempt_requests - before.preempt_requests, 1u);
  EXPECT_GE(after.preemptions - before.preemptions, 1u);
  EXPECT_GE(after.preempt_requests, after.preemptions);
  EXPECT_GE(after.monitor_looks, before.monitor_looks + 1);
}

// The monitor marks the slice it saw; a goroutine that switched on its own
// since then (here: gosched) runs a new slice, for which the mark is stale:
// its safe point drops the mark and does not yield.
TEST_F(PreemptTest, AMarkForASliceThatSwitchedIsDropped) {
  use_procs(1);
  std::atomic<int> marked{-1}, after_switch{-1}, yielded{-1};
  WaitGroup done;
  done.add(1);
  go([&] {
    marked = eventually([] { return internal::preempt_requested(); });
    gosched();  // alone on the P: it runs again at once, in a new slice
    after_switch = internal::preempt_requested();
    const uint64_t taken = goroutine_stats().preemptions;
    preempt_point();
    yielded = goroutine_stats().preemptions != taken;
    done.done();
  });
  done.wait();
  EXPECT_EQ(marked.load(), 1);
  EXPECT_EQ(after_switch.load(), 0);
  EXPECT_EQ(yielded.load(), 0);
}

// On the only P, a goroutine runs wait(flag), a loop that returns once
// flag is set; a goroutine started then from this thread (the global queue)
// sets it, so it can run only if the loop gives up the P. Returns once both
// have finished: without preemption, never.
template <class Wait>
void wait_for_a_goroutine_of_the_same_p(Wait wait) {
  std::atomic<bool> waiter_running{false}, flag{false};
  WaitGroup done;
  done.add(2);
  go([&] {
    waiter_running = true;
    wait(flag);
    done.done();
  });
  ASSERT_TRUE(eventually([&] { return waiter_running.load(); }));
  go([&] {
    flag.store(true, std::memory_order_release);
    done.done();
  });
  done.wait();
}

// A loop that calls only the safe point.
TEST_F(PreemptTest, ALoopOfSafePointsLetsItsPsOtherGoroutinesRun) {
  use_procs(1);
  const GoroutineStats before = goroutine_stats();
  uint64_t loops = 0;
  wait_for_a_goroutine_of_the_same_p([&](const std::atomic<bool>& flag) {
    while (!flag.load(std::memory_order_acquire)) {
      preempt_point();
      ++loops;
    }
  });
  EXPECT_GT(loops, 0u);
  const GoroutineStats after = goroutine_stats();
  EXPECT_GE(after.preemptions - before.preemptions, 1u);
  EXPECT_GE(after.preempt_requests - before.preempt_requests, 1u);
}

// A pair that hands off to each other through runnext shares one slice
// (scheduler.cc, "Slices and runnext"; Go's inheritTime). On the only P, A
// and B ping-pong over two unbuffered channels: each hand-off readies the
// partner into runnext and then parks, so the P always has runnext to run
// and the channel operations reach no safe point. C was queued behind
// runnext in the P's ring before the pair started. When every start was a
// new slice the monitor never marked the pair and C never ran (the loop
// below then ends only at its hang guard, and the test fails); now the
// pair's slice is marked after kTimeSliceNs, the partner in runnext is
// preempted before it starts, and the P runs C while the pair still plays.
TEST_F(PreemptTest, ARunnextPairSharesOneSlice) {
  use_procs(1);
  const GoroutineStats before = goroutine_stats();
  std::atomic<bool> c_ran{false};
  std::atomic<bool> c_ran_while_pair_played{false};
  std::atomic<uint64_t> round_trips{0};
  Chan<int> ping(0), pong(0);
  WaitGroup done;
  done.add(3);
  go([&] {    // A, from the test thread: the global queue, then the only P
    go([&] {  // C: runnext first, then kicked to the ring by B
      c_ran = true;
      done.done();
    });
    go([&] {  // B: runnext
      while (auto v = ping.receive()) pong.send(*v);
      done.done();
    });
    const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!c_ran.load() && std::chrono::steady_clock::now() < guard) {
      ping.send(1);
      pong.receive();
      round_trips.fetch_add(1, std::memory_order_relaxed);
    }
    c_ran_while_pair_played = c_ran.load();
    ping.close();
    done.done();
  });
  done.wait();
  EXPECT_TRUE(c_ran_while_pair_played.load());
  EXPECT_GT(round_trips.load(), 0u);
  const GoroutineStats after = goroutine_stats();
  EXPECT_GE(after.preempt_requests - before.preempt_requests, 1u);
  EXPECT_GE(after.preemptions - before.preemptions, 1u);
}

// The same through SpinWait, with its budget reset at every step (as a lock
// does when it sees progress), so that it never reaches its yield: only the
// safe point in pause() lets the other goroutine run.
TEST_F(PreemptTest, SpinWaitsSafePointLetsItsPsOtherGoroutinesRun) {
  use_procs(1);
  const uint64_t before = goroutine_stats().preemptions;
  wait_for_a_goroutine_of_the_same_p([](const std::atomic<bool>& flag) {
    SpinWait w;
    while (!flag.load(std::memory_order_acquire)) {
      w.reset();
      w.once();
    }
  });
  EXPECT_GE(goroutine_stats().preemptions - before, 1u);
}

// A goroutine spins on a SpinLock that another goroutine of its only P
// holds while queued behind it: the holder runs, unlocks, and the spinner
// gets the lock.
TEST_F(PreemptTest, ASpinLockSpinnerLetsTheHolderOfItsPRun) {
  use_procs(1);
  SpinLock lock;
  std::atomic<bool> held{false}, spinner_queued{false}, spinner_got_it{false};
  std::atomic<int> holder_saw_spinner_done{-1};
  WaitGroup done;
  done.add(2);
  go([&] {  // the holder
    lock.lock();
    held = true;
    // Wait (thread asleep, P kept) until the spinner is queued, then let it
    // run: it goes to the global queue behind the spinner, which spins on
    // the lock we hold.
    eventually([&] { return spinner_queued.load(); });
    gosched();
    holder_saw_spinner_done = spinner_got_it.load();
    lock.unlock();
    done.done();
  });
  ASSERT_TRUE(eventually([&] { return held.load(); }));
  go([&] {  // the spinner, on the same (only) P
    lock.lock();
    spinner_got_it = true;
    lock.unlock();
    done.done();
  });
  spinner_queued = true;
  done.wait();
  EXPECT_TRUE(spinner_got_it.load());
  EXPECT_EQ(holder_saw_spinner_done.load(), 0);
}

// ---- the monitor -----------------------------------------------------------------
// With every P idle the monitor sleeps without a timeout (it does not wake
// an idle process); a goroutine started then wakes it.
TEST_F(PreemptTest, TheMonitorSleepsWhileEveryPIsIdle) {
  use_procs(2);
  {  // make sure the runtime (and so the monitor) has started
    WaitGroup done;
    done.add(1);
    go([&] { done.done(); });
    done.wait();
  }
  // (monitor_idle_waits counts the wait just after mon_idle is set: wait
  // for both.)
  ASSERT_TRUE(eventually([] {
    return internal::monitor_idle_waiting() && goroutine_stats().monitor_idle_waits >= 1;
  }));
  const uint64_t looks = goroutine_stats().monitor_looks;
  // Idle means idle: nothing wakes it while no P runs.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_TRUE(internal::monitor_idle_waiting());
  EXPECT_EQ(goroutine_stats().monitor_looks, looks);
  // A P runs again: the monitor wakes and looks again.
  std::atomic<bool> stop{false};
  WaitGroup done;
  done.add(1);
  go([&] {
    eventually([&] { return goroutine_stats().monitor_looks > looks; });
    stop = true;
    done.done();
  });
  done.wait();
  EXPECT_TRUE(stop.load());
  EXPECT_GT(goroutine_stats().monitor_looks, looks);
}

}  // namespace
}  // namespace syncscope
