// Tests of select (syncscope/select.h): readiness, default, timeout and
// deadline, nil-channel cases, closed channels, blocking selects woken by
// every kind of partner, uniform randomness (chi-square), duplicate and
// self cases, lock-order safety, a ready case needing only its own lock,
// move-only send values, spinning before queueing (counters and the
// skipping rule), and DynamicSelect.
// Correctness only: timeouts below are hang guards or semantics (a timeout
// case fires only when nothing else can), never speed checks.
#include <syncscope/select.h>
#include <syncscope/internal/cpus.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
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

// ---- readiness, default, timeout --------------------------------------------

TEST(SelectTest, ReadyReceiveFiresWithItsValue) {
  Chan<int> a(1);
  Chan<std::string> b(1);
  b.send("hello");
  std::string got;
  const int i = Select()
                    .recv(a, [](std::optional<int>) { ADD_FAILURE() << "a is empty"; })
                    .recv(b, [&](std::optional<std::string> v) { got = *v; })
                    .run();
  EXPECT_EQ(i, 1);
  EXPECT_EQ(got, "hello");
}

// A ready case is tried under its own channel's lock alone (select.h, pass
// 0): a select completes while another of its channels is locked by some
// other thread for as long as that thread likes.
TEST(SelectTest, AReadyCaseNeedsOnlyItsOwnChannelsLock) {
  Chan<int> ready(1);
  Chan<int> busy(1);
  ready.send(7);
  std::atomic<bool> locked{false};
  std::atomic<bool> done{false};
  std::atomic<bool> released{false};
  std::thread holder([&] {
    busy.core()->lock();
    locked = true;
    eventually([&] { return done.load(); });  // a regression hangs here, then fails below
    released = true;
    busy.core()->unlock();
  });
  ASSERT_TRUE(eventually([&] { return locked.load(); }));
  std::optional<int> got;
  const int i = Select().recv(busy).recv(ready, [&](std::optional<int> v) { got = v; }).run();
  const bool waited_for_busy = released.load();
  done = true;
  holder.join();
  EXPECT_FALSE(waited_for_busy) << "the select took the lock of a channel it did not use";
  EXPECT_EQ(i, 1);
  EXPECT_EQ(got, std::optional<int>(7));
}

TEST(SelectTest, ReadySendFires) {
  Chan<int> full(1);
  full.send(0);
  Chan<int> room(1);
  bool fired = false;
  EXPECT_EQ(Select().send(full, 1).send(room, 2, [&] { fired = true; }).run(), 1);
  EXPECT_TRUE(fired);
  EXPECT_EQ(room.receive(), 2);
  EXPECT_EQ(full.receive(), 0);
}

TEST(SelectTest, DefaultFiresWhenNothingIsReady) {
  Chan<int> a(0);
  Chan<int> b(1);
  b.send(1);  // b is full: a send case on it is not ready
  bool dflt = false;
  EXPECT_EQ(Select().recv(a).send(b, 2).default_case([&] { dflt = true; }).run(), 2);
  EXPECT_TRUE(dflt);
  // ...and does not fire when a case is ready.
  EXPECT_EQ(Select().recv(b).default_case().run(), 0);
  // A select of nothing but a default.
  EXPECT_EQ(Select().default_case().run(), 0);
}

TEST(SelectTest, TimeoutFiresOnlyWhenNothingArrives) {
  Chan<int> a(0);
  const auto t0 = std::chrono::steady_clock::now();
  bool timed_out = false;
  EXPECT_EQ(Select().recv(a).timeout(20ms, [&] { timed_out = true; }).run(), 1);
  EXPECT_TRUE(timed_out);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);  // not before the deadline
  EXPECT_EQ(a.waiting_receivers(), 0u);                     // cleaned up

  // A value arriving while the select waits wins over a long timeout.
  Threads threads;
  threads.spawn([&] {
    ASSERT_TRUE(eventually([&] { return a.waiting_receivers() == 1; }));
    a.send(5);
  });
  int got = 0;
  EXPECT_EQ(Select().recv(a, [&](std::optional<int> v) { got = *v; }).timeout(1h).run(), 0);
  EXPECT_EQ(got, 5);
}

TEST(SelectTest, DeadlineOfAnyClock) {
  Chan<int> a(0);
  EXPECT_EQ(Select().recv(a).deadline(std::chrono::system_clock::now() + 5ms).run(), 1);
  EXPECT_EQ(Select().recv(a).deadline(std::chrono::steady_clock::now() - 1s).run(), 1);
  EXPECT_EQ(Select().timeout(1ms).run(), 0);  // only a timeout
}

TEST(SelectTest, DefaultWinsOverTimeout) {
  Chan<int> a(0);
  EXPECT_EQ(Select().recv(a).timeout(1h).default_case().run(), 2);
}

// ---- nil and closed channels ------------------------------------------------

