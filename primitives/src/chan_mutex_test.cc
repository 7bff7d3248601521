// Tests of the seed's channel mutexes (syncscope/chan_mutex.h): the
// Lockable/TimedLockable contract, mutual exclusion (plain counters, checked
// by TSan), FIFO hand-over to waiters, is_locked, and the "unlock of
// unlocked mutex" panic. Typed over both variants.
#include <syncscope/chan_mutex.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chan_test_support.h"

namespace syncscope {
namespace {

using namespace std::chrono_literals;
using chan_testing::eventually;
using chan_testing::scaled;
using chan_testing::Threads;

template <class M>
class ChanMutexTest : public ::testing::Test {};
using Mutexes = ::testing::Types<TokenChanMutex, SlotChanMutex>;
TYPED_TEST_SUITE(ChanMutexTest, Mutexes);

TYPED_TEST(ChanMutexTest, LockUnlockTryLockIsLocked) {
  TypeParam m;
  EXPECT_FALSE(m.is_locked());
  m.lock();
  EXPECT_TRUE(m.is_locked());
  EXPECT_FALSE(m.try_lock());
  m.unlock();
  EXPECT_FALSE(m.is_locked());
  EXPECT_TRUE(m.try_lock());
  EXPECT_TRUE(m.is_locked());
  m.unlock();
}

TYPED_TEST(ChanMutexTest, TryLockWithTimeout) {
  TypeParam m;
  EXPECT_TRUE(m.try_lock_for(1h));  // free: at once
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(m.try_lock_for(20ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);  // not before the deadline
  EXPECT_FALSE(m.try_lock_until(std::chrono::system_clock::now() + 1ms));
  // A holder that unlocks while we wait lets the timed lock succeed.
  Threads threads;
  std::atomic<bool> got{false};
  threads.spawn([&] { got = m.try_lock_for(1h); });
  std::this_thread::sleep_for(2ms);
  m.unlock();
  threads.join();
  EXPECT_TRUE(got.load());
  m.unlock();
}

TYPED_TEST(ChanMutexTest, UnlockOfUnlockedPanics) {
  TypeParam m;
  try {
    m.unlock();
    ADD_FAILURE() << "expected ChanPanic";
  } catch (const ChanPanic& e) {
    EXPECT_EQ(std::string(e.what()), "unlock of unlocked mutex");
  }
  m.lock();
  m.unlock();
  EXPECT_THROW(m.unlock(), ChanPanic);
  EXPECT_FALSE(m.is_locked());  // the failed unlock changed nothing
}

TYPED_TEST(ChanMutexTest, MutualExclusionWithStdLockTypes) {
  TypeParam m;
  long counter = 0;  // plain: a missing happens-before edge is a TSan race
  const int per_thread = scaled(3000);
  Threads threads;
  for (int t = 0; t < 4; ++t) {
    threads.spawn([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        if (t % 2 == 0) {
          std::lock_guard<TypeParam> g(m);
          ++counter;
        } else {
          std::unique_lock<TypeParam> g(m, std::defer_lock);
          while (!g.try_lock_for(1ms)) {
          }
          ++counter;
        }
      }
    });
  }
  threads.join();
  EXPECT_EQ(counter, 4L * per_thread);
  std::scoped_lock both(m);
  EXPECT_TRUE(m.is_locked());
}

TYPED_TEST(ChanMutexTest, WaitersGetTheMutexInArrivalOrder) {
  // The channel's FIFO queues make the mutex fair: each unlock hands it to
  // the oldest waiter.
  TypeParam m;
  m.lock();
  std::vector<int> order;
  Threads threads;
  constexpr int kWaiters = 4;
  for (int i = 0; i < kWaiters; ++i) {
    threads.spawn([&, i] {
      m.lock();
      order.push_back(i);  // under the mutex
      m.unlock();
    });
    ASSERT_TRUE(eventually([&] { return m.waiters() == static_cast<std::size_t>(i) + 1; }));
  }
  m.unlock();
  threads.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace syncscope
