// syncscope/internal/sema.h — the parking layer shared by every blocking primitive.
//
// This file offers:
//   class Sema   a futex-based counting semaphore with a FIFO queue of parked
//                waiters; the analogue of the Go runtime's
//                  runtime_Semacquire(addr)              -> acquire()
//                  runtime_SemacquireMutex(addr, lifo)   -> acquire(lifo)
//                  runtime_Semrelease(addr, handoff)     -> release(handoff)
//                plus try_acquire(), timed acquire_until()/acquire_for() and a
//                waiters() gauge for instrumentation.
//
// Every lock, condition, wait group and channel of syncscope parks through
// this one class, so the designs differ only in their algorithms and a
// benchmark compares algorithms, not sleeping mechanisms.
//
// Algorithm (after Go's runtime/sema.go, Russ Cox / Dmitry Vyukov; written
// here for OS threads on Linux futexes):
//   * count_ holds the available units. try_acquire() decrements it with a
//     CAS when it is positive; it never touches the queue.
//   * A thread that finds no unit takes the lock of its wait-table bucket
//     (see "Where the queue lives"), links a Waiter node that lives on its
//     own stack into the queue (tail, or head when lifo) — which counts it
//     in the bucket's waiter counter —, looks at count_ once more (a release
//     may have happened meanwhile; if a unit is there it unlinks and takes
//     it), and otherwise sleeps on the node's own 32-bit futex word. One futex word per waiter means a
//     wake-up targets exactly that thread: no thundering herd.
//   * release() without handoff adds a unit, then, if anyone is queued,
//     unlinks the head and wakes it. The woken thread must still take the
//     unit with try_acquire(): a thread arriving at that moment may take it
//     first (barging), and the woken one then queues again — at the tail,
//     or at the head if it asked for lifo. This is Go's behaviour too; it
//     favours throughput over strict FIFO.
//   * release(true) (handoff) does not publish the unit when a waiter is
//     queued: under the queue lock it unlinks the head and marks its node
//     "granted"; that thread returns owning the unit without competing. With
//     nobody queued it just adds the unit. Go's starvation mode relies on
//     this: ownership passes to the oldest waiter, newcomers cannot steal it.
//
// Two waiter kinds (one layer for threads and goroutines): acquire_slow()
// asks the scheduler (syncscope/internal/scheduler.h) whether it runs on a
// goroutine that holds a P. If so, the Waiter records that goroutine and
// "sleeping" parks it — its P runs other goroutines, and a deadline becomes
// a timer on the P — and the releaser, after the same "granted"/"woken"
// mark, makes it runnable in the releaser's own P's runnext (Go's goready)
// instead of calling FUTEX_WAKE. A handoff to a goroutine made by a
// goroutine goes one step further, as Go's semrelease1 does (goyield): the
// releaser yields its P to the granted goroutine and waits on that P's
// local run queue, so the new owner runs at once on the releaser's P
// instead of waiting until the releaser blocks or another P steals it
// (scheduler.h, goroutine_wake_handoff). Otherwise (a plain thread, a
// goroutine inside a SyscallGuard) the thread sleeps on the futex exactly
// as before: the thread path costs one thread-local load more than it did.
// The queue, the marks, the ordering and the fairness below are the same
// for both. The bucket lock itself always sleeps on a futex (it blocks the
// M, like Go's runtime locks): it is held for a few pointer updates, never
// across a park.
//
// Fairness and starvation: wake-ups are FIFO in arrival order (lifo waiters
// go first). Without handoff a woken waiter can lose its unit to a newcomer
// any number of times (it is not starvation-free); with handoff every
// release serves the head of the queue (starvation-free as long as releases
// keep coming).
//
// Memory ordering: a successful acquire synchronizes with the release that
// provided its unit: release() publishes the unit with a seq_cst RMW on
// count_ that try_acquire's CAS reads (acquire), and a handoff publishes the
// "granted" mark with a release store that the woken waiter reads with an
// acquire load. So everything the releasing thread wrote before release()
// is visible to the thread that returns from acquire(). count_ and the
// bucket's waiter counter (not this Sema's nwait_, which releasers never
// read) are accessed seq_cst where the "waiter links itself, then re-checks
// count_" / "releaser adds to count_, then checks the bucket's counter" pair
// must not both miss each other (a Dekker-style handshake that rules out a
// lost wake-up).
//
// Spinning: none in acquire() (the callers — Go's mutexes — do their own
// bounded spinning); the internal queue lock spins kQueueLockSpins times
// before sleeping, its critical sections being a few pointer updates.
//
// Where the queue lives (and why): as in Go's runtime (semtable), waiters
// are not queued inside the Sema but in a global table of buckets keyed by
// the Sema's address; the Sema itself holds only its count. A releaser
// publishes the unit as its last access to the object and then works only
// on the table and the waiter node, so the thread that takes the unit may
// destroy the Sema (and the mutex around it) at once — the C++ rule that a
// mutex may be destroyed as soon as it is unlocked. The price: a releaser
// of a Sema that was destroyed and whose address was reused may wake a
// waiter of the new one; that waiter re-checks the count and queues again
// (a spurious wake-up, which every waiter tolerates).
//
// Lifetime note: a releaser sets a waiter's futex word after unlinking it
// under the bucket lock and calls FUTEX_WAKE right after. By then the woken thread may
// already have returned, so the wake can land on a dead stack slot. A
// private FUTEX_WAKE only hashes the address (it never dereferences it) and
// every futex user here re-checks its condition after waking, so a stray
// wake is a harmless spurious wake-up.
//
// Legal operations: all methods may be called concurrently from any thread.
// The destructor requires that no thread is parked (waiters() == 0); a
// releaser may still be running when the Sema is destroyed (see above).