TEST(SelectTest, NilChannelCaseNeverFires) {
  Chan<int> nil;
  Chan<int> ready(1);
  for (int i = 0; i < 100; ++i) {
    ready.send(i);
    EXPECT_EQ(Select().recv(nil).send(nil, 1).recv(ready).run(), 2);
  }
  EXPECT_EQ(Select().recv(nil).send(nil, 1).default_case().run(), 2);
  EXPECT_EQ(Select().recv(nil).timeout(5ms).run(), 1);
}

TEST(SelectTest, EmptySelectBlocksForever) {
  // Go's `select {}`: no case can ever fire. The thread is detached; the
  // test checks it is still blocked after giving it every chance.
  static std::atomic<bool> returned{false};
  std::thread([] {
    Chan<int> nil;
    Select().recv(nil).run();
    returned = true;
  }).detach();
  std::this_thread::sleep_for(30ms);
  EXPECT_FALSE(returned.load());
}

TEST(SelectTest, ReceiveFromClosedFiresWithNullopt) {
  Chan<int> c(3);
  c.send(1);
  c.close();
  std::vector<std::optional<int>> got;
  for (int i = 0; i < 2; ++i) {
    Select().recv(c, [&](std::optional<int> v) { got.push_back(v); }).run();
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], 1);
  EXPECT_FALSE(got[1].has_value());
}

TEST(SelectTest, SendToClosedPanicsWithoutRunningTheCallback) {
  Chan<int> c(1);
  c.close();
  bool ran = false;
  try {
    Select().send(c, 1, [&] { ran = true; }).default_case().run();
    ADD_FAILURE() << "expected ChanPanic";
  } catch (const ChanPanic& e) {
    EXPECT_EQ(std::string(e.what()), "send on closed channel");
  }
  EXPECT_FALSE(ran);
}

TEST(SelectTest, CloseWakesABlockedSelect) {
  for (std::size_t cap : {std::size_t{0}, std::size_t{2}}) {
    Chan<int> a(cap);
    Chan<int> b(cap);
    Threads threads;
    int fired = -1;
    bool closed = false;
    threads.spawn([&] {
      fired = Select()
                  .recv(a, [&](std::optional<int> v) { closed = !v; })
                  .recv(b, [&](std::optional<int> v) { closed = !v; })
                  .run();
    });
    ASSERT_TRUE(eventually([&] { return b.waiting_receivers() == 1; }));
    b.close();
    threads.join();
    EXPECT_EQ(fired, 1);
    EXPECT_TRUE(closed);
    EXPECT_EQ(a.waiting_receivers(), 0u);  // its other Sudog was unlinked
  }
}

TEST(SelectTest, CloseMakesABlockedSendCasePanic) {
  Chan<int> a(0);
  Chan<int> b(0);
  Threads threads;
  std::string what;
  threads.spawn([&] {
    try {
      Select().send(a, 1).recv(b).run();
    } catch (const ChanPanic& e) {
      what = e.what();
    }
  });
  ASSERT_TRUE(eventually([&] { return a.waiting_senders() == 1; }));
  a.close();
  threads.join();
  EXPECT_EQ(what, "send on closed channel");
  EXPECT_EQ(b.waiting_receivers(), 0u);
}

// ---- blocking selects and their partners -------------------------------------

TEST(SelectTest, BlockedSelectIsCompletedByAPlainSendOrReceive) {
  for (std::size_t cap : {std::size_t{0}, std::size_t{1}}) {
    Chan<int> in(cap);
    Chan<int> out(cap);
    if (cap > 0) out.send(-1);  // full, so the send case must wait
    Threads threads;
    int got = 0;
    threads.spawn([&] {
      Select().recv(in, [&](std::optional<int> v) { got = *v; }).send(out, 7).run();
    });
    ASSERT_TRUE(eventually([&] { return in.waiting_receivers() == 1; }));
    in.send(3);  // completes the receive case
    threads.join();
    EXPECT_EQ(got, 3);
    EXPECT_EQ(out.waiting_senders(), 0u);

    threads.spawn([&] {
      Select().recv(in).send(out, 7).run();
    });
    ASSERT_TRUE(eventually([&] { return out.waiting_senders() == 1; }));
    if (cap > 0) {
      EXPECT_EQ(out.receive(), -1);  // frees the slot: the send case refills it
    }
    EXPECT_EQ(out.receive(), 7);
    threads.join();
  }
}

TEST(SelectTest, TwoSelectsMeetOnAnUnbufferedChannel) {
  Chan<int> c(0);
  Chan<int> never1(0);  // nobody sends here
  Chan<int> never2(0);  // nobody receives here
  const int n = scaled(2000);
  Threads threads;
  threads.spawn([&] {
    for (int i = 0; i < n; ++i) Select().send(c, i).recv(never1).run();
  });
  for (int i = 0; i < n; ++i) {
    int got = -1;
    Select().recv(c, [&](std::optional<int> v) { got = *v; }).send(never2, 0).run();
    ASSERT_EQ(got, i);
  }
}

