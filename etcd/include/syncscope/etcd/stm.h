// syncscope/etcd/stm.h — software transactional memory on etcd (Go's
// clientv3/concurrency.STM / NewSTM).
//
// This file offers:
//   run_stm(client, apply, StmOptions{isolation, ctx, prefetch}) -> StmResult
//       runs apply(Stm&) against a transactional view of etcd and commits its
//       writes in one transaction; when the commit's conflict check fails, the
//       view is reset and apply runs again (no limit, as Go's; ctx ends it).
//   Stm::get(key) -> value ("" if absent), put(key, value), del(key), rev(key)
//   Isolation: kSerializableSnapshot (default), kSerializable, kRepeatableReads,
//              kReadCommitted
//
// Isolation levels (etcd's definitions):
//   kSerializableSnapshot  reads come from one snapshot (the revision of the
//                          first read); the commit fails if any key read OR
//                          written changed after that snapshot: no write skew,
//                          no lost update.
//   kSerializable          one snapshot for reads; the commit fails if a key
//                          read changed (written keys are not checked).
//   kRepeatableReads       each key is read once (cached) from the newest
//                          revision; the commit fails if a key read changed.
//   kReadCommitted         reads are never checked: the commit always applies
//                          (lost updates possible; reads see committed data only).
// On a failed commit, kSerializable* reuse the values the failed transaction
// read back as the next attempt's prefetch (one round trip saved), as Go's.
//
// apply may throw: the exception leaves run_stm, nothing is committed.
// Retries after a lost commit response (fail-over) re-run apply: the
// transaction is applied at least once — a transfer stays balanced, but
// counts the caller keeps outside etcd may see a repeat.
#ifndef SYNCSCOPE_ETCD_STM_H_
#define SYNCSCOPE_ETCD_STM_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "syncscope/context.h"
#include "syncscope/etcd/client.h"

namespace syncscope::etcd {

enum class Isolation { kSerializableSnapshot, kSerializable, kRepeatableReads, kReadCommitted };

struct StmOptions {
  Isolation isolation = Isolation::kSerializableSnapshot;
  Context ctx = Context::background();
  std::vector<std::string> prefetch;
};

class Stm {
 public:
  std::string get(const std::string& key);
  void put(const std::string& key, const std::string& value, int64_t lease = 0);
  void del(const std::string& key);
  int64_t rev(const std::string& key);  // mod revision of key in the view, 0 if absent

 private:
  friend struct StmRunner;
  struct Read {
    Header header;
    std::optional<KeyValue> kv;
  };
  const Read& fetch(const std::string& key);
  Client* c_ = nullptr;
  Isolation iso_ = Isolation::kSerializableSnapshot;
  int64_t snapshot_rev_ = 0;  // serializable levels: revision of the first read
  std::map<std::string, Read> rset_;
  std::map<std::string, Read> prefetched_;
  std::map<std::string, Op> wset_;
};

struct StmResult {
  TxnResult txn;
  int retries = 0;  // failed commits before the successful one
};

StmResult run_stm(Client& c, const std::function<void(Stm&)>& apply, const StmOptions& o = {});

}  // namespace syncscope::etcd

#endif  // SYNCSCOPE_ETCD_STM_H_
