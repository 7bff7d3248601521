// Client against a single etcd node: KV, transactions, leases, watches,
// deadlines, fail-over and typed errors.
#include "syncscope/etcd/client.h"

#include <gtest/gtest.h>

#include <thread>

#include "etcd_test_env.h"
#include "syncscope/etcd/internal/status.h"

namespace syncscope::etcd {
namespace {

using testing::test_endpoints;
using testing::unique_prefix;
using R = Compare::Result;

// No server: how a failed call's status is read. etcd answers a request
// whose propagated deadline ran out before it was served with UNKNOWN
// "context deadline exceeded" (a client stopped by SIGSTOP mid-request):
// that is a deadline, retried like one, not an internal error.
TEST(EtcdClient, AServerSideDeadlineIsADeadlineNotAnInternalError) {
  using grpc::Status;
  using grpc::StatusCode;
  const Status server_deadline(StatusCode::UNKNOWN, "context deadline exceeded");
  EXPECT_TRUE(internal::deadline_passed(server_deadline));
  EXPECT_EQ(internal::errc_of(server_deadline), Errc::kDeadlineExceeded);
  const Status client_deadline(StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded");
  EXPECT_TRUE(internal::deadline_passed(client_deadline));
  EXPECT_EQ(internal::errc_of(client_deadline), Errc::kDeadlineExceeded);
  const Status other(StatusCode::UNKNOWN, "etcdserver: request timed out");
  EXPECT_FALSE(internal::deadline_passed(other));
  EXPECT_EQ(internal::errc_of(other), Errc::kInternal);
  const Status unavailable(StatusCode::UNAVAILABLE, "context deadline exceeded");
  EXPECT_FALSE(internal::deadline_passed(unavailable));
  EXPECT_EQ(internal::errc_of(unavailable), Errc::kUnavailable);
  const Status compacted(StatusCode::OUT_OF_RANGE, "mvcc: required revision has been compacted");
  EXPECT_EQ(internal::errc_of(compacted), Errc::kCompacted);
}

TEST(EtcdClient, PutGetDeleteAndRevisions) {
  Client c(test_endpoints());
  const std::string p = unique_prefix();
  const PutResult p1 = c.put(p + "/a", "1");
  const PutResult p2 = c.put(p + "/a", "2", 0, true);
  ASSERT_TRUE(p2.prev_kv.has_value());
  EXPECT_EQ(p2.prev_kv->value, "1");
  EXPECT_GT(p2.header.revision, p1.header.revision);
  c.put(p + "/b", "3");
  GetResult g = c.get(p + "/a");
  ASSERT_EQ(g.kvs.size(), 1u);
  EXPECT_EQ(g.kvs[0].value, "2");
  EXPECT_EQ(g.kvs[0].version, 2);
  EXPECT_EQ(g.kvs[0].create_revision, p1.header.revision);
  EXPECT_EQ(g.kvs[0].mod_revision, p2.header.revision);
  GetOptions all;
  all.prefix = true;
  EXPECT_EQ(c.get(p + "/", all).kvs.size(), 2u);
  all.count_only = true;
  EXPECT_EQ(c.get(p + "/", all).count, 2);
  // An older revision still shows the old value.
  GetOptions old;
  old.revision = p1.header.revision;
  EXPECT_EQ(c.get(p + "/a", old).kvs.at(0).value, "1");
  const DeleteResult d = c.del(p + "/", true, true);
  EXPECT_EQ(d.deleted, 2);
  EXPECT_EQ(d.prev_kvs.size(), 2u);
  EXPECT_TRUE(c.get(p + "/a").kvs.empty());
}

TEST(EtcdClient, TxnComparesOnValueVersionCreateAndMod) {
  Client c(test_endpoints());
  const std::string k = unique_prefix() + "/k";
  // Absent key: version == 0 and create revision == 0.
  TxnResult t = c.txn({Compare::version(k, R::kEqual, 0)}, {Op::put(k, "v1")}, {Op::get_key(k)});
  ASSERT_TRUE(t.succeeded);
  const int64_t created = t.header.revision;
  t = c.txn({Compare::create_revision(k, R::kEqual, 0)}, {Op::put(k, "x")}, {Op::get_key(k)});
  ASSERT_FALSE(t.succeeded);
  ASSERT_EQ(t.responses.at(0).get.kvs.at(0).value, "v1");
  EXPECT_TRUE(c.txn({Compare::create_revision(k, R::kEqual, created)}, {}).succeeded);
  EXPECT_TRUE(c.txn({Compare::mod_revision(k, R::kEqual, created)}, {}).succeeded);
  EXPECT_TRUE(c.txn({Compare::value_of(k, R::kEqual, "v1")}, {Op::put(k, "v2")}).succeeded);
  EXPECT_FALSE(c.txn({Compare::value_of(k, R::kEqual, "v1")}, {Op::put(k, "v3")}).succeeded);
  EXPECT_TRUE(c.txn({Compare::value_of(k, R::kGreater, "v1")}, {}).succeeded);
  EXPECT_TRUE(c.txn({Compare::value_of(k, R::kLess, "v3")}, {}).succeeded);
  EXPECT_TRUE(c.txn({Compare::value_of(k, R::kNotEqual, "v3")}, {}).succeeded);
  EXPECT_TRUE(c.txn({Compare::version(k, R::kEqual, 2)}, {}).succeeded);
  EXPECT_TRUE(c.txn({Compare::mod_revision(k, R::kGreater, created)}, {}).succeeded);
  EXPECT_EQ(c.get(k).kvs.at(0).value, "v2");
  // Then with several ops, else-branch delete.
  t = c.txn({Compare::version(k, R::kEqual, 99)}, {}, {Op::del(k), Op::get_key(k)});
  ASSERT_FALSE(t.succeeded);
  EXPECT_EQ(t.responses.at(0).del.deleted, 1);
  EXPECT_TRUE(t.responses.at(1).get.kvs.empty());
}

TEST(EtcdClient, LeaseGrantKeepAliveTtlRevoke) {
  Client c(test_endpoints());
  const std::string k = unique_prefix() + "/leased";
  const LeaseGrantResult l = c.lease_grant(30);
  EXPECT_GT(l.id, 0);
  EXPECT_EQ(l.ttl, 30);
  c.put(k, "x", l.id);
  EXPECT_EQ(c.get(k).kvs.at(0).lease, l.id);
  EXPECT_GT(c.lease_keep_alive_once(l.id), 0);
  const LeaseTtlResult t = c.lease_ttl(l.id);
  EXPECT_EQ(t.granted_ttl, 30);
  EXPECT_GT(t.ttl, 0);
  c.lease_revoke(l.id);
  EXPECT_TRUE(c.get(k).kvs.empty());  // keys go with their lease
  EXPECT_EQ(c.lease_ttl(l.id).ttl, -1);
  EXPECT_LE(c.lease_keep_alive_once(l.id), 0);
  try {
    c.lease_revoke(l.id);
    FAIL() << "revoke of a revoked lease";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kLeaseNotFound) << e.what();
  }
}

TEST(EtcdClient, LeaseExpiresWithoutKeepAlive) {
  Client c(test_endpoints());
  const std::string k = unique_prefix() + "/short";
  const LeaseGrantResult l = c.lease_grant(1);
  c.put(k, "x", l.id);
  // Wait for the server to expire it (bounded: 30 s; it takes about 1-2 s).
  WatchOptions o;
  Watch w = c.watch(k, o, std::chrono::steady_clock::now() + std::chrono::seconds(30));
  bool deleted = c.get(k).kvs.empty();
  while (!deleted) {
    auto r = w.next();
    ASSERT_TRUE(r.has_value()) << "lease did not expire within 30 s";
    for (const auto& e : r->events) deleted |= e.type == WatchEvent::Type::kDelete;
  }
  EXPECT_EQ(c.lease_ttl(l.id).ttl, -1);
}

TEST(EtcdClient, WatchFromRevisionPrefixAndPrevKv) {
  Client c(test_endpoints());
  const std::string p = unique_prefix();
  const int64_t r0 = c.put(p + "/a", "1").header.revision;
  c.put(p + "/b", "2");
  c.del(p + "/a");
  WatchOptions o;
  o.prefix = true;
  o.start_revision = r0;
  o.prev_kv = true;
  Watch w = c.watch(p + "/", o, std::chrono::steady_clock::now() + std::chrono::seconds(30));
  std::vector<WatchEvent> evs;
  while (evs.size() < 3) {
    auto r = w.next();
    ASSERT_TRUE(r.has_value());
    for (auto& e : r->events) evs.push_back(e);
  }
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(evs[0].kv.key, p + "/a");
  EXPECT_EQ(evs[0].kv.mod_revision, r0);
  EXPECT_EQ(evs[1].kv.key, p + "/b");
  EXPECT_EQ(evs[2].type, WatchEvent::Type::kDelete);
  ASSERT_TRUE(evs[2].prev_kv.has_value());
  EXPECT_EQ(evs[2].prev_kv->value, "1");
  // A live event after the history.
  std::thread writer([&] { c.put(p + "/c", "3"); });
  auto r = w.next();
  writer.join();
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->events.size(), 1u);
  EXPECT_EQ(r->events[0].kv.key, p + "/c");
}

TEST(EtcdClient, WatchCancelFromAnotherThreadEndsNext) {
  Client c(test_endpoints());
  Watch w = c.watch(unique_prefix() + "/never");
  std::thread t([&] {
    // Cancel only once next() is blocked or about to be: either way it ends.
    w.cancel();
  });
  EXPECT_FALSE(w.next().has_value());
  t.join();
  EXPECT_TRUE(w.cancelled());
}

// Skips progress notifications until a response with events arrives.
WatchResponse next_events(Watch& w) {
  for (;;) {
    std::optional<WatchResponse> r = w.next();
    if (!r) {
      ADD_FAILURE() << "watch ended before an event arrived";
      return {};
    }
    if (!r->progress) return *r;
  }
}

TEST(EtcdClient, WatchRequestProgressAnswersWithTheStoreRevision) {
  Client c(test_endpoints());
  const std::string p = unique_prefix();
  Watch w =
      c.watch(p + "/watched", {}, std::chrono::steady_clock::now() + std::chrono::seconds(30));
  // A change to a key this watch does not cover moves the store's revision.
  const int64_t other = c.put(p + "/other", "x").header.revision;
  w.request_progress();
  std::optional<WatchResponse> r = w.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->progress);
  EXPECT_TRUE(r->events.empty());
  EXPECT_GE(r->header.revision, other);
  // The stream goes on delivering events after a progress notification.
  const int64_t mine = c.put(p + "/watched", "y").header.revision;
  const WatchResponse e = next_events(w);
  ASSERT_EQ(e.events.size(), 1u);
  EXPECT_EQ(e.events[0].kv.mod_revision, mine);
  EXPECT_EQ(e.events[0].kv.value, "y");
  // Two requests, two answers, each at least at the revision before it.
  w.request_progress();
  w.request_progress();
  for (int i = 0; i < 2; ++i) {
    r = w.next();
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->progress);
    EXPECT_GE(r->header.revision, mine);
  }
}

