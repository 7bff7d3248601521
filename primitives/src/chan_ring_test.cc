// Tests of the buffered channels' lock-free ring (chan_buffered.h) and of
// its waiting protocol (chan_core.h, "Buffered channels"): close racing with
// senders on a full ring, per-producer order under many producers and
// consumers, select mixing lock-free cases with parked ones, len/cap
// consistency across laps, and notifications that must not be lost.
//
// Capacities include 1 (every operation meets a full or empty ring), 3 (not
// a power of two: the lap arithmetic wraps at an index that is not a mask)
// and 1024. Under qemu-aarch64 these run with the host's memory ordering:
// they check the code paths and both atomics flavours, not ARM's reorderings.
#include <syncscope/chan.h>
#include <syncscope/select.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>
#include <vector>

#include "chan_test_support.h"

namespace syncscope {
namespace {

using chan_testing::eventually;
using chan_testing::expect_woken;
using chan_testing::receivers_queued;
using chan_testing::scaled;
using chan_testing::senders_queued;
using chan_testing::Threads;

// A value tagged with its producer and its sequence number.
constexpr int64_t kSeqBits = 32;
int64_t tag(int producer, int64_t seq) { return (int64_t{producer} << kSeqBits) | seq; }
int producer_of(int64_t v) { return static_cast<int>(v >> kSeqBits); }
int64_t seq_of(int64_t v) { return v & ((int64_t{1} << kSeqBits) - 1); }

class RingCapTest : public ::testing::TestWithParam<std::size_t> {};
INSTANTIATE_TEST_SUITE_P(Caps, RingCapTest, ::testing::Values(1, 3, 16, 1024));

// ---- close while senders race on a full ring ----------------------------------
// Senders keep sending until close() makes them throw; the closer waits until
// the ring is full and a sender is queued, closes, then drains. Every send that
// returned normally must be received exactly once, in its producer's order;
// every send that threw must not be.
TEST_P(RingCapTest, CloseWhileSendersRaceOnAFullRingDeliversExactlyTheCompletedSends) {
  const std::size_t cap = GetParam();
  constexpr int kSenders = 4;
  const int rounds = scaled(20);
  for (int round = 0; round < rounds; ++round) {
    Chan<int64_t> c(cap);
    std::vector<int64_t> sent(kSenders, 0);
    std::atomic<int> panics{0};
    std::vector<int64_t> got;
    {
      Threads threads;
      for (int p = 0; p < kSenders; ++p) {
        threads.spawn([&, p] {
          for (int64_t i = 0;; ++i) {
            try {
              c.send(tag(p, i));
            } catch (const ChanPanic&) {
              panics.fetch_add(1);
              return;
            }
            sent[p] = i + 1;
          }
        });
      }
      // Receive a while (racing with the senders), then let the ring fill.
      for (int i = 0; i < 64 + round; ++i) got.push_back(*c.receive());
      ASSERT_TRUE(eventually([&] { return c.len() == cap && senders_queued(c); }));
      c.close();
      threads.join();
    }
    EXPECT_EQ(panics.load(), kSenders);  // every sender ended by the close
    EXPECT_EQ(c.len(), cap);             // what was buffered stays readable
    for (std::optional<int64_t> v = c.receive(); v; v = c.receive()) got.push_back(*v);
    EXPECT_EQ(c.len(), 0u);
    EXPECT_EQ(c.try_receive().status, RecvStatus::kClosed);
    std::vector<int64_t> next(kSenders, 0);
    for (int64_t v : got) {
      const int p = producer_of(v);
      ASSERT_GE(p, 0);
      ASSERT_LT(p, kSenders);
      ASSERT_EQ(seq_of(v), next[p]) << "producer " << p << ", round " << round;
      ++next[p];
    }
    for (int p = 0; p < kSenders; ++p) EXPECT_EQ(next[p], sent[p]) << "producer " << p;
  }
}

// A close racing with senders that are still on the lock-free path (no one
// queued): the same accounting, without waiting for a full ring.
TEST_P(RingCapTest, CloseRacingWithLockFreeSendsLosesNothing) {
  const std::size_t cap = GetParam();
  constexpr int kSenders = 3;
  const int rounds = scaled(40);
  for (int round = 0; round < rounds; ++round) {
    Chan<int64_t> c(cap);
    std::vector<int64_t> sent(kSenders, 0);
    std::vector<int64_t> got;
    std::atomic<int> started{0};
    Threads threads;
    for (int p = 0; p < kSenders; ++p) {
      threads.spawn([&, p] {
        started.fetch_add(1);
        for (int64_t i = 0;; ++i) {
          try {
            c.send(tag(p, i));
          } catch (const ChanPanic&) {
            return;
          }
          sent[p] = i + 1;
        }
      });
    }
    Threads receiver;
    receiver.spawn([&] {
      for (std::optional<int64_t> v = c.receive(); v; v = c.receive()) got.push_back(*v);
    });
    ASSERT_TRUE(eventually([&] { return started.load() == kSenders; }));
    c.close();
    threads.join();
    receiver.join();
    std::vector<int64_t> next(kSenders, 0);
    for (int64_t v : got) {
      const int p = producer_of(v);
      ASSERT_EQ(seq_of(v), next[p]);
      ++next[p];
    }
    for (int p = 0; p < kSenders; ++p) EXPECT_EQ(next[p], sent[p]);
  }
}

// ---- many producers and consumers -----------------------------------------
// Each consumer must see each producer's values in increasing order (the ring
// is FIFO: a later send of one producer cannot be received before an earlier
// one), and together they receive every value exactly once.
TEST_P(RingCapTest, ManyProducersAndConsumersKeepEachProducersOrder) {
  const std::size_t cap = GetParam();
  constexpr int kProducers = 4;
  constexpr int kConsumers = 4;
  const int64_t per = scaled(20000);
  Chan<int64_t> c(cap);
  std::vector<std::vector<int64_t>> got(kConsumers);
  Threads consumers;
  for (int k = 0; k < kConsumers; ++k) {
    consumers.spawn([&, k] {
      std::vector<int64_t> last(kProducers, -1);
      for (int64_t v : c) {
        const int p = producer_of(v);
        ASSERT_GT(seq_of(v), last[p]) << "consumer " << k << " producer " << p;
        last[p] = seq_of(v);
        got[k].push_back(v);
      }
    });
  }
  {
    Threads producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.spawn([&, p] {
        for (int64_t i = 0; i < per; ++i) c.send(tag(p, i));
      });
    }
  }
  c.close();
  consumers.join();
  std::vector<std::vector<bool>> seen(kProducers, std::vector<bool>(per, false));
  int64_t total = 0;
  for (const auto& g : got) {
    for (int64_t v : g) {
      ASSERT_FALSE(seen[producer_of(v)][seq_of(v)]) << "duplicate";
      seen[producer_of(v)][seq_of(v)] = true;
      ++total;
    }
  }
  EXPECT_EQ(total, per * kProducers);
}

// try_send / try_receive only, many threads: nothing lost or duplicated, and
// a failed try leaves the value with its owner.
TEST_P(RingCapTest, NonBlockingOperationsAloneLoseAndDuplicateNothing) {
  const std::size_t cap = GetParam();
  constexpr int kThreads = 4;
  const int64_t per = scaled(5000);
  Chan<int64_t> c(cap);
  std::atomic<int64_t> received{0};
  std::vector<std::vector<int64_t>> got(kThreads);
  Threads threads;
  for (int p = 0; p < kThreads; ++p) {
    threads.spawn([&, p] {
      int64_t i = 0;
      while (i < per || received.load() < per * kThreads) {
        if (i < per && c.try_send(tag(p, i))) ++i;
        if (Received<int64_t> r = c.try_receive()) {
          got[p].push_back(*r);
          received.fetch_add(1);
        }
      }
    });
  }
  threads.join();
  std::vector<int64_t> all;
  for (const auto& g : got) all.insert(all.end(), g.begin(), g.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(per * kThreads));
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
  EXPECT_EQ(c.len(), 0u);
}

// ---- len / cap ---------------------------------------------------------------
// Sequentially, across many laps of the ring: len() is exact.
TEST_P(RingCapTest, LenIsExactAcrossLaps) {
  const std::size_t cap = GetParam();
  Chan<int> c(cap);
  int next_in = 0;
  int next_out = 0;
  const int laps = cap > 16 ? 3 : 50;
  for (int lap = 0; lap < laps; ++lap) {
    // Fill to a level that moves with the lap, then drain part of it.
    const std::size_t fill = cap - static_cast<std::size_t>(lap) % cap;
    while (c.len() < fill) c.send(next_in++);
    ASSERT_EQ(c.len(), fill);
    ASSERT_EQ(c.cap(), cap);
    if (c.len() == cap) {
      ASSERT_FALSE(c.try_send(-1));
    }
    const std::size_t take = (fill + 1) / 2;
    for (std::size_t i = 0; i < take; ++i) ASSERT_EQ(c.receive(), next_out++);
    ASSERT_EQ(c.len(), fill - take);
  }
  while (c.len() > 0) ASSERT_EQ(c.receive(), next_out++);
  EXPECT_EQ(next_in, next_out);
}

// Concurrently: every snapshot of len() lies in [0, cap], and once the
// threads are done it equals sends minus receives.
TEST_P(RingCapTest, LenStaysWithinBoundsUnderConcurrency) {
  const std::size_t cap = GetParam();
  Chan<int> c(cap);
  // Small rings hand off per message: fewer of them keep the test short.
  const int per = scaled(cap < 16 ? 1000 : 5000);
  std::atomic<bool> done{false};
  std::atomic<std::size_t> max_seen{0};
  Threads threads;
  threads.spawn([&] {
    // A third thread on a 2-CPU machine: it yields after each snapshot so
    // that it does not stand between the sender and the receiver.
    while (!done.load()) {
      const std::size_t n = c.len();
      ASSERT_LE(n, cap);
      if (n > max_seen.load(std::memory_order_relaxed)) max_seen.store(n);
      std::this_thread::yield();
    }
  });
  {
    Threads workers;
    workers.spawn([&] {
      for (int i = 0; i < per; ++i) c.send(i);
    });
    workers.spawn([&] {
      for (int i = 0; i < per - static_cast<int>(cap) / 2; ++i) ASSERT_TRUE(c.receive());
    });
  }
  done.store(true);
  threads.join();
  EXPECT_EQ(c.len(), cap / 2);
  EXPECT_LE(max_seen.load(), cap);
}

// ---- notifications ---------------------------------------------------------------
// One value for many queued receivers: exactly one gets it; each later value
// wakes exactly one more (a notification is never lost, and no waiter is
// left asleep while a value sits in the ring).
TEST(RingNotifyTest, EachValueWakesOneQueuedReceiver) {
  Chan<int> c(4);
  constexpr int kReceivers = 5;
  std::atomic<int> sum{0};
  std::atomic<int> done{0};
  Threads threads;
  for (int i = 0; i < kReceivers; ++i) {
    threads.spawn([&] {
      sum.fetch_add(*c.receive());
      done.fetch_add(1);
    });
  }
  ASSERT_TRUE(eventually([&] { return c.waiting_receivers() == kReceivers; }));
  for (int i = 1; i <= kReceivers; ++i) {
    c.send(i);
    ASSERT_TRUE(eventually([&] { return done.load() == i; }));
  }
  threads.join();
  EXPECT_EQ(sum.load(), kReceivers * (kReceivers + 1) / 2);
  EXPECT_EQ(c.len(), 0u);
}

// Timed receivers that give up while values arrive: every value sent is
// received by someone, by a later plain receive at the latest.
TEST_P(RingCapTest, TimedWaitersAndNotificationsLoseNothing) {
  const std::size_t cap = GetParam();
  Chan<int> c(cap);
  const int n = scaled(3000);
  std::atomic<int64_t> sum{0};
  std::atomic<int> count{0};
  Threads threads;
  for (int k = 0; k < 3; ++k) {
    threads.spawn([&] {
      while (count.load() < n) {
        Received<int> r = c.receive_for(std::chrono::microseconds(50));
        if (r) {
          sum.fetch_add(*r);
          count.fetch_add(1);
        }
      }
    });
  }
  for (int i = 1; i <= n; ++i) c.send(i);
  threads.join();
  EXPECT_EQ(count.load(), n);
  EXPECT_EQ(sum.load(), int64_t{n} * (n + 1) / 2);
}

// ---- hand-off to queued waiters (chan_core.h, "Hand-off") -----------------------
// Senders queued on a full ring, oldest first: each receive refills the slot
// it empties with the oldest queued sender's value under the lock, so a
// newcomer finds the ring full again (it cannot overtake), the values come
// out in the senders' arrival order, and each sender blocked exactly once
// (served, never woken to retry).
TEST_P(RingCapTest, QueuedSendersGetFreedSlotsOldestFirstAndNoNewcomerOvertakes) {
  const std::size_t cap = GetParam();
  Chan<int> c(cap);
  for (std::size_t i = 0; i < cap; ++i) c.send(-1);
  constexpr int kSenders = 4;
  std::vector<uint64_t> blocked(kSenders, 0);
  Threads threads;
  for (int i = 0; i < kSenders; ++i) {
    threads.spawn([&, i] {
      reset_chan_thread_stats();
      c.send(i);
      blocked[i] = chan_thread_stats().blocked;
    });
    ASSERT_TRUE(eventually([&] { return c.waiting_senders() == static_cast<std::size_t>(i) + 1; }));
  }
  // The buffered values, then the queued senders' in arrival order.
  std::vector<int> want(cap, -1);
  for (int i = 0; i < kSenders; ++i) want.push_back(i);
  for (std::size_t j = 0; j < want.size(); ++j) {
    EXPECT_EQ(c.receive(), want[j]);
    if (j < kSenders) {
      // The slot just freed already holds queued sender j's value.
      EXPECT_EQ(c.len(), cap);
      EXPECT_FALSE(c.try_send(99)) << "a newcomer took the slot of a queued sender";
    }
  }
  threads.join();
  for (int i = 0; i < kSenders; ++i) EXPECT_EQ(blocked[i], 1u) << "sender " << i;
  EXPECT_EQ(c.len(), 0u);
  EXPECT_EQ(c.waiting_senders(), 0u);
}

// Receivers queued on an empty ring, oldest first: each send moves its value
// straight into the oldest one's destination (Go's send to a waiting
// receiver), so the ring stays empty, a newcomer's try_receive finds
// nothing, values reach the receivers in arrival order, and each blocked
// exactly once.
TEST_P(RingCapTest, QueuedReceiversGetValuesOldestFirstAndNoNewcomerOvertakes) {
  Chan<int> c(GetParam());
  constexpr int kReceivers = 4;
  std::vector<int> got(kReceivers, -1);
  std::vector<uint64_t> blocked(kReceivers, 0);
  Threads threads;
  for (int i = 0; i < kReceivers; ++i) {
    threads.spawn([&, i] {
      reset_chan_thread_stats();
      got[i] = *c.receive();
      blocked[i] = chan_thread_stats().blocked;
    });
    ASSERT_TRUE(
        eventually([&] { return c.waiting_receivers() == static_cast<std::size_t>(i) + 1; }));
  }
  for (int i = 0; i < kReceivers; ++i) {
    c.send(i * 10);
    EXPECT_EQ(c.len(), 0u);
    EXPECT_EQ(c.try_receive().status, RecvStatus::kWouldBlock)
        << "a newcomer took the value of a queued receiver";
  }
  threads.join();
  for (int i = 0; i < kReceivers; ++i) {
    EXPECT_EQ(got[i], i * 10) << "receiver " << i;
    EXPECT_EQ(blocked[i], 1u) << "receiver " << i;
  }
}

// Stress for the senders' side of the hand-off: timed senders on a ring
// that a slow receiver drains (queued senders served, cancelled ones racing
// the serving receiver): every send that returned true is received exactly
// once and in its sender's order, none that returned false is.
TEST_P(RingCapTest, TimedSendersAndHandOffsLoseAndDuplicateNothing) {
  const std::size_t cap = GetParam();
  Chan<int64_t> c(cap);
  constexpr int kSenders = 3;
  const int n = scaled(2000);
  std::vector<std::vector<int64_t>> sent(kSenders);
  Threads threads;
  for (int p = 0; p < kSenders; ++p) {
    threads.spawn([&, p] {
      for (int64_t i = 0; i < n; ++i) {
        if (c.send_for(tag(p, i), std::chrono::microseconds(20))) sent[p].push_back(i);
      }
    });
  }
  std::atomic<bool> done{false};
  std::vector<std::vector<int64_t>> got(kSenders);
  std::thread receiver([&] {
    for (;;) {
      Received<int64_t> r = c.receive_for(std::chrono::milliseconds(1));
      if (r) {
        got[producer_of(*r)].push_back(seq_of(*r));
      } else if (done.load()) {
        return;
      }
    }
  });
  threads.join();
  done.store(true);
  receiver.join();
  while (Received<int64_t> r = c.try_receive()) got[producer_of(*r)].push_back(seq_of(*r));
  for (int p = 0; p < kSenders; ++p) EXPECT_EQ(got[p], sent[p]) << "producer " << p;
  EXPECT_EQ(c.waiting_senders(), 0u);
}

// ---- select over buffered channels ----------------------------------------------
// A select parked on empty buffered channels is woken by a lock-free send
// on one of them, and receives that value.
TEST(RingSelectTest, ParkedSelectIsWokenByALockFreeSend) {
  Chan<int> a(2), b(3);
  for (int round = 0; round < scaled(50); ++round) {
    int got = -1;
    int fired = -1;
    Threads threads;
    threads.spawn([&] {
      fired = Select()
                  .recv(a, [&](std::optional<int> v) { got = *v; })
                  .recv(b, [&](std::optional<int> v) { got = *v; })
                  .run();
    });
    ASSERT_TRUE(eventually([&] { return receivers_queued(a) && receivers_queued(b); }));
    (round % 2 == 0 ? a : b).send(round);
    threads.join();
    EXPECT_EQ(fired, round % 2);
    EXPECT_EQ(got, round);
    EXPECT_EQ(a.waiting_receivers() + b.waiting_receivers(), 0u);
  }
}

// A select parked on full buffered channels (send cases) is woken by a
// receive that frees a slot, and sends into it.
TEST(RingSelectTest, ParkedSendSelectIsWokenByALockFreeReceive) {
  Chan<int> a(1), b(1);
  a.send(-1);
  b.send(-2);
  int fired = -1;
  Threads threads;
  threads.spawn([&] { fired = Select().send(a, 10).send(b, 20).run(); });
  ASSERT_TRUE(eventually([&] { return senders_queued(a) && senders_queued(b); }));
  EXPECT_EQ(b.receive(), -2);
  threads.join();
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(b.receive(), 20);
  EXPECT_EQ(a.len(), 1u);
  EXPECT_EQ(a.receive(), -1);
}

// A parked select over buffered channels is woken by close (receive: fires
// with nullopt; send: throws).
TEST(RingSelectTest, CloseWakesAParkedSelect) {
  Chan<int> a(2), b(2);
  std::optional<int> got = 7;
  int fired = -1;
  Threads threads;
  threads.spawn(
      [&] { fired = Select().recv(a, [&](std::optional<int> v) { got = v; }).recv(b).run(); });
  ASSERT_TRUE(eventually([&] { return receivers_queued(a); }));
  a.close();
  threads.join();
  EXPECT_EQ(fired, 0);
  EXPECT_FALSE(got.has_value());

  Chan<int> full(1);
  full.send(0);
  b.send(0);  // b full too, so the select parks on both
  b.send(0);
  bool threw = false;
  threads.spawn([&] {
    try {
      Select().send(full, 1).send(b, 2).run();
    } catch (const ChanPanic&) {
      threw = true;
    }
  });
  ASSERT_TRUE(eventually([&] { return senders_queued(full) && senders_queued(b); }));
  full.close();
  threads.join();
  EXPECT_TRUE(threw);
}

// Stress: producers on two buffered channels and an unbuffered one,
// consumers in select loops (fast path, lock-free pass, parking all mixed).
// Per producer order holds per consumer, and every value arrives once.
TEST_P(RingCapTest, SelectConsumersOverMixedChannelsKeepOrderAndLoseNothing) {
  const std::size_t cap = GetParam();
  Chan<int64_t> a(cap), b(cap), u(0);
  Chan<Signal> stop(0);
  constexpr int kConsumers = 2;
  const int64_t per = scaled(5000);
  std::vector<std::vector<int64_t>> got(kConsumers);
  Threads consumers;
  for (int k = 0; k < kConsumers; ++k) {
    consumers.spawn([&, k] {
      std::vector<int64_t> last(3, -1);
      bool open = true;
      while (open) {
        std::optional<int64_t> v;
        const auto take = [&](std::optional<int64_t> x) { v = x; };
        Select().recv(a, take).recv(b, take).recv(u, take).recv(stop, [&] { open = false; }).run();
        if (!v) continue;
        const int p = producer_of(*v);
        ASSERT_GT(seq_of(*v), last[p]);
        last[p] = seq_of(*v);
        got[k].push_back(*v);
      }
    });
  }
  {
    Threads producers;
    producers.spawn([&] {
      for (int64_t i = 0; i < per; ++i) a.send(tag(0, i));
    });
    producers.spawn([&] {
      for (int64_t i = 0; i < per; ++i) b.send(tag(1, i));
    });
    producers.spawn([&] {
      for (int64_t i = 0; i < per; ++i) u.send(tag(2, i));
    });
  }
  ASSERT_TRUE(eventually([&] { return a.len() == 0 && b.len() == 0; }));
  stop.close();
  consumers.join();
  std::vector<int64_t> all;
  for (const auto& g : got) all.insert(all.end(), g.begin(), g.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(3 * per));
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
}

// ---- select's locked pass publishes every hand-off it made ----------------------
// A buffered case's poll in select's locked pass (pass 1) first serves the
// queued waiters (serve_locked) and may then still block; the waiters it
// served must be published and woken all the same. Until this was fixed the
// hand-offs of a case that blocked were dropped: those waiters stayed
// claimed and dequeued forever (the channels suite's select_both hang).
//
// If a waiter is never woken, the test cannot fail cleanly (its thread can
// no longer be joined): it reports and aborts after the hang guard.

// Builds, deterministically, the transient state a lock-free operation can
// leave behind: ring full (one value, cap 1) with a sender AND a receiver
// queued. The ring-only operations (try_pop / try_push) and the waiting
// half alone (wait_ring) move the ring without serving anyone, as a
// newcomer racing a serving thread does.
//   a holds `ring_value`; S (sending 2) and R (receiving into *got) queued.
struct BothQueued {
  Chan<int> a{1};
  std::optional<int> got;
  detail::ChanCore::RingWait how = detail::ChanCore::RingWait::kTimedOut;
  std::atomic<bool> sent{false};
  std::atomic<bool> received{false};
  Threads threads;

