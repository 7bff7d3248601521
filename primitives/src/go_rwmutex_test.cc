// Tests of GoRWMutex: sharing and exclusion, try variants, writer
// preference, the seed's reader_count()/writer_count() in controlled
// states, the standard lock helpers, Go's fatal errors, and the seed's
// recursive-RLock deadlock (reproduced, observed, then unwound). States and
// orders only; sleeps set up situations, `eventually` waits are hang guards.
#include <gtest/gtest.h>
#include <syncscope/go_rwmutex.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "go_mutex_test_support.h"

namespace syncscope {
namespace {

using testing_support::use_safe_death_test_style;

using namespace std::chrono_literals;

using testing_support::eventually;

// True once a writer has announced itself (readers would now block). Probes
// with try_lock_shared and gives back what it takes.
bool writer_pending(GoRWMutex& rw) {
  if (rw.try_lock_shared()) {
    rw.unlock_shared();
    return false;
  }
  return true;
}

// True once a writer is pending and has registered the n active readers it
// waits for. A writer announces itself (reader_count_ goes negative) a moment
// before it adds those readers to reader_wait_; in between, reader_count()
// reads 0. Waiting for both closes that window.
bool writer_waits_for(GoRWMutex& rw, int32_t n) {
  return writer_pending(rw) && rw.reader_count() == n;
}

TEST(GoRWMutexTest, ReadersShareTheLock) {
  GoRWMutex rw;
  constexpr int kReaders = 4;
  std::atomic<int> holding{0};
  std::atomic<bool> release{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back([&] {
      rw.lock_shared();
      holding.fetch_add(1);
      while (!release.load()) std::this_thread::sleep_for(50us);
      rw.unlock_shared();
    });
  }
  // All readers inside at once: only possible if they share.
  ASSERT_TRUE(eventually([&] { return holding.load() == kReaders; }));
  EXPECT_EQ(rw.reader_count(), kReaders);
  EXPECT_EQ(rw.writer_count(), 0);
  EXPECT_FALSE(rw.try_lock());
  EXPECT_TRUE(rw.try_lock_shared());
  rw.unlock_shared();
  release = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(rw.reader_count(), 0);
  ASSERT_TRUE(rw.try_lock());
  EXPECT_EQ(rw.writer_count(), 1);
  EXPECT_FALSE(rw.try_lock_shared());
  EXPECT_FALSE(rw.try_lock());
  rw.unlock();
  EXPECT_EQ(rw.writer_count(), 0);
}

TEST(GoRWMutexTest, WritersExcludeEveryone) {
  GoRWMutex rw;
  constexpr int kReaders = 4;
  constexpr int kWriters = 2;
  constexpr int kIters = 3000;
  long a = 0;  // plain memory: writers keep a == b; races show in TSan and in
  long b = 0;  // the checks below
  std::atomic<bool> torn{false};
  std::vector<std::thread> threads;
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      for (int i = 0; i < kIters; ++i) {
        if ((i + r) % 4 == 0) {
          while (!rw.try_lock_shared()) std::this_thread::yield();
        } else {
          rw.lock_shared();
        }
        if (a != b) torn = true;
        rw.unlock_shared();
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kIters; ++i) {
        if ((i + w) % 5 == 0) {
          while (!rw.try_lock()) std::this_thread::yield();
        } else {
          rw.lock();
        }
        ++a;
        if (i % 50 == 0) std::this_thread::yield();
        ++b;
        rw.unlock();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(torn.load());
  EXPECT_EQ(a, static_cast<long>(kWriters) * kIters);
  EXPECT_EQ(b, a);
  EXPECT_EQ(rw.reader_count(), 0);
  EXPECT_EQ(rw.writer_count(), 0);
}

// Once a writer waits, new readers queue behind it (writer preference), and
// the extensions report the pending state.
TEST(GoRWMutexTest, PendingWriterBlocksNewReaders) {
  GoRWMutex rw;
  rw.lock_shared();  // an active reader
  rw.lock_shared();  // and another one (held by this thread for brevity)
  std::vector<int> order;
  std::mutex order_mu;
  auto log = [&](int id) {
    std::lock_guard<std::mutex> g(order_mu);
    order.push_back(id);
  };
  std::thread writer([&] {
    rw.lock();
    log(1);
    rw.unlock();
  });
  // The two active readers are what the writer waits for.
  ASSERT_TRUE(eventually([&] { return writer_waits_for(rw, 2); }));
  EXPECT_EQ(rw.writer_count(), 1);
  EXPECT_EQ(rw.reader_count(), 2);
  EXPECT_FALSE(rw.try_lock_shared());
  EXPECT_FALSE(rw.try_lock());
  std::thread late_reader([&] {
    rw.lock_shared();  // must wait for the writer
    log(2);
    rw.unlock_shared();
  });
  std::thread second_writer([&] {
    rw.lock();  // queues on the writers' mutex
    log(3);
    rw.unlock();
  });
  ASSERT_TRUE(eventually([&] { return rw.writer_count() == 2; }));
  std::this_thread::sleep_for(5ms);  // give the late reader time to block
  {
    std::lock_guard<std::mutex> g(order_mu);
    EXPECT_TRUE(order.empty());  // nobody passed the two active readers
  }
  rw.unlock_shared();
  EXPECT_EQ(rw.reader_count(), 1);
  rw.unlock_shared();  // the last one wakes the writer
  writer.join();
  late_reader.join();
  second_writer.join();
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0], 1);  // the pending writer before the late reader
  EXPECT_EQ(rw.reader_count(), 0);
  EXPECT_EQ(rw.writer_count(), 0);
}

TEST(GoRWMutexTest, WorksWithStandardLockHelpers) {
  GoRWMutex rw;
  long value = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1500; ++i) {
        switch ((i + t) % 5) {
          case 0: {
            std::shared_lock<GoRWMutex> g(rw);
            (void)value;
            break;
          }
          case 1: {
            std::shared_lock<GoRWMutex> g(rw, std::try_to_lock);
            if (!g.owns_lock()) g.lock();
            break;
          }
          case 2: {
            std::lock_guard<GoRWMutex> g(rw);
            ++value;
            break;
          }
          case 3: {
            std::unique_lock<GoRWMutex> g(rw, std::try_to_lock);
            if (!g.owns_lock()) g.lock();
            ++value;
            break;
          }
          default: {
            std::scoped_lock g(rw);
            ++value;
            break;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(value, 4L * 1500 * 3 / 5);
}

TEST(GoRWMutexTest, MisuseIsFatalWithGoMessages) {
  use_safe_death_test_style();
  EXPECT_DEATH(
      {
        GoRWMutex rw;
        rw.unlock_shared();
      },
      "fatal error: sync: RUnlock of unlocked RWMutex");
  EXPECT_DEATH(
      {
        GoRWMutex rw;
        rw.lock();
        rw.unlock_shared();  // a write lock is not a read lock
      },
      "sync: RUnlock of unlocked RWMutex");
  EXPECT_DEATH(
      {
        GoRWMutex rw;
        rw.unlock();
      },
      "fatal error: sync: Unlock of unlocked RWMutex");
  EXPECT_DEATH(
      {
        GoRWMutex rw;
        rw.lock_shared();
        rw.unlock();  // a read lock is not a write lock
      },
      "sync: Unlock of unlocked RWMutex");
}

// The seed's "RWMutex 递归的坑": rr() takes a read lock, sleeps, and recurses,
// taking another read lock while holding the first. If a writer calls Lock
// in between, the writer waits for the first read lock, and the second
// RLock waits for the writer: deadlock. Reproduced here, observed from a
// watchdog (this test's main thread), then unwound by releasing the first
// read lock on the reader's behalf (read locks are not tied to a thread).
TEST(GoRWMutexTest, RecursiveReadLockDeadlocksWhileAWriterWaits) {
  GoRWMutex rw;
  std::atomic<int> step{0};  // reader progress, see below
  std::atomic<bool> go_recursive{false};
  std::atomic<bool> try_again_failed{false};
  std::atomic<int> seq{0};
  std::atomic<int> writer_at{0};
  std::atomic<int> second_read_at{0};

  std::thread reader([&] {
    rw.lock_shared();  // rr(n): first RLock
    step = 1;
    while (!go_recursive.load()) std::this_thread::sleep_for(50us);
    // rr(n-1): the recursive RLock. Non-blocking probe first: it must fail,
    // because a writer is pending.
    if (!rw.try_lock_shared()) try_again_failed = true;
    step = 2;
    rw.lock_shared();  // blocks: deadlock until someone breaks it
    second_read_at = seq.fetch_add(1) + 1;
    rw.unlock_shared();  // rr(n-1) returns
    step = 3;
    // rr(n)'s own RUnlock was done by the watchdog to break the deadlock.
  });
  ASSERT_TRUE(eventually([&] { return step.load() == 1; }));

  std::thread writer([&] {
    rw.lock();  // waits for the reader's first read lock
    writer_at = seq.fetch_add(1) + 1;
    rw.unlock();
  });
  ASSERT_TRUE(eventually([&] { return writer_waits_for(rw, 1); }));
  go_recursive = true;
  ASSERT_TRUE(eventually([&] { return step.load() == 2; }));
  EXPECT_TRUE(try_again_failed.load());

  // Watchdog: the reader is inside its second lock_shared() and the writer
  // inside lock(). Give them ample time; neither can make progress.
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(second_read_at.load(), 0) << "the recursive read lock passed a pending writer";
  EXPECT_EQ(writer_at.load(), 0) << "the writer passed an active reader";
  EXPECT_EQ(step.load(), 2);
  EXPECT_EQ(rw.writer_count(), 1);
  EXPECT_EQ(rw.reader_count(), 1);  // the writer still waits for one reader

  // Unwind: release the first read lock. The writer proceeds, then admits
  // the blocked recursive reader, and everything finishes.
  rw.unlock_shared();
  writer.join();
  reader.join();
  EXPECT_EQ(step.load(), 3);
  EXPECT_EQ(writer_at.load(), 1);
  EXPECT_EQ(second_read_at.load(), 2);
  EXPECT_EQ(rw.reader_count(), 0);
  EXPECT_EQ(rw.writer_count(), 0);
  EXPECT_TRUE(rw.try_lock());
  rw.unlock();
}

}  // namespace
}  // namespace syncscope
