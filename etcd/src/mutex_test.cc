// Session, Mutex, Locker and fencing against a single etcd node.
#include "syncscope/etcd/mutex.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "etcd_test_env.h"
#include "syncscope/etcd/fence.h"
#include "syncscope/etcd/session.h"
#include "syncscope/select.h"

namespace syncscope::etcd {
namespace {

using testing::test_endpoints;
using testing::unique_prefix;

TEST(EtcdSession, KeepsItsLeaseAliveAndRevokesOnClose) {
  Client c(test_endpoints());
  const std::string k = unique_prefix() + "/s";
  int64_t lease;
  {
    Session s(c, SessionOptions{1});
    lease = s.lease();
    c.put(k, "x", lease);
    // Outlive the TTL several times over: the keep-alives hold the key. Wait
    // for the server to have renewed at least 3 times (TTL back near 1 s
    // after more than 1 s), observed through the lease's TTL never reaching -1.
    for (int i = 0; i < 3; ++i) {
      const auto before = c.lease_ttl(lease);
      ASSERT_GT(before.ttl, -1);
      auto r = s.done().receive_for(std::chrono::milliseconds(1200));
      EXPECT_FALSE(r.closed());
    }
    EXPECT_EQ(c.get(k).kvs.size(), 1u);
    EXPECT_FALSE(s.lost());
  }
  EXPECT_TRUE(c.get(k).kvs.empty());
  EXPECT_EQ(c.lease_ttl(lease).ttl, -1);
}

TEST(EtcdSession, DoneFiresInSelectWhenTheLeaseIsRevokedElsewhere) {
  Client c(test_endpoints());
  Session s(c, SessionOptions{2});
  Client other(test_endpoints());
  other.lease_revoke(s.lease());
  // done() is a channel: select on it beside another channel (bounded wait).
  DoneChan never(0);
  int fired = Select().recv(never).recv(s.done()).timeout(std::chrono::seconds(30)).run();
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(s.lost());
  EXPECT_NO_THROW(s.close());  // the lease is gone already: nothing to revoke
}

TEST(EtcdSession, OrphanClosesDoneAndTheLeaseExpiresOnTheServer) {
  Client c(test_endpoints());
  Session s(c, SessionOptions{1});
  s.orphan();
  EXPECT_TRUE(s.done().receive_for(std::chrono::seconds(30)).closed());
  for (int i = 0; i < 300 && c.lease_ttl(s.lease()).ttl != -1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(c.lease_ttl(s.lease()).ttl, -1);
}

TEST(EtcdSession, BadTtlAndUnknownLeaseAreTypedErrors) {
  Client c(test_endpoints());
  try {
    Session s(c, SessionOptions{0});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kInvalidArgument);
  }
  try {
    Session s(c, SessionOptions{5, 0x1234567});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kLeaseNotFound) << e.what();
  }
}

TEST(EtcdMutex, LockUnlockAndOwnership) {
  Client c(test_endpoints());
  Session s(c, SessionOptions{10});
  const std::string p = unique_prefix();
  Mutex m(s, p);
  EXPECT_FALSE(m.held());
  m.lock();
  EXPECT_TRUE(m.held());
  EXPECT_EQ(m.key().rfind(p + "/", 0), 0u);
  const GetResult g = c.get(m.key());
  ASSERT_EQ(g.kvs.size(), 1u);
  EXPECT_EQ(g.kvs[0].lease, s.lease());
  EXPECT_EQ(m.fencing_token(), g.kvs[0].create_revision);
  EXPECT_GE(m.header().revision, m.fencing_token());
  EXPECT_TRUE(c.txn({m.is_owner()}, {}).succeeded);
  m.unlock();
  EXPECT_FALSE(m.held());
  EXPECT_TRUE(c.get(g.kvs[0].key).kvs.empty());
}

TEST(EtcdMutex, SecondSessionWaitsFifoAndTokensGrow) {
  Client c(test_endpoints());
  const std::string p = unique_prefix();
  Session s1(c, SessionOptions{10}), s2(c, SessionOptions{10}), s3(c, SessionOptions{10});
  Mutex m1(s1, p), m2(s2, p), m3(s3, p);
  m1.lock();
  std::vector<int> order;
  std::mutex order_mu;
  std::thread t2([&] {
    m2.lock();
    std::lock_guard<std::mutex> g(order_mu);
    order.push_back(2);
  });
  // Wait until m2's key exists (it is queued) before m3 queues behind it.
  GetOptions all;
  all.prefix = true;
  all.count_only = true;
  while (c.get(p + "/", all).count < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::thread t3([&] {
    m3.lock();
    std::lock_guard<std::mutex> g(order_mu);
    order.push_back(3);
  });
  while (c.get(p + "/", all).count < 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_FALSE(Mutex(s3, p + "-other").held());
  const int64_t t1 = m1.fencing_token();
  m1.unlock();
  t2.join();
  EXPECT_GT(m2.fencing_token(), t1);
  {
    std::lock_guard<std::mutex> g(order_mu);
    EXPECT_EQ(order, std::vector<int>{2});
  }
  m2.unlock();
  t3.join();
  EXPECT_GT(m3.fencing_token(), m2.fencing_token() > 0 ? m2.fencing_token() : t1);
  EXPECT_EQ(order, (std::vector<int>{2, 3}));
  m3.unlock();
}

TEST(EtcdMutex, TryLockFailsWhileHeldAndLeavesNoKey) {
  Client c(test_endpoints());
  const std::string p = unique_prefix();
  Session s1(c, SessionOptions{10}), s2(c, SessionOptions{10});
  Mutex m1(s1, p), m2(s2, p);
  EXPECT_TRUE(m1.try_lock());
  EXPECT_FALSE(m2.try_lock());
  GetOptions all;
  all.prefix = true;
  EXPECT_EQ(c.get(p + "/", all).kvs.size(), 1u);
  m1.unlock();
  EXPECT_TRUE(m2.try_lock());
  m2.unlock();
}

TEST(EtcdMutex, LockWithDeadlineOrCancelledContextGivesUpAndCleansUp) {
  Client c(test_endpoints());
  const std::string p = unique_prefix();
  Session s1(c, SessionOptions{10}), s2(c, SessionOptions{10});
  Mutex m1(s1, p), m2(s2, p);
  m1.lock();
  try {
    m2.lock_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(300));
    FAIL() << "lock_until returned while the lock was held";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kDeadlineExceeded) << e.what();
  }
  auto [ctx, cancel] = with_cancel(Context::background());
  std::thread canceller([&, cancel = cancel] {
    GetOptions all;
    all.prefix = true;
    all.count_only = true;
    // Cancel once m2 is queued (2 keys).
    while (c.get(p + "/", all).count < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    cancel();
  });
  try {
    m2.lock(ctx);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kCanceled) << e.what();
  }
  canceller.join();
  GetOptions all;
  all.prefix = true;
  EXPECT_EQ(c.get(p + "/", all).kvs.size(), 1u);  // only m1's key is left
  m1.unlock();
}

TEST(EtcdMutex, MisuseIsATypedError) {
  Client c(test_endpoints());
  Session s(c, SessionOptions{10});
  Mutex m(s, unique_prefix());
  try {
    m.unlock();
    FAIL() << "unlock of an unlocked mutex";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kLockNotHeld);
    EXPECT_NE(std::string(e.what()).find("unlock of unlocked mutex"), std::string::npos);
  }
  s.close();
  try {
    m.lock();
    FAIL() << "lock on a closed session";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kSessionExpired) << e.what();
  }
  EXPECT_THROW(guarded_put(m, "k", "v"), Error);
}

