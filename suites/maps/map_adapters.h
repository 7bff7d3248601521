// Map adapters — the concurrent maps the `maps` suite compares, behind one
// two-method interface (one class or alias each, one registration line in
// maps.cc).
//
// This file offers:
//   SyncMapAdapter          syncscope::Map (Go's sync.Map)
//   ConcurrentMapAdapter    syncscope::ConcurrentMap (orcaman's sharded map,
//                           32 shards, a GoRWMutex each)
//   LockedMap<L>            std::unordered_map behind one lock L; loads take
//                           it shared when L is SharedLockable (GoRWMutex,
//                           std::shared_mutex), exclusively otherwise (GoMutex)
//   MapEntry<"name", M>     a named entry of a compile-time list (the name is
//                           the map's name in results; fixed colour in plots)
//
// The interface: keys and values are uint64_t.
//   std::optional<uint64_t> load(key) const    the value, or nullopt
//   void store(key, value)                     insert or overwrite
// Both callable from any thread concurrently.
#ifndef SYNCSCOPE_SUITES_MAPS_MAP_ADAPTERS_H_
#define SYNCSCOPE_SUITES_MAPS_MAP_ADAPTERS_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>

#include <syncscope/concurrent_map.h>
#include <syncscope/sync_map.h>

#include "common/lock_list.h"

namespace syncscope::suites {

template <FixedString Name, class M>
struct MapEntry {
  using type = M;
  static constexpr const char* kName = Name.value;
};

template <class... Entries>
struct MapList {};

template <class... Entries, class F>
void for_each_map(MapList<Entries...>, F&& f) {
  (f.template operator()<Entries>(), ...);
}

class SyncMapAdapter {
 public:
  std::optional<uint64_t> load(uint64_t key) const { return map_.load(key); }
  void store(uint64_t key, uint64_t value) { map_.store(key, value); }

 private:
  Map<uint64_t, uint64_t> map_;
};

class ConcurrentMapAdapter {
 public:
  std::optional<uint64_t> load(uint64_t key) const { return map_.get(key); }
  void store(uint64_t key, uint64_t value) { map_.set(key, value); }

 private:
  ConcurrentMap<uint64_t, uint64_t> map_;
};

template <class L>
concept SharedLockableLock = requires(L l) {
  l.lock_shared();
  l.unlock_shared();
};

// The map most programs start with: one std::unordered_map, one lock.
template <class L>
class LockedMap {
 public:
  std::optional<uint64_t> load(uint64_t key) const {
    if constexpr (SharedLockableLock<L>) {
      std::shared_lock<L> g(mu_);
      return find_locked(key);
    } else {
      std::lock_guard<L> g(mu_);
      return find_locked(key);
    }
  }
  void store(uint64_t key, uint64_t value) {
    std::lock_guard<L> g(mu_);
    map_[key] = value;  // may allocate a node (a new key), under the lock
  }

 private:
  std::optional<uint64_t> find_locked(uint64_t key) const {
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }

  mutable L mu_;
  std::unordered_map<uint64_t, uint64_t> map_;  // guarded by mu_
};

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_MAPS_MAP_ADAPTERS_H_