TEST(SelectTest, OppositeCaseOrdersDoNotDeadlock) {
  // Two threads select over the same two channels with their cases listed
  // in opposite orders (channel locks are taken in address order).
  Chan<int> a(0);
  Chan<int> b(0);
  const int n = scaled(5000);
  std::atomic<int> total{0};
  Threads threads;
  threads.spawn([&] {
    for (int i = 0; i < n; ++i) Select().send(a, 1).send(b, 1).run();
  });
  threads.spawn([&] {
    for (int i = 0; i < n; ++i) {
      Select()
          .recv(b, [&](std::optional<int> v) { total += *v; })
          .recv(a, [&](std::optional<int> v) { total += *v; })
          .run();
    }
  });
  threads.join();
  EXPECT_EQ(total.load(), n);
}

TEST(SelectTest, SameChannelInSeveralCases) {
  Chan<int> c(0);
  Threads threads;
  int fired = -1;
  threads.spawn([&] { fired = Select().recv(c).recv(c).recv(c).run(); });
  ASSERT_TRUE(eventually([&] { return c.waiting_receivers() == 3; }));
  c.send(1);
  threads.join();
  EXPECT_GE(fired, 0);
  EXPECT_LE(fired, 2);
  EXPECT_EQ(c.waiting_receivers(), 0u);
}

TEST(SelectTest, MoveOnlySendValue) {
  Chan<std::unique_ptr<int>> c(0);
  Threads threads;
  threads.spawn([&] {
    Select().send(c, std::make_unique<int>(42)).run();
  });
  std::unique_ptr<int> got;
  Select().recv(c, [&](std::optional<std::unique_ptr<int>> v) { got = std::move(*v); }).run();
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, 42);
}

// ---- randomness ----------------------------------------------------------------

// With every case ready, each must be chosen with probability 1/k. Pearson's
// chi-square over many selections, against a generous fixed critical value
// (a correctness check of the random poll order, not of timing). The poll
// order's random stream cannot be seeded from a test, so the critical value
// is set for a false-failure probability far below one in a million runs:
// with 3 degrees of freedom P(chi2 > 40) is about 1.1e-8 (P(chi2 > 30), the
// earlier bound, is 1.4e-6: too often for a suite run on every change).
TEST(SelectTest, ReadyCasesAreChosenUniformly) {
  constexpr int kCases = 4;
  const int trials = scaled(8000);
  std::array<Chan<int>, kCases> c{Chan<int>(1), Chan<int>(1), Chan<int>(1), Chan<int>(1)};
  for (Chan<int>& ch : c) ch.send(0);
  std::array<int, kCases> counts{};
  for (int t = 0; t < trials; ++t) {
    const int i = Select().recv(c[0]).recv(c[1]).recv(c[2]).recv(c[3]).run();
    ++counts[static_cast<std::size_t>(i)];
    c[static_cast<std::size_t>(i)].send(0);  // make it ready again
  }
  const double expected = static_cast<double>(trials) / kCases;
  double chi2 = 0;
  for (int n : counts) chi2 += (n - expected) * (n - expected) / expected;
  EXPECT_LT(chi2, 40.0) << counts[0] << " " << counts[1] << " " << counts[2] << " " << counts[3];
}

TEST(SelectTest, ReadySendCasesAreChosenUniformly) {
  constexpr int kCases = 3;
  const int trials = scaled(6000);
  Chan<int> c(static_cast<std::size_t>(trials));
  std::array<int, kCases> counts{};
  for (int t = 0; t < trials; ++t) {
    ++counts[static_cast<std::size_t>(Select().send(c, 0).send(c, 1).send(c, 2).run())];
  }
  // The values sent match the chosen cases.
  std::array<int, kCases> values{};
  for (int t = 0; t < trials; ++t) ++values[static_cast<std::size_t>(*c.receive())];
  EXPECT_EQ(values, counts);
  const double expected = static_cast<double>(trials) / kCases;
  double chi2 = 0;
  for (int n : counts) chi2 += (n - expected) * (n - expected) / expected;
  EXPECT_LT(chi2, 40.0);  // 2 degrees of freedom: P(chi2 > 40) ~ 2e-9
}

// ---- the poll order and the passes a select goes through ----------------------

// The poll order is a uniformly random permutation (select.cc,
// random_poll_order: several bounded draws from one random word). Seeded,
// so the figures are reproducible; the bounds are still generous fixed
// critical values (P(chi2 > bound) below 1e-6 for a fair generator).
std::array<detail::SelectCase, 16> fake_cases(std::size_t n, std::size_t nil_every = 0) {
  std::array<detail::SelectCase, 16> c{};
  // Distinct non-null addresses that are never dereferenced: random_poll_order
  // reads a case's ch only to skip nil channels, so no real channel is needed.
  static char dummy[16];
  for (std::size_t i = 0; i < n; ++i) {
    const bool nil = nil_every != 0 && i % nil_every == nil_every - 1;
    c[i].ch = nil ? nullptr : reinterpret_cast<detail::ChanCore*>(&dummy[i]);
  }
  return c;
}

