// rpc_peers.cc — see rpc_peers.h.
#include "rpc_peers.h"

#include <grpcpp/grpcpp.h>

#include "etcd/etcdserver/api/v3election/v3electionpb/v3election.grpc.pb.h"
#include "etcd/etcdserver/api/v3lock/v3lockpb/v3lock.grpc.pb.h"
#include "syncscope/etcd/error.h"

namespace syncscope::suites::distributed {
namespace {

using syncscope::etcd::Errc;
using syncscope::etcd::Error;

std::shared_ptr<grpc::Channel> own_channel(const std::string& endpoint) {
  grpc::ChannelArguments args;
  // Each peer client its own TCP connection, as separate processes have.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args);
}

void set_deadline(grpc::ClientContext* ctx, std::chrono::milliseconds timeout) {
  // gRPC 1.51 takes system_clock deadlines.
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
}

void check(const grpc::Status& s, const char* what) {
  if (s.ok()) return;
  Errc c = Errc::kInternal;
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) c = Errc::kUnavailable;
  if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) c = Errc::kDeadlineExceeded;
  throw Error(c, std::string(what) + ": " + s.error_message());
}

}  // namespace

struct LockRpc::Impl {
  std::shared_ptr<grpc::Channel> ch;
  std::unique_ptr<v3lockpb::Lock::Stub> stub;
  std::chrono::milliseconds timeout;
};

LockRpc::LockRpc(const std::string& endpoint, std::chrono::milliseconds timeout) : impl_(new Impl) {
  impl_->ch = own_channel(endpoint);
  impl_->stub = v3lockpb::Lock::NewStub(impl_->ch);
  impl_->timeout = timeout;
}

LockRpc::~LockRpc() = default;

std::string LockRpc::lock(const std::string& name, int64_t lease) {
  grpc::ClientContext ctx;
  set_deadline(&ctx, impl_->timeout);
  v3lockpb::LockRequest req;
  req.set_name(name);
  req.set_lease(lease);
  v3lockpb::LockResponse resp;
  check(impl_->stub->Lock(&ctx, req, &resp), "v3lockpb.Lock/Lock");
  return resp.key();
}

void LockRpc::unlock(const std::string& key) {
  grpc::ClientContext ctx;
  set_deadline(&ctx, impl_->timeout);
  v3lockpb::UnlockRequest req;
  req.set_key(key);
  v3lockpb::UnlockResponse resp;
  check(impl_->stub->Unlock(&ctx, req, &resp), "v3lockpb.Lock/Unlock");
}

struct ElectionRpc::Impl {
  std::shared_ptr<grpc::Channel> ch;
  std::unique_ptr<v3electionpb::Election::Stub> stub;
  std::chrono::milliseconds timeout;
};

ElectionRpc::ElectionRpc(const std::string& endpoint, std::chrono::milliseconds timeout)
    : impl_(new Impl) {
  impl_->ch = own_channel(endpoint);
  impl_->stub = v3electionpb::Election::NewStub(impl_->ch);
  impl_->timeout = timeout;
}

ElectionRpc::~ElectionRpc() = default;

LeaderKeyRef ElectionRpc::campaign(const std::string& name, int64_t lease,
                                   const std::string& value) {
  grpc::ClientContext ctx;
  set_deadline(&ctx, impl_->timeout);
  v3electionpb::CampaignRequest req;
  req.set_name(name);
  req.set_lease(lease);
  req.set_value(value);
  v3electionpb::CampaignResponse resp;
  check(impl_->stub->Campaign(&ctx, req, &resp), "v3electionpb.Election/Campaign");
  const auto& l = resp.leader();
  return LeaderKeyRef{l.name(), l.key(), l.rev(), l.lease()};
}

void ElectionRpc::resign(const LeaderKeyRef& leader) {
  grpc::ClientContext ctx;
  set_deadline(&ctx, impl_->timeout);
  v3electionpb::ResignRequest req;
  auto* l = req.mutable_leader();
  l->set_name(leader.name);
  l->set_key(leader.key);
  l->set_rev(leader.rev);
  l->set_lease(leader.lease);
  v3electionpb::ResignResponse resp;
  check(impl_->stub->Resign(&ctx, req, &resp), "v3electionpb.Election/Resign");
}

}  // namespace syncscope::suites::distributed
