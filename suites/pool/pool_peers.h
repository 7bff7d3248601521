// Pool peers — the object-reuse designs the `pool` suite puts next to
// syncscope::Pool, behind one small interface (one class each, one
// registration line in pool.cc).
//
// This file offers:
//   struct Item                    the 64-byte object most scenarios recycle
//   struct Buffer                  a variably sized byte buffer (go#23199)
//   struct PeerConfig<T>           on_new (Go's New), size_of + max_size (cap)
//   class PoolPeer<T, kTrimsPerGc>  syncscope::Pool; kTrimsPerGc = 2
//                                  emulates "no victim cache" (see below)
//   class NoPoolPeer<T>            plain new / delete: every get is a New
//   class MutexFreeListPeer<T>     std::vector<T*> stack under a std::mutex
//   class LinkedFreeListPeer<T>    the seed's net/rpc free list: an
//                                  intrusive `next` chain under a GoMutex
//   class ThreadLocalFreeListPeer<T>  one intrusive stack per thread, no
//                                  synchronisation: the cheapest possible
//                                  reuse, and the baseline of the
//                                  "Pool within 2x" target
//   class TbbScalablePeer<T>       no reuse of objects; memory from TBB's
//                                  scalable allocator (scalable_malloc)
//
// The interface every peer offers (all callable from any thread unless
// stated):
//   explicit Peer(PeerConfig<T>)
//   T* get()            an object: a reused one, else a new one (T() then
//                       config.on_new(obj), the expensive part of Go's New)
//   void put(T*)        gives an object back (the peer may keep or free it;
//                       with a size cap, Pool frees objects above it)
//   void destroy(T*)    frees an object without reusing it (the garbage of
//                       Go's starvation benchmark): `delete`, or TBB's free
//   void gc()           the stand-in for Go's garbage collection: Pool trims
//                       (once, or twice for the no-victim variant); the free
//                       lists keep everything (a Go free list is a strong
//                       reference: the GC never clears it); allocators have
//                       nothing to drop
//   void thread_done()  the calling thread is finished with the peer: frees
//                       what the thread holds privately (only the
//                       thread-local free list holds anything)
//   size_t retained()   objects the peer holds now (approximate while others
//                       run; the thread-local list reports the caller's own)
//   kName               the peer's name in results (fixed colour in plots)
//
// Objects belong to the peer that made them: put/destroy an object only on
// the peer it came from (TbbScalablePeer's memory is not operator new's).
// Objects still held by a peer are freed by its destructor (thread-local
// lists: by thread_done on each thread — the destructor can only reach the
// destroying thread's list).
#ifndef SYNCSCOPE_SUITES_POOL_POOL_PEERS_H_
#define SYNCSCOPE_SUITES_POOL_POOL_PEERS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include <oneapi/tbb/scalable_allocator.h>

#include <syncscope/go_mutex.h>
#include <syncscope/pool.h>

namespace syncscope::suites {

// The object most pool scenarios recycle: one allocation of one cache line.
// `next` is the intrusive link of the linked and thread-local free lists
// (the seed's net/rpc Request/Response carry the same field); nobody else
// touches it.
struct Item {
  Item* next = nullptr;
  uint64_t payload[7] = {};
};
static_assert(sizeof(Item) == 64, "an Item is one 64-byte cache line");

// A byte buffer whose capacity only grows (Go's bytes.Buffer / fmt's pp.buf
// of go#23199): `reserve` replaces the storage when it is too small.
struct Buffer {
  Buffer* next = nullptr;
  std::size_t cap = 0;
  std::unique_ptr<std::byte[]> data;

  // Makes room for n bytes; returns whether it had to allocate.
  bool reserve(std::size_t n) {
    if (n <= cap) return false;
    data.reset(new std::byte[n]);  // uninitialised: no page is touched here
    cap = n;
    return true;
  }
};

template <class T>
struct PeerConfig {
  // Go's New, minus the allocation (which is the peer's): runs on every
  // object a peer has to make. May be empty.
  std::function<void(T&)> on_new;
  // The go#23199 cap (Pool only): put() frees objects whose size_of
  // exceeds max_size. Empty size_of: no cap.
  std::function<std::size_t(const T&)> size_of;
  std::size_t max_size = std::numeric_limits<std::size_t>::max();
};

namespace detail {
template <class T>
T* make_with_new(const PeerConfig<T>& cfg) {
  auto obj = std::make_unique<T>();
  if (cfg.on_new) cfg.on_new(*obj);
  return obj.release();
}
}  // namespace detail

// syncscope::Pool<T>. kTrimsPerGc = 1: gc() is one trim(), Go's GC step
// with the victim cache (objects survive one GC unused). kTrimsPerGc = 2:
// gc() trims twice, so the primary generation becomes the victim and is
// then dropped at once: what Go did before 1.13 (go#22950: "Pool is
// cleared on every GC"). Pool has no switch to turn the victim cache off;
// this emulates it.
template <class T, int kTrimsPerGc = 1>
class PoolPeer {
  static_assert(kTrimsPerGc == 1 || kTrimsPerGc == 2, "one trim per GC, or two (no victim cache)");

