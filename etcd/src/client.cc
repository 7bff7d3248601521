// Client: etcd v3 over gRPC's synchronous API (see client.h).
#include "syncscope/etcd/client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "syncscope/etcd/internal/convert.h"
#include "syncscope/etcd/internal/status.h"

namespace syncscope::etcd {

namespace pb = etcdserverpb;
using internal::from_pb;

const char* errc_name(Errc c) noexcept {
  switch (c) {
    case Errc::kUnavailable: return "unavailable";
    case Errc::kDeadlineExceeded: return "deadline exceeded";
    case Errc::kCanceled: return "canceled";
    case Errc::kCompacted: return "compacted";
    case Errc::kLeaseNotFound: return "lease not found";
    case Errc::kSessionExpired: return "session expired";
    case Errc::kLockNotHeld: return "lock not held";
    case Errc::kElectionNotLeader: return "election: not leader";
    case Errc::kElectionNoLeader: return "election: no leader";
    case Errc::kLocked: return "mutex: locked by another session";
    case Errc::kInvalidArgument: return "invalid argument";
    case Errc::kTooManyClients: return "too many clients";
    case Errc::kInternal: return "internal";
  }
  return "?";
}

std::string prefix_end(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    const auto c = static_cast<unsigned char>(end.back());
    if (c < 0xff) {
      end.back() = static_cast<char>(c + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key: etcd's "\x00" range end
}

std::vector<std::string> parse_endpoints(const std::string& csv) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= csv.size()) {
    const std::size_t comma = std::min(csv.find(',', pos), csv.size());
    std::string e = csv.substr(pos, comma - pos);
    if (e.rfind("http://", 0) == 0) e = e.substr(7);
    const std::size_t colon = e.rfind(':');
    bool ok = colon != std::string::npos && colon > 0 && colon + 1 < e.size();
    if (ok) {
      const std::string port = e.substr(colon + 1);
      ok = port.size() <= 5 && std::all_of(port.begin(), port.end(), ::isdigit) &&
           std::stoi(port) > 0 && std::stoi(port) < 65536;
    }
    if (!ok) {
      throw Error(Errc::kInvalidArgument,
                  "etcd endpoints: bad entry '" + e +
                      "' (valid: host:port[,host:port...], port 1-65535, e.g. 127.0.0.1:2379)");
    }
    out.push_back(e);
    pos = comma + 1;
  }
  return out;
}

std::vector<std::string> endpoints_from_env() {
  const char* v = std::getenv("SYNCSCOPE_ETCD_ENDPOINTS");
  if (v == nullptr || *v == '\0') return {};
  return parse_endpoints(v);
}

Compare Compare::version(std::string key, Result r, int64_t v) {
  Compare c;
  c.key = std::move(key), c.target = Target::kVersion, c.result = r, c.number = v;
  return c;
}
Compare Compare::create_revision(std::string key, Result r, int64_t rev) {
  Compare c;
  c.key = std::move(key), c.target = Target::kCreate, c.result = r, c.number = rev;
  return c;
}
Compare Compare::mod_revision(std::string key, Result r, int64_t rev) {
  Compare c;
  c.key = std::move(key), c.target = Target::kMod, c.result = r, c.number = rev;
  return c;
}
Compare Compare::value_of(std::string key, Result r, std::string v) {
  Compare c;
  c.key = std::move(key), c.target = Target::kValue, c.result = r, c.value = std::move(v);
  return c;
}
Compare Compare::lease_of(std::string key, Result r, int64_t lease) {
  Compare c;
  c.key = std::move(key), c.target = Target::kLease, c.result = r, c.number = lease;
  return c;
}
Op Op::put(std::string key, std::string value, int64_t lease) {
  Op o;
  o.kind = Kind::kPut, o.key = std::move(key), o.value = std::move(value), o.lease = lease;
  return o;
}
Op Op::get_key(std::string key, GetOptions g) {
  Op o;
  o.kind = Kind::kGet, o.key = std::move(key), o.get = std::move(g);
  return o;
}
Op Op::del(std::string key, bool prefix) {
  Op o;
  o.kind = Kind::kDelete, o.key = std::move(key), o.get.prefix = prefix;
  return o;
}

namespace internal {

Header from_pb(const pb::ResponseHeader& h) {
  return Header{h.cluster_id(), h.member_id(), h.revision(), h.raft_term()};
}
KeyValue from_pb(const mvccpb::KeyValue& kv) {
  return KeyValue{kv.key(), kv.value(), kv.create_revision(), kv.mod_revision(), kv.version(),
                  kv.lease()};
}
GetResult from_pb(const pb::RangeResponse& r) {
  GetResult g;
  g.header = from_pb(r.header());
  for (const auto& kv : r.kvs()) g.kvs.push_back(from_pb(kv));
  g.count = r.count();
  g.more = r.more();
  return g;
}

void to_pb(const std::string& key, const GetOptions& o, pb::RangeRequest* r) {
  r->set_key(key);
  r->set_range_end(o.prefix ? prefix_end(key) : o.range_end);
  r->set_limit(o.limit);
  r->set_revision(o.revision);
  r->set_sort_target(static_cast<pb::RangeRequest::SortTarget>(o.sort_target));
  r->set_sort_order(static_cast<pb::RangeRequest::SortOrder>(o.sort_order));
  r->set_keys_only(o.keys_only);
  r->set_count_only(o.count_only);
  r->set_serializable(o.serializable);
  r->set_min_create_revision(o.min_create_revision);
  r->set_max_create_revision(o.max_create_revision);
  r->set_min_mod_revision(o.min_mod_revision);
  r->set_max_mod_revision(o.max_mod_revision);
}

void to_pb(const Op& op, pb::RequestOp* r) {
  switch (op.kind) {
    case Op::Kind::kGet: to_pb(op.key, op.get, r->mutable_request_range()); break;
    case Op::Kind::kPut: {
      auto* p = r->mutable_request_put();
      p->set_key(op.key);
      p->set_value(op.value);
      p->set_lease(op.lease);
      p->set_prev_kv(op.prev_kv);
      break;
    }
    case Op::Kind::kDelete: {
      auto* d = r->mutable_request_delete_range();
      d->set_key(op.key);
      d->set_range_end(op.get.prefix ? prefix_end(op.key) : op.get.range_end);
      d->set_prev_kv(op.prev_kv);
      break;
    }
  }
}

void to_pb(const Compare& c, pb::Compare* r) {
  r->set_key(c.key);
  r->set_range_end(c.range_end);
  r->set_result(static_cast<pb::Compare::CompareResult>(c.result));
  r->set_target(static_cast<pb::Compare::CompareTarget>(c.target));
  switch (c.target) {
    case Compare::Target::kVersion: r->set_version(c.number); break;
    case Compare::Target::kCreate: r->set_create_revision(c.number); break;
    case Compare::Target::kMod: r->set_mod_revision(c.number); break;
    case Compare::Target::kValue: r->set_value(c.value); break;
    case Compare::Target::kLease: r->set_lease(c.number); break;
  }
}

bool deadline_passed(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
         (s.error_code() == grpc::StatusCode::UNKNOWN &&
          s.error_message().find("context deadline exceeded") != std::string::npos);
}

Errc errc_of(const grpc::Status& s) {
  if (deadline_passed(s)) return Errc::kDeadlineExceeded;
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE: return Errc::kUnavailable;
    case grpc::StatusCode::CANCELLED: return Errc::kCanceled;
    case grpc::StatusCode::OUT_OF_RANGE:
      return s.error_message().find("compacted") != std::string::npos ? Errc::kCompacted
                                                                       : Errc::kInternal;
    case grpc::StatusCode::NOT_FOUND:
      return s.error_message().find("lease not found") != std::string::npos
                 ? Errc::kLeaseNotFound
                 : Errc::kInternal;
    case grpc::StatusCode::INVALID_ARGUMENT: return Errc::kInvalidArgument;
    default: return Errc::kInternal;
  }
}
}  // namespace internal

