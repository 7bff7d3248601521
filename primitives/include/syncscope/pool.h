// syncscope/pool.h — Pool<T>: Go's sync.Pool, for threads.
//
// This file offers:
//   template <class T, bool kInstrumented> class BasicPool
//   using Pool<T>             = BasicPool<T, false>;   no counters at all
//   using InstrumentedPool<T> = BasicPool<T, true>;    + stats()
//     get()            an object from the pool, else New's, else nullptr
//     put(obj)         gives an object back (may be dropped: see the cap)
//     trim()           Go's GC step: primary -> victim, old victim freed
//     synchronize()    waits for operations in progress, frees what trims
//                      and steals retired
//     retained_approx()objects held now (walks the pool)
//     stats()          (instrumented) gets, puts, news, hits by source,
//                      steals, drops, trimmed, retained objects and bytes
//   struct PoolOptions<T>   new_fn (Go's New), size_of + max_size (the
//                           go#23199 cap)
//   struct PoolStats
// Machinery it is built from (not for users; under syncscope/internal/):
//   pool_queue.h         detail::PoolDequeue, detail::PoolChain (Go's
//                        poolDequeue/poolChain, poolqueue.go)
//   indexed_array.h      detail::IndexedArray (per-thread state by index)
//   pool_thread_cache.h  detail::PoolThreadCache, the fast path's
//                        per-thread binding cache
//
// Go names -> C++: Get -> get, Put -> put, New -> PoolOptions::new_fn (or
// the constructor argument). Go's interface{} becomes std::unique_ptr<T>:
// the pool owns what is in it; get() hands ownership out, put() takes it
// back; Put(nil) is a no-op in both. runtime GC's poolCleanup -> trim().
//
// ---------------------------------------------------------------------------
// Design (after Go's sync/pool.go and sync/poolqueue.go, Austin Clements,
// Go 1.13; written here for OS threads; the code is this file's own).
//
// What a Pool is for: caching allocated-but-unused objects between uses, so
// that a hot allocation site does not pay the allocator and the memory
// stays warm in caches. Any object may be dropped at any time (trim), so a
// pool is not a free list with a guarantee; the seed's slides show why its
// users must keep entries of similar size (go#23199, below).
//
// Per-thread state. Go keeps one poolLocal per P (GOMAXPROCS of them) and
// pins the goroutine to its P for the duration of Get/Put, which makes the
// P the only user of its local. OS threads cannot be pinned like that (and
// per-CPU data would need restartable sequences to be exclusive), so here
// per-thread state belongs to a *thread*: the index of the thread's epoch
// record (rcu.h; dense, 0..threads-1, recycled when a thread exits, so a
// new thread inherits the state of an old one, with the hand-over ordered
// by the record's adoption). It lives in IndexedArrays: segments of
// doubling size allocated on first use and never moved, so an element never
// changes address while the array grows. A thread has, in each pool,
//   * private (in its ThreadSlot, which lives as long as the pool): one
//     object, used only by its owner — the cheapest hit: a relaxed load and
//     store, no RMW. put() fills it first, get() empties it first. Nobody
//     else ever reads or writes it while the owner lives, trim() included
//     (see "Trim and the private slot").
//   * a private batch (in its ThreadSlot too): up to kPrivateBatch (16)
//     more objects, owner-only like the private slot, that cross to and
//     from the shared chain kBatchMove (8) at a time (see "Private batch").
//   * shared (in its Local of each generation): a PoolChain, a lock-free
//     deque with one producer (the owner: push_head/pop_head) and any
//     number of consumers (other threads: pop_tail, i.e. stealing from the
//     cold end).
//
// get(): private, else own batch, else own shared head (LIFO: the most
// recently put object is the warmest), else steal from the tail of every
// other local's shared (FIFO: the coldest), else the victim cache (own
// victim shared, then every other victim shared), else New.
//
// The shared deque (PoolDequeue and PoolChain, Go's poolDequeue and
// poolChain) is explained next to its code, in syncscope/internal/
// pool_queue.h, as Go keeps it in poolqueue.go. In short: one producer
// pushes and pops at the head, any number of consumers steal at the tail,
// and one 64-bit word packing head and tail settles every race for the
// last element with a single CAS.
//
// Private batch (where this pool departs from Go; the magazine layer of
// J. Bonwick and J. Adams, "Magazines and Vmem", USENIX 2001, in Go's
// pool). Go moves every object beyond the private one through its P's
// poolChain: a put is pushHead (a store and an atomic add), a get popHead
// (a CAS). Here each such move would also pay a read section (one seq_cst
// store: see "Cost compared with Go's"), which made Pool's overflow path
// (Go's BenchmarkPoolOverflow: 100 puts, then 100 gets) slower than Go's
// and than new/delete. So a thread keeps up to kPrivateBatch objects
// beyond its private slot in an owner-only array, with plain loads and
// stores and no read section; a put that finds it full moves its oldest
// kBatchMove objects to the shared chain in one batched push (one
// fetch_add: PoolChain::push_head_batch), and a get that finds it empty
// takes up to kBatchMove of the chain's newest objects in one CAS
// (pop_head_batch), keeping all but one in the batch. One read section
// and one RMW then serve kBatchMove objects. LIFO order is kept: the batch
// holds the newest objects, the chain's head the next newest. The batch
// ages with the private object (one stamp for both, "Trim and the private
// slot") and is counted as retained. What it trades: up to kPrivateBatch
// objects per thread are invisible to other threads' steals (Go hides one),
// so a thread that runs short steals only what others have moved to their
// chains; an idle thread holds up to 1 + kPrivateBatch objects until it
// next touches the pool; gets served from the batch count as shared_hits.
//
// Why these choices: the private slot makes the common get/put pair free of
// atomic RMWs; the single-producer deque makes the owner's push a plain
// store plus one fetch_add and lets stealers coexist with the owner without
// a lock; one packed word instead of two indices avoids the ABA-style race
// where owner and thief both take the last element. The cost: stealing
// scans every local (O(threads)), and a get() that misses everywhere pays
// that scan before calling New.
//
// Trim (Go's poolCleanup, run by the GC with the world stopped): the
// primary generation of locals becomes the victim cache and the old victim
// is dropped. Objects thus survive one trim unused and are freed by the
// second: a pool that is in steady use keeps its objects across a trim
// (they are found in the victim and put back into the primary), while an
// idle pool's memory goes away after two. There is no stopped world here:
// trim() swaps the generation pointers atomically and retires the old
// victim to epoch reclamation; every slow-path get()/put() runs inside a
// read section (rcu.h), so a generation — and the objects still in its
// shared chains — is freed only after every operation that might be using
// it has finished. An operation that started before a trim may still put
// its object into the old generation; it is then found in the victim, or
// freed with it. The fast path never touches a generation at all, so trim()
// never waits for anybody but other trims.
//
// Trim and the private slot (where this pool departs from Go). Go's
// poolCleanup runs with the world stopped, so it can move every P's private
// object along with the rest. Here the private slot is the owner's alone:
// trim() rotates only the shared chains, and each private object carries
// the stamp of the generation it was put in (ThreadSlot::private_stamp).
// Its owner ages it lazily, on its next get()/put() slow path (a trim makes
// the fast path's stamp check fail) or in its own trim() calls:
//   * put in the current primary: still private;
//   * put in what is now the victim (one trim ago): a victim object — a
//     get() takes it (a victim hit), a put() moves it to the owner's shared
//     chain of the victim generation, where others may steal it and the next
//     trim frees it with the rest of that generation;
//   * older (two trims or more): dropped (destroyed, counted as trimmed).
// So an object that its owner keeps using behaves exactly as in Go. The
// difference: an idle thread's private objects — the private one and its
// batch, at most 1 + kPrivateBatch per thread per pool, each within the
// byte cap — outlive trims until that thread next touches the pool (get,
// put or trim); a thread that exits leaves them with its thread index, to
// the next thread that adopts the index, or to the pool's destructor.
// Retention stays bounded by 1 + kPrivateBatch objects per thread index
// plus what the shared chains hold (two trims' worth, each object within
// the cap). retained_approx() and stats() count these objects as
// retained. The gain: no fast-path operation has to announce itself to
// trim(), so get()/put() are plain loads and stores. The tempting version
// — trim() emptying every thread's private slot itself — races with an
// owner between its stamp check and its store (trim frees the object the
// owner is about to hand out, or misses the one it is storing); making it
// safe takes what Go gets from pinning a P: a per-thread "busy" word
// written around every operation and a trim() that waits on it, with
// fences (or membarrier) on both sides. That is two more stores per
// operation on the fast path, which is what this design removes.
//
// The size cap (go#23199; the seed's fmt and encoding/json slides): a pool
// whose objects carry variably-sized buffers retains, in the worst case,
// its largest objects forever — one huge request and every pooled buffer
// may grow to its size. The fix in Go's standard library is in the callers:
// don't Put objects above a size. PoolOptions offers that as a policy:
// size_of(obj) and max_size; put() drops (destroys) objects with
// size_of(obj) > max_size. size_of also feeds the byte counters of
// InstrumentedPool.
//
// Fast path (the private slot). Go's Get/Put pin the goroutine to its P —
// a per-P operation with no atomic RMW and no fence — and index pool.local
// by the P id. Here:
//   * Each thread keeps a small cache (PoolThreadCache): a most-recently-
//     used entry checked first, then a direct-mapped array of entries (one
//     per "way"; a pool's way is fixed at construction). An entry binds a
//     generation stamp to the thread's ThreadSlot in that pool. Stamps come
//     from one process-wide counter, so a stamp names one generation of one
//     pool: an entry is valid for pool P exactly when its stamp equals P's
//     current stamp_, and a pool reallocated at a freed address can never
//     match it.
//   * get()/put() (inline): find the entry whose stamp equals stamp_
//     (relaxed load) — the MRU entry, else the pool's way — and use the
//     ThreadSlot's private slot with a relaxed load and store. No RMW, no
//     fence, no read section. Anything else — no valid entry, an empty
//     private slot on get or a full one on put — takes the outlined slow
//     path, which works inside a read section, ages the private object (a
//     trim changed the stamp) and refills the entries.
//   * Why no fence is needed against trim(): the fast path touches only the
//     ThreadSlot, which lives as long as the pool and which trim() never
//     touches (trim ages the *caller's* private object only). A fast path
//     that read the old stamp just before a trim used its private slot as
//     of the old generation; the slot's private_stamp says so, and the next
//     slow path ages the object from there.
//   * Invariant binding the two: while an entry of this thread holds stamp
//     s and slot t, t.private_stamp == s (the slow path sets private_stamp
//     before it fills an entry; only the owner writes either).
//
// Thread exit. A thread's cache entries point at slots indexed by its epoch
// record's index, which goes to a new thread when this one exits. The cache
// is emptied and closed by a thread_local hook (pool.cc) that is
// constructed after the epoch domain's own exit hook and therefore
// destroyed before it: puts made by later thread_local destructors take the
// slow path, which destroys the object once the index is gone. The private
// object stays in the slot, for the next owner of the index (see above).
//
// Cost compared with Go's: the fast path is one TLS read of the MRU entry
// (its stamp and slot), one load of stamp_, and the private slot's load and
// store — plain moves on x86-64 and ARM64, and no stores outside the slot.
// A put() with a size cap also calls size_of. Misses of the private slot
// (own deque, steals, victim, New) enter an epoch read section (one seq_cst
// store, rcu.h). When the thread's cache is bound (the usual case), such a
// miss takes the overflow path (get_shared/put_shared): the owner's Local
// of the current generation is cached in its ThreadSlot next to the stamp
// of that generation, so the path is the read section, one stamp compare
// and the deque operation — Go's pin + pushHead/popHead, plus the read
// section's seq_cst store, which Go does not need because its GC waits for
// pinned Ps instead. Without that cache every overflowing put/get went
// through get_slow/put_slow: two IndexedArray lookups, the thread index and
// a rebinding of the cache, about twice the instructions of the overflow
// path (Go's BenchmarkPoolOverflow shape: 100 puts, then 100 gets). The
// private batch takes most overflowing puts and gets off that path too:
// they touch only the batch (an outlined call, a load and two stores), and
// one in kBatchMove enters the read section for a batched move. The
// instrumented flavour adds relaxed, owner-only counter updates (a load and
// a store each, no RMW) on the thread's slot.
// ---------------------------------------------------------------------------
//
// Memory ordering: an object put() by one thread and got by another: the
// putter's writes to the object happen-before the getter's use of it (the
// deque publishes with a release fetch_add that the consumer's acq_rel CAS
// reads; the private slot and the owner's own deque are used by one thread;
// generations are handed over through seq_cst pointer swaps and epochs).
// stamp_ is read relaxed by the fast path: it only selects which entry to
// trust, and the data behind an entry is the thread's own. A thread index
// handed to a new thread carries its slots and Locals with it, ordered by
// the epoch record's adoption (rcu.h).
//
// Fairness: none promised, as in Go. A thread gets its own recent objects
// first; a stealer takes the oldest object of the next thread in index
// order. trim() waits for nobody but other trims (a GoMutex).
//
// Legal operations: get(), put(), trim(), retained_approx(), stats() from
// any thread at any time. size_of and T's destructor must not throw (they
// also run during trim's reclamation). New may throw: get() propagates it.
// Not copyable or movable (Go: "A Pool must not be copied after first
// use"). The destructor frees every pooled object; no operation may be in
// progress then.

