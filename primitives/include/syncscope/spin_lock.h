// syncscope/spin_lock.h — SpinLock: the seed's test-and-set spinlock.
//
// This file offers:
//   class SpinLock    Lockable: lock(), unlock(), try_lock(); plus
//                     is_locked() and to_string() ("Locked" / "Unlocked").
//   class SpinWait    the spin-then-yield waiting shared by the spinning
//                     locks of this family (TtasLock, TicketLock, McsLock,
//                     ClhLock): a budget of kSpinsBeforeYield cpu_relax()
//                     hints, then std::this_thread::yield() on every step.
//
// Source: the seed's "扩展同步原语 / SpinLock" slide (a uint32 flag, CAS 0->1
// to take it, store 0 to drop it, runtime.Gosched() after each failed CAS).
//
// Go names -> C++: Lock -> lock, Unlock -> unlock, TryLock -> try_lock,
// String -> to_string, runtime.Gosched -> std::this_thread::yield.
//
// Algorithm: test-and-set. lock() is `while (!try_lock()) yield();` exactly
// as in the seed: every attempt is a CAS, and a thread that fails gives its
// CPU away at once instead of spinning. That makes it cheap when the lock is
// free and polite when the machine is oversubscribed (the holder gets the
// CPU), but every failed attempt is a write-intent access to the flag's
// cache line, so under contention the line bounces between the waiters'
// cores (TtasLock exists to show the difference). It does not use SpinWait:
// the seed yields after the very first failure, and this class is the seed's.
//
// Fairness and starvation: none. Whoever CASes first after the release wins;
// the releasing thread itself often re-takes the lock. A waiter can starve
// for as long as others keep acquiring.
//
// Memory ordering: a successful try_lock()/lock() CAS is acquire and
// unlock()'s store is release, so a critical section happens-before the next
// one. (Go's atomics are sequentially consistent; acquire/release is all a
// lock needs.) is_locked()/to_string() are relaxed snapshots.
//
// Legal operations:
//   state      lock            try_lock   unlock
//   unlocked   acquires        true       no effect (not detected; the
//                                         seed's Unlock is a plain store)
//   locked     waits (yields)  false      releases (any thread may unlock)

#ifndef SYNCSCOPE_SPIN_LOCK_H_
#define SYNCSCOPE_SPIN_LOCK_H_

#include <atomic>
#include <cstdint>
#include <string_view>
#include <thread>

#include <syncscope/arch/atomic.h>
#include <syncscope/goroutine.h>

namespace syncscope {

// SpinWait: the waiting steps of a spin loop, with a budget of spin hints.
// pause(n) spends n cpu_relax() hints of the budget (fewer if less is left)
// and then passes a goroutine safe point (preempt_point()); once the budget of kSpinsBeforeYield hints is spent, every call yields the
// CPU instead. once() is pause(1); reset() restores the budget, and a lock
// calls it when it sees the lock change hands (its wait is progressing), so
// that a thread yields only when one holder keeps the lock past the budget.
// TicketLock pays its proportional backoff through pause(n), so a long queue
// does not stretch the time before yielding.
//
// Why the bound: a pure spin loop on an oversubscribed machine (more
// runnable threads than cores — e.g. the tests: 6+ threads on 2 cores) can
// burn its whole time slice while the thread it waits for (the holder, or
// for the FIFO locks the next thread in line) is not even running. Yielding
// after a bounded spin keeps the lock making progress there; the spins still
// absorb short waits without a system call. With at most one thread per core
// a yield finds nothing else to run and returns at once, so a long wait stays
// a spin — one sched_yield(2) per step once the budget is spent, which adds
// up to a system call's latency to the hand-over. Benchmarks report this
// policy with the lock; it is the same for every spinning lock here.
class SpinWait {
 public:
  // Spin hints before the first yield. 256 `pause` instructions are roughly
  // 1 to 15 microseconds on x86 cores (pause takes ~10 cycles before
  // Skylake, ~140 since; `yield` on ARM64 is much cheaper): longer than a
  // short critical section, far shorter than a scheduler time slice.
  static constexpr uint32_t kSpinsBeforeYield = 256;

  // pause(n): n spin hints while budget is left (capped at what is left),
  // else one std::this_thread::yield().
  void pause(uint32_t n) noexcept {
    if (spent_ >= kSpinsBeforeYield) {
      goroutine_detail::yield_cpu();  // the thread's yield, or gosched() on a goroutine
      return;
    }
    const uint32_t left = kSpinsBeforeYield - spent_;
    if (n > left) n = left;
    spent_ += n;
    for (uint32_t i = 0; i < n; ++i) arch::cpu_relax();
    preempt_point();  // a goroutine the runtime marked yields (goroutine.h, "Preemption")
  }

  // once(): one waiting step: pause(1).
  void once() noexcept { pause(1); }

  // reset(): restores the full budget (call when the lock changed hands).
  void reset() noexcept { spent_ = 0; }

  // yielding(): true once the budget is spent.
  bool yielding() const noexcept { return spent_ >= kSpinsBeforeYield; }

 private:
  uint32_t spent_ = 0;  // hints spent since construction or reset(); <= kSpinsBeforeYield
};

class SpinLock {
 public:
  SpinLock() noexcept = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  // lock(): the seed's Lock: try_lock() until it succeeds, yielding the CPU
  // after every failure (runtime.Gosched()).
  void lock() noexcept {
    while (!try_lock()) goroutine_detail::yield_cpu();
  }

  // try_lock(): the seed's TryLock: one CAS of the flag from 0 to 1. Never
  // waits.
  bool try_lock() noexcept {
    uint32_t expected = kUnlocked;
    return flag_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                         std::memory_order_relaxed);
  }

  // unlock(): the seed's Unlock: stores 0. Any thread may call it; on an
  // unlocked SpinLock it does nothing (not detected, as in the seed).
  void unlock() noexcept { flag_.store(kUnlocked, std::memory_order_release); }

  // is_locked(): relaxed snapshot of the flag.
  bool is_locked() const noexcept {
    return flag_.load(std::memory_order_relaxed) == kLocked;
  }

  // to_string(): the seed's String(): "Locked" or "Unlocked".
  std::string_view to_string() const noexcept { return is_locked() ? "Locked" : "Unlocked"; }

 private:
  static constexpr uint32_t kUnlocked = 0;
  static constexpr uint32_t kLocked = 1;

  // The seed's `f uint32`: kLocked while held. Set by the CAS of the thread
  // that acquires (acquire), cleared by unlock() (release); read by every
  // try_lock() CAS and, relaxed, by is_locked().
  std::atomic<uint32_t> flag_{kUnlocked};
};

}  // namespace syncscope

#endif  // SYNCSCOPE_SPIN_LOCK_H_
