// syncscope::Pool is a header-only template (see syncscope/pool.h for the
// design). This file holds the non-template parts of its fast path — the
// stamps, the per-thread cache's exit hook, the asymmetric fence — compiles
// both flavours in full for one element type (every member, not only the
// ones a test calls) and pins the layouts the header promises.
#include <syncscope/pool.h>

#include <syncscope/spin_lock.h>

#include <cstdio>
#include <exception>
#include <string>

#if !SYNCSCOPE_TSAN && defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace syncscope {
namespace detail {
namespace {

// Next generation stamp; 0 is "empty entry". Relaxed: uniqueness is all
// that is asked (fetch_add never hands out a value twice).
std::atomic<uint64_t> g_next_stamp{1};
std::atomic<uint32_t> g_next_way{0};

// One per thread that has bound a pool (recycled across threads, never
// freed: trim() may be scanning it at any time). Padded: its owner writes
// `active` on every fast-path operation.
struct alignas(kPoolPad) PoolThreadRecord {
  // The stamp of the generation the owner's fast path is using, or 0.
  // Written only by the owner (release stores, see BasicPool::enter);
  // read by trim (acquire; seq_cst under TSan). Direction: 0 -> stamp -> 0.
  std::atomic<uint64_t> active{0};
  // True while a thread holds the record: set by an acquire CAS on
  // adoption, cleared by a release store at thread exit.
  std::atomic<bool> in_use{false};
  // Next record of the list; written before the record is published (the
  // seq_cst CAS on the head) and never again.
  PoolThreadRecord* next = nullptr;
};

// Head of the list of records. Push-only, with seq_cst CASes, and loaded
// seq_cst by trim: BasicPool::wait_for_fast_paths's argument needs a record
// pushed after trim's head load to be ordered after trim's primary_ store.
std::atomic<PoolThreadRecord*> g_records{nullptr};

PoolThreadRecord* adopt_record() {
  for (PoolThreadRecord* r = g_records.load(std::memory_order_seq_cst); r != nullptr; r = r->next) {
    bool expected = false;
    if (!r->in_use.load(std::memory_order_relaxed) &&
        r->in_use.compare_exchange_strong(expected, true, std::memory_order_acquire,
                                          std::memory_order_relaxed)) {
      return r;
    }
  }
  auto* r = new PoolThreadRecord;  // may throw: nothing has changed yet
  r->in_use.store(true, std::memory_order_relaxed);
  PoolThreadRecord* head = g_records.load(std::memory_order_relaxed);
  do {
    r->next = head;
  } while (!g_records.compare_exchange_weak(head, r, std::memory_order_seq_cst,
                                            std::memory_order_relaxed));
  return r;
}

// Empties and closes the thread's cache and gives its record back when the
// thread exits. Constructed at the thread's first bind(), which comes after
// the thread's first read section, hence after rcu.cc's ThreadExit hook:
// thread_local destructors run in reverse order of construction, so this
// one runs before the thread's index is given back. From then on bind()
// refuses, so no entry can point at a Local whose index a new thread may
// adopt.
struct PoolCacheCloser {
  PoolThreadRecord* record = nullptr;
  ~PoolCacheCloser() {
    PoolThreadCache& c = t_pool_cache;
    for (PoolCacheEntry& e : c.entries) e = PoolCacheEntry{};
    c.active = &g_pool_unbound_active;
    c.closed = true;
    if (record != nullptr) {
      // No fast path is running on this thread: active is 0 already.
      record->in_use.store(false, std::memory_order_release);
      record = nullptr;
    }
  }
};
thread_local PoolCacheCloser t_closer;

#if !SYNCSCOPE_TSAN && defined(__linux__) && defined(__NR_membarrier)
long membarrier(int cmd) noexcept { return syscall(__NR_membarrier, cmd, 0); }

// Linux >= 4.14: the expedited private command needs a registration first.
// A failed query or registration (old kernel, seccomp, an emulator that
// does not pass the call through) selects the symmetric path.
bool probe_membarrier() noexcept {
  const long cmds = membarrier(MEMBARRIER_CMD_QUERY);
  if (cmds < 0) return false;
  if ((cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0 ||
      (cmds & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0) {
    return false;
  }
  if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0) return false;
  return membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0;  // a trial run
}
#else
// ThreadSanitizer does not understand membarrier; other systems lack it.
bool probe_membarrier() noexcept { return false; }
#endif

}  // namespace

void pool_cache_arm() {
  PoolCacheCloser& closer = t_closer;  // odr-use: constructs it, registering its destructor
  closer.record = adopt_record();      // may throw: nothing changed
  t_pool_cache.active = &closer.record->active;
  t_pool_cache.armed = true;
}

uint64_t pool_next_stamp() noexcept { return g_next_stamp.fetch_add(1, std::memory_order_relaxed); }

uint32_t pool_next_way() noexcept { return g_next_way.fetch_add(1, std::memory_order_relaxed); }

bool pool_membarrier_available() noexcept {
  static const bool available = probe_membarrier();  // thread-safe, once
  return available;
}

void pool_heavy_fence() noexcept {
#if !SYNCSCOPE_TSAN && defined(__linux__) && defined(__NR_membarrier)
  if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return;
#endif
  // Registered, probed, and now refused: fast paths relying on it would be
  // unprotected. Not expected from any kernel.
  std::fputs("syncscope::Pool: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed after a "
             "successful probe\n",
             stderr);
  std::terminate();
}

void pool_wait_for_fast_paths(uint64_t stamp) noexcept {
#if SYNCSCOPE_TSAN
  constexpr std::memory_order kOrder = std::memory_order_seq_cst;
#else
  constexpr std::memory_order kOrder = std::memory_order_acquire;
#endif
  for (PoolThreadRecord* r = g_records.load(std::memory_order_seq_cst); r != nullptr; r = r->next) {
    if (r->active.load(kOrder) != stamp) continue;
    SpinWait w;
    while (r->active.load(kOrder) == stamp) w.once();
  }
}

}  // namespace detail

template class BasicPool<std::string, false>;
template class BasicPool<std::string, true>;
template class detail::PoolDequeue<std::string>;
template class detail::PoolChain<std::string>;

namespace {

using Dequeue = detail::PoolDequeue<int>;
static_assert(Dequeue::kDequeueLimit == (uint32_t{1} << 30),
              "Go's dequeueLimit: (1 << dequeueBits) / 4");
static_assert((detail::PoolChain<int>::kInitialSize & (detail::PoolChain<int>::kInitialSize - 1)) == 0,
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

// The fast path reads one entry: stamp, slot, local.
static_assert(std::is_trivially_destructible_v<detail::PoolThreadCache>,
              "the per-thread cache must stay usable during thread exit (no TLS guard)");
static_assert(sizeof(detail::PoolCacheEntry) == 3 * sizeof(void*) || sizeof(void*) == 4,
              "an entry is a stamp and two pointers");

}  // namespace

}  // namespace syncscope
