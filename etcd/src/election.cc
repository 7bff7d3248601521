// Election (see election.h).
#include "syncscope/etcd/election.h"

#include <cstdio>

#include "syncscope/etcd/internal/wait.h"
#include "syncscope/select.h"

namespace syncscope::etcd {

namespace {
std::string hex(int64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}
GetOptions oldest_of_prefix() {
  GetOptions o;
  o.prefix = true;
  o.sort_target = SortTarget::kCreate;
  o.sort_order = SortOrder::kAscend;
  o.limit = 1;
  return o;
}
}  // namespace

Election::Election(Session& s, std::string prefix) : s_(s), pfx_(std::move(prefix) + "/") {}

void Election::campaign(const std::string& value, const Context& ctx) {
  if (s_.lost()) throw Error(Errc::kSessionExpired, "etcd Election " + pfx_ + ": session expired");
  Client& c = s_.client();
  const std::string k = pfx_ + hex(s_.lease());
  const TxnResult r = c.txn({Compare::create_revision(k, Compare::Result::kEqual, 0)},
                            {Op::put(k, value, s_.lease())}, {Op::get_key(k)});
  key_ = k;
  rev_ = r.header.revision;
  if (!r.succeeded) {
    const KeyValue& kv = r.responses.at(0).get.kvs.at(0);
    rev_ = kv.create_revision;
    if (kv.value != value) proclaim(value);
  }
  const std::string what = "etcd Election " + pfx_ + " campaign";
  try {
    header_ = internal::wait_turn(c, pfx_, key_, rev_, ctx, &s_, what);
  } catch (...) {
    try {
      c.txn({Compare::create_revision(key_, Compare::Result::kEqual, rev_)}, {Op::del(key_)});
    } catch (const Error&) {
    }
    key_.clear();
    rev_ = -1;
    throw;
  }
}

void Election::proclaim(const std::string& value) {
  if (key_.empty()) {
    throw Error(Errc::kElectionNotLeader, "etcd Election " + pfx_ + ": proclaim: not leader");
  }
  const TxnResult r = s_.client().txn({Compare::create_revision(key_, Compare::Result::kEqual, rev_)},
                                      {Op::put(key_, value, s_.lease())});
  if (!r.succeeded) {
    key_.clear();
    rev_ = -1;
    throw Error(Errc::kElectionNotLeader, "etcd Election " + pfx_ + ": proclaim: not leader");
  }
  header_ = r.header;
}

void Election::resign() {
  if (key_.empty()) {
    throw Error(Errc::kElectionNotLeader, "etcd Election " + pfx_ + ": resign: not leader");
  }
  const TxnResult r = s_.client().txn(
      {Compare::create_revision(key_, Compare::Result::kEqual, rev_)}, {Op::del(key_)});
  header_ = r.header;
  key_.clear();
  rev_ = -1;
}

KeyValue Election::leader() {
  const GetResult g = s_.client().get(pfx_, oldest_of_prefix());
  if (g.kvs.empty()) throw Error(Errc::kElectionNoLeader, "etcd Election " + pfx_ + ": no leader");
  return g.kvs[0];
}

Observer::~Observer() { stop(); }

void Observer::stop() {
  if (!thread_) return;
  cancel_();
  thread_->join();
  thread_.reset();
}

Observer Election::observe(const Context& parent) {
  Observer o;
  o.ch_ = Chan<KeyValue>(0);
  auto [ctx, cancel] = with_cancel(parent);
  o.cancel_ = cancel;
  Client* c = &s_.client();
  const std::string pfx = pfx_;
  Chan<KeyValue> ch = o.ch_;
  o.thread_ = std::make_unique<std::thread>([c, pfx, ch, ctx = ctx] {
    // Sends kv unless ctx ends first; false: stop.
    auto deliver = [&](const KeyValue& kv) {
      return Select().send(ch, kv).recv(ctx.done()).run() == 0;
    };
    try {
      for (;;) {
        if (ctx.err()) break;
        const GetResult g = c->get(pfx, oldest_of_prefix());
        KeyValue kv;
        int64_t rev;
        if (g.kvs.empty()) {
          // Wait for the first put on the prefix.
          WatchOptions w;
          w.prefix = true;
          w.start_revision = g.header.revision;
          bool got = false;
          const auto end =
              internal::watch_until(*c, pfx, w, ctx, nullptr, [&](const WatchResponse& r) {
                for (const auto& e : r.events) {
                  if (e.type == WatchEvent::Type::kPut) {
                    kv = e.kv;
                    got = true;
                    return true;
                  }
                }
                return false;
              });
          if (end != internal::WaitEnd::kDone || !got) break;
          rev = kv.mod_revision;
        } else {
          kv = g.kvs[0];
          rev = g.header.revision;
        }
        if (!deliver(kv)) break;
        // Follow this leader's key: each new value, until it is deleted.
        WatchOptions w;
        w.start_revision = rev + 1;
        bool stopped = false;
        const auto end =
            internal::watch_until(*c, kv.key, w, ctx, nullptr, [&](const WatchResponse& r) {
              for (const auto& e : r.events) {
                if (e.type == WatchEvent::Type::kDelete) return true;
                if (!deliver(e.kv)) {
                  stopped = true;
                  return true;
                }
              }
              return false;
            });
        if (stopped || end != internal::WaitEnd::kDone) break;
      }
    } catch (const Error&) {
      // The watch failed for good (compaction, no endpoint): close, as Go's.
    }
    ch.close();
  });
  return o;
}

}  // namespace syncscope::etcd
