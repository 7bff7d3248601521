// Tests of SingleFlight (golang.org/x/sync/singleflight), after Go's own
// tests (TestDo, TestDoErr, TestDoDupSuppress, TestForget, TestDoChan,
// the panic tests): values and errors, duplicate suppression with exactly
// one call, forget(), do_chan, an exception (Go's panic) reaching every
// caller, and a stress run of bursts on many keys — one call per key per
// burst, every caller gets that call's value.
#include <gtest/gtest.h>
#include <syncscope/single_flight.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "go_mutex_test_support.h"

namespace syncscope {
namespace {

using namespace std::chrono_literals;
using testing_support::eventually;

TEST(SingleFlightTest, DoReturnsValue) {
  SingleFlight<std::string, std::string> g;
  auto r = g.do_call("key", [] { return std::string("bar"); });
  EXPECT_EQ(r.val, "bar");
  EXPECT_FALSE(r.err);
  EXPECT_FALSE(r.shared);
  EXPECT_FALSE(r.panic);
  EXPECT_EQ(g.in_flight(), 0u);
}

TEST(SingleFlightTest, DoReturnsError) {
  SingleFlight<std::string, int> g;
  const std::error_code some = std::make_error_code(std::errc::io_error);
  auto r = g.do_call("key", [&] { return std::pair<int, std::error_code>(7, some); });
  EXPECT_EQ(r.err, some);
  EXPECT_EQ(r.val, 7);  // Go delivers the value along with the error
}

// Exactly one call for a burst of identical keys: fn holds until every
// other caller has joined, so none can start a second call.
TEST(SingleFlightTest, DoDupSuppress) {
  constexpr int kCallers = 8;
  SingleFlight<std::string, std::string> g;
  std::atomic<int> calls{0};
  std::vector<SingleFlight<std::string, std::string>::Result> results(kCallers);
  std::vector<std::thread> ts;
  for (int i = 0; i < kCallers; ++i) {
    ts.emplace_back([&, i] {
      results[i] = g.do_call("key", [&] {
        calls.fetch_add(1);
        EXPECT_TRUE(eventually([&] { return g.duplicates("key") == kCallers - 1; }));
        return std::string("bar");
      });
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(calls.load(), 1);
  for (auto& r : results) {
    EXPECT_EQ(r.val, "bar");
    EXPECT_TRUE(r.shared);
  }
  EXPECT_EQ(g.duplicates("key"), 0);
}

// Go's TestForget: a forgotten key starts a new call; later callers join
// the new one.
TEST(SingleFlightTest, Forget) {
  SingleFlight<std::string, int> g;
  Chan<Signal> release1(0);
  std::atomic<bool> first_started{false};
  std::thread first([&] {
    auto r = g.do_call("key", [&] {
      first_started = true;
      (void)release1.receive();
      return 1;
    });
    EXPECT_EQ(r.val, 1);
  });
  ASSERT_TRUE(eventually([&] { return first_started.load(); }));
  g.forget("key");
  EXPECT_EQ(g.in_flight(), 0u);

  Chan<Signal> release2(0);
  auto second = g.do_chan("key", [&] {
    (void)release2.receive();
    return 2;
  });
  ASSERT_TRUE(eventually([&] { return g.in_flight() == 1; }));
  auto third = g.do_chan("key", [] { return 3; });  // joins the second call
  EXPECT_EQ(g.duplicates("key"), 1);
  release2.close();
  auto r2 = second.receive();
  auto r3 = third.receive();
  ASSERT_TRUE(r2 && r3);
  EXPECT_EQ(r2->val, 2);
  EXPECT_EQ(r3->val, 2);
  EXPECT_TRUE(r3->shared);
  release1.close();
  first.join();
  // After both completed, a new call runs fn again.
  EXPECT_EQ(g.do_call("key", [] { return 4; }).val, 4);
}

TEST(SingleFlightTest, DoChanDeliversOnceToEachCaller) {
  SingleFlight<uint64_t, uint64_t> g;
  Chan<Signal> gate(0);
  auto a = g.do_chan(1, [&] {
    (void)gate.receive();
    return uint64_t{42};
  });
  ASSERT_TRUE(eventually([&] { return g.in_flight() == 1; }));
  auto b = g.do_chan(1, [] { return uint64_t{0}; });
  uint64_t from_do = 0;
  bool shared_do = false;
  std::thread t([&] {
    auto r = g.do_call(1, [] { return uint64_t{1}; });
    from_do = r.val;
    shared_do = r.shared;
  });
  ASSERT_TRUE(eventually([&] { return g.duplicates(1) == 2; }));
  gate.close();
  t.join();
  auto ra = a.receive();
  auto rb = b.receive();
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->val, 42u);
  EXPECT_EQ(rb->val, 42u);
  EXPECT_EQ(from_do, 42u);
  EXPECT_TRUE(ra->shared && rb->shared && shared_do);
  EXPECT_EQ(a.len(), 0u);  // exactly one result per channel
  EXPECT_EQ(a.cap(), 1u);
}

// Go re-panics in every caller of Do; here the exception reaches the
// leader and every duplicate, and do_chan receivers find it in `panic`.
TEST(SingleFlightTest, ExceptionReachesEveryCaller) {
  SingleFlight<std::string, int> g;
  Chan<Signal> gate(0);
  std::atomic<int> caught{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i) {
    ts.emplace_back([&] {
      try {
        g.do_call("boom", [&]() -> int {
          (void)gate.receive();
          throw std::runtime_error("fn panicked");
        });
      } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "fn panicked");
        caught.fetch_add(1);
      }
    });
  }
  ASSERT_TRUE(eventually([&] { return g.duplicates("boom") == 2; }));
  auto ch = g.do_chan("boom", [] { return 0; });
  gate.close();
  for (auto& t : ts) t.join();
  EXPECT_EQ(caught.load(), 3);
  auto r = ch.receive();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->panic);
  EXPECT_THROW((void)r->get(), std::runtime_error);
  // A panicking do_chan call alone.
  auto solo = g.do_chan("solo", []() -> int { throw std::logic_error("solo"); });
  auto rs = solo.receive();
  ASSERT_TRUE(rs.has_value());
  EXPECT_THROW((void)rs->get(), std::logic_error);
  EXPECT_FALSE(rs->shared);
}

// Bursts: kThreads callers on each of kKeys keys at once; every key's fn
// waits until all its callers joined. Exactly one call per key per burst;
// every caller sees its burst's value.
TEST(SingleFlightTest, StressBurstsOneCallPerKey) {
  constexpr int kKeys = 4;
  constexpr int kThreads = 6;
  constexpr int kBursts = 15;
  SingleFlight<uint64_t, uint64_t> g;
  std::vector<std::atomic<int>> calls(kKeys);
  std::atomic<bool> bad{false};
  for (int b = 0; b < kBursts; ++b) {
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t) {
      ts.emplace_back([&, t, b] {
        // Every thread visits the keys in the same order: a call completes
        // only once all kThreads callers joined it, so a different order
        // would have threads waiting in different calls for each other.
        for (int i = 0; i < kKeys; ++i) {
          const uint64_t k = static_cast<uint64_t>(i);
          if (t % 3 == 2) {
            // Some callers use do_chan; they count as duplicates too.
            auto ch = g.do_chan(k, [&, k, b] {
              calls[k].fetch_add(1);
              if (!eventually([&] { return g.duplicates(k) == kThreads - 1; })) bad = true;
              return k * 1000 + b;
            });
            auto r = ch.receive();
            if (!r || r->val != k * 1000 + b || !r->shared) bad = true;
          } else {
            auto r = g.do_call(k, [&, k, b] {
              calls[k].fetch_add(1);
              if (!eventually([&] { return g.duplicates(k) == kThreads - 1; })) bad = true;
              return k * 1000 + b;
            });
            if (r.val != k * 1000 + b || !r.shared) bad = true;
          }
        }
      });
    }
    for (auto& th : ts) th.join();
  }
  EXPECT_FALSE(bad.load());
  for (int k = 0; k < kKeys; ++k) EXPECT_EQ(calls[k].load(), kBursts) << "key " << k;
  EXPECT_EQ(g.in_flight(), 0u);
}

}  // namespace
}  // namespace syncscope
