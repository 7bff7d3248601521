// Tests of syncscope::Sema: counting semantics, timeouts that lose no unit,
// FIFO wake-up order (with and without handoff), lifo queueing, and
// no-lost-wake-up stress. Correctness only: no timing thresholds (the waits
// below are hang guards or "let the other thread run" pauses, never checks).
#include <gtest/gtest.h>
#include <syncscope/internal/sema.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "go_mutex_test_support.h"

namespace syncscope {
namespace {

using namespace std::chrono_literals;

using testing_support::eventually;
using testing_support::SleepProbe;

// Records the order in which threads get through.
class OrderLog {
 public:
  void add(int id) {
    std::lock_guard<std::mutex> g(mu_);
    order_.push_back(id);
  }
  std::vector<int> get() const {
    std::lock_guard<std::mutex> g(mu_);
    return order_;
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> g(mu_);
    return order_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<int> order_;
};

TEST(SemaTest, InitialCountIsAvailable) {
  Sema s(3);
  EXPECT_TRUE(s.try_acquire());
  EXPECT_TRUE(s.try_acquire());
  EXPECT_TRUE(s.try_acquire());
  EXPECT_FALSE(s.try_acquire());
  EXPECT_EQ(s.waiters(), 0u);
}

TEST(SemaTest, DefaultIsEmpty) {
  Sema s;
  EXPECT_FALSE(s.try_acquire());
}

TEST(SemaTest, ReleaseAddsUnitsAcquireTakesThemWithoutBlocking) {
  Sema s;
  s.release();
  s.release(/*handoff=*/true);  // nobody queued: handoff just adds the unit
  s.acquire();
  s.acquire(/*lifo=*/true);
  EXPECT_FALSE(s.try_acquire());
}

TEST(SemaTest, TimeoutReturnsFalseAndLosesNoUnit) {
  Sema s;
  EXPECT_FALSE(s.acquire_for(2ms));
  EXPECT_FALSE(s.acquire_for(0ms));
  EXPECT_FALSE(s.acquire_for(-5ms));
  EXPECT_FALSE(s.acquire_until(std::chrono::steady_clock::now() - 1s));
  EXPECT_FALSE(s.acquire_until(std::chrono::steady_clock::now() + 1ms, /*lifo=*/true));
  EXPECT_EQ(s.waiters(), 0u);  // the timed-out waiters left the queue
  s.release();
  EXPECT_TRUE(s.acquire_for(1h));  // available: returns at once
  EXPECT_FALSE(s.try_acquire());
}

TEST(SemaTest, HugeDurationsDoNotOverflow) {
  Sema s;
  std::atomic<bool> got{false};
  std::thread t([&] { got = s.acquire_for(std::chrono::hours::max()); });
  ASSERT_TRUE(eventually([&] { return s.waiters() == 1; }));
  s.release();
  t.join();
  EXPECT_TRUE(got);
  std::thread t2([&] { got = s.acquire_until(std::chrono::steady_clock::time_point::max()); });
  ASSERT_TRUE(eventually([&] { return s.waiters() == 1; }));
  s.release(/*handoff=*/true);
  t2.join();
  EXPECT_TRUE(got);
}

// A timed acquire racing with a release: either it took the unit, or the
// unit is still there. Run many times with varied timing.
TEST(SemaTest, TimeoutRacingWithReleaseLosesNoUnit) {
  for (int i = 0; i < 300; ++i) {
    Sema s;
    const bool handoff = (i % 2) == 1;
    std::atomic<bool> got{false};
    std::thread t([&] { got = s.acquire_for(std::chrono::microseconds(i % 40)); });
    if (i % 3 != 0) std::this_thread::sleep_for(std::chrono::microseconds(i % 50));
    s.release(handoff);
    t.join();
    if (got) {
      EXPECT_FALSE(s.try_acquire()) << "iteration " << i;
    } else {
      EXPECT_TRUE(s.try_acquire()) << "unit lost at iteration " << i;
      EXPECT_FALSE(s.try_acquire());
    }
    EXPECT_EQ(s.waiters(), 0u);
  }
}

// Starts threads one at a time, each after the previous one is queued, so
// the queue order is the start order; each acquires and logs. "Queued" is
// "asleep", not "s.waiters() went up": waiters() counts a thread before it
// links itself into the queue (see go_mutex_test_support.h).
std::vector<std::thread> queue_in_order(Sema& s, OrderLog& log, const std::vector<int>& ids,
                                        const std::vector<bool>& lifo) {
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto probe = std::make_shared<SleepProbe>();
    threads.emplace_back([&s, &log, probe, id = ids[i], l = lifo[i]] {
      probe->arm();
      s.acquire(l);
      log.add(id);
    });
    EXPECT_TRUE(probe->wait_asleep()) << "waiter " << ids[i] << " never parked";
    EXPECT_EQ(s.waiters(), i + 1);
  }
  return threads;
}

void release_one_by_one(Sema& s, OrderLog& log, std::size_t n, bool handoff) {
  for (std::size_t i = 0; i < n; ++i) {
    s.release(handoff);
    EXPECT_TRUE(eventually([&] { return log.size() == i + 1; }));
  }
}

TEST(SemaTest, HandoffServesWaitersInArrivalOrder) {
  Sema s;
  OrderLog log;
  auto threads = queue_in_order(s, log, {0, 1, 2, 3, 4}, {false, false, false, false, false});
  release_one_by_one(s, log, 5, /*handoff=*/true);
  for (auto& t : threads) t.join();
  EXPECT_EQ(log.get(), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_FALSE(s.try_acquire());  // handed-off units never became available
}

TEST(SemaTest, PlainReleaseWakesWaitersInArrivalOrder) {
  // Without newcomers, the woken head is the only thread looking at the
  // count, so plain releases also serve the queue in FIFO order.
  Sema s;
  OrderLog log;
  auto threads = queue_in_order(s, log, {0, 1, 2, 3}, {false, false, false, false});
  release_one_by_one(s, log, 4, /*handoff=*/false);
  for (auto& t : threads) t.join();
  EXPECT_EQ(log.get(), (std::vector<int>{0, 1, 2, 3}));
}

TEST(SemaTest, LifoWaiterQueuesAtTheHead) {
  Sema s;
  OrderLog log;
  auto threads = queue_in_order(s, log, {0, 1, 2, 3}, {false, false, true, false});
  release_one_by_one(s, log, 4, /*handoff=*/true);
  for (auto& t : threads) t.join();
  EXPECT_EQ(log.get(), (std::vector<int>{2, 0, 1, 3}));
}

// A timed waiter queued between two others times out and leaves; the two
// keep their order. The round counts only if the quitter was still in its
// one sleep (queued) after the third waiter had queued behind it; if its
// deadline came first (a slow or loaded machine), the round is repeated with
// a doubled deadline. The units go only to the two plain waiters.
TEST(SemaTest, TimedOutWaiterLeavesTheQueueInPlace) {
  bool in_the_middle = false;
  std::chrono::milliseconds deadline(200);
  for (int attempt = 0; attempt < 10 && !in_the_middle; ++attempt, deadline *= 2) {
    Sema s;
    OrderLog log;
    std::vector<std::thread> threads;
    auto first = std::make_shared<SleepProbe>();
    threads.emplace_back([&s, &log, first] {
      first->arm();
      s.acquire();
      log.add(0);
    });
    ASSERT_TRUE(first->wait_asleep());
    std::atomic<bool> timed_out{false};
    std::atomic<bool> quitter_returned{false};
    auto quitter_probe = std::make_shared<SleepProbe>();
    std::thread quitter([&s, &timed_out, &quitter_returned, quitter_probe, deadline] {
      quitter_probe->arm();
      timed_out = !s.acquire_until(std::chrono::steady_clock::now() + deadline);
      quitter_returned = true;
    });
    ASSERT_TRUE(eventually([&] { return quitter_returned.load() || quitter_probe->asleep(); }));
    if (!quitter_returned.load()) {
      auto last = std::make_shared<SleepProbe>();
      threads.emplace_back([&s, &log, last] {
        last->arm();
        s.acquire();
        log.add(2);
      });
      ASSERT_TRUE(eventually([&] {
        return !quitter_probe->still_in_same_sleep() || last->asleep();
      }));
      // Queued behind a quitter that is still queued now (it never woke).
      in_the_middle = quitter_probe->still_in_same_sleep();
    }
    quitter.join();  // times out: nothing was released
    EXPECT_TRUE(timed_out);
    if (in_the_middle) {
      EXPECT_EQ(s.waiters(), 2u) << "the timed-out waiter left";
      release_one_by_one(s, log, 2, /*handoff=*/true);
      for (auto& t : threads) t.join();
      EXPECT_EQ(log.get(), (std::vector<int>{0, 2}));
    } else {
      for (std::size_t i = 0; i < threads.size(); ++i) s.release(/*handoff=*/true);
      for (auto& t : threads) t.join();
    }
    EXPECT_EQ(s.waiters(), 0u);
    EXPECT_FALSE(s.try_acquire());
  }
  EXPECT_TRUE(in_the_middle) << "the timed waiter always timed out before a third one queued";
}

// The documented barging: a plain release wakes the head, but a thread that
// is running may take the unit first; the woken waiter then queues again
// and is served by a later release. Whoever wins, no unit and no waiter is
// lost.
TEST(SemaTest, WokenWaiterThatLosesToANewcomerIsServedLater) {
  for (int i = 0; i < 100; ++i) {
    Sema s;
    std::atomic<bool> waiter_done{false};
    std::thread waiter([&] {
      s.acquire();
      waiter_done = true;
    });
    ASSERT_TRUE(eventually([&] { return s.waiters() == 1; }));
    s.release();
    const bool newcomer_won = s.try_acquire();
    if (newcomer_won) s.release();  // the loser must still get this one
    waiter.join();
    EXPECT_TRUE(waiter_done);
    EXPECT_FALSE(s.try_acquire());
    EXPECT_EQ(s.waiters(), 0u);
  }
}

// Many threads, more than the CPUs, use a 2-unit semaphore as a 2-holder
// lock. Any lost wake-up would hang the test; over-admission would show in
// `inside`.
TEST(SemaTest, StressNoLostWakeupAndNoOverAdmission) {
  constexpr int kThreads = 12;
  constexpr int kIters = 1500;
  constexpr uint32_t kUnits = 2;
  Sema s(kUnits);
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIters; ++i) {
        const bool lifo = ((i + t) % 5) == 0;
        if ((i % 7) == 3) {
          while (!s.acquire_for(std::chrono::microseconds(50 + (t * 13) % 100), lifo)) {
          }
        } else {
          s.acquire(lifo);
        }
        const int now = inside.fetch_add(1) + 1;
        int seen = max_inside.load();
        while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
        }
        if ((i % 64) == 0) std::this_thread::yield();
        inside.fetch_sub(1);
        s.release(/*handoff=*/((i + t) % 3) == 0);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(max_inside.load(), static_cast<int>(kUnits));
  EXPECT_EQ(s.waiters(), 0u);
  for (uint32_t u = 0; u < kUnits; ++u) EXPECT_TRUE(s.try_acquire());
  EXPECT_FALSE(s.try_acquire());
}

// Producers release a bounded total; consumers acquire the same total. The
// run completes only if no wake-up is lost.
TEST(SemaTest, StressProducersConsumersCompleteExactly) {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 6;
  constexpr int kTotal = 12000;
  Sema s;
  std::atomic<int> consumed{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&, c] {
      for (int i = c; i < kTotal; i += kConsumers) {
        s.acquire((i % 4) == 0);
        consumed.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = p; i < kTotal; i += kProducers) {
        s.release((i % 2) == 0);
        if ((i % 100) == 0) std::this_thread::yield();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(consumed.load(), kTotal);
  EXPECT_FALSE(s.try_acquire());
  EXPECT_EQ(s.waiters(), 0u);
}

// Data written before release() is visible after the matching acquire().
TEST(SemaTest, ReleaseHappensBeforeAcquire) {
  for (const bool handoff : {false, true}) {
    Sema s;
    int payload = 0;  // plain memory: ThreadSanitizer checks the ordering
    std::thread consumer([&] {
      s.acquire();
      EXPECT_EQ(payload, 42);
    });
    if (handoff) {
      ASSERT_TRUE(eventually([&] { return s.waiters() == 1; }));
    }
    payload = 42;
    s.release(handoff);
    consumer.join();
  }
}

// The thread that takes a released unit may destroy the Sema at once (the
// C++ rule for mutexes): the releaser must not touch the object after it
// published the unit. Under TSan/ASan a violation shows as use-after-free.
TEST(SemaLifetime, TakerMayDestroyRightAfterRelease) {
  for (int round = 0; round < 300; ++round) {
    const bool handoff = round % 2 == 1;
    auto* s = new Sema(0);
    std::atomic<bool> parked{false};
    std::thread taker([&] {
      parked.store(true);
      s->acquire();
      delete s;  // legal: the unit is ours and nobody else waits
    });
    while (!parked.load()) std::this_thread::yield();
    if (round % 3 == 0) std::this_thread::yield();
    s->release(handoff);
    taker.join();
  }
}

}  // namespace
}  // namespace syncscope
