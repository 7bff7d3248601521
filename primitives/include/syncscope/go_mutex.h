// syncscope/go_mutex.h — GoMutex: Go's sync.Mutex as of Go 1.9 onwards,
// with starvation mode (Dmitry Vyukov, Go commit 0556e262, 2016) and the
// fast/slow path split of Go 1.14 (commit 41cb0ae, 2019).
//
// This file offers:
//   template <bool kInstrumented> class BasicGoMutex
//   using GoMutex             = BasicGoMutex<false>;
//   using InstrumentedGoMutex = BasicGoMutex<true>;
//     Lockable: lock(), unlock(), try_lock() — works with std::lock_guard,
//       std::unique_lock, std::scoped_lock.
//     The seed's extensions ("Mutex 扩展"): try_lock(), waiter_count(),
//       is_locked(), is_woken(), is_starving(); plus parked_count().
//     Instrumented flavour only: stats(), mode_switch_timeline(),
//       reset_stats().
//
// Go names -> C++: Lock -> lock, Unlock -> unlock, TryLock -> try_lock,
// Count -> waiter_count() + (is_locked() ? 1 : 0) (the seed's Count adds the
// locked bit after shifting the word, which reads a waiter-count bit; the two
// accessors give the intended numbers), IsWoken -> is_woken,
// IsStarving -> is_starving.
//
// Fairness and starvation: bounded. In normal mode newcomers are favoured
// (throughput); a waiter that has waited more than 1 ms switches the mutex
// to starvation mode, where ownership goes to waiters in FIFO order. So no
// waiter waits much longer than 1 ms plus one FIFO round of the other
// waiters' critical sections. See "Mutex fairness" below. On goroutines
// (syncscope/goroutine.h) the same holds as in Go only because the parties
// get to run: lock() spins by Go's runtime rule (GoSpinPolicy: never while
// a goroutine is queued on the caller's P, e.g. the waiter an unlock just
// readied there) and yields in its slow path once the goroutine's 10 ms
// time slice is spent (syncscope::preempt_point(), the runtime's safe point:
// its monitor marks a goroutine that has run 10 ms, as Go's sysmon does);
// see go_mutex_common.h and goroutine.h, "Preemption".
//
// Memory ordering: every change to the state word is an RMW (no plain
// stores), so the release sequence of an unlock() extends through any later
// CAS/fetch_add. lock()'s fast-path CAS and every acquiring CAS in
// lock_slow() are acquire; unlock()'s fetch_sub is release. A direct
// hand-off in starvation mode synchronizes through the semaphore:
// Sema::release(true) publishes the grant with a release store the waiter
// reads with acquire, and the unlocker's fetch_sub precedes it. The accessors
// (waiter_count, is_*) are relaxed loads: snapshots for monitoring, never a
// substitute for holding the lock.
//
// Instrumentation (kInstrumented only — the plain GoMutex has no counter
// storage, static_assert'ed below, and no counting code): spins, parks,
// barges (acquisitions in lock_slow/try_lock by a thread that had not parked
// in this call, while waiters were registered or another thread's kWoken
// was set), handoffs (starvation-mode unlocks), starvation entries/exits,
// and a preallocated ring of the last kModeSwitchRingCapacity timestamped
// mode switches (each stamped just after the switch; a snapshot is sorted by
// time). Counting uses relaxed atomic increments only: no lock, no
// allocation.
//
// Misuse: unlock() of an unlocked mutex terminates the process with
// "fatal error: sync: unlock of unlocked mutex" (Go's fatal error, not a
// recoverable panic). A state the algorithm cannot reach terminates with
// "fatal error: sync: inconsistent mutex state".
//
// Legal operations per state:
//   state                    lock                  try_lock  unlock
//   unlocked, normal         acquires              true*     fatal error
//   locked, normal           spins, then queues    false     releases; wakes one
//                                                            waiter unless one is
//                                                            woken or spinning
//   starving (owned, or      queues at the tail    false     hands ownership to
//   being handed over)       (no spin, no grab)              the head waiter
//   * false while a woken waiter is competing (kWoken): the seed's TryLock
//     leaves the lock to it.

