// Tests of the blocking-bug detector (syncscope/blocking_detector.h).
//
// Each deadlock is forced: the threads reach their blocking call in a fixed
// order (the test waits for the exact state, e.g. "thread 1 holds A"), the
// test thread — not a participant — waits for the finding, checks it, then
// breaks the deadlock (Go lets any goroutine unlock a mutex; a channel gets
// its missing partner) and joins every thread. No timing is asserted.
#include <gtest/gtest.h>
#include <syncscope/blocking_detector.h>
#include <syncscope/chan.h>
#include <syncscope/go_mutex.h>
#include <syncscope/go_rwmutex.h>
#include <syncscope/internal/sema.h>
#include <syncscope/internal/wait_registry.h>
#include <syncscope/wait_group.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace syncscope {
namespace {

using detector::Finding;
using detector::FindingKind;

// Polls until pred() holds; fails the test (instead of hanging) after a
// generous guard that only a broken detector reaches.
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

class DetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(detector::enable([](const Finding&) {}));
  }
  void TearDown() override { detector::disable(); }
};

TEST(DetectorBuild, CompiledInByDefault) { EXPECT_TRUE(detector::compiled_in()); }

TEST_F(DetectorTest, LockOrderInversionIsACycleNamingBothThreadsAndLocks) {
  GoMutex a, b;
  detector::label(&a, "A");
  detector::label(&b, "B");
  std::atomic<int> step{0};
  std::atomic<bool> rescued{false};
  std::thread t1([&] {
    detector::ThreadScope s("t1");
    a.lock();
    step.store(1);
    while (step.load() != 2) std::this_thread::yield();
    b.lock();  // t2 holds B: blocks until the test unlocks B
    b.unlock();
    a.unlock();
  });
  std::thread t2([&] {
    detector::ThreadScope s("t2");
    while (step.load() != 1) std::this_thread::yield();
    b.lock();
    step.store(2);
    a.lock();  // t1 holds A: the cycle closes here or at t1's park
    a.unlock();
    if (!rescued.load()) b.unlock();  // the test released B for us
  });
  ASSERT_TRUE(wait_until([] { return !findings_of(FindingKind::kCycle).empty(); }));
  const Finding f = findings_of(FindingKind::kCycle).front();
  ASSERT_EQ(f.parties.size(), 2u);
  const std::string text = f.text();
  EXPECT_NE(text.find("t1: waits on GoMutex.lock on B, holds A (exclusive)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("t2: waits on GoMutex.lock on A, holds B (exclusive)"), std::string::npos)
      << text;
  rescued.store(true);
  b.unlock();  // t1 takes B and finishes; then t2 takes A
  t1.join();
  t2.join();
}

TEST_F(DetectorTest, RelockingAHeldMutexIsACycleOfOne) {
  GoMutex m;
  detector::label(&m, "m");
  std::thread t([&] {
    detector::ThreadScope s("worker");
    m.lock();
    m.lock();  // self-deadlock until the test unlocks m
    m.unlock();
  });
  ASSERT_TRUE(wait_until([] { return !findings_of(FindingKind::kCycle).empty(); }));
  const Finding f = findings_of(FindingKind::kCycle).front();
  ASSERT_EQ(f.parties.size(), 1u);
  EXPECT_EQ(f.parties[0].thread, "worker");
  EXPECT_EQ(f.parties[0].waits_on, "GoMutex.lock on m");
  m.unlock();
  t.join();
}

TEST_F(DetectorTest, RecursiveReadLockWithAWaitingWriterIsACycle) {
  GoRWMutex rw;
  detector::label(&rw, "rw");
  std::atomic<int> step{0};
  std::thread reader([&] {
    detector::ThreadScope s("reader");
    rw.lock_shared();
    step.store(1);
    while (step.load() != 2) std::this_thread::yield();
    rw.lock_shared();    // the writer is pending: blocks behind it
    rw.unlock_shared();  // the test released the first read lock for us
  });
  std::thread writer([&] {
    detector::ThreadScope s("writer");
    while (step.load() != 1) std::this_thread::yield();
    rw.lock();  // waits for the reader
    rw.unlock();
  });
  // The writer has announced itself and registered the active reader.
  ASSERT_TRUE(wait_until([&] { return rw.writer_count() == 1 && rw.reader_count() == 1; }));
  ASSERT_TRUE(wait_until([] { return detector::parked() == 1; }));
  step.store(2);
  ASSERT_TRUE(wait_until([] { return !findings_of(FindingKind::kCycle).empty(); }));
  const Finding f = findings_of(FindingKind::kCycle).front();
  ASSERT_EQ(f.parties.size(), 2u);
  const std::string text = f.text();
  EXPECT_NE(text.find("reader: waits on GoRWMutex.lock_shared on rw"), std::string::npos) << text;
  EXPECT_NE(text.find("writer: waits on GoRWMutex.lock on rw"), std::string::npos) << text;
  // No way out but to break the RWMutex's protocol; let the reader's second
  // RLock through by giving the writer what it waits for is impossible, so
  // the test plays the missing RUnlock (Go would leak both goroutines).
  rw.unlock_shared();  // as the reader: the writer gets the lock, unlocks, admits the reader
  reader.join();
  writer.join();
}

TEST_F(DetectorTest, EveryParticipantAsleepOnChannelsIsGlobalDeadlock) {
  Chan<int> c1(0), c2(0);
  detector::label(c1.core(), "c1");
  detector::label(c2.core(), "c2");
  auto body = [](const char* name, Chan<int> in, Chan<int> out) {
    detector::ThreadScope s(name);
    auto v = in.receive();  // each waits for the other: nobody sends first
    out.send(*v);
  };
  detector::will_start(2);
  std::thread a(body, "a", c1, c2);
  std::thread b(body, "b", c2, c1);
  ASSERT_TRUE(wait_until([] { return !findings_of(FindingKind::kAllAsleep).empty(); }));
  const Finding f = findings_of(FindingKind::kAllAsleep).front();
  ASSERT_EQ(f.parties.size(), 2u);
  EXPECT_NE(f.text().find("all threads are asleep - deadlock!"), std::string::npos);
  EXPECT_NE(f.text().find("Chan.recv on c1"), std::string::npos) << f.text();
  EXPECT_TRUE(findings_of(FindingKind::kCycle).empty());  // channels have no wait-for edge
  c1.send(1);  // a gets 1, sends it to b... b's receive completes; b sends to c1
  EXPECT_EQ(*c1.receive(), 1);
  a.join();
  b.join();
}

// A channel declared with chan_parties() has a known partner: a party
// holding a mutex and blocked sending to the one receiver, which waits for
// that mutex, is a wait-for cycle (the study's "Chan w/" bugs).
TEST_F(DetectorTest, DeclaredChannelAndMutexCircleIsACycle) {
  GoMutex mu;
  Chan<int> ch(0);
  detector::label(&mu, "mu");
  detector::label(ch.core(), "ch");
  detector::chan_parties(ch.core(), "sender", "receiver");
  std::atomic<bool> holds{false};
  detector::will_start(2);
  std::thread sender([&] {
    detector::ThreadScope s("sender");
    mu.lock();
    holds.store(true);
    ch.send(1);  // the receiver waits for mu first: blocks
    mu.unlock();
  });
  std::thread receiver([&] {
    detector::ThreadScope s("receiver");
    while (!holds.load()) std::this_thread::yield();
    mu.lock();  // the sender holds mu and waits for us: the cycle closes here or there
    mu.unlock();
    EXPECT_EQ(*ch.receive(), 2);
  });
  ASSERT_TRUE(wait_until([] { return !findings_of(FindingKind::kCycle).empty(); }));
  const Finding f = findings_of(FindingKind::kCycle).front();
  ASSERT_EQ(f.parties.size(), 2u) << f.text();
  const std::string text = f.text();
  EXPECT_NE(text.find("sender: waits on Chan.send on ch, holds mu (exclusive)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("receiver: waits on GoMutex.lock on mu"), std::string::npos) << text;
  EXPECT_EQ(*ch.receive(), 1);  // the test plays a second receiver: the sender goes on
  ch.send(2);                   // ... and a second sender for the receiver
  sender.join();
  receiver.join();
}

// Without the declaration the same circle has no edge through the channel
// (another party could receive): it is no cycle, only all-asleep once every
// participant sleeps.
TEST_F(DetectorTest, UndeclaredChannelGivesNoCycle) {
  GoMutex mu;
  Chan<int> ch(0);
  std::atomic<bool> holds{false};
  detector::will_start(2);
  std::thread sender([&] {
    detector::ThreadScope s("sender");
    mu.lock();
    holds.store(true);
    ch.send(1);
    mu.unlock();
  });
  std::thread receiver([&] {
    detector::ThreadScope s("receiver");
    while (!holds.load()) std::this_thread::yield();
    mu.lock();
    mu.unlock();
    EXPECT_EQ(*ch.receive(), 2);
  });
  ASSERT_TRUE(wait_until([] { return !findings_of(FindingKind::kAllAsleep).empty(); }));
  EXPECT_TRUE(findings_of(FindingKind::kCycle).empty());
  EXPECT_EQ(*ch.receive(), 1);
  ch.send(2);
  sender.join();
  receiver.join();
}

TEST_F(DetectorTest, ThreadLeftBlockedIsALeakUntilItIsReleased) {
  Chan<int> results(0);
  detector::label(results.core(), "results");
  std::thread worker([&] {
    detector::ThreadScope s("worker");
    results.send(42);  // nobody receives: blocked (leaked)
  });
  ASSERT_TRUE(wait_until([] { return detector::parked() == 1; }));
  Finding leak = detector::leaks();
  ASSERT_EQ(leak.kind, FindingKind::kLeak);
  ASSERT_EQ(leak.parties.size(), 1u);
  EXPECT_EQ(leak.parties[0].thread, "worker");
  EXPECT_EQ(leak.parties[0].waits_on, "Chan.send on results");
  EXPECT_EQ(*results.receive(), 42);
  worker.join();
  EXPECT_TRUE(detector::leaks().parties.empty());
}

TEST_F(DetectorTest, WaitWithADeadlineIsNeverADeadlock) {
  Sema s(0);
  std::atomic<bool> got{false};
  std::thread t([&] {
    detector::ThreadScope scope("timed");
    got.store(s.acquire_for(std::chrono::hours(1)));
  });
  ASSERT_TRUE(wait_until([&] { return s.waiters() == 1; }));
  s.release();
  t.join();
  EXPECT_TRUE(got.load());
  EXPECT_TRUE(detector::findings().empty());
  EXPECT_TRUE(detector::leaks().parties.empty());
}

TEST_F(DetectorTest, WaitGroupWaitNamesTheWaitGroup) {
  WaitGroup wg;
  detector::label(&wg, "wg");
  wg.add(1);
  std::thread t([&] {
    detector::ThreadScope s("main");
    wg.wait();  // nobody calls done(): the only participant sleeps
  });
  ASSERT_TRUE(wait_until([] { return !findings_of(FindingKind::kAllAsleep).empty(); }));
  EXPECT_EQ(findings_of(FindingKind::kAllAsleep).front().parties.at(0).waits_on,
            "WaitGroup.wait on wg");
  wg.done();
  t.join();
}

// Stress: correct programs under the detector never produce a finding.
TEST_F(DetectorTest, StressNoFalseReportOnCorrectPrograms) {
  GoMutex m;
  GoRWMutex rw;
  Chan<int> ch(0), buf(4);
  long counter = 0, shared = 0;
  constexpr int kIters = 2000;
  std::vector<std::thread> ts;
  detector::will_start(4);  // as `go` would: started threads count as awake
  for (int i = 0; i < 2; ++i) {
    ts.emplace_back([&, i] {
      detector::ThreadScope s("locker" + std::to_string(i));
      for (int k = 0; k < kIters; ++k) {
        m.lock();
        ++counter;
        m.unlock();
        if (k % 4 == 0) {
          rw.lock();
          ++shared;
          rw.unlock();
        } else {
          rw.lock_shared();
          (void)shared;
          rw.unlock_shared();
        }
      }
    });
  }
  ts.emplace_back([&] {
    detector::ThreadScope s("producer");
    for (int k = 0; k < kIters; ++k) ch.send(k);
    ch.close();
    for (int k = 0; k < kIters; ++k) buf.send(k);
    buf.close();
  });
  ts.emplace_back([&] {
    detector::ThreadScope s("consumer");
    long sum = 0;
    for (int v : ch) sum += v;
    for (int v : buf) sum += v;
    EXPECT_EQ(sum, 2L * kIters * (kIters - 1) / 2);
  });
  for (auto& t : ts) t.join();
  EXPECT_EQ(counter, 2L * kIters);
  EXPECT_TRUE(detector::findings().empty()) << detector::findings().front().text();
  EXPECT_TRUE(detector::leaks().parties.empty());
}

TEST_F(DetectorTest, OffMeansNothingIsRecorded) {
  detector::disable();
  GoMutex m;
  std::thread t([&] {
    m.lock();
    m.lock();
    m.unlock();
  });
  // The same self-deadlock as above: with the detector off it stays silent.
  ASSERT_TRUE(wait_until([&] { return m.waiter_count() == 1; }));
  EXPECT_TRUE(detector::findings().empty());
  EXPECT_EQ(detector::parked(), 0u);
  m.unlock();
  t.join();
}

TEST(DetectorEnv, BadValueIsOneLineAndExit2) {
  EXPECT_EXIT(internal::waitreg::apply_env("yes"), ::testing::ExitedWithCode(2),
              "error: SYNCSCOPE_DETECT='yes' \\(valid: 0, 1\\)");
}

}  // namespace
}  // namespace syncscope
