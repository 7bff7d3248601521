// Tests of syncscope::Cond / BasicCond / NotifyList: the seed's example (ten
// runners waiting for the start signal), Go's semantics (a broadcast with no
// waiter is not remembered, signal wakes the oldest waiter, broadcast wakes
// exactly the current waiters), any Lockable, destruction right after the
// wake-up, misuse (wait without the lock), and no lost wake-ups under
// stress. Correctness only: no timing thresholds (waits are hang guards).
#include <syncscope/cond.h>

#include <gtest/gtest.h>
#include <syncscope/go_mutex.h>

#include "go_mutex_test_support.h"

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace syncscope {
namespace {

using testing_support::eventually;

static_assert(!std::is_copy_constructible_v<Cond> && !std::is_move_constructible_v<Cond>,
              "Go: a Cond must not be copied after first use");
static_assert(!std::is_copy_assignable_v<Cond> && !std::is_move_assignable_v<Cond>);
static_assert(!std::is_copy_constructible_v<BasicCond<GoMutex>> &&
              !std::is_move_constructible_v<BasicCond<GoMutex>>);

using testing_support::use_safe_death_test_style;

// The seed's example: ten runners take the lock, report ready, and wait for
// the start signal; the referee's early ("false") broadcast wakes nobody; once
// all ten are ready the referee sets isReady under the lock and broadcasts.
TEST(CondTest, SeedTenRunnersWaitForTheStartSignal) {
  GoMutex m;
  BasicCond<GoMutex> c(m);
  Sema ready;  // the seed's `ready` channel: one unit per ready runner
  bool is_ready = false;  // guarded by m
  std::atomic<int> started{0};
  std::vector<std::thread> runners;
  for (int i = 0; i < 10; ++i) {
    runners.emplace_back([&] {
      m.lock();
      ready.release();  // runner i is ready
      while (!is_ready) c.wait();
      started.fetch_add(1);
      m.unlock();
    });
  }
  c.broadcast();  // false broadcast: nobody may be waiting yet; no effect later
  for (int i = 0; i < 10; ++i) ready.acquire();  // the referee checks all runners
  EXPECT_EQ(started.load(), 0);
  m.lock();
  is_ready = true;  // the starting gun
  c.broadcast();
  m.unlock();
  for (auto& t : runners) t.join();
  EXPECT_EQ(started.load(), 10);
  EXPECT_EQ(c.waiter_count(), 0u);
}

// A broadcast (or signal) issued while nobody waits is not remembered: a later
// waiter keeps waiting until a later notification.
TEST(CondTest, NotificationWithoutWaitersIsNotRemembered) {
  GoMutex m;
  Cond c;
  c.broadcast();
  c.signal();
  std::atomic<bool> returned{false};
  std::thread t([&] {
    std::lock_guard<GoMutex> g(m);
    c.wait(m);
    returned = true;
  });
  ASSERT_TRUE(eventually([&] { return c.waiter_count() == 1; }));
  {
    // The waiter has its ticket and has released m; holding m here proves it
    // is inside wait(), and nothing has notified its ticket.
    std::lock_guard<GoMutex> g(m);
    EXPECT_FALSE(returned.load());
    EXPECT_EQ(c.waiter_count(), 1u);
  }
  c.signal();
  t.join();
  EXPECT_TRUE(returned.load());
}

// Waiters that took their tickets in order 0, 1, 2, 3 are woken in that
// order by successive signals, one per signal.
TEST(CondTest, SignalWakesTheOldestWaiterFirst) {
  GoMutex m;
  Cond c;
  std::vector<int> order;  // guarded by m
  std::vector<std::thread> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.emplace_back([&, i] {
      std::lock_guard<GoMutex> g(m);
      c.wait(m);
      order.push_back(i);
    });
    // Start the next one only once this one holds its ticket.
    ASSERT_TRUE(eventually([&] { return c.waiter_count() == static_cast<uint32_t>(i + 1); }));
  }
  for (int i = 0; i < 4; ++i) {
    c.signal();
    EXPECT_EQ(c.waiter_count(), static_cast<uint32_t>(3 - i)) << "one ticket per signal";
    ASSERT_TRUE(eventually([&] {
      std::lock_guard<GoMutex> g(m);
      return order.size() == static_cast<std::size_t>(i + 1);
    }));
  }
  for (auto& t : waiters) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

// broadcast() wakes every current waiter and none that arrives afterwards.
TEST(CondTest, BroadcastWakesCurrentWaitersOnly) {
  GoMutex m;
  Cond c;
  std::atomic<int> woken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back([&] {
      std::lock_guard<GoMutex> g(m);
      c.wait(m);
      woken.fetch_add(1);
    });
  }
  ASSERT_TRUE(eventually([&] { return c.waiter_count() == 3; }));
  c.broadcast();
  EXPECT_EQ(c.waiter_count(), 0u);
  for (auto& t : waiters) t.join();
  EXPECT_EQ(woken.load(), 3);

  std::thread late([&] {
    std::lock_guard<GoMutex> g(m);
    c.wait(m);
    woken.fetch_add(1);
  });
  ASSERT_TRUE(eventually([&] { return c.waiter_count() == 1; }));
  EXPECT_EQ(woken.load(), 3);
  c.signal();
  late.join();
  EXPECT_EQ(woken.load(), 4);
}

// Any Lockable: std::mutex through std::unique_lock, and the predicate form.
TEST(CondTest, WorksWithStdUniqueLockAndPredicate) {
  std::mutex m;
  Cond c;
  int value = 0;  // guarded by m
  std::thread t([&] {
    std::unique_lock<std::mutex> lk(m);
    c.wait(lk, [&] { return value == 3; });
    EXPECT_TRUE(lk.owns_lock());
    value = 4;
    c.signal();
  });
  for (int i = 1; i <= 3; ++i) {
    std::lock_guard<std::mutex> g(m);
    value = i;
    c.signal();  // the waiter re-checks its predicate each time
  }
  {
    std::unique_lock<std::mutex> lk(m);
    c.wait(lk, [&] { return value == 4; });
  }
  t.join();
  EXPECT_EQ(value, 4);
}

// NotifyList on its own: a ticket notified before its wait() returns at once.
TEST(CondTest, NotifyListTicketNotifiedBeforeWaitReturnsImmediately) {
  NotifyList list;
  const uint32_t t0 = list.add();
  const uint32_t t1 = list.add();
  EXPECT_EQ(list.pending(), 2u);
  list.notify_one();  // notifies t0 (nobody parked yet)
  EXPECT_EQ(list.pending(), 1u);
  detail::ParkerLease p;
  list.wait(t0, p.get());  // returns: already notified
  list.notify_all();
  list.wait(t1, p.get());
  EXPECT_EQ(list.pending(), 0u);
}

// The waiter may destroy the Cond as soon as it returns, while the notifier
// may still be inside broadcast()/signal() waking others: the notifier
// touches only per-thread parkers after its list lock is released.
// (Use-after-free here would be reported by the sanitizer builds.)
TEST(CondTest, CondMayBeDestroyedByTheWokenWaiter) {
  for (int round = 0; round < 200; ++round) {
    auto* m = new GoMutex;
    auto* c = new Cond;
    std::atomic<int> phase{0};
    std::thread waiter([&] {
      m->lock();
      phase = 1;
      c->wait(*m);
      m->unlock();
      delete c;  // the last user of c
      delete m;
    });
    ASSERT_TRUE(eventually([&] { return phase.load() == 1; }));
    // Taking m proves the waiter holds its ticket and released m.
    m->lock();
    m->unlock();
    if (round % 2 == 0) {
      c->broadcast();
    } else {
      c->signal();
    }
    waiter.join();
  }
}

// Misuse: wait() without holding the lock unlocks an unlocked GoMutex, Go's
// fatal error.
TEST(CondDeathTest, WaitWithoutHoldingTheLockIsFatal) {
  use_safe_death_test_style();
  EXPECT_DEATH(
      {
        GoMutex m;
        Cond c;
        c.wait(m);
      },
      "fatal error: sync: unlock of unlocked mutex");
}

// Stress: a bounded buffer with signal() only (the setting where a lost
// wake-up hangs): producers and consumers of a counted stream; every item
// arrives exactly once and nobody hangs.
TEST(CondTest, BoundedBufferWithSignalLosesNoWakeUp) {
  constexpr int kProducers = 3;
  constexpr int kConsumers = 3;
  constexpr int kItemsPerProducer = 2000;
  constexpr std::size_t kCapacity = 4;
  GoMutex m;
  Cond not_empty;
  Cond not_full;
  std::deque<int> buffer;  // guarded by m
  int producers_left = kProducers;  // guarded by m
  std::atomic<long long> sum{0};
  std::atomic<int> received{0};

  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 1; i <= kItemsPerProducer; ++i) {
        std::lock_guard<GoMutex> g(m);
        not_full.wait(m, [&] { return buffer.size() < kCapacity; });
        buffer.push_back(p * kItemsPerProducer + i);
        not_empty.signal();
      }
      std::lock_guard<GoMutex> g(m);
      if (--producers_left == 0) not_empty.broadcast();  // end of stream
    });
  }
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&] {
      for (;;) {
        std::lock_guard<GoMutex> g(m);
        not_empty.wait(m, [&] { return !buffer.empty() || producers_left == 0; });
        if (buffer.empty()) return;
        sum.fetch_add(buffer.front());
        received.fetch_add(1);
        buffer.pop_front();
        not_full.signal();
      }
    });
  }
  for (auto& t : threads) t.join();
  constexpr long long kN = static_cast<long long>(kProducers) * kItemsPerProducer;
  EXPECT_EQ(received.load(), kN);
  EXPECT_EQ(sum.load(), kN * (kN + 1) / 2);
}

