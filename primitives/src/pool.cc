// syncscope::Pool is a header-only template (see syncscope/pool.h for the
// design). This file holds the non-template parts of its fast path — the
// stamps, the per-thread cache's exit hook — compiles both flavours in full
// for one element type (every member, not only the ones a test calls) and
// pins the layouts the header promises.
#include <syncscope/pool.h>

#include <cstddef>
#include <string>

namespace syncscope {
namespace detail {
namespace {

// Next generation stamp; 0 is "empty entry". Relaxed: uniqueness is all
// that is asked (fetch_add never hands out a value twice).
std::atomic<uint64_t> g_next_stamp{1};
std::atomic<uint32_t> g_next_way{0};

// Empties and closes the thread's cache when the thread exits. Constructed
// at the thread's first bind(), which comes after the thread's first read
// section, hence after rcu.cc's ThreadExit hook: thread_local destructors
// run in reverse order of construction, so this one runs before the
// thread's index is given back. From then on bind() refuses, so no entry
// can point at a slot whose index a new thread may adopt.
struct PoolCacheCloser {
  ~PoolCacheCloser() {
    PoolThreadCache& c = t_pool_cache;
    c.mru = PoolCacheEntry{};
    for (PoolCacheEntry& e : c.entries) e = PoolCacheEntry{};
    c.closed = true;
  }
};
thread_local PoolCacheCloser t_closer;

}  // namespace

void pool_cache_arm() {
  PoolCacheCloser& closer = t_closer;  // odr-use: constructs it, registering its destructor
  (void)closer;
  t_pool_cache.armed = true;
}

uint64_t pool_next_stamp() noexcept { return g_next_stamp.fetch_add(1, std::memory_order_relaxed); }

uint32_t pool_next_way() noexcept { return g_next_way.fetch_add(1, std::memory_order_relaxed); }

}  // namespace detail

template class BasicPool<std::string, false>;
template class BasicPool<std::string, true>;
template class detail::PoolDequeue<std::string>;
template class detail::PoolChain<std::string>;

namespace {

using Dequeue = detail::PoolDequeue<int>;
static_assert(Dequeue::kDequeueLimit == (uint32_t{1} << 30),
              "Go's dequeueLimit: (1 << dequeueBits) / 4");
static_assert((detail::PoolChain<int>::kInitialSize & (detail::PoolChain<int>::kInitialSize - 1)) ==
                  0,
              "deque sizes are powers of two");

// IndexedArray: segment k holds kFirstSegment << k elements; the segments
// cover [0, kFirstSegment * (2^kSegments - 1)), which must exceed any thread
// index (a uint32_t).
using Segments = detail::IndexedArray<int>;
static_assert(Segments::segment_size(0) == Segments::kFirstSegment &&
                  Segments::segment_size(1) == 2 * Segments::kFirstSegment,
              "segments double");
static_assert(static_cast<uint64_t>(Segments::kFirstSegment) *
                      ((uint64_t{1} << Segments::kSegments) - 1) >=
                  (uint64_t{1} << 29),
              "room for far more threads than a machine runs");

// The fast path reads one entry: a stamp and a slot.
static_assert(std::is_trivially_destructible_v<detail::PoolThreadCache>,
              "the per-thread cache must stay usable during thread exit (no TLS guard)");
static_assert(
    sizeof(detail::PoolCacheEntry) == 2 * sizeof(uint64_t),
    "an entry is a stamp and a pointer: 16 bytes on 64-bit targets (12 + padding on 32-bit)");
static_assert(offsetof(detail::PoolThreadCache, mru) == 0,
              "the MRU entry sits at the cache's own TLS offset");

}  // namespace

}  // namespace syncscope
