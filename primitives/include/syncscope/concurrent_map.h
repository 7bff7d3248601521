// syncscope/concurrent_map.h — ConcurrentMap<K, V>: orcaman's
// concurrent-map (github.com/orcaman/concurrent-map, v2), a hash map split
// into shards, each a plain map behind its own reader/writer lock.
//
// This file offers:
//   uint32_t fnv32(std::string_view)      concurrent-map's key hash
//   template <class K> struct ShardHash   fnv32 for string-like keys,
//                                         std::hash<K> otherwise
//   template <class K, class V, class ShardHasher = ShardHash<K>,
//             class Hash = std::hash<K>, class KeyEqual = std::equal_to<K>>
//   class ConcurrentMap
//     set(k, v), mset(range of pairs)       Set, MSet
//     upsert(k, v, cb) -> V                 Upsert: cb(exists, in_map, v) -> stored value
//     set_if_absent(k, v) -> bool           SetIfAbsent
//     get(k) -> std::optional<V>            Get
//     has(k) -> bool                        Has
//     remove(k)                             Remove
//     remove_cb(k, cb) -> bool              RemoveCb: cb(k, v, exists) -> remove?
//     pop(k) -> std::optional<V>            Pop
//     count(), is_empty()                   Count, IsEmpty
//     items() -> std::unordered_map<K, V>   Items
//     keys() -> std::vector<K>              Keys
//     iter() -> std::vector<Tuple>          IterBuffered's snapshot, as a vector
//     iter_buffered() -> Chan<Tuple>        IterBuffered: a closed, filled channel
//     iter_cb(fn)                           IterCb: fn(k, v) under each shard's read lock
//     clear()                               Clear
//     shard_count(), shard_index(k)         (introspection for the `maps` suite)
//
// Go names -> C++: as listed; Tuple{Key, Val} -> Tuple{key, val};
// SHARD_COUNT -> kDefaultShardCount (a constructor argument here, a package
// variable there); New[V]() -> ConcurrentMap<std::string, V>();
// NewWithCustomShardingFunction(f) -> the ShardHasher parameter.
//
// Algorithm (the seed's "concurrent-map" slide): kDefaultShardCount (32)
// shards; a key goes to shard ShardHasher(key) % shard_count(). Each shard
// is an std::unordered_map guarded by a GoRWMutex (Go's sync.RWMutex, which
// the Go shard embeds). Single-key operations lock one shard: lookups
// shared, updates exclusive. Whole-map operations (count, items, keys,
// iter*, clear) visit the shards one after another, each under its own lock:
// they are not atomic snapshots of the whole map: each shard is seen as it
// was at the moment it was visited, so an update to an already visited
// shard is missed and one to a shard not yet visited is seen, exactly as in
// concurrent-map (count() may never have been the true size). Shards
// are padded to a cache line each so that two shards' locks never share
// one (false sharing would serialise independent shards).
//
// Hashing: concurrent-map hashes string keys with its fnv32, which is FNV-1
// (multiply, then xor) with the 32-bit offset basis 2166136261 and prime
// 16777619 — not FNV-1a; fnv32() reproduces it bit for bit so the shard of a
// key is the one Go would pick. Other key types use std::hash<K> (libstdc++:
// identity for integers, so consecutive integer keys go round-robin over the
// shards). The per-shard unordered_map uses Hash, independently.
//
// Memory ordering: every operation on a key happens inside its shard's
// lock; GoRWMutex gives acquire on lock/lock_shared and release on
// unlock/unlock_shared, so a get() that sees a value sees everything the
// thread that set it did before set().
//
// Fairness and starvation: those of GoRWMutex per shard — writer-preferring
// (a pending writer blocks new readers; readers and writers alternate in
// batches), writers among themselves as GoMutex (starvation mode after 1 ms).
//
// Callbacks (upsert, remove_cb, iter_cb) run while the shard's lock is held
// (exclusive for upsert/remove_cb, shared for iter_cb), as in Go: they must
// not call back into the same map (a self-deadlock, same as Go's).
//
// Legal operations: all methods may be called concurrently from any thread.
// Not copyable or movable (it owns its locks).

#ifndef SYNCSCOPE_CONCURRENT_MAP_H_
#define SYNCSCOPE_CONCURRENT_MAP_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <syncscope/chan.h>
#include <syncscope/go_rwmutex.h>

