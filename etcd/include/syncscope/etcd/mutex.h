// syncscope/etcd/mutex.h — Mutex and Locker: a distributed lock on etcd
// (Go's clientv3/concurrency.Mutex and NewLocker, with etcd 3.5's checks).
//
// This file offers:
//   Mutex(session, prefix)
//     lock(ctx = background)        Lock(ctx): blocks until held, ctx done or
//                                   the session lost
//     lock_until(deadline)          Lock with a deadline
//     try_lock() -> bool            TryLock (3.5): false if another session holds it
//     unlock()                      Unlock: deletes this session's key
//     is_owner() -> Compare         IsOwner(): "my key's create revision is mine",
//                                   for a transaction's If
//     key(), header()               Key(), Header()
//     fencing_token()               the lock key's create revision (see fence.h)
//     held()                        this object believes it holds the lock
//   Locker(session, prefix)         NewLocker: Lockable (lock/unlock/try_lock), so
//                                   std::lock_guard / std::unique_lock work; errors throw
//
// Algorithm (etcd's, read in clientv3/concurrency/mutex.go; written anew here):
// each contender creates the key `<prefix>/<lease id hex>` attached to its
// session's lease, in one transaction that also reads the prefix's oldest key
// (lowest create revision). Contenders are ordered by their key's create
// revision: FIFO. The oldest key holds the lock. A waiter watches only the key
// created just before its own (its predecessor, highest create revision below
// its own) until it is deleted, then looks again: no thundering herd — an
// unlock wakes one waiter. A waiter whose predecessor dies (session expiry)
// simply moves to the next older key.
//
// etcd 3.5's fix, implemented here: after the wait, lock() re-reads its own key;
// if it is gone (the session's lease expired while waiting, so the server
// deleted the key) lock() fails with Errc::kSessionExpired ("session expired")
// instead of returning as if it held the lock (3.4's Go client did). A wait is
// also ended at once when the session is lost, with the same error.
//
// Fairness: strict FIFO in create-revision order; no barging (a newcomer's key
// is always younger than every waiter's).
//
// Misuse: unlock() of a Mutex this object does not hold throws
// Errc::kLockNotHeld (Go's Unlock would delete a "\x00" key and succeed; a
// C++ caller gets told). lock() on a lost session throws kSessionExpired.
// Two Mutex objects on ONE session and one prefix share one key (etcd's
// design: the owner is the session); give each contender its own Session.
//
// Thread safety: one Mutex object is used by one thread at a time (as Go's);
// different objects (different sessions) from any threads or processes.
#ifndef SYNCSCOPE_ETCD_MUTEX_H_
#define SYNCSCOPE_ETCD_MUTEX_H_

#include <string>

#include "syncscope/context.h"
#include "syncscope/etcd/client.h"
#include "syncscope/etcd/session.h"

namespace syncscope::etcd {

class Mutex {
 public:
  Mutex(Session& s, std::string prefix);

  void lock(const Context& ctx = Context::background());
  void lock_until(Deadline d);
  bool try_lock();
  void unlock();

  Compare is_owner() const;
  const std::string& key() const noexcept { return my_key_; }
  const Header& header() const noexcept { return header_; }
  int64_t fencing_token() const noexcept { return my_rev_; }
  bool held() const noexcept { return my_rev_ > 0; }
  Session& session() const noexcept { return s_; }
  const std::string& prefix() const noexcept { return pfx_; }

 private:
  // One transaction: create my key if absent, read it and the oldest key.
  // Returns true if this session is the oldest (holds the lock).
  bool try_acquire();
  void release_quietly();

  Session& s_;
  std::string pfx_;      // "<prefix>/"
  std::string my_key_;   // "" when not held and not waiting
  int64_t my_rev_ = -1;  // create revision of my_key_, -1 when not held
  Header header_;
};

class Locker {
 public:
  Locker(Session& s, std::string prefix) : m_(s, std::move(prefix)) {}
  void lock() { m_.lock(); }
  void unlock() { m_.unlock(); }
  bool try_lock() { return m_.try_lock(); }
  Mutex& mutex() noexcept { return m_; }

 private:
  Mutex m_;
};

}  // namespace syncscope::etcd

#endif  // SYNCSCOPE_ETCD_MUTEX_H_
