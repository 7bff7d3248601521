// syncscope/go_mutex_2012.h — GoMutex2012: sync.Mutex after Dmitry Vyukov's
// 2012 redesign (Go commit dd2074c8, Go 1.0).
//
// This file offers:
//   class GoMutex2012   Lockable (lock, unlock, try_lock); works with
//                       std::lock_guard, std::unique_lock, std::scoped_lock.
//
// Go names: Lock -> lock, Unlock -> unlock; try_lock has no 2012 counterpart
// (added here so the design is Lockable; it fails only if the lock is held).
//
// State word (one int32, like Go's `state`):
//   bit 0        kLocked       the mutex is held
//   bit 1        kWoken        a waiter has been woken (or is being woken) and
//                              is on its way to compete; unlock must not wake
//                              another one
//   bits 2..31   waiter count  threads parked, or about to park, on sema_
//
// Design (why it works, what it trades): the 2008 mutex handed ownership
// through the semaphore, so every contended hand-over paid a sleep and a
// wake-up while the lock sat reserved for a thread that was not running yet.
// The 2012 design separates "locked" from "waiters": unlock just clears the
// locked bit and, if there are waiters and nobody has been woken already,
// wakes one (setting kWoken so concurrent unlocks do not wake a crowd). The
// woken thread does not own the mutex: it loops and competes with threads
// that arrive at that moment. A running newcomer usually wins (it is
// already on a CPU, its cache is warm), which keeps the lock busy and
// throughput high, at the price of fairness: a woken waiter can lose again
// and again. When it loses, it re-registers as a waiter and parks again, at
// the tail of the semaphore queue.
//
// Fairness and starvation: unfair by design (newcomers are favoured); a
// waiter can starve under sustained contention. Go fixed this in 1.9 (see
// GoMutex in go_mutex.h).
//
// Memory ordering: every change to the state word is an RMW. Acquiring CASes
// are acquire, unlock's fetch_sub is release; since no plain store ever
// writes the word, each acquire that sees the unlocked state synchronizes
// with the unlock that produced it (release sequence). The CAS that sets
// kWoken and the semaphore operations need no ordering of their own for the
// data the mutex protects.
//
// Misuse: unlock() of an unlocked mutex terminates the process with
// "fatal error: sync: unlock of unlocked mutex".
//
// Legal operations per state:
//   state        lock        try_lock   unlock
//   unlocked     acquires    true       fatal error
//   locked       waits       false      releases (wakes one waiter if none
//                                       is woken already)

#ifndef SYNCSCOPE_GO_MUTEX_2012_H_
#define SYNCSCOPE_GO_MUTEX_2012_H_

#include <syncscope/go_mutex_common.h>
#include <syncscope/internal/sema.h>

#include <atomic>
#include <cstdint>

namespace syncscope {

// lock(), unlock() (one CAS / one fetch_sub on the fast path) and the
// members come from detail::GoMutexFastPath (go_mutex_common.h), shared with
// GoMutex2015 and GoMutex: what is below is what this design adds.
class GoMutex2012 : public detail::GoMutexFastPath<GoMutex2012, /*kWaiterShift=*/2, false> {
 public:
  // try_lock(): acquires the mutex if it is not held; never blocks, never
  // registers as a waiter. Like every newcomer of this design it may take
  // the lock while waiters are parked.
  bool try_lock() noexcept {
    int32_t from = 0;
    return try_lock_if_unlocked(&from);
  }

 private:
  friend GoMutexFastPath;

  // Slow paths, outlined in go_mutex_2012.cc so that the fast paths (one
  // CAS / one RMW) stay small enough to inline into every caller; the slow
  // paths loop, park and wake, where a call costs nothing in comparison.
  //
  // Who writes state_ (an RMW each): lock()/try_lock() set kLocked;
  // lock_slow() adds/removes waiters and clears kWoken; unlock() clears
  // kLocked; unlock_slow() sets kWoken and removes a waiter. sema_ gets one
  // unit per waiter unlock_slow() wakes.
  void lock_slow();
  void unlock_slow(int32_t now);
};

}  // namespace syncscope

#endif  // SYNCSCOPE_GO_MUTEX_2012_H_
