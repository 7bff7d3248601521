// syncscope/etcd/session.h — Session: a lease kept alive in the background
// (Go's clientv3/concurrency.Session).
//
// This file offers:
//   Session(client, SessionOptions{ttl_seconds, lease})   grants a lease (or adopts
//                                 `lease`) and starts the keep-alive thread
//   lease()                       the lease id (Go: Lease())
//   ttl_seconds()                 the granted TTL
//   done() -> DoneChan            closed when the lease is lost: expired, revoked by
//                                 anyone, keep-alives failing past the TTL, or close()
//                                 (Go: Done()); usable in select (syncscope/select.h)
//   lost()                        done() has been closed
//   close()                       stop keep-alives and revoke the lease (Go: Close());
//                                 idempotent; keys attached to the lease disappear
//   orphan()                      stop keep-alives without revoking (Go: Orphan()):
//                                 the lease expires on the server after its TTL;
//                                 done() closes at once, as Go's does
//   client()                      the Client (Go: Client())
//
// Keep-alive: every ttl/3 seconds one LeaseKeepAlive round trip (fail-over as
// every Client call). A response with TTL <= 0 means the server no longer has
// the lease: the session is lost at once. A keep-alive that keeps failing is
// retried every 100 ms until the local estimate of the lease's expiry (the
// send time of the last successful keep-alive + TTL) passes: then the session
// is lost. The estimate is conservative: the server's expiry is later than
// the send time + TTL, never earlier (by clock-rate differences only).
//
// Holding a lock is NOT proof of holding it now: a paused process (GC, SIGSTOP,
// swap) misses its keep-alives, the server expires the lease and gives the
// lock to someone else, while the paused process still believes it holds it.
// See fence.h for the defence.
//
// Thread safety: all methods from any thread. Destruction = close() (errors
// ignored); the Client must outlive the Session.
#ifndef SYNCSCOPE_ETCD_SESSION_H_
#define SYNCSCOPE_ETCD_SESSION_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "syncscope/chan.h"
#include "syncscope/etcd/client.h"

namespace syncscope::etcd {

struct SessionOptions {
  int64_t ttl_seconds = 60;  // Go's default
  int64_t lease = 0;         // 0: grant a new lease
};

class Session {
 public:
  explicit Session(Client& client, SessionOptions o = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Client& client() const noexcept { return client_; }
  int64_t lease() const noexcept { return lease_; }
  int64_t ttl_seconds() const noexcept { return ttl_; }
  DoneChan done() const noexcept { return done_; }
  bool lost() const;
  void close();
  void orphan();

  // Machinery for the primitives: f runs (once, on the keep-alive thread or in
  // the caller) when the session is lost. Returns an id for remove_loss_hook.
  uint64_t add_loss_hook(std::function<void()> f);
  void remove_loss_hook(uint64_t id);

 private:
  void keep_alive_loop();
  void mark_lost();  // closes done_ and runs hooks; idempotent

  Client& client_;
  int64_t lease_ = 0;
  int64_t ttl_ = 0;
  DoneChan done_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // guarded by mu_: keep-alive thread must exit
  bool lost_ = false;   // guarded by mu_
  uint64_t next_hook_ = 1;                                // guarded by mu_
  std::map<uint64_t, std::function<void()>> hooks_;      // guarded by mu_
  std::thread thread_;
};

}  // namespace syncscope::etcd

#endif  // SYNCSCOPE_ETCD_SESSION_H_