TEST(SelectPollOrderTest, EveryPermutationOfFourCasesIsEquallyLikely) {
  detail::seed_thread_random(12345);
  const auto cases = fake_cases(4);
  std::map<std::array<uint32_t, 4>, int> counts;
  const int trials = 24 * 500;
  for (int t = 0; t < trials; ++t) {
    std::array<uint32_t, 8> order{};
    ASSERT_EQ(detail::random_poll_order(cases.data(), 4, order.data()), 4u);
    std::array<uint32_t, 4> perm{order[0], order[1], order[2], order[3]};
    std::array<uint32_t, 4> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_EQ(sorted, (std::array<uint32_t, 4>{0, 1, 2, 3}));  // a permutation
    ++counts[perm];
  }
  ASSERT_EQ(counts.size(), 24u);  // every one of the 4! orders occurs
  const double expected = trials / 24.0;
  double chi2 = 0;
  for (const auto& [perm, n] : counts) chi2 += (n - expected) * (n - expected) / expected;
  EXPECT_LT(chi2, 80.0);  // 23 degrees of freedom: P(chi2 > 80) ~ 2e-8
}

TEST(SelectPollOrderTest, ManyCasesSkipNilsAndStayUniformAcrossRandomWords) {
  // 15 non-nil cases of 16: 15! > 2^32, so the order takes two random
  // words; the case placed last must still land anywhere uniformly, and
  // every case first equally often.
  detail::seed_thread_random(777);
  const auto cases = fake_cases(16, /*nil_every=*/16);  // case 15 is nil
  const int trials = 15 * 800;
  std::array<int, 15> first{};
  std::array<int, 15> where_last{};
  for (int t = 0; t < trials; ++t) {
    std::array<uint32_t, 32> order{};
    ASSERT_EQ(detail::random_poll_order(cases.data(), 16, order.data()), 15u);
    ++first[order[0]];
    for (uint32_t k = 0; k < 15; ++k) {
      ASSERT_NE(order[k], 15u) << "the nil case was ordered";
      if (order[k] == 14) ++where_last[k];
    }
  }
  const double expected = trials / 15.0;
  double chi_first = 0;
  double chi_last = 0;
  for (int k = 0; k < 15; ++k) {
    chi_first += (first[k] - expected) * (first[k] - expected) / expected;
    chi_last += (where_last[k] - expected) * (where_last[k] - expected) / expected;
  }
  EXPECT_LT(chi_first, 60.0);  // 14 degrees of freedom: P(chi2 > 60) ~ 1e-7
  EXPECT_LT(chi_last, 60.0);
}

TEST(SelectPollOrderTest, OnlyTheReadyCasesCompeteAndEachWinsHalfTheTime) {
  // Two of four cases ready: the uniform choice is among those two.
  detail::seed_thread_random(99);
  std::array<Chan<int>, 4> c{Chan<int>(1), Chan<int>(1), Chan<int>(1), Chan<int>(1)};
  c[1].send(0);
  c[3].send(0);
  std::array<int, 4> counts{};
  const int trials = scaled(4000);
  for (int t = 0; t < trials; ++t) {
    const int i = Select().recv(c[0]).recv(c[1]).recv(c[2]).recv(c[3]).run();
    ++counts[static_cast<std::size_t>(i)];
    c[static_cast<std::size_t>(i)].send(0);
  }
  EXPECT_EQ(counts[0] + counts[2], 0);
  const double expected = trials / 2.0;
  const double chi2 = ((counts[1] - expected) * (counts[1] - expected) +
                       (counts[3] - expected) * (counts[3] - expected)) /
                      expected;
  EXPECT_LT(chi2, 30.0);  // 1 degree of freedom: P(chi2 > 30) ~ 4e-8
}

// Receives from one of c[0..3] in one select; the value of c[2]'s case
// lands in got. Returns the fired case.
int select_four_into(std::array<Chan<int>, 4>& c, std::optional<int>& got) {
  return Select()
      .recv(c[0])
      .recv(c[1])
      .recv(c[2], [&](std::optional<int> v) { got = v; })
      .recv(c[3])
      .run();
}

// A select that finds a case ready fires in pass 0: it never locks every
// channel and never queues (SelectStats, counted per thread).
TEST(SelectStatsTest, AReadySelectFiresInPassZero) {
  std::array<Chan<int>, 4> c{Chan<int>(1), Chan<int>(0), Chan<int>(4), Chan<int>(1)};
  c[2].send(5);
  reset_select_thread_stats();
  std::optional<int> got;
  const int i = select_four_into(c, got);
  const SelectStats st = select_thread_stats();
  EXPECT_EQ(i, 2);
  EXPECT_EQ(got, std::optional<int>(5));
  EXPECT_EQ(st.runs, 1u);
  EXPECT_EQ(st.fast_fires, 1u);
  EXPECT_EQ(st.locked_passes, 0u);
  EXPECT_EQ(st.queued, 0u);
  EXPECT_EQ(st.wake_relocks, 0u);
}

