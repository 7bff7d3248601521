// syncscope/chan_mutex.h — the seed's two mutexes made of a channel
// (03 Channel / Locker).
//
// This file offers:
//   class TokenChanMutex   a buffered-1 channel that HOLDS a token while the
//                          mutex is free: lock() receives the token,
//                          unlock() puts it back. (The seed's first Locker.)
//   class SlotChanMutex    a buffered-1 channel that is EMPTY while the mutex
//                          is free: lock() sends a token into the slot,
//                          unlock() takes it out. (The seed's second Locker.)
// Both are Lockable and TimedLockable (std::lock_guard, std::unique_lock,
// std::scoped_lock work): lock(), unlock(), try_lock(), try_lock_for(d),
// try_lock_until(t), plus is_locked() and waiters().
//
// Go names -> C++: Lock -> lock, Unlock -> unlock, TryLock() -> try_lock(),
// TryLock(timeout) -> try_lock_for(timeout), IsLocked -> is_locked.
//
// The seed's code, method by method (ch is a Chan<Signal> of capacity 1):
//   TokenChanMutex                          SlotChanMutex
//   New:     ch <- struct{}{}               (channel starts empty)
//   Lock:    <-ch                           ch <- struct{}{}
//   Unlock:  select { case ch <- ...:       select { case <-ch:
//            default: panic(...) }          default: panic(...) }
//   TryLock: select { case <-ch: true       select { case ch <- ...: true
//            default: false }               default: false }
//   TryLock(timeout): select with a timer   (not in the seed; same idea)
//   IsLocked: len(ch) == 0                  (not in the seed) len(ch) == 1
//
// Why it works: the channel's one buffer slot is the lock state, and the
// channel's own blocking is the waiting. Blocked lockers queue in the
// channel's recvq (Token) or sendq (Slot), so the mutex inherits the
// channel's fairness: waiters are served FIFO, and an unlock hands the
// token straight to the oldest waiter — a newcomer cannot barge in while
// anyone waits (unlike sync.Mutex's normal mode). Starvation-free, at the
// price of a handoff (a wake-up) on every contended unlock.
//
// Misuse: unlock() of an unlocked mutex throws
// ChanPanic("unlock of unlocked mutex") — the seed's panic() (a recoverable
// Go panic there, hence an exception here, not the fatal error of
// sync.Mutex). Any thread may unlock (as in Go).
//
// Memory ordering: the channel's. TokenChanMutex: unlock's send of the
// token happens-before the receive that takes it in the next lock(), so a
// critical section happens-before the next. SlotChanMutex: with capacity 1,
// the receive in the n-th unlock happens-before the (n+1)-th send — the
// next lock() — completes (the seed's "n-th receive happens-before the
// (n+m)-th send completes", m = 1). is_locked() is a relaxed snapshot.
//
// Legal operations per state:
//   state      lock                try_lock / try_lock_for      unlock
//   unlocked   takes the mutex     true                         throws ChanPanic
//   locked     queues (FIFO)       false / queues until t       frees it, or hands it
//                                                               to the oldest waiter

#ifndef SYNCSCOPE_CHAN_MUTEX_H_
#define SYNCSCOPE_CHAN_MUTEX_H_

#include <chrono>
#include <cstddef>

#include <syncscope/chan.h>
#include <syncscope/chan_core.h>

namespace syncscope {

inline constexpr const char* kUnlockOfUnlockedChanMutex = "unlock of unlocked mutex";

class TokenChanMutex {
 public:
  TokenChanMutex() : ch_(1) { ch_.send(Signal{}); }
  TokenChanMutex(const TokenChanMutex&) = delete;
  TokenChanMutex& operator=(const TokenChanMutex&) = delete;

  // lock(): <-ch. Waits (FIFO) while another thread holds the token.
  void lock() { ch_.receive(); }
  // unlock(): select { case ch <- token: default: panic }.
  void unlock() {
    if (!ch_.try_send(Signal{})) detail::throw_chan_panic(kUnlockOfUnlockedChanMutex);
  }
  // try_lock(): select { case <-ch: true; default: false }.
  bool try_lock() { return ch_.try_receive().ok(); }
  // try_lock_for(d) / try_lock_until(t): the seed's TryLock(timeout).
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d) {
    return ch_.receive_for(d).ok();
  }
  template <class C, class Dur>
  bool try_lock_until(const std::chrono::time_point<C, Dur>& t) {
    return ch_.receive_until(t).ok();
  }
  // is_locked(): len(ch) == 0 (snapshot).
  bool is_locked() const noexcept { return ch_.len() == 0; }
  // waiters(): threads blocked in lock() now (instrumentation; the
  // channel's waiting_receivers()).
  std::size_t waiters() const noexcept { return ch_.waiting_receivers(); }

 private:
  // Capacity 1; holds the token exactly while the mutex is free.
  Chan<Signal> ch_;
};

class SlotChanMutex {
 public:
  SlotChanMutex() : ch_(1) {}
  SlotChanMutex(const SlotChanMutex&) = delete;
  SlotChanMutex& operator=(const SlotChanMutex&) = delete;

  // lock(): ch <- token. Waits (FIFO) while the slot is taken.
  void lock() { ch_.send(Signal{}); }
  // unlock(): select { case <-ch: default: panic }.
  void unlock() {
    if (!ch_.try_receive().ok()) detail::throw_chan_panic(kUnlockOfUnlockedChanMutex);
  }
  // try_lock(): select { case ch <- token: true; default: false }.
  bool try_lock() { return ch_.try_send(Signal{}); }
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d) {
    return ch_.send_for(Signal{}, d);
  }
  template <class C, class Dur>
  bool try_lock_until(const std::chrono::time_point<C, Dur>& t) {
    return ch_.send_until(Signal{}, t);
  }
  // is_locked(): len(ch) == 1 (snapshot).
  bool is_locked() const noexcept { return ch_.len() == 1; }
  // waiters(): threads blocked in lock() now (instrumentation; the
  // channel's waiting_senders()).
  std::size_t waiters() const noexcept { return ch_.waiting_senders(); }

 private:
  // Capacity 1; holds a token exactly while the mutex is held.
  Chan<Signal> ch_;
};

}  // namespace syncscope

#endif  // SYNCSCOPE_CHAN_MUTEX_H_
