// STM (see stm.h); algorithm after etcd's clientv3/concurrency/stm.go.
#include "syncscope/etcd/stm.h"

namespace syncscope::etcd {

const Stm::Read& Stm::fetch(const std::string& key) {
  if (auto it = rset_.find(key); it != rset_.end()) return it->second;
  if (auto it = prefetched_.find(key); it != prefetched_.end()) {
    auto& r = rset_[key] = it->second;
    prefetched_.erase(it);
    if (snapshot_rev_ == 0) snapshot_rev_ = r.header.revision;
    return r;
  }
  GetOptions o;
  const bool snapshot = iso_ == Isolation::kSerializableSnapshot || iso_ == Isolation::kSerializable;
  if (snapshot && snapshot_rev_ != 0) {
    o.revision = snapshot_rev_;
    o.serializable = true;
  } else if (!snapshot) {
    o.serializable = true;
  }
  const GetResult g = c_->get(key, o);
  Read r;
  r.header = g.header;
  if (!g.kvs.empty()) r.kv = g.kvs[0];
  if (snapshot && snapshot_rev_ == 0) snapshot_rev_ = g.header.revision;
  return rset_[key] = std::move(r);
}

std::string Stm::get(const std::string& key) {
  if (auto it = wset_.find(key); it != wset_.end()) {
    return it->second.kind == Op::Kind::kPut ? it->second.value : "";
  }
  const Read& r = fetch(key);
  return r.kv ? r.kv->value : "";
}

void Stm::put(const std::string& key, const std::string& value, int64_t lease) {
  wset_[key] = Op::put(key, value, lease);
}

void Stm::del(const std::string& key) { wset_[key] = Op::del(key); }

int64_t Stm::rev(const std::string& key) {
  const Read& r = fetch(key);
  return r.kv ? r.kv->mod_revision : 0;
}

struct StmRunner {
  static StmResult run(Client& c, const std::function<void(Stm&)>& apply, const StmOptions& o) {
    Stm s;
    s.c_ = &c;
    s.iso_ = o.isolation;
    StmResult out;
    for (;;) {
      if (o.ctx.err()) {
        throw Error(o.ctx.err() == ContextErrc::kDeadlineExceeded ? Errc::kDeadlineExceeded
                                                                   : Errc::kCanceled,
                    "etcd STM: " + o.ctx.err().message());
      }
      s.rset_.clear();
      s.wset_.clear();
      s.snapshot_rev_ = 0;
      for (const auto& k : o.prefetch) s.get(k);
      apply(s);
      std::vector<Compare> ifs;
      // A key read is current: same mod revision, or still absent.
      for (const auto& [k, r] : s.rset_) {
        if (o.isolation == Isolation::kReadCommitted) break;
        if (r.kv) {
          ifs.push_back(Compare::mod_revision(k, Compare::Result::kEqual, r.kv->mod_revision));
        } else {
          ifs.push_back(Compare::mod_revision(k, Compare::Result::kLess, r.header.revision + 1));
        }
      }
      if (o.isolation == Isolation::kSerializableSnapshot) {
        int64_t first = INT64_MAX - 1;
        for (const auto& [k, r] : s.rset_) first = std::min(first, r.header.revision);
        for (const auto& [k, op] : s.wset_) {
          ifs.push_back(Compare::mod_revision(k, Compare::Result::kLess, first + 1));
        }
      }
      std::vector<Op> thens, elses;
      std::vector<std::string> keys;
      for (const auto& [k, op] : s.wset_) thens.push_back(op);
      const bool serial = o.isolation == Isolation::kSerializableSnapshot ||
                          o.isolation == Isolation::kSerializable;
      if (serial) {
        for (const auto& [k, r] : s.rset_) {
          keys.push_back(k);
          elses.push_back(Op::get_key(k));
        }
      }
      TxnResult t = c.txn(ifs, thens, elses);
      if (t.succeeded) {
        out.txn = std::move(t);
        return out;
      }
      ++out.retries;
      s.prefetched_.clear();
      if (serial) {
        for (std::size_t i = 0; i < keys.size(); ++i) {
          Stm::Read r;
          r.header = t.header;
          const auto& kvs = t.responses.at(i).get.kvs;
          if (!kvs.empty()) r.kv = kvs[0];
          s.prefetched_[keys[i]] = std::move(r);
        }
      }
    }
  }
};

StmResult run_stm(Client& c, const std::function<void(Stm&)>& apply, const StmOptions& o) {
  return StmRunner::run(c, apply, o);
}

}  // namespace syncscope::etcd