 public:
  static constexpr const char* kName = kTrimsPerGc == 1 ? "Pool" : "Pool_no_victim";
  static constexpr int kTrims = kTrimsPerGc;

  explicit PoolPeer(PeerConfig<T> cfg) : pool_(make_options(std::move(cfg))) {}

  T* get() { return pool_.get().release(); }
  void put(T* obj) { pool_.put(std::unique_ptr<T>(obj)); }
  void destroy(T* obj) noexcept { delete obj; }
  void gc() {
    for (int i = 0; i < kTrimsPerGc; ++i) pool_.trim();
  }
  void thread_done() noexcept {}
  std::size_t retained() const { return pool_.retained_approx(); }

 private:
  static PoolOptions<T> make_options(PeerConfig<T> cfg) {
    PoolOptions<T> o;
    o.new_fn = [on_new = std::move(cfg.on_new)]() {
      auto obj = std::make_unique<T>();
      if (on_new) on_new(*obj);
      return obj;
    };
    o.size_of = std::move(cfg.size_of);
    o.max_size = cfg.max_size;
    return o;
  }

  Pool<T> pool_;
};

// No reuse at all: the global allocator (operator new / delete, counted by
// the suite's allocator hook) does all the work.
template <class T>
class NoPoolPeer {
 public:
  static constexpr const char* kName = "no_pool";
  explicit NoPoolPeer(PeerConfig<T> cfg) : cfg_(std::move(cfg)) {}
  T* get() { return detail::make_with_new(cfg_); }
  void put(T* obj) noexcept { delete obj; }
  void destroy(T* obj) noexcept { delete obj; }
  void gc() noexcept {}
  void thread_done() noexcept {}
  std::size_t retained() const noexcept { return 0; }

 private:
  const PeerConfig<T> cfg_;
};

// A free list anyone would write first: a vector used as a stack (LIFO:
// the warmest object first) under one std::mutex. Unbounded; never dropped.
template <class T>
class MutexFreeListPeer {
 public:
  static constexpr const char* kName = "mutex_free_list";
  explicit MutexFreeListPeer(PeerConfig<T> cfg) : cfg_(std::move(cfg)) {}
  MutexFreeListPeer(const MutexFreeListPeer&) = delete;
  MutexFreeListPeer& operator=(const MutexFreeListPeer&) = delete;
  ~MutexFreeListPeer() {
    for (T* p : free_) delete p;
  }

  T* get() {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (!free_.empty()) {
        T* p = free_.back();
        free_.pop_back();
        return p;
      }
    }
    return detail::make_with_new(cfg_);  // outside the lock: New may be slow
  }
  void put(T* obj) {
    std::lock_guard<std::mutex> g(mu_);
    free_.push_back(obj);  // may grow the vector (an allocation, counted)
  }
  void destroy(T* obj) noexcept { delete obj; }
  void gc() noexcept {}
  void thread_done() noexcept {}
  std::size_t retained() const {
    std::lock_guard<std::mutex> g(mu_);
    return free_.size();
  }

 private:
  const PeerConfig<T> cfg_;
  mutable std::mutex mu_;
  std::vector<T*> free_;  // guarded by mu_
};

// The seed's "Pool 使用链表进行重用" slide: Go's net/rpc Server keeps its
// Request and Response headers on free lists linked through a `next` field
// of the object itself, each guarded by a sync.Mutex (reqLock / respLock):
// getRequest pops the head or allocates, freeRequest pushes. No allocation
// besides the objects themselves; unbounded; never dropped.
template <class T>
class LinkedFreeListPeer {
 public:
  static constexpr const char* kName = "linked_free_list";
  explicit LinkedFreeListPeer(PeerConfig<T> cfg) : cfg_(std::move(cfg)) {}
  LinkedFreeListPeer(const LinkedFreeListPeer&) = delete;
  LinkedFreeListPeer& operator=(const LinkedFreeListPeer&) = delete;
  ~LinkedFreeListPeer() {
    while (head_ != nullptr) {
      T* p = head_;
      head_ = p->next;
      delete p;
    }
  }

