// Tests of syncscope::CyclicBarrier: parties meet in every generation, the
// action runs once per generation on the last arriver before anyone is
// released, arrival indices, the action's exception, misuse, destruction
// right after release, and a stress run. Correctness only.
#include <syncscope/cyclic_barrier.h>

#include <gtest/gtest.h>

#include "go_mutex_test_support.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

namespace syncscope {
namespace {

using testing_support::eventually;

static_assert(!std::is_copy_constructible_v<CyclicBarrier> &&
              !std::is_move_constructible_v<CyclicBarrier>);

TEST(CyclicBarrierTest, ZeroPartiesIsRejected) {
  EXPECT_THROW(CyclicBarrier(0), std::invalid_argument);
}

TEST(CyclicBarrierTest, OnePartyNeverWaits) {
  int actions = 0;
  CyclicBarrier b(1, [&] { ++actions; });
  for (int i = 0; i < 5; ++i) EXPECT_EQ(b.arrive_and_wait(), 0u);
  EXPECT_EQ(actions, 5);
  EXPECT_EQ(b.generation(), 5u);
}

// The last arriver is released only by its own arrival: the earlier parties
// are parked until then.
TEST(CyclicBarrierTest, PartiesWaitForTheLastArriver) {
  CyclicBarrier b(3);
  std::atomic<int> released{0};
  std::vector<std::thread> early;
  for (int i = 0; i < 2; ++i) {
    early.emplace_back([&] {
      b.arrive_and_wait();
      released.fetch_add(1);
    });
  }
  ASSERT_TRUE(eventually([&] { return b.waiting() == 2; }));
  EXPECT_EQ(released.load(), 0);
  EXPECT_EQ(b.arrive_and_wait(), 0u) << "the last arriver gets index 0";
  for (auto& t : early) t.join();
  EXPECT_EQ(released.load(), 2);
  EXPECT_EQ(b.generation(), 1u);
  EXPECT_EQ(b.waiting(), 0u);
}

// Every generation: all parties arrive before any leaves; the action runs
// once, on the last arriver, and everything before it happens-before every
// release (plain variables: ThreadSanitizer checks the edges); the arrival
// indices are a permutation of 0..parties-1.
TEST(CyclicBarrierTest, GenerationsActionAndArrivalIndices) {
  constexpr int kParties = 4;
  constexpr int kGenerations = 200;
  std::vector<int> phase(kParties, 0);  // plain: written by party i, read by the action
  int action_runs = 0;                  // plain: written by the action only
  bool action_saw_all = true;           // plain
  std::vector<std::vector<int>> indices(kGenerations, std::vector<int>(kParties, -1));
  CyclicBarrier b(kParties, [&] {
    for (int p : phase) {
      if (p != action_runs + 1) action_saw_all = false;
    }
    ++action_runs;
  });
  std::vector<std::thread> parties;
  std::atomic<int> bad_release{0};
  for (int i = 0; i < kParties; ++i) {
    parties.emplace_back([&, i] {
      for (int g = 0; g < kGenerations; ++g) {
        phase[i] = g + 1;
        indices[g][i] = static_cast<int>(b.arrive_and_wait());
        if (action_runs < g + 1) bad_release.fetch_add(1);  // action happened-before
      }
    });
  }
  for (auto& t : parties) t.join();
  EXPECT_EQ(action_runs, kGenerations);
  EXPECT_TRUE(action_saw_all);
  EXPECT_EQ(bad_release.load(), 0);
  EXPECT_EQ(b.generation(), static_cast<uint64_t>(kGenerations));
  for (int g = 0; g < kGenerations; ++g) {
    std::vector<int> sorted = indices[g];
    std::sort(sorted.begin(), sorted.end());
    for (int k = 0; k < kParties; ++k) ASSERT_EQ(sorted[k], k) << "generation " << g;
  }
}

// A throwing action: the generation completes, the others are released
// normally, and the exception reaches the last arriver only. The barrier
// stays usable.
TEST(CyclicBarrierTest, ActionExceptionReachesTheLastArriverOnly) {
  bool throw_now = true;
  CyclicBarrier b(3, [&] {
    if (throw_now) throw std::runtime_error("action failed");
  });
  std::atomic<int> threw{0};
  std::atomic<int> returned{0};
  auto party = [&] {
    try {
      b.arrive_and_wait();
      returned.fetch_add(1);
    } catch (const std::runtime_error&) {
      threw.fetch_add(1);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back(party);
  for (auto& t : threads) t.join();
  EXPECT_EQ(threw.load(), 1);
  EXPECT_EQ(returned.load(), 2);
  throw_now = false;
  threads.clear();
  for (int i = 0; i < 3; ++i) threads.emplace_back(party);
  for (auto& t : threads) t.join();
  EXPECT_EQ(returned.load(), 5);
  EXPECT_EQ(b.generation(), 2u);
}

// More threads than parties: generations are formed from whoever arrives;
// every arrival is released exactly once.
TEST(CyclicBarrierTest, MoreThreadsThanPartiesFormSeveralGenerations) {
  CyclicBarrier b(2);
  std::vector<std::thread> threads;
  std::atomic<int> released{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      b.arrive_and_wait();
      released.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(released.load(), 8);
  EXPECT_EQ(b.generation(), 4u);
}

// A released party may destroy the barrier at once, while the last arriver
// may still be releasing the others. (Use-after-free would be reported by
// the sanitizer builds.)
TEST(CyclicBarrierTest, MayBeDestroyedByAReleasedParty) {
  for (int round = 0; round < 200; ++round) {
    auto* b = new CyclicBarrier(3);
    auto party = [&] {
      if (b->arrive_and_wait() == 2) {
        // The first arriver: it was parked and released by the last one,
        // which may still be inside its release loop, and the second one may
        // not have woken yet. Neither touches the barrier any more.
        delete b;
      }
    };
    std::thread t1(party);
    std::thread t2(party);
    std::thread t3(party);
    t1.join();
    t2.join();
    t3.join();
  }
}

// Stress: many short generations with an action that checks a shared count.
TEST(CyclicBarrierTest, StressManyGenerations) {
  constexpr int kParties = 5;
  constexpr int kGenerations = 400;
  std::atomic<int> arrivals{0};
  int generations_seen = 0;  // plain, action only
  bool counts_ok = true;     // plain, action only
  CyclicBarrier b(kParties, [&] {
    ++generations_seen;
    if (arrivals.load() != generations_seen * kParties) counts_ok = false;
  });
  std::vector<std::thread> threads;
  for (int i = 0; i < kParties; ++i) {
    threads.emplace_back([&] {
      for (int g = 0; g < kGenerations; ++g) {
        arrivals.fetch_add(1);
        b.arrive_and_wait();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(generations_seen, kGenerations);
  EXPECT_TRUE(counts_ok);
}

}  // namespace
}  // namespace syncscope