#ifndef SYNCSCOPE_POOL_H_
#define SYNCSCOPE_POOL_H_

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>

#include <syncscope/go_mutex.h>
#include <syncscope/internal/indexed_array.h>
#include <syncscope/internal/pool_queue.h>
#include <syncscope/internal/pool_thread_cache.h>
#include <syncscope/rcu.h>

namespace syncscope {
namespace detail {

// Distance that keeps per-thread data of two threads on different cache
// lines (with x86's adjacent-line prefetcher: Go pads poolLocal to 128).
inline constexpr std::size_t kPoolPad = 128;

}  // namespace detail

// Pool configuration.
template <class T>
struct PoolOptions {
  // Go's New: called by get() when the pool has nothing. May be empty (get
  // then returns nullptr, as Go's Get returns nil without New).
  std::function<std::unique_ptr<T>()> new_fn;
  // The go#23199 cap: if size_of is set, put() destroys objects with
  // size_of(obj) > max_size instead of keeping them. size_of also feeds the
  // byte counters of InstrumentedPool. Must not throw.
  std::function<std::size_t(const T&)> size_of;
  std::size_t max_size = std::numeric_limits<std::size_t>::max();
};

// Counters of an InstrumentedPool since construction. Exact when no
// operation is in progress; a snapshot of individually exact counters
// otherwise.
struct PoolStats {
  uint64_t gets = 0;              // get() calls
  uint64_t puts = 0;              // put() calls with an object
  uint64_t news = 0;              // objects made by new_fn
  uint64_t hits = 0;              // get()s served from the pool (the next four)
  uint64_t private_hits = 0;      //   own private slot
  uint64_t shared_hits = 0;       //   own private batch or shared deque (head)
  uint64_t steals = 0;            //   another thread's shared deque (tail)
  uint64_t victim_hits = 0;       //   victim cache (after a trim)
  uint64_t misses = 0;            // gets - hits
  uint64_t dropped_oversize = 0;  // put()s refused by the size cap
  uint64_t dropped_exiting = 0;   // put()s during thread exit (no local)
  uint64_t trims = 0;             // trim() calls
  uint64_t trimmed = 0;           // objects freed because they aged out: a
                                  // trim dropped their generation, or their
                                  // owner found its private object two
                                  // trims old
  uint64_t retained_objects = 0;  // objects in the pool now
  uint64_t retained_bytes = 0;    // sum of size_of over them (0 without size_of)
};

template <class T, bool kInstrumented>
class BasicPool {
 public:
  // The private batch (see "Private batch"): objects a thread holds beyond
  // its private slot, invisible to other threads, before it moves the
  // oldest kBatchMove of them to its shared chain; and how many move at a
  // time (to the chain when the batch is full, back from the chain's head
  // when it is empty).
  static constexpr uint32_t kPrivateBatch = 16;
  static constexpr uint32_t kBatchMove = kPrivateBatch / 2;
  static_assert(kBatchMove >= 1 && kBatchMove <= kPrivateBatch);