namespace syncscope {

// concurrent-map's fnv32: FNV-1, 32 bits (multiply by the prime, then xor
// the byte).
constexpr uint32_t fnv32(std::string_view key) noexcept {
  constexpr uint32_t kOffsetBasis = 2166136261u;
  constexpr uint32_t kPrime = 16777619u;
  uint32_t hash = kOffsetBasis;
  for (char c : key) {
    hash *= kPrime;
    hash ^= static_cast<uint32_t>(static_cast<unsigned char>(c));
  }
  return hash;
}
static_assert(fnv32("") == 2166136261u, "FNV-32 of the empty string is the offset basis");
static_assert(fnv32("a") == ((2166136261u * 16777619u) ^ 0x61u), "FNV-1: multiply, then xor");

// The default shard hash: fnv32 for keys convertible to std::string_view
// (std::string, std::string_view, const char*), std::hash<K> otherwise.
template <class K>
struct ShardHash {
  std::size_t operator()(const K& key) const
      noexcept(std::is_convertible_v<const K&, std::string_view> ||
               noexcept(std::hash<K>{}(key))) {
    if constexpr (std::is_convertible_v<const K&, std::string_view>) {
      return fnv32(std::string_view(key));
    } else {
      return std::hash<K>{}(key);
    }
  }
};

template <class K, class V, class ShardHasher = ShardHash<K>, class Hash = std::hash<K>,
          class KeyEqual = std::equal_to<K>>
class ConcurrentMap {
 public:
  using key_type = K;
  using mapped_type = V;
  // concurrent-map's Tuple (IterBuffered's element).
  struct Tuple {
    K key;
    V val;
  };

  // concurrent-map's SHARD_COUNT.
  static constexpr std::size_t kDefaultShardCount = 32;
  // Shards are aligned to this (a cache line, and the adjacent-line
  // prefetch pair on x86-64), so no two shards' locks share a line.
  static constexpr std::size_t kShardAlign = 128;

  // ConcurrentMap(shards, hasher): shards > 0 (std::invalid_argument
  // otherwise).
  explicit ConcurrentMap(std::size_t shard_count = kDefaultShardCount,
                         ShardHasher hasher = ShardHasher())
      : shard_count_(check_shard_count(shard_count)),
        shards_(new Shard[shard_count_]),
        hasher_(std::move(hasher)) {}
  ConcurrentMap(const ConcurrentMap&) = delete;
  ConcurrentMap& operator=(const ConcurrentMap&) = delete;

  // ---- single key -------------------------------------------------------
  // set(k, v): Go's Set.
  void set(const K& key, V value) {
    Shard& s = shard(key);
    std::lock_guard<GoRWMutex> lk(s.mu);
    s.items.insert_or_assign(key, std::move(value));
  }

  // upsert(k, v, cb): Go's Upsert: under the shard's write lock, stores
  // cb(exists, value_in_map, v) and returns it. value_in_map is a
  // value-initialised V when the key is absent (Go's zero value), so V must
  // be default-constructible for upsert. cb: V(bool, const V&, V&&) or any
  // callable accepting those arguments.
  template <class F>
  V upsert(const K& key, V value, F&& cb) {
    Shard& s = shard(key);
    std::lock_guard<GoRWMutex> lk(s.mu);
    auto it = s.items.find(key);
    if (it == s.items.end()) {
      V zero{};
      V res = std::forward<F>(cb)(false, std::as_const(zero), std::move(value));
      s.items.emplace(key, res);
      return res;
    }
    V res = std::forward<F>(cb)(true, std::as_const(it->second), std::move(value));
    it->second = res;
    return res;
  }

  // set_if_absent(k, v): Go's SetIfAbsent: stores v if k is absent; true if
  // it did.
  bool set_if_absent(const K& key, V value) {
    Shard& s = shard(key);
    std::lock_guard<GoRWMutex> lk(s.mu);
    return s.items.try_emplace(key, std::move(value)).second;
  }

  // get(k): Go's Get.
  std::optional<V> get(const K& key) const {
    const Shard& s = shard(key);
    std::shared_lock<GoRWMutex> lk(s.mu);
    auto it = s.items.find(key);
    if (it == s.items.end()) return std::nullopt;
    return it->second;
  }

  // has(k): Go's Has.
  bool has(const K& key) const {
    const Shard& s = shard(key);
    std::shared_lock<GoRWMutex> lk(s.mu);
    return s.items.find(key) != s.items.end();
  }

  // remove(k): Go's Remove.
  void remove(const K& key) {
    Shard& s = shard(key);
    std::lock_guard<GoRWMutex> lk(s.mu);
    s.items.erase(key);
  }

  // remove_cb(k, cb): Go's RemoveCb: under the shard's write lock calls
  // cb(key, value, exists) (value is a value-initialised V when absent) and
  // removes the key if cb returned true and the key exists. Returns cb's
  // result.
  template <class F>
  bool remove_cb(const K& key, F&& cb) {
    Shard& s = shard(key);
    std::lock_guard<GoRWMutex> lk(s.mu);
    auto it = s.items.find(key);
    if (it == s.items.end()) {
      const V zero{};
      return static_cast<bool>(std::forward<F>(cb)(key, zero, false));
    }
    const bool remove =
        static_cast<bool>(std::forward<F>(cb)(key, std::as_const(it->second), true));
    if (remove) s.items.erase(it);
    return remove;
  }

