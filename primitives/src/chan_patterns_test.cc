// Tests of the seed's channel patterns (syncscope/chan_patterns.h): every
// variant delivers what it should, closes its output, stops when done is
// closed, and leaves no worker thread behind (live_workers() back to 0).
#include <syncscope/chan_patterns.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <set>
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
using chan_testing::workers_drained;

// 0, 1, 2, ... until done is closed (never closes its output by itself).
Chan<int> naturals(const DoneChan& done) {
  Chan<int> out(0);
  go([done, out] {
    for (int i = 0;; ++i) {
      if (!send_or_done(done, out, i)) return;
    }
  });
  return out;
}

std::vector<int> iota_vec(int from, int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), from);
  return v;
}

std::vector<int> drain(const Chan<int>& c) {
  std::vector<int> out;
  for (int v : c) out.push_back(v);
  return out;
}

class PatternsTest : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_TRUE(workers_drained()) << live_workers() << " workers left"; }
};

// ---- workers and helpers ------------------------------------------------------

TEST_F(PatternsTest, GoCountsItsThreads) {
  Chan<int> gate(0);
  const std::size_t before = live_workers();
  go([gate] { gate.receive(); });
  go([gate] { gate.receive(); });
  EXPECT_EQ(live_workers(), before + 2);
  gate.close();
  EXPECT_TRUE(workers_drained());
}

TEST_F(PatternsTest, SendAndRecvOrDone) {
  DoneChan done(0);
  Chan<int> c(1);
  EXPECT_TRUE(send_or_done(done, c, 1));
  EXPECT_EQ(recv_or_done(done, c), 1);
  EXPECT_TRUE(send_or_done(DoneChan(), c, 2));  // nil done: plain send
  EXPECT_EQ(recv_or_done(DoneChan(), c), 2);
  c.send(3);  // full
  done.close();
  EXPECT_FALSE(send_or_done(done, c, 4));      // blocked send gives up on done
  Chan<int> empty(0);
  EXPECT_FALSE(recv_or_done(done, empty).has_value());
  Chan<int> closed(0);
  closed.close();
  EXPECT_FALSE(recv_or_done(DoneChan(), closed).has_value());
}

// ---- or-done --------------------------------------------------------------------

TEST_F(PatternsTest, OrDoneForwardsUntilTheInputCloses) {
  DoneChan done(0);
  EXPECT_EQ(drain(or_done(done, generate(done, iota_vec(0, 50)))), iota_vec(0, 50));
  done.close();
}

TEST_F(PatternsTest, OrDoneStopsWhenDoneCloses) {
  DoneChan done(0);
  Chan<int> in = naturals(done);
  Chan<int> out = or_done(done, in);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(out.receive(), i);
  done.close();
  // The output is closed (after at most one value already in flight).
  int extra = 0;
  while (out.receive()) ++extra;
  EXPECT_LE(extra, 1);
}