// Stress: two threads hand a turn back and forth with signal(); each hand-off
// must wake the other exactly when needed.
TEST(CondTest, PingPongWithSignal) {
  constexpr int kRounds = 3000;
  GoMutex m;
  BasicCond<GoMutex> c(m);
  int turn = 0;  // guarded by m; even: ping's turn, odd: pong's
  auto player = [&](int parity) {
    for (int i = 0; i < kRounds; ++i) {
      std::lock_guard<GoMutex> g(m);
      c.wait([&] { return turn % 2 == parity; });
      ++turn;
      c.signal();
    }
  };
  std::thread ping(player, 0);
  std::thread pong(player, 1);
  ping.join();
  pong.join();
  EXPECT_EQ(turn, 2 * kRounds);
}

// Stress: repeated broadcast rounds with several waiters, each round gated by
// a generation number (waiters re-wait for the next generation).
TEST(CondTest, RepeatedBroadcastRounds) {
  constexpr int kWaiters = 4;
  constexpr int kRounds = 300;
  GoMutex m;
  Cond c;
  int generation = 0;  // guarded by m
  int arrived = 0;     // guarded by m
  Cond all_arrived;
  std::vector<std::thread> waiters;
  for (int w = 0; w < kWaiters; ++w) {
    waiters.emplace_back([&] {
      for (int r = 0; r < kRounds; ++r) {
        std::lock_guard<GoMutex> g(m);
        if (++arrived == kWaiters) all_arrived.signal();
        c.wait(m, [&] { return generation > r; });
      }
    });
  }
  for (int r = 0; r < kRounds; ++r) {
    std::lock_guard<GoMutex> g(m);
    all_arrived.wait(m, [&] { return arrived == kWaiters; });
    arrived = 0;
    ++generation;
    c.broadcast();
  }
  for (auto& t : waiters) t.join();
  EXPECT_EQ(generation, kRounds);
}

}  // namespace
}  // namespace syncscope