// A select woken by a partner that completed one of its cases unlinks its
// other Sudogs, one channel lock each, and does not lock the completed
// case's channel again (the partner unlinked that Sudog): k - 1 locks for
// k distinct channels. A channel that also has another case is locked.
TEST(SelectStatsTest, AWokenSelectRelocksOnlyTheChannelsStillHoldingItsSudogs) {
  std::array<Chan<int>, 4> c{Chan<int>(0), Chan<int>(0), Chan<int>(0), Chan<int>(0)};
  Threads threads;
  threads.spawn([&] {
    eventually([&] { return c[2].waiting_receivers() == 1; });
    c[2].send(9);
  });
  reset_select_thread_stats();
  std::optional<int> got;
  const int i = select_four_into(c, got);
  threads.join();
  SelectStats st = select_thread_stats();
  EXPECT_EQ(i, 2);
  EXPECT_EQ(got, std::optional<int>(9));
  EXPECT_EQ(st.queued, 1u);
  EXPECT_EQ(st.wake_relocks, 3u);
  for (Chan<int>& ch : c) EXPECT_EQ(ch.waiting_receivers(), 0u);

  // The fired channel also in another case: locked again for that Sudog.
  threads.spawn([&] {
    eventually([&] { return c[0].waiting_receivers() == 2; });
    c[0].send(1);
  });
  reset_select_thread_stats();
  const int j = Select().recv(c[0]).recv(c[0]).recv(c[1]).run();
  threads.join();
  st = select_thread_stats();
  EXPECT_TRUE(j == 0 || j == 1) << j;
  EXPECT_EQ(st.queued, 1u);
  EXPECT_EQ(st.wake_relocks, 2u);  // c[0] (the other case's Sudog) and c[1]
  EXPECT_EQ(c[0].waiting_receivers(), 0u);
  EXPECT_EQ(c[1].waiting_receivers(), 0u);
}

// A select that times out was completed by nobody: every distinct channel
// is locked once to unlink. (A deadline that passes before the select
// queued ends it in pass 1, without queueing: then it is tried again with
// a longer one, so the test does not depend on the machine's speed.)
TEST(SelectStatsTest, ATimedOutSelectRelocksEveryChannel) {
  Chan<int> a(0);
  Chan<int> b(0);
  SelectStats st;
  int i = -1;
  for (auto d = std::chrono::milliseconds(1); d <= std::chrono::minutes(1); d *= 2) {
    reset_select_thread_stats();
    i = Select().recv(a).recv(b).recv(a).timeout(d).run();
    st = select_thread_stats();
    if (st.queued != 0) break;
  }
  EXPECT_EQ(i, 3);
  EXPECT_EQ(st.queued, 1u);
  EXPECT_EQ(st.wake_relocks, 2u);
  EXPECT_EQ(a.waiting_receivers(), 0u);
  EXPECT_EQ(b.waiting_receivers(), 0u);
}

// ---- spinning before queueing (select.h) ------------------------------------
//
// The hook (detail::set_select_spin_hook) runs on the selecting thread when
// its spin starts, so a test can make a case ready exactly then. On a
// process with one usable CPU a select does not spin: the tests then check
// that it queued instead.

bool spins_here() { return usable_cpus() > 1; }

// Clears the hook when a test ends, whatever happens.
struct SpinHookGuard {
  explicit SpinHookGuard(detail::SelectSpinHook h) { detail::set_select_spin_hook(h); }
  ~SpinHookGuard() { detail::set_select_spin_hook(nullptr); }
};

Chan<int>* g_hook_chan = nullptr;  // the channel the hook makes ready

// A buffered case that becomes ready while the select spins fires in pass
// 0 right after the spin: no lock-all, no Sudog queued. The spin tells the
// thread's adaptive budget that it paid off (ChanStats::prespin_wins).
TEST(SelectSpinTest, ABufferedCaseReadyDuringTheSpinFiresWithoutQueueing) {
  std::array<Chan<int>, 4> c{Chan<int>(1), Chan<int>(4), Chan<int>(16), Chan<int>(1)};
  g_hook_chan = &c[1];
  SpinHookGuard hook([] { ASSERT_TRUE(g_hook_chan->try_send(41)); });
  detail::reset_select_prespin_history();
  reset_select_thread_stats();
  reset_chan_thread_stats();
  std::optional<int> got;
  const int i = Select()
                    .recv(c[0])
                    .recv(c[1], [&](std::optional<int> v) { got = v; })
                    .recv(c[2])
                    .recv(c[3])
                    .run();
  const SelectStats st = select_thread_stats();
  const ChanStats cs = chan_thread_stats();
  EXPECT_EQ(i, 1);
  EXPECT_EQ(got, std::optional<int>(41));
  EXPECT_EQ(st.runs, 1u);
  EXPECT_EQ(st.fast_fires, 0u);  // pass 0 found nothing before the spin
  if (spins_here()) {
    EXPECT_EQ(st.spins, 1u);
    EXPECT_EQ(st.spin_fires, 1u);
    EXPECT_EQ(st.locked_passes, 0u);
    EXPECT_EQ(st.queued, 0u);
    EXPECT_EQ(cs.prespin_wins, 1u);
    EXPECT_EQ(cs.blocked, 0u);
  } else {
    EXPECT_EQ(st.spins, 0u);
    EXPECT_EQ(st.spin_fires, 0u);
  }
  for (Chan<int>& ch : c) EXPECT_EQ(ch.waiting_receivers(), 0u);
}

