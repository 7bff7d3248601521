// Tests of the blocking-bug detector (syncscope/blocking_detector.h) with
// goroutines (syncscope/goroutine.h) as the parties: a goroutine is one
// party whatever M runs it, named by its goid or its ThreadScope; "all
// goroutines are asleep" is Go's checkdead (every goroutine parked with no
// deadline; a goroutine in a timed wait is awake), run when a goroutine
// parks and when one returns. Each state is reached by waiting for it
// exactly; the test thread is an observer (no party) until it breaks the
// deadlock. No timing is asserted.
//
// Left out of the ThreadSanitizer configuration with the goroutine
// runtime's own tests (issue 17, primitives/CMakeLists.txt).
#include <gtest/gtest.h>
#include <syncscope/blocking_detector.h>
#include <syncscope/chan.h>
#include <syncscope/go_mutex.h>
#include <syncscope/goroutine.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace syncscope {
namespace {

using detector::Finding;
using detector::FindingKind;

template <class Pred>
bool wait_until(Pred pred) {
  const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > guard) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

std::vector<Finding> findings_of(FindingKind k) {
  std::vector<Finding> out;
  for (auto& f : detector::findings())
    if (f.kind == k) out.push_back(f);
  return out;
}

// On a goroutine: lets the others run until pred() holds (no preemption).
template <class Pred>
void go_wait(Pred pred) {
  while (!pred()) gosched();
}

class GoroutineDetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = num_goroutine();
    ASSERT_TRUE(detector::enable([](const Finding&) {}));
  }
  void TearDown() override {
    // Every goroutine of the test has returned before the next test.
    EXPECT_TRUE(wait_until([this] { return num_goroutine() == base_; }));
    detector::disable();
  }
  int64_t base_ = 0;
};

TEST_F(GoroutineDetectorTest, AllGoroutinesAsleepIsGoDeadlockNamingGoroutines) {
  Chan<int> c1(0), c2(0);
  detector::label(c1.core(), "c1");
  detector::label(c2.core(), "c2");
  // Both start before either parks (the test thread is no party: without
  // the gate, the first could park alone while the second is not yet made).
  std::atomic<bool> both_started{false};
  for (Chan<int>* in : {&c1, &c2}) {
    Chan<int> from = *in, to = in == &c1 ? c2 : c1;
    go([from, to, &both_started] {
      go_wait([&] { return both_started.load(); });
      auto v = from.receive();  // each waits for the other: nobody sends first
      to.send(*v);
    });
  }
  both_started.store(true);
  ASSERT_TRUE(wait_until([] { return !findings_of(FindingKind::kAllAsleep).empty(); }));
  const Finding f = findings_of(FindingKind::kAllAsleep).front();
  ASSERT_EQ(f.parties.size(), 2u) << f.text();
  for (const auto& p : f.parties) {
    EXPECT_GT(p.goroutine_id, 0) << f.text();
    EXPECT_EQ(p.thread, "goroutine " + std::to_string(p.goroutine_id));
  }
  EXPECT_NE(f.parties[0].goroutine_id, f.parties[1].goroutine_id);
  EXPECT_NE(f.text().find("all goroutines are asleep - deadlock!"), std::string::npos) << f.text();
  EXPECT_NE(f.text().find("Chan.recv on c1"), std::string::npos) << f.text();
  EXPECT_NE(f.text().find("Chan.recv on c2"), std::string::npos) << f.text();
  EXPECT_TRUE(findings_of(FindingKind::kCycle).empty());  // undeclared channels: no edge
  c1.send(1);  // the first gets 1 and sends it on c2; the second sends it back on c1
  EXPECT_EQ(*c1.receive(), 1);
  ASSERT_TRUE(wait_until([this] { return num_goroutine() == base_; }));  // both_started: ours
}

// A goroutine named by a ThreadScope stays that party on whichever M it
// resumes; leaks() lists it while it is blocked, and not after.
TEST_F(GoroutineDetectorTest, LeakedGoroutineIsNamedWithItsGoid) {
  Chan<int> results(0), hop(0);
  detector::label(results.core(), "results");
  go([results, hop] {
    detector::ThreadScope s("worker");
    (void)hop.receive();  // park once, resume (maybe on another M)
    results.send(42);     // nobody receives: leaked
  });
  ASSERT_TRUE(wait_until([&] { return hop.waiting_receivers() == 1; }));
  hop.send(0);
  ASSERT_TRUE(wait_until([] { return detector::parked() == 1; }));
  const Finding leak = detector::leaks();
  ASSERT_EQ(leak.parties.size(), 1u);
  EXPECT_EQ(leak.parties[0].thread, "worker");
  EXPECT_GT(leak.parties[0].goroutine_id, 0);
  EXPECT_EQ(leak.parties[0].waits_on, "Chan.send on results");
  EXPECT_NE(leak.text().find("worker (goroutine " + std::to_string(leak.parties[0].goroutine_id) +
                             "): waits on Chan.send on results"),
            std::string::npos)
      << leak.text();
  EXPECT_EQ(*results.receive(), 42);
  ASSERT_TRUE(wait_until([this] { return num_goroutine() == base_; }));
  EXPECT_TRUE(detector::leaks().parties.empty());
}