TEST(EtcdClient, WatchPeriodicProgressNotificationsOnlyWithProgressNotify) {
  // etcd 3.4 sends periodic progress notifications every 10 minutes by
  // default: this test starts its own node with a short interval (also when
  // SYNCSCOPE_ETCD_ENDPOINTS names a user's cluster, whose flags it cannot set).
  LocalClusterOptions lo;
  lo.dir = testing::test_dir("progress");
  lo.extra_args = {"--experimental-watch-progress-notify-interval=100ms"};
  LocalCluster node(lo);
  Client c(node.endpoints());
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  const int64_t other = c.put("other", "x").header.revision;
  WatchOptions plain;
  Watch quiet = c.watch("quiet", plain, until);
  WatchOptions notify;
  notify.progress_notify = true;
  Watch w = c.watch("watched", notify, until);
  // Two notifications with no events: each says "all changes up to
  // header.revision are delivered".
  for (int i = 0; i < 2; ++i) {
    std::optional<WatchResponse> r = w.next();
    ASSERT_TRUE(r.has_value()) << "no progress notification within 60 s";
    EXPECT_TRUE(r->progress);
    EXPECT_TRUE(r->events.empty());
    EXPECT_GE(r->header.revision, other);
  }
  // Events still arrive on the notified watch...
  const int64_t mine = c.put("watched", "y").header.revision;
  const WatchResponse e = next_events(w);
  ASSERT_EQ(e.events.size(), 1u);
  EXPECT_EQ(e.events[0].kv.mod_revision, mine);
  // ...and the watch without progress_notify got no notification meanwhile:
  // its first response is its first event.
  const int64_t q = c.put("quiet", "z").header.revision;
  std::optional<WatchResponse> r = quiet.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->progress);
  ASSERT_EQ(r->events.size(), 1u);
  EXPECT_EQ(r->events[0].kv.mod_revision, q);
}

