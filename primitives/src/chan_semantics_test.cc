// Tests of Chan<T>'s semantics: the seed's "特别场景" table (nil, empty,
// not empty, full, closed x receive, send, close), handle semantics, FIFO,
// non-blocking operations, deadlines, len/cap, range-for, move-only and
// tracked element types, many senders and receivers with close, and the
// per-thread stats. Correctness only: the sleeps and deadlines below are
// hang guards or "give the other thread a chance" pauses, never checks of
// speed.
#include <syncscope/chan.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "chan_test_support.h"

namespace syncscope {
namespace {

using namespace std::chrono_literals;
using chan_testing::eventually;
using chan_testing::receivers_queued;
using chan_testing::scaled;
using chan_testing::senders_queued;
using chan_testing::Threads;

static_assert(std::is_base_of_v<std::logic_error, ChanPanic>);
static_assert(std::is_nothrow_copy_constructible_v<Chan<int>>);
static_assert(std::is_nothrow_move_constructible_v<Chan<int>>);
static_assert(std::input_iterator<Chan<int>::Iterator>);

// Expects `f` to throw ChanPanic with exactly `msg`.
template <class F>
void expect_panic(F&& f, const std::string& msg) {
  try {
    f();
    ADD_FAILURE() << "expected ChanPanic(\"" << msg << "\")";
  } catch (const ChanPanic& e) {
    EXPECT_EQ(std::string(e.what()), msg);
  }
}

class ChanCapTest : public ::testing::TestWithParam<std::size_t> {};
INSTANTIATE_TEST_SUITE_P(Caps, ChanCapTest, ::testing::Values(0, 1, 3, 64));

// ---- handles ----------------------------------------------------------------

TEST(ChanHandleTest, DefaultIsNilAndConstructorsMakeChannels) {
  Chan<int> nil;
  EXPECT_TRUE(nil.is_nil());
  EXPECT_FALSE(static_cast<bool>(nil));
  EXPECT_EQ(nil.len(), 0u);
  EXPECT_EQ(nil.cap(), 0u);

  Chan<int> unbuffered(0);
  EXPECT_FALSE(unbuffered.is_nil());
  EXPECT_EQ(unbuffered.cap(), 0u);
  Chan<int> buffered = make_chan<int>(5);
  EXPECT_EQ(buffered.cap(), 5u);
  EXPECT_EQ(make_chan<int>().cap(), 0u);
  EXPECT_FALSE(make_chan<int>() == make_chan<int>());
}

TEST(ChanHandleTest, CopiesShareTheChannelMovesLeaveNil) {
  Chan<int> a(2);
  Chan<int> b = a;
  EXPECT_TRUE(a == b);
  b.send(7);
  EXPECT_EQ(a.len(), 1u);
  EXPECT_EQ(*a.receive(), 7);

  Chan<int> c = std::move(b);
  EXPECT_TRUE(b.is_nil());  // NOLINT(bugprone-use-after-move): moved-from is nil
  EXPECT_TRUE(c == a);
  c = Chan<int>();
  EXPECT_TRUE(c.is_nil());
  a.send(1);  // a still owns the channel
  EXPECT_EQ(a.len(), 1u);
}

TEST(ChanHandleTest, LastHandleDestroysBufferedValues) {
  static std::atomic<int> live{0};
  struct Tracked {
    Tracked() { live.fetch_add(1); }
    Tracked(const Tracked&) { live.fetch_add(1); }
    Tracked(Tracked&&) noexcept { live.fetch_add(1); }
    ~Tracked() { live.fetch_sub(1); }
  };
  {
    Chan<Tracked> c(8);
    for (int i = 0; i < 5; ++i) c.send(Tracked{});
    c.receive();  // one out: the slot's object is destroyed
    EXPECT_EQ(live.load(), 4);
    Chan<Tracked> copy = c;
  }
  EXPECT_EQ(live.load(), 0);
}

TEST(ChanHandleTest, CapacityOutOfRangeThrowsLengthError) {
  EXPECT_THROW(Chan<char>(std::size_t{1} << 40), std::length_error);
}

// ---- the nil channel --------------------------------------------------------

TEST(ChanNilTest, NonBlockingOperationsNeverSucceed) {
  Chan<int> nil;
  EXPECT_FALSE(nil.try_send(1));
  const Received<int> r = nil.try_receive();
  EXPECT_EQ(r.status, RecvStatus::kWouldBlock);
  EXPECT_FALSE(r.value.has_value());
}

TEST(ChanNilTest, BlockingOperationsWaitUntilTheirDeadline) {
  Chan<int> nil;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(nil.send_for(1, 20ms));
  EXPECT_EQ(nil.receive_for(20ms).status, RecvStatus::kWouldBlock);
  EXPECT_EQ(nil.receive_until(std::chrono::system_clock::now() + 5ms).status,
            RecvStatus::kWouldBlock);
  // Blocking "forever" is bounded here by the deadlines; it must not end early.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 40ms);
}

TEST(ChanNilTest, SendAndReceiveBlockForever) {
  // A thread blocked on a nil channel can never be woken, so it cannot be
  // joined: it is detached and the test checks that it is still blocked
  // after giving it every chance to return. (Process exit ends it.)
  static std::atomic<int> returned{0};
  std::thread([] {
    Chan<int> nil;
    nil.send(1);
    returned.fetch_add(1);
  }).detach();
  std::thread([] {
    Chan<int> nil;
    nil.receive();
    returned.fetch_add(1);
  }).detach();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(returned.load(), 0);
}

TEST(ChanNilTest, CloseOfNilPanics) {
  Chan<int> nil;
  expect_panic([&] { nil.close(); }, "close of nil channel");
}

// ---- close ------------------------------------------------------------------

TEST_P(ChanCapTest, ReceiveOnClosedDrainsThenReturnsClosedAtOnce) {
  const std::size_t cap = GetParam();
  Chan<int> c(cap);
  for (std::size_t i = 0; i < cap; ++i) c.send(static_cast<int>(i) + 1);
  c.close();
  EXPECT_EQ(c.len(), cap);
  for (std::size_t i = 0; i < cap; ++i) {
    std::optional<int> v = c.receive();
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(*v, static_cast<int>(i) + 1);
  }
  EXPECT_FALSE(c.receive().has_value());
  const RecvOk<int> ok = c.receive_ok();
  EXPECT_FALSE(ok.ok);
  EXPECT_EQ(ok.value, 0);  // Go's zero value
  EXPECT_EQ(c.try_receive().status, RecvStatus::kClosed);
  EXPECT_TRUE(c.try_receive().closed());
  EXPECT_EQ(c.receive_for(1h).status, RecvStatus::kClosed);  // at once
  EXPECT_EQ(c.len(), 0u);
}

TEST_P(ChanCapTest, SendOnClosedPanics) {
  Chan<int> c(GetParam());
  c.close();
  expect_panic([&] { c.send(1); }, "send on closed channel");
  const int lvalue = 2;
  expect_panic([&] { c.send(lvalue); }, "send on closed channel");
  expect_panic([&] { c.try_send(3); }, "send on closed channel");
  expect_panic([&] { c.send_for(4, 1h); }, "send on closed channel");
}

TEST_P(ChanCapTest, CloseOfClosedPanics) {
  Chan<int> c(GetParam());
  c.close();
  expect_panic([&] { c.close(); }, "close of closed channel");
}

TEST_P(ChanCapTest, CloseWakesEveryBlockedReceiver) {
  Chan<int> c(GetParam());
  constexpr int kReceivers = 4;
  std::atomic<int> closed_seen{0};
  Threads threads;
  for (int i = 0; i < kReceivers; ++i) {
    threads.spawn([&] {
      if (!c.receive().has_value()) closed_seen.fetch_add(1);
    });
  }
  ASSERT_TRUE(eventually([&] { return receivers_queued(c); }));
  c.close();
  threads.join();
  EXPECT_EQ(closed_seen.load(), kReceivers);
}

TEST_P(ChanCapTest, CloseMakesEveryBlockedSenderPanic) {
  const std::size_t cap = GetParam();
  Chan<int> c(cap);
  for (std::size_t i = 0; i < cap; ++i) c.send(0);  // full
  constexpr int kSenders = 3;
  std::atomic<int> panics{0};
  Threads threads;
  for (int i = 0; i < kSenders; ++i) {
    threads.spawn([&] {
      try {
        c.send(1);
      } catch (const ChanPanic& e) {
        if (std::string(e.what()) == "send on closed channel") panics.fetch_add(1);
      }
    });
  }
  ASSERT_TRUE(eventually([&] { return senders_queued(c); }));
  c.close();
  threads.join();
  EXPECT_EQ(panics.load(), kSenders);
  // The buffered values stay readable.
  for (std::size_t i = 0; i < cap; ++i) EXPECT_EQ(c.receive(), 0);
  EXPECT_FALSE(c.receive().has_value());
}

TEST_P(ChanCapTest, RangeEndsWhenClosedAndDrained) {
  Chan<int> c(GetParam());
  const int n = scaled(1000);
  Threads threads;
  threads.spawn([&] {
    for (int i = 0; i < n; ++i) c.send(i);
    c.close();
  });
  int expected = 0;
  for (int v : c) {
    EXPECT_EQ(v, expected);
    ++expected;
  }
  EXPECT_EQ(expected, n);
}

// ---- blocking -----------------------------------------------------------------

TEST_P(ChanCapTest, ReceiveFromEmptyBlocksUntilASend) {
  Chan<int> c(GetParam());
  std::atomic<bool> received{false};
  Threads threads;
  threads.spawn([&] {
    EXPECT_EQ(c.receive(), 42);
    received = true;
  });
  ASSERT_TRUE(eventually([&] { return receivers_queued(c); }));
  EXPECT_FALSE(received.load());
  c.send(42);
  threads.join();
  EXPECT_TRUE(received.load());
}

TEST_P(ChanCapTest, SendToFullBlocksUntilAReceive) {
  const std::size_t cap = GetParam();
  Chan<int> c(cap);
  for (std::size_t i = 0; i < cap; ++i) c.send(static_cast<int>(i));
  std::atomic<bool> sent{false};
  Threads threads;
  threads.spawn([&] {
    c.send(-1);
    sent = true;
  });
  ASSERT_TRUE(eventually([&] { return senders_queued(c); }));
  EXPECT_FALSE(sent.load());
  EXPECT_FALSE(c.try_send(-2));  // still full
  // The waiting sender's value goes behind every buffered one (FIFO).
  for (std::size_t i = 0; i < cap; ++i) EXPECT_EQ(c.receive(), static_cast<int>(i));
  EXPECT_EQ(c.receive(), -1);
  threads.join();
  EXPECT_TRUE(sent.load());
}

TEST(ChanBlockingTest, UnbufferedSendCompletesOnlyWithAReceiver) {
  Chan<int> c(0);
  EXPECT_FALSE(c.try_send(1));  // nobody receiving
  std::atomic<int> phase{0};
  Threads threads;
  threads.spawn([&] {
    c.send(5);
    phase = 1;
  });
  ASSERT_TRUE(eventually([&] { return senders_queued(c); }));
  EXPECT_EQ(phase.load(), 0);
  EXPECT_EQ(c.try_receive().value, 5);  // a waiting sender makes try_receive succeed
  threads.join();
  EXPECT_EQ(phase.load(), 1);
}

TEST(ChanBlockingTest, WaitersAreServedInArrivalOrder) {
  // Receivers queue one after the other (each only once the previous one is
  // counted as waiting); values must reach them in that order.
  Chan<int> c(0);
  constexpr int kReceivers = 4;
  std::vector<int> got(kReceivers, -1);
  Threads threads;
  for (int i = 0; i < kReceivers; ++i) {
    threads.spawn([&, i] { got[i] = *c.receive(); });
    ASSERT_TRUE(
        eventually([&] { return c.waiting_receivers() == static_cast<std::size_t>(i) + 1; }));
  }
  for (int i = 0; i < kReceivers; ++i) c.send(i * 10);
  threads.join();
  for (int i = 0; i < kReceivers; ++i) EXPECT_EQ(got[i], i * 10);
}

TEST(ChanBlockingTest, BlockedSendersAreServedInArrivalOrder) {
  Chan<int> c(1);
  c.send(-1);  // full
  constexpr int kSenders = 4;
  Threads threads;
  for (int i = 0; i < kSenders; ++i) {
    threads.spawn([&, i] { c.send(i); });
    ASSERT_TRUE(eventually([&] { return c.waiting_senders() == static_cast<std::size_t>(i) + 1; }));
  }
  EXPECT_EQ(c.receive(), -1);
  for (int i = 0; i < kSenders; ++i) EXPECT_EQ(c.receive(), i);
  threads.join();
  EXPECT_EQ(c.waiting_senders(), 0u);
}

// ---- FIFO, non-blocking, len/cap -----------------------------------------------

TEST_P(ChanCapTest, ConcurrentProducerIsReceivedInFifoOrder) {
  Chan<int> c(GetParam());
  const int n = scaled(20000);
  Threads threads;
  threads.spawn([&] {
    for (int i = 0; i < n; ++i) c.send(i);
  });
  for (int i = 0; i < n; ++i) ASSERT_EQ(c.receive(), i);
}

TEST(ChanNonBlockingTest, TrySendAndTryReceiveOnABuffer) {
  Chan<int> c(2);
  EXPECT_EQ(c.try_receive().status, RecvStatus::kWouldBlock);
  EXPECT_TRUE(c.try_send(1));
  const int two = 2;
  EXPECT_TRUE(c.try_send(two));
  EXPECT_FALSE(c.try_send(3));
  EXPECT_EQ(c.len(), 2u);
  Received<int> r = c.try_receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 1);
  EXPECT_EQ(r.status, RecvStatus::kValue);
  EXPECT_EQ(*c.try_receive(), 2);
  EXPECT_FALSE(c.try_receive());
}

TEST(ChanNonBlockingTest, FailedOperationsLeaveMoveOnlyValuesUntouched) {
  Chan<std::unique_ptr<int>> c(1);
  auto p = std::make_unique<int>(1);
  ASSERT_TRUE(c.try_send(std::move(p)));
  EXPECT_EQ(p, nullptr);  // sent: moved from
  auto q = std::make_unique<int>(2);
  EXPECT_FALSE(c.try_send(std::move(q)));
  ASSERT_NE(q, nullptr);  // not sent: untouched
  EXPECT_EQ(*q, 2);
  EXPECT_FALSE(c.send_for(std::move(q), 1ms));
  ASSERT_NE(q, nullptr);
  c.close();
  EXPECT_THROW(c.send(std::move(q)), ChanPanic);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(*q, 2);
}

TEST_P(ChanCapTest, LenAndCap) {
  const std::size_t cap = GetParam();
  Chan<int> c(cap);
  EXPECT_EQ(c.len(), 0u);
  EXPECT_EQ(c.cap(), cap);
  for (std::size_t i = 0; i < cap; ++i) {
    c.send(0);
    EXPECT_EQ(c.len(), i + 1);
  }
  EXPECT_EQ(c.cap(), cap);
}

// ---- deadlines --------------------------------------------------------------

TEST_P(ChanCapTest, ReceiveDeadlineExpiresOnEmpty) {
  Chan<int> c(GetParam());
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(c.receive_for(20ms).status, RecvStatus::kWouldBlock);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);  // not before the deadline
  EXPECT_EQ(c.receive_until(std::chrono::steady_clock::now() - 1s).status,
            RecvStatus::kWouldBlock);  // past deadline: a try
  EXPECT_EQ(c.receive_for(-5ms).status, RecvStatus::kWouldBlock);
  // The expired waiter left no trace: a later send/receive pair works.
  Threads threads;
  threads.spawn([&] { c.send(9); });
  EXPECT_EQ(c.receive_for(1h).value, 9);
}

