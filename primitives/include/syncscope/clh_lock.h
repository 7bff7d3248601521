// syncscope/clh_lock.h — ClhLock: the CLH queue spinlock, as a plain
// Lockable (no queue-node argument).
//
// This file offers:
//   class ClhLock     Lockable: lock(), unlock(), try_lock(); plus
//                     is_locked().
//   detail::ClhNode, detail::ClhNodePool, detail::clh_node_at, ...
//                     the queue node, the node arena and the per-thread pool
//                     behind it.
//
// Sources: T. S. Craig, "Building FIFO and priority-queuing spin locks from
// atomic swap", TR 93-02-02, University of Washington, 1993; P. Magnussen,
// A. Landin & E. Hagersten, "Queue locks on cache coherent multiprocessors",
// IPPS 1994. (Also Herlihy & Shavit, "The Art of Multiprocessor
// Programming", §7.5.2.)
//
// Algorithm. The queue is implicit: each thread swaps a node whose flag says
// "locked" into tail_ and spins on the flag of the node it got back — its
// predecessor's. unlock() clears the flag of its own node, which releases the
// one thread spinning on it. Like MCS, every waiter spins on a different
// line and a hand-over is one store; unlike MCS, unlock() never waits (the
// releaser does not need to know its successor) and the queue needs no
// `next` pointers. The lock starts with a dummy node whose flag is clear.
//
// Node recycling. A thread cannot reuse its own node after unlock(): its
// successor may still be reading it. But the predecessor's node is free from
// the moment the thread acquires — it was the only thread reading it — so
// unlock() keeps the *predecessor's* node and lets the lock (tail_, or the
// successor) keep its own. Nodes thus wander between threads and locks; the
// total stays constant: one per lock plus the thread pools.
//
// Plain Lockable: the holder's node and its predecessor's node are kept in
// the lock (holder_, holder_pred_), so unlock() needs no argument. Nodes come
// from a per-thread pool (detail::ClhNodePool): lock() takes one, unlock()
// gives back the predecessor's. A thread holding k CLH locks at once —
// nested, taken and released in any order, on any mix of ClhLock objects —
// has k nodes out; its pool never needs more than its deepest nesting. Any
// thread may call unlock(): the predecessor's node then joins the unlocking
// thread's pool.
//
// try_lock() and the ABA problem. The obvious try_lock reads the tail node,
// sees its flag clear (lock free, nobody waiting) and CASes tail_ from that
// node to its own. That is wrong with recycled nodes: between the read and
// the CAS, node P can be passed on through another thread's pool and be
// enqueued again, now *locked*, by a new holder; the CAS still sees "P" and
// succeeds, and the try_lock caller believes it holds a lock that someone
// else holds (or it is queued behind P and would have to wait). So tail_ is
// not a pointer but a 64-bit word (generation << 32) | arena index: every
// enqueue stamps the node with a new generation, and the CAS compares the
// enqueue instance, not the node. A false success would need the same node
// to be re-enqueued 2^32 times during one try_lock. Indices instead of
// pointers are what make the stamp fit in one CAS-able word: nodes live in a
// process-wide arena of fixed chunks (detail::clh_node_at), never freed,
// recycled through the pools. Memory stays at its high-water mark.
//
// Fairness and starvation: FIFO in the order of the exchanges on tail_;
// starvation-free as long as holders release. The lock is handed to one
// specific thread: if it is not running, the lock stays idle (convoy).
// Waiters yield the CPU after SpinWait::kSpinsBeforeYield spin hints
// (spin_lock.h) so the lock keeps moving on an oversubscribed machine.
//
// Memory ordering:
//   * The exchange on tail_ (and try_lock's CAS) is acq_rel: release, so the
//     successor that receives our word sees our node's flag set; acquire, so
//     we see the predecessor's node state (and its flag's earlier writes).
//   * unlock() clears its node's flag with release; the successor (or a
//     try_lock that reads the flag) loads it with acquire: the critical
//     section happens-before the next one.
//   * holder_/holder_pred_ are plain fields, written by the new holder after
//     it acquires and read by the holder in unlock() before it releases.
//   * A node moves between threads only along those edges or through the
//     arena's lock, so its plain fields (generation, pool_next) are never
//     raced on.
//
// Legal operations:
//   state      lock                          try_lock  unlock
//   free       acquires                      true      undefined (no holder)
//   held       queues, spins on the          false     releases the next
//              predecessor's node (deadlock            waiter or frees the lock
//              if the caller is the holder)            (any thread may unlock)
//
// Limits: at most kClhMaxChunks * kClhChunkNodes nodes in the process (2^26);
// beyond that lock()/try_lock()/the constructor throw std::bad_alloc. The
// destructor requires the lock to be free. A thread must not use a ClhLock
// from a thread_local destructor that runs after its pool's destructor.

