// Mutex: the etcd lock recipe with 3.5's session check (see mutex.h).
#include "syncscope/etcd/mutex.h"

#include <cstdio>

#include "syncscope/etcd/internal/wait.h"

namespace syncscope::etcd {

namespace {
std::string hex(int64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}
}  // namespace

Mutex::Mutex(Session& s, std::string prefix) : s_(s), pfx_(std::move(prefix) + "/") {}

Compare Mutex::is_owner() const {
  return Compare::create_revision(my_key_, Compare::Result::kEqual, my_rev_);
}

bool Mutex::try_acquire() {
  if (s_.lost()) throw Error(Errc::kSessionExpired, "etcd Mutex " + pfx_ + ": session expired");
  Client& c = s_.client();
  my_key_ = pfx_ + hex(s_.lease());
  GetOptions oldest;
  oldest.prefix = true;
  oldest.sort_target = SortTarget::kCreate;
  oldest.sort_order = SortOrder::kAscend;
  oldest.limit = 1;
  // A retried transaction (fail-over) finds its own key in the else branch.
  const TxnResult r = c.txn({Compare::create_revision(my_key_, Compare::Result::kEqual, 0)},
                            {Op::put(my_key_, "", s_.lease()), Op::get_key(pfx_, oldest)},
                            {Op::get_key(my_key_), Op::get_key(pfx_, oldest)});
  my_rev_ = r.header.revision;
  if (!r.succeeded) {
    const auto& kvs = r.responses.at(0).get.kvs;
    if (kvs.empty()) {  // deleted between compare and get: impossible in one txn
      throw Error(Errc::kInternal, "etcd Mutex " + pfx_ + ": own key vanished in a txn");
    }
    my_rev_ = kvs[0].create_revision;
  }
  header_ = r.header;
  const auto& owner = r.responses.at(1).get.kvs;
  return owner.empty() || owner[0].create_revision == my_rev_;
}

void Mutex::release_quietly() {
  try {
    s_.client().del(my_key_);
  } catch (const Error&) {
  }
  my_key_.clear();
  my_rev_ = -1;
}

void Mutex::lock(const Context& ctx) {
  if (try_acquire()) return;
  Client& c = s_.client();
  const std::string what = "etcd Mutex " + pfx_ + " lock";
  try {
    // Every key created before mine must go; then mine must still be there.
    header_ = internal::wait_turn(c, pfx_, my_key_, my_rev_, ctx, &s_, what);
  } catch (...) {
    release_quietly();
    throw;
  }
}

void Mutex::lock_until(Deadline d) {
  auto [ctx, cancel] = with_deadline(Context::background(), d);
  try {
    lock(ctx);
  } catch (...) {
    cancel();
    throw;
  }
  cancel();
}

bool Mutex::try_lock() {
  if (try_acquire()) return true;
  release_quietly();
  return false;
}

void Mutex::unlock() {
  if (my_rev_ <= 0) {
    throw Error(Errc::kLockNotHeld, "etcd Mutex " + pfx_ + ": unlock of unlocked mutex");
  }
  s_.client().del(my_key_);
  my_key_.clear();
  my_rev_ = -1;
}

}  // namespace syncscope::etcd
