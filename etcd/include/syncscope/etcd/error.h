// syncscope/etcd/error.h — the typed errors of syncscope_etcd.
//
// Every failing call throws syncscope::etcd::Error (a std::runtime_error)
// whose code() says what happened and whose what() carries the operation and
// etcd's (or gRPC's) own message, e.g.
//   "etcd Range on 127.0.0.1:23791: deadline exceeded (Deadline Exceeded)".
// Go's clientv3 returns the same conditions as error values; the mapping:
//   Errc::kUnavailable       codes.Unavailable on every endpoint until the deadline
//                            (no leader, node down, connection refused)
//   Errc::kDeadlineExceeded  context.DeadlineExceeded / the call's deadline passed
//   Errc::kCanceled          context.Canceled (a Context was cancelled)
//   Errc::kCompacted         rpctypes.ErrCompacted (watch/get below the compaction)
//   Errc::kLeaseNotFound     rpctypes.ErrLeaseNotFound
//   Errc::kSessionExpired    concurrency.ErrSessionExpired ("session expired")
//   Errc::kLockNotHeld       unlock of a Mutex this object does not hold
//   Errc::kElectionNotLeader concurrency.ErrElectionNotLeader
//   Errc::kElectionNoLeader  concurrency.ErrElectionNoLeader
//   Errc::kLocked            concurrency.ErrLocked (TryLock: held by another session)
//   Errc::kInvalidArgument   a bad argument (empty endpoint list, TTL <= 0, ...)
//   Errc::kTooManyClients    recipe.ErrTooManyClients (DoubleBarrier: more than count entered)
//   Errc::kInternal          any other gRPC status (the message says which)
#ifndef SYNCSCOPE_ETCD_ERROR_H_
#define SYNCSCOPE_ETCD_ERROR_H_

#include <stdexcept>
#include <string>

namespace syncscope::etcd {

enum class Errc {
  kUnavailable,
  kDeadlineExceeded,
  kCanceled,
  kCompacted,
  kLeaseNotFound,
  kSessionExpired,
  kLockNotHeld,
  kElectionNotLeader,
  kElectionNoLeader,
  kLocked,
  kInvalidArgument,
  kTooManyClients,
  kInternal,
};

const char* errc_name(Errc c) noexcept;

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& what) : std::runtime_error(what), code_(code) {}
  Errc code() const noexcept { return code_; }

 private:
  Errc code_;
};

}  // namespace syncscope::etcd

#endif  // SYNCSCOPE_ETCD_ERROR_H_