#ifndef SYNCSCOPE_GO_MUTEX_H_
#define SYNCSCOPE_GO_MUTEX_H_

#include <syncscope/go_mutex_common.h>
#include <syncscope/internal/sema.h>
#include <syncscope/internal/wait_registry.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace syncscope {

// lock(), unlock() (one CAS / one fetch_sub on the fast path), stats(),
// reset_stats() and the members come from detail::GoMutexFastPath
// (go_mutex_common.h), shared with GoMutex2012 and GoMutex2015: what is
// below is what this design adds — starvation mode.
template <bool kInstrumented>
class BasicGoMutex
    : public detail::GoMutexFastPath<BasicGoMutex<kInstrumented>, /*kWaiterShift=*/3,
                                     kInstrumented> {
  using Base = detail::GoMutexFastPath<BasicGoMutex, 3, kInstrumented>;
  // This design annotates its slow-path waits for the blocking-bug detector,
  // so the shared fast path records ownership too.
  static constexpr bool kDetectorHooks = true;

 public:
  // State word layout (Go's `state int32`):
  //   bit 0        kLocked     the mutex is held
  //   bit 1        kWoken      a waiter was woken, or a spinner announced
  //                            itself: unlock must not wake another
  //   bit 2        kStarving   starvation mode
  //   bits 3..31   waiters     threads registered to park on sema_
  using Base::kLocked, Base::kWoken, Base::kWaiterShift, Base::kWaiter;
  static constexpr int32_t kStarving = 1 << 2;
  // Mutex fairness.
  //
  // The mutex runs in one of two modes.
  //
  // Normal mode is built for throughput. Waiters are queued in arrival order,
  // but being woken does not give a waiter the lock: it has to win a CAS
  // against whoever else wants the lock at that moment. Those others are
  // threads that are running right now, spinning or just arriving, and there
  // may be many of them, while the woken thread still has to be scheduled —
  // so it usually loses. It then goes back to the semaphore, this time at the
  // head of the queue (it keeps its place). This is cheap: a running thread
  // with a warm cache takes the lock without any sleep or wake-up, and a
  // thread can often re-acquire a mutex it just released.
  //
  // The price is that a waiter can lose again and again. So a waiter that
  // finds it has been waiting for more than kStarvationThreshold (1 ms)
  // switches the mutex to starvation mode. There, unlock hands ownership
  // straight to the waiter at the head of the queue. Arriving threads do not
  // spin and do not try to take the lock even if it looks free (kLocked may
  // be clear while ownership is in flight); they queue at the tail. The
  // mutex is effectively FIFO, and no waiter can be overtaken.
  //
  // A waiter that receives ownership turns starvation mode off when it is
  // the last waiter, or when it waited less than 1 ms: then nobody is being
  // starved any more. Leaving the mode early matters: in starvation mode
  // every hand-over costs a full sleep/wake-up and the lock sits idle while
  // the next owner is scheduled, so two threads could otherwise keep each
  // other in that slow mode forever.
  //
  // Trade-off: normal mode is much faster (lock re-acquisition, no idle
  // hand-over gaps); starvation mode bounds the tail latency of waiters.
  // The 1 ms threshold keeps the mutex in normal mode in the common case and
  // caps the damage in the pathological one.
  static constexpr std::chrono::nanoseconds kStarvationThreshold{1'000'000};

  static_assert((kLocked & kStarving) == 0 && (kWoken & kStarving) == 0,
                "flags must be distinct bits");
  static_assert(((kLocked | kWoken | kStarving) >> kWaiterShift) == 0,
                "the waiter count must sit above every flag");
  static_assert(kWaiterShift == 3, "Go's mutexWaiterShift: 3 flag bits");

  // try_lock(): the seed's TryLock. Acquires the mutex if it is idle, or if
  // it is unlocked with waiters but nobody is woken and the mutex is not
  // starving; otherwise fails. Never blocks, never spins, never queues. It
  // fails rather than compete with a woken waiter or take a lock that is
  // being handed over, so it may fail while the mutex is momentarily free.
  bool try_lock() noexcept {
    int32_t old = 0;
    if (state_.compare_exchange_strong(old, kLocked, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      SYNCSCOPE_WAITREG_HELD(this, Hold::kExclusive);  // detector hook
      return true;
    }
    if ((old & (kLocked | kStarving | kWoken)) != 0) return false;
    if (!state_.compare_exchange_strong(old, old | kLocked, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
      return false;
    }
    if constexpr (kInstrumented) {
      if ((old >> kWaiterShift) != 0) stats_.add_barge();
    }
    SYNCSCOPE_WAITREG_HELD(this, Hold::kExclusive);  // detector hook
    return true;
  }

  // waiter_count(): threads registered as waiters (parked on the semaphore
  // or on their way to it); the holder is not counted. Relaxed snapshot.
  int32_t waiter_count() const noexcept {
    return state_.load(std::memory_order_relaxed) >> kWaiterShift;
  }
  // is_locked(): the mutex is held, or in starvation mode (ownership handed
  // over but not yet taken, which is still "held"). Relaxed snapshot.
  bool is_locked() const noexcept {
    return (state_.load(std::memory_order_relaxed) & (kLocked | kStarving)) != 0;
  }
  // is_woken(): kWoken is set: a woken waiter or an announced spinner is
  // competing for the lock. Relaxed snapshot.
  bool is_woken() const noexcept { return (state_.load(std::memory_order_relaxed) & kWoken) != 0; }
  // is_starving(): the mutex is in starvation mode. Relaxed snapshot.
  bool is_starving() const noexcept {
    return (state_.load(std::memory_order_relaxed) & kStarving) != 0;
  }
  // parked_count(): threads in the mutex's semaphore's slow path right now
  // (Sema::waiters(): counted before they are queued, so not a statement
  // of queue order); at most waiter_count() once the state settles.
  uint32_t parked_count() const noexcept { return sema_.waiters(); }

  // mode_switch_timeline() (instrumented only): the last
  // kModeSwitchRingCapacity mode switches, oldest first. (stats() and
  // reset_stats(), which also clears the timeline, come from the base.)
  ModeSwitchTimeline mode_switch_timeline() const noexcept requires kInstrumented {
    return stats_.timeline();
  }

 private:
  friend Base;
  using Base::state_, Base::sema_, Base::stats_;

  // Go's lockSlow/unlockSlow, outlined in go_mutex.cc (Go did the same in
  // 2019): the fast paths (unlock() wakes a waiter in normal mode or hands
  // ownership to the head waiter in starvation mode through unlock_slow())
  // are one CAS / one RMW and inline into every caller; the slow paths spin,
  // read the clock, park and wake, and would only bloat the callers and
  // block inlining of the fast paths.
  void lock_slow();
  void unlock_slow(int32_t now);

  // The state word (layout above), the base's state_. Written only by RMWs:
  //   kLocked   set by lock()/try_lock()/lock_slow(); cleared by unlock().
  //   kWoken    set by a spinner in lock_slow() or by unlock_slow(); cleared
  //             by the thread that owns it, in lock_slow().
  //   kStarving set by a waiter that waited > 1 ms (lock_slow(), only while
  //             kLocked); cleared by the waiter that receives ownership in
  //             starvation mode and is the last or waited < 1 ms.
  //   waiters   +1 by lock_slow() before parking; -1 by unlock_slow() when it
  //             wakes a waiter (normal mode) or by the receiving waiter
  //             (starvation mode).
  // sema_ (the base's): wake-ups (normal mode) and hand-overs (starvation
  // mode, handoff=true).
};

extern template class BasicGoMutex<false>;
extern template class BasicGoMutex<true>;

using GoMutex = BasicGoMutex<false>;
using InstrumentedGoMutex = BasicGoMutex<true>;

static_assert(sizeof(GoMutex) == sizeof(detail::PlainMutexLayout),
              "the non-instrumented GoMutex carries no stats storage");

}  // namespace syncscope

#endif  // SYNCSCOPE_GO_MUTEX_H_
