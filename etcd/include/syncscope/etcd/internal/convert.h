// syncscope/etcd/internal/convert.h — protobuf <-> syncscope::etcd types.
// Included only by syncscope_etcd's own sources (it needs the generated stubs).
#ifndef SYNCSCOPE_ETCD_INTERNAL_CONVERT_H_
#define SYNCSCOPE_ETCD_INTERNAL_CONVERT_H_

#include "etcd/etcdserver/etcdserverpb/rpc.pb.h"
#include "syncscope/etcd/client.h"

namespace syncscope::etcd::internal {

Header from_pb(const etcdserverpb::ResponseHeader& h);
KeyValue from_pb(const mvccpb::KeyValue& kv);
GetResult from_pb(const etcdserverpb::RangeResponse& r);
void to_pb(const std::string& key, const GetOptions& o, etcdserverpb::RangeRequest* r);
void to_pb(const Op& op, etcdserverpb::RequestOp* r);
void to_pb(const Compare& c, etcdserverpb::Compare* r);

}  // namespace syncscope::etcd::internal

#endif  // SYNCSCOPE_ETCD_INTERNAL_CONVERT_H_
