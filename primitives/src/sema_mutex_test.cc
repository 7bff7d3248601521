// Tests of SemaMutex (syncscope/sema_mutex.h): Go's fatal error on unlock of
// an unlocked mutex, timed locking, and wake-ups of parked waiters. (The
// common Lockable behaviour is covered by locks_test's typed suite.)

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <syncscope/sema_mutex.h>

#include "go_mutex_test_support.h"

namespace syncscope {
namespace {

using namespace std::chrono_literals;

using testing_support::use_safe_death_test_style;

// Death tests first (gtest runs *DeathTest suites first), while the process
// has no thread of the tests' own.
TEST(SemaMutexDeathTest, UnlockOfUnlockedIsFatal) {
  use_safe_death_test_style();
  EXPECT_DEATH(
      {
        SemaMutex m;
        m.unlock();
      },
      "fatal error: sync: unlock of unlocked mutex");
}

TEST(SemaMutexDeathTest, DoubleUnlockIsFatal) {
  use_safe_death_test_style();
  EXPECT_DEATH(
      {
        SemaMutex m;
        m.lock();
        m.unlock();
        m.unlock();
      },
      "fatal error: sync: unlock of unlocked mutex");
}

TEST(SemaMutexTest, IsLocked) {
  SemaMutex m;
  EXPECT_FALSE(m.is_locked());
  m.lock();
  EXPECT_TRUE(m.is_locked());
  EXPECT_FALSE(m.try_lock());
  m.unlock();
  EXPECT_FALSE(m.is_locked());
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST(SemaMutexTest, TimedLockTimesOutWhileHeldAndSucceedsWhenFree) {
  SemaMutex m;
  m.lock();
  std::thread([&] {
    EXPECT_FALSE(m.try_lock_for(20ms));
    EXPECT_FALSE(m.try_lock_until(std::chrono::steady_clock::now() + 5ms));
    EXPECT_FALSE(m.try_lock_for(0ms));
  }).join();
  EXPECT_EQ(m.waiters(), 0u) << "a timed-out waiter left the queue";
  EXPECT_TRUE(m.is_locked());
  // A waiter parked with a long timeout gets the mutex when it is released.
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    got = m.try_lock_for(60s);
    if (got) m.unlock();
  });
  while (m.waiters() == 0) std::this_thread::yield();
  m.unlock();
  waiter.join();
  EXPECT_TRUE(got.load());
  std::unique_lock<SemaMutex> ul(m, 1s);  // TimedLockable
  EXPECT_TRUE(ul.owns_lock());
}

// Every release wakes a parked waiter: with all waiters parked before the
// release, everyone gets through (no lost wake-up), round after round.
TEST(SemaMutexTest, ParkedWaitersAllGetThrough) {
  constexpr int kWaiters = 4;
  constexpr int kRounds = 10;
  SemaMutex m;
  for (int round = 0; round < kRounds; ++round) {
    int64_t counter = 0;  // guarded by m
    m.lock();
    std::vector<std::thread> threads;
    for (int i = 0; i < kWaiters; ++i) {
      threads.emplace_back([&] {
        std::lock_guard<SemaMutex> g(m);
        ++counter;
      });
    }
    while (m.waiters() != kWaiters) std::this_thread::yield();
    m.unlock();
    for (auto& t : threads) t.join();
    EXPECT_EQ(counter, kWaiters);
    EXPECT_FALSE(m.is_locked());
  }
}

// Go allows unlock by a goroutine other than the locker.
TEST(SemaMutexTest, UnlockByAnotherThreadWakesWaiter) {
  SemaMutex m;
  std::thread([&] { m.lock(); }).join();
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    m.lock();
    got = true;
    m.unlock();
  });
  while (m.waiters() == 0) std::this_thread::yield();
  m.unlock();
  waiter.join();
  EXPECT_TRUE(got.load());
}

}  // namespace
}  // namespace syncscope
