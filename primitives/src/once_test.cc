// Tests of syncscope::Once: exactly-once execution, the seed's "a panicking f
// counts as done" example, waiting callers, recursion detection, the
// memory-model rule (f happens-before every call() return, checked by
// ThreadSanitizer on plain variables), the seed's lazy singleton, and the
// seed's two WRONG implementations, kept here as fixtures with tests that
// force the interleaving that breaks them. Correctness only: no timing
// thresholds.
#include <syncscope/once.h>

#include <gtest/gtest.h>

#include "go_mutex_test_support.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace syncscope {
namespace {

using testing_support::eventually;

static_assert(!std::is_copy_constructible_v<Once> && !std::is_move_constructible_v<Once>,
              "Go: a Once must not be copied after first use");
static_assert(!std::is_copy_assignable_v<Once> && !std::is_move_assignable_v<Once>);

// ---------------------------------------------------------------------------
// The seed's wrong implementation 1 ("单例 错误的实现"): the flag is CASed
// first and f runs afterwards. A second caller sees the flag set and returns
// at once — possibly while f is still running.
class CasFlagFirstOnce {
 public:
  template <class F>
  void call(F&& f) {
    uint32_t expected = 0;
    if (!done_.compare_exchange_strong(expected, 1)) return;
    f();
  }

 private:
  std::atomic<uint32_t> done_{0};
};

// The seed's wrong implementation 2 ("单例 错误的实现2"): a mutex for the
// slow path, but the fast path reads a plain pointer without
// synchronisation, and the pointer is set only after f returns normally.
struct Dummy {
  int d;
};
struct Singleton {
  int a, b, c;
  Dummy* dummy;
};
class PlainPointerOnce {
 public:
  ~PlainPointerOnce() {
    if (done_ != nullptr) delete done_->dummy;
    delete done_;
  }
  template <class F>
  void call(F&& f) {
    if (done_ != nullptr) return;  // unsynchronised read
    std::lock_guard<std::mutex> g(m_);
    if (done_ == nullptr) {
      f();
      done_ = new Singleton{1, 2, 3, new Dummy{4}};
    }
  }
  const Singleton* singleton() const { return done_; }

 private:
  std::mutex m_;
  Singleton* done_ = nullptr;
};

// PlainPointerOnce with its publication written the way a compiler (or an
// ARM64 core, which may make stores visible out of order) is allowed to
// execute `done = &Singleton{1, 2, 3, &dummyObject{4}}` when nothing orders
// the pointer store after the field stores: the pointer first, the fields
// after. `between` marks the gap, so a test can run the fast path inside it.
// The fields are zeroed before publication only so that the reader reads
// defined values; what it reads is "not yet initialised".
class ReorderedPublicationOnce {
 public:
  ~ReorderedPublicationOnce() {
    if (done_ != nullptr) delete done_->dummy;
    delete done_;
  }
  template <class F, class Gap>
  void call(F&& f, Gap&& between) {
    if (done_ != nullptr) return;  // unsynchronised read, as in the seed
    std::lock_guard<std::mutex> g(m_);
    if (done_ == nullptr) {
      f();
      auto* s = new Singleton{0, 0, 0, nullptr};
      done_ = s;  // the pointer becomes visible ...
      between();
      s->a = 1;   // ... before the fields
      s->b = 2;
      s->c = 3;
      s->dummy = new Dummy{4};
    }
  }
  template <class F>
  void call(F&& f) {
    call(std::forward<F>(f), [] {});
  }
  const Singleton* singleton() const { return done_; }

