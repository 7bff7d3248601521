// syncscope/etcd/internal/wait.h — blocking waits on watches, cancellable by a
// Context and by the loss of a Session (machinery of mutex.cc, election.cc,
// barrier.cc, queue.cc).
#ifndef SYNCSCOPE_ETCD_INTERNAL_WAIT_H_
#define SYNCSCOPE_ETCD_INTERNAL_WAIT_H_

#include <functional>
#include <optional>
#include <string>

#include "syncscope/context.h"
#include "syncscope/etcd/client.h"
#include "syncscope/etcd/session.h"

namespace syncscope::etcd::internal {

// Why a wait ended.
enum class WaitEnd { kDone, kContext, kSessionLost };

// Watches `key` (options o) and calls on_response(resp) for each response
// until it returns true (kDone), ctx is done (kContext), or `session` (may be
// null) is lost (kSessionLost). Errors of the watch are thrown.
WaitEnd watch_until(Client& c, const std::string& key, const WatchOptions& o, const Context& ctx,
                    Session* session, const std::function<bool(const WatchResponse&)>& on_response);

// Waits until `key` is deleted (watching from revision rev).
WaitEnd wait_delete(Client& c, const std::string& key, int64_t rev, const Context& ctx,
                    Session* session);

// The FIFO turn of a key created at revision `my_rev` under `prefix` (etcd's
// waitDeletes in key.go): waits until every key created before it under the
// prefix is deleted, watching only the newest of them each time (no herd),
// then checks that `my_key` is still there with that revision (etcd 3.5: the
// session may have expired while waiting) and returns that read's header.
// Throws Error (session expired, context done) naming `what`.
Header wait_turn(Client& c, const std::string& prefix, const std::string& my_key,
                         int64_t my_rev, const Context& ctx, Session* session,
                         const std::string& what);

// Throws the Error for a wait that ended by ctx or session loss.
[[noreturn]] void throw_wait_end(WaitEnd e, const Context& ctx, const std::string& what);

}  // namespace syncscope::etcd::internal

#endif  // SYNCSCOPE_ETCD_INTERNAL_WAIT_H_
