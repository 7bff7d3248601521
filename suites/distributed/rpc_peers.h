// rpc_peers.h — etcd's server-side lock and election services, called
// directly from C++: the `etcd_lock_rpc` and `etcd_election_rpc` peers of
// the distributed suite.
//
// etcd runs these recipes inside the server (etcdserver/api/v3lock and
// v3election, which wrap clientv3/concurrency's Mutex and Election around a
// client of the server itself): one RPC per Lock / Unlock / Campaign /
// Resign from the caller's point of view, the waiting done on the server.
// The caller supplies the lease (here: a syncscope Session's), as Go's
// `etcdctl lock` does.
//
//   LockRpc(endpoint)           one gRPC channel of its own to one member
//     lock(name, lease) -> key  v3lockpb.Lock: blocks until held
//     unlock(key)               v3lockpb.Unlock
//   ElectionRpc(endpoint)
//     campaign(name, lease, value) -> LeaderKey   v3electionpb.Campaign
//     resign(LeaderKey)                            v3electionpb.Resign
// Failures throw syncscope::etcd::Error (kUnavailable / kDeadlineExceeded /
// kInternal) with gRPC's message. No fail-over: a peer is measured on a
// healthy cluster only (the fault workloads use syncscope's primitives).
// One object per thread.
#ifndef SYNCSCOPE_SUITES_DISTRIBUTED_RPC_PEERS_H_
#define SYNCSCOPE_SUITES_DISTRIBUTED_RPC_PEERS_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace syncscope::suites::distributed {

struct LeaderKeyRef {
  std::string name;
  std::string key;
  int64_t rev = 0;
  int64_t lease = 0;
};

class LockRpc {
 public:
  explicit LockRpc(const std::string& endpoint,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));
  ~LockRpc();
  LockRpc(const LockRpc&) = delete;
  LockRpc& operator=(const LockRpc&) = delete;
  std::string lock(const std::string& name, int64_t lease);
  void unlock(const std::string& key);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class ElectionRpc {
 public:
  explicit ElectionRpc(const std::string& endpoint,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));
  ~ElectionRpc();
  ElectionRpc(const ElectionRpc&) = delete;
  ElectionRpc& operator=(const ElectionRpc&) = delete;
  LeaderKeyRef campaign(const std::string& name, int64_t lease, const std::string& value);
  void resign(const LeaderKeyRef& leader);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace syncscope::suites::distributed

#endif  // SYNCSCOPE_SUITES_DISTRIBUTED_RPC_PEERS_H_
