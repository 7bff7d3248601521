// Tests of ErrGroup (golang.org/x/sync/errgroup), after Go's own tests
// (TestZeroGroup, TestWithContext, TestTryGo, TestGoLimit, the SetLimit
// panic): the first error wins, wait() waits for everyone, the derived
// context is cancelled on the first error and when wait returns, thrown
// exceptions count as errors and are rethrown by wait(), every function
// object is destroyed before wait() returns, the limit bounds
// concurrency and try_go, Go's panic on changing an active limit, and a
// stress run with many limited goroutines failing at random.
#include <gtest/gtest.h>
#include <syncscope/err_group.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "go_mutex_test_support.h"

namespace syncscope {
namespace {

using namespace std::chrono_literals;
using testing_support::eventually;

const std::error_code kErr1 = std::make_error_code(std::errc::io_error);
const std::error_code kErr2 = std::make_error_code(std::errc::bad_message);

// Go's TestZeroGroup: a reused zero group reports the first error ever.
TEST(ErrGroupTest, ZeroGroupKeepsTheFirstError) {
  const std::vector<std::vector<std::error_code>> cases = {
      {},
      {std::error_code()},
      {kErr1},
      {kErr1, std::error_code()},
      {std::error_code(), kErr1, std::error_code()},
      {kErr1, kErr2},
  };
  for (const auto& errs : cases) {
    ErrGroup g;
    std::error_code first;
    for (const std::error_code& e : errs) {
      g.go([e] { return e; });
      if (!first && e) first = e;
      EXPECT_EQ(g.wait(), first);
    }
  }
}

TEST(ErrGroupTest, WaitWaitsForEveryoneEvenAfterAnError) {
  ErrGroup g;
  std::atomic<bool> slow_done{false};
  g.go([] { return kErr1; });
  g.go([&] {
    std::this_thread::sleep_for(10ms);
    slow_done = true;
  });
  EXPECT_EQ(g.wait(), kErr1);
  EXPECT_TRUE(slow_done.load());
  EXPECT_EQ(g.active(), 0);
}

// Go's TestWithContext: the context is cancelled by the first error, and
// by wait() in any case.
TEST(ErrGroupTest, WithContextCancelsOnFirstErrorAndOnWait) {
  {
    auto [g, ctx] = ErrGroup::with_context(Context::background());
    EXPECT_FALSE(ctx.err());
    g.go([] { return std::error_code(); });
    EXPECT_FALSE(g.wait());
    EXPECT_EQ(ctx.err(), ContextErrc::kCanceled);  // done once wait returned
  }
  {
    auto [g, ctx] = ErrGroup::with_context(Context::background());
    std::atomic<bool> saw_cancel{false};
    // The others watch ctx.done() and stop early ("遇到第一个err就返回").
    for (int i = 0; i < 3; ++i) {
      g.go([&saw_cancel, c = ctx]() -> std::error_code {
        (void)c.done().receive();
        saw_cancel = true;
        return c.err();
      });
    }
    g.go([] { return kErr2; });
    EXPECT_EQ(g.wait(), kErr2);
    EXPECT_TRUE(saw_cancel.load());
    EXPECT_EQ(ctx.err(), ContextErrc::kCanceled);
  }
  {
    // The parent's cancellation reaches the group's context.
    auto [parent, cancel_parent] = with_cancel(Context::background());
    auto [g, ctx] = ErrGroup::with_context(parent);
    g.go([c = ctx] {
      (void)c.done().receive();
      return c.err();
    });
    cancel_parent();
    EXPECT_EQ(g.wait(), ContextErrc::kCanceled);
  }
}

TEST(ErrGroupTest, ThrownExceptionsCountAsErrors) {
  {
    auto [g, ctx] = ErrGroup::with_context(Context::background());
    g.go([]() -> std::error_code { throw std::runtime_error("boom"); });
    EXPECT_FALSE(ctx.done().receive().has_value());  // cancelled by the exception
    try {
      g.wait();
      FAIL() << "wait() should rethrow the first error's exception";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "boom");
    }
  }
  {
    // An error returned first wins over a later exception (dropped, like
    // every later error).
    ErrGroup g;
    g.go([] { return kErr1; });
    EXPECT_EQ(g.wait(), kErr1);
    g.go([] { throw std::logic_error("late"); });
    EXPECT_EQ(g.wait(), kErr1);
  }
  {
    // void functions: only exceptions are errors.
    ErrGroup g;
    std::atomic<int> ran{0};
    for (int i = 0; i < 4; ++i) g.go([&] { ran.fetch_add(1); });
    EXPECT_FALSE(g.wait());
    EXPECT_EQ(ran.load(), 4);
  }
}

// Go's TestGoLimit: never more than the limit active at once.
TEST(ErrGroupTest, LimitBoundsConcurrency) {
  constexpr int kLimit = 3;
  ErrGroup g;
  g.set_limit(kLimit);
  std::atomic<int> active{0};
  std::atomic<int> peak{0};
  std::atomic<int> ran{0};
  for (int i = 0; i < 30; ++i) {
    g.go([&] {
      const int n = active.fetch_add(1) + 1;
      int p = peak.load();
      while (n > p && !peak.compare_exchange_weak(p, n)) {
      }
      std::this_thread::sleep_for(200us);
      active.fetch_sub(1);
      ran.fetch_add(1);
    });
  }
  EXPECT_FALSE(g.wait());
  EXPECT_EQ(ran.load(), 30);
  EXPECT_LE(peak.load(), kLimit);
  EXPECT_GE(peak.load(), 1);
}

// Go's TestTryGo and the SetLimit panic.
TEST(ErrGroupTest, TryGoAndLimitChanges) {
  ErrGroup g;
  Chan<Signal> gate(0);
  g.set_limit(1);
  ASSERT_TRUE(g.try_go([&] { (void)gate.receive(); }));
  EXPECT_FALSE(g.try_go([] {}));  // full
  try {
    g.set_limit(2);
    FAIL() << "expected SyncPanic";
  } catch (const SyncPanic& p) {
    EXPECT_STREQ(p.what(),
                 "errgroup: modify limit while 1 goroutines in the group are still active");
  }
  EXPECT_FALSE(g.try_go([] {}));  // the limit is unchanged
  gate.close();
  EXPECT_FALSE(g.wait());
  EXPECT_TRUE(g.try_go([] {}));
  EXPECT_FALSE(g.wait());
  g.set_limit(2);  // nothing active: allowed
  g.set_limit(0);  // Go's unbuffered channel: nothing can start
  EXPECT_FALSE(g.try_go([] {}));
  g.set_limit(-1);  // no limit
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(g.try_go([] {}));
  EXPECT_FALSE(g.wait());
}

// go() blocks while the limit is reached, and proceeds when a slot frees.
TEST(ErrGroupTest, GoBlocksAtTheLimit) {
  ErrGroup g;
  g.set_limit(1);
  Chan<Signal> gate(0);
  g.go([&] { (void)gate.receive(); });
  std::atomic<bool> second_started{false};
  std::thread spawner([&] { g.go([&] { second_started = true; }); });
  std::this_thread::sleep_for(5ms);
  EXPECT_FALSE(second_started.load());
  gate.close();
  spawner.join();
  EXPECT_FALSE(g.wait());
  EXPECT_TRUE(second_started.load());
}

// Counts its destruction (slowly, so that a destructor still running when
// wait() returns is caught) unless moved from.
struct SlowToDestroy {
  std::atomic<int>* destroyed;
  explicit SlowToDestroy(std::atomic<int>* d) : destroyed(d) {}
  SlowToDestroy(SlowToDestroy&& o) noexcept : destroyed(std::exchange(o.destroyed, nullptr)) {}
  SlowToDestroy(const SlowToDestroy&) = delete;
  ~SlowToDestroy() {
    if (destroyed == nullptr) return;
    std::this_thread::sleep_for(20ms);
    destroyed->fetch_add(1);
  }
};

// What a function captured is destroyed before wait() returns (the
// group's threads touch nothing of the caller's after done()), with and
// without a limit, when it fails, throws or succeeds.
TEST(ErrGroupTest, WaitReturnsAfterEveryCaptureIsDestroyed) {
  for (int limit : {-1, 2}) {
    ErrGroup g;
    g.set_limit(limit);
    std::atomic<int> destroyed{0};
    constexpr int kN = 6;
    for (int i = 0; i < kN; ++i) {
      g.go([i, keep = SlowToDestroy(&destroyed)]() -> std::error_code {
        if (i == 1) return kErr1;
        if (i == 2) throw std::runtime_error("thrown");
        return {};
      });
    }
    bool threw = false;
    std::error_code e;
    try {
      e = g.wait();
    } catch (const std::runtime_error&) {
      threw = true;
    }
    EXPECT_TRUE(threw || e == kErr1) << "limit " << limit;
    EXPECT_EQ(destroyed.load(), kN) << "limit " << limit;
    EXPECT_EQ(g.active(), 0);
  }
}

// A thread creation that fails with EAGAIN is retried (Go never fails to
// start a goroutine); the function runs once, the bookkeeping is intact.
TEST(ErrGroupTest, ATransientThreadCreationFailureIsRetried) {
  ErrGroup g;
  g.set_limit(1);
  std::atomic<int> ran{0};
  detail::errgroup_failed_spawns_to_inject.store(3);
  g.go([&] { ran.fetch_add(1); });
  EXPECT_LE(detail::errgroup_failed_spawns_to_inject.load(), 0);  // all three were used
  EXPECT_EQ(g.wait(), std::error_code());
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(g.active(), 0);
  g.go([&] { ran.fetch_add(1); });  // the token came back: the limit admits the next
  EXPECT_EQ(g.wait(), std::error_code());
  EXPECT_EQ(ran.load(), 2);
}

TEST(ErrGroupTest, StressManyLimitedGoroutinesWithRandomFailures) {
  constexpr int kSpawners = 3;
  constexpr int kPerSpawner = 60;
  auto [g, ctx] = ErrGroup::with_context(Context::background());
  g.set_limit(4);
  std::atomic<int> ran{0};
  std::atomic<int> active{0};
  std::atomic<bool> over{false};
  // jthread: a spawner that cannot be created (EAGAIN under qemu-user
  // while the group's threads exit) fails the test with the exception's
  // message instead of aborting on a joinable std::thread's destruction.
  std::vector<std::jthread> spawners;
  for (int s = 0; s < kSpawners; ++s) {
    spawners.emplace_back([&, s] {
      for (int i = 0; i < kPerSpawner; ++i) {
        auto body = [&, s, i, c = ctx]() -> std::error_code {
          if (active.fetch_add(1) + 1 > 4) over = true;
          ran.fetch_add(1);
          std::error_code e;
          if ((s * kPerSpawner + i) % 37 == 36) e = kErr1;
          if ((s * kPerSpawner + i) % 53 == 52) {
            active.fetch_sub(1);
            throw std::runtime_error("random failure");
          }
          if (!e && (i % 5 == 0)) e = c.err();  // some notice the cancellation
          active.fetch_sub(1);
          return e;
        };
        if (i % 4 == 3) {
          while (!g.try_go(body)) std::this_thread::yield();
        } else {
          g.go(body);
        }
      }
    });
  }
  for (auto& t : spawners) t.join();
  std::error_code e;
  bool threw = false;
  try {
    e = g.wait();
  } catch (const std::runtime_error&) {
    threw = true;
  }
  EXPECT_TRUE(threw || e == kErr1) << e;  // a failure always comes first
  EXPECT_EQ(ran.load(), kSpawners * kPerSpawner);
  EXPECT_FALSE(over.load());
  EXPECT_EQ(ctx.err(), ContextErrc::kCanceled);
  EXPECT_EQ(g.active(), 0);
}

}  // namespace
}  // namespace syncscope
