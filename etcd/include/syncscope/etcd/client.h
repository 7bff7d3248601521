// syncscope/etcd/client.h — Client: a native C++ client of etcd's v3 gRPC API.
//
// This file offers:
//   ClientOptions{endpoints, call_timeout, attempt_timeout}
//   Client(options)                       one gRPC channel per endpoint, opened lazily
//   KV:     put, get, del, txn, compact           (Compare on value, version, create and mod
//                                          revision; Op put/get/delete)
//   Lease:  lease_grant, lease_revoke, lease_keep_alive_once, lease_ttl
//   Watch:  watch(key, WatchOptions) -> Watch  (from a revision, prefix, progress
//                                          notifications, previous values);
//           Watch::request_progress()     ask for a progress notification now
//   Maintenance: status(endpoint)         member id, leader id, raft term, version
//   Cluster: member_list()                the members (id, name, peer and client URLs)
//   describe_cluster(client)              version, member count and endpoints of the
//                                          cluster behind a client: the context a run
//                                          records when it uses a user's own cluster
//   parse_endpoints("h:p,h:p")            validation of a user's endpoint list
//   endpoints_from_env()                  SYNCSCOPE_ETCD_ENDPOINTS, or {} if unset
//
// Go names -> C++: clientv3.New -> Client(options); Put/Get/Delete -> put/get/del;
// Txn(ctx).If(..).Then(..).Else(..).Commit() -> txn(ifs, thens, elses);
// Grant/Revoke/KeepAliveOnce/TimeToLive -> lease_grant/lease_revoke/
// lease_keep_alive_once/lease_ttl; Watch -> watch; Status -> status;
// MemberList -> member_list; WatchChan's RequestProgress -> Watch::request_progress.
//
// Deadlines. Every call takes an optional Deadline (steady_clock); the default
// is now + call_timeout. gRPC 1.51 takes system_clock time points, so the
// deadline is converted at the call (system now + steady remaining): a wall
// clock step during a call moves gRPC's deadline, not ours — the loop below
// re-checks the steady deadline before each attempt.
//
// Fail-over. A call goes to the current endpoint. On UNAVAILABLE (node down,
// connection refused, "no leader", "leader changed", "request timed out") or
// when one attempt runs past attempt_timeout (a follower waiting on a dead
// leader), the client moves to the next endpoint and retries with a short
// backoff until the call's deadline, then throws Errc::kUnavailable (or
// kDeadlineExceeded). Consequence: a mutation whose response was lost may be
// applied twice (at-least-once, as Go's clientv3 for retried requests). The
// primitives in this folder only issue mutations that are idempotent or
// guarded by compares (a retried lock-key create finds its own key; a retried
// fenced write fails its compare and is detected by its caller).
//
// Thread safety: every method may be called from any thread concurrently.
// Errors: syncscope::etcd::Error (error.h) with a typed code and etcd's message.
#ifndef SYNCSCOPE_ETCD_CLIENT_H_
#define SYNCSCOPE_ETCD_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "syncscope/etcd/error.h"

namespace syncscope::etcd {

using Deadline = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

struct ClientOptions {
  std::vector<std::string> endpoints;  // "host:port"
  Millis call_timeout{10000};          // default per-call deadline
  Millis attempt_timeout{3000};        // one attempt on one endpoint
};

// A response header: the revision is the store's revision when the call ran.
struct Header {
  uint64_t cluster_id = 0;
  uint64_t member_id = 0;
  int64_t revision = 0;
  uint64_t raft_term = 0;
};

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

enum class SortTarget { kKey, kVersion, kCreate, kMod, kValue };
enum class SortOrder { kNone, kAscend, kDescend };

struct GetOptions {
  std::string range_end;      // "" = the key alone; use prefix = true for a prefix
  bool prefix = false;        // range_end = prefix_end(key)
  int64_t limit = 0;          // 0 = no limit
  int64_t revision = 0;       // 0 = newest
  SortTarget sort_target = SortTarget::kKey;
  SortOrder sort_order = SortOrder::kNone;
  bool keys_only = false;
  bool count_only = false;
  bool serializable = false;  // local read on the member (no quorum)
  int64_t min_create_revision = 0;
  int64_t max_create_revision = 0;
  int64_t min_mod_revision = 0;
  int64_t max_mod_revision = 0;
};

struct GetResult {
  Header header;
  std::vector<KeyValue> kvs;
  int64_t count = 0;
  bool more = false;
};

struct PutResult {
  Header header;
  std::optional<KeyValue> prev_kv;
};

struct DeleteResult {
  Header header;
  int64_t deleted = 0;
  std::vector<KeyValue> prev_kvs;
};

// A comparison of a transaction: key's <target> <result> <operand>.
struct Compare {
  enum class Target { kVersion, kCreate, kMod, kValue, kLease };
  enum class Result { kEqual, kGreater, kLess, kNotEqual };
  std::string key;
  std::string range_end;
  Target target = Target::kVersion;
  Result result = Result::kEqual;
  int64_t number = 0;  // version / revision / lease operand
  std::string value;   // value operand

