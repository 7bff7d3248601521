// syncscope/cond.h — Cond: Go's sync.Cond, on a ticket-based notify list.
//
// This file offers:
//   class Cond                  a condition variable usable with any
//                               Lockable (GoMutex, std::mutex,
//                               std::unique_lock<...>, ...):
//                                 wait(lock), wait(lock, pred),
//                                 signal(), broadcast(), waiter_count()
//   template <class L> class BasicCond
//                               Go's shape: the Cond is bound to its lock at
//                               construction (sync.NewCond(&m)):
//                                 wait(), wait(pred), signal(), broadcast(),
//                                 locker(), waiter_count()
//   class NotifyList            the waiting machinery (Go's runtime
//                               notifyList), usable on its own
//   namespace detail: Parker, ParkerLease — a thread's own parking slot;
//                               shared with CyclicBarrier.
//
// Go names -> C++: NewCond(l) -> BasicCond<L>(l); c.L -> locker();
// Wait -> wait; Signal -> signal; Broadcast -> broadcast. Go's
// notifyListAdd / notifyListWait / notifyListNotifyOne /
// notifyListNotifyAll -> NotifyList::add / wait / notify_one / notify_all.
//
// Algorithm (Go's runtime/sema.go notifyList, Russ Cox / Dmitry Vyukov, Go
// 1.7; written here for OS threads):
//   * wait_ is the next ticket to hand out, notify_ the next ticket to
//     notify. A waiter takes a ticket t = wait_++ (an atomic fetch_add)
//     *while still holding the user's lock*, then unlocks, then parks with
//     its ticket. Taking the ticket under the lock is what makes "check
//     the condition, then wait" atomic: a signal issued after the waiter
//     checked (which needs the lock) is issued after the ticket was taken,
//     so it counts the waiter even if the waiter has not parked yet.
//   * signal(): if wait_ == notify_ nobody waits (lock-free fast path).
//     Otherwise, under the list lock, ticket notify_ is the one to wake:
//     notify_++, and if the waiter holding that ticket is already in the
//     list it is unlinked and woken. If it has not reached the list yet, it
//     will find its ticket < notify_ and return without parking.
//   * broadcast(): notify_ = wait_ and the whole list is woken.
//   * Wake-ups are therefore FIFO by ticket (by the order in which waiters
//     took the lock and called wait), and there are no spurious wake-ups:
//     wait() returns only after a signal/broadcast counted its ticket. The
//     caller must still re-check its condition in a loop, because another
//     thread may take the lock first and change it (wait(lock, pred) does).
//   * Each waiter parks on its own Parker: a Sema (the parking layer) that
//     belongs to the thread, not to the Cond. So a signal targets exactly
//     one thread (no herd), and the notifier's last access to the Cond is
//     the list lock's release: a Cond may be destroyed as soon as every
//     waiter has been notified, even while notify_one/notify_all is still
//     waking the threads (as std::condition_variable allows).
//   * The list lock is a TtasLock (spin, then yield): its critical sections
//     are a few pointer updates, and its unlock is a single store, which is
//     what lets the Cond be destroyed right after. (A parking mutex's unlock
//     may still touch its memory after another thread acquired it.)
//
// Fairness and starvation: signal wakes the oldest waiter (by ticket);
// broadcast wakes all current waiters and none of the later ones. A woken
// waiter then competes for the user's lock like any thread: the lock's
// fairness decides who runs first.
//
// Memory ordering: the ticket counters are seq_cst. Everything a signalling
// thread did before signal()/broadcast() happens-before the return of the
// wait() it wakes (the list lock orders notify_ and the list; the Parker's
// Sema release/acquire orders the wake-up). The usual pattern — change the
// state under the lock, then signal — needs nothing more: the lock orders
// the state.
//
// Misuse: wait(lock) requires the caller to hold `lock`; wait() unlocks it
// with lock.unlock(), so for a GoMutex that is not held the process dies
// with Go's "fatal error: sync: unlock of unlocked mutex". Go's Cond panics
// "sync.Cond is copied" when copied after first use; here copying and moving
// do not compile.
//
// Legal operations: wait(lock) with `lock` held by the caller; signal() and
// broadcast() from any thread, with or without the lock. The destructor
// requires that no thread is still waiting un-notified.