#ifndef SYNCSCOPE_CLH_LOCK_H_
#define SYNCSCOPE_CLH_LOCK_H_

#include <atomic>
#include <cstdint>

namespace syncscope {
namespace detail {

// A queue node. One cache line each: a waiter spins on its predecessor's
// flag, and only that node's owner writes it.
struct alignas(64) ClhNode {
  // 1 from just before its owner enqueues it until the owner's unlock(), 0
  // otherwise. Set by the owner (relaxed, published by the exchange),
  // cleared by the owner's unlock() (release); read with acquire by the one
  // successor and by try_lock().
  std::atomic<uint32_t> locked{0};
  // Enqueue stamp: incremented by the node's current owner before each
  // enqueue; carried in the tail word. Plain: only the owner touches it.
  uint32_t generation = 0;
  // Arena index of this node; fixed at creation.
  uint32_t index = 0;
  // Link in a pool or in the arena's free list while the node is free.
  ClhNode* pool_next = nullptr;
};
static_assert(sizeof(ClhNode) == 64, "one queue node per cache line");

// The arena: chunks of kClhChunkNodes nodes, created on demand and never
// freed; node i lives at clh_chunks[i >> kClhChunkBits][i & mask].
inline constexpr uint32_t kClhChunkBits = 10;
inline constexpr uint32_t kClhChunkNodes = 1u << kClhChunkBits;  // 64 KiB per chunk
inline constexpr uint32_t kClhMaxChunks = 1u << 16;
static_assert(uint64_t{kClhMaxChunks} * kClhChunkNodes <= (uint64_t{1} << 32),
              "arena indices must fit the 32-bit half of the tail word");

// Chunk table. Each entry is written once (release), under the arena lock,
// before any index in that chunk is handed out; read with acquire by
// clh_node_at. Constant-initialised and trivially destructible, so it is
// usable from any static constructor or destructor.
inline constinit std::atomic<ClhNode*> clh_chunks[kClhMaxChunks] = {};

// The node with arena index `index` (an index handed out by the arena).
inline ClhNode* clh_node_at(uint32_t index) noexcept {
  return clh_chunks[index >> kClhChunkBits].load(std::memory_order_acquire) +
         (index & (kClhChunkNodes - 1));
}

// Arena free list. Outlined (clh_lock.cc): they take the arena lock, and
// run only when a pool is empty, a thread exits, or a ClhLock is created or
// destroyed. clh_arena_take throws std::bad_alloc when the arena is full.
ClhNode* clh_arena_take();
void clh_arena_give(ClhNode* n) noexcept;

// A per-thread free list of nodes. Only its own thread touches it.
class ClhNodePool {
 public:
  constexpr ClhNodePool() noexcept = default;
  ClhNodePool(const ClhNodePool&) = delete;
  ClhNodePool& operator=(const ClhNodePool&) = delete;
  // Returns the pooled nodes to the arena.
  ~ClhNodePool();

  ClhNode* take() {
    ClhNode* n = head_;
    if (n == nullptr) return clh_arena_take();
    head_ = n->pool_next;
    return n;
  }
  void give(ClhNode* n) noexcept {
    n->pool_next = head_;
    head_ = n;
  }

 private:
  ClhNode* head_ = nullptr;  // free list; owned and accessed by this thread only
};

// The calling thread's pool.
inline thread_local ClhNodePool tls_clh_pool;

}  // namespace detail

class ClhLock {
 public:
  // Takes the initial (dummy, unlocked) node from the arena. May throw
  // std::bad_alloc.
  ClhLock();
  // Returns the tail node to the arena. The lock must be free.
  ~ClhLock();
  ClhLock(const ClhLock&) = delete;
  ClhLock& operator=(const ClhLock&) = delete;

