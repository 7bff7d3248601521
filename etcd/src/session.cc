// Session: lease + keep-alive thread (see session.h).
#include "syncscope/etcd/session.h"

namespace syncscope::etcd {

Session::Session(Client& client, SessionOptions o) : client_(client) {
  if (o.ttl_seconds <= 0) {
    throw Error(Errc::kInvalidArgument, "etcd Session: ttl " + std::to_string(o.ttl_seconds) +
                                            " s (valid: >= 1)");
  }
  if (o.lease != 0) {
    const auto t = client_.lease_ttl(o.lease);
    if (t.ttl <= 0) {
      throw Error(Errc::kLeaseNotFound,
                  "etcd Session: lease " + std::to_string(o.lease) + " not found");
    }
    lease_ = o.lease;
    ttl_ = t.granted_ttl;
  } else {
    const auto g = client_.lease_grant(o.ttl_seconds);
    lease_ = g.id;
    ttl_ = g.ttl;
  }
  thread_ = std::thread([this] { keep_alive_loop(); });
}

Session::~Session() {
  try {
    close();
  } catch (...) {
  }
}

bool Session::lost() const {
  std::lock_guard<std::mutex> g(mu_);
  return lost_;
}

void Session::mark_lost() {
  std::map<uint64_t, std::function<void()>> hooks;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (lost_) return;
    lost_ = true;
    hooks.swap(hooks_);
  }
  done_.close();
  for (auto& [id, f] : hooks) f();
}

uint64_t Session::add_loss_hook(std::function<void()> f) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (!lost_) {
      hooks_.emplace(next_hook_, std::move(f));
      return next_hook_++;
    }
  }
  f();
  return 0;
}

void Session::remove_loss_hook(uint64_t id) {
  std::lock_guard<std::mutex> g(mu_);
  hooks_.erase(id);
}

void Session::keep_alive_loop() {
  using Clock = std::chrono::steady_clock;
  const auto period = std::chrono::milliseconds(ttl_ * 1000 / 3);
  auto expiry = Clock::now() + std::chrono::seconds(ttl_);  // conservative local estimate
  auto next = Clock::now() + period;
  std::unique_lock<std::mutex> lk(mu_);
  while (!stop_) {
    if (cv_.wait_until(lk, next, [this] { return stop_; })) break;
    lk.unlock();
    const auto sent = Clock::now();
    bool gone = false, ok = false;
    try {
      const int64_t ttl = client_.lease_keep_alive_once(lease_, std::min(expiry, sent + period));
      gone = ttl <= 0;
      ok = !gone;
    } catch (const Error& e) {
      gone = e.code() == Errc::kLeaseNotFound;
    }
    if (ok) {
      expiry = sent + std::chrono::seconds(ttl_);
      next = sent + period;
    } else {
      next = Clock::now() + std::chrono::milliseconds(100);
    }
    if (gone || Clock::now() >= expiry) {
      mark_lost();
      lk.lock();
      break;
    }
    lk.lock();
  }
}

void Session::orphan() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  mark_lost();
}

void Session::close() {
  bool was_lost;
  {
    std::lock_guard<std::mutex> g(mu_);
    was_lost = lost_;
  }
  orphan();
  if (!was_lost) {
    // Revoke so that the session's keys go at once (Go: Close() revokes with
    // a timeout of the TTL).
    try {
      client_.lease_revoke(lease_, std::chrono::steady_clock::now() + std::chrono::seconds(ttl_));
    } catch (const Error& e) {
      if (e.code() != Errc::kLeaseNotFound) throw;  // already expired: nothing to revoke
    }
  }
}

}  // namespace syncscope::etcd
