// Election, RWMutex, Barrier, DoubleBarrier, Queue, PriorityQueue and STM
// against a single etcd node: semantics, misuse and a short stress each.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>

#include "etcd_test_env.h"
#include "syncscope/etcd/barrier.h"
#include "syncscope/etcd/election.h"
#include "syncscope/etcd/queue.h"
#include "syncscope/etcd/rwmutex.h"
#include "syncscope/etcd/stm.h"

namespace syncscope::etcd {
namespace {

using testing::test_endpoints;
using testing::unique_prefix;

// Polls (bounded: 30 s) until the prefix holds n keys: "wait for the exact state".
void wait_keys(Client& c, const std::string& prefix, int64_t n) {
  GetOptions o;
  o.prefix = true;
  o.count_only = true;
  for (int i = 0; i < 6000 && c.get(prefix, o).count != n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(c.get(prefix, o).count, n) << prefix;
}

TEST(EtcdElection, CampaignProclaimObserveResign) {
  Client c(test_endpoints());
  const std::string p = unique_prefix();
  Session s1(c, SessionOptions{10}), s2(c, SessionOptions{10}), s3(c, SessionOptions{10});
  Election e1(s1, p), e2(s2, p), obs(s3, p);
  try {
    obs.leader();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kElectionNoLeader);
  }
  Observer o = obs.observe();
  e1.campaign("a");
  EXPECT_TRUE(e1.is_leader());
  EXPECT_EQ(obs.leader().value, "a");
  auto v = o.chan().receive_for(std::chrono::seconds(30));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value, "a");
  e1.proclaim("a2");
  v = o.chan().receive_for(std::chrono::seconds(30));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value, "a2");
  std::thread t([&] { e2.campaign("b"); });
  wait_keys(c, p + "/", 2);
  EXPECT_EQ(obs.leader().value, "a2");
  e1.resign();
  t.join();
  EXPECT_TRUE(e2.is_leader());
  EXPECT_GT(e2.rev(), 0);
  v = o.chan().receive_for(std::chrono::seconds(30));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value, "b");
  o.stop();
  EXPECT_TRUE(o.chan().receive_for(std::chrono::seconds(30)).closed());
  e2.resign();
}

TEST(EtcdElection, LeaderWhoseSessionDiesLosesLeadership) {
  Client c(test_endpoints());
  const std::string p = unique_prefix();
  Session s2(c, SessionOptions{10}), s3(c, SessionOptions{10});
  Election e2(s2, p), obs(s3, p);
  auto s1 = std::make_unique<Session>(c, SessionOptions{10});
  Election e1(*s1, p);
  e1.campaign("first");
  Observer o = obs.observe();
  ASSERT_EQ(o.chan().receive_for(std::chrono::seconds(30))->value, "first");
  std::thread t([&] { e2.campaign("second"); });
  wait_keys(c, p + "/", 2);
  Client(test_endpoints()).lease_revoke(s1->lease());  // the leader's session dies
  t.join();
  auto v = o.chan().receive_for(std::chrono::seconds(30));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value, "second");
  try {
    e1.proclaim("zombie");
    FAIL() << "proclaim by a dead leader";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kElectionNotLeader);
  }
}

TEST(EtcdElection, MisuseIsATypedError) {
  Client c(test_endpoints());
  Session s(c, SessionOptions{10});
  Election e(s, unique_prefix());
  try {
    e.resign();
    FAIL();
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), Errc::kElectionNotLeader);
  }
  EXPECT_THROW(e.proclaim("x"), Error);
  // A campaign whose context is already cancelled while another leads.
  Session s2(c, SessionOptions{10});
  Election leader(s2, "x" + unique_prefix());
  leader.campaign("l");
  Election late(s, "x" + unique_prefix());
  (void)late;
  auto [ctx, cancel] = with_cancel(Context::background());
  cancel();
  Session s3(c, SessionOptions{10});
  Election waiter(s3, leader.key().substr(0, leader.key().rfind('/')));
  try {
    waiter.campaign("w", ctx);
    FAIL() << "campaign returned while another session leads";
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), Errc::kCanceled) << err.what();
  }
  EXPECT_FALSE(waiter.is_leader());
  leader.resign();
}

