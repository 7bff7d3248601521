// The buffered ring on goroutines shared by many senders and receivers on
// two P's: the shapes of the channels suite's mpmc rows (2 + 2, 4 + 4 and
// 16 + 16 goroutines at caps 1, 16 and 1024, GOMAXPROCS = 2), where the
// group may be split over both P's: its goroutines readied by channel
// hand-offs into either P, and stolen by the ring rule (scheduler.cc,
// "Stealing from a switching P's ring"), so that the ring's CASes race
// between P's. Whatever P each goroutine runs on: each receiver sees each
// sender's values in order, every value is delivered exactly once, and
// receivers see "closed" only after every value. No timing is asserted.
// (The shape of issue 11 gmp3's stress, which was reverted with its rule.)
#include <gtest/gtest.h>
#include <syncscope/chan.h>
#include <syncscope/goroutine.h>
#include <syncscope/wait_group.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "chan_test_support.h"
#include "goroutine_test_support.h"

namespace syncscope {
namespace {

using chan_testing::scaled;

// A value: its sender in the high bits, its sequence number in the low 40.
constexpr int64_t tag(int sender, int64_t seq) {
  return (static_cast<int64_t>(sender) << 40) | seq;
}
constexpr int sender_of(int64_t v) { return static_cast<int>(v >> 40); }
constexpr int64_t seq_of(int64_t v) { return v & ((int64_t{1} << 40) - 1); }

class RingOnGoroutinesTest : public testing_support::OnGoroutinesTest,
                             public ::testing::WithParamInterface<std::size_t> {};
INSTANTIATE_TEST_SUITE_P(Caps, RingOnGoroutinesTest, ::testing::Values(1, 16, 1024));

TEST_P(RingOnGoroutinesTest, ManySendersAndReceiversOnTwoPsDeliverEachValueOnce) {
  use_procs(2);
  const std::size_t cap = GetParam();
  for (int parties : {2, 4, 16}) {
    const int64_t per = scaled(200000) / parties + 1;
    Chan<int64_t> c(cap);
    std::vector<std::vector<int64_t>> got(static_cast<std::size_t>(parties));
    std::atomic<int> out_of_order{0};
    WaitGroup receivers, senders;
    receivers.add(parties);
    senders.add(parties);
    for (int k = 0; k < parties; ++k) {
      go([&, k] {
        std::vector<int64_t> last(static_cast<std::size_t>(parties), -1);
        for (int64_t v : c) {
          const auto s = static_cast<std::size_t>(sender_of(v));
          if (seq_of(v) <= last[s]) out_of_order.fetch_add(1);
          last[s] = seq_of(v);
          got[static_cast<std::size_t>(k)].push_back(v);
        }
        receivers.done();
      });
    }
    for (int s = 0; s < parties; ++s) {
      go([&, s] {
        for (int64_t i = 0; i < per; ++i) c.send(tag(s, i));
        senders.done();
      });
    }
    senders.wait();
    c.close();
    receivers.wait();
    EXPECT_EQ(out_of_order.load(), 0) << parties << " + " << parties << " parties";
    std::vector<std::vector<bool>> seen(static_cast<std::size_t>(parties),
                                        std::vector<bool>(static_cast<std::size_t>(per), false));
    int64_t total = 0;
    for (const auto& g : got) {
      for (int64_t v : g) {
        auto&& bit =
            seen[static_cast<std::size_t>(sender_of(v))][static_cast<std::size_t>(seq_of(v))];
        ASSERT_FALSE(bit) << "value delivered twice, " << parties << " + " << parties << " parties";
        bit = true;
        ++total;
      }
    }
    EXPECT_EQ(total, per * parties) << parties << " + " << parties << " parties";
  }
}

}  // namespace
}  // namespace syncscope
