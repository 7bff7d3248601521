// The buffered ring on goroutines (chan_core.cc, "Contention on the ring
// between P's"): a lock-free try whose CAS on head_ / tail_ lost
// kRingLostCasBeforeYield times in a row yields its P to the goroutines
// queued there (ring_cas_lost -> internal::goroutine_yield_local), and only
// then. The rule is checked on fixed inputs (ring_contention_yield_due) and
// on exact states with one P (the run order of one P is the order in which
// goroutines record; the yield goes to the tail of the P's own queue,
// counted in GoroutineStats::contention_yields). The ring's guarantees
// (each producer's order, nothing lost or duplicated, close after the
// values) are checked with many senders and receivers on two P's, the
// shape of the suite's mpmc rows, where the CAS races between P's happen.
// No timing is asserted.
#include <gtest/gtest.h>
#include <syncscope/chan.h>
#include <syncscope/chan_core.h>
#include <syncscope/goroutine.h>
#include <syncscope/internal/scheduler.h>
#include <syncscope/wait_group.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "chan_test_support.h"
#include "goroutine_test_support.h"

namespace syncscope {
namespace {

using chan_testing::scaled;
using detail::kRingLostCasBeforeYield;
using detail::ring_contention_yield_due;

class RingGoroutineTest : public testing_support::OnGoroutinesTest {};

// The rule on fixed inputs: a yield is due only with something queued on
// the P, and only from the kRingLostCasBeforeYield-th CAS lost in a row.
TEST(RingContentionRule, YieldsOnlyAfterEnoughLostCasesWithSomethingQueued) {
  static_assert(kRingLostCasBeforeYield >= 2, "one lost CAS alone is not contention");
  for (uint32_t lost = 0; lost < kRingLostCasBeforeYield; ++lost) {
    EXPECT_FALSE(ring_contention_yield_due(lost, /*queued=*/true)) << lost;
    EXPECT_FALSE(ring_contention_yield_due(lost, /*queued=*/false)) << lost;
  }
  for (uint32_t lost : {kRingLostCasBeforeYield, kRingLostCasBeforeYield + 1, 1000u}) {
    EXPECT_TRUE(ring_contention_yield_due(lost, /*queued=*/true)) << lost;
    EXPECT_FALSE(ring_contention_yield_due(lost, /*queued=*/false)) << lost;
  }
}

// A plain thread never yields on a lost CAS: it retries (its wait is the
// batch wait, spin_until_ready); goroutine_yield_local is a no-op there.
TEST_F(RingGoroutineTest, ALostCasOnAThreadDoesNotYield) {
  EXPECT_FALSE(detail::ring_cas_lost(kRingLostCasBeforeYield));
  EXPECT_FALSE(internal::goroutine_yield_local());
  bool from_other_thread = true;
  std::thread t([&] { from_other_thread = detail::ring_cas_lost(1000); });
  t.join();
  EXPECT_FALSE(from_other_thread);
}

// With nothing else queued on its P, a goroutine retries at once, however
// many it lost: a yield would switch back to itself.
TEST_F(RingGoroutineTest, ALostCasWithNothingQueuedOnThePDoesNotYield) {
  use_procs(1);
  std::atomic<bool> queued{true}, yielded{true};
  const uint64_t before = goroutine_stats().contention_yields;
  WaitGroup done;
  done.add(1);
  go([&] {
    queued = !internal::spin_view().local_runq_empty;
    yielded = detail::ring_cas_lost(1000);
    done.done();
  });
  done.wait();
  EXPECT_FALSE(queued.load()) << "setup: the goroutine's P has something queued";
  EXPECT_FALSE(yielded.load());
  EXPECT_EQ(goroutine_stats().contention_yields, before);
}

// Fewer than kRingLostCasBeforeYield in a row: no yield even with
// goroutines queued; the loser keeps its P (its child runs after it).
TEST_F(RingGoroutineTest, FewerLostCasesThanTheRuleKeepTheP) {
  use_procs(1);
  std::atomic<int> next{0}, child_at{-1}, loser_at{-1};
  std::atomic<bool> queued{false}, yielded{true};
  const uint64_t before = goroutine_stats().contention_yields;
  WaitGroup done;
  done.add(2);
  go([&] {
    go([&] {  // in this P's runnext: runs when the parent gives the P up
      child_at = next++;
      done.done();
    });
    queued = !internal::spin_view().local_runq_empty;
    bool any = false;
    for (uint32_t lost = 1; lost < kRingLostCasBeforeYield; ++lost) {
      any = any || detail::ring_cas_lost(lost);
    }
    yielded = any;
    loser_at = next++;
    done.done();
  });
  done.wait();
  EXPECT_TRUE(queued.load()) << "setup: the child is not queued on the parent's P";
  EXPECT_FALSE(yielded.load());
  EXPECT_EQ(loser_at.load(), 0);
  EXPECT_EQ(child_at.load(), 1);
  EXPECT_EQ(goroutine_stats().contention_yields, before);
}

// The kRingLostCasBeforeYield-th CAS lost in a row, with goroutines queued
// on the P: the loser goes to the tail of its own P's local queue, so the
// P runs runnext (B, spawned last), then the queue in order (A, pushed out
// of runnext by B), then the loser; the yield is counted as a contention
// yield (goroutine_yield_local), not a gosched through the global queue.
TEST_F(RingGoroutineTest, EnoughLostCasesYieldThePToTheTailOfItsOwnQueue) {
  use_procs(1);
  std::atomic<int> next{0}, a_at{-1}, b_at{-1}, loser_at{-1};
  std::atomic<bool> yielded{false};
  const uint64_t before = goroutine_stats().contention_yields;
  WaitGroup done;
  done.add(3);
  go([&] {
    go([&] {  // A: runnext, then the local queue's tail when B is spawned
      a_at = next++;
      done.done();
    });
    go([&] {  // B: runnext
      b_at = next++;
      done.done();
    });
    yielded = detail::ring_cas_lost(kRingLostCasBeforeYield);
    loser_at = next++;
    done.done();
  });
  done.wait();
  EXPECT_TRUE(yielded.load());
  EXPECT_EQ(b_at.load(), 0);
  EXPECT_EQ(a_at.load(), 1);
  EXPECT_EQ(loser_at.load(), 2);
  EXPECT_EQ(goroutine_stats().contention_yields, before + 1);
}

// Under preempt_disable() a goroutine does not give its P up.
TEST_F(RingGoroutineTest, NoYieldUnderPreemptDisable) {
  use_procs(1);
  std::atomic<int> next{0}, child_at{-1}, loser_at{-1};
  std::atomic<bool> yielded{true};
  WaitGroup done;
  done.add(2);
  go([&] {
    go([&] {
      child_at = next++;
      done.done();
    });
    internal::preempt_disable();
    yielded = detail::ring_cas_lost(kRingLostCasBeforeYield);
    internal::preempt_enable();
    loser_at = next++;
    done.done();
  });
  done.wait();
  EXPECT_FALSE(yielded.load());
  EXPECT_EQ(loser_at.load(), 0);
  EXPECT_EQ(child_at.load(), 1);
}

constexpr int64_t tag(int p, int64_t i) { return (static_cast<int64_t>(p) << 40) | i; }
constexpr int producer_of(int64_t v) { return static_cast<int>(v >> 40); }
constexpr int64_t seq_of(int64_t v) { return v & ((int64_t{1} << 40) - 1); }

class RingGoroutineCapTest : public testing_support::OnGoroutinesTest,
                             public ::testing::WithParamInterface<std::size_t> {};
INSTANTIATE_TEST_SUITE_P(Caps, RingGoroutineCapTest, ::testing::Values(1, 16, 1024));

// The stress: 2 -> 2, 4 -> 4 and 16 -> 16 goroutines on two P's, the
// shapes of the suite's mpmc rows (4, 8 and 32 parties), where the CAS
// races between P's happen and the losers yield. Each receiver sees each
// sender's values in order; every value is delivered exactly once;
// receivers end with "closed" only after every value.
TEST_P(RingGoroutineCapTest, ManySendersAndReceiversOnTwoPsDeliverEachValueOnce) {
  use_procs(2);
  const std::size_t cap = GetParam();
  // How often the rule fired (timing-dependent: recorded, not asserted).
  const uint64_t yields_before = goroutine_stats().contention_yields;
  for (int parties : {2, 4, 16}) {
    const int64_t per = scaled(200000) / parties + 1;
    Chan<int64_t> c(cap);
    std::vector<std::vector<int64_t>> got(parties);
    std::atomic<int> out_of_order{0};
    WaitGroup receivers, senders;
    receivers.add(parties);
    senders.add(parties);
    for (int k = 0; k < parties; ++k) {
      go([&, k] {
        std::vector<int64_t> last(parties, -1);
        for (int64_t v : c) {
          const int p = producer_of(v);
          if (seq_of(v) <= last[p]) ++out_of_order;
          last[p] = seq_of(v);
          got[k].push_back(v);
        }
        receivers.done();
      });
    }
    for (int p = 0; p < parties; ++p) {
      go([&, p] {
        for (int64_t i = 0; i < per; ++i) c.send(tag(p, i));
        senders.done();
      });
    }
    senders.wait();
    c.close();
    receivers.wait();
    EXPECT_EQ(out_of_order.load(), 0) << parties << " parties";
    std::vector<std::vector<bool>> seen(parties, std::vector<bool>(per, false));
    int64_t total = 0;
    for (const auto& g : got) {
      for (int64_t v : g) {
        ASSERT_FALSE(seen[producer_of(v)][seq_of(v)]) << "duplicate, " << parties << " parties";
        seen[producer_of(v)][seq_of(v)] = true;
        ++total;
      }
    }
    EXPECT_EQ(total, per * parties) << parties << " parties";
  }
  RecordProperty("contention_yields",
                 std::to_string(goroutine_stats().contention_yields - yields_before));
}

// try_send / try_receive alone (the lock-free tries, where a lost CAS
// may yield), 16 + 16 goroutines on two P's: nothing lost or duplicated,
// and a failed try leaves the value with its owner.
TEST_P(RingGoroutineCapTest, NonBlockingTriesOnTwoPsLoseAndDuplicateNothing) {
  use_procs(2);
  const std::size_t cap = GetParam();
  constexpr int kParties = 16;
  const int64_t per = scaled(2000);
  Chan<int64_t> c(cap);
  std::atomic<int64_t> received{0}, sum{0};
  std::atomic<int> senders_left{kParties};
  WaitGroup done;
  done.add(2 * kParties);
  for (int p = 0; p < kParties; ++p) {
    go([&, p] {
      for (int64_t i = 0; i < per;) {
        if (c.try_send(tag(p, i))) {
          ++i;
        } else {
          gosched();
        }
      }
      --senders_left;
      done.done();
    });
    go([&] {
      for (;;) {
        if (auto v = c.try_receive()) {
          ++received;
          sum += seq_of(*v);
        } else if (senders_left.load() == 0 && c.len() == 0) {
          break;
        } else {
          gosched();
        }
      }
      done.done();
    });
  }
  done.wait();
  EXPECT_EQ(received.load(), per * kParties);
  EXPECT_EQ(sum.load(), kParties * (per * (per - 1) / 2));
}

}  // namespace
}  // namespace syncscope
