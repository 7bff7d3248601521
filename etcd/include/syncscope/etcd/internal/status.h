// syncscope/etcd/internal/status.h — how the client reads a failed call's
// gRPC status (client.cc). Internal: for the client and its tests.
#ifndef SYNCSCOPE_ETCD_INTERNAL_STATUS_H_
#define SYNCSCOPE_ETCD_INTERNAL_STATUS_H_

#include <grpcpp/support/status.h>

#include "syncscope/etcd/error.h"

namespace syncscope::etcd::internal {

// The Errc of a failed call's status.
Errc errc_of(const grpc::Status& s);

// True when the status says the request's deadline passed: gRPC's own
// DEADLINE_EXCEEDED, or etcd's answer to a request whose propagated
// deadline (grpc-timeout) ran out on the server before it was served —
// etcd 3.4 returns the context's error as code UNKNOWN, "context deadline
// exceeded" (seen when the calling process was stopped with SIGSTOP while
// a request was in flight and continued after the attempt's deadline). An
// attempt that ends so is retried like one that timed out on the client.
bool deadline_passed(const grpc::Status& s);

}  // namespace syncscope::etcd::internal

#endif  // SYNCSCOPE_ETCD_INTERNAL_STATUS_H_
