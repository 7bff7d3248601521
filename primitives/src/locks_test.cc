// Tests of the non-Go lock designs as Lockables: SpinLock, TtasLock,
// TicketLock, McsLock, ClhLock, RecursiveMutex (over GoMutex and over
// std::mutex) and SemaMutex share one typed suite; the queue locks (MCS, CLH)
// have a second one for nested holding; per-lock specifics follow.
//
// Sizes: the machine may have 2 cores and the tests run under
// ThreadSanitizer and qemu, so thread counts oversubscribe the cores (6
// threads) while operation counts stay small. The spinning locks yield after
// a bounded spin (SpinWait), which is what lets them finish when
// oversubscribed. No test asserts on time.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <syncscope/clh_lock.h>
#include <syncscope/mcs_lock.h>
#include <syncscope/recursive_mutex.h>
#include <syncscope/sema_mutex.h>
#include <syncscope/spin_lock.h>
#include <syncscope/ticket_lock.h>
#include <syncscope/ttas_lock.h>

namespace syncscope {
namespace {

constexpr int kThreads = 6;  // > 2 cores: oversubscribed on the CI machine
constexpr int kItersPerThread = 2000;

// Runs body(thread_index) on n threads, all released at once.
template <class F>
void run_threads(int n, F body) {
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      body(i);
    });
  }
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
}

// Runs f on a new thread and returns its result (a "different thread" probe).
template <class F>
auto on_other_thread(F f) {
  decltype(f()) result{};
  std::thread([&] { result = f(); }).join();
  return result;
}

// Whether unlock() may come from a thread other than the locker. The
// recursive mutexes tie ownership to the thread.
template <class L>
constexpr bool kAnyThreadMayUnlock = true;
template <class Inner>
constexpr bool kAnyThreadMayUnlock<BasicRecursiveMutex<Inner>> = false;

template <class L>
class LockableTest : public ::testing::Test {};

using LockTypes = ::testing::Types<SpinLock, TtasLock, TicketLock, McsLock, ClhLock,
                                   RecursiveMutex, BasicRecursiveMutex<std::mutex>, SemaMutex>;

class LockTypeNames {
 public:
  template <class T>
  static std::string GetName(int) {
    if constexpr (std::is_same_v<T, SpinLock>) return "SpinLock";
    if constexpr (std::is_same_v<T, TtasLock>) return "TtasLock";
    if constexpr (std::is_same_v<T, TicketLock>) return "TicketLock";
    if constexpr (std::is_same_v<T, McsLock>) return "McsLock";
    if constexpr (std::is_same_v<T, ClhLock>) return "ClhLock";
    if constexpr (std::is_same_v<T, RecursiveMutex>) return "RecursiveMutex";
    if constexpr (std::is_same_v<T, BasicRecursiveMutex<std::mutex>>) return "RecursiveStdMutex";
    if constexpr (std::is_same_v<T, SemaMutex>) return "SemaMutex";
    return "Unknown";
  }
};

TYPED_TEST_SUITE(LockableTest, LockTypes, LockTypeNames);

// N threads x M increments of a plain (non-atomic) counter under the lock:
// the total is exact and no two threads are ever inside at once.
TYPED_TEST(LockableTest, MutualExclusion) {
  TypeParam lock;
  int64_t counter = 0;        // guarded by lock; deliberately not atomic
  std::atomic<int> inside{0};  // threads inside the critical section
  std::atomic<int> overlaps{0};
  run_threads(kThreads, [&](int) {
    for (int i = 0; i < kItersPerThread; ++i) {
      std::lock_guard<TypeParam> guard(lock);
      if (inside.fetch_add(1, std::memory_order_relaxed) != 0) {
        overlaps.fetch_add(1, std::memory_order_relaxed);
      }
      ++counter;
      inside.fetch_sub(1, std::memory_order_relaxed);
    }
  });
  EXPECT_EQ(counter, int64_t{kThreads} * kItersPerThread);
  EXPECT_EQ(overlaps.load(), 0);
}