// Go's checkdead also runs when a goroutine exits: the last awake one
// returning leaves only sleepers.
TEST_F(GoroutineDetectorTest, LastAwakeGoroutineReturningLeavesADeadlock) {
  Chan<int> never(0);
  detector::label(never.core(), "never");
  go([never] {
    go_wait([] { return detector::parked() == 1; });  // the receiver sleeps; we are awake
    // returns: only the receiver is left, asleep
  });
  go([never] { (void)never.receive(); });
  ASSERT_TRUE(wait_until([] { return !findings_of(FindingKind::kAllAsleep).empty(); }));
  const Finding f = findings_of(FindingKind::kAllAsleep).front();
  ASSERT_EQ(f.parties.size(), 1u) << f.text();
  EXPECT_EQ(f.parties[0].waits_on, "Chan.recv on never");
  never.send(0);
}

// A goroutine in a wait with a deadline (a timer is pending) is awake: the
// other's park finds no deadlock.
TEST_F(GoroutineDetectorTest, TimedWaitKeepsTheProgramAwake) {
  Chan<int> timed(0), forever(0);
  std::atomic<bool> got{false};
  go([timed, &got] { got.store(timed.receive_for(std::chrono::hours(1)).ok()); });
  ASSERT_TRUE(wait_until([&] { return timed.waiting_receivers() == 1; }));
  go([forever] { (void)forever.receive(); });
  ASSERT_TRUE(wait_until([] { return detector::parked() == 1; }));  // its checks ran
  EXPECT_TRUE(detector::findings().empty()) << detector::findings().front().text();
  timed.send(1);
  forever.send(2);
  ASSERT_TRUE(wait_until([this] { return num_goroutine() == base_; }));
  EXPECT_TRUE(got.load());
}

// The study's "Chan w/" circle on goroutines: with the channel's two users
// declared, a wait-for cycle naming both goroutines.
TEST_F(GoroutineDetectorTest, DeclaredChannelMutexCircleOnGoroutinesIsACycle) {
  GoMutex mu;
  Chan<int> ch(0);
  detector::label(&mu, "mu");
  detector::label(ch.core(), "ch");
  detector::chan_parties(ch.core(), "sender", "receiver");
  std::atomic<bool> holds{false};
  go([&mu, ch, &holds] {
    detector::ThreadScope s("sender");
    mu.lock();
    holds.store(true);
    ch.send(1);
    mu.unlock();
  });
  go([&mu, ch, &holds] {
    detector::ThreadScope s("receiver");
    go_wait([&] { return holds.load(); });
    mu.lock();
    mu.unlock();
    EXPECT_EQ(*ch.receive(), 2);
  });
  ASSERT_TRUE(wait_until([] { return !findings_of(FindingKind::kCycle).empty(); }));
  const Finding f = findings_of(FindingKind::kCycle).front();
  ASSERT_EQ(f.parties.size(), 2u) << f.text();
  for (const auto& p : f.parties) EXPECT_GT(p.goroutine_id, 0) << f.text();
  const std::string text = f.text();
  EXPECT_NE(text.find("): waits on Chan.send on ch, holds mu (exclusive)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("): waits on GoMutex.lock on mu"), std::string::npos) << text;
  EXPECT_EQ(*ch.receive(), 1);
  ch.send(2);
  ASSERT_TRUE(wait_until([this] { return num_goroutine() == base_; }));  // mu, holds: ours
}

// Stress: goroutines and threads communicating correctly under the
// detector never produce a finding, and every goroutine record is dropped.
TEST_F(GoroutineDetectorTest, StressNoFalseReportWithGoroutines) {
  detector::ThreadScope main_party("main");  // the spawner takes part, as Go's main goroutine
  constexpr int kGoroutines = 16, kIters = 300;
  Chan<int> work(0), done(4);
  GoMutex mu;
  long sum = 0;
  for (int g = 0; g < kGoroutines; ++g) {
    go([&, work, done] {
      for (;;) {
        auto v = work.receive();
        if (!v) break;
        mu.lock();
        sum += *v;
        mu.unlock();
        if (*v % 7 == 0) sleep_for(std::chrono::microseconds(50));
      }
      done.send(1);
    });
  }
  for (int i = 0; i < kIters; ++i) work.send(i);
  work.close();
  for (int g = 0; g < kGoroutines; ++g) (void)done.receive();
  ASSERT_TRUE(wait_until([this] { return num_goroutine() == base_; }));
  EXPECT_EQ(sum, long{kIters} * (kIters - 1) / 2);
  EXPECT_TRUE(detector::findings().empty()) << detector::findings().front().text();
  EXPECT_TRUE(detector::leaks().parties.empty()) << detector::leaks().text();
}

}  // namespace
}  // namespace syncscope
