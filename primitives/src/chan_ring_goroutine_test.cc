// The buffered ring on goroutines (chan_core.cc, "Contention on the ring
// between P's"): a goroutine whose lock-free CAS on head_ / tail_ lost
// yields its P to the goroutines queued there (ring_cas_lost), and only
// then. The rule is checked on exact states with one P (the run order of
// one P is the order in which goroutines record); the ring's guarantees
// (each producer's order, nothing lost or duplicated, close after the
// values) are checked with many senders and receivers on two P's, where
// the CAS races between P's happen. No timing is asserted.
#include <gtest/gtest.h>
#include <syncscope/chan.h>
#include <syncscope/chan_core.h>
#include <syncscope/goroutine.h>
#include <syncscope/internal/scheduler.h>
#include <syncscope/wait_group.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "chan_test_support.h"
#include "goroutine_test_support.h"

namespace syncscope {
namespace {

using chan_testing::scaled;

class RingGoroutineTest : public testing_support::OnGoroutinesTest {};

// A plain thread never yields on a lost CAS: it retries (its wait is the
// batch wait, spin_until_ready).
TEST_F(RingGoroutineTest, ALostCasOnAThreadDoesNotYield) {
  EXPECT_FALSE(detail::ring_cas_lost());
  bool from_other_thread = true;
  std::thread t([&] { from_other_thread = detail::ring_cas_lost(); });
  t.join();
  EXPECT_FALSE(from_other_thread);
}

// With nothing else queued on its P, a goroutine retries at once: a
// gosched would only take it through the global queue and back.
TEST_F(RingGoroutineTest, ALostCasWithNothingQueuedOnThePDoesNotYield) {
  use_procs(1);
  std::atomic<bool> queued{true}, yielded{true};
  WaitGroup done;
  done.add(1);
  go([&] {
    queued = !internal::spin_view().local_runq_empty;
    yielded = detail::ring_cas_lost();
    done.done();
  });
  done.wait();
  EXPECT_FALSE(queued.load()) << "setup: the goroutine's P has something queued";
  EXPECT_FALSE(yielded.load());
}

// With a goroutine queued on its P (here its child, in runnext), a
// goroutine that lost the CAS yields: the child runs first, then the loser.
TEST_F(RingGoroutineTest, ALostCasYieldsThePToTheGoroutinesQueuedOnIt) {
  use_procs(1);
  std::atomic<int> next{0}, child_at{-1}, loser_at{-1};
  std::atomic<bool> queued{false}, yielded{false};
  WaitGroup done;
  done.add(2);
  go([&] {
    go([&] {  // the child: goes to this P's runnext, runs when the parent yields
      child_at = next++;
      done.done();
    });
    queued = !internal::spin_view().local_runq_empty;
    yielded = detail::ring_cas_lost();
    loser_at = next++;
    done.done();
  });
  done.wait();
  EXPECT_TRUE(queued.load()) << "setup: the child is not queued on the parent's P";
  EXPECT_TRUE(yielded.load());
  EXPECT_EQ(child_at.load(), 0);
  EXPECT_EQ(loser_at.load(), 1);
}

// One P: a sender and a receiver that keep meeting a full / empty ring
// (the locked paths, where nothing yields) deliver every value, in order.
TEST_F(RingGoroutineTest, PartiesOnOnePCompleteAndKeepTheOrderOfTheRing) {
  use_procs(1);
  constexpr int kN = 64;
  Chan<int> c(4);
  std::vector<int> got;
  WaitGroup done;
  done.add(2);
  go([&] {
    for (int v : c) got.push_back(v);
    done.done();
  });
  go([&] {
    for (int i = 0; i < kN; ++i) c.send(i);
    c.close();
    done.done();
  });
  done.wait();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kN));
  for (int i = 0; i < kN; ++i) EXPECT_EQ(got[i], i);
}

constexpr int64_t tag(int p, int64_t i) { return (static_cast<int64_t>(p) << 40) | i; }
constexpr int producer_of(int64_t v) { return static_cast<int>(v >> 40); }
constexpr int64_t seq_of(int64_t v) { return v & ((int64_t{1} << 40) - 1); }

class RingGoroutineCapTest : public testing_support::OnGoroutinesTest,
                             public ::testing::WithParamInterface<std::size_t> {};
INSTANTIATE_TEST_SUITE_P(Caps, RingGoroutineCapTest, ::testing::Values(1, 16, 1024));

// The stress: 4 -> 4 and 16 -> 16 goroutines on two P's, the shape of the
// suite's mpmc rows (where the CAS races between P's happen and the losers
// yield). Each receiver sees each sender's values in order; nothing is lost
// or duplicated; receivers end with "closed" only after every value.
TEST_P(RingGoroutineCapTest, ManySendersAndReceiversOnTwoPsKeepEachSendersOrder) {
  use_procs(2);
  const std::size_t cap = GetParam();
  for (int parties : {4, 16}) {
    const int64_t per = scaled(20000) / parties + 1;
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
}

// try_send / try_receive alone (the lock-free tries, where a lost CAS
// yields), many goroutines on two P's: nothing lost or duplicated, and a
// failed try leaves the value with its owner.
TEST_P(RingGoroutineCapTest, NonBlockingTriesOnTwoPsLoseAndDuplicateNothing) {
  use_procs(2);
  const std::size_t cap = GetParam();
  constexpr int kParties = 8;
  const int64_t per = scaled(4000);
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
