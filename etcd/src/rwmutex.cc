// RWMutex (see rwmutex.h).
#include "syncscope/etcd/rwmutex.h"

#include "syncscope/etcd/internal/keys.h"
#include "syncscope/etcd/internal/wait.h"

namespace syncscope::etcd {

void RWMutex::acquire(const std::string& kind, const std::string& wait_prefix,
                      const Context& ctx) {
  const std::string what = "etcd RWMutex " + pfx_ + " " + kind;
  if (!mine_.key.empty()) throw Error(Errc::kInvalidArgument, what + ": already held by this object");
  if (s_.lost()) throw Error(Errc::kSessionExpired, what + ": session expired");
  Client& c = s_.client();
  mine_ = internal::new_unique_key(c, pfx_ + kind, "", s_.lease());
  try {
    for (;;) {
      GetOptions last;
      last.prefix = true;
      last.sort_target = SortTarget::kMod;
      last.sort_order = SortOrder::kDescend;
      last.limit = 1;
      last.max_mod_revision = mine_.create_revision - 1;
      const GetResult g = c.get(wait_prefix, last);
      if (g.kvs.empty()) break;
      // From the revision after the read (see wait_turn in wait.cc: a watch
      // from header.revision starts "unsynced" and waits for etcd's 100 ms loop).
      const auto end = internal::wait_delete(c, g.kvs[0].key, g.header.revision + 1, ctx, &s_);
      if (end != internal::WaitEnd::kDone) internal::throw_wait_end(end, ctx, what);
    }
    if (c.get(mine_.key).kvs.empty()) throw Error(Errc::kSessionExpired, what + ": session expired");
  } catch (...) {
    try {
      c.del(mine_.key);
    } catch (const Error&) {
    }
    mine_ = {};
    throw;
  }
}

void RWMutex::release(const char* what) {
  if (mine_.key.empty()) {
    throw Error(Errc::kLockNotHeld, "etcd RWMutex " + pfx_ + ": " + what + " of unlocked RWMutex");
  }
  s_.client().del(mine_.key);
  mine_ = {};
}

void RWMutex::lock(const Context& ctx) { acquire("write", pfx_, ctx); }
void RWMutex::lock_shared(const Context& ctx) { acquire("read", pfx_ + "write/", ctx); }
void RWMutex::unlock() { release("unlock"); }
void RWMutex::unlock_shared() { release("unlock_shared"); }

}  // namespace syncscope::etcd