namespace detail {

struct Conn {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::KV::Stub> kv;
  std::unique_ptr<pb::Lease::Stub> lease;
  std::unique_ptr<pb::Watch::Stub> watch;
  std::unique_ptr<pb::Maintenance::Stub> maint;
  std::unique_ptr<pb::Cluster::Stub> cluster;
};

std::shared_ptr<grpc::Channel> make_channel(const std::string& ep) {
  grpc::ChannelArguments args;
  // Reconnect to a restarted member quickly; the default backoff reaches 120 s.
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC also uses it as the minimum
  // connect timeout, and 100 ms aborts handshakes on a loaded machine ("tcp
  // handshaker shutdown").
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // A channel of its own (not shared with other Clients): separate sessions
  // must not share one TCP connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(ep, grpc::InsecureChannelCredentials(), args);
}

std::chrono::system_clock::time_point to_system(Deadline d) {
  // gRPC 1.51: deadlines are system_clock time points.
  const auto left = d - std::chrono::steady_clock::now();
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(left);
}

struct ClientImpl {
  ClientOptions opt;
  std::mutex mu;
  std::vector<std::unique_ptr<Conn>> conns;  // guarded by mu; created lazily, never freed early
  std::atomic<std::size_t> current{0};       // endpoint index the next call tries first