// A select that stays not ready through its spin locks every channel once,
// queues, and is completed by its partner: the partner waits for the exact
// state (the select's Sudog queued) before it sends.
TEST(SelectSpinTest, ASelectThatStaysNotReadyQueuesAfterItsSpin) {
  for (const std::size_t cap : {std::size_t{1}, std::size_t{16}}) {
    SCOPED_TRACE(cap);
    std::array<Chan<int>, 3> c{Chan<int>(cap), Chan<int>(cap), Chan<int>(cap)};
    Threads threads;
    threads.spawn([&] {
      ASSERT_TRUE(eventually([&] { return c[2].waiting_receivers() == 1; }));
      c[2].send(3);
    });
    detail::reset_select_prespin_history();
    reset_select_thread_stats();
    std::optional<int> got;
    const int i =
        Select().recv(c[0]).recv(c[1]).recv(c[2], [&](std::optional<int> v) { got = v; }).run();
    threads.join();
    const SelectStats st = select_thread_stats();
    EXPECT_EQ(i, 2);
    EXPECT_EQ(got, std::optional<int>(3));
    EXPECT_EQ(st.spins, spins_here() ? 1u : 0u);
    EXPECT_EQ(st.spin_fires, 0u);
    EXPECT_EQ(st.locked_passes, 1u);
    EXPECT_EQ(st.queued, 1u);
    for (Chan<int>& ch : c) EXPECT_EQ(ch.waiting_receivers(), 0u);
  }
}

// The skipping rule on fixed values: 2^k - 1 skips after k misses in a
// row, capped.
TEST(SelectSpinTest, SkipsDoubleWithEachMissInARow) {
  EXPECT_EQ(detail::prespin_skips_after(0), 0u);
  EXPECT_EQ(detail::prespin_skips_after(1), 1u);
  EXPECT_EQ(detail::prespin_skips_after(2), 3u);
  EXPECT_EQ(detail::prespin_skips_after(5), 31u);
  EXPECT_EQ(detail::prespin_skips_after(detail::kPrespinMaxMisses), 63u);
  EXPECT_EQ(detail::prespin_skips_after(detail::kPrespinMaxMisses + 1), 63u);
}

// The rule at work: selects that run out their spins (a deadline that has
// passed ends each spin at once, and the select then times out in pass 1)
// make the following ones skip the spin, 1, then 3, then 7; a spin that
// sees a case ready clears the misses, and the next select spins again.
TEST(SelectSpinTest, SpinsThatRunOutMakeLaterSelectsSkipTheSpin) {
  Chan<int> a(1);
  Chan<int> b(4);
  detail::reset_select_prespin_history();
  reset_select_thread_stats();
  const auto past = std::chrono::steady_clock::now();
  // misses: spin (miss 1) | skip | spin (miss 2) | skip x3 | spin (miss 3) | skip x7
  constexpr int kRuns = 1 + 1 + 1 + 3 + 1 + 7;
  for (int r = 0; r < kRuns; ++r) EXPECT_EQ(Select().recv(a).recv(b).deadline(past).run(), 2);
  SelectStats st = select_thread_stats();
  if (!spins_here()) {
    EXPECT_EQ(st.spins + st.spins_skipped, 0u);
    return;
  }
  EXPECT_EQ(st.spins, 3u);
  EXPECT_EQ(st.spins_skipped, static_cast<uint64_t>(kRuns - 3));
  EXPECT_EQ(st.spin_fires, 0u);
  EXPECT_EQ(st.locked_passes, static_cast<uint64_t>(kRuns));

  // The next select spins (the 7 skips are used up); its case becomes
  // ready during the spin: a hit, so the one after it spins too.
  g_hook_chan = &b;
  {
    SpinHookGuard hook([] { ASSERT_TRUE(g_hook_chan->try_send(1)); });
    reset_select_thread_stats();
    EXPECT_EQ(Select().recv(a).recv(b).run(), 1);
    EXPECT_EQ(Select().recv(a).recv(b).run(), 1);
  }
  st = select_thread_stats();
  EXPECT_EQ(st.spins, 2u);
  EXPECT_EQ(st.spin_fires, 2u);
  EXPECT_EQ(st.spins_skipped, 0u);
  EXPECT_EQ(st.queued, 0u);
}

