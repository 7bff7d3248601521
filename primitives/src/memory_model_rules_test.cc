// The Go memory model's rules that had no test (seed section 04), each as
// an explicit message-passing check on plain (non-atomic) data:
//   * starting a thread happens before its function runs;
//   * a thread's end happens before join() returns (and WaitGroup: done()
//     happens before the wait() it releases returns);
//   * one-time initialization — a function-local static, Once::call —
//     happens before every use that follows it;
//   * Mutex: the n-th unlock happens before the (n+1)-th lock returns;
//   * RWMutex: unlock happens before the next lock_shared returns, and
//     unlock_shared happens before the next lock returns.
// Each check writes a payload of plain fields, passes it through the rule
// under test only, and has the receiver read every field. The "it is my
// turn now" signal is a RELAXED atomic flag: it orders nothing, so the rule
// is the only happens-before edge between writer and reader. Natively a
// broken rule shows as a stale field; under ThreadSanitizer as a data race
// (TSan derives no ordering from relaxed atomics), so the TSan run checks
// the rule itself, not luck. On ARM64 (qemu or hardware) the same checks
// run on both atomic paths.
#include <gtest/gtest.h>
#include <syncscope/go_mutex.h>
#include <syncscope/go_rwmutex.h>
#include <syncscope/once.h>
#include <syncscope/wait_group.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace syncscope {
namespace {

constexpr int kRounds = 200;

// A payload of plain fields; consistent() checks every field against the
// stamp it was written with.
struct Payload {
  int64_t a = 0, b = 0, c = 0;
  int64_t words[8] = {};
  void write(int64_t stamp) {
    a = stamp;
    b = stamp * 3;
    c = stamp ^ 0x5a5a;
    for (int i = 0; i < 8; ++i) words[i] = stamp + i;
  }
  bool holds(int64_t stamp) const {
    if (a != stamp || b != stamp * 3 || c != (stamp ^ 0x5a5a)) return false;
    for (int i = 0; i < 8; ++i)
      if (words[i] != stamp + i) return false;
    return true;
  }
};

void spin_until(const std::atomic<int64_t>& flag, int64_t v) {
  while (flag.load(std::memory_order_relaxed) != v) std::this_thread::yield();
}

TEST(MemoryModelRules, ThreadStartHappensBeforeItsFunction) {
  for (int r = 1; r <= kRounds; ++r) {
    Payload p;
    p.write(r);  // before the start
    bool ok = false;
    std::thread t([&] { ok = p.holds(r); });
    t.join();
    EXPECT_TRUE(ok) << "round " << r;
  }
}

TEST(MemoryModelRules, ThreadEndHappensBeforeJoinReturns) {
  for (int r = 1; r <= kRounds; ++r) {
    Payload p;
    std::thread t([&] { p.write(r); });
    t.join();
    EXPECT_TRUE(p.holds(r)) << "round " << r;
  }
}

TEST(MemoryModelRules, WaitGroupDoneHappensBeforeWaitReturns) {
  for (int r = 1; r <= kRounds; ++r) {
    Payload p[2];
    WaitGroup wg;
    wg.add(2);
    std::thread t1([&] {
      p[0].write(r);
      wg.done();
    });
    std::thread t2([&] {
      p[1].write(-r);
      wg.done();
    });
    wg.wait();
    EXPECT_TRUE(p[0].holds(r) && p[1].holds(-r)) << "round " << r;
    t1.join();
    t2.join();
  }
}

// A function-local static whose constructor writes plain fields.
struct Config {
  Payload p;
  Config() { p.write(4242); }
};
const Config& config() {
  static const Config c;  // [stmt.dcl]/4: initialized once, thread-safe
  return c;
}

TEST(MemoryModelRules, FunctionLocalStaticIsInitializedBeforeEveryUse) {
  std::atomic<int> go{0};
  std::vector<std::thread> ts;
  std::atomic<int> bad{0};
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([&] {
      while (go.load(std::memory_order_relaxed) == 0) std::this_thread::yield();
      if (!config().p.holds(4242)) bad.fetch_add(1);
    });
  }
  go.store(1, std::memory_order_relaxed);
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(MemoryModelRules, OnceCallHappensBeforeEveryReturnOfCall) {
  for (int r = 1; r <= kRounds / 4; ++r) {
    Once once;
    Payload p;
    std::atomic<int> go{0}, bad{0}, ran{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 3; ++i) {
      ts.emplace_back([&] {
        while (go.load(std::memory_order_relaxed) == 0) std::this_thread::yield();
        once.call([&] {
          ran.fetch_add(1, std::memory_order_relaxed);
          p.write(r);
        });
        if (!p.holds(r)) bad.fetch_add(1);
      });
    }
    go.store(1, std::memory_order_relaxed);
    for (auto& t : ts) t.join();
    EXPECT_EQ(ran.load(), 1);
    EXPECT_EQ(bad.load(), 0) << "round " << r;
  }
}

// Two threads alternate holding m; each round the holder checks the payload
// of the previous holder, then writes its own. turn (relaxed) only says
// whose turn it is: the mutex alone must carry the payload.
TEST(MemoryModelRules, MutexNthUnlockHappensBeforeNextLockReturns) {
  GoMutex m;
  Payload p;
  std::atomic<int64_t> turn{0};
  std::atomic<int> bad{0};
  auto player = [&](int parity) {
    for (int64_t k = parity; k < 2 * kRounds; k += 2) {
      spin_until(turn, k);
      m.lock();  // the (k+1)-th lock: after the k-th unlock
      if (k > 0 && !p.holds(k - 1)) bad.fetch_add(1);
      p.write(k);
      turn.store(k + 1, std::memory_order_relaxed);
      m.unlock();
    }
  };
  std::thread t0(player, 0), t1(player, 1);
  t0.join();
  t1.join();
  EXPECT_EQ(bad.load(), 0);
}

// Writer then reader, repeatedly: the writer's unlock must carry its payload
// to the reader's next lock_shared.
TEST(MemoryModelRules, RWMutexUnlockHappensBeforeNextRLockReturns) {
  GoRWMutex rw;
  Payload p;
  std::atomic<int64_t> turn{0};
  std::atomic<int> bad{0};
  std::thread writer([&] {
    for (int64_t k = 0; k < kRounds; ++k) {
      spin_until(turn, 2 * k);
      rw.lock();
      p.write(k);
      turn.store(2 * k + 1, std::memory_order_relaxed);
      rw.unlock();
    }
  });
  std::thread reader([&] {
    for (int64_t k = 0; k < kRounds; ++k) {
      spin_until(turn, 2 * k + 1);
      rw.lock_shared();
      if (!p.holds(k)) bad.fetch_add(1);
      turn.store(2 * k + 2, std::memory_order_relaxed);
      rw.unlock_shared();
    }
  });
  writer.join();
  reader.join();
  EXPECT_EQ(bad.load(), 0);
}

// Reader then writer: what a reader wrote (its own slot) while holding the
// read lock reaches the writer's next lock through unlock_shared.
TEST(MemoryModelRules, RWMutexRUnlockHappensBeforeNextLockReturns) {
  GoRWMutex rw;
  Payload slot;  // the reader's own data, written under the read lock
  std::atomic<int64_t> turn{0};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    for (int64_t k = 0; k < kRounds; ++k) {
      spin_until(turn, 2 * k);
      rw.lock_shared();
      slot.write(k);
      turn.store(2 * k + 1, std::memory_order_relaxed);
      rw.unlock_shared();
    }
  });
  std::thread writer([&] {
    for (int64_t k = 0; k < kRounds; ++k) {
      spin_until(turn, 2 * k + 1);
      rw.lock();
      if (!slot.holds(k)) bad.fetch_add(1);
      turn.store(2 * k + 2, std::memory_order_relaxed);
      rw.unlock();
    }
  });
  reader.join();
  writer.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace syncscope
