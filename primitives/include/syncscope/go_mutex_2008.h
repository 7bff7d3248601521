// syncscope/go_mutex_2008.h — GoMutex2008: Go's first sync.Mutex.
//
// This file offers:
//   class GoMutex2008   Lockable (lock, unlock, try_lock); works with
//                       std::lock_guard, std::unique_lock, std::scoped_lock.
//
// Source: Go's src/pkg/sync/mutex.go as first written by Russ Cox (2008):
// `key` counts the holder plus the waiters, `sema` parks the waiters. Go
// names: Lock -> lock, Unlock -> unlock; try_lock has no 2008 counterpart
// (added here so the design is Lockable).
//
// Algorithm:
//   lock():    if fetch_add(key, 1) makes key 1, the mutex was free: done.
//              Otherwise we are a waiter: sleep on the semaphore until an
//              unlock passes a unit (= ownership) to us.
//   unlock():  if fetch_sub(key, 1) makes key 0, nobody waits: done.
//              Otherwise release one semaphore unit: one waiter owns the
//              mutex now. The lock is never observably free in between.
//   try_lock(): CAS key 0 -> 1.
//
// Fairness and starvation: ownership passes from the unlocker to a waiter
// through the semaphore, so a newly arriving thread can never take the lock
// while anyone waits (key > 0 sends it to the semaphore). Waiters are served
// in the semaphore's order (FIFO), except that a thread that has just
// entered Sema::acquire may take a released unit before the woken head does
// (see syncscope/internal/sema.h). Every contended hand-over costs a sleep and a
// wake-up: fair, but slow under contention (lock convoys), which is what
// the 2012 redesign addressed.
//
// Memory ordering: lock's fetch_add is acquire and unlock's fetch_sub is
// release; every change to key is an RMW, so an uncontended lock()
// synchronizes with the previous unlock() through the release sequence. A
// contended hand-over synchronizes through the semaphore (Sema::release ->
// Sema::acquire).
//
// Misuse: unlock() of an unlocked mutex terminates the process with
// "fatal error: sync: unlock of unlocked mutex" (Go 2008 did not check; the
// check is the one every later Go version makes).
//
// Legal operations per state:
//   state                 lock        try_lock      unlock
//   unlocked (key == 0)   acquires    true          fatal error
//   locked                waits       false         releases / hands over

#ifndef SYNCSCOPE_GO_MUTEX_2008_H_
#define SYNCSCOPE_GO_MUTEX_2008_H_

#include <syncscope/go_mutex_common.h>
#include <syncscope/internal/sema.h>

#include <atomic>
#include <cstdint>

namespace syncscope {

class GoMutex2008 {
 public:
  GoMutex2008() noexcept = default;
  GoMutex2008(const GoMutex2008&) = delete;
  GoMutex2008& operator=(const GoMutex2008&) = delete;

  // lock(): acquires the mutex, sleeping on the semaphore while it is held.
  void lock() {
    if (key_.fetch_add(1, std::memory_order_acquire) == 0) return;
    sema_.acquire();  // the unit we get is the ownership
  }

  // try_lock(): acquires the mutex if nobody holds or waits for it; never
  // blocks.
  bool try_lock() noexcept {
    int32_t expected = 0;
    return key_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                        std::memory_order_relaxed);
  }

  // unlock(): releases the mutex, handing it to one waiter if there is one.
  // Any thread may unlock (the mutex is not tied to a thread, as in Go).
  void unlock() {
    const int32_t now = key_.fetch_sub(1, std::memory_order_release) - 1;
    if (now == 0) return;
    if (now < 0) go_fatal(kUnlockOfUnlockedMutex);
    sema_.release();
  }

 private:
  // Holder + waiters: 0 unlocked; n > 0 locked with n - 1 threads waiting or
  // about to wait on sema_. Changed only by RMWs: +1 by lock(), -1 by
  // unlock(), 0 -> 1 by try_lock().
  std::atomic<int32_t> key_{0};
  // One unit per hand-over in flight from unlock() to a waiter.
  Sema sema_;
};

}  // namespace syncscope

#endif  // SYNCSCOPE_GO_MUTEX_2008_H_