// try_lock fails (and returns) while another thread holds the lock, and
// succeeds once the lock is free.
TYPED_TEST(LockableTest, TryLockSemantics) {
  TypeParam lock;
  ASSERT_TRUE(lock.try_lock());  // free: succeeds
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(on_other_thread([&] {
      const bool got = lock.try_lock();
      if (got) lock.unlock();
      return got;
    })) << "try_lock succeeded while another thread held the lock";
  }
  lock.unlock();
  EXPECT_TRUE(on_other_thread([&] {
    const bool got = lock.try_lock();
    if (got) lock.unlock();
    return got;
  })) << "try_lock failed on a free lock";
  // lock() then try_lock from another thread: also fails.
  lock.lock();
  EXPECT_FALSE(on_other_thread([&] {
    const bool got = lock.try_lock();
    if (got) lock.unlock();
    return got;
  }));
  lock.unlock();
  // And the lock is still usable.
  std::unique_lock<TypeParam> ul(lock, std::try_to_lock);
  EXPECT_TRUE(ul.owns_lock());
}

// try_lock in a loop under contention: every success is exclusive, and the
// loop makes progress (the test completes).
TYPED_TEST(LockableTest, TryLockUnderContention) {
  TypeParam lock;
  int64_t counter = 0;
  run_threads(kThreads, [&](int) {
    for (int i = 0; i < kItersPerThread / 4; ++i) {
      while (!lock.try_lock()) std::this_thread::yield();
      ++counter;
      lock.unlock();
    }
  });
  EXPECT_EQ(counter, int64_t{kThreads} * (kItersPerThread / 4));
}

// std::scoped_lock over two locks of this type, taken in opposite orders by
// different threads (std::lock's deadlock avoidance uses try_lock), and over
// this type together with std::mutex.
TYPED_TEST(LockableTest, ScopedLockTwoLocks) {
  TypeParam a;
  TypeParam b;
  std::mutex m;
  int64_t both = 0;   // guarded by a and b
  int64_t mixed = 0;  // guarded by a and m
  constexpr int kIters = kItersPerThread / 4;
  run_threads(kThreads, [&](int t) {
    for (int i = 0; i < kIters; ++i) {
      if (t % 2 == 0) {
        std::scoped_lock lk(a, b);
        ++both;
      } else {
        std::scoped_lock lk(b, a);
        ++both;
      }
      std::scoped_lock lk(a, m);
      ++mixed;
    }
  });
  EXPECT_EQ(both, int64_t{kThreads} * kIters);
  EXPECT_EQ(mixed, int64_t{kThreads} * kIters);
}

// A mix of lock(), try_lock() and unique_lock with short critical sections
// and yields inside: no lost wake-up, no stuck waiter (the test completes),
// exact count.
TYPED_TEST(LockableTest, StressMixedOperations) {
  TypeParam lock;
  int64_t counter = 0;
  constexpr int kIters = kItersPerThread / 2;
  run_threads(kThreads, [&](int t) {
    std::minstd_rand rng(static_cast<uint32_t>(t) + 1);
    for (int i = 0; i < kIters; ++i) {
      switch (rng() % 4) {
        case 0: {
          lock.lock();
          ++counter;
          lock.unlock();
          break;
        }
        case 1: {
          if (lock.try_lock()) {
            ++counter;
            lock.unlock();
          } else {
            std::lock_guard<TypeParam> g(lock);
            ++counter;
          }
          break;
        }
        case 2: {
          std::unique_lock<TypeParam> ul(lock, std::defer_lock);
          ul.lock();
          ++counter;
          std::this_thread::yield();  // holder descheduled while others wait
          break;
        }
        default: {
          std::lock_guard<TypeParam> g(lock);
          ++counter;
        }
      }
    }
  });
  EXPECT_EQ(counter, int64_t{kThreads} * kIters);
}

// Go allows Unlock by another goroutine; so do these locks (not the
// recursive ones, whose owner is a thread).
TYPED_TEST(LockableTest, UnlockFromAnotherThread) {
  if constexpr (!kAnyThreadMayUnlock<TypeParam>) {
    GTEST_SUCCEED() << "ownership is per thread: covered by recursive_mutex_test";
  } else {
    TypeParam lock;
    for (int round = 0; round < 20; ++round) {
      std::thread([&] { lock.lock(); }).join();
      EXPECT_FALSE(lock.try_lock());
      lock.unlock();  // by this thread
      EXPECT_TRUE(on_other_thread([&] {
        const bool got = lock.try_lock();
        if (got) lock.unlock();
        return got;
      }));
    }
  }
}

