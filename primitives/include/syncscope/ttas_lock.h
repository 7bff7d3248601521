// syncscope/ttas_lock.h — TtasLock: test-and-test-and-set spinlock with
// bounded exponential backoff.
//
// This file offers:
//   class TtasLock    Lockable: lock(), unlock(), try_lock(); plus
//                     is_locked(). Named limits kMinBackoff, kMaxBackoff.
//
// Source: T. E. Anderson, "The Performance of Spin Lock Alternatives for
// Shared-Memory Multiprocessors", IEEE TPDS 1(1), 1990 (test-and-test-and-set
// and exponential backoff); M. Herlihy & N. Shavit, "The Art of
// Multiprocessor Programming", ch. 7 (TTASLock, BackoffLock).
//
// Algorithm. SpinLock's waiters keep executing CAS, a write-intent access:
// every attempt pulls the flag's cache line exclusive to the attempting core,
// so waiters slow down the holder's release and each other. TTAS waits by
// *reading* the flag instead: all waiters spin on a shared copy of the line
// in their own caches and generate no traffic until the holder's release
// invalidates it. Only then do they try the exchange. The release still
// causes a burst: every waiter sees the flag clear at about the same time and
// all of them exchange, one wins and the others have written the line for
// nothing. Backoff (Anderson) spreads that burst out: a thread whose exchange
// failed — proof of contention — waits a random number of cpu_relax() hints
// drawn from [1, limit] before reading again, and doubles `limit`, from
// kMinBackoff up to kMaxBackoff. The randomness keeps the losers from
// retrying in lock step; the cap keeps a thread from sleeping through long
// stretches of a free lock.
//
// Spinning on an oversubscribed machine: the read-spin waits through SpinWait
// (spin_lock.h), which yields the CPU once one holder has kept the lock for
// SpinWait::kSpinsBeforeYield spin hints, so a descheduled holder gets to run
// and release. The backoff delays are plain spinning (at most kMaxBackoff
// hints each, only after the lock changed hands).
//
// Fairness and starvation: none. The lock goes to whichever thread's
// exchange lands first after a release; backoff makes this *less* fair, since
// a thread that just lost (and backs off longer) is less likely to win the
// next round than a newcomer or the releasing thread. A waiter can starve.
//
// Memory ordering: the acquiring exchange is acquire and unlock()'s store is
// release: a critical section happens-before the next one. The read-spin and
// is_locked() are relaxed loads; they only decide when to try the exchange,
// which alone grants the lock.
//
// Legal operations:
//   state      lock                         try_lock   unlock
//   unlocked   acquires                     true       no effect (not detected)
//   locked     read-spins with backoff,     false      releases (any thread
//              yields past the spin budget             may unlock)

#ifndef SYNCSCOPE_TTAS_LOCK_H_
#define SYNCSCOPE_TTAS_LOCK_H_

#include <atomic>
#include <cstdint>

namespace syncscope {

class TtasLock {
 public:
  // Backoff limits, in cpu_relax() hints. After the first failed exchange a
  // thread backs off for up to kMinBackoff hints; each further failure
  // doubles the limit up to kMaxBackoff (a few microseconds of `pause` on
  // current x86 cores: longer would leave the lock idle after a release).
  static constexpr uint32_t kMinBackoff = 4;
  static constexpr uint32_t kMaxBackoff = 1024;
  static_assert(kMinBackoff > 0 && kMinBackoff <= kMaxBackoff, "backoff limits out of order");
  static_assert((kMaxBackoff & (kMaxBackoff - 1)) == 0 && (kMinBackoff & (kMinBackoff - 1)) == 0,
                "doubling from kMinBackoff must reach kMaxBackoff exactly");

  TtasLock() noexcept = default;
  TtasLock(const TtasLock&) = delete;
  TtasLock& operator=(const TtasLock&) = delete;

  // lock(): fast path inline: test, then test-and-set, when the lock looks
  // free. Otherwise lock_slow() (read-spin and backoff).
  void lock() noexcept {
    if (try_lock()) return;
    lock_slow();
  }

  // try_lock(): one test and, if the lock looks free, one exchange. Never
  // waits. Fails when the lock is held or another thread's exchange won.
  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }

  // unlock(): clears the flag (release). Any thread may unlock.
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

  // is_locked(): relaxed snapshot.
  bool is_locked() const noexcept { return locked_.load(std::memory_order_relaxed); }

 private:
  // Outlined (ttas_lock.cc): the spin/backoff loop and its per-thread random
  // state are only needed under contention; keeping them out of line keeps
  // lock() a load, an exchange and a branch at every call site.
  void lock_slow() noexcept;

  // true while held. Set by the exchange of the acquiring thread (acquire),
  // cleared by unlock() (release). Read relaxed by spinning waiters, by
  // try_lock()'s test and by is_locked().
  std::atomic<bool> locked_{false};
};

}  // namespace syncscope

#endif  // SYNCSCOPE_TTAS_LOCK_H_