 private:
  // One thread's shared chain in one generation. Padded: two threads'
  // locals never share a cache line.
  struct alignas(detail::kPoolPad) Local {
    // The owner's deque; others steal from its tail. The owner (its
    // thread index's current holder) is the only producer, in the primary
    // and, when it moves an aged private object there, in the victim.
    detail::PoolChain<T> shared;
  };

  // One generation of locals: the primary or the victim. Retired to epoch
  // reclamation when a trim drops it.
  struct Generation final : detail::Retired {
    Generation(BasicPool* o, uint64_t s) : owner(o), stamp(s) {}
    detail::IndexedArray<Local> locals;
    // Victim only: a full scan found it empty (Go: victimSize = 0); get()
    // stops looking. Cleared again when an owner moves an aged private
    // object into it. Relaxed: a hint (a scan racing that move may set it
    // anyway; the object is then freed with the generation).
    std::atomic<bool> drained{false};
    BasicPool* const owner;
    // pool_next_stamp() at creation: unique in the process.
    const uint64_t stamp;
    static void free(detail::Retired* r) noexcept {
      auto* g = static_cast<Generation*>(r);
      g->owner->drop(g, /*count_as_trimmed=*/true);
    }
  };

  // Per-thread counters (instrumented only). Owner-only updates: a relaxed
  // load and store, no RMW; read by stats().
  struct Counters {
    std::atomic<uint64_t> gets{0}, puts{0}, news{0}, private_hits{0}, shared_hits{0},
        steals{0}, victim_hits{0}, dropped_oversize{0}, dropped_exiting{0}, bytes_in{0},
        bytes_out{0};
  };
  struct NoCounters {};
  using CounterSlot = std::conditional_t<kInstrumented, Counters, NoCounters>;

  // One per thread index for the pool's whole life (never freed before the
  // pool, so a thread's cache may point at it across generations): the
  // private slot and the instrumented counters. Padded: the owner writes it
  // on every operation.
  struct alignas(detail::kPoolPad) ThreadSlot {
    // The owner's one-object cache. Written only by the owner (relaxed
    // loads and stores, fast or slow path, or its own trim()); read
    // (relaxed) by retained_approx() and by the destructor. Never touched by
    // another thread's trim: see "Trim and the private slot".
    std::atomic<T*> private_obj{nullptr};
    // The stamp of the generation private_obj was put in; meaningful while
    // private_obj is non-null. Owner only (plain). Set by the slow path to
    // the primary it loaded, before it binds a cache entry with that stamp
    // (so a valid entry always names the private object's generation).
    uint64_t private_stamp = 0;
    // The owner's Local in the generation stamped local_stamp (0: none
    // yet): lets put_shared/get_shared reach the owner's chain without the
    // two IndexedArray lookups. Owner only (plain), set by the slow paths.
    // Dereferenced only inside a read section that loaded the generation
    // with that stamp as the primary (stamps are unique: that generation is
    // this Local's, and the read section keeps it alive).
    Local* local = nullptr;
    uint64_t local_stamp = 0;
    // The private batch ("Private batch"): batch[0, batch_n), oldest
    // first, objects of generation private_stamp like private_obj. The
    // array is the owner's alone (plain); batch_n is written only by the
    // owner (relaxed) and read (relaxed) by retained_approx().
    std::atomic<uint32_t> batch_n{0};
    T* batch[kPrivateBatch];
    [[no_unique_address]] CounterSlot counters;
  };

