// Queue, PriorityQueue (see queue.h).
#include "syncscope/etcd/queue.h"

#include <cstdio>

#include "syncscope/etcd/internal/keys.h"
#include "syncscope/etcd/internal/wait.h"

namespace syncscope::etcd {

namespace {

// Claims the first element in `order`; blocks on an empty queue.
std::string dequeue_first(Client& c, const std::string& prefix, SortTarget order,
                          const Context& ctx, const std::string& what) {
  for (;;) {
    if (ctx.err()) internal::throw_wait_end(internal::WaitEnd::kContext, ctx, what);
    GetOptions first;
    first.prefix = true;
    first.sort_target = order;
    first.sort_order = SortOrder::kAscend;
    first.limit = 8;  // a few candidates: one lost race need not cost a round trip
    const GetResult g = c.get(prefix, first);
    for (const auto& kv : g.kvs) {
      if (internal::delete_rev_key(c, kv.key, kv.mod_revision)) return kv.value;
    }
    if (!g.kvs.empty() || g.more) continue;
    // Empty: wait for a put on the prefix after the read, then try to claim it.
    WatchOptions w;
    w.prefix = true;
    w.start_revision = g.header.revision + 1;
    std::optional<KeyValue> put;
    const auto end = internal::watch_until(c, prefix, w, ctx, nullptr, [&](const WatchResponse& r) {
      for (const auto& e : r.events) {
        if (e.type == WatchEvent::Type::kPut) {
          put = e.kv;
          return true;
        }
      }
      return false;
    });
    if (end != internal::WaitEnd::kDone) internal::throw_wait_end(end, ctx, what);
    // Go's recipe claims the watched key at once; for FIFO/priority order take
    // the first element again instead (an older one may have appeared).
  }
}

}  // namespace

void Queue::enqueue(const std::string& value) { internal::new_unique_key(c_, pfx_, value); }

std::string Queue::dequeue(const Context& ctx) {
  return dequeue_first(c_, pfx_ + "/", SortTarget::kCreate, ctx, "etcd Queue " + pfx_ + " dequeue");
}

void PriorityQueue::enqueue(const std::string& value, uint16_t priority) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "/%05u", static_cast<unsigned>(priority));
  internal::new_sequential_key(c_, pfx_ + buf, value);
}

std::string PriorityQueue::dequeue(const Context& ctx) {
  return dequeue_first(c_, pfx_ + "/", SortTarget::kKey, ctx,
                       "etcd PriorityQueue " + pfx_ + " dequeue");
}

}  // namespace syncscope::etcd
