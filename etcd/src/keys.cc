// Key helpers of the recipes (see internal/keys.h).
#include "syncscope/etcd/internal/keys.h"

#include <atomic>
#include <chrono>
#include <cstdio>

namespace syncscope::etcd::internal {

KeyValue new_unique_key(Client& c, const std::string& prefix, const std::string& value,
                        int64_t lease) {
  static std::atomic<uint32_t> seq{0};
  for (;;) {
    char buf[48];
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    std::snprintf(buf, sizeof buf, "/%020lld-%08x", static_cast<long long>(ns),
                  seq.fetch_add(1, std::memory_order_relaxed));
    const std::string key = prefix + buf;
    const TxnResult t = c.txn({Compare::create_revision(key, Compare::Result::kEqual, 0)},
                              {Op::put(key, value, lease)}, {Op::get_key(key)});
    if (t.succeeded) {
      KeyValue kv;
      kv.key = key;
      kv.value = value;
      kv.create_revision = kv.mod_revision = t.header.revision;
      kv.version = 1;
      kv.lease = lease;
      return kv;
    }
    // A retried txn (fail-over) may find its own key: same value and lease.
    const auto& kvs = t.responses.at(0).get.kvs;
    if (!kvs.empty() && kvs[0].value == value && kvs[0].lease == lease && kvs[0].version == 1) {
      return kvs[0];
    }
  }
}

KeyValue new_sequential_key(Client& c, const std::string& prefix, const std::string& value) {
  for (;;) {
    GetOptions last;
    last.prefix = true;
    last.sort_target = SortTarget::kKey;
    last.sort_order = SortOrder::kDescend;
    last.limit = 1;
    const GetResult g = c.get(prefix + "/", last);
    long long next = 0;
    std::vector<Compare> ifs;
    if (!g.kvs.empty()) {
      const std::string& k = g.kvs[0].key;
      next = std::stoll(k.substr(k.rfind('/') + 1)) + 1;
      ifs.push_back(Compare::mod_revision(k, Compare::Result::kEqual, g.kvs[0].mod_revision));
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "/%016lld", next);
    const std::string key = prefix + buf;
    ifs.push_back(Compare::create_revision(key, Compare::Result::kEqual, 0));
    const TxnResult t = c.txn(ifs, {Op::put(key, value)});
    if (t.succeeded) {
      KeyValue kv;
      kv.key = key;
      kv.value = value;
      kv.create_revision = kv.mod_revision = t.header.revision;
      kv.version = 1;
      return kv;
    }
  }
}

bool delete_rev_key(Client& c, const std::string& key, int64_t rev) {
  return c.txn({Compare::mod_revision(key, Compare::Result::kEqual, rev)}, {Op::del(key)})
      .succeeded;
}

}  // namespace syncscope::etcd::internal
