// syncscope/etcd/fence.h — fencing tokens: why a distributed lock alone is not
// enough, and the two defences.
//
// The problem. A Mutex holder's claim "I hold the lock" is true only up to the
// moment its lease expires on the server. A process can stop for longer than
// its TTL without knowing — a GC pause, SIGSTOP, swapping, a VM migration, a
// slow disk — and then resume in the middle of its critical section and
// write. Meanwhile the lease expired, etcd deleted its key and the next waiter
// acquired the lock: two writers, each certain it is alone. No check made
// *before* the write closes the gap (the pause can fall between the check and
// the write). The protected resource itself must refuse the stale writer.
//
// The defence: every acquisition carries a fencing token — Mutex::fencing_token(),
// the lock key's create revision, which etcd assigns in strictly increasing
// order, so a later holder always has a larger token (Kleppmann, "How to do
// distributed locking", 2016; Chubby's sequencers).
//
// This file offers:
//   guarded_txn(mutex, ops)          a transaction that applies ops only while the
//                                    mutex's key still exists with its create
//                                    revision (Mutex::is_owner()): the write is
//                                    atomic with the ownership check, on the etcd
//                                    side. Returns TxnResult; succeeded == false:
//                                    not the owner any more, nothing written.
//   guarded_put(mutex, key, value)   the same for one put -> bool
//   FencedResource                   an in-process resource (a storage service,
//                                    a device) that remembers the highest token it
//                                    has seen and rejects any lower one:
//                                    admit(token) -> bool
//   FencedKey(client, key)           the same rule for a key in etcd: the highest
//                                    token is kept in "<key>/fence"; write(value,
//                                    token) succeeds only if token >= it, and
//                                    raises it, in one transaction.
// guarded_* needs the resource to live in the same etcd as the lock; the
// token rule (FencedResource/FencedKey) works for any resource that can store
// one number and compare it with each write.
#ifndef SYNCSCOPE_ETCD_FENCE_H_
#define SYNCSCOPE_ETCD_FENCE_H_

#include <atomic>
#include <string>
#include <vector>

#include "syncscope/etcd/client.h"
#include "syncscope/etcd/mutex.h"

namespace syncscope::etcd {

TxnResult guarded_txn(const Mutex& m, const std::vector<Op>& ops, std::optional<Deadline> d = {});
bool guarded_put(const Mutex& m, const std::string& key, const std::string& value,
                 std::optional<Deadline> d = {});

// Thread-safe. Memory ordering: admit() is a CAS loop on one atomic; a
// successful admit happens-before every later admit on the same object.
class FencedResource {
 public:
  // True if token >= the highest token admitted so far (and records it).
  bool admit(int64_t token) noexcept;
  int64_t highest() const noexcept { return highest_.load(std::memory_order_acquire); }

 private:
  std::atomic<int64_t> highest_{0};  // only grows
};

class FencedKey {
 public:
  FencedKey(Client& c, std::string key);
  // Writes value under key() if token >= the highest token written so far;
  // ops (optional) are applied in the same transaction. False: rejected.
  bool write(const std::string& value, int64_t token, const std::vector<Op>& ops = {},
             std::optional<Deadline> d = {});
  int64_t highest();
  const std::string& key() const noexcept { return key_; }
  std::string fence_key() const { return key_ + "/fence"; }

 private:
  Client& c_;
  std::string key_;
};

// Zero-padded decimal: etcd compares values as bytes, so padding makes the
// byte order the numeric order.
std::string fence_encode(int64_t token);

}  // namespace syncscope::etcd

#endif  // SYNCSCOPE_ETCD_FENCE_H_