  enum class Source { kNone, kPrivate, kShared, kSteal, kVictim };

 public:
  using NewFn = std::function<std::unique_ptr<T>()>;

  // A pool without New: get() on an empty pool returns nullptr.
  BasicPool() : BasicPool(PoolOptions<T>{}) {}
  // A pool whose get() calls new_fn when empty.
  explicit BasicPool(NewFn new_fn) : BasicPool(make_options(std::move(new_fn))) {}
  explicit BasicPool(PoolOptions<T> options)
      : new_fn_(std::move(options.new_fn)),
        size_of_(std::move(options.size_of)),
        max_size_(options.max_size),
        way_(detail::pool_next_way() % detail::kPoolCacheWays),
        primary_(new Generation(this, detail::pool_next_stamp())),
        stamp_(primary_.load(std::memory_order_relaxed)->stamp) {}
  BasicPool(const BasicPool&) = delete;
  BasicPool& operator=(const BasicPool&) = delete;
  // Frees every pooled object, private ones included. No operation may be
  // in progress. Threads' cache entries for this pool stay behind, inert
  // (their stamps can never match another pool's).
  ~BasicPool() {
    drop(primary_.load(std::memory_order_relaxed), false);
    if (Generation* v = victim_.load(std::memory_order_relaxed)) drop(v, false);
    slots_.for_each_unsafe([](ThreadSlot& t) {
      delete t.private_obj.load(std::memory_order_relaxed);
      t.private_obj.store(nullptr, std::memory_order_relaxed);
      const uint32_t n = t.batch_n.load(std::memory_order_relaxed);
      for (uint32_t i = 0; i < n; ++i) delete t.batch[i];
      t.batch_n.store(0, std::memory_order_relaxed);
    });
    retired_.reclaim_all();
  }

  // get(): Go's Get. An object from the pool (private, own shared, stolen,
  // victim — in that order), else new_fn() (whose exception propagates),
  // else nullptr. Fast path (inline): the private slot through the thread's
  // cache. Everything else: get_slow().
  std::unique_ptr<T> get() {
    detail::PoolThreadCache& c = detail::t_pool_cache;
    if (c.mru.stamp == stamp_.load(std::memory_order_relaxed)) [[likely]] {
      auto* t = static_cast<ThreadSlot*>(c.mru.slot);
      if (T* x = t->private_obj.load(std::memory_order_relaxed); x != nullptr) [[likely]] {
        t->private_obj.store(nullptr, std::memory_order_relaxed);
        count(&t->counters, &Counters::gets);
        count_hit(&t->counters, Source::kPrivate, *x);
        return std::unique_ptr<T>(x);
      }
      return get_shared(t);
    }
    return get_via_way();
  }

  // put(obj): Go's Put. Null is ignored. With a size cap, an object whose
  // size_of exceeds max_size is destroyed instead. During thread exit (the
  // thread has no local any more) the object is destroyed. May throw
  // std::bad_alloc (growing the thread's deque); obj is destroyed then.
  // Fast path (inline): an empty private slot through the thread's cache.
  void put(std::unique_ptr<T> obj) {
    if (obj == nullptr) return;
    std::size_t bytes = 0;
    if (size_of_) {
      bytes = size_of_(*obj);
      if (bytes > max_size_) {
        count(counter_slot_outside(), &Counters::dropped_oversize);
        return;  // obj destroyed: the go#23199 cap
      }
    }
    detail::PoolThreadCache& c = detail::t_pool_cache;
    if (c.mru.stamp == stamp_.load(std::memory_order_relaxed)) [[likely]] {
      auto* t = static_cast<ThreadSlot*>(c.mru.slot);
      if (t->private_obj.load(std::memory_order_relaxed) == nullptr) [[likely]] {
        t->private_obj.store(obj.release(), std::memory_order_relaxed);
        count(&t->counters, &Counters::puts);
        count(&t->counters, &Counters::bytes_in, bytes);
        return;
      }
      return put_shared(t, obj.release(), bytes);
    }
    put_via_way(obj.release(), bytes);
  }

  // trim(): Go's poolCleanup for this pool: the primary generation becomes
  // the victim cache, the old victim is dropped, and the objects in its
  // shared chains are freed as soon as no operation can be using them (at
  // once if none is in progress). The calling thread's own private object
  // is aged with the rest (moved to the victim, or dropped if it was
  // already there); other threads' private objects are aged by their
  // owners ("Trim and the private slot"). Waits for nothing but other
  // trims. Returns the number of objects freed during this call (a pool-wide
  // count: it includes private objects that their owners age out while the
  // call runs, so it is exact only when no other thread uses the pool).
  std::size_t trim() {
    const int64_t id = own_thread_index();  // may throw: before any change
    std::lock_guard<GoMutex> lk(trim_mu_);
    auto* fresh = new Generation(this, detail::pool_next_stamp());
    const uint64_t before = trimmed_.load(std::memory_order_relaxed);
    // The primary is published as victim first and only then replaced, so
    // its objects are always visible through one of the two pointers.
    Generation* old_primary = primary_.load(std::memory_order_relaxed);  // only trim writes it
    Generation* old_victim = victim_.exchange(old_primary, std::memory_order_seq_cst);
    primary_.store(fresh, std::memory_order_seq_cst);
    // Every thread's cached binding is stale from here on: its next
    // get()/put() takes the slow path, which ages its private object.
    stamp_.store(fresh->stamp, std::memory_order_relaxed);
    if (old_victim != nullptr) retired_.retire(old_victim, &Generation::free);
    age_own_private(id);
    trims_.fetch_add(1, std::memory_order_relaxed);
    retired_.reclaim();
    return static_cast<std::size_t>(trimmed_.load(std::memory_order_relaxed) - before);
  }

