// Tests of syncscope::WaitGroup: the seed's examples (count with N workers,
// reuse after Wait returned, several Waits), each pitfall the seed shows
// with the interleaving forced so the outcome is deterministic (Add inside
// the worker, an extra Done, Add concurrent with Wait, reuse before Wait
// returned), Go's panic messages, the state-word layout, destruction right
// after wait(), the memory-model rule, and a stress test. Correctness only:
// no timing thresholds.
#include <syncscope/wait_group.h>

#include <gtest/gtest.h>

#include "go_mutex_test_support.h"

#include <atomic>
#include <functional>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace syncscope {
namespace {

using testing_support::eventually;

static_assert(!std::is_copy_constructible_v<WaitGroup> && !std::is_move_constructible_v<WaitGroup>,
              "Go: a WaitGroup must not be copied after first use (noCopy)");
static_assert(!std::is_copy_assignable_v<WaitGroup> && !std::is_move_assignable_v<WaitGroup>);
static_assert(WaitGroup::kCounterShift == 32 && WaitGroup::kWaiterMask == 0xffffffffu,
              "counter in the high half, waiters in the low half");

// Test seam: lets a test stop a thread at the two points where Go checks
// for misuse. Each hook runs once (the function is taken out when it runs).
struct TestHooks {
  static inline std::function<void()> on_counter_zeroed;
  static inline std::function<void()> on_waiter_woken;
  static void counter_zeroed() noexcept {
    if (on_counter_zeroed) std::exchange(on_counter_zeroed, nullptr)();
  }
  static void waiter_woken() noexcept {
    if (on_waiter_woken) std::exchange(on_waiter_woken, nullptr)();
  }
};
using HookedWaitGroup = BasicWaitGroup<TestHooks>;

// The seed's first example (10000 goroutines there; fewer threads here):
// Add before starting each worker, Done in it, Wait in main.
TEST(WaitGroupTest, SeedAddBeforeStartingEachWorker) {
  constexpr int kWorkers = 200;
  WaitGroup wg;
  std::atomic<int64_t> count{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < kWorkers; ++i) {
    wg.add(1);
    workers.emplace_back([&] {
      count.fetch_add(1);
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(count.load(), kWorkers);
  for (auto& t : workers) t.join();
}

// The seed's "reusable under conditions" example: Add(10) ... Wait, then
// Add(20) ... Wait on the same WaitGroup.
TEST(WaitGroupTest, SeedReuseAfterWaitReturned) {
  WaitGroup wg;
  std::atomic<int64_t> count{0};
  std::vector<std::thread> workers;
  wg.add(10);
  for (int i = 0; i < 10; ++i) {
    workers.emplace_back([&] {
      count.fetch_add(1);
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(count.load(), 10);
  wg.add(20);
  for (int i = 0; i < 20; ++i) {
    workers.emplace_back([&] {
      count.fetch_add(1);
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(count.load(), 30);
  for (auto& t : workers) t.join();
}

// The seed's "several Waits": the second Wait returns at once.
TEST(WaitGroupTest, SeedSecondWaitReturnsAtOnce) {
  WaitGroup wg;
  std::atomic<int64_t> count{0};
  std::vector<std::thread> workers;
  wg.add(10);
  for (int i = 0; i < 10; ++i) {
    workers.emplace_back([&] {
      count.fetch_add(1);
      wg.done();
    });
  }
  wg.wait();
  wg.wait();
  EXPECT_EQ(count.load(), 10);
  EXPECT_EQ(wg.counter(), 0);
  for (auto& t : workers) t.join();
}

// Several threads waiting at once are all released by the last done().
TEST(WaitGroupTest, AllWaitersAreReleased) {
  WaitGroup wg;
  wg.add(1);
  std::atomic<int> returned{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 5; ++i) {
    waiters.emplace_back([&] {
      wg.wait();
      returned.fetch_add(1);
    });
  }
  ASSERT_TRUE(eventually([&] { return wg.waiters() == 5; }));
  EXPECT_EQ(returned.load(), 0);
  wg.done();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(returned.load(), 5);
  EXPECT_EQ(wg.waiters(), 0u);
}

// Pitfall (the seed's second program): Add inside the worker. Wait can run
// before any worker has called Add; it sees counter 0 and returns while the
// workers have not even started. Forced here: the workers are held at a
// latch before their Add.
TEST(WaitGroupTest, PitfallAddInsideTheWorkerLetsWaitReturnEarly) {
  constexpr int kWorkers = 8;
  WaitGroup wg;
  std::atomic<int64_t> count{0};
  std::latch go(1);
  std::vector<std::thread> workers;
  for (int i = 0; i < kWorkers; ++i) {
    workers.emplace_back([&] {
      go.wait();  // the scheduler happened not to run us before main's Wait
      wg.add(1);
      count.fetch_add(1);
      wg.done();
    });
  }
  wg.wait();  // returns: the counter is still 0
  EXPECT_EQ(count.load(), 0) << "Wait returned before any worker ran";
  go.count_down();
  for (auto& t : workers) t.join();
  EXPECT_EQ(count.load(), kWorkers);  // they ran later, unobserved by Wait
}

// Pitfall (the seed's "several Dones"): an extra Done in main. The counter
// reaches 0 one worker early, so Wait returns while a worker is still
// running; that worker's Done then drives the counter negative: Go panics
// "sync: negative WaitGroup counter" in the worker.
TEST(WaitGroupTest, PitfallExtraDoneReleasesWaitEarlyThenPanics) {
  constexpr int kWorkers = 10;
  WaitGroup wg;
  std::atomic<int64_t> count{0};
  std::latch first_nine(1);
  std::latch last_one(1);
  std::string panic_message;
  std::vector<std::thread> workers;
  wg.add(kWorkers);
  for (int i = 0; i < kWorkers; ++i) {
    workers.emplace_back([&, i] {
      (i < kWorkers - 1 ? first_nine : last_one).wait();
      count.fetch_add(1);
      try {
        wg.done();
      } catch (const SyncPanic& e) {
        panic_message = e.what();  // read by main after join
      }
    });
  }
  wg.done();  // the extra Done
  first_nine.count_down();
  wg.wait();  // returns after nine workers: the tenth is still held
  EXPECT_EQ(count.load(), kWorkers - 1) << "Wait returned with a worker still running";
  last_one.count_down();
  for (auto& t : workers) t.join();
  EXPECT_EQ(panic_message, kNegativeWaitGroupCounter);
  EXPECT_EQ(wg.counter(), -1) << "the counter stays negative, as in Go";
}

TEST(WaitGroupTest, NegativeCounterThrowsWithGosMessage) {
  WaitGroup wg;
  try {
    wg.add(-1);
    FAIL() << "no exception";
  } catch (const SyncPanic& e) {
    EXPECT_STREQ(e.what(), "sync: negative WaitGroup counter");
  }
  WaitGroup wg2;
  wg2.add(2);
  wg2.done();
  wg2.done();
  EXPECT_THROW(wg2.done(), SyncPanic);
  // SyncPanic is a std::logic_error, as the exception family promises.
  WaitGroup wg3;
  EXPECT_THROW(wg3.add(-5), std::logic_error);
}

// Pitfall (the seed's "Wait and Add called concurrently"): an Add(1) that
// lands while the last Done of the previous round is releasing its waiters.
// Go panics "sync: WaitGroup misuse: Add called concurrently with Wait" —
// here in both threads, since the releaser's sanity check also sees the
// state change. Forced: the Add runs inside the releaser's window.
TEST(WaitGroupTest, PitfallAddConcurrentWithWaitIsDetected) {
  HookedWaitGroup wg;
  wg.add(1);
  std::thread waiter([&] { wg.wait(); });
  ASSERT_TRUE(eventually([&] { return wg.waiters() == 1; }));

  std::string add_message;
  TestHooks::on_counter_zeroed = [&] {
    // The releaser saw counter 0 with one waiter and has not reset the state
    // yet: a new round's Add lands now.
    std::thread adder([&] {
      try {
        wg.add(1);
      } catch (const SyncPanic& e) {
        add_message = e.what();
      }
    });
    adder.join();
  };
  std::string done_message;
  try {
    wg.done();
  } catch (const SyncPanic& e) {
    done_message = e.what();
  }
  EXPECT_EQ(add_message, kWaitGroupMisuse);
  EXPECT_EQ(done_message, kWaitGroupMisuse);
  EXPECT_EQ(wg.counter(), 1);
  EXPECT_EQ(wg.waiters(), 1u);

  // Undo the stray Add; this Done releases the waiter normally.
  wg.done();
  waiter.join();
  EXPECT_EQ(wg.counter(), 0);
}

// Pitfall (the seed's last program): the worker calls Done and then Add(1)
// for the next round while main's Wait has been woken but has not returned.
// Go panics in Wait: "sync: WaitGroup is reused before previous Wait has
// returned". Forced: main is held right after its wake-up until the worker's
// Add has happened.
TEST(WaitGroupTest, PitfallReuseBeforeWaitReturnedIsDetected) {
  HookedWaitGroup wg;
  wg.add(1);
  std::latch added(1);
  TestHooks::on_waiter_woken = [&] { added.wait(); };
  std::thread worker([&] {
    ASSERT_TRUE(eventually([&] { return wg.waiters() == 1; }));
    wg.done();   // wakes main
    wg.add(1);   // ... and re-arms before main's Wait returned
    added.count_down();
  });
  std::string message;
  try {
    wg.wait();
  } catch (const SyncPanic& e) {
    message = e.what();
  }
  worker.join();
  EXPECT_EQ(message, kWaitGroupReused);
  EXPECT_EQ(wg.counter(), 1);
  wg.done();
}

// The C++ scoped pattern: the WaitGroup dies right after wait() returns,
// while the releasing thread may still be inside its release loop. (A
// use-after-free here would be reported by the sanitizer builds.)
TEST(WaitGroupTest, MayBeDestroyedRightAfterWaitReturns) {
  for (int round = 0; round < 300; ++round) {
    auto wg = std::make_unique<WaitGroup>();
    wg->add(2);
    std::thread a([p = wg.get()] { p->done(); });
    std::thread b([p = wg.get(), round] {
      if (round % 2 == 0) std::this_thread::yield();
      p->done();
    });
    wg->wait();
    wg.reset();
    a.join();
    b.join();
  }
}

// Memory model (the seed's rule): the Adds/Dones that bring the counter to 0
// happen-before Wait's return. Plain (non-atomic) writes by the workers are
// read after wait(): ThreadSanitizer reports a race if the edge is missing.
TEST(WaitGroupTest, DoneHappensBeforeWaitReturns) {
  constexpr int kWorkers = 6;
  for (int round = 0; round < 50; ++round) {
    WaitGroup wg;
    std::vector<int> results(kWorkers, 0);  // plain ints, one per worker
    std::vector<std::thread> workers;
    wg.add(kWorkers);
    for (int i = 0; i < kWorkers; ++i) {
      workers.emplace_back([&, i] {
        results[i] = i * i + round;
        wg.done();
      });
    }
    wg.wait();
    for (int i = 0; i < kWorkers; ++i) EXPECT_EQ(results[i], i * i + round);
    for (auto& t : workers) t.join();
  }
}

// Stress: rounds of workers and several waiters on one reused WaitGroup (each
// round starts only after every wait of the previous round returned).
TEST(WaitGroupTest, StressRoundsWithSeveralWaiters) {
  constexpr int kRounds = 150;
  constexpr int kWorkers = 4;
  constexpr int kWaiters = 3;
  WaitGroup wg;
  std::atomic<int> done_in_round{0};
  for (int r = 0; r < kRounds; ++r) {
    done_in_round = 0;
    wg.add(kWorkers);
    std::vector<std::thread> threads;
    std::atomic<int> bad{0};
    for (int w = 0; w < kWaiters; ++w) {
      threads.emplace_back([&] {
        wg.wait();
        if (done_in_round.load() != kWorkers) bad.fetch_add(1);
      });
    }
    for (int i = 0; i < kWorkers; ++i) {
      threads.emplace_back([&] {
        done_in_round.fetch_add(1);
        wg.done();
      });
    }
    wg.wait();
    for (auto& t : threads) t.join();
    ASSERT_EQ(bad.load(), 0) << "a waiter returned before every Done, round " << r;
    ASSERT_EQ(wg.counter(), 0);
    ASSERT_EQ(wg.waiters(), 0u);
  }
}

}  // namespace
}  // namespace syncscope