TEST(EtcdMutex, SessionExpiringWhileWaitingFailsWithSessionExpired) {
  // etcd 3.5's behaviour: the waiter's lease is revoked while it waits; Lock
  // must fail with "session expired", never return as the holder.
  Client c(test_endpoints());
  const std::string p = unique_prefix();
  Session s1(c, SessionOptions{10}), s2(c, SessionOptions{10});
  Mutex m1(s1, p), m2(s2, p);
  m1.lock();
  std::thread killer([&] {
    GetOptions all;
    all.prefix = true;
    all.count_only = true;
    while (c.get(p + "/", all).count < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    Client other(test_endpoints());
    other.lease_revoke(s2.lease());
  });
  try {
    m2.lock();
    FAIL() << "Lock returned on an expired session";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kSessionExpired) << e.what();
    EXPECT_NE(std::string(e.what()).find("session expired"), std::string::npos);
  }
  killer.join();
  EXPECT_FALSE(m2.held());
  EXPECT_TRUE(m1.held());
  m1.unlock();
}

TEST(EtcdLocker, WorksWithStdLockGuardAndUniqueLock) {
  Client c(test_endpoints());
  const std::string p = unique_prefix();
  Session s1(c, SessionOptions{10}), s2(c, SessionOptions{10});
  Locker l1(s1, p), l2(s2, p);
  {
    std::lock_guard<Locker> g(l1);
    std::unique_lock<Locker> u(l2, std::try_to_lock);
    EXPECT_FALSE(u.owns_lock());
  }
  std::unique_lock<Locker> u(l2, std::try_to_lock);
  EXPECT_TRUE(u.owns_lock());
}