// A select with a case on an unbuffered channel queues at once, a send
// case (its partner can see that send only in the queue) or a receive
// case alike (select.h says why). Neither does a non-blocking select spin.
TEST(SelectSpinTest, AnUnbufferedCaseOrADefaultMeansNoSpin) {
  Chan<int> u(0);
  Chan<int> r(4);
  Threads threads;
  std::optional<int> got;
  threads.spawn([&] {
    ASSERT_TRUE(eventually([&] { return u.waiting_senders() == 1; }));
    got = u.receive();
  });
  detail::reset_select_prespin_history();
  reset_select_thread_stats();
  const int i = Select().recv(r).send(u, 5).run();
  threads.join();
  SelectStats st = select_thread_stats();
  EXPECT_EQ(i, 1);
  EXPECT_EQ(got, std::optional<int>(5));
  EXPECT_EQ(st.spins + st.spins_skipped, 0u);
  EXPECT_EQ(st.queued, 1u);

  threads.spawn([&] {
    ASSERT_TRUE(eventually([&] { return u.waiting_receivers() == 1; }));
    u.send(6);
  });
  reset_select_thread_stats();
  got.reset();
  const int j = Select().recv(r).recv(u, [&](std::optional<int> v) { got = v; }).run();
  threads.join();
  st = select_thread_stats();
  EXPECT_EQ(j, 1);
  EXPECT_EQ(got, std::optional<int>(6));
  EXPECT_EQ(st.spins + st.spins_skipped, 0u);
  EXPECT_EQ(st.queued, 1u);

  reset_select_thread_stats();
  EXPECT_EQ(Select().recv(r).recv(u).default_case().run(), 2);
  st = select_thread_stats();
  EXPECT_EQ(st.spins + st.spins_skipped, 0u);
  EXPECT_EQ(st.locked_passes, 1u);
  EXPECT_EQ(st.queued, 0u);
}

// Stress (bounded): plain senders on buffered channels, selects that
// receive from them (they spin first) and selects that receive from one
// of them or send on an unbuffered channel (they queue at once) run
// together; every value is received exactly once, and a lost wake-up
// shows as a hang (guard).
TEST(SelectSpinTest, SpinningAndQueueingSelectsTogetherLoseNothing) {
  constexpr int kSenders = 3;
  constexpr int kRecvSelects = 2;
  constexpr int kMixed = 2;
  const int per = scaled(20000);
  std::array<Chan<int>, 4> c{Chan<int>(1), Chan<int>(2), Chan<int>(1), Chan<int>(16)};
  Chan<int> relay(0);  // mixed selects send what they received here
  std::atomic<int> senders_left{kSenders};
  std::vector<std::vector<int>> got(kRecvSelects + kMixed + 1);
  Threads threads;
  for (int s = 0; s < kSenders; ++s) {
    threads.spawn([&, s] {
      for (int k = 0; k < per; ++k) c[static_cast<std::size_t>((s + k) % 4)].send(s * per + k);
      if (senders_left.fetch_sub(1) == 1) {
        for (Chan<int>& ch : c) ch.close();
      }
    });
  }
  // Receiving selects: until every channel is closed and drained.
  for (int r = 0; r < kRecvSelects; ++r) {
    threads.spawn([&, r] {
      DynamicSelect sel;
      for (Chan<int>& ch : c) sel.add_recv(ch);
      for (std::size_t open = c.size(); open > 0;) {
        const int i = sel.run();
        std::optional<int> v = sel.take<int>(static_cast<std::size_t>(i));
        if (!v) {
          sel.disable(static_cast<std::size_t>(i));
          --open;
          continue;
        }
        got[static_cast<std::size_t>(r)].push_back(*v);
      }
    });
  }
  // Mixed selects: receive from the channels or pass a held value on to
  // the relay (an unbuffered send case: no spin).
  std::atomic<int> mixed_left{kMixed};
  for (int m = 0; m < kMixed; ++m) {
    threads.spawn([&, m] {
      std::optional<int> held;
      std::size_t open = c.size();
      std::array<bool, 4> closed{};
      std::vector<int>& mine = got[static_cast<std::size_t>(kRecvSelects + m)];
      while (open > 0 || held) {
        if (held) {
          // Pass the held value on, or take another value from c[0]
          // meanwhile (a nil case once c[0] is closed).
          const int i = Select()
                            .send(relay, *held)
                            .recv(closed[0] ? Chan<int>() : c[0],
                                  [&](std::optional<int> v) {
                                    if (v) {
                                      mine.push_back(*v);
                                    } else {
                                      closed[0] = true;
                                      --open;
                                    }
                                  })
                            .run();
          if (i == 0) held.reset();
          continue;
        }
        DynamicSelect d;
        for (std::size_t k = 0; k < c.size(); ++k) d.add_recv(closed[k] ? Chan<int>() : c[k]);
        const std::size_t i = static_cast<std::size_t>(d.run());
        std::optional<int> v = d.take<int>(i);
        if (v) {
          held = *v;
        } else {
          closed[i] = true;
          --open;
        }
      }
      if (mixed_left.fetch_sub(1) == 1) relay.close();
    });
  }
  threads.spawn([&] {
    for (;;) {
      std::optional<int> v = relay.receive();
      if (!v) break;
      got[kRecvSelects + kMixed].push_back(*v);
    }
  });
  threads.join();
  std::vector<int> all;
  for (auto& g : got) all.insert(all.end(), g.begin(), g.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kSenders * per));
  for (int k = 0; k < kSenders * per; ++k) ASSERT_EQ(all[static_cast<std::size_t>(k)], k);
}