 private:
  std::mutex m_;
  Singleton* done_ = nullptr;
};
// ---------------------------------------------------------------------------

TEST(OnceTest, RunsFExactlyOnceAcrossThreads) {
  Once once;
  std::atomic<int> runs{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 100; ++j) once.call([&] { runs.fetch_add(1); });
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_TRUE(once.done());
}

// Go: "if once.Do(f) is called multiple times, only the first call will
// invoke f, even if f has a different value in each invocation".
TEST(OnceTest, LaterCallsDoNotRunTheirDifferentF) {
  Once once;
  std::string trace;
  EXPECT_FALSE(once.done());
  once.call([&] { trace += "first;"; });
  once.call([&] { trace += "second;"; });
  EXPECT_EQ(trace, "first;");
}

// The seed's example: f panics (1 / count with count == 0); the panic reaches
// the goroutine that called Do, and the Once is done: the later Do does not
// print "exec here" and does not panic.
TEST(OnceTest, SeedThrowingFCountsAsDone) {
  Once once;
  int count = 0;
  std::string log;
  std::thread t([&] {
    try {
      once.call([&] {
        log += "exec Do;";
        if (count == 0) throw std::domain_error("integer divide by zero");
        count = 1 / count;
      });
    } catch (const std::domain_error&) {
      ++count;  // the seed's deferred count++ and recover()
    }
  });
  t.join();
  EXPECT_TRUE(once.done());
  once.call([&] {
    log += "exec here;";
    count = 1 / count;
  });
  log += "end";
  EXPECT_EQ(log, "exec Do;end");
  EXPECT_EQ(count, 1);
}

// A caller arriving while f runs waits for f, and sees its effects.
TEST(OnceTest, ConcurrentCallerReturnsOnlyAfterFFinished) {
  Once once;
  std::atomic<bool> initialized{false};
  std::latch in_f(1);
  std::latch finish_f(1);
  std::thread first([&] {
    once.call([&] {
      in_f.count_down();
      finish_f.wait();
      initialized = true;
    });
  });
  in_f.wait();
  std::atomic<bool> second_returned{false};
  bool second_saw_initialized = false;
  std::thread second([&] {
    once.call([] { FAIL() << "f ran twice"; });
    second_saw_initialized = initialized.load();
    second_returned = true;
  });
  // Give the second caller the chance to return early (it must not), then
  // let f finish. Whatever the timing, it must see f's effect.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_FALSE(second_returned.load());
  finish_f.count_down();
  second.join();
  first.join();
  EXPECT_TRUE(second_saw_initialized);
}

// Waiters blocked while f throws return normally (they do not rethrow, and
// do not run their f).
TEST(OnceTest, CallersWaitingOnAThrowingFReturnNormally) {
  Once once;
  std::latch in_f(1);
  std::latch finish_f(1);
  std::thread first([&] {
    EXPECT_THROW(once.call([&] {
      in_f.count_down();
      finish_f.wait();
      throw std::runtime_error("f failed");
    }),
                 std::runtime_error);
  });
  in_f.wait();
  std::atomic<int> waiter_runs{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back([&] {
      EXPECT_NO_THROW(once.call([&] { waiter_runs.fetch_add(1); }));
    });
  }
  finish_f.count_down();
  first.join();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(waiter_runs.load(), 0);
  EXPECT_TRUE(once.done());
}

// The seed: "Once f内不要再调用此once" — Go deadlocks. Detected here.
TEST(OnceTest, RecursiveCallFromInsideFThrowsInsteadOfDeadlocking) {
  Once once;
  std::string inner_message;
  once.call([&] {
    try {
      once.call([] {});
    } catch (const SyncPanic& e) {
      inner_message = e.what();
    }
  });
  EXPECT_EQ(inner_message, kOnceRecursiveDo);
  EXPECT_TRUE(once.done());

  // Uncaught inside f, it propagates out of the outer call, which is done.
  Once once2;
  EXPECT_THROW(once2.call([&] { once2.call([] {}); }), SyncPanic);
  EXPECT_TRUE(once2.done());
}

// Recursion is about the same Once: nesting different Onces is fine.
TEST(OnceTest, NestingDifferentOncesIsFine) {
  Once outer;
  Once inner;
  int runs = 0;
  outer.call([&] { inner.call([&] { ++runs; }); });
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(inner.done());
}

// Memory model (the seed): f's execution happens-before every call()'s
// return. Plain variables written in f are read after call() in other
// threads; ThreadSanitizer reports a race if the edge is missing.
TEST(OnceTest, FHappensBeforeEveryCallReturn) {
  for (int round = 0; round < 50; ++round) {
    Once once;
    int plain_a = 0;
    std::string plain_s;
    std::vector<std::thread> threads;
    std::vector<int> seen(6, -1);
    for (int i = 0; i < 6; ++i) {
      threads.emplace_back([&, i] {
        once.call([&] {
          plain_a = 42 + round;
          plain_s = "initialised";
        });
        seen[i] = plain_a + (plain_s == "initialised" ? 0 : 1000);
      });
    }
    for (auto& t : threads) t.join();
    for (int v : seen) EXPECT_EQ(v, 42 + round);
  }
}

// The seed's lazy singleton ("GetInstance() (lazy)", "通过sync.Once实现").
struct Config {
  std::string name;
  int version;
};
std::atomic<int> g_config_constructions{0};
const Config& get_instance() {
  static Once once;
  static Config* instance = nullptr;
  once.call([] {
    g_config_constructions.fetch_add(1);
    instance = new Config{"syncscope", 1};
  });
  return *instance;
}

TEST(OnceTest, SeedLazySingleton) {
  std::vector<std::thread> threads;
  std::vector<const Config*> got(8, nullptr);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { got[i] = &get_instance(); });
  }
  for (auto& t : threads) t.join();
  for (const Config* c : got) {
    EXPECT_EQ(c, got[0]);
    EXPECT_EQ(c->name, "syncscope");
  }
  EXPECT_EQ(g_config_constructions.load(), 1);
}