// ---------------------------------------------------------------------------
// Queue locks: one thread holding several locks at once (nodes from the
// thread's pool), released in any order.

template <class L>
class QueueLockTest : public ::testing::Test {};
using QueueLockTypes = ::testing::Types<McsLock, ClhLock>;
class QueueLockNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, McsLock> ? "McsLock" : "ClhLock";
  }
};
TYPED_TEST_SUITE(QueueLockTest, QueueLockTypes, QueueLockNames);

template <class L>
bool free_for_other_thread(L& lock) {
  return on_other_thread([&] {
    const bool got = lock.try_lock();
    if (got) lock.unlock();
    return got;
  });
}

TYPED_TEST(QueueLockTest, NestedReleasedInAnyOrder) {
  constexpr int kLocks = 5;
  std::vector<TypeParam> locks(kLocks);
  std::vector<int> order(kLocks);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    // Take them in one random order (mixing lock and try_lock) ...
    std::shuffle(order.begin(), order.end(), rng);
    for (int k = 0; k < kLocks; ++k) {
      if (k % 2 == 0) {
        locks[order[k]].lock();
      } else {
        ASSERT_TRUE(locks[order[k]].try_lock());
      }
    }
    for (int k = 0; k < kLocks; ++k) EXPECT_FALSE(free_for_other_thread(locks[k]));
    // ... release them in another.
    std::shuffle(order.begin(), order.end(), rng);
    for (int k = 0; k < kLocks; ++k) {
      locks[order[k]].unlock();
      EXPECT_TRUE(free_for_other_thread(locks[order[k]]));
      for (int j = k + 1; j < kLocks; ++j) EXPECT_FALSE(free_for_other_thread(locks[order[j]]));
    }
  }
}

TYPED_TEST(QueueLockTest, ManyHeldAtOnce) {
  constexpr int kLocks = 100;
  std::vector<TypeParam> locks(kLocks);
  for (auto& l : locks) l.lock();
  EXPECT_TRUE(on_other_thread([&] {
    for (auto& l : locks) {
      if (l.try_lock()) return false;
    }
    return true;
  }));
  for (int k = kLocks - 1; k >= 0; k -= 2) locks[k].unlock();
  for (int k = 0; k < kLocks; k += 2) locks[k].unlock();
  EXPECT_TRUE(on_other_thread([&] {
    for (auto& l : locks) {
      if (!l.try_lock()) return false;
      l.unlock();
    }
    return true;
  }));
}

// Threads hold random subsets of a few locks (taken in index order, so no
// deadlock; released in random order) while contending with each other.
TYPED_TEST(QueueLockTest, NestedUnderContention) {
  constexpr int kLocks = 4;
  constexpr int kIters = 500;
  std::vector<TypeParam> locks(kLocks);
  std::vector<int64_t> counters(kLocks, 0);  // counters[k] guarded by locks[k]
  std::vector<std::vector<int64_t>> expected(kThreads, std::vector<int64_t>(kLocks, 0));
  run_threads(kThreads, [&](int t) {
    std::minstd_rand rng(static_cast<uint32_t>(t) * 7919 + 1);
    std::vector<int> held;
    for (int i = 0; i < kIters; ++i) {
      const unsigned subset = 1 + rng() % ((1u << kLocks) - 1);
      held.clear();
      for (int k = 0; k < kLocks; ++k) {
        if (subset & (1u << k)) {
          locks[k].lock();
          held.push_back(k);
        }
      }
      for (int k : held) {
        ++counters[k];
        ++expected[t][k];
      }
      std::shuffle(held.begin(), held.end(), rng);
      for (int k : held) locks[k].unlock();
    }
  });
  for (int k = 0; k < kLocks; ++k) {
    int64_t sum = 0;
    for (int t = 0; t < kThreads; ++t) sum += expected[t][k];
    EXPECT_EQ(counters[k], sum) << "lock " << k;
  }
}