#ifndef SYNCSCOPE_INTERNAL_SEMA_H_
#define SYNCSCOPE_INTERNAL_SEMA_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ratio>

namespace syncscope {

class Sema {
 public:
  // Creates a semaphore holding `initial` units and no waiters.
  explicit Sema(uint32_t initial = 0) noexcept : count_(initial) {}
  Sema(const Sema&) = delete;
  Sema& operator=(const Sema&) = delete;

  // acquire(lifo): takes one unit, parking until one is available.
  // lifo=false queues at the tail (FIFO). lifo=true queues at the head; Go's
  // mutex uses it to requeue a waiter that has already waited, so that it is
  // served next. Go: runtime_SemacquireMutex(&sema, lifo, skipframes).
  void acquire(bool lifo = false) {
    if (try_acquire()) return;  // fast path: inline, one CAS
    acquire_slow(lifo, nullptr);
  }

  // try_acquire(): takes one unit if one is available right now; never
  // blocks, never queues. May fail while a unit is being handed off to a
  // queued waiter (that unit is not "available").
  bool try_acquire() noexcept {
    uint32_t c = count_.load(std::memory_order_relaxed);
    while (c != 0) {
      if (count_.compare_exchange_weak(c, c - 1, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }

  // acquire_until(deadline, lifo): like acquire(), but gives up at
  // `deadline` and returns false. A waiter that gives up unlinks itself from
  // the queue; no unit is lost (a unit released to it concurrently is either
  // taken — the call then returns true — or left in the count for others).
  bool acquire_until(std::chrono::steady_clock::time_point deadline, bool lifo = false) {
    if (try_acquire()) return true;
    return acquire_slow(lifo, &deadline);
  }

  // acquire_for(d, lifo): acquire_until(now + d, lifo); d <= 0 is a
  // try_acquire(). Durations that overflow steady_clock wait forever.
  template <class Rep, class Period>
  bool acquire_for(std::chrono::duration<Rep, Period> d, bool lifo = false) {
    using Clock = std::chrono::steady_clock;
    if (d <= d.zero()) return try_acquire();
    const Clock::time_point now = Clock::now();
    const Clock::duration left = Clock::time_point::max() - now;
    if (std::chrono::duration<long double>(d) >= std::chrono::duration<long double>(left)) {
      return acquire_until(Clock::time_point::max(), lifo);
    }
    return acquire_until(now + std::chrono::ceil<Clock::duration>(d), lifo);
  }

  // release(handoff): returns one unit. handoff=false: the unit is added to
  // the count and the head waiter, if any, is woken to compete for it.
  // handoff=true: if a waiter is queued, the unit goes to the head waiter
  // itself (it returns from acquire without competing); otherwise the unit
  // is added to the count. Go: runtime_Semrelease(&sema, handoff, skip).
  void release(bool handoff = false) {
    if (handoff) {
      release_handoff();
      return;
    }
    count_.fetch_add(1, std::memory_order_seq_cst);  // last access to *this
    wake_one();  // touches only the global wait table and the waiter
  }

  // waiters(): number of threads inside the slow path of acquire: counted
  // on entry, before the thread links itself into the wait queue, so a
  // counted thread may not be queued (or parked) yet, and the count says
  // nothing about queue order. Relaxed snapshot; meant for instrumentation
  // and for tests that wait until a thread has at least entered the wait.
  uint32_t waiters() const noexcept { return nwait_.load(std::memory_order_relaxed); }

  // A parked thread's node; lives on that thread's stack for the duration
  // of one acquire_slow() call, linked into the global wait table's bucket
  // while queued. An implementation detail of sema.cc.
  struct Waiter;

 private:

  // Slow paths are outlined (sema.cc): they take the queue lock and make
  // futex syscalls, so inlining them would only bloat every caller's fast
  // path. deadline == nullptr waits forever.
  bool acquire_slow(bool lifo, const std::chrono::steady_clock::time_point* deadline);
  void wake_one() noexcept;
  void release_handoff() noexcept;

  // Available units. Incremented by release() (seq_cst RMW), decremented by
  // try_acquire()'s CAS (acquire). Never touched for a handoff to a queued
  // waiter. In release() the increment is the LAST access to this object:
  // once a unit is published, its taker may destroy the Sema.
  std::atomic<uint32_t> count_;
  // Threads inside acquire_slow() (queued or about to leave the queue).
  // Written only by those threads themselves (relaxed RMW), never by a
  // releaser — a releaser must not touch the object after publishing.
  // Read by waiters() for instrumentation only.
  std::atomic<uint32_t> nwait_{0};
};

}  // namespace syncscope

#endif  // SYNCSCOPE_INTERNAL_SEMA_H_
