// Barrier, DoubleBarrier (see barrier.h).
#include "syncscope/etcd/barrier.h"

#include "syncscope/etcd/internal/keys.h"
#include "syncscope/etcd/internal/wait.h"

namespace syncscope::etcd {

namespace {
// Waits for an event of `type` on key from revision rev.
void wait_event(Client& c, const std::string& key, int64_t rev, WatchEvent::Type type,
                const Context& ctx, Session* s, const std::string& what) {
  WatchOptions o;
  o.start_revision = rev;
  const auto end = internal::watch_until(c, key, o, ctx, s, [&](const WatchResponse& r) {
    for (const auto& e : r.events) {
      if (e.type == type) return true;
    }
    return false;
  });
  if (end != internal::WaitEnd::kDone) internal::throw_wait_end(end, ctx, what);
}
}  // namespace

void Barrier::hold() {
  const TxnResult t =
      c_.txn({Compare::create_revision(key_, Compare::Result::kEqual, 0)}, {Op::put(key_, "")});
  if (!t.succeeded) throw Error(Errc::kInternal, "etcd Barrier " + key_ + ": barrier already held");
}

void Barrier::release() { c_.del(key_); }

void Barrier::wait(const Context& ctx) {
  const GetResult g = c_.get(key_);
  if (g.kvs.empty()) return;
  // Any change (a delete; a put means it was released and held again: Go's
  // recipe treats both as the end of this wait).
  WatchOptions o;
  o.start_revision = g.header.revision + 1;
  const auto end = internal::watch_until(c_, key_, o, ctx, nullptr,
                                         [](const WatchResponse& r) { return !r.events.empty(); });
  if (end != internal::WaitEnd::kDone) {
    internal::throw_wait_end(end, ctx, "etcd Barrier " + key_ + " wait");
  }
}

DoubleBarrier::DoubleBarrier(Session& s, std::string key, int count)
    : s_(s), key_(std::move(key)), count_(count) {
  if (count < 1) {
    throw Error(Errc::kInvalidArgument,
                "etcd DoubleBarrier " + key_ + ": count " + std::to_string(count) + " (valid: >= 1)");
  }
}

void DoubleBarrier::enter(const Context& ctx) {
  Client& c = s_.client();
  if (s_.lost()) throw Error(Errc::kSessionExpired, "etcd DoubleBarrier " + key_ + ": session expired");
  mine_ = internal::new_unique_key(c, key_ + "/waiters", "", s_.lease());
  GetOptions all;
  all.prefix = true;
  all.count_only = true;
  const GetResult g = c.get(key_ + "/waiters/", all);
  if (g.count > count_) {
    c.del(mine_.key);
    mine_ = {};
    throw Error(Errc::kTooManyClients, "etcd DoubleBarrier " + key_ + ": too many clients (count " +
                                           std::to_string(count_) + ")");
  }
  if (g.count == count_) {
    c.put(key_ + "/ready", "");
    return;
  }
  wait_event(c, key_ + "/ready", mine_.create_revision, WatchEvent::Type::kPut, ctx, &s_,
             "etcd DoubleBarrier " + key_ + " enter");
}

void DoubleBarrier::leave(const Context& ctx) {
  Client& c = s_.client();
  const std::string what = "etcd DoubleBarrier " + key_ + " leave";
  for (;;) {
    GetOptions all;
    all.prefix = true;
    const GetResult g = c.get(key_ + "/waiters/", all);
    if (g.kvs.empty()) return;
    const KeyValue* lowest = &g.kvs[0];
    const KeyValue* highest = &g.kvs[0];
    bool present = false;
    for (const auto& kv : g.kvs) {
      if (kv.mod_revision < lowest->mod_revision) lowest = &kv;
      if (kv.mod_revision > highest->mod_revision) highest = &kv;
      present |= kv.key == mine_.key;
    }
    if (!present) {
      if (s_.lost()) throw Error(Errc::kSessionExpired, what + ": session expired");
      return;  // already left
    }
    if (g.kvs.size() == 1) {
      c.del(key_ + "/ready");
      c.del(mine_.key);
      mine_ = {};
      return;
    }
    if (lowest->key == mine_.key) {
      wait_event(c, highest->key, highest->mod_revision, WatchEvent::Type::kDelete, ctx, &s_, what);
      continue;
    }
    c.del(mine_.key);
    wait_event(c, lowest->key, lowest->mod_revision, WatchEvent::Type::kDelete, ctx, &s_, what);
    // The lowest participant leaves last, after everyone else: done.
    mine_ = {};
    return;
  }
}

}  // namespace syncscope::etcd
