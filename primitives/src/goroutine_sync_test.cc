// Blocking primitives on goroutines: the one parking layer parks a
// goroutine (not its thread). Channels and select with timeouts (timers),
// the Go mutexes, WaitGroup, Cond, Once, threads and goroutines waiting on
// each other, Go's memory-model rules on goroutines (TSan checks them in the
// sanitizer build: the data below are plain, non-atomic variables), and
// 10 000 goroutines through channels and a mutex. Correctness only: waits
// are for exact states with a hang guard; no timing is asserted except
// "a timeout did not fire early" (the API's guarantee).
#include <gtest/gtest.h>
#include <syncscope/chan.h>
#include <syncscope/cond.h>
#include <syncscope/go_mutex.h>
#include <syncscope/go_rwmutex.h>
#include <syncscope/goroutine.h>
#include <syncscope/internal/scheduler.h>
#include <syncscope/internal/sema.h>
#include <syncscope/once.h>
#include <syncscope/recursive_mutex.h>
#include <syncscope/select.h>
#include <syncscope/wait_group.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include "go_mutex_test_support.h"
#include "goroutine_test_support.h"

namespace syncscope {
namespace {

using namespace std::chrono_literals;
using testing_support::eventually;

// Under ThreadSanitizer every goroutine is a TSan fiber (a thread to TSan,
// which keeps at most 8128 alive): fewer goroutines there.
#if defined(SYNCSCOPE_TSAN)
constexpr int kMany = 1000;
#else
constexpr int kMany = 10000;
#endif

class GoroutineSyncTest : public testing_support::OnGoroutinesTest {};

// ---- memory model -----------------------------------------------------------------
// "The go statement that starts a new goroutine happens before the
// goroutine's execution begins."
TEST_F(GoroutineSyncTest, GoHappensBeforeTheGoroutineStarts) {
  use_procs(2);
  constexpr int kN = 64;
  std::vector<int> data(kN, 0);  // plain ints
  WaitGroup wg;
  wg.add(kN);
  std::atomic<int> wrong{0};
  for (int i = 0; i < kN; ++i) {
    data[i] = i + 1;  // written before go(): visible in the goroutine
    go([&, i] {
      if (data[i] != i + 1) wrong.fetch_add(1);
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(wrong.load(), 0);
}

// "A send on a channel happens before the corresponding receive from that
// channel completes" and "the k-th receive on a channel with capacity C
// happens before the k+C-th send completes", with both ends on goroutines.
TEST_F(GoroutineSyncTest, ChannelRulesHoldBetweenGoroutines) {
  use_procs(2);
  for (std::size_t cap : {0u, 1u, 4u}) {
    constexpr int kN = 200;
    std::vector<int> slots(kN, 0);  // plain ints
    Chan<int> ch(cap);
    Chan<int> back(cap);
    WaitGroup wg;
    wg.add(2);
    std::atomic<int> wrong{0};
    go([&] {  // producer: write, send; then wait for the acknowledgement
      for (int i = 0; i < kN; ++i) {
        slots[i] = i + 1;
        ch.send(i);
        back.receive();
        if (slots[i] != -(i + 1)) wrong.fetch_add(1);  // the consumer's write is visible
      }
      wg.done();
    });
    go([&] {
      for (int i = 0; i < kN; ++i) {
        const int k = ch.receive().value();
        if (slots[k] != k + 1) wrong.fetch_add(1);
        slots[k] = -(k + 1);
        back.send(k);
      }
      wg.done();
    });
    wg.wait();
    EXPECT_EQ(wrong.load(), 0) << "cap " << cap;
  }
}

// "For any sync.Mutex l and n < m, call n of l.Unlock() happens before call
// m of l.Lock() returns": a plain counter under GoMutex, more goroutines
// than P's so that lockers park.
TEST_F(GoroutineSyncTest, MutexRuleHoldsBetweenGoroutines) {
  use_procs(2);
  GoMutex mu;
  long counter = 0;  // plain
  constexpr int kG = 16, kIters = 500;
  WaitGroup wg;
  wg.add(kG);
  for (int g = 0; g < kG; ++g) {
    go([&] {
      for (int i = 0; i < kIters; ++i) {
        std::lock_guard<GoMutex> l(mu);
        ++counter;
        if (i % 64 == 0) gosched();  // hold it across a yield: others must park
      }
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(counter, long{kG} * kIters);
}

TEST_F(GoroutineSyncTest, RWMutexReadersAndWritersOnGoroutines) {
  use_procs(2);
  GoRWMutex rw;
  long value = 0;  // plain
  std::atomic<int> torn{0};
  WaitGroup wg;
  constexpr int kWriters = 4, kReaders = 8, kIters = 200;
  wg.add(kWriters + kReaders);
  for (int w = 0; w < kWriters; ++w) {
    go([&] {
      for (int i = 0; i < kIters; ++i) {
        rw.lock();
        value += 2;
        rw.unlock();
      }
      wg.done();
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    go([&] {
      for (int i = 0; i < kIters; ++i) {
        rw.lock_shared();
        if (value % 2 != 0) torn.fetch_add(1);
        rw.unlock_shared();
        if (i % 32 == 0) gosched();
      }
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(value, 2L * kWriters * kIters);
  EXPECT_EQ(torn.load(), 0);
}

TEST_F(GoroutineSyncTest, CondAndOnceOnGoroutines) {
  use_procs(1);  // one P: a waiter that blocked its thread would deadlock
  GoMutex mu;
  BasicCond<GoMutex> cond(mu);
  int ready = 0;  // under mu
  Once once;
  std::atomic<int> once_runs{0};
  constexpr int kWaiters = 10;
  WaitGroup wg;
  wg.add(kWaiters + 1);  // the broadcaster too: it touches cond after the waiters wake
  for (int i = 0; i < kWaiters; ++i) {
    go([&] {
      once.call([&] { once_runs.fetch_add(1); });
      {
        std::lock_guard<GoMutex> l(mu);
        while (ready == 0) cond.wait();
      }
      // After the unlock: once wg.wait() returns, mu (on the test's stack)
      // is gone (TSan caught an unlock that came after a done() here).
      wg.done();
    });
  }
  go([&] {
    // Wait until every waiter sleeps in cond.wait (each yields to the next).
    while (cond.waiter_count() < kWaiters) gosched();
    {
      std::lock_guard<GoMutex> l(mu);
      ready = 1;
    }
    cond.broadcast();
    wg.done();
  });
  wg.wait();
  EXPECT_EQ(once_runs.load(), 1);
}

// A lock that tracks its owner must see goroutines, not the M running them:
// with one P (so one M runs both), B's lock() while A holds the lock and
// is parked must wait, not count as a recursive acquisition.
TEST_F(GoroutineSyncTest, RecursiveMutexOwnerIsTheGoroutineNotTheThread) {
  use_procs(1);
  RecursiveMutex rm;
  Chan<int> a_parked(1), resume_a(0);
  std::atomic<int> inside{0}, max_inside{0};
  WaitGroup wg;
  wg.add(2);
  auto enter = [&] {
    const int n = inside.fetch_add(1) + 1;
    int m = max_inside.load();
    while (n > m && !max_inside.compare_exchange_weak(m, n)) {
    }
  };
  go([&] {
    rm.lock();
    rm.lock();  // its own recursion still works
    enter();
    a_parked.send(1);
    resume_a.receive();  // parks holding the lock: B runs on the same M
    inside.fetch_sub(1);
    rm.unlock();
    rm.unlock();
    wg.done();
  });
  go([&] {
    a_parked.receive();
    // Lets A go on once B is blocked. By value: this goroutine is not
    // waited for, and may still be inside send() when the test body ends.
    go([resume_a] { resume_a.send(1); });
    rm.lock();
    enter();
    inside.fetch_sub(1);
    rm.unlock();
    wg.done();
  });
  wg.wait();
  EXPECT_EQ(max_inside.load(), 1);
}

// ---- threads and goroutines on the same primitive ------------------------------------
TEST_F(GoroutineSyncTest, AThreadAndAGoroutinePingPongOnAnUnbufferedChannel) {
  use_procs(1);
  Chan<int> ping(0), pong(0);
  constexpr int kRounds = 500;
  // The goroutine holds its own handles (by value): its last send() still
  // unlocks the channel after the thread's last receive() has returned, and
  // the test's handles die right after that. With [&] the channel was freed
  // under that unlock (TSan: a use after free in ChanCore::unlock; the
  // flake this test showed under TSan on a loaded machine).
  go([ping, pong] {
    for (int i = 0; i < kRounds; ++i) pong.send(ping.receive().value() + 1);
  });
  for (int i = 0; i < kRounds; ++i) {
    ping.send(i);
    ASSERT_EQ(pong.receive().value(), i + 1);
  }
}

// A goroutine parked on a channel sleeps on its Waiter's own word and is
// readied by the claimer directly (chan_core.h, Waiter::g), without the
// parking layer's wait table. Every kind of claimer wakes it: a receive, a
// send and a select from a plain thread (goroutine_wake from outside a P:
// the global queue), and close(), which wakes a list of parked goroutines
// after dropping the lock. Waits for exact states: waiting_receivers() /
// waiting_senders() say the goroutines are queued; whether they parked or
// not yet, each must end with the value or the close.
TEST_F(GoroutineSyncTest, ParkedGoroutinesAreWokenByEveryKindOfClaimer) {
  use_procs(2);
  constexpr int kParties = 8;
  Chan<int> in(0), out(0), closing(0);
  std::atomic<int> received{0}, sent{0}, closed_seen{0};
  WaitGroup wg;
  wg.add(3 * kParties);
  for (int i = 0; i < kParties; ++i) {
    go([&] {  // woken by the thread's send
      received.fetch_add(in.receive().value());
      wg.done();
    });
    go([&, i] {  // woken by the thread's receive or select
      out.send(i + 1);
      sent.fetch_add(1);
      wg.done();
    });
    go([&] {  // woken by close()
      if (!closing.receive().has_value()) closed_seen.fetch_add(1);
      wg.done();
    });
  }
  ASSERT_TRUE(eventually([&] { return in.waiting_receivers() == kParties; }));
  for (int i = 0; i < kParties; ++i) in.send(i + 1);
  ASSERT_TRUE(eventually([&] { return out.waiting_senders() == kParties; }));
  int sum = 0;
  for (int i = 0; i < kParties; ++i) {
    if (i % 2 == 0) {
      sum += out.receive().value();
    } else {
      Select().recv(out, [&](std::optional<int> v) { sum += v.value(); }).run();
    }
  }
  ASSERT_TRUE(eventually([&] { return closing.waiting_receivers() == kParties; }));
  closing.close();
  wg.wait();
  EXPECT_EQ(received.load(), kParties * (kParties + 1) / 2);
  EXPECT_EQ(sum, kParties * (kParties + 1) / 2);
  EXPECT_EQ(sent.load(), kParties);
  EXPECT_EQ(closed_seen.load(), kParties);
}

// ---- select with timeouts on goroutines (timers) -----------------------------------
TEST_F(GoroutineSyncTest, SelectTimeoutFiresOnAGoroutineAndNotEarly) {
  use_procs(1);
  Chan<int> never(0);
  std::atomic<int> index{-1};
  std::atomic<bool> early{false};
  WaitGroup wg;
  wg.add(1);
  go([&] {
    const auto t0 = std::chrono::steady_clock::now();
    index.store(Select().recv(never).timeout(3ms).run());
    if (std::chrono::steady_clock::now() - t0 < 3ms) early.store(true);
    wg.done();
  });
  wg.wait();
  EXPECT_EQ(index.load(), 1);
  EXPECT_FALSE(early.load());
  // (Whether a timer fired is not asserted: on a slow machine the deadline
  // can pass before the select parks, and then it times out without one.)
}

// A goroutine parked in a select with a (long) timeout is woken by a send
// from another goroutine of the same (only) P: its P was free meanwhile.
TEST_F(GoroutineSyncTest, SelectWithTimeoutIsWokenByASendOnTheSameP) {
  use_procs(1);
  Chan<int> a(0), b(0);
  std::atomic<int> index{-1}, value{0};
  WaitGroup wg;
  wg.add(2);
  go([&] {
    index.store(Select()
                    .recv(a, [&](std::optional<int> v) { value.store(v.value_or(-1)); })
                    .recv(b, [&](std::optional<int> v) { value.store(v.value_or(-1)); })
                    .timeout(60s)
                    .run());
    wg.done();
  });
  go([&] {
    // Runs after the select parked (one P: the selector ran first, since it
    // was queued first, and left the P only by parking).
    b.send(5);
    wg.done();
  });
  wg.wait();
  EXPECT_EQ(index.load(), 1);
  EXPECT_EQ(value.load(), 5);
}

// Timed sends and receives on goroutines, racing their timers: every value
// whose send completed is received exactly once, none other.
TEST_F(GoroutineSyncTest, TimedOperationsRaceTimersWithoutLosingValues) {
  use_procs(2);
#if defined(SYNCSCOPE_TSAN)
  constexpr int kPairs = 4, kOps = 100;
#else
  constexpr int kPairs = 8, kOps = 400;
#endif
  Chan<int> ch(0);
  std::atomic<long> sent_sum{0}, recv_sum{0}, sent_n{0}, recv_n{0};
  WaitGroup senders, receivers;
  senders.add(kPairs);
  receivers.add(kPairs);
  std::atomic<bool> senders_done{false};
  for (int p = 0; p < kPairs; ++p) {
    go([&, p] {
      for (int i = 0; i < kOps; ++i) {
        const int v = p * kOps + i + 1;
        const auto d = std::chrono::microseconds(50 + (i * 37) % 300);
        if (Select().send(ch, v).timeout(d).run() == 0) {
          sent_sum.fetch_add(v);
          sent_n.fetch_add(1);
        }
      }
      senders.done();
    });
    go([&, p] {
      for (;;) {
        std::optional<int> got;
        const auto d = std::chrono::microseconds(50 + (p * 53) % 300);
        const int idx = Select().recv(ch, [&](std::optional<int> v) { got = v; }).timeout(d).run();
        if (idx == 0 && got) {
          recv_sum.fetch_add(*got);
          recv_n.fetch_add(1);
        } else if (senders_done.load()) {
          break;
        }
      }
      receivers.done();
    });
  }
  senders.wait();
  senders_done.store(true);
  receivers.wait();
  EXPECT_EQ(recv_n.load(), sent_n.load());
  EXPECT_EQ(recv_sum.load(), sent_sum.load());
  EXPECT_GT(sent_n.load(), 0);
}

TEST_F(GoroutineSyncTest, ReceiveForTimesOutAndASemaTimedWaitReturnsOnGoroutines) {
  use_procs(1);
  Chan<int> ch(1);
  std::atomic<int> status{-1};
  WaitGroup wg;
  wg.add(1);
  go([&] {
    status.store(static_cast<int>(ch.receive_for(2ms).status));
    wg.done();
  });
  wg.wait();
  EXPECT_EQ(status.load(), static_cast<int>(RecvStatus::kWouldBlock));
}

// ---- a hand-off yields the P (Sema::release(true), Go's semrelease1 + goyield) ------
// The hand-off tests' two goroutines: W acquires `s` (it parks: nothing
// was released) and then runs w_got(); U waits until W is parked on `s`,
// then runs u_release(), which releases `s` and records what U does after.
// Returns when both are done.
template <class WGot, class URelease>
void w_acquires_then_u_releases(Sema& s, WGot w_got, URelease u_release) {
  WaitGroup done;
  done.add(2);
  go([&] {  // W
    s.acquire();
    w_got();
    done.done();
  });
  go([&] {  // U
    while (s.waiters() != 1) gosched();  // W parked
    u_release();
    done.done();
  });
  done.wait();
}

// With one P the order in which goroutines record is exactly the order the
// P ran them. W parks on the semaphore (the P runs nothing else until it
// has: no safe point on the way), then U hands it the unit. U yields its P
// to W and waits on the P's local run queue: W records first and sees
// something queued on its P (U; the global queue is empty); U records
// second.
TEST_F(GoroutineSyncTest, AHandoffOnAGoroutineRunsTheReceiverFirstOnTheSameP) {
  use_procs(1);
  Sema s(0);
  std::atomic<int> next{0}, w_at{-1}, u_at{-1};
  std::atomic<bool> w_saw_queued{false};
  const uint64_t yields_before = goroutine_stats().local_yields;
  w_acquires_then_u_releases(
      s,
      [&] {
        w_at = next++;
        w_saw_queued = !internal::spin_view().local_runq_empty;
      },
      [&] {
        s.release(/*handoff=*/true);
        u_at = next++;
      });
  EXPECT_EQ(w_at.load(), 0);
  EXPECT_EQ(u_at.load(), 1);
  EXPECT_TRUE(w_saw_queued.load()) << "the giver is not on the P's local run queue";
  EXPECT_EQ(goroutine_stats().local_yields - yields_before, 1u);
}

// Go skips the yield while the giver may not give up its P (m.locks != 0);
// here: under preempt_disable(). The receiver then waits in runnext until
// the giver is done.
TEST_F(GoroutineSyncTest, AHandoffUnderPreemptDisableDoesNotYield) {
  use_procs(1);
  Sema s(0);
  std::atomic<int> next{0}, w_at{-1}, u_at{-1};
  const uint64_t yields_before = goroutine_stats().local_yields;
  w_acquires_then_u_releases(
      s, [&] { w_at = next++; },
      [&] {
        internal::preempt_disable();
        s.release(/*handoff=*/true);
        u_at = next++;
        internal::preempt_enable();
      });
  EXPECT_EQ(u_at.load(), 0);
  EXPECT_EQ(w_at.load(), 1);
  EXPECT_EQ(goroutine_stats().local_yields - yields_before, 0u);
}

// Hand-offs that involve a thread yield nothing: a thread handing the unit
// to a goroutine (the goroutine goes to the global queue) and a goroutine
// handing it to a thread (FUTEX_WAKE; the goroutine keeps its P). Both
// receivers get the unit.
TEST_F(GoroutineSyncTest, AHandoffWithAThreadOnEitherSideDoesNotYield) {
  use_procs(1);
  Sema s(0);
  const uint64_t yields_before = goroutine_stats().local_yields;
  std::atomic<bool> got{false};
  WaitGroup done;
  done.add(1);
  go([&] {
    s.acquire();
    got = true;
    done.done();
  });
  ASSERT_TRUE(eventually([&] { return s.waiters() == 1; }));
  s.release(/*handoff=*/true);  // granted, or counted if W has not linked yet
  done.wait();
  EXPECT_TRUE(got.load());
  std::atomic<bool> thread_got{false};
  std::thread t([&] {
    s.acquire();
    thread_got = true;
  });
  ASSERT_TRUE(eventually([&] { return s.waiters() == 1; }));
  done.add(1);
  go([&] {
    s.release(/*handoff=*/true);
    done.done();
  });
  done.wait();
  t.join();
  EXPECT_TRUE(thread_got.load());
  EXPECT_EQ(goroutine_stats().local_yields - yields_before, 0u);
}

// ---- many goroutines ---------------------------------------------------------------
// kMany goroutines (10 000 natively) each take a mutex, bump a plain
// counter, send their id through an unbuffered channel to one collector
// goroutine, and wait on a shared "go" channel that is closed at the end:
// all of them are alive (parked) at the same time.
TEST_F(GoroutineSyncTest, TenThousandGoroutinesThroughChannelsAndAMutex) {
  use_procs(2);
  GoMutex mu;
  long counter = 0;  // plain, under mu
  Chan<int> ids(0);
  Chan<int> release(0);
  std::atomic<long> id_sum{0};
  WaitGroup collected, finished;
  collected.add(1);
  finished.add(kMany);
  go([&] {
    long sum = 0;
    for (int i = 0; i < kMany; ++i) sum += ids.receive().value();
    id_sum.store(sum);
    collected.done();
  });
  for (int i = 0; i < kMany; ++i) {
    go([&, i] {
      {
        std::lock_guard<GoMutex> l(mu);
        ++counter;
      }
      ids.send(i);
      release.receive();  // closed at the end: parks until then
      finished.done();
    });
  }
  collected.wait();
  EXPECT_EQ(id_sum.load(), long{kMany} * (kMany - 1) / 2);
  ASSERT_TRUE(eventually([&] { return release.waiting_receivers() == std::size_t{kMany}; }));
  // The collector has signalled but may not have returned yet.
  EXPECT_TRUE(eventually([] { return num_goroutine() == kMany; }));
  release.close();
  finished.wait();
  std::lock_guard<GoMutex> l(mu);
  EXPECT_EQ(counter, kMany);
}

}  // namespace
}  // namespace syncscope
