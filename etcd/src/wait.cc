// Blocking waits on watches (see internal/wait.h).
#include "syncscope/etcd/internal/wait.h"

#include <memory>
#include <mutex>

namespace syncscope::etcd::internal {
namespace {

// Shared between the waiting thread and the cancel callbacks (which may run
// on another thread after the wait returned): the watch is detached under mu
// before it is destroyed.
struct CancelTarget {
  std::mutex mu;
  Watch* watch = nullptr;  // guarded by mu
  bool fired = false;      // guarded by mu
  void fire() {
    std::lock_guard<std::mutex> g(mu);
    fired = true;
    if (watch) watch->cancel();
  }
};

}  // namespace

WaitEnd watch_until(Client& c, const std::string& key, const WatchOptions& o, const Context& ctx,
                    Session* session, const std::function<bool(const WatchResponse&)>& on_response) {
  auto target = std::make_shared<CancelTarget>();
  Watch w = c.watch(key, o);
  {
    std::lock_guard<std::mutex> g(target->mu);
    target->watch = &w;
  }
  AfterFuncStop stop_ctx = after_func(ctx, [target] { target->fire(); });
  uint64_t hook = session ? session->add_loss_hook([target] { target->fire(); }) : 0;
  struct Cleanup {
    std::shared_ptr<CancelTarget> t;
    AfterFuncStop& s;
    Session* sess;
    uint64_t hook;
    ~Cleanup() {
      s();
      if (sess && hook) sess->remove_loss_hook(hook);
      std::lock_guard<std::mutex> g(t->mu);
      t->watch = nullptr;
    }
  } cleanup{target, stop_ctx, session, hook};
  for (;;) {
    std::optional<WatchResponse> r = w.next();
    if (!r) break;
    if (on_response(*r)) return WaitEnd::kDone;
  }
  if (ctx.err()) return WaitEnd::kContext;
  if (session && session->lost()) return WaitEnd::kSessionLost;
  // The watch ended without a cancel from us (its deadline): report as context.
  return WaitEnd::kContext;
}

WaitEnd wait_delete(Client& c, const std::string& key, int64_t rev, const Context& ctx,
                    Session* session) {
  WatchOptions o;
  o.start_revision = rev;
  return watch_until(c, key, o, ctx, session, [](const WatchResponse& r) {
    for (const auto& e : r.events) {
      if (e.type == WatchEvent::Type::kDelete) return true;
    }
    return false;
  });
}

Header wait_turn(Client& c, const std::string& prefix, const std::string& my_key,
                         int64_t my_rev, const Context& ctx, Session* session,
                         const std::string& what) {
  for (;;) {
    GetOptions pred;
    pred.prefix = true;
    pred.sort_target = SortTarget::kCreate;
    pred.sort_order = SortOrder::kDescend;
    pred.limit = 1;
    pred.max_create_revision = my_rev - 1;
    const GetResult g = c.get(prefix, pred);
    if (g.kvs.empty()) break;
    // Watch from the revision AFTER the read: the read showed the predecessor
    // alive at header.revision, so its delete has a later revision and a
    // watch from header.revision + 1 sees it. Starting at header.revision
    // (as Go's waitDelete does) makes etcd 3.4 register the watcher as
    // "unsynced" (start revision not above the store's), and unsynced
    // watchers are caught up by a loop that runs every 100 ms: every
    // contended hand-off then waits up to 100 ms (measured by the
    // distributed suite: ~100 ms p50 waits at 4+ clients).
    const WaitEnd end = wait_delete(c, g.kvs[0].key, g.header.revision + 1, ctx, session);
    if (end != WaitEnd::kDone) throw_wait_end(end, ctx, what);
  }
  const GetResult mine = c.get(my_key);
  if (mine.kvs.empty() || mine.kvs[0].create_revision != my_rev) {
    throw Error(Errc::kSessionExpired, what + ": session expired");
  }
  return mine.header;
}

void throw_wait_end(WaitEnd e, const Context& ctx, const std::string& what) {
  if (e == WaitEnd::kSessionLost) throw Error(Errc::kSessionExpired, what + ": session expired");
  if (ctx.err() == ContextErrc::kDeadlineExceeded) {
    throw Error(Errc::kDeadlineExceeded, what + ": context deadline exceeded");
  }
  throw Error(Errc::kCanceled, what + ": context canceled");
}

}  // namespace syncscope::etcd::internal
