// syncscope/sema_mutex.h — SemaMutex: a mutex that is a binary semaphore.
//
// This file offers:
//   class SemaMutex   Lockable and TimedLockable: lock(), unlock(),
//                     try_lock(), try_lock_for(d), try_lock_until(t); plus
//                     is_locked() and waiters().
//
// Source: the seed's "扩展同步原语 / Semaphore" slide (Dijkstra's P/V; "a
// binary semaphore (0,1) can implement a lock"), on syncscope's parking layer
// (Sema, the analogue of Go's runtime_Semacquire/runtime_Semrelease).
//
// Go names -> C++: Lock -> lock, Unlock -> unlock, TryLock -> try_lock;
// P (wait) -> Sema::acquire, V (signal) -> Sema::release.
//
// Algorithm: a Sema holding one unit. lock() is P (acquire the unit, parking
// in the Sema's FIFO queue while it is out), unlock() is V (return it; the
// head waiter is woken). Nothing else: no spinning, no state word. It is the
// simplest blocking mutex, and the baseline that shows what Go's Mutex adds
// on top of the same semaphore (a lock-free fast path on its own state word,
// spinning, starvation mode). The only extra state is `locked_`, which exists
// to detect unlock of an unlocked mutex (without it, V would silently make a
// second unit and the mutex would admit two holders).
//
// Fairness and starvation: the Sema's. Waiters are woken in FIFO order, but
// unlock() does not hand the unit over (release without handoff): a thread
// that arrives (or re-locks) before the woken waiter runs takes the unit,
// and the woken waiter queues again. Throughput over fairness, like Go's
// normal mode, but with no starvation mode: a waiter can be overtaken
// indefinitely.
//
// Memory ordering: the Sema's: a successful acquire synchronizes with the
// release that provided its unit, so a critical section happens-before the
// next. `locked_` is relaxed (it is written only between acquire and release
// of the unit, which order it).
//
// Misuse: unlock() of an unlocked SemaMutex terminates the process with
// "fatal error: sync: unlock of unlocked mutex" (Go's fatal error for
// sync.Mutex; go_fatal from go_mutex_common.h). Any thread may unlock a
// locked SemaMutex (as in Go).
//
// Legal operations:
//   state      lock              try_lock / try_lock_for   unlock
//   unlocked   acquires          true                      fatal error
//   locked     parks (FIFO)      false / parks until t     releases, wakes the
//                                                          head waiter

#ifndef SYNCSCOPE_SEMA_MUTEX_H_
#define SYNCSCOPE_SEMA_MUTEX_H_

#include <atomic>
#include <chrono>
#include <cstdint>

#include <syncscope/internal/sema.h>

namespace syncscope {

class SemaMutex {
 public:
  SemaMutex() noexcept = default;
  SemaMutex(const SemaMutex&) = delete;
  SemaMutex& operator=(const SemaMutex&) = delete;

  // lock(): P. Parks in the Sema's queue while the mutex is held.
  void lock() {
    sema_.acquire();
    locked_.store(true, std::memory_order_relaxed);
  }

  // try_lock(): takes the unit if it is available right now. Never waits.
  bool try_lock() noexcept {
    if (!sema_.try_acquire()) return false;
    locked_.store(true, std::memory_order_relaxed);
    return true;
  }

  // try_lock_for(d) / try_lock_until(t): P with a deadline; false on
  // timeout (the waiter leaves the queue, no unit is lost).
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d) {
    if (!sema_.acquire_for(d)) return false;
    locked_.store(true, std::memory_order_relaxed);
    return true;
  }
  template <class Clock, class Duration>
  bool try_lock_until(std::chrono::time_point<Clock, Duration> t) {
    return try_lock_for(t - Clock::now());
  }

  // unlock(): V. Fatal error "sync: unlock of unlocked mutex" if the mutex
  // is not locked. The flag is cleared before the unit is returned, so the
  // next holder's store cannot be overwritten.
  void unlock() {
    if (!locked_.exchange(false, std::memory_order_relaxed)) fatal_unlock_of_unlocked();
    sema_.release();
  }

  // is_locked(): relaxed snapshot.
  bool is_locked() const noexcept { return locked_.load(std::memory_order_relaxed); }
  // waiters(): threads parked on the semaphore (Sema::waiters()).
  uint32_t waiters() const noexcept { return sema_.waiters(); }

 private:
  // Outlined (sema_mutex.cc): never returns; keeps the message out of
  // every inlined unlock().
  [[noreturn]] static void fatal_unlock_of_unlocked() noexcept;

  // One unit: the mutex is free when the unit is in the semaphore.
  Sema sema_{1};
  // true while held. Set (relaxed) by the thread that took the unit, right
  // after taking it; cleared (relaxed exchange) by unlock() right before the
  // unit is returned. The exchange also detects a second unlock.
  std::atomic<bool> locked_{false};
};

}  // namespace syncscope

#endif  // SYNCSCOPE_SEMA_MUTEX_H_