  // synchronize(): waits for the get()/put() calls in progress at the call
  // to finish, then frees every generation and deque retired so far (a trim
  // whose generation could not be freed at once, because an operation was
  // using it, leaves it retired until then). Throws
  // SyncPanic(kSynchronizeInReadSection) inside a read section.
  void synchronize() { detail::wait_for_grace_period(retired_); }

  // retained_approx(): objects in the pool (primary, victim and every
  // thread's private slot, aged or not) by walking it. Exact when no
  // operation is in progress (objects of a dropped generation that is
  // still waiting for its grace period are not counted: they are on their
  // way out).
  std::size_t retained_approx() const {
    EpochGuard pin;
    std::size_t n = count_generation(primary_.load(std::memory_order_seq_cst));
    if (const Generation* v = victim_.load(std::memory_order_seq_cst)) n += count_generation(v);
    slots_.for_each([&n](const ThreadSlot& t) {
      if (t.private_obj.load(std::memory_order_relaxed) != nullptr) ++n;
      n += t.batch_n.load(std::memory_order_relaxed);
    });
    return n;
  }

  // stats(): the counters (instrumented pools only).
  PoolStats stats() const
    requires kInstrumented
  {
    PoolStats s;
    auto add = [&s](const Counters& c) {
      s.gets += c.gets.load(std::memory_order_relaxed);
      s.puts += c.puts.load(std::memory_order_relaxed);
      s.news += c.news.load(std::memory_order_relaxed);
      s.private_hits += c.private_hits.load(std::memory_order_relaxed);
      s.shared_hits += c.shared_hits.load(std::memory_order_relaxed);
      s.steals += c.steals.load(std::memory_order_relaxed);
      s.victim_hits += c.victim_hits.load(std::memory_order_relaxed);
      s.dropped_oversize += c.dropped_oversize.load(std::memory_order_relaxed);
      s.dropped_exiting += c.dropped_exiting.load(std::memory_order_relaxed);
      s.retained_bytes += c.bytes_in.load(std::memory_order_relaxed);
      s.retained_bytes -= c.bytes_out.load(std::memory_order_relaxed);
    };
    slots_.for_each([&](const ThreadSlot& t) { add(t.counters); });
    add(shared_counters_);
    s.hits = s.private_hits + s.shared_hits + s.steals + s.victim_hits;
    s.misses = s.gets - s.hits;
    s.trims = trims_.load(std::memory_order_relaxed);
    s.trimmed = trimmed_.load(std::memory_order_relaxed);
    s.retained_bytes -= trimmed_bytes_.load(std::memory_order_relaxed);
    s.retained_objects = s.puts - s.hits - s.trimmed;
    return s;
  }

  // max_size(): the cap (SIZE_MAX: none).
  std::size_t max_size() const noexcept { return size_of_ ? max_size_ : kNoCap; }

 private:
  static constexpr std::size_t kNoCap = std::numeric_limits<std::size_t>::max();
  // Retired deques and generations are freed in batches of this many by
  // get()/put() slow paths (trim() always tries).
  static constexpr std::size_t kReclaimBatch = 32;

  static PoolOptions<T> make_options(NewFn new_fn) {
    PoolOptions<T> o;
    o.new_fn = std::move(new_fn);
    return o;
  }

  // The fast path's lookup, in get()/put() (inline): the MRU entry of the
  // thread's cache, when its stamp is this pool's current stamp_. stamp_ is
  // loaded relaxed: a stale value only makes a valid entry miss, or selects
  // an entry that was valid an instant ago, whose slot is still this
  // thread's (only its generation label is old, and the slot's
  // private_stamp carries that label). When the MRU entry is another
  // pool's (a thread alternating between pools), get_via_way/put_via_way
  // try the pool's way; outlined, so that the inline path stays a handful
  // of instructions.
  [[gnu::noinline]] std::unique_ptr<T> get_via_way() {
    if (ThreadSlot* t = way_slot(); t != nullptr) {
      if (T* x = t->private_obj.load(std::memory_order_relaxed); x != nullptr) {
        t->private_obj.store(nullptr, std::memory_order_relaxed);
        count(&t->counters, &Counters::gets);
        count_hit(&t->counters, Source::kPrivate, *x);
        return std::unique_ptr<T>(x);
      }
    }
    return get_slow();
  }

  [[gnu::noinline]] void put_via_way(T* raw, std::size_t bytes) {
    if (ThreadSlot* t = way_slot(); t != nullptr) {
      if (t->private_obj.load(std::memory_order_relaxed) == nullptr) {
        t->private_obj.store(raw, std::memory_order_relaxed);
        count(&t->counters, &Counters::puts);
        count(&t->counters, &Counters::bytes_in, bytes);
        return;
      }
    }
    put_slow(raw, bytes);
  }

  // way_slot(): the calling thread's ThreadSlot if the pool's way binds it
  // to the current generation (that entry then becomes the MRU), else
  // nullptr.
  ThreadSlot* way_slot() const noexcept {
    detail::PoolThreadCache& c = detail::t_pool_cache;
    const detail::PoolCacheEntry& e = c.entries[way_];
    if (e.stamp != stamp_.load(std::memory_order_relaxed)) return nullptr;
    c.mru = e;
    return static_cast<ThreadSlot*>(e.slot);
  }

  // The calling thread's index (-1 while it exits), outside a read
  // section: stable while the thread lives. May throw std::bad_alloc on a
  // thread's first read section.
  static int64_t own_thread_index() {
    EpochGuard pin;
    return detail::epoch_thread_index();
  }

