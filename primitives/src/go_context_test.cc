// go_context_test.cc (not context_test.cc: hw/ already has a target of that
// name). Tests of Context (Go's context.Context): the roots, errors and their
// messages, the seed's WithValue chain, cancellation and its propagation
// down a tree (through value nodes too), idempotent CancelFuncs, children
// unlinked from their parent on cancel, deadlines (earliest wins, already
// past, other clocks, timers disarmed on cancel), done() in select,
// after_func, and stress runs: a wide and deep tree whose every done()
// fires, racing cancels and creations, many concurrent timers.
#include <gtest/gtest.h>
#include <syncscope/context.h>
#include <syncscope/select.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "go_mutex_test_support.h"

namespace syncscope {
namespace {

using namespace std::chrono_literals;

bool is_closed(const DoneChan& d) { return d.try_receive().closed(); }

TEST(ContextTest, RootsAreNeverDone) {
  for (const Context& c : {Context::background(), Context::todo(), Context()}) {
    EXPECT_TRUE(c.done().is_nil());
    EXPECT_FALSE(c.err());
    EXPECT_FALSE(c.deadline().has_value());
  }
  EXPECT_STREQ(Context::background().name(), "context.Background");
  EXPECT_STREQ(Context::todo().name(), "context.TODO");
  EXPECT_STREQ(Context().name(), "context.Background");
  EXPECT_TRUE(Context() == Context::background());
  EXPECT_FALSE(Context::todo() == Context::background());
}

TEST(ContextTest, ErrorsCarryGosMessages) {
  const std::error_code canceled = ContextErrc::kCanceled;
  const std::error_code deadline = ContextErrc::kDeadlineExceeded;
  EXPECT_EQ(canceled.message(), "context canceled");
  EXPECT_EQ(deadline.message(), "context deadline exceeded");
  EXPECT_STREQ(canceled.category().name(), "context");
  EXPECT_TRUE(deadline == std::errc::timed_out);  // Go: DeadlineExceeded.Timeout() == true
  EXPECT_FALSE(canceled == std::errc::timed_out);
  EXPECT_NE(canceled, deadline);
}

// The seed's "context.Context 链式查找 (WithValue)" example.
TEST(ContextTest, WithValueChainedLookup) {
  static const ContextKey<std::string> key1("key1"), key2("key2"), key3("key3"), key4("key4");
  Context ctx = Context::background();
  ctx = Context::todo();
  ctx = with_value(ctx, key1, "0001");
  ctx = with_value(ctx, key2, "0001");
  ctx = with_value(ctx, key3, "0001");
  ctx = with_value(ctx, key4, "0004");
  ASSERT_NE(ctx.value(key1), nullptr);
  EXPECT_EQ(*ctx.value(key1), "0001");  // fmt.Println(ctx.Value("key1"))
  EXPECT_EQ(*ctx.value(key4), "0004");
  EXPECT_STREQ(ctx.name(), "WithValue");
  EXPECT_TRUE(ctx.done().is_nil());  // values over TODO: never done

  // The nearest value wins; an unrelated key with the same name is a
  // different key.
  Context shadow = with_value(ctx, key1, std::string("override"));
  EXPECT_EQ(*shadow.value(key1), "override");
  EXPECT_EQ(*ctx.value(key1), "0001");
  static const ContextKey<std::string> other_key1("key1");
  EXPECT_EQ(shadow.value(other_key1), nullptr);
  // Typed keys: the value's type comes from the key.
  static const ContextKey<int> answer("answer");
  Context typed = with_value(shadow, answer, 42);
  EXPECT_EQ(*typed.value(answer), 42);
  EXPECT_EQ(*typed.value(key2), "0001");
  EXPECT_EQ(Context::background().value(answer), nullptr);
}

TEST(ContextTest, CancelSetsErrAndClosesDoneOnce) {
  auto [ctx, cancel] = with_cancel(Context::background());
  EXPECT_STREQ(ctx.name(), "WithCancel");
  EXPECT_FALSE(ctx.done().is_nil());
  EXPECT_FALSE(ctx.err());
  EXPECT_FALSE(is_closed(ctx.done()));
  EXPECT_FALSE(ctx.deadline().has_value());
  cancel();
  EXPECT_EQ(ctx.err(), ContextErrc::kCanceled);
  EXPECT_TRUE(is_closed(ctx.done()));
  EXPECT_FALSE(ctx.done().receive().has_value());  // a receive returns "closed" at once
  cancel();  // idempotent
  CancelFunc copy = cancel;
  copy();
  EXPECT_EQ(ctx.err(), ContextErrc::kCanceled);
  CancelFunc{}();  // a default CancelFunc does nothing
}

TEST(ContextTest, CancellationPropagatesDownNotUp) {
  static const ContextKey<int> k("k");
  auto [root, cancel_root] = with_cancel(Context::background());
  auto [a, cancel_a] = with_cancel(root);
  Context v = with_value(a, k, 7);           // a value node between two cancel nodes
  auto [b, cancel_b] = with_cancel(v);
  auto [sib, cancel_sib] = with_cancel(root);

  cancel_b();  // a child's cancel does not touch its ancestors or siblings
  EXPECT_EQ(b.err(), ContextErrc::kCanceled);
  EXPECT_FALSE(a.err());
  EXPECT_FALSE(v.err());
  EXPECT_FALSE(root.err());

  auto [c, cancel_c] = with_cancel(v);
  cancel_a();
  EXPECT_EQ(a.err(), ContextErrc::kCanceled);
  EXPECT_EQ(v.err(), ContextErrc::kCanceled);  // reports a's state
  EXPECT_TRUE(is_closed(v.done()));
  EXPECT_EQ(c.err(), ContextErrc::kCanceled);
  EXPECT_TRUE(is_closed(c.done()));
  EXPECT_EQ(*c.value(k), 7);
  EXPECT_FALSE(root.err());
  EXPECT_FALSE(sib.err());

  // A child of a done context is done at birth, with the parent's error.
  auto [late, cancel_late] = with_cancel(c);
  EXPECT_EQ(late.err(), ContextErrc::kCanceled);
  EXPECT_TRUE(is_closed(late.done()));

  cancel_root();
  EXPECT_EQ(sib.err(), ContextErrc::kCanceled);
  cancel_c();
  cancel_late();
  cancel_sib();
}

// Go's rule: the parent holds a child until the child's CancelFunc is
// called; calling it unlinks the child (observed through the lifetime of a
// value that only the child's chain references).
TEST(ContextTest, CancelUnlinksChildFromParent) {
  struct Probe {
    explicit Probe(std::atomic<bool>* f) : freed(f) {}
    Probe(const Probe& o) = default;
    ~Probe() {
      if (freed != nullptr) *freed = true;
    }
    std::atomic<bool>* freed;
  };
  static const ContextKey<std::shared_ptr<Probe>> probe_key("probe");
  auto [parent, cancel_parent] = with_cancel(Context::background());

  std::atomic<bool> freed_a{false}, freed_b{false};
  CancelFunc cancel_a;
  {
    Context v = with_value(parent, probe_key, std::make_shared<Probe>(&freed_a));
    auto [a, ca] = with_cancel(v);
    cancel_a = ca;
    Context w = with_value(parent, probe_key, std::make_shared<Probe>(&freed_b));
    auto [b, cb] = with_cancel(w);
    (void)cb;  // never called: the parent keeps b (and so w, and the probe)
  }
  EXPECT_FALSE(freed_a.load());  // a is still linked under parent
  cancel_a();
  cancel_a = CancelFunc();
  EXPECT_TRUE(freed_a.load());   // unlinked and no handle left: freed
  EXPECT_FALSE(freed_b.load());
  cancel_parent();               // cancelling the parent releases b
  EXPECT_TRUE(freed_b.load());
}

TEST(ContextTest, TimeoutFiresWithDeadlineExceeded) {
  auto [ctx, cancel] = with_timeout(Context::background(), 20ms);
  EXPECT_STREQ(ctx.name(), "WithDeadline");
  ASSERT_TRUE(ctx.deadline().has_value());
  EXPECT_FALSE(ctx.done().receive().has_value());  // blocks until the timer closes it
  EXPECT_EQ(ctx.err(), ContextErrc::kDeadlineExceeded);
  cancel();  // after the deadline: err stays DeadlineExceeded
  EXPECT_EQ(ctx.err(), ContextErrc::kDeadlineExceeded);
}

TEST(ContextTest, EarliestDeadlineWins) {
  // (Deadlines chosen so that no interleaving, however slow — qemu, TSan —
  // can change which one is earlier.)
  auto [parent, cancel_parent] = with_timeout(Context::background(), 20ms);
  const auto pd = *parent.deadline();
  // A later deadline: the child is a plain cancel node with the parent's
  // deadline, and the parent's deadline reaches it by propagation.
  auto [later, cancel_later] = with_timeout(parent, 1h);
  EXPECT_STREQ(later.name(), "WithCancel");
  EXPECT_EQ(*later.deadline(), pd);
  EXPECT_FALSE(later.done().receive().has_value());
  EXPECT_EQ(later.err(), ContextErrc::kDeadlineExceeded);
  EXPECT_EQ(parent.err(), ContextErrc::kDeadlineExceeded);
  cancel_parent();
  cancel_later();

  // An earlier one keeps its own deadline and fires alone.
  auto [far, cancel_far] = with_timeout(Context::background(), 1h);
  auto [near, cancel_near] = with_timeout(far, 5ms);
  EXPECT_STREQ(near.name(), "WithDeadline");
  EXPECT_LT(*near.deadline(), *far.deadline());
  EXPECT_FALSE(near.done().receive().has_value());
  EXPECT_EQ(near.err(), ContextErrc::kDeadlineExceeded);
  EXPECT_FALSE(far.err());
  // Equal deadlines: the child gets its own timer (Go compares "before").
  auto [same, cancel_same] = with_deadline(far, *far.deadline());
  EXPECT_STREQ(same.name(), "WithDeadline");
  cancel_same();
  cancel_near();
  cancel_far();
}

TEST(ContextTest, PastDeadlineAndOtherClocks) {
  auto [past, cancel_past] = with_deadline(Context::background(), ContextClock::now() - 1s);
  EXPECT_EQ(past.err(), ContextErrc::kDeadlineExceeded);
  EXPECT_TRUE(is_closed(past.done()));
  auto [zero, cancel_zero] = with_timeout(Context::background(), 0s);
  EXPECT_EQ(zero.err(), ContextErrc::kDeadlineExceeded);
  auto [wall, cancel_wall] =
      with_deadline(Context::background(), std::chrono::system_clock::now() + 10ms);
  EXPECT_FALSE(wall.done().receive().has_value());
  EXPECT_EQ(wall.err(), ContextErrc::kDeadlineExceeded);
  cancel_past();
  cancel_zero();
  cancel_wall();
}

TEST(ContextTest, CancelBeforeDeadlineDisarmsTimer) {
  const std::size_t before = detail::armed_timers_for_testing();
  std::vector<CancelFunc> cancels;
  std::vector<Context> ctxs;
  for (int i = 0; i < 100; ++i) {
    auto [c, f] = with_timeout(Context::background(), 1h + std::chrono::seconds(i));
    ctxs.push_back(c);
    cancels.push_back(f);
  }
  EXPECT_EQ(detail::armed_timers_for_testing(), before + 100);
  for (auto& f : cancels) f();
  EXPECT_EQ(detail::armed_timers_for_testing(), before);
  for (auto& c : ctxs) EXPECT_EQ(c.err(), ContextErrc::kCanceled);
  // Cancelling a parent disarms the timers of its deadline children too.
  auto [p, cp] = with_cancel(Context::background());
  auto [d1, c1] = with_timeout(p, 1h);
  auto [d2, c2] = with_timeout(d1, 30min);
  EXPECT_EQ(detail::armed_timers_for_testing(), before + 2);
  cp();
  EXPECT_EQ(detail::armed_timers_for_testing(), before);
  EXPECT_EQ(d2.err(), ContextErrc::kCanceled);
  c1();
  c2();
}

TEST(ContextTest, DoneWorksInSelect) {
  auto [ctx, cancel] = with_cancel(Context::background());
  Chan<int> work(0);
  std::thread canceller([c = cancel] {
    std::this_thread::sleep_for(5ms);
    c();
  });
  bool saw_done = false;
  const int fired = Select()
                        .recv(work, [](std::optional<int>) {})
                        .recv(ctx.done(), [&] { saw_done = true; })
                        .run();
  canceller.join();
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(saw_done);
  EXPECT_EQ(ctx.err(), ContextErrc::kCanceled);
  // background().done() is the nil channel: its case never fires.
  const int f2 = Select().recv(Context::background().done()).timeout(5ms).run();
  EXPECT_EQ(f2, 1);
}

TEST(ContextTest, AfterFunc) {
  auto [ctx, cancel] = with_cancel(Context::background());
  std::atomic<int> ran{0};
  AfterFuncStop s1 = after_func(ctx, [&] { ran += 1; });
  AfterFuncStop s2 = after_func(ctx, [&] { ran += 10; });
  EXPECT_TRUE(s2());   // stopped before cancel: never runs
  EXPECT_FALSE(s2());  // already stopped
  cancel();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_FALSE(s1());  // already ran
  // On a done context, f runs at once.
  AfterFuncStop s3 = after_func(ctx, [&] { ran += 100; });
  EXPECT_EQ(ran.load(), 101);
  EXPECT_FALSE(s3());
  // On a context that is never done, f never runs; stop is true once.
  AfterFuncStop s4 = after_func(Context::background(), [&] { ran += 1000; });
  EXPECT_TRUE(s4());
  EXPECT_FALSE(s4());
  // Through a value node and a deadline: runs on the timer thread.
  static const ContextKey<int> k("k");
  auto [t, ct] = with_timeout(with_value(Context::background(), k, 1), 2ms);
  std::atomic<bool> timer_ran{false};
  after_func(with_value(t, k, 2), [&] { timer_ran = true; });
  EXPECT_FALSE(t.done().receive().has_value());
  // f runs after done is closed (as Go's, in no particular relation to a
  // receiver of done): wait for it.
  EXPECT_TRUE(testing_support::eventually([&] { return timer_ran.load(); }));
  ct();
}

// A tree of kWidth chains of depth kDepth (with value nodes mixed in),
// threads blocked on the done() of several leaves, and a cancel of the
// root: every node must end up done with Canceled, every blocked thread
// must wake.
TEST(ContextTest, StressCancelTreeEveryDoneFires) {
  constexpr int kWidth = 16;
  constexpr int kDepth = 64;
  constexpr int kWaiters = 6;
  static const ContextKey<int> level("level");
  auto [root, cancel_root] = with_cancel(Context::background());
  std::vector<Context> all;
  std::vector<CancelFunc> cancels;
  std::vector<Context> leaves;
  for (int w = 0; w < kWidth; ++w) {
    Context cur = root;
    for (int d = 0; d < kDepth; ++d) {
      if (d % 5 == 4) cur = with_value(cur, level, d);
      auto [c, f] = (d % 7 == 3) ? with_timeout(cur, 1h) : with_cancel(cur);
      all.push_back(c);
      cancels.push_back(f);
      cur = c;
    }
    leaves.push_back(cur);
  }
  std::atomic<int> woke{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&, leaf = leaves[i * kWidth / kWaiters]] {
      EXPECT_FALSE(leaf.done().receive().has_value());
      EXPECT_EQ(leaf.err(), ContextErrc::kCanceled);
      woke.fetch_add(1);
    });
  }
  // Some cancels of inner nodes race with the root's.
  std::thread racer([&] {
    for (std::size_t i = 5; i < cancels.size(); i += 97) cancels[i]();
  });
  cancel_root();
  racer.join();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(woke.load(), kWaiters);
  for (const Context& c : all) {
    EXPECT_EQ(c.err(), ContextErrc::kCanceled);
    EXPECT_TRUE(is_closed(c.done()));
  }
  for (auto& f : cancels) f();
}

