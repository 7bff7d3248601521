// Stress tests of select over buffered channels with goroutines and OS
// threads waiting side by side (syncscope/select.h, syncscope/goroutine.h).
//
// Regression test for the select_both hang of the channels suite (branch
// chan-thr, d922d01): select's locked pass dropped the hand-offs a buffered
// case's poll had made to queued waiters when that case then blocked, so
// those waiters were never woken. The deterministic reproductions are in
// chan_ring_test.cc (RingSelectTest.LockedPassPublishesTheHandOffs...);
// this one runs the suite's shape, bounded, on threads and goroutines at
// once. (A separate file: chan_patterns.h's go() — a thread — clashes
// with the goroutine runtime's; chan_test_support.h does not include it.)
#include <syncscope/chan.h>
#include <syncscope/goroutine.h>
#include <syncscope/select.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
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
using chan_testing::scaled;

// A value tagged with its producer and its sequence number.
constexpr int64_t kSeqBits = 32;
int64_t tag(int producer, int64_t seq) { return (int64_t{producer} << kSeqBits) | seq; }

// Stress (the channels suite's select_both with both kinds of waiter, on
// OS threads and goroutines at once): producers select-send over K
// buffered channels, consumers select-receive over them, and "mixed"
// workers run selects with a send AND a receive case on every channel
// (always ready for some case, so they never wait long but keep hitting the
// locked pass while others queue). Every value sent is received exactly
// once; a lost wake-up shows as workers that never finish (hang guard).
TEST(SelectGoroutineTest, SelectBothOverSmallRingsOnThreadsAndGoroutinesLosesNoWakeUp) {
  constexpr int kChans = 4;
  constexpr int kProducers = 4;  // half threads, half goroutines; likewise below
  constexpr int kConsumers = 4;
  constexpr int kMixed = 2;
  const int64_t per = scaled(40000);
  for (const std::size_t cap : {std::size_t{1}, std::size_t{16}}) {
    SCOPED_TRACE(cap);
    std::vector<Chan<int64_t>> c;
    for (int i = 0; i < kChans; ++i) c.emplace_back(cap);
    Chan<Signal> stop(0);
    std::vector<std::vector<int64_t>> sent(kProducers + kMixed);
    std::vector<std::vector<int64_t>> got(kConsumers + kMixed);
    std::atomic<int> senders_done{0};
    std::atomic<int> consumers_done{0};

    auto producer = [&](int p) {
      for (int64_t i = 0; i < per; ++i) {
        const int64_t v = tag(p, i);
        Select().send(c[0], v).send(c[1], v).send(c[2], v).send(c[3], v).run();
        sent[p].push_back(v);
      }
      senders_done.fetch_add(1);
    };
    auto mixed = [&](int m) {
      const int p = kProducers + m;
      int64_t next = 0;
      std::optional<int64_t> v;
      const auto take = [&](std::optional<int64_t> x) { v = x; };
      for (int64_t i = 0; i < per; ++i) {
        const int64_t out = tag(p, next);
        v.reset();
        const int fired = Select()
                              .send(c[0], out)
                              .recv(c[0], take)
                              .send(c[1], out)
                              .recv(c[1], take)
                              .send(c[2], out)
                              .recv(c[2], take)
                              .send(c[3], out)
                              .recv(c[3], take)
                              .run();
        if (fired % 2 == 0) {
          sent[p].push_back(out);
          ++next;
        } else {
          got[kConsumers + m].push_back(*v);
        }
      }
      senders_done.fetch_add(1);
    };
    auto consumer = [&](int k) {
      for (bool open = true; open;) {
        std::optional<int64_t> v;
        const auto take = [&](std::optional<int64_t> x) { v = x; };
        Select()
            .recv(c[0], take)
            .recv(c[1], take)
            .recv(c[2], take)
            .recv(c[3], take)
            .recv(stop, [&] { open = false; })
            .run();
        if (v) got[k].push_back(*v);
      }
      consumers_done.fetch_add(1);
    };

    std::vector<std::thread> threads;
    for (int p = 0; p < kProducers; ++p) {
      if (p % 2 == 0) {
        threads.emplace_back([&, p] { producer(p); });
      } else {
        go([&, p] { producer(p); });
      }
    }
    for (int k = 0; k < kConsumers; ++k) {
      if (k % 2 == 0) {
        threads.emplace_back([&, k] { consumer(k); });
      } else {
        go([&, k] { consumer(k); });
      }
    }
    for (int m = 0; m < kMixed; ++m) {
      if (m % 2 == 0) {
        threads.emplace_back([&, m] { mixed(m); });
      } else {
        go([&, m] { mixed(m); });
      }
    }
    expect_woken([&] { return senders_done.load() == kProducers + kMixed; },
                 "a producer or mixed select");
    expect_woken(
        [&] {
          for (const auto& ch : c) {
            if (ch.len() != 0) return false;
          }
          return true;
        },
        "a consumer select (values left in the channels)");
    stop.close();
    expect_woken([&] { return consumers_done.load() == kConsumers; }, "a consumer select");
    for (std::thread& t : threads) t.join();
    ASSERT_TRUE(eventually([] { return num_goroutine() == 0; }));

    std::vector<int64_t> all_sent_values;
    std::vector<int64_t> all_got;
    for (const auto& s : sent) all_sent_values.insert(all_sent_values.end(), s.begin(), s.end());
    for (const auto& g : got) all_got.insert(all_got.end(), g.begin(), g.end());
    std::sort(all_sent_values.begin(), all_sent_values.end());
    std::sort(all_got.begin(), all_got.end());
    EXPECT_EQ(all_sent_values.size(), all_got.size());
    EXPECT_TRUE(all_sent_values == all_got);
  }
}

}  // namespace
}  // namespace syncscope