  Conn& conn(std::size_t i) {
    std::lock_guard<std::mutex> g(mu);
    auto& c = conns[i];
    if (!c) {
      c = std::make_unique<Conn>();
      c->channel = make_channel(opt.endpoints[i]);
      c->kv = pb::KV::NewStub(c->channel);
      c->lease = pb::Lease::NewStub(c->channel);
      c->watch = pb::Watch::NewStub(c->channel);
      c->maint = pb::Maintenance::NewStub(c->channel);
      c->cluster = pb::Cluster::NewStub(c->channel);
    }
    return *c;
  }

  Deadline deadline_or_default(std::optional<Deadline> d) const {
    return d ? *d : std::chrono::steady_clock::now() + opt.call_timeout;
  }

  // Runs fn(conn, ctx) -> grpc::Status with fail-over (see client.h).
  template <class Fn>
  void call(const char* what, std::optional<Deadline> dl, Fn&& fn) {
    const Deadline deadline = deadline_or_default(dl);
    const std::size_t n = opt.endpoints.size();
    int attempt = 0;
    grpc::Status last;
    std::string last_ep;
    std::vector<std::string> per_endpoint(n);  // last failure seen on each endpoint
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      const std::size_t i = current.load(std::memory_order_relaxed) % n;
      grpc::ClientContext ctx;
      const Deadline attempt_end = std::min(deadline, now + opt.attempt_timeout);
      ctx.set_deadline(to_system(attempt_end));
      last = fn(conn(i), ctx);
      last_ep = opt.endpoints[i];
      if (last.ok()) return;
      per_endpoint[i] = last.error_message();
      const bool attempt_timed_out = internal::deadline_passed(last) && attempt_end < deadline;
      if (last.error_code() != grpc::StatusCode::UNAVAILABLE && !attempt_timed_out) break;
      // Move on to the next endpoint (unless another thread already did).
      std::size_t expected = i;
      current.compare_exchange_strong(expected, (i + 1) % n, std::memory_order_relaxed);
      const auto pause = std::chrono::milliseconds(std::min(200, 10 << std::min(attempt, 4)));
      ++attempt;
      if (std::chrono::steady_clock::now() + pause >= deadline) break;
      std::this_thread::sleep_for(pause);
    }
    Errc code = last.ok() ? Errc::kDeadlineExceeded : internal::errc_of(last);
    if (code == Errc::kUnavailable && std::chrono::steady_clock::now() >= deadline &&
        last.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      code = Errc::kDeadlineExceeded;
    }
    std::string detail;
    for (std::size_t j = 0; j < n; ++j) {
      if (per_endpoint[j].empty() || opt.endpoints[j] == last_ep) continue;
      detail += "; " + opt.endpoints[j] + ": " + per_endpoint[j];
    }
    throw Error(code, std::string("etcd ") + what + " on " + last_ep + ": " + errc_name(code) +
                          " (" + (last.ok() ? "deadline passed" : last.error_message()) + ")" +
                          detail + " [" + std::to_string(attempt + 1) + " attempts]");
  }
};