// Children created concurrently with their parent's cancellation are done
// either way: linked before the cancel (cancelled by it) or created after
// (done at birth).
TEST(ContextTest, StressCreateWhileCancelling) {
  constexpr int kRounds = 200;
  constexpr int kCreators = 3;
  for (int r = 0; r < kRounds; ++r) {
    auto [root, cancel_root] = with_cancel(Context::background());
    std::atomic<bool> go{false};
    std::vector<std::thread> ts;
    std::vector<std::vector<std::pair<Context, CancelFunc>>> made(kCreators);
    for (int t = 0; t < kCreators; ++t) {
      ts.emplace_back([&, t, root = root] {
        while (!go.load()) std::this_thread::yield();
        Context cur = root;
        for (int i = 0; i < 8; ++i) {
          auto p = with_cancel(cur);
          made[t].push_back(p);
          cur = p.first;
        }
      });
    }
    go = true;
    cancel_root();
    for (auto& th : ts) th.join();
    for (auto& v : made) {
      for (auto& [c, f] : v) {
        ASSERT_EQ(c.err(), ContextErrc::kCanceled);
        f();
      }
    }
  }
}

TEST(ContextTest, StressManyTimers) {
  constexpr int kContexts = 200;
  std::vector<std::pair<Context, CancelFunc>> v;
  for (int i = 0; i < kContexts; ++i) {
    v.push_back(with_timeout(Context::background(), std::chrono::microseconds(200 * (i % 50))));
  }
  // Cancel every fifth early: it may still win against its timer or not.
  for (int i = 0; i < kContexts; i += 5) v[i].second();
  for (int i = 0; i < kContexts; ++i) {
    EXPECT_FALSE(v[i].first.done().receive().has_value());
    const std::error_code e = v[i].first.err();
    if (i % 5 == 0) {
      EXPECT_TRUE(e == ContextErrc::kCanceled || e == ContextErrc::kDeadlineExceeded) << e;
    } else {
      EXPECT_EQ(e, ContextErrc::kDeadlineExceeded);
    }
  }
  for (auto& [c, f] : v) f();
}

}  // namespace
}  // namespace syncscope