// ---- DynamicSelect ----------------------------------------------------------

TEST(DynamicSelectTest, MixedTypesTakeDisableRemove) {
  DynamicSelect sel;
  Chan<int> ints(2);
  Chan<std::string> strs(2);
  DoneChan done(0);
  const std::size_t kDone = sel.add_recv(done);
  const std::size_t kInts = sel.add_recv(ints);
  const std::size_t kStrs = sel.add_recv(strs);
  EXPECT_EQ(sel.size(), 3u);
  EXPECT_EQ(sel.try_run(), DynamicSelect::kNone);

  ints.send(4);
  EXPECT_EQ(sel.run(), static_cast<int>(kInts));
  EXPECT_EQ(sel.take<int>(kInts), 4);
  EXPECT_THROW(sel.take<std::string>(kInts), std::invalid_argument);

  strs.send("x");
  EXPECT_EQ(sel.run_for(1h), static_cast<int>(kStrs));
  EXPECT_EQ(sel.take<std::string>(kStrs), "x");

  ints.close();
  EXPECT_EQ(sel.run(), static_cast<int>(kInts));
  EXPECT_FALSE(sel.take<int>(kInts).has_value());  // closed
  sel.disable(kInts);
  EXPECT_EQ(sel.run_for(2ms), DynamicSelect::kNone);

  done.close();
  EXPECT_EQ(sel.run(), static_cast<int>(kDone));
  sel.remove(kDone);
  EXPECT_EQ(sel.size(), 2u);
  EXPECT_FALSE(sel.is_send(0));
  EXPECT_THROW(sel.remove(5), std::out_of_range);
}

TEST(DynamicSelectTest, SendCasesDisableThemselvesUntilGivenAValue) {
  DynamicSelect sel;
  std::array<Chan<int>, 3> outs{Chan<int>(1), Chan<int>(1), Chan<int>(1)};
  for (Chan<int>& o : outs) sel.add_send(o);  // no value yet: off
  EXPECT_EQ(sel.try_run(), DynamicSelect::kNone);
  for (std::size_t i = 0; i < outs.size(); ++i) sel.set_value(i, 10);
  std::array<int, 3> hits{};
  for (std::size_t k = 0; k < outs.size(); ++k) ++hits[static_cast<std::size_t>(sel.run())];
  EXPECT_EQ(hits, (std::array<int, 3>{1, 1, 1}));  // each output exactly once
  EXPECT_EQ(sel.try_run(), DynamicSelect::kNone);
  for (Chan<int>& o : outs) EXPECT_EQ(o.receive(), 10);
  EXPECT_THROW(sel.set_value(0, std::string("no")), std::invalid_argument);
  sel.set_chan(0, Chan<int>());  // nil
  sel.set_value(0, 1);
  EXPECT_EQ(sel.try_run(), DynamicSelect::kNone);
}

TEST(DynamicSelectTest, ManyCasesMergeEverything) {
  // More cases than the insertion-sort cutoff, with duplicates and nils.
  constexpr int kChans = 40;
  std::vector<Chan<int>> chans;
  DynamicSelect sel;
  for (int i = 0; i < kChans; ++i) {
    chans.emplace_back(i % 3 == 0 ? 0 : 2);
    sel.add_recv(chans.back());
  }
  sel.add_recv(chans[5]);  // duplicate
  sel.add_recv(Chan<int>());  // nil
  const int per = scaled(100);
  Threads threads;
  for (int i = 0; i < kChans; ++i) {
    threads.spawn([&, i] {
      for (int k = 0; k < per; ++k) chans[static_cast<std::size_t>(i)].send(i);
      chans[static_cast<std::size_t>(i)].close();
    });
  }
  std::vector<int> counts(kChans, 0);
  int open_cases = static_cast<int>(sel.size()) - 1;  // minus the nil one
  while (open_cases > 0) {
    const int i = sel.run();
    ASSERT_GE(i, 0);
    std::optional<int> v = sel.take<int>(static_cast<std::size_t>(i));
    if (!v) {
      sel.disable(static_cast<std::size_t>(i));
      --open_cases;
      continue;
    }
    ++counts[static_cast<std::size_t>(*v)];
  }
  for (int n : counts) EXPECT_EQ(n, per);
}

}  // namespace
}  // namespace syncscope