  // The overflow path (Go's popHead/pushHead on the P's own chain, then
  // getSlow): the thread's cache is bound to the current generation but the
  // private slot is empty (get) or full (put). One read section; the
  // primary's stamp is checked against the Local cached in the ThreadSlot,
  // which is then used directly: no IndexedArray lookups, no rebinding. A
  // get that finds its own chain empty goes on to steal and to the victim
  // in the same read section, then New. Anything else (a trim since the
  // Local was cached; for put, a private object of an older generation)
  // falls back to get_slow/put_slow, which age and rebind. Outlined like
  // them.
  [[gnu::noinline]] std::unique_ptr<T> get_shared(ThreadSlot* t) {
    // The batch: the owner's alone, of the generation the (valid) entry
    // names, like the private slot: no read section.
    if (const uint32_t n = t->batch_n.load(std::memory_order_relaxed); n != 0) {
      T* x = t->batch[n - 1];
      t->batch_n.store(n - 1, std::memory_order_relaxed);
      count(&t->counters, &Counters::gets);
      count_hit(&t->counters, Source::kShared, *x);
      return std::unique_ptr<T>(x);
    }
    T* x = nullptr;
    Source src = Source::kShared;
    bool cached;
    {
      EpochGuard pin;
      Generation* g = primary_.load(std::memory_order_seq_cst);
      cached = g->stamp == t->local_stamp && g->stamp == t->private_stamp;
      if (cached) {
        x = refill_from_chain(*t, *t->local);
        // t is this thread's slot (the cache binds only its own), so the
        // thread has a durable index.
        if (x == nullptr) x = get_from_others(detail::epoch_thread_index(), g, src);
      }
    }
    if (!cached) return get_slow();
    maybe_reclaim();
    count(&t->counters, &Counters::gets);
    if (x != nullptr) {
      count_hit(&t->counters, src, *x);
      return std::unique_ptr<T>(x);
    }
    return make_new(&t->counters);
  }

  [[gnu::noinline]] void put_shared(ThreadSlot* t, T* raw, std::size_t bytes) {
    // Room in the batch: no read section (see get_shared).
    if (const uint32_t n = t->batch_n.load(std::memory_order_relaxed); n != kPrivateBatch) {
      t->batch[n] = raw;
      t->batch_n.store(n + 1, std::memory_order_relaxed);
      count(&t->counters, &Counters::puts);
      count(&t->counters, &Counters::bytes_in, bytes);
      return;
    }
    {
      EpochGuard pin;
      const Generation* g = primary_.load(std::memory_order_seq_cst);
      // The private objects must be of this generation too: else put_slow
      // ages them first.
      if (g->stamp != t->local_stamp || g->stamp != t->private_stamp) {
        return put_slow(raw, bytes);  // nested read section: fine (nestable)
      }
      stash(*t, *t->local, raw);  // may throw; raw is destroyed then
    }
    maybe_reclaim();
    count(&t->counters, &Counters::puts);
    count(&t->counters, &Counters::bytes_in, bytes);
  }

  // refill_from_chain(t, l): the owner's get when its private slot and
  // batch are empty: up to kBatchMove of the newest objects of its chain l
  // in one batched pop; returns the newest, keeps the rest in the batch
  // (newest on top), or nullptr when the chain is empty. Inside a read
  // section that loaded l's generation as the primary, whose stamp is
  // t.private_stamp.
  T* refill_from_chain(ThreadSlot& t, Local& l) noexcept {
    T* got[kBatchMove];
    const uint32_t k = l.shared.pop_head_batch(got, kBatchMove);
    if (k == 0) return nullptr;
    uint32_t n = t.batch_n.load(std::memory_order_relaxed);
    for (uint32_t i = k; i-- > 1;) t.batch[n++] = got[i];  // oldest first, newest on top
    t.batch_n.store(n, std::memory_order_relaxed);
    return got[0];
  }

  // stash(t, l, obj): the owner's put when its private slot is full: into
  // the batch; a full batch first moves its oldest kBatchMove objects to
  // the chain l in one batched push. Takes ownership of obj; may throw
  // std::bad_alloc (the chain could not grow at all), obj is destroyed
  // then. Same read section and stamps as refill_from_chain.
  void stash(ThreadSlot& t, Local& l, T* obj) {
    uint32_t n = t.batch_n.load(std::memory_order_relaxed);
    if (n == kPrivateBatch) {
      const uint32_t moved = l.shared.push_head_batch(t.batch, kBatchMove);
      for (uint32_t i = moved; i < n; ++i) t.batch[i - moved] = t.batch[i];
      n -= moved;
      t.batch_n.store(n, std::memory_order_relaxed);
    }
    if (n == kPrivateBatch) {  // nothing moved: the chain could not grow
      std::unique_ptr<T> owned(obj);
      l.shared.push_head(obj);  // may throw before taking it
      owned.release();
      return;
    }
    t.batch[n] = obj;
    t.batch_n.store(n + 1, std::memory_order_relaxed);
  }

  // retire_batch(id, t): the owner's batch has aged with its private
  // object (t.private_stamp is no longer the primary's): each object goes
  // where retire_private sends an aged private object. Inside a read
  // section.
  void retire_batch(uint32_t id, ThreadSlot& t) noexcept {
    const uint32_t n = t.batch_n.load(std::memory_order_relaxed);
    t.batch_n.store(0, std::memory_order_relaxed);
    for (uint32_t i = 0; i < n; ++i) retire_private(id, t.batch[i], t.private_stamp);
  }

  // The rest of get(): own private (aged) and shared (inside a read
  // section), then steal and victim (get_from_others), then New. Fills the
  // thread's cache. Outlined: the read section, the scan and New do not
  // belong in callers.
  [[gnu::noinline]] std::unique_ptr<T> get_slow() {
    T* x = nullptr;
    Source src = Source::kNone;
    CounterSlot* counters;
    {
      EpochGuard pin;
      const int64_t id = detail::epoch_thread_index();
      Generation* g = nullptr;
      if (id >= 0) {
        ThreadSlot& t = slots_.get(static_cast<uint32_t>(id));  // may allocate: before any change
        g = primary_.load(std::memory_order_seq_cst);
        Local& l = g->locals.get(static_cast<uint32_t>(id));
        t.local = &l;
        t.local_stamp = g->stamp;
        counters = &t.counters;
        x = t.private_obj.load(std::memory_order_relaxed);
        if (x != nullptr) {
          t.private_obj.store(nullptr, std::memory_order_relaxed);
          src = Source::kPrivate;
        } else if (const uint32_t n = t.batch_n.load(std::memory_order_relaxed); n != 0) {
          x = t.batch[n - 1];
          t.batch_n.store(n - 1, std::memory_order_relaxed);
          src = Source::kShared;
        }
        if (t.private_stamp != g->stamp) {  // a trim since: x and the batch have aged
          if (x != nullptr) {
            if (is_victim(t.private_stamp)) {
              src = Source::kVictim;  // Go would find it in the victim's private slot
            } else {
              drop_private(x);  // two trims old
              x = nullptr;
            }
          }
          retire_batch(static_cast<uint32_t>(id), t);
        }
        t.private_stamp = g->stamp;
        bind(t, g);
        if (x == nullptr && (x = refill_from_chain(t, l)) != nullptr) src = Source::kShared;
      } else {
        counters = &shared_counters_;
        g = primary_.load(std::memory_order_seq_cst);
      }
      if (x == nullptr) x = get_from_others(id, g, src);
    }
    maybe_reclaim();
    count(counters, &Counters::gets);
    if (x != nullptr) {
      count_hit(counters, src, *x);
      return std::unique_ptr<T>(x);
    }
    return make_new(counters);
  }