#ifndef SYNCSCOPE_COND_H_
#define SYNCSCOPE_COND_H_

#include <atomic>
#include <cstdint>
#include <utility>

#include <syncscope/goroutine.h>
#include <syncscope/internal/sema.h>
#include <syncscope/ttas_lock.h>

namespace syncscope {
namespace detail {

// Parker: one thread's parking slot. Allocated the first time a thread
// parks, owned by it until it exits, then recycled for another thread;
// never freed. Because it outlives every Cond and barrier, a notifier can
// release it after the waiter already returned (and even after the Cond is
// gone) without touching freed memory; a late wake-up inside Sema is a
// harmless spurious one (the Sema re-checks its count).
struct Parker {
  // 0 units while idle. Exactly one release() per time the parker is
  // linked into a list, exactly one acquire() by its owner per link.
  Sema sema;
  // Link in a NotifyList or a CyclicBarrier generation; guarded by that
  // list's lock.
  Parker* next = nullptr;
  // The ticket the owner waits for (NotifyList only); guarded by the list
  // lock.
  uint32_t ticket = 0;
  // Link in the free list of recycled parkers; guarded by its mutex.
  Parker* free_next = nullptr;
};

// The calling thread's parker, or null before its first wait and after it
// began exiting. Constant-initialised, trivially destructible.
inline constinit thread_local Parker* t_parker = nullptr;

// Outlined (cond.cc): gives the thread a parker (recycled or new; may throw
// std::bad_alloc). During thread exit returns a parker borrowed for one
// wait (*temporary = true) that the caller gives back with
// release_parker().
Parker* acquire_parker(bool* temporary);
void release_parker(Parker* p) noexcept;
// Outlined (cond.cc): a parker from the free list (or new) for one wait on
// a goroutine, given back with release_parker().
Parker* borrow_parker();

// ParkerLease: the calling thread's parker for the duration of one wait.
// Inline fast path: one thread_local load.
class ParkerLease {
 public:
  ParkerLease() : parker_(t_parker) {
    // A goroutine borrows a parker for this one wait: the thread's parker
    // belongs to the M, which runs other goroutines while this one parks.
    if (goroutine_detail::on_goroutine()) {
      parker_ = borrow_parker();
      temporary_ = true;
      return;
    }
    if (parker_ == nullptr) parker_ = acquire_parker(&temporary_);
  }
  ~ParkerLease() {
    if (temporary_) release_parker(parker_);
  }
  ParkerLease(const ParkerLease&) = delete;
  ParkerLease& operator=(const ParkerLease&) = delete;
  Parker& get() const noexcept { return *parker_; }

 private:
  Parker* parker_;
  bool temporary_ = false;
};

}  // namespace detail

// NotifyList: Go's notifyList. A waiter calls t = add() (while holding the
// lock that protects its condition), releases that lock, and calls
// wait(t, parker). notify_one()/notify_all() wake by ticket.
class NotifyList {
 public:
  NotifyList() noexcept = default;
  NotifyList(const NotifyList&) = delete;
  NotifyList& operator=(const NotifyList&) = delete;

  // add(): takes the next ticket. Lock-free (one fetch_add).
  uint32_t add() noexcept { return wait_.fetch_add(1, std::memory_order_seq_cst); }

  // wait(t, p): returns at once if ticket t was already notified; otherwise
  // links p and parks on it until a notify counts t. No spurious returns.
  void wait(uint32_t ticket, detail::Parker& p) noexcept;

  // notify_one(): notifies the oldest un-notified ticket, if any.
  // Fast path inline: nothing to do when every ticket was notified.
  void notify_one() noexcept {
    if (quiet()) return;
    notify_one_slow();
  }

  // notify_all(): notifies every ticket handed out so far.
  void notify_all() noexcept {
    if (quiet()) return;
    notify_all_slow();
  }

  // pending(): tickets handed out and not yet notified: threads waiting, or
  // about to wait. Snapshot.
  uint32_t pending() const noexcept {
    return wait_.load(std::memory_order_seq_cst) - notify_.load(std::memory_order_seq_cst);
  }