// Wrong implementation 1: the second caller returns while the first is
// still inside f, and so uses an uninitialised singleton. Forced: f is held
// at a latch while the second caller runs to completion.
TEST(OnceWrongImplementationTest, CasFlagFirstLetsASecondCallerReturnBeforeInitFinished) {
  CasFlagFirstOnce once;
  std::atomic<bool> initialized{false};
  std::latch in_f(1);
  std::latch finish_f(1);
  std::thread first([&] {
    once.call([&] {
      in_f.count_down();
      finish_f.wait();
      initialized = true;
    });
  });
  in_f.wait();
  bool second_saw_initialized = true;
  std::thread second([&] {
    once.call([] {});
    second_saw_initialized = initialized.load();
  });
  second.join();  // returns while f is still held: the bug
  EXPECT_FALSE(second_saw_initialized) << "the second caller returned before f finished";
  finish_f.count_down();
  first.join();
  EXPECT_TRUE(initialized.load());
}

// Wrong implementation 2, deterministic part: if f panics, `done` is never
// set, so the next call runs f again (Go's rule: a panicking f counts as
// done; syncscope::Once follows it, see SeedThrowingFCountsAsDone).
TEST(OnceWrongImplementationTest, PlainPointerRunsFAgainAfterAPanic) {
  PlainPointerOnce once;
  int runs = 0;
  EXPECT_THROW(once.call([&] {
    ++runs;
    throw std::runtime_error("f failed");
  }),
               std::runtime_error);
  once.call([&] { ++runs; });
  EXPECT_EQ(runs, 2) << "f ran twice";
  ASSERT_NE(once.singleton(), nullptr);
  EXPECT_EQ(once.singleton()->dummy->d, 4);
}

// Wrong implementation 2, the race: nothing orders the unlocked read of
// `done` with the writes under the lock, so the implementation may publish
// the pointer before the singleton's fields (and a reader's CPU may read
// them stale). With the publication in that legal order and a second caller
// running in the gap, the second caller returns with a singleton whose
// fields are not set.
TEST(OnceWrongImplementationTest, PlainPointerFastPathCanSeeAHalfBuiltSingleton) {
  ReorderedPublicationOnce once;
  Singleton seen{-1, -1, -1, nullptr};
  std::thread first([&] {
    once.call([] {},
              [&] {
                // In the gap between the pointer store and the field stores,
                // another caller takes the fast path.
                std::thread second([&] {
                  once.call([] { ADD_FAILURE() << "f ran twice"; });
                  seen = *once.singleton();
                });
                second.join();
              });
  });
  first.join();
  EXPECT_EQ(seen.a, 0) << "the second caller saw a != 1";
  EXPECT_EQ(seen.dummy, nullptr) << "the second caller saw no dummy object";
  EXPECT_EQ(once.singleton()->a, 1);  // finished later
}

#if defined(SYNCSCOPE_TSAN)
// Wrong implementation 2 under ThreadSanitizer: the seed's code as written,
// with the second caller ordered after the first only by a relaxed flag (no
// happens-before edge), as it may be in a real program. The unlocked read of
// `done` is a data race, which ThreadSanitizer reports; the child process
// exits with TSan's status 66.
TEST(OnceWrongImplementationDeathTest, PlainPointerFastPathIsADataRace) {
  // ThreadSanitizer runs a background thread: re-execute the binary for the
  // death test instead of forking a multi-threaded process.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        PlainPointerOnce once;
        std::atomic<bool> first_done{false};
        std::thread first([&] {
          once.call([] {});
          first_done.store(true, std::memory_order_relaxed);
        });
        std::thread second([&] {
          while (!first_done.load(std::memory_order_relaxed)) std::this_thread::yield();
          once.call([] {});
        });
        first.join();
        second.join();
        std::exit(0);
      },
      ::testing::ExitedWithCode(66), "ThreadSanitizer: data race");
}
#endif

// For comparison: syncscope::Once under the same "relaxed flag only"
// ordering is race-free (ThreadSanitizer reports nothing): the acquire load
// of done_ pairs with the release store after f.
TEST(OnceTest, FastPathIsRaceFreeWithoutOtherSynchronisation) {
  Once once;
  int plain = 0;
  std::atomic<bool> first_done{false};
  int seen = -1;
  std::thread first([&] {
    once.call([&] { plain = 7; });
    first_done.store(true, std::memory_order_relaxed);
  });
  std::thread second([&] {
    while (!first_done.load(std::memory_order_relaxed)) std::this_thread::yield();
    once.call([] {});
    seen = plain;
  });
  first.join();
  second.join();
  EXPECT_EQ(seen, 7);
}

}  // namespace
}  // namespace syncscope
