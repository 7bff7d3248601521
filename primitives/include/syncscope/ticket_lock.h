// syncscope/ticket_lock.h — TicketLock: FIFO ticket spinlock with
// proportional backoff.
//
// This file offers:
//   class TicketLock  Lockable: lock(), unlock(), try_lock(); plus
//                     is_locked() and queue_length() (holder + waiters).
//
// Source: J. M. Mellor-Crummey & M. L. Scott, "Algorithms for Scalable
// Synchronization on Shared-Memory Multiprocessors", ACM TOCS 9(1), 1991,
// §2.2 (the ticket lock with proportional backoff).
//
// Algorithm: a bakery with two counters. lock() draws a ticket with one
// fetch_add on next_ and waits until now_serving_ shows that number; unlock()
// advances now_serving_ by one, which admits exactly the next ticket. There
// is no retry race as in TAS/TTAS: each thread does one RMW per acquisition
// whatever the contention, and the release is a plain store. A waiter knows
// how many threads are ahead of it (ticket - now_serving_), so instead of
// re-reading the shared counter constantly it pauses kBackoffPerWaiter hints
// per thread ahead between reads (proportional backoff), which cuts the read
// traffic on the counter's line at every release.
//
// Counters are 32-bit and wrap: only differences and equality are used, so
// wrap-around is harmless as long as fewer than 2^32 threads wait at once.
//
// Fairness and starvation: strict FIFO in ticket order; starvation-free as
// long as every holder releases. The flip side: the lock is handed to one
// specific thread. If that thread is not running (preempted, or more threads
// than cores), the lock stays idle until it is scheduled, even though other
// waiters could run — the classic convoy. Waiters therefore yield the CPU
// once they have spent SpinWait's budget (kSpinsBeforeYield spin hints,
// spin_lock.h; the proportional backoff is paid from it) without seeing the
// queue move, which lets the next ticket holder run on an oversubscribed
// machine; benchmarks should still keep one thread per core to measure the
// lock rather than the scheduler.
//
// try_lock() succeeds only when nobody holds or waits (next_ ==
// now_serving_): it takes the next ticket only if that ticket is served
// right away, so it never queues and never waits.
//
// Memory ordering: unlock() publishes the critical section with a release
// store of now_serving_; the waiter whose ticket it shows reads it with
// acquire. next_ is only a ticket dispenser: its fetch_add is relaxed (it
// orders nothing; the hand-over is entirely in now_serving_). try_lock()
// reads now_serving_ with acquire before its CAS on next_.
//
// Legal operations:
//   state                  lock                  try_lock  unlock
//   free (no waiters)      acquires              true      undefined: it
//                                                          admits a ticket that
//                                                          was never drawn
//   held / waiters queued  draws a ticket, waits false     admits the next
//                          its turn (FIFO)                 ticket (any thread
//                                                          may unlock)

#ifndef SYNCSCOPE_TICKET_LOCK_H_
#define SYNCSCOPE_TICKET_LOCK_H_

#include <atomic>
#include <cstdint>

namespace syncscope {

class TicketLock {
 public:
  // Proportional backoff: cpu_relax() hints per thread ahead in the queue
  // between two reads of now_serving_ (a rough lower bound of one
  // hand-over: a cache-line transfer plus a short critical section).
  static constexpr uint32_t kBackoffPerWaiter = 32;
  // Cap of one backoff pause, in hints, however long the queue.
  static constexpr uint32_t kMaxBackoff = 1024;

  TicketLock() noexcept = default;
  TicketLock(const TicketLock&) = delete;
  TicketLock& operator=(const TicketLock&) = delete;

  // lock(): draws a ticket; returns at once if it is being served (fast
  // path, inline), else waits in lock_slow().
  void lock() noexcept {
    const uint32_t ticket = next_.fetch_add(1, std::memory_order_relaxed);
    if (now_serving_.load(std::memory_order_acquire) == ticket) return;
    lock_slow(ticket);
  }

  // try_lock(): acquires only if the lock is free and nobody waits: draws
  // ticket s only if now_serving_ == s == next_. Never waits.
  bool try_lock() noexcept {
    const uint32_t serving = now_serving_.load(std::memory_order_acquire);
    uint32_t expected = serving;
    // Success means next_ was `serving`: no ticket is out, so nobody holds
    // or waits, and now_serving_ cannot have moved since we read it (only a
    // holder advances it). A stale `serving` makes the CAS fail.
    return next_.compare_exchange_strong(expected, serving + 1, std::memory_order_acquire,
                                         std::memory_order_relaxed);
  }

  // unlock(): admits the next ticket. Only the holder writes now_serving_,
  // so a load and a store suffice (no RMW).
  void unlock() noexcept {
    now_serving_.store(now_serving_.load(std::memory_order_relaxed) + 1,
                       std::memory_order_release);
  }

  // is_locked(): relaxed snapshot: a ticket is out.
  bool is_locked() const noexcept { return queue_length() != 0; }

  // queue_length(): holder plus waiters (tickets drawn and not yet released),
  // a relaxed snapshot for instrumentation and tests.
  uint32_t queue_length() const noexcept {
    const uint32_t serving = now_serving_.load(std::memory_order_relaxed);
    return next_.load(std::memory_order_relaxed) - serving;
  }

 private:
  // Outlined (ticket_lock.cc): the proportional-backoff wait loop is only
  // run under contention and would bloat every inlined lock().
  void lock_slow(uint32_t ticket) noexcept;

  // The next ticket to hand out. Incremented by lock() (relaxed fetch_add)
  // and by a successful try_lock() (CAS); read by try_lock() and
  // queue_length(). Only grows (mod 2^32).
  std::atomic<uint32_t> next_{0};
  // The ticket now allowed to hold the lock. Written only by the holder, in
  // unlock() (release store of its own value + 1); read with acquire by
  // waiters and try_lock(). Only grows (mod 2^32); never passes next_.
  std::atomic<uint32_t> now_serving_{0};
};

}  // namespace syncscope

#endif  // SYNCSCOPE_TICKET_LOCK_H_
