// syncscope/mcs_lock.h — McsLock: the MCS queue spinlock, as a plain
// Lockable (no queue-node argument).
//
// This file offers:
//   class McsLock     Lockable: lock(), unlock(), try_lock(); plus
//                     is_locked().
//   detail::McsNode, detail::McsNodePool
//                     the queue node and the per-thread node pool behind it.
//
// Source: J. M. Mellor-Crummey & M. L. Scott, "Algorithms for Scalable
// Synchronization on Shared-Memory Multiprocessors", ACM TOCS 9(1), 1991,
// §2.4 (the list-based queuing lock; "MCS").
//
// Algorithm. Waiters form a singly linked queue of nodes; the lock word is a
// pointer to the tail. lock() swaps its own node into tail_; a null previous
// tail means the lock was free and is now ours. Otherwise it links itself
// behind the previous tail (pred->next = me) and spins on a flag *in its own
// node*. unlock() hands the lock to the successor by clearing that flag; with
// no successor it CASes tail_ from its node back to null, and if that fails
// (a thread has swapped in but not linked yet) it waits for the link. Each
// waiter spins on its own cache line — only the release touches it — so the
// traffic per hand-over is constant, whatever the number of waiters (unlike
// TAS/TTAS/ticket, whose waiters all watch one shared line).
//
// Plain Lockable: the paper passes a queue node to acquire and release. Here
//   * the node of an acquiring thread comes from a per-thread pool
//     (detail::McsNodePool, a thread_local free list of heap nodes): lock()
//     takes one, unlock() gives it back. A thread holding k MCS locks at
//     once — nested, taken and released in any order, on any mix of McsLock
//     objects — uses k nodes; the pool grows to the thread's deepest nesting
//     and is freed when the thread exits. After unlock() no other thread
//     refers to the node any more (the successor has linked itself and spins
//     on its own node; with no successor tail_ no longer points to it), so
//     it can be reused at once.
//   * the node of the current holder is remembered in the lock (holder_), so
//     unlock() needs no argument. Any thread may call unlock(): the node then
//     joins the unlocking thread's pool instead, which is harmless (a pool
//     owns whatever nodes it holds).
//
// try_lock(): one CAS of tail_ from null to the thread's node. It succeeds
// only when nobody holds or waits, never queues, never waits.
//
// Fairness and starvation: FIFO in the order of the exchanges on tail_;
// starvation-free as long as holders release. As with every FIFO spinlock,
// the lock is handed to one specific thread: if that thread is not running,
// the lock stays idle until it is (convoy). Waiters yield the CPU after
// SpinWait::kSpinsBeforeYield spin hints (spin_lock.h) so the lock keeps
// moving on an oversubscribed machine.
//
// Memory ordering:
//   * The exchange (and try_lock's CAS) on tail_ is acq_rel: release, so that
//     a successor that receives our node as its predecessor sees it
//     initialised (next == null); acquire, so that taking a free lock
//     synchronizes with the unlock that set tail_ to null (release CAS).
//   * A waiter links itself with a release store of pred->next; unlock()
//     reads next with acquire, so the successor's "waiting" initialisation
//     is ordered before unlock's store that clears it.
//   * unlock() clears the successor's flag with release; the successor spins
//     with acquire loads: the critical section happens-before the next.
//   * holder_ is a plain field: written by the new holder after it acquires,
//     read by the holder in unlock() before it releases; the hand-over edges
//     above order every access.
//
// Legal operations:
//   state      lock                        try_lock  unlock
//   free       acquires                    true      undefined (no holder
//                                                    node: dereferences null)
//   held       queues, spins on own node   false     hands over to the next
//              (deadlock if the calling              waiter or frees the lock
//              thread is the holder)                 (any thread may unlock)
//
// Limits: a thread must not lock/unlock an McsLock from a thread_local
// destructor that runs after its pool's destructor. The destructor of an
// McsLock requires it to be free (no holder, no waiter).

#ifndef SYNCSCOPE_MCS_LOCK_H_
#define SYNCSCOPE_MCS_LOCK_H_

#include <atomic>
#include <cstdint>