  T* get() {
    mu_.lock();
    T* p = head_;
    if (p != nullptr) {
      head_ = p->next;
      --count_;
      mu_.unlock();
      p->next = nullptr;
      return p;
    }
    mu_.unlock();
    return detail::make_with_new(cfg_);
  }
  void put(T* obj) {
    std::lock_guard<GoMutex> g(mu_);
    obj->next = head_;
    head_ = obj;
    ++count_;
  }
  void destroy(T* obj) noexcept { delete obj; }
  void gc() noexcept {}
  void thread_done() noexcept {}
  std::size_t retained() const {
    std::lock_guard<GoMutex> g(mu_);
    return count_;
  }

 private:
  const PeerConfig<T> cfg_;
  mutable GoMutex mu_;
  T* head_ = nullptr;      // guarded by mu_
  std::size_t count_ = 0;  // guarded by mu_
};

// One intrusive stack per thread and no synchronisation: a get/put pair is
// a few loads and stores on thread-local data. What it gives up: objects
// never move between threads (a thread that only gets always allocates, a
// thread that only puts hoards: see the cross-thread scenario) and nothing
// is ever dropped. One live instance per element type at a time (the lists
// are per thread and per T, not per instance): the suite runs one benchmark
// at a time, and every thread calls thread_done() before it leaves.
template <class T>
class ThreadLocalFreeListPeer {
 public:
  static constexpr const char* kName = "thread_local_free_list";
  explicit ThreadLocalFreeListPeer(PeerConfig<T> cfg) : cfg_(std::move(cfg)) {}
  ThreadLocalFreeListPeer(const ThreadLocalFreeListPeer&) = delete;
  ThreadLocalFreeListPeer& operator=(const ThreadLocalFreeListPeer&) = delete;
  ~ThreadLocalFreeListPeer() { thread_done(); }

  T* get() {
    List& l = list();
    if (T* p = l.head; p != nullptr) {
      l.head = p->next;
      --l.count;
      p->next = nullptr;
      return p;
    }
    return detail::make_with_new(cfg_);
  }
  void put(T* obj) noexcept {
    List& l = list();
    obj->next = l.head;
    l.head = obj;
    ++l.count;
  }
  void destroy(T* obj) noexcept { delete obj; }
  void gc() noexcept {}
  void thread_done() noexcept {
    List& l = list();
    while (l.head != nullptr) {
      T* p = l.head;
      l.head = p->next;
      delete p;
    }
    l.count = 0;
  }
  std::size_t retained() const noexcept { return list().count; }

 private:
  struct List {
    T* head = nullptr;
    std::size_t count = 0;
  };
  // Trivially destructible, constant-initialised: no TLS guard on the path.
  static List& list() noexcept {
    static constinit thread_local List l{};
    return l;
  }

  const PeerConfig<T> cfg_;
};

// No object reuse; the memory comes from oneTBB's scalable allocator
// (per-thread heaps with size-class bins, memory freed by another thread
// returned to its owner lazily): what a C++ program gets by swapping the
// allocator instead of pooling. Every get constructs (and runs on_new),
// every put destroys. Its allocations bypass operator new, so the suite's
// allocation counter does not see them.
template <class T>
class TbbScalablePeer {
 public:
  static constexpr const char* kName = "tbb_scalable";
  explicit TbbScalablePeer(PeerConfig<T> cfg) : cfg_(std::move(cfg)) {}

  T* get() {
    void* mem = scalable_malloc(sizeof(T));
    if (mem == nullptr) throw std::bad_alloc();
    T* p = nullptr;
    try {
      p = new (mem) T();
      if (cfg_.on_new) cfg_.on_new(*p);
    } catch (...) {
      if (p != nullptr) p->~T();
      scalable_free(mem);
      throw;
    }
    return p;
  }
  void put(T* obj) noexcept { destroy(obj); }
  void destroy(T* obj) noexcept {
    obj->~T();
    scalable_free(obj);
  }
  void gc() noexcept {}
  void thread_done() noexcept {}
  std::size_t retained() const noexcept { return 0; }

 private:
  const PeerConfig<T> cfg_;
};

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_POOL_POOL_PEERS_H_