struct WatchImpl {
  ClientImpl* client;
  std::string key;
  WatchOptions opt;
  std::optional<Deadline> until;
  int64_t next_rev = 0;  // the first revision not yet delivered (0: from now)
  std::size_t endpoint = 0;
  // A request_progress() not yet answered: sent again on a reopened stream.
  bool progress_pending = false;

  std::mutex mu;  // guards ctx and cancelled against cancel() from other threads
  std::unique_ptr<grpc::ClientContext> ctx;
  bool cancelled = false;
  std::unique_ptr<grpc::ClientReaderWriter<pb::WatchRequest, pb::WatchResponse>> stream;

  // Opens a stream on the current endpoint; false if cancelled.
  bool open() {
    std::unique_lock<std::mutex> g(mu);
    if (cancelled) return false;
    ctx = std::make_unique<grpc::ClientContext>();
    if (until) ctx->set_deadline(to_system(*until));
    grpc::ClientContext* c = ctx.get();
    g.unlock();
    endpoint = client->current.load(std::memory_order_relaxed) % client->opt.endpoints.size();
    stream = client->conn(endpoint).watch->Watch(c);
    pb::WatchRequest req;
    auto* cr = req.mutable_create_request();
    cr->set_key(key);
    cr->set_range_end(opt.prefix ? prefix_end(key) : opt.range_end);
    cr->set_start_revision(next_rev);
    cr->set_progress_notify(opt.progress_notify);
    cr->set_prev_kv(opt.prev_kv);
    stream->Write(req);  // a failure shows up in Read/Finish
    if (progress_pending) write_progress_request();
    return true;
  }

  void write_progress_request() {
    pb::WatchRequest req;
    req.mutable_progress_request();
    stream->Write(req);  // a failure shows up in Read/Finish (then open() resends)
  }

  void request_progress() {
    progress_pending = true;
    if (stream) write_progress_request();
    // No stream (between a failure and next()'s reopen): open() sends it.
  }

  void open_and_wait_created() {
    if (!open()) return;
    pb::WatchResponse r;
    if (stream->Read(&r) && r.created() && !r.canceled() && r.events_size() == 0) {
      if (next_rev == 0) next_rev = r.header().revision() + 1;
      return;
    }
    // Anything else (an error, a cancel for compaction): let next() handle
    // it from a fresh stream.
    {
      std::lock_guard<std::mutex> g(mu);
      ctx->TryCancel();
    }
    stream->Finish();
    stream.reset();
  }