 private:
  // Go's less(a, b): ticket a comes before b, modulo 2^32 wrap-around
  // (at most 2^31 tickets may be outstanding).
  static bool before(uint32_t a, uint32_t b) noexcept {
    return static_cast<int32_t>(a - b) < 0;
  }
  // No ticket outstanding. Go's fast path: if no waiter arrived since the
  // last notification, there is nothing to lock.
  bool quiet() const noexcept {
    return wait_.load(std::memory_order_seq_cst) == notify_.load(std::memory_order_seq_cst);
  }
  // Outlined: they take the list lock and wake threads (system calls).
  void notify_one_slow() noexcept;
  void notify_all_slow() noexcept;

  // Next ticket to hand out. fetch_add (seq_cst) by add(), any thread; read
  // by the fast paths and under lock_. Only grows (mod 2^32).
  std::atomic<uint32_t> wait_{0};
  // Next ticket to notify. Written only under lock_ (seq_cst store); read
  // under lock_ and, without it, by the fast paths. Only grows, never past
  // wait_.
  std::atomic<uint32_t> notify_{0};
  // Guards notify_'s updates and the list.
  TtasLock lock_;
  // Parked (or parking) waiters, roughly in ticket order; guarded by lock_.
  detail::Parker* head_ = nullptr;
  detail::Parker* tail_ = nullptr;
};

// Cond: a condition variable for any Lockable (the lock is passed to each
// wait, like std::condition_variable_any).
class Cond {
 public:
  Cond() noexcept = default;
  Cond(const Cond&) = delete;
  Cond& operator=(const Cond&) = delete;

  // wait(lock): atomically releases `lock` and waits for a signal() or
  // broadcast() issued after this call began; re-acquires `lock` before
  // returning. The caller must hold `lock`. Go: c.Wait().
  template <class Lockable>
  void wait(Lockable& lock) {
    detail::ParkerLease parker;  // the only step that may throw: before any change
    const uint32_t ticket = list_.add();
    lock.unlock();
    list_.wait(ticket, parker.get());
    lock.lock();
  }

  // wait(lock, pred): while (!pred()) wait(lock). Go's idiom
  // `for !cond { c.Wait() }`.
  template <class Lockable, class Pred>
  void wait(Lockable& lock, Pred pred) {
    while (!pred()) wait(lock);
  }

  // signal(): wakes the oldest waiter, if any. Go: c.Signal().
  void signal() noexcept { list_.notify_one(); }

  // broadcast(): wakes every current waiter. Go: c.Broadcast().
  void broadcast() noexcept { list_.notify_all(); }

  // waiter_count(): threads inside wait() not yet notified (they may not
  // have parked yet). Snapshot, for tests and instrumentation.
  uint32_t waiter_count() const noexcept { return list_.pending(); }

 private:
  NotifyList list_;
};

// BasicCond<L>: Go's Cond shape, bound to one lock (c.L).
template <class L>
class BasicCond {
 public:
  // Go: sync.NewCond(&l). The lock must outlive the BasicCond.
  explicit BasicCond(L& lock) noexcept : lock_(lock) {}
  BasicCond(const BasicCond&) = delete;
  BasicCond& operator=(const BasicCond&) = delete;

  // locker(): Go's c.L.
  L& locker() const noexcept { return lock_; }
  // wait(): Go's c.Wait(); the caller holds locker().
  void wait() { cond_.wait(lock_); }
  // wait(pred): for !pred() { c.Wait() }.
  template <class Pred>
  void wait(Pred pred) {
    cond_.wait(lock_, std::move(pred));
  }
  // signal(): Go's c.Signal().
  void signal() noexcept { cond_.signal(); }
  // broadcast(): Go's c.Broadcast().
  void broadcast() noexcept { cond_.broadcast(); }
  // waiter_count(): see Cond::waiter_count().
  uint32_t waiter_count() const noexcept { return cond_.waiter_count(); }

 private:
  L& lock_;
  Cond cond_;
};

}  // namespace syncscope

#endif  // SYNCSCOPE_COND_H_