TEST(EtcdRWMutex, ReadersShareWriterExcludesAndBlocksLaterReaders) {
  Client c(test_endpoints());
  const std::string p = unique_prefix();
  Session r1s(c, SessionOptions{10}), r2s(c, SessionOptions{10}), ws(c, SessionOptions{10}),
      r3s(c, SessionOptions{10});
  RWMutex r1(r1s, p), r2(r2s, p), w(ws, p), r3(r3s, p);
  r1.lock_shared();
  r2.lock_shared();  // readers share
  std::atomic<bool> writer_in{false}, reader3_in{false};
  std::thread tw([&] {
    w.lock();
    writer_in = true;
  });
  wait_keys(c, p + "/write/", 1);  // the writer is queued
  std::thread tr([&] {
    r3.lock_shared();
    reader3_in = true;
  });
  wait_keys(c, p + "/read/", 3);  // the late reader is queued behind the writer
  EXPECT_FALSE(writer_in.load());
  EXPECT_FALSE(reader3_in.load());
  r1.unlock_shared();
  r2.unlock_shared();
  tw.join();
  EXPECT_TRUE(writer_in.load());
  EXPECT_FALSE(reader3_in.load());  // blocked by the writer
  w.unlock();
  tr.join();
  EXPECT_TRUE(reader3_in.load());
  {
    std::shared_lock<RWMutex> sl(r1);  // SharedLockable
  }
  r3.unlock_shared();
  try {
    w.unlock();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kLockNotHeld);
  }
}