TEST_P(ChanCapTest, SendDeadlineExpiresOnFull) {
  const std::size_t cap = GetParam();
  Chan<int> c(cap);
  for (std::size_t i = 0; i < cap; ++i) c.send(0);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(c.send_for(1, 20ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
  EXPECT_FALSE(c.send_until(1, std::chrono::system_clock::now() - 1s));
  EXPECT_EQ(c.len(), cap);
  // The cancelled sender left no value behind.
  for (std::size_t i = 0; i < cap; ++i) EXPECT_EQ(c.receive(), 0);
  EXPECT_EQ(c.try_receive().status, RecvStatus::kWouldBlock);
}

TEST_P(ChanCapTest, DeadlineWaiterIsServedWhenAPartnerArrives) {
  Chan<int> c(GetParam());
  Threads threads;
  Received<int> got;
  threads.spawn([&] { got = c.receive_for(1h); });
  ASSERT_TRUE(eventually([&] { return receivers_queued(c); }));
  c.send(3);
  threads.join();
  EXPECT_EQ(got.status, RecvStatus::kValue);
  EXPECT_EQ(got.value, 3);
}

TEST(ChanDeadlineTest, ManyTimedWaitersRacingWithSendsLoseNothing) {
  // Timed receivers that time out concurrently with sends: every value is
  // received exactly once, by a receiver or by the final drain.
  Chan<int> c(0);
  const int n = scaled(2000);
  std::atomic<long> sum{0};
  std::atomic<int> count{0};
  std::atomic<bool> stop{false};
  Threads threads;
  for (int t = 0; t < 3; ++t) {
    threads.spawn([&] {
      while (!stop.load()) {
        Received<int> r = c.receive_for(50us);
        if (r) {
          sum += *r;
          count.fetch_add(1);
        }
      }
    });
  }
  long expected = 0;
  for (int i = 1; i <= n; ++i) {
    c.send(i);
    expected += i;
  }
  stop = true;
  threads.join();
  EXPECT_EQ(count.load(), n);
  EXPECT_EQ(sum.load(), expected);
}

// ---- element types ----------------------------------------------------------

TEST_P(ChanCapTest, MoveOnlyValuesThroughEveryPath) {
  Chan<std::unique_ptr<int>> c(GetParam());
  const int n = scaled(2000);
  Threads threads;
  threads.spawn([&] {
    for (int i = 0; i < n; ++i) c.send(std::make_unique<int>(i));
    c.close();
  });
  int expected = 0;
  for (std::unique_ptr<int>& p : c) {
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(*p, expected++);
  }
  EXPECT_EQ(expected, n);
}

TEST(ChanTypesTest, NonDefaultConstructibleAndStrings) {
  struct NoDefault {
    explicit NoDefault(int x) : v(x) {}
    int v;
  };
  Chan<NoDefault> c(1);
  c.send(NoDefault(4));
  EXPECT_EQ(c.receive()->v, 4);

  Chan<std::string> s(0);
  Threads threads;
  const std::string big(1000, 'x');
  threads.spawn([&] { s.send(big); });
  EXPECT_EQ(*s.receive(), big);
}

TEST(ChanTypesTest, ChannelsOfChannels) {
  Chan<Chan<int>> cc(1);
  Chan<int> inner(1);
  cc.send(inner);
  std::optional<Chan<int>> got = cc.receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(*got == inner);
  got->send(5);
  EXPECT_EQ(inner.receive(), 5);
}

// ---- many senders and receivers ---------------------------------------------

TEST_P(ChanCapTest, ManySendersAndReceiversLoseAndDuplicateNothing) {
  Chan<int> c(GetParam());
  constexpr int kSenders = 4;
  constexpr int kReceivers = 4;
  const int per_sender = scaled(5000);
  std::vector<std::vector<int>> got(kReceivers);
  Threads receivers;
  for (int r = 0; r < kReceivers; ++r) {
    receivers.spawn([&, r] {
      for (int v : c) got[r].push_back(v);  // range ends at close
    });
  }
  {
    Threads senders;
    for (int s = 0; s < kSenders; ++s) {
      senders.spawn([&, s] {
        for (int i = 0; i < per_sender; ++i) c.send(s * per_sender + i);
      });
    }
  }
  c.close();
  receivers.join();
  std::vector<int> all;
  for (const auto& g : got) {
    // Values of one sender arrive in that sender's order at each receiver.
    std::vector<int> last(kSenders, -1);
    for (int v : g) {
      EXPECT_GT(v, last[v / per_sender]);
      last[v / per_sender] = v;
    }
    all.insert(all.end(), g.begin(), g.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<int> expected(kSenders * per_sender);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all, expected);
}

// ---- the channel lock ---------------------------------------------------------

TEST(ChanLockTest, MutualExclusionWithSleepingWaiters) {
  // More threads than cores, and critical sections that sometimes yield the
  // CPU while holding the lock: waiters exhaust their spin and sleep on the
  // lock's Sema, so the sleeping path of the lock is exercised.
  Chan<int> c(1);
  detail::ChanCore* core = c.core();
  long counter = 0;  // plain: guarded by the channel lock (TSan checks)
  const int per_thread = scaled(4000);
  constexpr int kThreads = 6;
  std::atomic<uint64_t> lock_parks{0};
  Threads threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.spawn([&] {
      reset_chan_thread_stats();
      for (int i = 0; i < per_thread; ++i) {
        core->lock();
        ++counter;
        if (i % 64 == 0) std::this_thread::yield();
        core->unlock();
      }
      lock_parks += chan_thread_stats().lock_parks;
    });
  }
  threads.join();
  EXPECT_EQ(counter, static_cast<long>(kThreads) * per_thread);
  // The channel still works afterwards (the lock is free, no stray units
  // make it admit two holders).
  c.send(1);
  EXPECT_EQ(c.receive(), 1);
  RecordProperty("lock_parks", std::to_string(lock_parks.load()));
}

// ---- stats ----------------------------------------------------------------------

TEST(ChanStatsTest, BlockingIsCountedPerThread) {
  reset_chan_thread_stats();
  EXPECT_EQ(chan_thread_stats().blocked, 0u);
  Chan<int> c(0);
  Threads threads;
  threads.spawn([&] {
    ASSERT_TRUE(eventually([&] { return receivers_queued(c); }));
    c.send(1);
  });
  EXPECT_EQ(c.receive(), 1);
  threads.join();
  const ChanStats st = chan_thread_stats();
  EXPECT_EQ(st.blocked, 1u);
  EXPECT_EQ(st.spin_wakeups + st.late_wakeups + st.parks, 1u);
  // A timed receive that queues and gives up counts one timeout. One whose
  // deadline has already passed when it reaches the queue (this thread was
  // descheduled for longer than the timeout after computing it) returns at
  // once without queueing: neither counter moves. So each attempt must move
  // both counters or neither; retry until one really queued.
  bool queued = false;
  for (int attempt = 0; attempt < 1000 && !queued; ++attempt) {
    const ChanStats before = chan_thread_stats();
    EXPECT_EQ(c.receive_for(1ms).status, RecvStatus::kWouldBlock);
    const ChanStats after = chan_thread_stats();
    queued = after.blocked != before.blocked;
    EXPECT_EQ(after.blocked - before.blocked, after.timeouts - before.timeouts);
  }
  ASSERT_TRUE(queued);
  EXPECT_EQ(chan_thread_stats().timeouts, 1u);
  reset_chan_thread_stats();
  EXPECT_EQ(chan_thread_stats().blocked, 0u);
}

}  // namespace
}  // namespace syncscope
