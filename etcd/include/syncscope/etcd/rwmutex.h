// syncscope/etcd/rwmutex.h — RWMutex: a distributed reader/writer lock
// (etcd's contrib/recipes RWMutex).
//
// This file offers:
//   RWMutex(session, prefix)
//     lock(ctx) / unlock()               the writer side (RWMutex.Lock/Unlock)
//     lock_shared(ctx) / unlock_shared() the reader side (RLock/RUnlock)
//   SharedLockable, so std::unique_lock / std::shared_lock work on it.
//
// Algorithm (etcd's, anew): a reader creates "<prefix>/read/<unique>", a writer
// "<prefix>/write/<unique>", on the session's lease. Everyone is ordered by
// that key's revision. A reader waits for the last *writer* key older than its
// own to go; a writer waits for the last key of *either* kind older than its
// own. So readers share the lock with each other; a waiting writer blocks
// every reader that arrives after it (no writer starvation); a writer waits
// for all earlier readers. Each waiter watches one key (the one just before
// it), then looks again.
//
// Misuse: unlock()/unlock_shared() without holding throw Errc::kLockNotHeld.
// A session lost while waiting ends the wait with Errc::kSessionExpired.
// One RWMutex object holds at most one side at a time; one thread per object.
#ifndef SYNCSCOPE_ETCD_RWMUTEX_H_
#define SYNCSCOPE_ETCD_RWMUTEX_H_

#include <string>

#include "syncscope/context.h"
#include "syncscope/etcd/session.h"

namespace syncscope::etcd {

class RWMutex {
 public:
  RWMutex(Session& s, std::string prefix) : s_(s), pfx_(std::move(prefix) + "/") {}
  void lock(const Context& ctx = Context::background());
  void unlock();
  void lock_shared(const Context& ctx = Context::background());
  void unlock_shared();
  bool held() const noexcept { return !mine_.key.empty(); }

 private:
  void acquire(const std::string& kind, const std::string& wait_prefix, const Context& ctx);
  void release(const char* what);
  Session& s_;
  std::string pfx_;
  KeyValue mine_;
};

}  // namespace syncscope::etcd

#endif  // SYNCSCOPE_ETCD_RWMUTEX_H_