TEST(EtcdClient, CompactedRevisionIsATypedError) {
  Client c(test_endpoints());
  const std::string k = unique_prefix() + "/c";
  const int64_t r1 = c.put(k, "1").header.revision;
  const int64_t r2 = c.put(k, "2").header.revision;
  // Compaction is a Maintenance-free KV call in etcd; use Get at a revision
  // that will be compacted by a Txn-free path: etcdctl is not needed, the
  // Compact RPC is on the KV service.
  ASSERT_NO_THROW(c.compact(r2));
  GetOptions o;
  o.revision = r1;
  try {
    c.get(k, o);
    FAIL() << "get below the compaction";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kCompacted) << e.what();
  }
  WatchOptions w;
  w.start_revision = r1;
  Watch wt = c.watch(k, w, std::chrono::steady_clock::now() + std::chrono::seconds(30));
  try {
    wt.next();
    FAIL() << "watch below the compaction";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kCompacted) << e.what();
  }
}

TEST(EtcdClient, UnreachableEndpointFailsWithinItsDeadline) {
  const int port = pick_free_port();  // nothing listens there
  Client c(ClientOptions{{"127.0.0.1:" + std::to_string(port)}, Millis(500), Millis(200)});
  try {
    c.get("x");
    FAIL() << "get from an unreachable endpoint";
  } catch (const Error& e) {
    EXPECT_TRUE(e.code() == Errc::kUnavailable || e.code() == Errc::kDeadlineExceeded)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(std::to_string(port)), std::string::npos) << e.what();
  }
}

