// Tests every Go mutex design (2008, 2012, 2015, 1.9+; plain and
// instrumented) against the same contract: mutual exclusion, try_lock
// semantics, the standard lock helpers, no lost wake-ups under
// oversubscription, unlock from another thread, and Go's fatal error on
// unlock of an unlocked mutex. Correctness only, no timing thresholds.
#include <gtest/gtest.h>
#include <syncscope/go_mutex.h>
#include <syncscope/go_mutex_2008.h>
#include <syncscope/go_mutex_2012.h>
#include <syncscope/go_mutex_2015.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "go_mutex_test_support.h"

namespace syncscope {
namespace {

using testing_support::use_safe_death_test_style;

using namespace std::chrono_literals;

template <class M>
class GoMutexDesignTest : public ::testing::Test {};

using Designs = ::testing::Types<GoMutex2008, GoMutex2012, GoMutex2015, InstrumentedGoMutex2015,
                                 GoMutex, InstrumentedGoMutex>;

class DesignNames {
 public:
  template <class M>
  static std::string GetName(int) {
    if constexpr (std::is_same_v<M, GoMutex2008>) return "GoMutex2008";
    if constexpr (std::is_same_v<M, GoMutex2012>) return "GoMutex2012";
    if constexpr (std::is_same_v<M, GoMutex2015>) return "GoMutex2015";
    if constexpr (std::is_same_v<M, InstrumentedGoMutex2015>) return "InstrumentedGoMutex2015";
    if constexpr (std::is_same_v<M, GoMutex>) return "GoMutex";
    if constexpr (std::is_same_v<M, InstrumentedGoMutex>) return "InstrumentedGoMutex";
    return "unknown";
  }
};

TYPED_TEST_SUITE(GoMutexDesignTest, Designs, DesignNames);

// Runs `body(thread_index)` on n threads and joins them.
template <class F>
void run_threads(int n, F body) {
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(n));
  for (int t = 0; t < n; ++t) threads.emplace_back(body, t);
  for (auto& th : threads) th.join();
}

TYPED_TEST(GoMutexDesignTest, MutualExclusion) {
  constexpr int kThreads = 4;
  constexpr int kIters = 20000;
  TypeParam m;
  long counter = 0;  // plain: a race would lose increments (and TSan reports it)
  std::atomic<int> inside{0};
  std::atomic<bool> overlap{false};
  run_threads(kThreads, [&](int) {
    for (int i = 0; i < kIters; ++i) {
      m.lock();
      if (inside.fetch_add(1, std::memory_order_relaxed) != 0) overlap = true;
      ++counter;
      inside.fetch_sub(1, std::memory_order_relaxed);
      m.unlock();
    }
  });
  EXPECT_FALSE(overlap.load());
  EXPECT_EQ(counter, static_cast<long>(kThreads) * kIters);
}

TYPED_TEST(GoMutexDesignTest, TryLockSucceedsWhenFreeFailsWhenHeld) {
  TypeParam m;
  ASSERT_TRUE(m.try_lock());
  bool other = true;
  std::thread([&] { other = m.try_lock(); }).join();  // returns: never blocks
  EXPECT_FALSE(other);
  EXPECT_FALSE(m.try_lock());  // not reentrant
  m.unlock();
  std::thread([&] { other = m.try_lock(); }).join();
  EXPECT_TRUE(other);
  m.unlock();  // unlock from another thread than the locker is legal
  m.lock();
  EXPECT_FALSE(m.try_lock());
  m.unlock();
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TYPED_TEST(GoMutexDesignTest, TryLockNeverBlocksWhileContended) {
  TypeParam m;
  m.lock();
  std::thread waiter([&] {
    m.lock();  // queue a real waiter behind the holder
    m.unlock();
  });
  int failures = 0;
  for (int i = 0; i < 2000; ++i) failures += m.try_lock() ? 0 : 1;
  EXPECT_EQ(failures, 2000);
  m.unlock();
  waiter.join();
}

TYPED_TEST(GoMutexDesignTest, WorksWithStandardLockHelpers) {
  TypeParam m;
  long counter = 0;
  run_threads(3, [&](int t) {
    for (int i = 0; i < 3000; ++i) {
      switch ((i + t) % 4) {
        case 0: {
          std::lock_guard<TypeParam> g(m);
          ++counter;
          break;
        }
        case 1: {
          std::unique_lock<TypeParam> g(m, std::defer_lock);
          g.lock();
          ++counter;
          g.unlock();
          break;
        }
        case 2: {
          std::unique_lock<TypeParam> g(m, std::try_to_lock);
          if (!g.owns_lock()) g.lock();
          ++counter;
          break;
        }
        default: {
          std::scoped_lock g(m);
          ++counter;
          break;
        }
      }
    }
  });
  EXPECT_EQ(counter, 3 * 3000);
}

// std::scoped_lock over two mutexes locked in opposite orders relies on
// try_lock to avoid deadlock.
TYPED_TEST(GoMutexDesignTest, ScopedLockOfTwoAvoidsDeadlock) {
  TypeParam a;
  TypeParam b;
  std::mutex c;
  long counter = 0;
  run_threads(4, [&](int t) {
    for (int i = 0; i < 2000; ++i) {
      if (t % 2 == 0) {
        std::scoped_lock g(a, b, c);
        ++counter;
      } else {
        std::scoped_lock g(c, b, a);
        ++counter;
      }
    }
  });
  EXPECT_EQ(counter, 4 * 2000);
}

// Far more threads than CPUs, tiny critical sections, some yielding while
// holding: parked waiters must always be woken. A lost wake-up hangs here.
TYPED_TEST(GoMutexDesignTest, NoLostWakeupsWhenOversubscribed) {
  constexpr int kThreads = 16;
  constexpr int kIters = 1000;
  TypeParam m;
  long counter = 0;
  run_threads(kThreads, [&](int t) {
    for (int i = 0; i < kIters; ++i) {
      if ((i + t) % 5 == 0) {
        while (!m.try_lock()) std::this_thread::yield();
      } else {
        m.lock();
      }
      ++counter;
      if (i % 97 == 0) std::this_thread::yield();  // get preempted while holding
      m.unlock();
    }
  });
  EXPECT_EQ(counter, static_cast<long>(kThreads) * kIters);
  EXPECT_TRUE(m.try_lock());  // left idle and consistent
  m.unlock();
}

// The mutex is not tied to a thread: a baton passed by unlocking in a
// different thread than the one that locked.
TYPED_TEST(GoMutexDesignTest, UnlockFromAnotherThread) {
  TypeParam m;
  int value = 0;
  for (int round = 0; round < 200; ++round) {
    m.lock();
    value = round;
    std::thread([&] {
      EXPECT_EQ(value, round);
      m.unlock();
    }).join();
  }
  m.lock();
  EXPECT_EQ(value, 199);
  m.unlock();
}

TYPED_TEST(GoMutexDesignTest, UnlockOfUnlockedMutexIsFatal) {
  use_safe_death_test_style();
  EXPECT_DEATH(
      {
        TypeParam m;
        m.unlock();
      },
      "fatal error: sync: unlock of unlocked mutex");
  EXPECT_DEATH(
      {
        TypeParam m;
        m.lock();
        m.unlock();
        m.unlock();
      },
      "sync: unlock of unlocked mutex");
}

}  // namespace
}  // namespace syncscope