  void build(bool full) {
    auto* ring = static_cast<detail::BufferedChan<int>*>(a.core());
    ASSERT_TRUE(a.try_send(1));
    threads.spawn([this] {
      a.send(2);
      sent.store(true);
    });
    ASSERT_TRUE(eventually([&] { return senders_queued(a); }));
    std::optional<int> one;
    ASSERT_EQ(ring->try_pop(&one), detail::Poll::kDone);  // empty, S still queued
    ASSERT_EQ(one, 1);
    threads.spawn([this] {
      how = a.core()->wait_ring(/*for_send=*/false, &got, nullptr);
      received.store(true);
    });
    ASSERT_TRUE(eventually([&] { return receivers_queued(a); }));
    if (full) {
      int three = 3;
      ASSERT_EQ(ring->try_push(three), detail::Poll::kDone);  // full, both still queued
    }
    ASSERT_TRUE(senders_queued(a) && receivers_queued(a));
    ASSERT_FALSE(sent.load() || received.load());
  }
  void join() {
    expect_woken([&] { return sent.load(); }, "the queued sender");
    expect_woken([&] { return received.load(); }, "the queued receiver");
    threads.join();
  }
};

// Send case: the ring is full, so pass 0 skips it; pass 1's poll gives the
// ring's value (3) to R, S's value (2) to the freed slot, and then finds
// the ring full: the case blocks and the default fires — R and S must have
// been completed and woken.
TEST(RingSelectTest, LockedPassPublishesTheHandOffsOfASendCaseThatBlocks) {
  BothQueued q;
  ASSERT_NO_FATAL_FAILURE(q.build(/*full=*/true));
  EXPECT_EQ(Select().send(q.a, 4).default_case().run(), 1);
  q.join();
  EXPECT_EQ(q.how, detail::ChanCore::RingWait::kTransferred);
  EXPECT_EQ(q.got, 3);
  EXPECT_EQ(q.a.len(), 1u);
  EXPECT_EQ(q.a.receive(), 2);
  EXPECT_EQ(q.a.waiting_senders() + q.a.waiting_receivers(), 0u);
}

// Receive case: the ring is empty, so pass 0 skips it; pass 1's poll moves
// S's value (2) into the ring and from there to R, and then finds the ring
// empty: the case blocks and the default fires.
TEST(RingSelectTest, LockedPassPublishesTheHandOffsOfAReceiveCaseThatBlocks) {
  BothQueued q;
  ASSERT_NO_FATAL_FAILURE(q.build(/*full=*/false));
  EXPECT_EQ(Select().recv(q.a).default_case().run(), 1);
  q.join();
  EXPECT_EQ(q.how, detail::ChanCore::RingWait::kTransferred);
  EXPECT_EQ(q.got, 2);
  EXPECT_EQ(q.a.len(), 0u);
  EXPECT_EQ(q.a.waiting_senders() + q.a.waiting_receivers(), 0u);
}

// Select's choice among ready buffered cases stays uniform on the lock-free
// pass: with both channels always holding values, each case fires about
// half the time (bounds at ~1e-8 for a fair coin, as the other fairness
// tests use).
TEST(RingSelectTest, ChoiceAmongReadyBufferedCasesIsUniform) {
  Chan<int> a(8), b(8);
  const int n = 4000;
  int from_a = 0;
  for (int i = 0; i < n; ++i) {
    while (a.try_send(0)) {
    }
    while (b.try_send(0)) {
    }
    if (Select().recv(a).recv(b).run() == 0) ++from_a;
  }
  // n/2 +- 5.7 sigma (sigma = sqrt(n)/2).
  const double sigma = std::sqrt(static_cast<double>(n)) / 2;
  EXPECT_GT(from_a, n / 2 - 5.7 * sigma);
  EXPECT_LT(from_a, n / 2 + 5.7 * sigma);
}

// ---- batching of the spin before queueing (chan_core.cc, "Batching") ----------
TEST(RingBatchRuleTest, TargetIsHalfTheRingBetweenOneAndTheMaximum) {
  using detail::kRingBatchMax;
  using detail::ring_batch_target;
  EXPECT_EQ(ring_batch_target(1), 1u);
  EXPECT_EQ(ring_batch_target(2), 1u);
  EXPECT_EQ(ring_batch_target(3), 1u);
  EXPECT_EQ(ring_batch_target(4), 2u);
  EXPECT_EQ(ring_batch_target(16), 8u);
  EXPECT_EQ(ring_batch_target(64), kRingBatchMax);
  EXPECT_EQ(ring_batch_target(1024), kRingBatchMax);
}

TEST(RingBatchRuleTest, SpinEndsAtTheTargetOnCloseOrWhenTheRoomStopsGrowing) {
  using detail::ChanCore;
  using detail::ring_spin_done;
  // Nothing there yet: keep spinning, whatever was seen before.
  EXPECT_FALSE(ring_spin_done(0, 0, 8));
  EXPECT_FALSE(ring_spin_done(0, 3, 8));
  // The target reached, or closed: go.
  EXPECT_TRUE(ring_spin_done(8, 0, 8));
  EXPECT_TRUE(ring_spin_done(16, 7, 8));
  EXPECT_TRUE(ring_spin_done(ChanCore::kRingClosed, 0, 8));
  // Some room, still growing: wait for more.
  EXPECT_FALSE(ring_spin_done(1, 0, 8));
  EXPECT_FALSE(ring_spin_done(5, 4, 8));
  // Some room that stopped growing (the partner paused) or shrank (other
  // spinners took some): go now rather than wait.
  EXPECT_TRUE(ring_spin_done(3, 3, 8));
  EXPECT_TRUE(ring_spin_done(2, 5, 8));
  // Target 1 (caps 1-3): any room at all, as without batching.
  EXPECT_TRUE(ring_spin_done(1, 0, 1));
}

TEST_P(RingCapTest, RingRoomCountsFreeSlotsAndValuesExactlyAcrossLaps) {
  const std::size_t cap = GetParam();
  Chan<int> c(cap);
  const detail::ChanCore* core = c.core();
  const auto n = static_cast<uint32_t>(cap);
  // Three laps of fill-then-drain steps, so the positions wrap.
  for (int lap = 0; lap < 3; ++lap) {
    for (uint32_t k = 0; k < n; ++k) {
      ASSERT_EQ(core->ring_room(false), k);
      ASSERT_EQ(core->ring_room(true), n - k);
      c.send(static_cast<int>(k));
    }
    ASSERT_EQ(core->ring_room(true), 0u);
    ASSERT_EQ(core->ring_room(false), n);
    for (uint32_t k = 0; k < n; ++k) {
      ASSERT_EQ(c.receive(), static_cast<int>(k));
      ASSERT_EQ(core->ring_room(true), k + 1);
    }
    // Half a ring more each lap, so that head and tail sit mid-ring next lap.
    for (uint32_t k = 0; k < n / 2; ++k) c.send(1);
    for (uint32_t k = 0; k < n / 2; ++k) ASSERT_EQ(c.receive(), 1);
  }
  c.send(7);
  c.close();
  EXPECT_EQ(core->ring_room(true), detail::ChanCore::kRingClosed);
  EXPECT_EQ(core->ring_room(false), detail::ChanCore::kRingClosed);
  EXPECT_EQ(c.receive(), 7);
  EXPECT_EQ(c.receive(), std::nullopt);
}

// ready_hint on a buffered channel (select's filter and spin): a receive's
// reads head_ and that slot's stamp first, tail_ only when the slot says
// "no value here". With nobody mid-operation
// it is exact on every lap, mid-ring starts and wraps included: a receive
// is ready exactly while a value is buffered, a send while a slot is
// free, and both once the channel is closed.
TEST_P(RingCapTest, ReadyHintIsExactAcrossLapsAndTrueOnceClosed) {
  const std::size_t cap = GetParam();
  const auto n = static_cast<uint32_t>(cap);
  Chan<int> c(cap);
  const detail::ChanCore* core = c.core();
  for (int lap = 0; lap < 3; ++lap) {
    for (uint32_t k = 0; k < n; ++k) {
      ASSERT_EQ(core->ready_hint(false), k > 0) << k;
      ASSERT_TRUE(core->ready_hint(true)) << k;
      c.send(static_cast<int>(k));
    }
    ASSERT_TRUE(core->ready_hint(false));
    ASSERT_FALSE(core->ready_hint(true));
    for (uint32_t k = 0; k < n; ++k) {
      ASSERT_TRUE(core->ready_hint(false)) << k;
      ASSERT_EQ(core->ready_hint(true), k > 0) << k;
      ASSERT_EQ(c.receive(), static_cast<int>(k));
    }
    ASSERT_FALSE(core->ready_hint(false));
    ASSERT_TRUE(core->ready_hint(true));
    // Shift head and tail by a third of a ring, so that the next lap
    // starts mid-ring and wraps.
    for (uint32_t k = 0; k < n / 3 + 1; ++k) c.send(1);
    for (uint32_t k = 0; k < n / 3 + 1; ++k) ASSERT_EQ(c.receive(), 1);
  }
  // Closed and empty: both hints say "go and see" (the try reports closed).
  c.close();
  EXPECT_TRUE(core->ready_hint(false));
  EXPECT_TRUE(core->ready_hint(true));
  EXPECT_EQ(c.receive(), std::nullopt);
}

// Closed with values left: the receive hint stays true while they drain
// and after (the mark), the send hint is true (a send reports the panic).
TEST_P(RingCapTest, ReadyHintAfterCloseWithValuesBuffered) {
  const std::size_t cap = GetParam();
  Chan<int> c(cap);
  const detail::ChanCore* core = c.core();
  for (std::size_t k = 0; k < cap; ++k) c.send(static_cast<int>(k));
  c.close();
  EXPECT_TRUE(core->ready_hint(true));
  for (std::size_t k = 0; k < cap; ++k) {
    EXPECT_TRUE(core->ready_hint(false));
    EXPECT_EQ(c.receive(), static_cast<int>(k));
  }
  EXPECT_TRUE(core->ready_hint(false));
  EXPECT_EQ(c.receive(), std::nullopt);
  EXPECT_THROW(c.send(1), ChanPanic);
}

// The batch wait's poll (ring_batch_ready): from where a wait starts, it says
// "ready" exactly when the batch's last slot is done for it — the target-th
// value sent (a receiver) or the target-th slot freed (a sender) — on every
// lap, with the batch crossing the end of the ring in some of them.
TEST_P(RingCapTest, BatchReadyTurnsTrueExactlyAtTheBatchsLastSlotAcrossLaps) {
  const std::size_t cap = GetParam();
  const auto n = static_cast<uint32_t>(cap);
  const uint32_t target = detail::ring_batch_target(n);
  Chan<int> c(cap);
  const detail::ChanCore* core = c.core();
  for (int lap = 0; lap < 3; ++lap) {
    // A receiver's wait on an empty ring.
    const uint64_t rstart = core->ring_wait_start(false);
    for (uint32_t k = 0; k < n; ++k) {
      ASSERT_EQ(core->ring_batch_ready(false, rstart, target), k >= target) << k;
      c.send(static_cast<int>(k));
    }
    ASSERT_TRUE(core->ring_batch_ready(false, rstart, target));
    // A sender's wait on the full ring.
    const uint64_t sstart = core->ring_wait_start(true);
    ASSERT_FALSE(core->ring_position_marked(sstart));
    for (uint32_t k = 0; k < n; ++k) {
      ASSERT_EQ(core->ring_batch_ready(true, sstart, target), k >= target) << k;
      ASSERT_EQ(c.receive(), static_cast<int>(k));
    }
    ASSERT_TRUE(core->ring_batch_ready(true, sstart, target));
    // Shift head and tail by a third of a ring, so that the next lap's
    // batches start mid-ring and wrap.
    for (uint32_t k = 0; k < n / 3 + 1; ++k) c.send(1);
    for (uint32_t k = 0; k < n / 3 + 1; ++k) ASSERT_EQ(c.receive(), 1);
  }
  c.close();
  EXPECT_TRUE(core->ring_position_marked(core->ring_wait_start(true)));
}

// ring_advance: positions k operations on, across the end of a lap, for a
// capacity that is not a power of two (the index wraps at 12, not at the
// mark bit 16).
TEST(RingBatchRuleTest, AdvanceWrapsIntoTheNextLapAtTheCapacity) {
  Chan<int> c(12);
  const detail::ChanCore* core = c.core();
  const uint64_t lap = 32;  // one_lap: twice the mark bit 16
  EXPECT_EQ(core->ring_advance(0, 0), 0u);
  EXPECT_EQ(core->ring_advance(0, 11), 11u);
  EXPECT_EQ(core->ring_advance(5, 6), 11u);
  EXPECT_EQ(core->ring_advance(5, 7), lap + 0);
  EXPECT_EQ(core->ring_advance(11, 1), lap + 0);
  EXPECT_EQ(core->ring_advance(lap + 10, 5), 2 * lap + 3);
}

// An operation in flight (its CAS done, its stamp not yet stored): a
// thread's lock-free try leaves the wait to its caller (would block) the
// first time it meets it, instead of waiting on the slot, and waits for it
// when it meets it again; after close() a receive still waits for the value
// being written and returns it before "closed". The element's move
// constructor holds the operation in flight: it runs between the ring CAS
// and the stamp store, in the send (construct into the slot) and in the
// receive (move out of it).
struct Gated {
  static std::atomic<int> hold;      // moves left to pass before holding one
  static std::atomic<bool> holding;  // a move is being held now
  static std::atomic<bool> release;  // lets the held move finish
  int v = 0;
  explicit Gated(int x) : v(x) {}
  Gated(Gated&& o) noexcept : v(o.v) {
    if (hold.fetch_sub(1) == 0) {
      holding.store(true);
      while (!release.load()) std::this_thread::yield();
    }
  }
  Gated& operator=(Gated&& o) noexcept {
    v = o.v;
    return *this;
  }
  static void arm(int pass) {
    release.store(false);
    holding.store(false);
    hold.store(pass);
  }
  static void disarm() {
    hold.store(-1000000);
    release.store(true);
  }
};
std::atomic<int> Gated::hold{-1000000};
std::atomic<bool> Gated::holding{false};
std::atomic<bool> Gated::release{false};

TEST(RingInFlightTest, AReceiveMeetingASendInFlightWouldBlockAndCloseWaitsForItsValue) {
  Chan<Gated> c(4);
  Threads threads;
  Gated::arm(0);  // the send's move into the slot is held
  threads.spawn([&] { c.send(Gated(7)); });
  ASSERT_TRUE(eventually([] { return Gated::holding.load(); }));
  EXPECT_EQ(c.len(), 1u);  // reserved: counts as a value
  // A thread's first lock-free try does not wait for the writer (a fresh
  // thread: what it met last is per thread).
  std::thread([&] { EXPECT_EQ(c.try_receive().status, RecvStatus::kWouldBlock); }).join();
  // Closed meanwhile: a receive returns the value being written, then "closed".
  c.close();
  std::atomic<int> got{-1};
  threads.spawn([&] {
    auto r = c.receive();
    got.store(r.has_value() ? r->v : -2);
  });
  Gated::release.store(true);
  ASSERT_TRUE(eventually([&] { return got.load() != -1; }));
  EXPECT_EQ(got.load(), 7);
  EXPECT_FALSE(c.receive().has_value());
  threads.join();
  Gated::disarm();
}

TEST(RingInFlightTest, ASendMeetingAReceiveInFlightOnAFullRingWouldBlockThenCompletes) {
  Chan<Gated> c(2);
  c.send(Gated(1));
  c.send(Gated(2));
  Threads threads;
  std::atomic<int> got{-1};
  Gated::arm(0);  // the receive's move out of the slot is held
  threads.spawn([&] {
    auto r = c.receive();
    got.store(r.has_value() ? r->v : -2);
  });
  ASSERT_TRUE(eventually([] { return Gated::holding.load(); }));
  // head_ moved, the slot not yet freed: a thread's first lock-free try
  // would block; its second try at the same operation in flight waits for
  // it (its thread may be preempted there), and then sends.
  std::atomic<bool> first_done{false};
  std::atomic<int> second{-1};
  threads.spawn([&] {
    EXPECT_FALSE(c.try_send(Gated(3)));
    first_done.store(true);
    second.store(c.try_send(Gated(3)) ? 1 : 0);
  });
  ASSERT_TRUE(eventually([&] { return first_done.load(); }));
  Gated::disarm();
  ASSERT_TRUE(eventually([&] { return got.load() != -1; }));
  EXPECT_EQ(got.load(), 1);
  ASSERT_TRUE(eventually([&] { return second.load() != -1; }));
  EXPECT_EQ(second.load(), 1);
  EXPECT_EQ(c.receive()->v, 2);
  EXPECT_EQ(c.receive()->v, 3);
  threads.join();
}

// ChanStats' in-flight counters (issue 11, thr4: how often, and how long, a
// thread waits on a slot whose partner is between its CAS and its stamp
// store). A lock-free try that meets the send in flight leaves it (one
// in_flight_left); the blocking receive that follows meets the same
// operation again and waits on the slot (ring_snooze: backoff steps, then
// sched_yield), so in_flight_left stays 1. The receiver's counters are its
// own (per thread), read on its thread after the receive. Whether its wait
// lasted past the backoff into a yield depends on when it ran, so attempts
// repeat until one did; what each attempt asserts holds for every schedule.
TEST(RingInFlightTest, TheCountersSayWhoMetAnOperationInFlightAndHowItWaited) {
  {
    // No partner in flight: nothing counted.
    reset_chan_thread_stats();
    Chan<int> c(4);
    for (int i = 0; i < 100; ++i) {
      c.send(i);
      EXPECT_EQ(c.receive(), i);
    }
    EXPECT_EQ(c.try_receive().status, RecvStatus::kWouldBlock);
    const ChanStats st = chan_thread_stats();
    EXPECT_EQ(st.in_flight_left, 0u);
    EXPECT_EQ(st.ring_snoozes, 0u);
    EXPECT_EQ(st.ring_yields, 0u);
    EXPECT_EQ(st.ring_yield_ns, 0u);
  }
  bool yielded = false;
  for (int attempt = 0; attempt < 50 && !yielded; ++attempt) {
    Chan<Gated> c(4);
    Threads threads;
    Gated::arm(0);  // the send's move into the slot is held
    threads.spawn([&] { c.send(Gated(7)); });
    ASSERT_TRUE(eventually([] { return Gated::holding.load(); }));
    std::atomic<bool> tried{false};
    ChanStats after_try{};
    ChanStats after_receive{};
    int got = -1;
    threads.spawn([&] {
      reset_chan_thread_stats();
      EXPECT_EQ(c.try_receive().status, RecvStatus::kWouldBlock);
      after_try = chan_thread_stats();
      tried.store(true);
      auto r = c.receive();
      after_receive = chan_thread_stats();
      got = r.has_value() ? r->v : -2;
    });
    ASSERT_TRUE(eventually([&] { return tried.load(); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(2 * (attempt + 1)));
    Gated::release.store(true);
    threads.join();
    Gated::disarm();
    EXPECT_EQ(got, 7);
    EXPECT_EQ(after_try.in_flight_left, 1u);
    EXPECT_EQ(after_try.ring_snoozes, 0u);
    EXPECT_EQ(after_receive.in_flight_left, 1u);  // met again: waited, not left
    EXPECT_LE(after_receive.ring_yields, after_receive.ring_snoozes);
    if (after_receive.ring_yields == 0) {
      EXPECT_EQ(after_receive.ring_yield_ns, 0u);
    }
    yielded = after_receive.ring_yields > 0;
  }
  EXPECT_TRUE(yielded);
}

// A sender blocked on a full ring whose receiver frees fewer slots than the
// batch target and then stops must still complete: the batch is an
// optimisation of the spin, never a condition of the send. The same for a
// receiver on an empty ring that gets fewer values than the target. Each
// round waits for the exact state (the send returned / the value arrived).
TEST_P(RingCapTest, ABatchSmallerThanTheTargetStillCompletesTheWait) {
  const std::size_t cap = GetParam();
  const int rounds = scaled(20);
  for (int round = 0; round < rounds; ++round) {
    Chan<int> c(cap);
    for (std::size_t i = 0; i < cap; ++i) c.send(0);
    std::atomic<bool> sent{false};
    Threads threads;
    threads.spawn([&] {
      c.send(1);  // full: waits for a slot
      sent.store(true);
    });
    EXPECT_EQ(c.receive(), 0);  // one slot only, and no more receives
    ASSERT_TRUE(eventually([&] { return sent.load(); }));
    threads.join();
    for (std::size_t i = 1; i < cap; ++i) ASSERT_EQ(c.receive(), 0);
    EXPECT_EQ(c.receive(), 1);

    std::atomic<bool> got{false};
    threads.spawn([&] {
      EXPECT_EQ(c.receive(), 2);  // empty: waits for a value
      got.store(true);
    });
    c.send(2);  // one value only
    ASSERT_TRUE(eventually([&] { return got.load(); }));
    threads.join();
    EXPECT_EQ(c.len(), 0u);
  }
}

// ---- misuse -------------------------------------------------------------------
TEST(RingMisuseTest, SendOnClosedThrowsAndCloseTwiceThrowsWithGosMessages) {
  Chan<int> c(3);
  c.send(1);
  c.close();
  try {
    c.send(2);
    ADD_FAILURE() << "send on closed channel did not throw";
  } catch (const ChanPanic& e) {
    EXPECT_STREQ(e.what(), "send on closed channel");
  }
  EXPECT_THROW(c.try_send(2), ChanPanic);
  try {
    c.close();
    ADD_FAILURE() << "close of closed channel did not throw";
  } catch (const ChanPanic& e) {
    EXPECT_STREQ(e.what(), "close of closed channel");
  }
  EXPECT_EQ(c.receive(), 1);  // the value sent before close is still there
  EXPECT_EQ(c.receive(), std::nullopt);
}

}  // namespace
}  // namespace syncscope
