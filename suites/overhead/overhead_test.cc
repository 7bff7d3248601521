// Tests of the `overhead` suite's rigs: the context tree has the documented
// shape and cancelling its root reaches every leaf; the broadcast rig wakes
// every waiter exactly once per round with either condition variable; the
// burst rig runs every thread's call once per round, all of them together.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <syncscope/single_flight.h>

#include "overhead/broadcast_rig.h"
#include "overhead/burst_rig.h"
#include "overhead/context_tree.h"

namespace syncscope::suites {
namespace {

TEST(ContextTreeTest, NodeCount) {
  EXPECT_EQ(node_count(0, 5), 0u);
  EXPECT_EQ(node_count(1, 16), 16u);
  EXPECT_EQ(node_count(16, 1), 16u);
  EXPECT_EQ(node_count(3, 8), 8u + 64 + 512);
}

TEST(ContextTreeTest, ShapeAndCancellationReachesEveryLeaf) {
  for (auto [d, w] : {std::pair{0, 1}, {1, 1}, {1, 16}, {5, 1}, {3, 4}}) {
    ContextTree tree(d, w);
    EXPECT_EQ(tree.nodes(), node_count(d, w));
    std::size_t leaves = 1;
    for (int i = 0; i < d; ++i) leaves *= static_cast<std::size_t>(w);
    EXPECT_EQ(tree.leaves().size(), leaves);
    EXPECT_FALSE(tree.all_leaves_done());
    tree.cancel_root()();
    EXPECT_TRUE(tree.all_leaves_done());
    tree.wait_all_leaves_done();  // every done channel is closed: returns
    for (const Context& c : tree.leaves()) EXPECT_EQ(c.err(), ContextErrc::kCanceled);
  }
}

TEST(ContextTreeTest, AWaiterBlockedOnTheLeavesIsReleasedByTheRootsCancel) {
  ContextTree tree(2, 3);
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    tree.wait_all_leaves_done();
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_FALSE(done.load());  // nothing cancelled yet
  tree.cancel_root()();
  waiter.join();
  EXPECT_TRUE(done.load());
}

TEST(ContextTreeTest, RejectsBadShapes) {
  EXPECT_THROW(ContextTree(-1, 2), std::invalid_argument);
  EXPECT_THROW(ContextTree(2, 0), std::invalid_argument);
  EXPECT_THROW(ContextTree(17, 2), std::invalid_argument);  // 2^18 - 2 nodes
}

template <class C>
class BroadcastRigTest : public ::testing::Test {};
using CondPeers = ::testing::Types<GoCondPeer, StdCondPeer>;
TYPED_TEST_SUITE(BroadcastRigTest, CondPeers);

TYPED_TEST(BroadcastRigTest, EveryRoundWakesAllWaiters) {
  for (int k : {1, 4}) {
    BroadcastRig<TypeParam> rig(k);
    for (int r = 0; r < 50; ++r) {
      const RoundTimes t = rig.round();  // returns only when all k woke
      EXPECT_GE(t.first_ns, 0);
      EXPECT_GE(t.last_ns, t.first_ns);
    }
  }
}

TYPED_TEST(BroadcastRigTest, StopsWithoutARound) {
  BroadcastRig<TypeParam> rig(3);  // the destructor must not hang
}

TEST(BurstRigTest, EachThreadCallsOncePerRound) {
  constexpr int kThreads = 5;
  std::vector<std::atomic<int>> calls(kThreads);
  std::atomic<int> in_round{0}, max_seen{0};
  auto call = [&](int t) {
    calls[static_cast<std::size_t>(t)].fetch_add(1);
    in_round.fetch_add(1);
  };
  {
    BurstRig<decltype(call)> rig(kThreads, call);
    for (int r = 1; r <= 20; ++r) {
      in_round = 0;
      EXPECT_GE(rig.round(), 0);
      EXPECT_EQ(in_round.load(), kThreads) << "round " << r;
      for (auto& c : calls) EXPECT_EQ(c.load(), r);
    }
  }
  for (auto& c : calls) EXPECT_EQ(c.load(), 20);
}

TEST(BurstRigTest, SingleFlightMergesABurstOfOneKey) {
  // Correctness of the benchmark's setup, not its ratio: every caller gets
  // the value, and fn runs between once and B times per round.
  constexpr int kBurst = 6;
  SingleFlight<std::string, int> group;
  std::atomic<int> fn_calls{0}, wrong{0};
  auto call = [&](int) {
    auto r = group.do_call("key", [&] {
      fn_calls.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      return 42;
    });
    if (r.val != 42) wrong.fetch_add(1);
  };
  {
    BurstRig<decltype(call)> rig(kBurst, call);
    for (int r = 0; r < 5; ++r) rig.round();
  }
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GE(fn_calls.load(), 5);
  EXPECT_LE(fn_calls.load(), 5 * kBurst);
}

}  // namespace
}  // namespace syncscope::suites