TEST(EtcdFence, GuardedWriteOnlyWhileOwner) {
  Client c(test_endpoints());
  const std::string p = unique_prefix();
  Session s1(c, SessionOptions{10});
  Mutex m(s1, p);
  m.lock();
  EXPECT_TRUE(guarded_put(m, p + "-data", "1"));
  // Someone else removes our key (as a lease expiry would).
  c.del(m.key());
  EXPECT_FALSE(guarded_put(m, p + "-data", "2"));
  EXPECT_EQ(c.get(p + "-data").kvs.at(0).value, "1");
}

TEST(EtcdFence, FencedResourceRejectsLowerTokens) {
  FencedResource r;
  EXPECT_TRUE(r.admit(5));
  EXPECT_TRUE(r.admit(5));
  EXPECT_FALSE(r.admit(4));
  EXPECT_TRUE(r.admit(9));
  EXPECT_FALSE(r.admit(5));
  EXPECT_EQ(r.highest(), 9);
}

TEST(EtcdFence, FencedKeyRejectsStaleTokens) {
  Client c(test_endpoints());
  FencedKey k(c, unique_prefix() + "/res");
  EXPECT_EQ(k.highest(), 0);
  EXPECT_TRUE(k.write("a", 10));
  EXPECT_TRUE(k.write("b", 10));
  EXPECT_FALSE(k.write("stale", 9));
  EXPECT_TRUE(k.write("c", 123456));
  EXPECT_FALSE(k.write("stale", 99999));
  EXPECT_EQ(k.highest(), 123456);
  EXPECT_EQ(c.get(k.key()).kvs.at(0).value, "c");
  EXPECT_THROW(k.write("x", 0), Error);
}

// Stress + history check: 4 sessions x N acquisitions, each increments a
// counter through a guarded transaction and records (token, start, end).
TEST(EtcdMutex, StressCountsEveryCriticalSectionAndHistoryHasNoOverlap) {
  const std::string p = unique_prefix();
  constexpr int kClients = 4, kRounds = 15;
  struct Interval {
    int64_t token;
    int64_t start_rev, end_rev;  // store revisions bracketing the critical section
  };
  std::vector<std::vector<Interval>> hist(kClients);
  std::vector<std::thread> ts;
  for (int i = 0; i < kClients; ++i) {
    ts.emplace_back([&, i] {
      Client c(test_endpoints());
      Session s(c, SessionOptions{10});
      Mutex m(s, p + "/lock");
      for (int r = 0; r < kRounds; ++r) {
        m.lock();
        const GetResult g = c.get(p + "/counter");
        const int64_t v = g.kvs.empty() ? 0 : std::stoll(g.kvs[0].value);
        const TxnResult t = guarded_txn(m, {Op::put(p + "/counter", std::to_string(v + 1))});
        ASSERT_TRUE(t.succeeded);
        hist[i].push_back({m.fencing_token(), m.header().revision, t.header.revision});
        m.unlock();
      }
    });
  }
  for (auto& t : ts) t.join();
  Client c(test_endpoints());
  EXPECT_EQ(c.get(p + "/counter").kvs.at(0).value, std::to_string(kClients * kRounds));
  std::vector<Interval> all;
  for (auto& h : hist) all.insert(all.end(), h.begin(), h.end());
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.token < b.token; });
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_LT(all[i - 1].token, all[i].token);
    // Holders in token order; each section ends before the next one's starts.
    EXPECT_LT(all[i - 1].end_rev, all[i].start_rev) << "overlap at token " << all[i].token;
  }
}

}  // namespace
}  // namespace syncscope::etcd