  // Go's New when the pool has nothing: new_fn() (its exception
  // propagates), or nullptr without one. Outside any read section.
  std::unique_ptr<T> make_new(CounterSlot* counters) {
    if (!new_fn_) return nullptr;
    std::unique_ptr<T> made = new_fn_();
    count(counters, &Counters::news);
    return made;
  }

  // The rest of put(): private (after aging what is there) or own shared
  // (inside a read section), or destroy during thread exit. Takes ownership
  // of raw. Fills the thread's cache. Outlined like get_slow.
  [[gnu::noinline]] void put_slow(T* raw, std::size_t bytes) {
    std::unique_ptr<T> obj(raw);
    CounterSlot* counters = &shared_counters_;
    bool kept = false;
    {
      EpochGuard pin;
      const int64_t id = detail::epoch_thread_index();
      if (id >= 0) {
        ThreadSlot& t = slots_.get(static_cast<uint32_t>(id));  // may allocate: before any change
        Generation* g = primary_.load(std::memory_order_seq_cst);
        Local& l = g->locals.get(static_cast<uint32_t>(id));
        t.local = &l;
        t.local_stamp = g->stamp;
        counters = &t.counters;
        T* p = t.private_obj.load(std::memory_order_relaxed);
        if (t.private_stamp != g->stamp) {  // a trim since: the private objects have aged
          if (p != nullptr) {
            t.private_obj.store(nullptr, std::memory_order_relaxed);
            retire_private(static_cast<uint32_t>(id), p, t.private_stamp);
            p = nullptr;
          }
          retire_batch(static_cast<uint32_t>(id), t);
        }
        t.private_stamp = g->stamp;
        if (p == nullptr) {
          t.private_obj.store(obj.release(), std::memory_order_relaxed);
        } else {
          stash(t, l, obj.release());  // may throw; destroys the object then
        }
        bind(t, g);
        kept = true;
      }
    }
    maybe_reclaim();
    if (!kept) {
      count(counters, &Counters::dropped_exiting);
      return;  // obj destroyed
    }
    count(counters, &Counters::puts);
    count(counters, &Counters::bytes_in, bytes);
  }

  // is_victim(stamp): `stamp` is the current victim's. Inside a read
  // section.
  bool is_victim(uint64_t stamp) const noexcept {
    const Generation* v = victim_.load(std::memory_order_seq_cst);
    return v != nullptr && v->stamp == stamp;
  }

  // retire_private(id, p, stamp): the owner of thread index id took its
  // private object p, put in generation `stamp`, out of its slot because
  // the primary has moved on. One trim old (`stamp` is the victim's): p
  // goes to the owner's shared chain of the victim, where it is found by
  // get()s and freed with the victim by the next trim — Go's fate for a
  // victim's private object, except that others may take it too. Older, or
  // if the victim's chain cannot grow (std::bad_alloc): dropped. Inside a
  // read section (the victim may be retired meanwhile; it is then freed
  // after the section, with p in it). Outlined: once per trim per thread.
  [[gnu::noinline]] void retire_private(uint32_t id, T* p, uint64_t stamp) noexcept {
    Generation* v = victim_.load(std::memory_order_seq_cst);
    if (v != nullptr && v->stamp == stamp) {
      try {
        v->locals.get(id).shared.push_head(p);  // the owner is the chain's producer
        v->drained.store(false, std::memory_order_relaxed);
        return;
      } catch (const std::bad_alloc&) {
        // Could not keep it: drop it, as the next trim would have.
      }
    }
    drop_private(p);
  }

  // trim()'s share of the aging: the calling thread's own private object,
  // if any, is at least one trim old now: it moves to the victim (the
  // generation this trim demoted: still the victim, under trim_mu_) or is
  // dropped. Nobody else's private object is touched.
  void age_own_private(int64_t id) noexcept {
    if (id < 0) return;
    ThreadSlot* t = slots_.find(static_cast<uint32_t>(id));
    if (t == nullptr) return;
    T* p = t->private_obj.load(std::memory_order_relaxed);
    if (p == nullptr && t->batch_n.load(std::memory_order_relaxed) == 0) return;
    t->private_obj.store(nullptr, std::memory_order_relaxed);
    EpochGuard pin;  // the thread already has a record (own_thread_index): cannot throw
    if (p != nullptr) retire_private(static_cast<uint32_t>(id), p, t->private_stamp);
    retire_batch(static_cast<uint32_t>(id), *t);
  }

  // drop_private(p): frees an aged-out private object, counted as trimmed.
  void drop_private(T* p) noexcept {
    if (size_of_) trimmed_bytes_.fetch_add(size_of_(*p), std::memory_order_relaxed);
    trimmed_.fetch_add(1, std::memory_order_relaxed);
    delete p;
  }

  // Caches (this pool, generation g) -> t in the calling thread's way and
  // MRU entry; the next fast path finds it if g is still the primary.
  // t.private_stamp must already be g's stamp.
  void bind(ThreadSlot& t, const Generation* g) {
    if (!detail::pool_cache_may_fill()) return;  // exiting: stay on the slow path
    detail::PoolThreadCache& c = detail::t_pool_cache;
    detail::PoolCacheEntry& e = c.entries[way_];
    e.stamp = g->stamp;
    e.slot = &t;
    c.mru = e;
  }

  // The calling thread's counters outside a read section (the index is
  // stable while the thread lives; a thread without a durable index uses
  // the shared slot).
  CounterSlot* counter_slot_outside() {
    if constexpr (kInstrumented) {
      EpochGuard pin;
      const int64_t id = detail::epoch_thread_index();
      if (id >= 0) return &slots_.get(static_cast<uint32_t>(id)).counters;
      return &shared_counters_;
    } else {
      return nullptr;
    }
  }