// Threads that exit return their nodes (MCS: freed; CLH: to the arena);
// locks keep working with nodes that went through other threads.
TYPED_TEST(QueueLockTest, NodesSurviveThreadExit) {
  TypeParam a;
  TypeParam b;
  for (int round = 0; round < 10; ++round) {
    run_threads(3, [&](int) {
      for (int i = 0; i < 50; ++i) {
        std::scoped_lock lk(a, b);
      }
    });
  }
  EXPECT_TRUE(free_for_other_thread(a));
  EXPECT_TRUE(free_for_other_thread(b));
}

// ---------------------------------------------------------------------------
// Per-lock specifics.

TEST(SpinLockTest, ToStringMirrorsTheSeed) {
  SpinLock lock;
  EXPECT_EQ(lock.to_string(), "Unlocked");
  lock.lock();
  EXPECT_EQ(lock.to_string(), "Locked");
  EXPECT_TRUE(lock.is_locked());
  lock.unlock();
  EXPECT_EQ(lock.to_string(), "Unlocked");
  // The seed's Unlock is a plain store: unlocking a free SpinLock is a no-op.
  lock.unlock();
  EXPECT_TRUE(lock.try_lock());
  lock.unlock();
}

TEST(SpinWaitTest, YieldsAfterTheSpinBudget) {
  SpinWait w;
  for (uint32_t i = 0; i < SpinWait::kSpinsBeforeYield; ++i) {
    EXPECT_FALSE(w.yielding());
    w.once();
  }
  EXPECT_TRUE(w.yielding());
  w.once();  // yields
  w.reset();
  EXPECT_FALSE(w.yielding());
}

TEST(TtasLockTest, IsLockedTracksTheFlag) {
  TtasLock lock;
  EXPECT_FALSE(lock.is_locked());
  lock.lock();
  EXPECT_TRUE(lock.is_locked());
  EXPECT_FALSE(lock.try_lock());
  lock.unlock();
  EXPECT_FALSE(lock.is_locked());
}

// Waiters are admitted in ticket order: thread i is started only after
// thread i-1 has drawn its ticket (queue_length shows it), so ticket order
// is thread order.
TEST(TicketLockTest, FifoOrder) {
  constexpr int kWaiters = 5;
  TicketLock lock;
  std::vector<int> order;  // guarded by lock
  lock.lock();
  EXPECT_EQ(lock.queue_length(), 1u);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWaiters; ++i) {
    threads.emplace_back([&, i] {
      lock.lock();
      order.push_back(i);
      lock.unlock();
    });
    while (lock.queue_length() != static_cast<uint32_t>(i) + 2) std::this_thread::yield();
    // try_lock never takes a ticket while anyone holds or waits.
    EXPECT_FALSE(lock.try_lock());
  }
  lock.unlock();
  for (auto& t : threads) t.join();
  std::vector<int> want(kWaiters);
  std::iota(want.begin(), want.end(), 0);
  EXPECT_EQ(order, want);
  EXPECT_EQ(lock.queue_length(), 0u);
  EXPECT_FALSE(lock.is_locked());
}

TEST(McsLockTest, IsLocked) {
  McsLock lock;
  EXPECT_FALSE(lock.is_locked());
  lock.lock();
  EXPECT_TRUE(lock.is_locked());
  lock.unlock();
  EXPECT_FALSE(lock.is_locked());
}

TEST(ClhLockTest, IsLockedAndTryLockAfterRecycling) {
  ClhLock lock;
  EXPECT_FALSE(lock.is_locked());
  // Many rounds of lock/try_lock/unlock recycle nodes through the thread's
  // pool; try_lock must keep telling "free" from "held" correctly.
  for (int i = 0; i < 100; ++i) {
    if (i % 2 == 0) {
      lock.lock();
    } else {
      ASSERT_TRUE(lock.try_lock());
    }
    EXPECT_TRUE(lock.is_locked());
    EXPECT_FALSE(free_for_other_thread(lock));
    lock.unlock();
    EXPECT_FALSE(lock.is_locked());
  }
}

}  // namespace
}  // namespace syncscope