using OrFn = std::function<Chan<Signal>(std::vector<Chan<Signal>>)>;
struct OrVariant {
  const char* name;
  OrFn fn;
};
class OrChannelTest : public PatternsTest, public ::testing::WithParamInterface<OrVariant> {};
INSTANTIATE_TEST_SUITE_P(
    Variants, OrChannelTest,
    ::testing::Values(OrVariant{"threads", [](auto v) { return or_channel_threads(std::move(v)); }},
                      OrVariant{"recursive",
                                [](auto v) { return or_channel_recursive(std::move(v)); }},
                      OrVariant{"select", [](auto v) { return or_channel_select(std::move(v)); }}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_P(OrChannelTest, FiresWhenAnyInputFiresAndStopsEveryThread) {
  for (int n : {2, 3, 4, 5, 7, 16}) {
    for (int which : {0, n / 2, n - 1}) {
      std::vector<Chan<Signal>> inputs;
      for (int i = 0; i < n; ++i) inputs.emplace_back(0);
      Chan<Signal> any = GetParam().fn(inputs);
      EXPECT_EQ(any.try_receive().status, RecvStatus::kWouldBlock);
      if (which % 2 == 0) {
        inputs[static_cast<std::size_t>(which)].close();
      } else {
        inputs[static_cast<std::size_t>(which)].send(Signal{});  // a value also counts
      }
      EXPECT_FALSE(any.receive().has_value()) << "n=" << n << " which=" << which;  // closed
      EXPECT_TRUE(workers_drained()) << "n=" << n << " which=" << which;
    }
  }
}

TEST_P(OrChannelTest, DegenerateInputCounts) {
  EXPECT_TRUE(GetParam().fn({}).is_nil());
  Chan<Signal> one(0);
  EXPECT_TRUE(GetParam().fn({one}) == one);
}

TEST_F(PatternsTest, SeedRecursiveOrWouldLeakTheLosingHalf) {
  // Documents why or_channel_recursive forwards its own result channel: after
  // one input fires, every helper thread has ended (with the seed's version
  // the threads watching the other half would still wait).
  std::vector<Chan<Signal>> inputs;
  for (int i = 0; i < 8; ++i) inputs.emplace_back(0);
  Chan<Signal> any = or_channel_recursive(inputs);
  // A tree of helper threads, built by the helpers themselves (8 inputs:
  // 1 + 2 * (1 + 1 + 3) = 11 threads).
  EXPECT_TRUE(eventually([] { return live_workers() == 11; })) << live_workers();
  inputs[0].close();
  any.receive();
  EXPECT_TRUE(workers_drained());
}

// ---- fan in ---------------------------------------------------------------------

using FanInFn = std::function<Chan<int>(DoneChan, std::vector<Chan<int>>)>;
struct FanInVariant {
  const char* name;
  FanInFn fn;
};
class FanInTest : public PatternsTest, public ::testing::WithParamInterface<FanInVariant> {};
INSTANTIATE_TEST_SUITE_P(
    Variants, FanInTest,
    ::testing::Values(
        FanInVariant{"threads", [](DoneChan d, auto v) { return fan_in_threads(d, std::move(v)); }},
        FanInVariant{"recursive",
                     [](DoneChan d, auto v) { return fan_in_recursive(d, std::move(v)); }},
        FanInVariant{"select", [](DoneChan d, auto v) { return fan_in_select(d, std::move(v)); }}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_P(FanInTest, MergesEveryValueOnceAndCloses) {
  for (int n : {1, 2, 3, 5, 8}) {
    DoneChan done(0);
    std::vector<Chan<int>> ins;
    const int per = scaled(200);
    for (int i = 0; i < n; ++i) ins.push_back(generate(done, iota_vec(i * per, per)));
    std::vector<int> got = drain(GetParam().fn(done, ins));
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, iota_vec(0, n * per)) << "n=" << n;
    done.close();
    EXPECT_TRUE(workers_drained());
  }
}

TEST_P(FanInTest, PreservesEachInputsOrder) {
  DoneChan done(0);
  std::vector<Chan<int>> ins;
  for (int i = 0; i < 4; ++i) ins.push_back(generate(done, iota_vec(i * 1000, 100)));
  std::vector<int> last(4, -1);
  for (int v : GetParam().fn(done, ins)) {
    EXPECT_GT(v, last[static_cast<std::size_t>(v / 1000)]);
    last[static_cast<std::size_t>(v / 1000)] = v;
  }
  done.close();
}

TEST_P(FanInTest, NoInputsGiveAClosedChannel) {
  Chan<int> out = GetParam().fn(DoneChan(), {});
  EXPECT_FALSE(out.receive().has_value());
}

TEST_P(FanInTest, StopsWhenDoneCloses) {
  DoneChan done(0);
  std::vector<Chan<int>> ins{naturals(done), naturals(done), naturals(done)};
  Chan<int> out = GetParam().fn(done, ins);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(out.receive().has_value());
  done.close();
  while (out.receive()) {
  }
}

TEST_F(PatternsTest, MergeTwoHandlesOneSideClosingFirst) {
  DoneChan done(0);
  std::vector<int> got =
      drain(merge_two(done, generate(done, iota_vec(0, 3)), generate(done, iota_vec(3, 40))));
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, iota_vec(0, 43));
  done.close();
}

// ---- fan out --------------------------------------------------------------------

// Reads every output concurrently (outputs are unbuffered).
std::vector<std::vector<int>> drain_all(const std::vector<Chan<int>>& outs) {
  std::vector<std::vector<int>> got(outs.size());
  Threads threads;
  for (std::size_t i = 0; i < outs.size(); ++i) {
    threads.spawn([&, i] { got[i] = drain(outs[i]); });
  }
  threads.join();
  return got;
}

TEST_F(PatternsTest, FanOutSyncDeliversEveryValueToEveryOutputInOrder) {
  DoneChan done(0);
  std::vector<Chan<int>> outs{Chan<int>(0), Chan<int>(0), Chan<int>(2)};
  fan_out(done, generate(done, iota_vec(0, 50)), outs, FanOutMode::kSync);
  for (const auto& g : drain_all(outs)) EXPECT_EQ(g, iota_vec(0, 50));
  done.close();
}

TEST_F(PatternsTest, FanOutAsyncDeliversEveryValueToEveryOutput) {
  DoneChan done(0);
  std::vector<Chan<int>> outs{Chan<int>(0), Chan<int>(0)};
  fan_out(done, generate(done, iota_vec(0, 20)), outs, FanOutMode::kAsync);
  for (auto g : drain_all(outs)) {
    std::sort(g.begin(), g.end());  // asynchronous: any order
    EXPECT_EQ(g, iota_vec(0, 20));
  }
  done.close();
}

TEST_F(PatternsTest, FanOutAsyncStopsOnDoneWithoutSendingOnClosed) {
  // Nobody reads the outputs: every asynchronous sender blocks until done.
  // The outputs must be closed only after all of them gave up (the seed's
  // version would panic with "send on closed channel" here).
  DoneChan done(0);
  std::vector<Chan<int>> outs{Chan<int>(0), Chan<int>(0)};
  Chan<int> in(0);
  fan_out(done, in, outs, FanOutMode::kAsync);
  for (int i = 0; i < 5; ++i) in.send(i);
  ASSERT_TRUE(
      eventually([&] { return outs[0].waiting_senders() + outs[1].waiting_senders() == 10; }));
  done.close();
  EXPECT_TRUE(workers_drained());
  EXPECT_EQ(outs[0].try_receive().status, RecvStatus::kClosed);
}

TEST_F(PatternsTest, FanOutSelectDeliversEveryValueToEveryOutput) {
  DoneChan done(0);
  std::vector<Chan<int>> outs{Chan<int>(0), Chan<int>(1), Chan<int>(0), Chan<int>(0)};
  fan_out_select(done, generate(done, iota_vec(0, 40)), outs);
  for (const auto& g : drain_all(outs)) EXPECT_EQ(g, iota_vec(0, 40));
  done.close();
}

TEST_F(PatternsTest, FanOutSelectServesAReadyOutputWhileAnotherIsSlow) {
  DoneChan done(0);
  std::vector<Chan<int>> outs{Chan<int>(0), Chan<int>(0)};
  Chan<int> in(1);
  fan_out_select(done, in, outs);
  in.send(7);
  // outs[0] is not read; outs[1] still gets the value.
  EXPECT_EQ(outs[1].receive(), 7);
  EXPECT_EQ(outs[0].receive(), 7);
  done.close();
}

TEST_F(PatternsTest, FanOutRoundRobinSendsEachValueToOneOutputInTurn) {
  DoneChan done(0);
  std::vector<Chan<int>> outs{Chan<int>(0), Chan<int>(0), Chan<int>(0)};
  fan_out_round_robin(done, generate(done, iota_vec(0, 30)), outs);
  const auto got = drain_all(outs);
  for (int i = 0; i < 3; ++i) {
    std::vector<int> expected;
    for (int v = i; v < 30; v += 3) expected.push_back(v);
    EXPECT_EQ(got[static_cast<std::size_t>(i)], expected);
  }
  done.close();
}

TEST_F(PatternsTest, FanOutsStopWhenDoneCloses) {
  DoneChan done(0);
  std::vector<Chan<int>> a{Chan<int>(0), Chan<int>(0)};
  std::vector<Chan<int>> b{Chan<int>(0), Chan<int>(0)};
  std::vector<Chan<int>> c{Chan<int>(0), Chan<int>(0)};
  fan_out(done, naturals(done), a, FanOutMode::kSync);
  fan_out_select(done, naturals(done), b);
  fan_out_round_robin(done, naturals(done), c);
  EXPECT_TRUE(a[0].receive().has_value());
  EXPECT_TRUE(b[1].receive().has_value());
  EXPECT_TRUE(c[0].receive().has_value());
  done.close();
  EXPECT_TRUE(workers_drained());
  for (const auto* outs : {&a, &b, &c}) {
    for (const Chan<int>& o : *outs) EXPECT_EQ(o.try_receive().status, RecvStatus::kClosed);
  }
}

// ---- tee ------------------------------------------------------------------------

TEST_F(PatternsTest, TeeDeliversEveryValueToBothOutputs) {
  DoneChan done(0);
  auto [a, b] = tee(done, generate(done, iota_vec(0, 60)));
  std::vector<int> got_b;
  Threads threads;
  threads.spawn([&, b = b] { got_b = drain(b); });
  EXPECT_EQ(drain(a), iota_vec(0, 60));
  threads.join();
  EXPECT_EQ(got_b, iota_vec(0, 60));
  done.close();
}

TEST_F(PatternsTest, TeeStopsWhenDoneCloses) {
  DoneChan done(0);
  auto [a, b] = tee(done, naturals(done));
  EXPECT_EQ(b.receive(), 0);  // a is never read: the tee waits on it
  done.close();
  EXPECT_TRUE(workers_drained());
}

// ---- pipeline -------------------------------------------------------------------

TEST_F(PatternsTest, GenerateThenSquare) {
  DoneChan done(0);
  Chan<int> out = square(done, generate(done, std::vector<int>{2, 3}));
  EXPECT_EQ(out.receive(), 4);
  EXPECT_EQ(out.receive(), 9);
  EXPECT_FALSE(out.receive().has_value());
  // Stages compose: square(square(gen)).
  EXPECT_EQ(drain(square(done, square(done, generate(done, iota_vec(1, 4))))),
            (std::vector<int>{1, 16, 81, 256}));
  done.close();
}

TEST_F(PatternsTest, ConsumerLeavingEarlyStopsTheWholePipelineThroughDone) {
  DoneChan done(0);
  Chan<int> out = square(done, square(done, naturals(done)));
  EXPECT_EQ(out.receive(), 0);
  EXPECT_EQ(out.receive(), 1);
  EXPECT_EQ(out.receive(), 16);
  done.close();  // every stage is blocked somewhere; all must stop
  EXPECT_TRUE(workers_drained());
}

TEST_F(PatternsTest, MoveOnlyValuesFlowThroughStages) {
  DoneChan done(0);
  std::vector<std::unique_ptr<int>> values;
  for (int i = 0; i < 5; ++i) values.push_back(std::make_unique<int>(i));
  Chan<std::unique_ptr<int>> in(0);
  go([done, in]() mutable {
    for (int i = 0; i < 5; ++i) {
      if (!send_or_done(done, in, std::make_unique<int>(i))) return;
    }
    in.close();
  });
  auto out = map_chan(
      done, filter_chan(done, in, [](const std::unique_ptr<int>& p) { return *p % 2 == 0; }),
      [](std::unique_ptr<int> p) {
        *p *= 10;
        return p;
      });
  std::vector<int> got;
  for (std::unique_ptr<int>& p : out) got.push_back(*p);
  EXPECT_EQ(got, (std::vector<int>{0, 20, 40}));
  done.close();
}

// ---- stream ---------------------------------------------------------------------

TEST_F(PatternsTest, TakeAndSkip) {
  DoneChan done(0);
  EXPECT_EQ(drain(take_n(done, naturals(done), 5)), iota_vec(0, 5));
  EXPECT_EQ(drain(take_n(done, generate(done, iota_vec(0, 3)), 10)),
            iota_vec(0, 3));  // short input
  EXPECT_EQ(drain(take_n(done, skip_n(done, naturals(done), 7), 3)), iota_vec(7, 3));
  EXPECT_EQ(drain(skip_n(done, generate(done, iota_vec(0, 3)), 10)), std::vector<int>{});
  EXPECT_EQ(drain(take_while(done, naturals(done), [](int v) { return v < 4; })), iota_vec(0, 4));
  // skip_while stops testing once it starts taking (the seed's skipwhile).
  EXPECT_EQ(drain(skip_while(done, generate(done, std::vector<int>{1, 2, 5, 1, 7}),
                             [](int v) { return v < 3; })),
            (std::vector<int>{5, 1, 7}));
  done.close();
}

TEST_F(PatternsTest, MapFilterReduce) {
  DoneChan done(0);
  Chan<std::string> strings = map_chan(done, generate(done, iota_vec(1, 5)), [](int v) {
    return std::string(static_cast<std::size_t>(v), '*');
  });
  EXPECT_EQ(strings.receive(), "*");
  EXPECT_EQ(strings.receive(), "**");
  EXPECT_EQ(
      drain(filter_chan(done, generate(done, iota_vec(0, 10)), [](int v) { return v % 3 == 0; })),
      (std::vector<int>{0, 3, 6, 9}));
  EXPECT_EQ(reduce_chan(done, generate(done, iota_vec(1, 100)), 0L,
                        [](long acc, int v) { return acc + v; }),
            5050L);
  // A nil input maps to a closed channel (the seed's `if in == nil`).
  EXPECT_FALSE(map_chan(done, Chan<int>(), [](int v) { return v; }).receive().has_value());
  done.close();
  // reduce over an endless input returns nullopt once done is closed.
  DoneChan done2(0);
  Chan<int> endless = naturals(done2);
  std::optional<long> r;
  Threads threads;
  threads.spawn([&] { r = reduce_chan(done2, endless, 0L, [](long a, int v) { return a + v; }); });
  std::this_thread::sleep_for(2ms);
  done2.close();
  threads.join();
  EXPECT_FALSE(r.has_value());
}

// ---- channels over channel ----------------------------------------------------------

// The seed's program with the durations scaled from seconds to
// milliseconds: ten workers each take a reply channel from sendCh, sleep,
// and answer on it; the main thread sends one shared reply channel ten
// times and collects the ten answers.
TEST_F(PatternsTest, SeedChannelsOverChannel) {
  using Duration = std::chrono::milliseconds;
  Chan<Chan<Duration>> send_ch(0);
  for (int i = 0; i < 10; ++i) {
    go([send_ch, t = Duration(i + 1)] {  // doStuff
      Chan<Duration> ac = *send_ch.receive();
      std::this_thread::sleep_for(t);
      ac.send(t);
    });
  }
  Chan<Duration> recv_ch(0);
  for (int i = 0; i < 10; ++i) send_ch.send(recv_ch);
  std::set<long> slept;
  std::mutex mu;
  Threads threads;
  for (int i = 0; i < 10; ++i) {
    threads.spawn([&] {
      const Duration d = *recv_ch.receive();
      std::lock_guard<std::mutex> g(mu);
      slept.insert(d.count());
    });
  }
  threads.join();
  EXPECT_EQ(slept, (std::set<long>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

TEST_F(PatternsTest, CallAndServe) {
  DoneChan done(0);
  Chan<Request<int, std::string>> server(0);
  serve(done, server, [](int x) { return std::to_string(x * 2); });
  serve(done, server, [](int x) { return std::to_string(x * 2); });
  Threads threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.spawn([&, t] {
      for (int i = 0; i < 25; ++i) {
        const int x = t * 100 + i;
        if (call(done, server, x) == std::to_string(2 * x)) ok.fetch_add(1);
      }
    });
  }
  threads.join();
  EXPECT_EQ(ok.load(), 100);
  done.close();
  EXPECT_TRUE(workers_drained());
  // After done, a call gives up instead of waiting for a server.
  EXPECT_FALSE(call(done, server, 1).has_value());
}

}  // namespace
}  // namespace syncscope
