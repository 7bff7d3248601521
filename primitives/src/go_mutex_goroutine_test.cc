// The Go mutexes on syncscope's goroutines: Go's canSpin rule with the
// runtime's real state (GoSpinPolicy, go_mutex_common.h), the preemption
// safe point of the slow paths (preempt_point()), and progress of
// every party when goroutines outnumber P's. States and counts only, no
// timing thresholds: sleeps only set up a situation (a waiter that has
// waited more than 1 ms, a time slice that is spent) and every wait is for
// an exact state, with a hang guard.
//
// A goroutine "holds its P" below by waiting in testing_support::eventually
// (its thread sleeps; it reaches no safe point, so even once the runtime's
// monitor marks it for preemption the P stays with it and no M of that P
// steals or schedules). With every P held that way or
// running a test goroutine, no M looks for work: what sits in a P's runnext
// stays there, which is what makes the states below exact.
#include <gtest/gtest.h>
#include <syncscope/go_mutex.h>
#include <syncscope/go_mutex_2015.h>
#include <syncscope/go_rwmutex.h>
#include <syncscope/goroutine.h>
#include <syncscope/internal/scheduler.h>
#include <syncscope/wait_group.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "go_mutex_test_support.h"
#include "goroutine_test_support.h"

namespace syncscope {
namespace {

using namespace std::chrono_literals;
using internal::SpinView;
using testing_support::eventually;

const bool kMulticore = usable_cpus() > 1;

class GoMutexOnGoroutinesTest : public testing_support::OnGoroutinesTest {};

// The caller's P is the only busy one or both are, with nobody looking for
// work: the states the rule is asserted in.
bool other_p_idle() {
  const SpinView v = internal::spin_view();
  return v.on_p && v.idle_procs == 1 && v.spinning_ms == 0;
}
bool all_ps_busy() {
  const SpinView v = internal::spin_view();
  return v.on_p && v.idle_procs == 0 && v.spinning_ms == 0;
}

// ---- the rule ----------------------------------------------------------------------
// Go's sync_runtime_canSpin on snapshots: a thread's view leaves the
// decision to the thread rule; a goroutine spins only with another P
// running and nothing queued on its own P.
TEST(GoSpinPolicyRuleTest, RuntimeConditionsOnSnapshots) {
  EXPECT_TRUE(GoSpinPolicy::runtime_permits(SpinView{}));  // a thread
  auto view = [](bool empty, int32_t procs, int32_t idle, int32_t spinning) {
    SpinView v;
    v.on_p = true;
    v.local_runq_empty = empty;
    v.procs = procs;
    v.idle_procs = idle;
    v.spinning_ms = spinning;
    return v;
  };
  EXPECT_TRUE(GoSpinPolicy::runtime_permits(view(true, 2, 0, 0)));
  EXPECT_FALSE(GoSpinPolicy::runtime_permits(view(false, 2, 0, 0)));  // a goroutine queued
  EXPECT_FALSE(GoSpinPolicy::runtime_permits(view(true, 2, 1, 0)));   // the other P idle
  EXPECT_FALSE(GoSpinPolicy::runtime_permits(view(true, 2, 0, 1)));   // ... or looking for work
  EXPECT_FALSE(GoSpinPolicy::runtime_permits(view(true, 1, 0, 0)));   // GOMAXPROCS=1
  EXPECT_TRUE(GoSpinPolicy::runtime_permits(view(true, 4, 1, 1)));
  EXPECT_FALSE(GoSpinPolicy::runtime_permits(view(true, 4, 2, 1)));
}

TEST(GoSpinPolicyRuleTest, APlainThreadSeesNoGoroutineView) {
  EXPECT_FALSE(internal::spin_view().on_p);
  EXPECT_FALSE(internal::preempt_requested());
  for (int i = 0; i < GoSpinPolicy::kActiveSpin; ++i)
    EXPECT_EQ(GoSpinPolicy::can_spin(i), kMulticore);
}

// can_spin on a goroutine, in the three states of the rule: the other P
// idle (refused), both P's running and an empty queue (allowed on a
// multicore), a goroutine queued on the caller's P (refused). Inside a
// SyscallGuard the goroutine blocks its thread, so the thread rule applies.
TEST_F(GoMutexOnGoroutinesTest, CanSpinFollowsTheRuntimeState) {
  use_procs(2);
  struct Seen {
    std::atomic<bool> settled{false}, spin{false}, queue_empty{false};
  };
  Seen alone, both_busy, queued, in_syscall;
  std::atomic<bool> holder_running{false}, holder_release{false}, queued_ran{false};
  WaitGroup done;

  // 1. One goroutine, the other P idle: procs (2) <= idle (1) + spinning + 1.
  done.add(1);
  go([&] {
    alone.settled = eventually(other_p_idle);
    alone.spin = GoSpinPolicy::can_spin(0);
    done.done();
  });
  done.wait();
  ASSERT_TRUE(alone.settled.load());
  EXPECT_FALSE(alone.spin.load());

  // 2. A holder keeps the other P; the asker's queue is empty, then holds
  //    a goroutine it started (go() puts it in the caller's runnext).
  done.add(3);
  go([&] {
    holder_running = true;
    eventually([&] { return holder_release.load(); });
    done.done();
  });
  ASSERT_TRUE(eventually([&] { return holder_running.load(); }));
  go([&] {
    both_busy.settled =
        eventually([] { return all_ps_busy() && internal::spin_view().local_runq_empty; });
    both_busy.spin = GoSpinPolicy::can_spin(0);
    go([&] {
      queued_ran = true;
      done.done();
    });
    const SpinView v = internal::spin_view();
    queued.settled = v.on_p && v.idle_procs == 0;
    queued.queue_empty = v.local_runq_empty;
    queued.spin = GoSpinPolicy::can_spin(0);
    {
      SyscallGuard g;  // the thread rule: no goroutine view
      in_syscall.settled = !internal::spin_view().on_p;
      in_syscall.spin = GoSpinPolicy::can_spin(0);
    }
    holder_release = true;
    done.done();
  });
  done.wait();
  ASSERT_TRUE(both_busy.settled.load());
  EXPECT_EQ(both_busy.spin.load(), kMulticore);
  ASSERT_TRUE(queued.settled.load());
  EXPECT_FALSE(queued.queue_empty.load());
  EXPECT_FALSE(queued.spin.load());
  EXPECT_TRUE(queued_ran.load());
  ASSERT_TRUE(in_syscall.settled.load());
  EXPECT_EQ(in_syscall.spin.load(), kMulticore);
}

TEST_F(GoMutexOnGoroutinesTest, NoSpinningWithOneP) {
  use_procs(1);
  std::atomic<bool> spin{true}, on_p{false};
  WaitGroup done;
  done.add(1);
  go([&] {
    on_p = internal::spin_view().on_p;
    spin = GoSpinPolicy::can_spin(0);
    done.done();
  });
  done.wait();
  EXPECT_TRUE(on_p.load());
  EXPECT_FALSE(spin.load());
}

// ---- the rule in GoMutex -------------------------------------------------------------
// S holds the mutex while W queues (W's P goes idle), then, with a holder H
// on the other P, S unlocks — which readies W into S's own runnext — and H
// takes the mutex. S asks for it again: with W queued on its P, S must not
// spin; it queues and parks, and W runs on S's P. (What W finds there is
// Go's semaphore at work: S's first semacquire took the unit the unlock
// released for W — Go's semacquire1 also tries cansemacquire before it
// queues — so W queues on the semaphore again without returning to the
// mutex, and S, which could not spin, requeued at the head.) When H lets
// go, S then W get the mutex, in that order.
TEST_F(GoMutexOnGoroutinesTest, ASpinnerWithAReadiedWaiterOnItsPParksAndTheWaiterRuns) {
  use_procs(2);
  InstrumentedGoMutex m;
  std::atomic<bool> s_ready{false}, h_running{false}, s_unlocked{false}, h_locked{false},
      h_release{false};
  std::atomic<bool> settled{true}, s_queue_empty{true}, s_can_spin{true}, w_ran_on_s_p{false};
  std::atomic<uint64_t> spins_before{0};
  std::atomic<int> next_order{0}, w_order{-1}, s_order{-1};
  WaitGroup done;
  done.add(3);
  go([&] {  // S
    // S holds its P across sleeps: its lock()'s safe point must not yield.
    internal::preempt_disable();
    m.lock();
    go([&] {  // W: runs on the idle P (stolen from S's runnext), spins, parks
      m.lock();
      w_order = next_order++;
      m.unlock();
      done.done();
    });
    // W parked and its P idle again: W is a waiter, not running anywhere.
    if (!eventually([&] { return m.waiter_count() == 1 && other_p_idle(); })) settled = false;
    s_ready = true;
    if (!eventually([&] { return h_running.load() && all_ps_busy(); })) settled = false;
    m.unlock();  // wakes W: into this P's runnext
    s_unlocked = true;
    if (!eventually([&] { return h_locked.load(); })) settled = false;
    const SpinView v = internal::spin_view();
    s_queue_empty = v.local_runq_empty;
    s_can_spin = GoSpinPolicy::can_spin(0);
    spins_before = m.stats().spins;
    m.lock();  // H holds it: S queues and parks, W runs here
    s_order = next_order++;
    m.unlock();
    internal::preempt_enable();
    done.done();
  });
  ASSERT_TRUE(eventually([&] { return s_ready.load(); }));
  go([&] {                        // H: on the other P
    internal::preempt_disable();  // H, too, holds its P across sleeps
    h_running = true;
    eventually([&] { return s_unlocked.load(); });
    m.lock();
    h_locked = true;
    // S's P goes idle only once S has parked and W, queued there, has run
    // and parked in its turn.
    w_ran_on_s_p = eventually([&] { return m.waiter_count() == 2 && other_p_idle(); });
    eventually([&] { return h_release.load(); });
    m.unlock();
    internal::preempt_enable();
    done.done();
  });
  ASSERT_TRUE(eventually([&] { return w_ran_on_s_p.load(); }));
  const GoMutexStats s = m.stats();
  h_release = true;
  done.wait();
  ASSERT_TRUE(settled.load());
  EXPECT_FALSE(s_queue_empty.load());
  EXPECT_FALSE(s_can_spin.load());
  // S did not spin (the thread rule would have spun kActiveSpin rounds).
  EXPECT_EQ(s.spins, spins_before.load());
  EXPECT_EQ(s.parks, 3u);  // W, S's first try (it took W's unit), S again
  EXPECT_FALSE(m.is_woken());
  EXPECT_EQ(s_order.load(), 0);  // requeued at the head
  EXPECT_EQ(w_order.load(), 1);
  EXPECT_FALSE(m.is_locked());
  EXPECT_EQ(m.waiter_count(), 0);
}

// The end of the starvation-mode tests: W, the waiter kept out, got the
// mutex (w_order 0) before the goroutine that kept it out asked again
// (other_order 1), in one starvation episode (entered and left once, by at
// least one hand-off), and the mutex is left unlocked in normal mode.
void expect_w_first_in_one_starvation_episode(const InstrumentedGoMutex& m, int w_order,
                                              int other_order) {
  EXPECT_EQ(w_order, 0);
  EXPECT_EQ(other_order, 1);
  const GoMutexStats s = m.stats();
  EXPECT_EQ(s.starvation_entries, 1u);
  EXPECT_EQ(s.starvation_exits, 1u);
  EXPECT_GE(s.handoffs, 1u);
  EXPECT_FALSE(m.is_starving());
  EXPECT_FALSE(m.is_locked());
}

// Starvation mode on goroutines: a woken waiter that has waited more than
// 1 ms and finds the mutex taken again switches it to starvation mode as it
// requeues; the next unlock hands ownership to it, and the unlocker, asking
// again, queues behind it. H holds the mutex on one P while W queues; with
// X keeping the other P busy, H's unlock readies W into H's runnext, H
// takes the mutex back at once and parks (on a WaitGroup) holding it, so W
// runs on H's P and finds it held. H unlocks again only once W has parked
// (X, on the other P, sees H's P idle with the mutex starving): W's CAS
// that sets the starving bit comes before W queues on the semaphore, and
// an unlock in that window hands its unit to no queued waiter — the next
// locker takes it, as in Go (semrelease1 adds the unit and finds nobody
// to dequeue). Under qemu with another process busy, that happened in 2 of
// 150 runs when H waited for the starving bit alone.
TEST_F(GoMutexOnGoroutinesTest, AWaiterKeptOutOverAMillisecondStartsStarvationMode) {
  use_procs(2);
  InstrumentedGoMutex m;
  WaitGroup gate;
  gate.add(1);
  std::atomic<bool> h_ready{false}, x_running{false}, x_release{false}, settled{true},
      w_requeued{false};
  std::atomic<int> next_order{0}, w_order{-1}, h_order{-1};
  WaitGroup done;
  done.add(3);
  go([&] {  // H
    // H holds its P across sleeps: its lock()'s safe point must not yield.
    internal::preempt_disable();
    m.lock();
    go([&] {  // W: stolen from H's runnext by the idle P; spins, parks
      m.lock();
      w_order = next_order++;
      m.unlock();
      done.done();
    });
    if (!eventually([&] { return m.waiter_count() == 1 && other_p_idle(); })) settled = false;
    std::this_thread::sleep_for(2ms);  // W's wait now exceeds the 1 ms threshold
    h_ready = true;
    if (!eventually([&] { return x_running.load() && all_ps_busy(); })) settled = false;
    m.unlock();   // W into this P's runnext
    m.lock();     // W has not run: taken back at once
    gate.wait();  // parks holding the mutex: W runs here, finds it held
    m.unlock();   // starvation mode: hands ownership to W
    m.lock();     // and queues behind it
    h_order = next_order++;
    m.unlock();
    internal::preempt_enable();
    done.done();
  });
  ASSERT_TRUE(eventually([&] { return h_ready.load(); }));
  go([&] {  // X: keeps the other P, and sees W park again in starvation mode
    x_running = true;
    // H's P goes idle only once H waits on the gate and W, run there, has
    // switched the mutex to starvation mode and parked on its semaphore.
    if (!eventually([&] { return m.is_starving() && other_p_idle(); })) settled = false;
    w_requeued = true;
    eventually([&] { return x_release.load(); });
    done.done();
  });
  ASSERT_TRUE(eventually([&] { return w_requeued.load(); }));
  x_release = true;
  gate.done();
  done.wait();
  EXPECT_TRUE(settled.load());
  expect_w_first_in_one_starvation_episode(m, w_order.load(), h_order.load());
}

// Starvation mode's hand-off yields to the receiver (Go's semrelease1 with
// handoff: goyield). With one P the record order is the P's run order: U
// holds the mutex while W parks on it, sleeps so that W's wait exceeds
// 1 ms, unlocks (W readied into runnext) and takes it back at once; W then
// runs, finds it held and switches to starvation mode. U's next unlock
// hands ownership to W and yields the P: W records before U continues.
// (preempt_disable() only around unlock/lock, so that a safe point cannot
// let W run between them; the hand-off itself runs with preemption on.)
TEST_F(GoMutexOnGoroutinesTest, AStarvationModeUnlockRunsTheReceiverBeforeTheUnlocker) {
  use_procs(1);
  InstrumentedGoMutex m;
  std::atomic<int> next{0}, w_at{-1}, u_at{-1};
  const uint64_t yields_before = goroutine_stats().local_yields;
  WaitGroup done;
  done.add(2);
  go([&] {  // U
    m.lock();
    go([&] {  // W
      m.lock();
      w_at = next++;
      m.unlock();
      done.done();
    });
    while (m.waiter_count() != 1) gosched();  // W parked (one P: it ran until then)
    sleep_for(2ms);                           // W's wait now exceeds 1 ms
    internal::preempt_disable();
    m.unlock();  // normal mode: W into runnext
    m.lock();    // W has not run: taken back at once
    internal::preempt_enable();
    while (!m.is_starving()) gosched();  // W ran, found it held, requeued starving
    m.unlock();                          // hands ownership to W and yields to it
    u_at = next++;
    done.done();
  });
  done.wait();
  expect_w_first_in_one_starvation_episode(m, w_at.load(), u_at.load());
  EXPECT_EQ(m.stats().handoffs, 1u);
  EXPECT_EQ(goroutine_stats().local_yields - yields_before, 1u);
}

// ---- preemption ----------------------------------------------------------------------
// A goroutine marked for preemption (it held its P for a whole slice)
// yields at the top of lock()'s slow path, before it registers as a waiter
// and parks: with one P, a goroutine queued in the global queue ahead of it
// runs first and sees no park. (Without the safe point the asker would
// register and park first: its sleep reaches no safe point.) Queued globally — started by this
// thread — it runs before the yielded asker, which goes to the back of the same queue.
template <class M>
class GoMutexPreemptionTest : public GoMutexOnGoroutinesTest {};
using SpinningDesigns = ::testing::Types<InstrumentedGoMutex, InstrumentedGoMutex2015>;
TYPED_TEST_SUITE(GoMutexPreemptionTest, SpinningDesigns);

TYPED_TEST(GoMutexPreemptionTest, ASpentSliceYieldsBeforeQueueing) {
  this->use_procs(1);
  TypeParam m;
  m.lock();  // held by this thread: the goroutine's lock() takes the slow path
  std::atomic<int64_t> parks_seen_by_next{-1};
  std::atomic<bool> asker_running{false}, next_started{false}, settled{true};
  WaitGroup done;
  done.add(2);
  go([&] {  // the asker
    asker_running = true;
    // The thread sleeps: the goroutine keeps the only P, which does not
    // switch, until the monitor has marked it.
    if (!eventually([&] { return next_started.load(); })) settled = false;
    if (!eventually([] { return internal::preempt_requested(); })) settled = false;
    m.lock();
    m.unlock();
    done.done();
  });
  ASSERT_TRUE(eventually([&] { return asker_running.load(); }));
  go([&] {  // global queue: runs when the asker yields or parks
    parks_seen_by_next = static_cast<int64_t>(m.stats().parks);
    done.done();
  });
  next_started = true;
  ASSERT_TRUE(eventually([&] { return parks_seen_by_next.load() != -1 && m.stats().parks == 1; }));
  m.unlock();
  done.wait();
  EXPECT_TRUE(settled.load());
  EXPECT_EQ(parks_seen_by_next.load(), 0);
}

// ---- progress ------------------------------------------------------------------------
// Four goroutines on two P's hammer one mutex until each has acquired it,
// counted: the run stops when every party has at least one acquisition, or
// fails after kMaxTotal acquisitions in all. Two of the four start in the
// global queue behind two that never block on their own (they keep
// winning); they run because the winners yield when their slice is spent
// and because a winner that finds the lock held with a woken waiter queued
// on its P parks instead of spinning.
template <class M>
class GoMutexProgressTest : public GoMutexOnGoroutinesTest {};
using ProgressDesigns = ::testing::Types<GoMutex, GoMutex2015, GoRWMutex>;
TYPED_TEST_SUITE(GoMutexProgressTest, ProgressDesigns);

TYPED_TEST(GoMutexProgressTest, FourGoroutinesOnTwoPsEachAcquire) {
  this->use_procs(2);
  constexpr int kParties = 4;
  constexpr uint64_t kMaxTotal = 50'000'000;  // hang guard, in acquisitions
  TypeParam m;
  std::array<uint64_t, kParties> count{};  // each under m
  uint64_t total = 0;                      // under m
  int parties_done = 0;                    // parties with >= 1 acquisition; under m
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> kept{0};
  WaitGroup done;
  done.add(kParties);
  for (int t = 0; t < kParties; ++t) {
    go([&, t] {
      uint64_t sink = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        m.lock();
        if (count[t]++ == 0) ++parties_done;
        ++total;
        for (int i = 0; i < 64; ++i) sink = sink * 31 + static_cast<uint64_t>(i);  // critical work
        if (parties_done == kParties || total >= kMaxTotal)
          stop.store(true, std::memory_order_relaxed);
        m.unlock();
        for (int i = 0; i < 16; ++i) sink = sink * 7 + static_cast<uint64_t>(i);
      }
      kept.fetch_add(sink, std::memory_order_relaxed);  // keeps the work
      done.done();
    });
  }
  done.wait();
  EXPECT_LT(total, kMaxTotal);
  for (int t = 0; t < kParties; ++t) EXPECT_GE(count[t], 1u) << "party " << t;
}

}  // namespace
}  // namespace syncscope