  static Compare version(std::string key, Result r, int64_t v);
  static Compare create_revision(std::string key, Result r, int64_t rev);
  static Compare mod_revision(std::string key, Result r, int64_t rev);
  static Compare value_of(std::string key, Result r, std::string v);
  static Compare lease_of(std::string key, Result r, int64_t lease);
};

struct Op {
  enum class Kind { kGet, kPut, kDelete };
  Kind kind = Kind::kGet;
  std::string key;
  std::string value;      // put
  int64_t lease = 0;      // put
  bool prev_kv = false;   // put, delete
  GetOptions get;         // get; get.range_end / get.prefix also used by delete

  static Op put(std::string key, std::string value, int64_t lease = 0);
  static Op get_key(std::string key, GetOptions o = {});
  static Op del(std::string key, bool prefix = false);
};

struct OpResult {
  Op::Kind kind = Op::Kind::kGet;
  GetResult get;
  PutResult put;
  DeleteResult del;
};

struct TxnResult {
  Header header;
  bool succeeded = false;
  std::vector<OpResult> responses;
};

struct LeaseGrantResult {
  Header header;
  int64_t id = 0;
  int64_t ttl = 0;
};

struct LeaseTtlResult {
  Header header;
  int64_t ttl = -1;  // -1: the lease does not exist (expired or revoked)
  int64_t granted_ttl = 0;
};

struct StatusResult {
  Header header;
  std::string version;
  uint64_t leader = 0;
  uint64_t raft_index = 0;
  uint64_t raft_term = 0;
};

struct Member {
  uint64_t id = 0;
  std::string name;  // empty for a member that has not started yet
  std::vector<std::string> peer_urls;
  std::vector<std::string> client_urls;
  bool is_learner = false;
};

struct MemberListResult {
  Header header;
  std::vector<Member> members;
};

// What a run records about the cluster it used (see describe_cluster).
struct ClusterInfo {
  std::string version;                 // server version (Status) of the first member answering
  std::size_t members = 0;             // MemberList size
  uint64_t cluster_id = 0;
  std::vector<std::string> endpoints;  // the client's endpoints, as given
  // "etcd 3.4.23, 3 members, endpoints 127.0.0.1:1,127.0.0.1:2,..." (one line).
  std::string to_string() const;
};

struct WatchOptions {
  std::string range_end;
  bool prefix = false;
  int64_t start_revision = 0;  // 0 = from now
  bool progress_notify = false;
  bool prev_kv = false;
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;
  std::optional<KeyValue> prev_kv;
};

// A progress notification (progress == true, no events) says: every change
// to the watched keys up to header.revision has been delivered. etcd sends
// one (a) every --experimental-watch-progress-notify-interval (default 10
// min) to a watch with progress_notify set, once it is in sync, and (b) in
// answer to Watch::request_progress(). A reopened stream resumes after the
// revision of a periodic notification (a); not after an answer to a request
// (b): etcd 3.4 can send that one ahead of events still queued for the watch.
struct WatchResponse {
  Header header;
  std::vector<WatchEvent> events;
  bool progress = false;  // a progress notification (no events)
};

// The smallest key greater than every key starting with `prefix` (etcd's
// GetPrefixRangeEnd).
std::string prefix_end(const std::string& prefix);

// "h:p,h:p" -> endpoints; throws Errc::kInvalidArgument naming the bad entry.
std::vector<std::string> parse_endpoints(const std::string& csv);
// SYNCSCOPE_ETCD_ENDPOINTS parsed, or an empty list when unset or empty.
std::vector<std::string> endpoints_from_env();

class Client;
// Version (Status of the first endpoint that answers), member count
// (MemberList), cluster id and the client's endpoints. Throws Error like any
// call when no endpoint answers before d.
ClusterInfo describe_cluster(Client& c, std::optional<Deadline> d = {});

class Watch;

namespace detail {
struct ClientImpl;
struct WatchImpl;
}  // namespace detail

class Client {
 public:
  explicit Client(ClientOptions o);
  explicit Client(std::vector<std::string> endpoints) : Client(ClientOptions{std::move(endpoints)}) {}
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::vector<std::string>& endpoints() const noexcept;
  Deadline default_deadline() const;