  std::optional<WatchResponse> next() {
    int attempt = 0;
    for (;;) {
      if (!stream && !open()) return std::nullopt;
      pb::WatchResponse r;
      if (stream->Read(&r)) {
        attempt = 0;
        if (r.canceled()) {
          const std::string reason = r.cancel_reason();
          const int64_t compact = r.compact_revision();
          {
            // The server keeps the stream open for other watches: end it here.
            std::lock_guard<std::mutex> g(mu);
            ctx->TryCancel();
          }
          stream->Finish();
          stream.reset();
          if (compact > 0) {
            throw Error(Errc::kCompacted, "etcd Watch " + key + ": revision " +
                                              std::to_string(next_rev) +
                                              " compacted (compact revision " +
                                              std::to_string(compact) + ")");
          }
          throw Error(Errc::kInternal, "etcd Watch " + key + ": cancelled by server: " + reason);
        }
        WatchResponse out;
        out.header = internal::from_pb(r.header());
        if (r.created() && r.events_size() == 0) {
          if (next_rev == 0) next_rev = r.header().revision() + 1;
          continue;
        }
        for (const auto& e : r.events()) {
          WatchEvent ev;
          ev.type = e.type() == mvccpb::Event::DELETE ? WatchEvent::Type::kDelete
                                                       : WatchEvent::Type::kPut;
          ev.kv = internal::from_pb(e.kv());
          if (e.has_prev_kv()) ev.prev_kv = internal::from_pb(e.prev_kv());
          next_rev = std::max(next_rev, e.kv().mod_revision() + 1);
          out.events.push_back(std::move(ev));
        }
        if (out.events.empty()) {
          out.progress = true;
          // A periodic notification (for this watch's id) comes once the
          // watch is in sync: resume after it. etcd 3.4 answers a
          // progress_request with watch id -1 and the store's revision, which
          // may be ahead of events still queued for this watch: do not skip
          // past those on a reopen.
          if (r.watch_id() != -1) {
            next_rev = std::max(next_rev, r.header().revision() + 1);
          } else {
            progress_pending = false;
          }
        }
        return out;
      }
      const grpc::Status st = stream->Finish();
      stream.reset();
      {
        std::lock_guard<std::mutex> g(mu);
        if (cancelled) return std::nullopt;
      }
      if (until && std::chrono::steady_clock::now() >= *until) return std::nullopt;
      if (st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) return std::nullopt;
      if (st.error_code() != grpc::StatusCode::UNAVAILABLE &&
          st.error_code() != grpc::StatusCode::OK &&
          st.error_code() != grpc::StatusCode::CANCELLED) {
        const Errc code = internal::errc_of(st);
        throw Error(code, "etcd Watch " + key + ": " + errc_name(code) + " (" +
                              st.error_message() + ")");
      }
      // The member went away: reopen on the next endpoint from next_rev.
      std::size_t expected = endpoint;
      client->current.compare_exchange_strong(expected,
                                              (endpoint + 1) % client->opt.endpoints.size());
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(200, 10 << std::min(attempt, 4))));
      ++attempt;
    }
  }

  void cancel() {
    std::lock_guard<std::mutex> g(mu);
    cancelled = true;
    if (ctx) ctx->TryCancel();
  }
};

}  // namespace detail

Client::Client(ClientOptions o) : impl_(std::make_unique<detail::ClientImpl>()) {
  if (o.endpoints.empty()) {
    throw Error(Errc::kInvalidArgument, "etcd Client: no endpoints (valid: host:port[,...])");
  }
  for (const auto& e : o.endpoints) parse_endpoints(e);  // validates each
  impl_->opt = std::move(o);
  impl_->conns.resize(impl_->opt.endpoints.size());
}

Client::~Client() = default;

const std::vector<std::string>& Client::endpoints() const noexcept { return impl_->opt.endpoints; }

Deadline Client::default_deadline() const { return impl_->deadline_or_default({}); }

PutResult Client::put(const std::string& key, const std::string& value, int64_t lease,
                      bool prev_kv, std::optional<Deadline> d) {
  pb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  req.set_lease(lease);
  req.set_prev_kv(prev_kv);
  pb::PutResponse resp;
  impl_->call("Put", d, [&](detail::Conn& c, grpc::ClientContext& ctx) {
    return c.kv->Put(&ctx, req, &resp);
  });
  PutResult r;
  r.header = from_pb(resp.header());
  if (resp.has_prev_kv()) r.prev_kv = from_pb(resp.prev_kv());
  return r;
}

GetResult Client::get(const std::string& key, const GetOptions& o, std::optional<Deadline> d) {
  pb::RangeRequest req;
  internal::to_pb(key, o, &req);
  pb::RangeResponse resp;
  impl_->call("Range", d, [&](detail::Conn& c, grpc::ClientContext& ctx) {
    return c.kv->Range(&ctx, req, &resp);
  });
  return from_pb(resp);
}

DeleteResult Client::del(const std::string& key, bool prefix, bool prev_kv,
                         std::optional<Deadline> d) {
  pb::DeleteRangeRequest req;
  req.set_key(key);
  if (prefix) req.set_range_end(prefix_end(key));
  req.set_prev_kv(prev_kv);
  pb::DeleteRangeResponse resp;
  impl_->call("DeleteRange", d, [&](detail::Conn& c, grpc::ClientContext& ctx) {
    return c.kv->DeleteRange(&ctx, req, &resp);
  });
  DeleteResult r;
  r.header = from_pb(resp.header());
  r.deleted = resp.deleted();
  for (const auto& kv : resp.prev_kvs()) r.prev_kvs.push_back(from_pb(kv));
  return r;
}