  // pop(k): Go's Pop: removes k and returns its value.
  std::optional<V> pop(const K& key) {
    Shard& s = shard(key);
    std::lock_guard<GoRWMutex> lk(s.mu);
    auto it = s.items.find(key);
    if (it == s.items.end()) return std::nullopt;
    std::optional<V> v(std::move(it->second));
    s.items.erase(it);
    return v;
  }

  // ---- whole map (shard by shard; see the header) ------------------------
  // mset(pairs): Go's MSet: sets every (key, value) of a range of pairs.
  template <class Range>
  void mset(const Range& pairs) {
    for (const auto& [k, v] : pairs) set(k, v);
  }

  // count(): Go's Count: the sum of the shard sizes, each read under its
  // read lock.
  std::size_t count() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      std::shared_lock<GoRWMutex> lk(shards_[i].mu);
      n += shards_[i].items.size();
    }
    return n;
  }
  // is_empty(): Go's IsEmpty (count() == 0).
  bool is_empty() const { return count() == 0; }

  // iter_cb(fn): Go's IterCb: fn(const K&, const V&) for every item, under
  // each shard's read lock in turn (the cheapest way to read everything).
  template <class F>
  void iter_cb(F&& fn) const {
    for (std::size_t i = 0; i < shard_count_; ++i) {
      std::shared_lock<GoRWMutex> lk(shards_[i].mu);
      for (const auto& kv : shards_[i].items) fn(kv.first, kv.second);
    }
  }

  // iter(): the snapshot Go's IterBuffered sends, as a vector (each shard
  // copied under its read lock, shard by shard).
  std::vector<Tuple> iter() const {
    std::vector<Tuple> out;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      std::shared_lock<GoRWMutex> lk(shards_[i].mu);
      out.reserve(out.size() + shards_[i].items.size());
      for (const auto& kv : shards_[i].items) out.push_back(Tuple{kv.first, kv.second});
    }
    return out;
  }

  // iter_buffered(): Go's IterBuffered: a channel holding the snapshot,
  // already closed, so `for (auto t : m.iter_buffered())` drains it. Go
  // fills per-shard channels and fans them in with a goroutine; here the
  // snapshot is taken first, then sent into one buffered channel of exactly
  // that capacity (no thread, no blocking). An empty map yields a closed
  // unbuffered channel. Needs K and V nothrow-move-constructible (Chan's
  // element rule).
  Chan<Tuple> iter_buffered() const {
    std::vector<Tuple> snap = iter();
    Chan<Tuple> ch(snap.size());
    for (Tuple& t : snap) ch.send(std::move(t));
    ch.close();
    return ch;
  }

  // items(): Go's Items: all items as an unordered_map.
  std::unordered_map<K, V, Hash, KeyEqual> items() const {
    std::unordered_map<K, V, Hash, KeyEqual> out;
    iter_cb([&](const K& k, const V& v) { out.emplace(k, v); });
    return out;
  }

  // keys(): Go's Keys.
  std::vector<K> keys() const {
    std::vector<K> out;
    iter_cb([&](const K& k, const V&) { out.push_back(k); });
    return out;
  }

  // clear(): Go's Clear: empties every shard (each under its write lock).
  void clear() {
    for (std::size_t i = 0; i < shard_count_; ++i) {
      std::lock_guard<GoRWMutex> lk(shards_[i].mu);
      shards_[i].items.clear();
    }
  }

  // shard_count(): the number of shards. shard_index(k): k's shard.
  std::size_t shard_count() const noexcept { return shard_count_; }
  std::size_t shard_index(const K& key) const { return hasher_(key) % shard_count_; }

 private:
  // Go's ConcurrentMapShared.
  struct alignas(kShardAlign) Shard {
    // Guards items. Readers take it shared, writers exclusive.
    mutable GoRWMutex mu;
    std::unordered_map<K, V, Hash, KeyEqual> items;
  };
  static_assert(alignof(Shard) == kShardAlign && sizeof(Shard) % kShardAlign == 0,
                "each shard occupies whole cache-line pairs of its own");

  static std::size_t check_shard_count(std::size_t n) {
    if (n == 0) throw std::invalid_argument("ConcurrentMap: shard count must be > 0");
    return n;
  }

  Shard& shard(const K& key) { return shards_[shard_index(key)]; }
  const Shard& shard(const K& key) const { return shards_[shard_index(key)]; }

  // Immutable after construction.
  const std::size_t shard_count_;
  const std::unique_ptr<Shard[]> shards_;
  const ShardHasher hasher_;
};

// Compiled once in concurrent_map.cc (the `maps` suite's key/value types).
extern template class ConcurrentMap<uint64_t, uint64_t>;
extern template class ConcurrentMap<std::string, std::string>;

}  // namespace syncscope

#endif  // SYNCSCOPE_CONCURRENT_MAP_H_
