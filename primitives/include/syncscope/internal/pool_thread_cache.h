// syncscope/internal/pool_thread_cache.h — the per-thread cache behind
// Pool's fast path: which ThreadSlot of which pool generation this thread
// uses. Machinery of syncscope/pool.h (see its "Fast path" and "Thread
// exit", which explain how get()/put() use it): not for users, no
// stability promised. The non-template parts live in pool.cc.

#ifndef SYNCSCOPE_INTERNAL_POOL_THREAD_CACHE_H_
#define SYNCSCOPE_INTERNAL_POOL_THREAD_CACHE_H_

#include <cstdint>

namespace syncscope {
namespace detail {

// One cached (pool, generation) -> thread slot binding.
struct PoolCacheEntry {
  // The generation stamp the entry was filled for, or 0 (empty). Stamps are
  // unique across every pool and generation of the process
  // (pool_next_stamp), so the entry belongs to pool P's current generation
  // exactly when stamp == P's current stamp: no pool id is needed, and a
  // pool freed and reallocated at the same address can never match a stale
  // entry.
  uint64_t stamp = 0;
  // The pool's ThreadSlot of this thread (pool lifetime: private object,
  // counters). Dereferenced only after the stamp matched, i.e. while the
  // pool is alive.
  void* slot = nullptr;
};

// Ways of the cache: a pool uses way (its creation number mod kPoolCacheWays),
// so up to this many pools created in a row never evict one another; two
// pools sharing a way and used alternately by one thread both take the slow
// path (still correct).
inline constexpr uint32_t kPoolCacheWays = 16;
static_assert((kPoolCacheWays & (kPoolCacheWays - 1)) == 0, "ways: a power of two");

// The calling thread's cache. Trivially destructible and constant
// initialised: reading it is one %fs-relative access (TPIDR_EL0 on ARM64),
// no TLS guard. Written only by its thread.
struct PoolThreadCache {
  // The entry used last, checked first: a thread working with one pool
  // finds it at a fixed TLS offset, without reading the pool's way_. A copy
  // of entries[way] of the pool it belongs to.
  PoolCacheEntry mru;
  PoolCacheEntry entries[kPoolCacheWays];
  bool closed = false;  // the thread is exiting: never filled again
  bool armed = false;   // the thread's exit hook is registered
};
inline constinit thread_local PoolThreadCache t_pool_cache{};

// Outlined (pool.cc): registers the thread-exit hook that empties and
// closes the calling thread's cache before its thread index is given back
// (see "Thread exit" in pool.h). Runs once per thread; may throw std::bad_alloc
// (thread_local registration), changing nothing.
void pool_cache_arm();

// pool_cache_may_fill(): the calling thread may cache bindings (not during
// its exit). Arms it on first use.
inline bool pool_cache_may_fill() {
  PoolThreadCache& c = t_pool_cache;
  if (c.closed) return false;
  if (!c.armed) pool_cache_arm();
  return true;
}

// A new generation stamp: unique in the process, never 0 (a relaxed
// fetch_add on a global counter; 2^64 stamps do not run out).
uint64_t pool_next_stamp() noexcept;
// The cache way of a new pool (round robin).
uint32_t pool_next_way() noexcept;

}  // namespace detail
}  // namespace syncscope

#endif  // SYNCSCOPE_INTERNAL_POOL_THREAD_CACHE_H_