TxnResult Client::txn(const std::vector<Compare>& ifs, const std::vector<Op>& thens,
                      const std::vector<Op>& elses, std::optional<Deadline> d) {
  pb::TxnRequest req;
  for (const auto& c : ifs) internal::to_pb(c, req.add_compare());
  for (const auto& o : thens) internal::to_pb(o, req.add_success());
  for (const auto& o : elses) internal::to_pb(o, req.add_failure());
  pb::TxnResponse resp;
  impl_->call("Txn", d, [&](detail::Conn& c, grpc::ClientContext& ctx) {
    return c.kv->Txn(&ctx, req, &resp);
  });
  TxnResult r;
  r.header = from_pb(resp.header());
  r.succeeded = resp.succeeded();
  for (const auto& op : resp.responses()) {
    OpResult o;
    if (op.has_response_range()) {
      o.kind = Op::Kind::kGet;
      o.get = from_pb(op.response_range());
    } else if (op.has_response_put()) {
      o.kind = Op::Kind::kPut;
      o.put.header = from_pb(op.response_put().header());
    } else if (op.has_response_delete_range()) {
      o.kind = Op::Kind::kDelete;
      o.del.header = from_pb(op.response_delete_range().header());
      o.del.deleted = op.response_delete_range().deleted();
    }
    r.responses.push_back(std::move(o));
  }
  return r;
}

void Client::compact(int64_t revision, std::optional<Deadline> d) {
  pb::CompactionRequest req;
  req.set_revision(revision);
  req.set_physical(true);
  pb::CompactionResponse resp;
  impl_->call("Compact", d, [&](detail::Conn& c, grpc::ClientContext& ctx) {
    return c.kv->Compact(&ctx, req, &resp);
  });
}

LeaseGrantResult Client::lease_grant(int64_t ttl_seconds, std::optional<Deadline> d) {
  if (ttl_seconds <= 0) {
    throw Error(Errc::kInvalidArgument, "etcd LeaseGrant: ttl " + std::to_string(ttl_seconds) +
                                            " s (valid: >= 1)");
  }
  pb::LeaseGrantRequest req;
  req.set_ttl(ttl_seconds);
  pb::LeaseGrantResponse resp;
  impl_->call("LeaseGrant", d, [&](detail::Conn& c, grpc::ClientContext& ctx) {
    return c.lease->LeaseGrant(&ctx, req, &resp);
  });
  if (!resp.error().empty()) throw Error(Errc::kInternal, "etcd LeaseGrant: " + resp.error());
  return LeaseGrantResult{from_pb(resp.header()), resp.id(), resp.ttl()};
}

void Client::lease_revoke(int64_t id, std::optional<Deadline> d) {
  pb::LeaseRevokeRequest req;
  req.set_id(id);
  pb::LeaseRevokeResponse resp;
  impl_->call("LeaseRevoke", d, [&](detail::Conn& c, grpc::ClientContext& ctx) {
    return c.lease->LeaseRevoke(&ctx, req, &resp);
  });
}

int64_t Client::lease_keep_alive_once(int64_t id, std::optional<Deadline> d) {
  pb::LeaseKeepAliveRequest req;
  req.set_id(id);
  pb::LeaseKeepAliveResponse resp;
  impl_->call("LeaseKeepAlive", d, [&](detail::Conn& c, grpc::ClientContext& ctx) {
    auto s = c.lease->LeaseKeepAlive(&ctx);
    bool ok = s->Write(req) && s->Read(&resp);
    s->WritesDone();
    grpc::Status st = s->Finish();
    if (!st.ok()) return st;
    if (!ok) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "keep-alive stream closed");
    return st;
  });
  return resp.ttl();
}

LeaseTtlResult Client::lease_ttl(int64_t id, std::optional<Deadline> d) {
  pb::LeaseTimeToLiveRequest req;
  req.set_id(id);
  pb::LeaseTimeToLiveResponse resp;
  impl_->call("LeaseTimeToLive", d, [&](detail::Conn& c, grpc::ClientContext& ctx) {
    return c.lease->LeaseTimeToLive(&ctx, req, &resp);
  });
  return LeaseTtlResult{from_pb(resp.header()), resp.ttl(), resp.grantedttl()};
}