  PutResult put(const std::string& key, const std::string& value, int64_t lease = 0,
                bool prev_kv = false, std::optional<Deadline> d = {});
  GetResult get(const std::string& key, const GetOptions& o = {}, std::optional<Deadline> d = {});
  DeleteResult del(const std::string& key, bool prefix = false, bool prev_kv = false,
                   std::optional<Deadline> d = {});
  TxnResult txn(const std::vector<Compare>& ifs, const std::vector<Op>& thens,
                const std::vector<Op>& elses = {}, std::optional<Deadline> d = {});

  // Compacts the key-value history up to `revision` (KV.Compact, physical).
  void compact(int64_t revision, std::optional<Deadline> d = {});

  LeaseGrantResult lease_grant(int64_t ttl_seconds, std::optional<Deadline> d = {});
  void lease_revoke(int64_t id, std::optional<Deadline> d = {});
  // One keep-alive round trip on the LeaseKeepAlive stream; returns the new TTL
  // (<= 0: the lease is gone).
  int64_t lease_keep_alive_once(int64_t id, std::optional<Deadline> d = {});
  LeaseTtlResult lease_ttl(int64_t id, std::optional<Deadline> d = {});

  // Status of one member (endpoint must be one of endpoints() or any reachable
  // member); no fail-over.
  StatusResult status(const std::string& endpoint, std::optional<Deadline> d = {});

  // The cluster's members (Cluster.MemberList, with fail-over).
  MemberListResult member_list(std::optional<Deadline> d = {});

  // Opens a watch and waits for the server to confirm it: every change made
  // after watch() returns is delivered. The stream lives until the Watch is
  // destroyed or cancel()ed, or until `until` passes (nullopt: no limit).

  Watch watch(const std::string& key, const WatchOptions& o = {},
              std::optional<Deadline> until = {});

 private:
  friend class Watch;
  friend struct detail::WatchImpl;
  std::unique_ptr<detail::ClientImpl> impl_;
};

// A watch stream. next() blocks until a response with events (or a progress
// notification) arrives and returns it; nullopt once the watch was cancelled
// (cancel(), from any thread) or its `until` deadline passed. A broken stream
// (the member died) is reopened on the next endpoint from the revision after
// the last one delivered, so no event is lost or repeated. Throws
// Errc::kCompacted if the start revision was compacted away.
//
// None of this library's primitives relies on progress notifications: their
// waits end on events (deletes, puts) or on a context / session loss.
class Watch {
 public:
  Watch(Watch&&) noexcept;
  Watch& operator=(Watch&&) noexcept;
  ~Watch();
  std::optional<WatchResponse> next();
  // Asks the server for a progress notification (etcd >= 3.4): a later next()
  // returns a response with progress == true and the store's revision at the
  // time of the request. Call it from the thread that calls next() (not while
  // another thread is inside next()). If the stream breaks before the answer
  // arrives, the request is sent again on the reopened stream.
  void request_progress();
  void cancel();  // thread-safe; idempotent
  bool cancelled() const noexcept;

 private:
  friend class Client;
  explicit Watch(std::unique_ptr<detail::WatchImpl> i);
  std::unique_ptr<detail::WatchImpl> impl_;
};

}  // namespace syncscope::etcd

#endif  // SYNCSCOPE_ETCD_CLIENT_H_