  // lock(): swaps a fresh node into tail_; if the predecessor's flag is
  // already clear the lock is ours (fast path, inline), else spin on it
  // (wait_on, outlined). May throw std::bad_alloc if the thread's pool is
  // empty and the arena is full.
  void lock() {
    detail::ClhNode* me = enqueue_stamp(detail::tls_clh_pool.take());
    const uint64_t prev = tail_.exchange(word_of(me), std::memory_order_acq_rel);
    detail::ClhNode* pred = detail::clh_node_at(index_of(prev));
    if (pred->locked.load(std::memory_order_acquire) != 0) wait_on(pred);
    holder_ = me;
    holder_pred_ = pred;
  }

  // try_lock(): acquires only if nobody holds or waits: the tail node's flag
  // is clear and the CAS of the (generation, index) tail word succeeds.
  // Never waits. May throw std::bad_alloc as lock().
  bool try_lock() {
    uint64_t tail = tail_.load(std::memory_order_acquire);
    detail::ClhNode* pred = detail::clh_node_at(index_of(tail));
    if (pred->locked.load(std::memory_order_acquire) != 0) return false;
    detail::ClhNode* me = enqueue_stamp(detail::tls_clh_pool.take());
    if (!tail_.compare_exchange_strong(tail, word_of(me), std::memory_order_acq_rel,
                                       std::memory_order_relaxed)) {
      detail::tls_clh_pool.give(me);
      return false;
    }
    holder_ = me;
    holder_pred_ = pred;
    return true;
  }

  // unlock(): clears the holder's flag (the successor, if any, proceeds)
  // and keeps the predecessor's node. Never waits.
  void unlock() noexcept {
    detail::ClhNode* me = holder_;
    detail::ClhNode* pred = holder_pred_;
    me->locked.store(0, std::memory_order_release);
    detail::tls_clh_pool.give(pred);
  }

  // is_locked(): relaxed snapshot: the tail node's flag is set (someone
  // holds or waits).
  bool is_locked() const noexcept {
    return detail::clh_node_at(index_of(tail_.load(std::memory_order_acquire)))
               ->locked.load(std::memory_order_relaxed) != 0;
  }

 private:
  // Tail word layout: bits 63..32 the node's generation at its enqueue,
  // bits 31..0 its arena index.
  static constexpr int kGenerationShift = 32;
  static constexpr uint64_t kIndexMask = (uint64_t{1} << kGenerationShift) - 1;
  static_assert(sizeof(detail::ClhNode::generation) * 8 == 64 - kGenerationShift,
                "the generation fills the upper half of the tail word");

  static uint64_t word_of(const detail::ClhNode* n) noexcept {
    return (uint64_t{n->generation} << kGenerationShift) | n->index;
  }
  static uint32_t index_of(uint64_t word) noexcept {
    return static_cast<uint32_t>(word & kIndexMask);
  }
  // Prepares a node taken from the pool for one enqueue: flag set, new stamp.
  static detail::ClhNode* enqueue_stamp(detail::ClhNode* n) noexcept {
    n->locked.store(1, std::memory_order_relaxed);
    ++n->generation;
    return n;
  }

  // Outlined (clh_lock.cc): spins and yields; only under contention.
  static void wait_on(detail::ClhNode* pred) noexcept;

  // (generation, index) of the last enqueued node — the holder's or last
  // waiter's, or the released node of the last holder (flag clear) when the
  // lock is free. Exchanged by lock() and CASed by try_lock() (acq_rel);
  // read by try_lock() and is_locked() (acquire). Never "empty".
  std::atomic<uint64_t> tail_;
  static_assert(std::atomic<uint64_t>::is_always_lock_free, "tail word needs a lock-free CAS");
  // The holder's node and its predecessor's; valid only while held. Written
  // by the acquiring thread after it acquires, read by unlock().
  detail::ClhNode* holder_ = nullptr;
  detail::ClhNode* holder_pred_ = nullptr;
};

}  // namespace syncscope

#endif  // SYNCSCOPE_CLH_LOCK_H_