StatusResult Client::status(const std::string& endpoint, std::optional<Deadline> d) {
  auto ch = detail::make_channel(endpoint);
  auto stub = pb::Maintenance::NewStub(ch);
  grpc::ClientContext ctx;
  ctx.set_deadline(detail::to_system(impl_->deadline_or_default(d)));
  pb::StatusRequest req;
  pb::StatusResponse resp;
  grpc::Status st = stub->Status(&ctx, req, &resp);
  if (!st.ok()) {
    const Errc code = internal::errc_of(st);
    throw Error(code, "etcd Status on " + endpoint + ": " + errc_name(code) + " (" +
                          st.error_message() + ")");
  }
  return StatusResult{from_pb(resp.header()), resp.version(), resp.leader(), resp.raftindex(),
                      resp.raftterm()};
}

MemberListResult Client::member_list(std::optional<Deadline> d) {
  pb::MemberListRequest req;
  pb::MemberListResponse resp;
  impl_->call("MemberList", d, [&](detail::Conn& c, grpc::ClientContext& ctx) {
    return c.cluster->MemberList(&ctx, req, &resp);
  });
  MemberListResult r;
  r.header = from_pb(resp.header());
  for (const auto& m : resp.members()) {
    Member out;
    out.id = m.id();
    out.name = m.name();
    out.peer_urls.assign(m.peerurls().begin(), m.peerurls().end());
    out.client_urls.assign(m.clienturls().begin(), m.clienturls().end());
    out.is_learner = m.islearner();
    r.members.push_back(std::move(out));
  }
  return r;
}

ClusterInfo describe_cluster(Client& c, std::optional<Deadline> d) {
  const Deadline deadline = d ? *d : c.default_deadline();
  ClusterInfo info;
  info.endpoints = c.endpoints();
  const MemberListResult m = c.member_list(deadline);
  info.members = m.members.size();
  info.cluster_id = m.header.cluster_id;
  // The version from the first endpoint that answers Status.
  std::string failures;
  for (const auto& ep : c.endpoints()) {
    try {
      info.version = c.status(ep, deadline).version;
      return info;
    } catch (const Error& e) {
      failures += std::string(failures.empty() ? "" : "; ") + e.what();
      if (std::chrono::steady_clock::now() >= deadline) break;
    }
  }
  throw Error(Errc::kUnavailable,
              "etcd describe_cluster: no endpoint answered Status: " + failures);
}

std::string ClusterInfo::to_string() const {
  std::string eps;
  for (const auto& e : endpoints) eps += (eps.empty() ? "" : ",") + e;
  return "etcd " + version + ", " + std::to_string(members) +
         (members == 1 ? " member" : " members") + ", endpoints " + eps;
}

Watch Client::watch(const std::string& key, const WatchOptions& o, std::optional<Deadline> until) {
  auto w = std::make_unique<detail::WatchImpl>();
  w->client = impl_.get();
  w->key = key;
  w->opt = o;
  w->until = until;
  w->next_rev = o.start_revision;
  // Open now and wait for the server's "created": a watch "from now" then
  // covers every change made after watch() returned. If the member fails
  // here, next() reopens on another one (from the revision known by then).
  w->open_and_wait_created();
  return Watch(std::move(w));
}

Watch::Watch(std::unique_ptr<detail::WatchImpl> i) : impl_(std::move(i)) {}
Watch::Watch(Watch&&) noexcept = default;
Watch& Watch::operator=(Watch&&) noexcept = default;
Watch::~Watch() {
  if (impl_ && impl_->stream) {
    impl_->cancel();
    impl_->stream->Finish();
  }
}
std::optional<WatchResponse> Watch::next() { return impl_->next(); }
void Watch::request_progress() { impl_->request_progress(); }
void Watch::cancel() { impl_->cancel(); }
bool Watch::cancelled() const noexcept {
  std::lock_guard<std::mutex> g(impl_->mu);
  return impl_->cancelled;
}

}  // namespace syncscope::etcd