namespace syncscope {
namespace detail {

// A queue node. One cache line each, so that a waiter spinning on its own
// `waiting` flag shares the line with nobody else's.
struct alignas(64) McsNode {
  // The successor in the queue, or null. Written once per acquisition by the
  // successor (release store, when it links itself) and reset to null by the
  // node's owner before the node is enqueued; read by the owner in unlock()
  // (acquire).
  std::atomic<McsNode*> next{nullptr};
  // true while the owner waits for the lock. Set by the owner before it
  // enqueues (relaxed; published by the exchange), cleared by the
  // predecessor's unlock() (release); read by the owner (acquire).
  std::atomic<bool> waiting{false};
  // Link in a McsNodePool free list; used only while the node is pooled,
  // by the thread whose pool holds it.
  McsNode* pool_next = nullptr;
};
static_assert(sizeof(McsNode) == 64, "one queue node per cache line");

// A per-thread free list of queue nodes. Only its own thread touches it.
class McsNodePool {
 public:
  constexpr McsNodePool() noexcept = default;
  McsNodePool(const McsNodePool&) = delete;
  McsNodePool& operator=(const McsNodePool&) = delete;
  // Frees the pooled nodes (nodes in use by a lock are not in the pool).
  ~McsNodePool();

  // take(): a node from the pool, or a new one (take_slow: allocation).
  McsNode* take() {
    McsNode* n = head_;
    if (n == nullptr) return take_slow();
    head_ = n->pool_next;
    return n;
  }
  // give(n): returns a node that no lock refers to any more.
  void give(McsNode* n) noexcept {
    n->pool_next = head_;
    head_ = n;
  }

 private:
  // Outlined: allocates; runs once per nesting depth per thread.
  McsNode* take_slow();

  McsNode* head_ = nullptr;  // free list; owned and accessed by this thread only
};

// The calling thread's pool.
inline thread_local McsNodePool tls_mcs_pool;

}  // namespace detail

class McsLock {
 public:
  McsLock() noexcept = default;
  McsLock(const McsLock&) = delete;
  McsLock& operator=(const McsLock&) = delete;

  // lock(): enqueues a node from the thread's pool; fast path (lock was
  // free) inline, waiting outlined (wait_behind). May throw std::bad_alloc
  // the first time a thread needs one more node than it has.
  void lock() {
    detail::McsNode* me = detail::tls_mcs_pool.take();
    me->next.store(nullptr, std::memory_order_relaxed);
    me->waiting.store(true, std::memory_order_relaxed);
    detail::McsNode* pred = tail_.exchange(me, std::memory_order_acq_rel);
    if (pred != nullptr) wait_behind(pred, me);
    holder_ = me;
  }

  // try_lock(): acquires only if nobody holds or waits (CAS tail_ from null
  // to the thread's node). Never waits. May throw std::bad_alloc as lock().
  bool try_lock() {
    if (tail_.load(std::memory_order_relaxed) != nullptr) return false;
    detail::McsNode* me = detail::tls_mcs_pool.take();
    me->next.store(nullptr, std::memory_order_relaxed);
    detail::McsNode* expected = nullptr;
    if (!tail_.compare_exchange_strong(expected, me, std::memory_order_acq_rel,
                                       std::memory_order_relaxed)) {
      detail::tls_mcs_pool.give(me);
      return false;
    }
    holder_ = me;
    return true;
  }

  // unlock(): hands the lock to the successor, or frees it when there is
  // none. Fast paths inline; waiting for a successor that has swapped
  // itself in but not linked yet is outlined (wait_for_successor).
  void unlock() noexcept {
    detail::McsNode* me = holder_;
    detail::McsNode* succ = me->next.load(std::memory_order_acquire);
    if (succ == nullptr) {
      detail::McsNode* expected = me;
      if (tail_.compare_exchange_strong(expected, nullptr, std::memory_order_release,
                                        std::memory_order_relaxed)) {
        detail::tls_mcs_pool.give(me);
        return;
      }
      succ = wait_for_successor(me);
    }
    succ->waiting.store(false, std::memory_order_release);
    detail::tls_mcs_pool.give(me);
  }

  // is_locked(): relaxed snapshot: someone holds or waits.
  bool is_locked() const noexcept { return tail_.load(std::memory_order_relaxed) != nullptr; }

 private:
  // Outlined (mcs_lock.cc): the waits spin and yield; they run only under
  // contention, and keeping them out of line keeps lock()/unlock() short.
  static void wait_behind(detail::McsNode* pred, detail::McsNode* me) noexcept;
  static detail::McsNode* wait_for_successor(detail::McsNode* me) noexcept;

  // The last node of the queue (the holder's when nobody waits), or null
  // when the lock is free. Swapped by lock() (acq_rel exchange), CASed from
  // null by try_lock() (acq_rel) and back to null by unlock() (release).
  std::atomic<detail::McsNode*> tail_{nullptr};
  // The holder's node; valid only while the lock is held. Written by the
  // acquiring thread right after it acquires, read by unlock(); both under
  // the lock (see "Memory ordering").
  detail::McsNode* holder_ = nullptr;
};

}  // namespace syncscope

#endif  // SYNCSCOPE_MCS_LOCK_H_