  void count(CounterSlot* slot, std::atomic<uint64_t> Counters::*field, uint64_t n = 1) {
    if constexpr (kInstrumented) {
      std::atomic<uint64_t>& c = slot->*field;
      if (slot == &shared_counters_) {
        c.fetch_add(n, std::memory_order_relaxed);
      } else {  // the owner is the only writer: no RMW needed
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
      }
    } else {
      (void)slot;
      (void)field;
      (void)n;
    }
  }

  void count_hit(CounterSlot* slot, Source src, const T& obj) {
    if constexpr (kInstrumented) {
      switch (src) {
        case Source::kPrivate: count(slot, &Counters::private_hits); break;
        case Source::kShared: count(slot, &Counters::shared_hits); break;
        case Source::kSteal: count(slot, &Counters::steals); break;
        case Source::kVictim: count(slot, &Counters::victim_hits); break;
        case Source::kNone: break;
      }
      // The object has not changed since it was put: same size.
      if (size_of_) count(slot, &Counters::bytes_out, size_of_(obj));
    } else {
      (void)slot;
      (void)src;
      (void)obj;
    }
  }

  // Go's getSlow: steal from the other locals of the primary, then try the
  // victim (own chain first, from its warm end). Inside get_slow's read
  // section.
  T* get_from_others(int64_t id, Generation* g, Source& src) noexcept {
    const uint32_t n = g->locals.extent();
    const uint32_t start = id >= 0 ? static_cast<uint32_t>(id) + 1 : 0;
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t j = (start + i) % n;
      if (id >= 0 && j == static_cast<uint32_t>(id)) continue;  // own: already empty
      if (Local* l = g->locals.find(j); l != nullptr) {
        if (T* v = l->shared.pop_tail(retired_); v != nullptr) {
          src = Source::kSteal;
          return v;
        }
      }
    }
    // The victim, after every primary: objects in it should age out if at
    // all possible (Go's comment).
    Generation* v = victim_.load(std::memory_order_seq_cst);
    // v == g: a trim is between publishing the primary as victim and
    // installing the fresh primary; g was just scanned, and marking it
    // drained would hide what puts still add to it until the next trim.
    if (v == nullptr || v == g) return nullptr;
    // The caller's own victim chain first, before the drained hint: a put
    // that raced with the trim may have added to it after a scan.
    if (id >= 0) {
      if (Local* l = v->locals.find(static_cast<uint32_t>(id)); l != nullptr) {
        if (T* p = l->shared.pop_head(); p != nullptr) {  // the owner is its producer
          src = Source::kVictim;
          return p;
        }
      }
    }
    // `drained` is a hint (a put that loaded the primary just before a
    // trim can still push into what became the victim after a scan found
    // it empty): such objects are missed by other threads' gets until the
    // next trim frees them — reuse lost, never safety.
    if (v->drained.load(std::memory_order_relaxed)) return nullptr;
    const uint32_t nv = v->locals.extent();
    for (uint32_t i = 0; i < nv; ++i) {
      const uint32_t j = (start + i) % nv;
      if (Local* l = v->locals.find(j); l != nullptr) {
        if (T* p = l->shared.pop_tail(retired_); p != nullptr) {
          src = Source::kVictim;
          return p;
        }
      }
    }
    v->drained.store(true, std::memory_order_relaxed);
    return nullptr;
  }

  void maybe_reclaim() noexcept {
    if (retired_.pending() >= kReclaimBatch) retired_.reclaim();
  }

  // Frees a generation and the objects in it (no thread can use it: its
  // grace period has passed, or the pool is being destroyed). Outlined: it
  // runs once per trim and walks everything.
  [[gnu::noinline]] void drop(Generation* g, bool count_as_trimmed) noexcept {
    uint64_t objects = 0;
    uint64_t bytes = 0;
    auto destroy = [&](T* p) {
      ++objects;
      if (size_of_) bytes += size_of_(*p);
      delete p;
    };
    g->locals.for_each_unsafe([&](Local& l) { l.shared.drain_unsafe(destroy); });
    delete g;
    if (count_as_trimmed) {
      trimmed_bytes_.fetch_add(bytes, std::memory_order_relaxed);
      trimmed_.fetch_add(objects, std::memory_order_relaxed);
    }
  }

  static std::size_t count_generation(const Generation* g) noexcept {
    std::size_t n = 0;
    const uint32_t e = g->locals.extent();
    for (uint32_t i = 0; i < e; ++i) {
      if (const Local* l = g->locals.find(i); l != nullptr) n += l->shared.count_approx();
    }
    return n;
  }

  const NewFn new_fn_;
  const std::function<std::size_t(const T&)> size_of_;
  const std::size_t max_size_;
  // This pool's entry in every thread's PoolThreadCache.
  const uint32_t way_;
  // The generation get()/put() slow paths use. Replaced only by trim()
  // (under trim_mu_; seq_cst store); loaded seq_cst inside a read section.
  std::atomic<Generation*> primary_;
  // primary_->stamp, for the fast path (one load, no dereference). Written
  // only by trim() (relaxed), right after primary_; read relaxed by
  // get()/put() — it orders nothing: the slot it selects is the reader's
  // own. Only changes to fresh, larger stamps.
  std::atomic<uint64_t> stamp_;
  // The previous primary, or null before the first trim. Replaced only by
  // trim() (seq_cst exchange); loaded seq_cst inside a read section.
  std::atomic<Generation*> victim_{nullptr};
  // Serialises trim().
  GoMutex trim_mu_;
  // Dropped deques and generations waiting for their grace period.
  detail::RetireList retired_;
  // Pool-wide totals (relaxed gauges): trims, objects and bytes freed by
  // trims and by owners dropping aged private objects.
  std::atomic<uint64_t> trims_{0};
  std::atomic<uint64_t> trimmed_{0};
  std::atomic<uint64_t> trimmed_bytes_{0};
  // The thread slots by thread index (private slot, instrumented counters);
  // a slot is created by its thread's first slow path and lives as long as
  // the pool. A recycled index hands its slot, private object included, to
  // the next thread, ordered by the epoch record's adoption.
  detail::IndexedArray<ThreadSlot> slots_;
  // Instrumented only: counters of threads without a durable index (RMW
  // updates).
  [[no_unique_address]] CounterSlot shared_counters_;
};

template <class T>
using Pool = BasicPool<T, false>;
template <class T>
using InstrumentedPool = BasicPool<T, true>;

}  // namespace syncscope

#endif  // SYNCSCOPE_POOL_H_
