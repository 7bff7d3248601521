// syncscope/go_mutex_2015.h — GoMutex2015: sync.Mutex with active spinning
// (Dmitry Vyukov, Go commit edcad863, Go 1.5; the seed's "2015").
//
// This file offers:
//   template <bool kInstrumented> class BasicGoMutex2015
//   using GoMutex2015             = BasicGoMutex2015<false>;
//   using InstrumentedGoMutex2015 = BasicGoMutex2015<true>;
//     Lockable (lock, unlock, try_lock): works with std::lock_guard,
//     std::unique_lock, std::scoped_lock. The instrumented flavour adds
//     stats() (spins, parks, barges) and reset_stats().
//
// Go names: Lock -> lock, Unlock -> unlock; try_lock has no 2015 counterpart
// (added here so the design is Lockable; it fails only if the lock is held).
//
// State word: the 2012 layout (see go_mutex_2012.h):
//   bit 0 kLocked, bit 1 kWoken, bits 2..31 waiter count.
//
// Design (why it works, what it trades): GoMutex2012 parks a thread as soon
// as it finds the mutex held. When critical sections are short, the holder
// releases within a few hundred nanoseconds, far less than a sleep/wake
// round trip, so the 2015 design first spins a little: up to
// GoSpinPolicy::kActiveSpin rounds of kActiveSpinCount cpu-relax hints, and
// only on a multicore (GoSpinPolicy::can_spin; on one CPU the holder cannot
// run while we spin; on a goroutine, also only while another P runs and
// none waits in the caller's P's run queue, Go's runtime rule). While
// spinning, a thread tries to set kWoken when
// waiters exist and nobody is woken: unlock then does not wake a parked
// waiter that would only lose the race to the spinner, saving a useless
// wake-up. After the spin budget the thread registers as a waiter and parks
// as in 2012; a woken waiter gets a fresh spin budget.
//
// Fairness and starvation: as in 2012, unfair: newcomers (spinning ones
// even more) are favoured over woken waiters; a waiter can starve under
// sustained contention. Go 1.9's starvation mode (GoMutex) bounds this.
// On goroutines the slow path also yields once the goroutine's time slice
// is spent (preempt_point(), the runtime's safe point), so the parties a
// P's winner would otherwise keep off that P get to run.
//
// Memory ordering: as GoMutex2012: all changes to the state word are RMWs;
// acquiring CASes are acquire, unlock's fetch_sub is release. The spinner's
// CAS that sets kWoken is relaxed (it acquires nothing).
//
// Instrumentation (kInstrumented only; the plain flavour has no counters and
// no counting code): spins (spin rounds), parks (semaphore sleeps), barges
// (acquisitions in lock_slow by a thread that had not parked, or by
// try_lock, while the state showed waiters or a woken waiter not its own).
// Relaxed atomic increments, no locks, no allocation. handoffs and mode
// switches stay 0 (no starvation mode in this design).
//
// Misuse: unlock() of an unlocked mutex terminates the process with
// "fatal error: sync: unlock of unlocked mutex".
//
// Legal operations per state:
//   state        lock                 try_lock   unlock
//   unlocked     acquires             true       fatal error
//   locked       spins, then waits    false      releases (wakes one waiter if
//                                                none is woken or spinning)

#ifndef SYNCSCOPE_GO_MUTEX_2015_H_
#define SYNCSCOPE_GO_MUTEX_2015_H_

#include <syncscope/go_mutex_common.h>
#include <syncscope/internal/sema.h>

#include <atomic>
#include <cstdint>

namespace syncscope {

// lock(), unlock() (one CAS / one fetch_sub on the fast path), stats(),
// reset_stats() and the members come from detail::GoMutexFastPath
// (go_mutex_common.h), shared with GoMutex2012 and GoMutex: what is below is
// what this design adds.
template <bool kInstrumented>
class BasicGoMutex2015
    : public detail::GoMutexFastPath<BasicGoMutex2015<kInstrumented>, /*kWaiterShift=*/2,
                                     kInstrumented> {
  using Base = detail::GoMutexFastPath<BasicGoMutex2015, 2, kInstrumented>;

 public:
  using Base::kLocked, Base::kWoken, Base::kWaiterShift, Base::kWaiter;

  // try_lock(): acquires the mutex if it is not held; never blocks, never
  // spins, never registers as a waiter.
  bool try_lock() noexcept {
    int32_t from = 0;
    if (!this->try_lock_if_unlocked(&from)) return false;
    if constexpr (kInstrumented) {
      if (from != 0) this->stats_.add_barge();  // beat waiters or a woken one
    }
    return true;
  }

 private:
  friend Base;
  using Base::state_, Base::sema_, Base::stats_;

  // Slow paths, outlined in go_mutex_2015.cc so that the fast paths (one
  // CAS / one RMW) stay small enough to inline into every caller; the slow
  // paths spin, park and wake, where a call costs nothing in comparison.
  //
  // Who writes state_ (an RMW each): lock()/try_lock() set kLocked;
  // lock_slow() adds/removes waiters, sets kWoken while spinning and clears
  // it once woken; unlock() clears kLocked; unlock_slow() sets kWoken and
  // removes a waiter. sema_ gets one unit per waiter unlock_slow() wakes.
  void lock_slow();
  void unlock_slow(int32_t now);
};

extern template class BasicGoMutex2015<false>;
extern template class BasicGoMutex2015<true>;

using GoMutex2015 = BasicGoMutex2015<false>;
using InstrumentedGoMutex2015 = BasicGoMutex2015<true>;

static_assert(sizeof(GoMutex2015) == sizeof(detail::PlainMutexLayout),
              "the non-instrumented GoMutex2015 carries no stats storage");

}  // namespace syncscope

#endif  // SYNCSCOPE_GO_MUTEX_2015_H_