TEST(EtcdRWMutex, StressWritersAreExclusive) {
  const std::string p = unique_prefix();
  std::atomic<int> inside_writers{0}, inside_readers{0}, violations{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([&, i] {
      Client c(test_endpoints());
      Session s(c, SessionOptions{10});
      RWMutex m(s, p);
      for (int r = 0; r < 6; ++r) {
        if ((i + r) % 2 == 0) {
          m.lock();
          if (inside_writers.fetch_add(1) != 0 || inside_readers.load() != 0) ++violations;
          inside_writers.fetch_sub(1);
          m.unlock();
        } else {
          m.lock_shared();
          inside_readers.fetch_add(1);
          if (inside_writers.load() != 0) ++violations;
          inside_readers.fetch_sub(1);
          m.unlock_shared();
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(violations.load(), 0);
}

TEST(EtcdBarrier, HoldWaitRelease) {
  Client c(test_endpoints());
  const std::string k = unique_prefix() + "/b";
  Barrier b(c, k);
  b.wait();  // not held: returns at once
  b.hold();
  EXPECT_THROW(b.hold(), Error);
  std::atomic<int> passed{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i) {
    ts.emplace_back([&] {
      Client ci(test_endpoints());
      Barrier(ci, k).wait();
      ++passed;
    });
  }
  EXPECT_EQ(passed.load(), 0);
  b.release();
  for (auto& t : ts) t.join();
  EXPECT_EQ(passed.load(), 3);
  b.hold();
  auto [ctx, cancel] = with_timeout(Context::background(), std::chrono::milliseconds(200));
  try {
    b.wait(ctx);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kDeadlineExceeded);
  }
  b.release();
}

TEST(EtcdDoubleBarrier, EnterTogetherLeaveTogether) {
  const std::string k = unique_prefix() + "/db";
  constexpr int kN = 3;
  std::atomic<int> entered{0}, left{0};
  std::atomic<int> entered_seen_at_exit_of_enter_min{kN};
  std::vector<std::thread> ts;
  for (int i = 0; i < kN; ++i) {
    ts.emplace_back([&] {
      Client c(test_endpoints());
      Session s(c, SessionOptions{10});
      DoubleBarrier b(s, k, kN);
      ++entered;
      b.enter();
      // Nobody gets past enter before all have called it.
      int seen = entered.load();
      int cur = entered_seen_at_exit_of_enter_min.load();
      while (seen < cur && !entered_seen_at_exit_of_enter_min.compare_exchange_weak(cur, seen)) {
      }
      b.leave();
      ++left;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(entered_seen_at_exit_of_enter_min.load(), kN);
  EXPECT_EQ(left.load(), kN);
  Client c(test_endpoints());
  GetOptions all;
  all.prefix = true;
  EXPECT_TRUE(c.get(k + "/", all).kvs.empty());
}

TEST(EtcdDoubleBarrier, TooManyClientsAndBadCount) {
  Client c(test_endpoints());
  const std::string k = unique_prefix() + "/db";
  Session s1(c, SessionOptions{10}), s2(c, SessionOptions{10});
  DoubleBarrier b1(s1, k, 1), b2(s2, k, 1);
  b1.enter();  // count 1: opens at once
  try {
    b2.enter();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kTooManyClients) << e.what();
  }
  b1.leave();
  EXPECT_THROW(DoubleBarrier(s1, k, 0), Error);
}

TEST(EtcdQueue, FifoAndBlockingDequeue) {
  Client c(test_endpoints());
  const std::string p = unique_prefix();
  Queue q(c, p);
  for (int i = 0; i < 5; ++i) q.enqueue(std::to_string(i));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(q.dequeue(), std::to_string(i));
  std::string got;
  std::thread t([&] {
    Client c2(test_endpoints());
    got = Queue(c2, p).dequeue();
  });
  q.enqueue("late");
  t.join();
  EXPECT_EQ(got, "late");
  auto [ctx, cancel] = with_timeout(Context::background(), std::chrono::milliseconds(200));
  try {
    q.dequeue(ctx);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kDeadlineExceeded);
  }
}

TEST(EtcdQueue, StressEveryElementDequeuedExactlyOnce) {
  const std::string p = unique_prefix();
  constexpr int kProducers = 2, kConsumers = 2, kEach = 15;
  std::mutex mu;
  std::multiset<std::string> got;
  std::vector<std::thread> ts;
  for (int i = 0; i < kProducers; ++i) {
    ts.emplace_back([&, i] {
      Client c(test_endpoints());
      Queue q(c, p);
      for (int j = 0; j < kEach; ++j) q.enqueue(std::to_string(i) + ":" + std::to_string(j));
    });
  }
  for (int i = 0; i < kConsumers; ++i) {
    ts.emplace_back([&] {
      Client c(test_endpoints());
      Queue q(c, p);
      for (int j = 0; j < kProducers * kEach / kConsumers; ++j) {
        std::string v = q.dequeue();
        std::lock_guard<std::mutex> g(mu);
        got.insert(v);
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(got.size(), static_cast<std::size_t>(kProducers * kEach));
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), got.size());
}

TEST(EtcdPriorityQueue, LowerNumberFirstFifoWithin) {
  Client c(test_endpoints());
  PriorityQueue q(c, unique_prefix());
  q.enqueue("p5-a", 5);
  q.enqueue("p1-a", 1);
  q.enqueue("p5-b", 5);
  q.enqueue("p1-b", 1);
  q.enqueue("p0", 0);
  for (const char* want : {"p0", "p1-a", "p1-b", "p5-a", "p5-b"}) EXPECT_EQ(q.dequeue(), want);
}

// The seed's account transfer: random transfers between accounts from
// several clients; the sum of all balances never changes.
void transfer_test(Isolation iso, bool expect_exact) {
  const std::string p = unique_prefix();
  constexpr int kAccounts = 5, kClients = 4, kTransfers = 8, kInitial = 100;
  {
    Client c(test_endpoints());
    for (int i = 0; i < kAccounts; ++i) c.put(p + "/acct" + std::to_string(i), std::to_string(kInitial));
  }
  std::vector<std::thread> ts;
  std::atomic<int> retries{0};
  for (int t = 0; t < kClients; ++t) {
    ts.emplace_back([&, t] {
      Client c(test_endpoints());
      unsigned seed = 12345u + t;
      for (int n = 0; n < kTransfers; ++n) {
        seed = seed * 1103515245u + 12345u;
        const int from = (seed >> 8) % kAccounts;
        const int to = (from + 1 + (seed >> 16) % (kAccounts - 1)) % kAccounts;
        StmOptions o;
        o.isolation = iso;
        const StmResult r = run_stm(c, [&](Stm& s) {
          const std::string fk = p + "/acct" + std::to_string(from);
          const std::string tk = p + "/acct" + std::to_string(to);
          const int fv = std::stoi(s.get(fk)), tv = std::stoi(s.get(tk));
          const int xfer = fv / 2;
          s.put(fk, std::to_string(fv - xfer));
          s.put(tk, std::to_string(tv + xfer));
        }, o);
        retries += r.retries;
      }
    });
  }
  for (auto& th : ts) th.join();
  Client c(test_endpoints());
  GetOptions all;
  all.prefix = true;
  int sum = 0;
  for (const auto& kv : c.get(p + "/", all).kvs) sum += std::stoi(kv.value);
  if (expect_exact) {
    EXPECT_EQ(sum, kAccounts * kInitial);
  } else {
    // Read-committed does not check reads (lost updates may change the sum):
    // every transaction commits at its first attempt.
    EXPECT_EQ(retries.load(), 0);
  }
}

TEST(EtcdStm, TransferKeepsTheTotalSerializableSnapshot) {
  transfer_test(Isolation::kSerializableSnapshot, true);
}
TEST(EtcdStm, TransferKeepsTheTotalSerializable) { transfer_test(Isolation::kSerializable, true); }
TEST(EtcdStm, TransferKeepsTheTotalRepeatableReads) {
  transfer_test(Isolation::kRepeatableReads, true);
}
TEST(EtcdStm, ReadCommittedCommitsWithoutReadChecks) {
  transfer_test(Isolation::kReadCommitted, false);
}

TEST(EtcdStm, ConflictForcesARetryAndReadCommittedDoesNot) {
  Client c(test_endpoints());
  const std::string k = unique_prefix() + "/x";
  c.put(k, "0");
  for (Isolation iso : {Isolation::kSerializableSnapshot, Isolation::kSerializable,
                        Isolation::kRepeatableReads, Isolation::kReadCommitted}) {
    int runs = 0;
    StmOptions o;
    o.isolation = iso;
    const StmResult r = run_stm(c, [&](Stm& s) {
      const int v = std::stoi(s.get(k));
      if (runs++ == 0) c.put(k, std::to_string(v + 100));  // a concurrent writer
      s.put(k, std::to_string(v + 1));
    }, o);
    EXPECT_EQ(r.retries, iso == Isolation::kReadCommitted ? 0 : 1) << static_cast<int>(iso);
  }
}

TEST(EtcdStm, AbortByExceptionOrContext) {
  Client c(test_endpoints());
  const std::string k = unique_prefix() + "/y";
  EXPECT_THROW(run_stm(c, [&](Stm& s) {
                 s.put(k, "never");
                 throw std::runtime_error("abort");
               }),
               std::runtime_error);
  EXPECT_TRUE(c.get(k).kvs.empty());
  auto [ctx, cancel] = with_cancel(Context::background());
  cancel();
  StmOptions o;
  o.ctx = ctx;
  try {
    run_stm(c, [&](Stm& s) { s.put(k, "x"); }, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kCanceled);
  }
}

}  // namespace
}  // namespace syncscope::etcd