TEST(EtcdClient, FailsOverPastADeadEndpoint) {
  const int port = pick_free_port();
  auto eps = test_endpoints();
  eps.insert(eps.begin(), "127.0.0.1:" + std::to_string(port));
  Client c(ClientOptions{eps, Millis(10000), Millis(1000)});
  const std::string k = unique_prefix() + "/fo";
  c.put(k, "v");
  EXPECT_EQ(c.get(k).kvs.at(0).value, "v");
}

TEST(EtcdClient, BadEndpointsAreRejectedWithTheValue) {
  for (const std::string bad : {"", "localhost", "h:0", "h:70000", "h:x", ":1"}) {
    try {
      parse_endpoints(bad);
      FAIL() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find("'" + bad + "'"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(parse_endpoints("a:1,http://b:2").size(), 2u);
  EXPECT_THROW(Client(std::vector<std::string>{}), Error);
  Client c(test_endpoints());
  EXPECT_THROW(c.lease_grant(0), Error);
}

TEST(EtcdClient, PrefixEnd) {
  EXPECT_EQ(prefix_end("a/"), "a0");
  EXPECT_EQ(prefix_end(std::string("a\xff", 2)), "b");
  EXPECT_EQ(prefix_end(std::string("\xff", 1)), std::string(1, '\0'));
}

TEST(EtcdClient, StatusReportsVersionAndLeader) {
  Client c(test_endpoints());
  const StatusResult s = c.status(test_endpoints()[0]);
  EXPECT_FALSE(s.version.empty());
  EXPECT_NE(s.leader, 0u);
}

TEST(EtcdClient, MemberListAndDescribeCluster) {
  Client c(test_endpoints());
  const MemberListResult m = c.member_list();
  ASSERT_FALSE(m.members.empty());
  for (const auto& mem : m.members) EXPECT_NE(mem.id, 0u);
  if (endpoints_from_env().empty()) {
    // The node this test started advertises exactly the endpoint it uses (a
    // user's cluster may advertise another name for the same address).
    ASSERT_EQ(m.members.size(), 1u);
    EXPECT_EQ(m.members[0].client_urls, std::vector<std::string>{"http://" + test_endpoints()[0]});
    EXPECT_EQ(m.members[0].name, "n1");
  }
  const ClusterInfo info = describe_cluster(c);
  EXPECT_EQ(info.members, m.members.size());
  EXPECT_EQ(info.version, c.status(test_endpoints()[0]).version);
  EXPECT_EQ(info.endpoints, test_endpoints());
  EXPECT_EQ(info.cluster_id, m.header.cluster_id);
  const std::string line = info.to_string();
  EXPECT_EQ(line.rfind("etcd " + info.version + ", " + std::to_string(info.members) + " member", 0),
            0u)
      << line;
  EXPECT_NE(line.find(test_endpoints()[0]), std::string::npos) << line;
  // No endpoint answers: a typed error within the deadline, never a hang.
  Client dead(
      ClientOptions{{"127.0.0.1:" + std::to_string(pick_free_port())}, Millis(500), Millis(200)});
  try {
    describe_cluster(dead);
    FAIL() << "describe_cluster of an unreachable endpoint";
  } catch (const Error& e) {
    EXPECT_TRUE(e.code() == Errc::kUnavailable || e.code() == Errc::kDeadlineExceeded) << e.what();
  }
}

}  // namespace
}  // namespace syncscope::etcd
