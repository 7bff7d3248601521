// Fencing (see fence.h).
#include "syncscope/etcd/fence.h"

#include <cstdio>

namespace syncscope::etcd {

TxnResult guarded_txn(const Mutex& m, const std::vector<Op>& ops, std::optional<Deadline> d) {
  if (!m.held()) {
    throw Error(Errc::kLockNotHeld, "etcd guarded write under " + m.prefix() + ": lock not held");
  }
  return m.session().client().txn({m.is_owner()}, ops, {}, d);
}

bool guarded_put(const Mutex& m, const std::string& key, const std::string& value,
                 std::optional<Deadline> d) {
  return guarded_txn(m, {Op::put(key, value)}, d).succeeded;
}

bool FencedResource::admit(int64_t token) noexcept {
  int64_t cur = highest_.load(std::memory_order_acquire);
  while (token >= cur) {
    if (highest_.compare_exchange_weak(cur, token, std::memory_order_acq_rel)) return true;
  }
  return false;
}

std::string fence_encode(int64_t token) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(token));
  return buf;
}

FencedKey::FencedKey(Client& c, std::string key) : c_(c), key_(std::move(key)) {
  // Create the fence at 0 if absent (a value compare on a missing key fails).
  c_.txn({Compare::version(fence_key(), Compare::Result::kEqual, 0)},
         {Op::put(fence_key(), fence_encode(0))});
}

bool FencedKey::write(const std::string& value, int64_t token, const std::vector<Op>& ops,
                      std::optional<Deadline> d) {
  if (token <= 0) {
    throw Error(Errc::kInvalidArgument,
                "FencedKey " + key_ + ": token " + std::to_string(token) + " (valid: >= 1)");
  }
  std::vector<Op> thens = {Op::put(fence_key(), fence_encode(token)), Op::put(key_, value)};
  thens.insert(thens.end(), ops.begin(), ops.end());
  // fence <= token  <=>  fence < token + 1 (byte order of equal-width decimals)
  return c_.txn({Compare::value_of(fence_key(), Compare::Result::kLess, fence_encode(token + 1))},
                thens, {}, d)
      .succeeded;
}

int64_t FencedKey::highest() {
  const GetResult g = c_.get(fence_key());
  return g.kvs.empty() ? 0 : std::stoll(g.kvs[0].value);
}

}  // namespace syncscope::etcd
