// syncscope/semaphore.h — Semaphore: golang.org/x/sync/semaphore's
// Weighted, a counting semaphore whose acquirers ask for any number of
// units and can give up when their Context is done.
//
// This file offers:
//   class Semaphore
//     Semaphore(size)                       NewWeighted(n)
//     acquire(ctx, n) -> std::error_code    Acquire(ctx, n): {} on success, ctx.err()
//                                           if ctx was done first
//     acquire(n) -> std::error_code         acquire(Context::background(), n)
//     try_acquire(n) -> bool                TryAcquire(n)
//     release(n)                            Release(n)
//     size(), held(), waiters()             snapshots (instrumentation)
//   kSemaphoreReleasedMoreThanHeld          Go's panic message
//
// Go names -> C++: NewWeighted -> the constructor; Acquire/TryAcquire/
// Release -> acquire/try_acquire/release; a Go `error` -> std::error_code
// (empty = nil; otherwise the context's error, ContextErrc::kCanceled or
// kDeadlineExceeded, see context.h).
//
// What it is (the seed's Semaphore slides): Dijkstra's counting semaphore —
// P (acquire) takes units and blocks when too few are left, V (release)
// gives them back; a binary semaphore is a lock, a counting one bounds
// concurrency (the seed's worker-pool example: NewWeighted(GOMAXPROCS),
// Acquire(ctx, 1) before starting each worker, Release(1) when it ends).
//
// Algorithm (golang.org/x/sync/semaphore, Bryan C. Mills, 2017–2022):
//   * cur_ units are held out of size_. A mutex guards cur_ and a FIFO list
//     of waiters, each asking for n units.
//   * acquire: if the context is already done, fail (even if units are
//     free — "ctx becoming done has happened before acquiring"). If n units
//     are free AND nobody waits, take them. If n > size_, it can never
//     succeed: Go does not queue it (it would block everyone behind it) and
//     waits for the context instead. Otherwise queue at the tail and park.
//   * release (and a waiter that gives up from the head): serve waiters
//     from the head while the head's request fits, marking each ready and
//     waking it; stop at the first that does not fit.
//   * A waiter woken because its context is done takes the lock: if it was
//     made ready meanwhile it gives its units back (and serves the others),
//     otherwise it leaves the queue — and if it was at the head and units
//     are free, it serves the waiters behind it (they may fit now).
//   * A waiter made ready checks its context once more and, if done, gives
//     the units back and fails (Go does the same).
//
// Parking: each blocked acquire parks on its own Sema (the parking layer,
// sema.h) inside a reference-counted waiter node. It is released once by
// whoever makes the waiter ready (release, after dropping the lock — no
// wake-then-block on the lock) and/or by an after_func callback registered
// on the context (context.h), which runs on the cancelling thread when the
// context becomes done. The waiter then looks at `ready` under the lock to
// learn which happened. (Go selects on ctx.Done() and a per-waiter ready
// channel; the callback gives the same two-way wake-up without a select
// and without a channel per waiter.) The node is reference-counted because
// both wakers may act after the acquirer has returned: the releaser wakes
// it after dropping the lock, and the callback may run on the cancelling
// thread at any time until it is unregistered. A waiter with a never-done
// context (background()) registers no callback.
//
// Fairness and starvation: strict FIFO. A request that does not fit blocks
// every request behind it, even small ones that would fit ("under load
// that could cause starvation for large requests" — Go's comment: with N
// units used as a read/write lock, readers acquiring 1 would otherwise
// starve a writer acquiring N). Newcomers never overtake queued waiters:
// acquire and try_acquire take units directly only when the queue is
// empty. So no waiter starves as long as units keep being released; a
// single large request at the head can delay everyone.
//
// Memory ordering: every state change happens under mu_ (a GoMutex:
// acquire on lock, release on unlock), so a release() happens-before the
// acquire() that obtains the released units: directly through mu_, or for
// a parked waiter through mu_ plus its Sema (release -> acquire).
//
// Misuse (Go's panic, as SyncPanic with Go's message): release(n) that
// makes the held count negative throws SyncPanic("semaphore: released more
// than held"), leaving the count negative as Go leaves it. A negative n
// (Go has no check; it would corrupt the count) throws
// std::invalid_argument.
//
// Legal operations: all methods may be called concurrently from any thread;
// units are not owned by threads (any thread may release). The destructor
// requires that no thread is blocked in acquire.

#ifndef SYNCSCOPE_SEMAPHORE_H_
#define SYNCSCOPE_SEMAPHORE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <system_error>

#include <syncscope/context.h>
#include <syncscope/go_mutex.h>
#include <syncscope/panic.h>
#include <syncscope/internal/sema.h>

namespace syncscope {

inline constexpr const char* kSemaphoreReleasedMoreThanHeld = "semaphore: released more than held";

class Semaphore {
 public:
  // Semaphore(size): Go's NewWeighted(size): size units, all free.
  explicit Semaphore(int64_t size) : size_(size) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // acquire(ctx, n): takes n units, blocking until they are available or
  // ctx is done. Returns {} on success; ctx.err() on failure, in which case
  // nothing is held. Fast path inline: the lock, two checks, an add.
  std::error_code acquire(const Context& ctx, int64_t n) {
    check_weight(n);
    std::unique_lock<GoMutex> lk(mu_);
    if (std::error_code e = ctx.err()) return e;
    if (size_ - cur_ >= n && waiters_.empty()) {
      cur_ += n;
      return {};
    }
    return acquire_slow(ctx, n, lk);
  }
  // acquire(n): acquire(Context::background(), n): waits as long as it
  // takes (and forever if n > size(), as Go would). Its fast path makes no
  // Context at all: background() is a shared node, and copying it in and
  // out would add two atomic reference-count updates to every uncontended
  // acquire (Go passes its context as an interface value, for free); the
  // background context is never done, so there is nothing to check.
  std::error_code acquire(int64_t n) {
    check_weight(n);
    std::unique_lock<GoMutex> lk(mu_);
    if (size_ - cur_ >= n && waiters_.empty()) {
      cur_ += n;
      return {};
    }
    return acquire_slow(Context::background(), n, lk);
  }

  // try_acquire(n): takes n units if they are free and nobody waits; never
  // blocks.
  bool try_acquire(int64_t n) {
    check_weight(n);
    std::lock_guard<GoMutex> lk(mu_);
    const bool ok = size_ - cur_ >= n && waiters_.empty();
    if (ok) cur_ += n;
    return ok;
  }

  // release(n): gives n units back and wakes the waiters at the head of the
  // queue that now fit. Throws SyncPanic(kSemaphoreReleasedMoreThanHeld) if
  // more units are released than are held.
  void release(int64_t n);

  // size(): the capacity. held(): units held now. waiters(): blocked
  // acquires now. Snapshots.
  int64_t size() const noexcept { return size_; }
  int64_t held() const {
    std::lock_guard<GoMutex> lk(mu_);
    return cur_;
  }
  std::size_t waiters() const {
    std::lock_guard<GoMutex> lk(mu_);
    return waiters_.size();
  }

 private:
  // One blocked acquire (Go's waiter{n, ready}).
  struct Waiter {
    explicit Waiter(int64_t units) : n(units) {}
    const int64_t n;
    // Set under mu_ when the units have been granted; read by the waiter
    // under mu_ after it wakes.
    bool ready = false;
    // Released by the granter (after unlocking mu_) and/or by the context's
    // after_func callback; acquired once by the waiter.
    Sema wake;
    // Where the waiter sits in waiters_ (valid while queued; guarded by mu_).
    std::list<std::shared_ptr<Waiter>>::iterator pos;
    // Next waiter to wake in a release's wake list (set under mu_, used
    // after it; keeps that waiter alive until it has been released).
    std::shared_ptr<Waiter> next_to_wake;
  };

  static void check_weight(int64_t n);

  // Outlined (semaphore.cc): queueing, parking and cancellation handling;
  // they allocate and make system calls, so inlining them would only bloat
  // the callers' fast paths. Called with lk holding mu_.
  std::error_code acquire_slow(const Context& ctx, int64_t n, std::unique_lock<GoMutex>& lk);
  // Go's notifyWaiters: grants units to head waiters that fit; returns them
  // chained through next_to_wake, to be woken after mu_ is dropped.
  std::shared_ptr<Waiter> notify_waiters_locked();
  static void wake_all(std::shared_ptr<Waiter> chain);

  const int64_t size_;  // immutable
  // Guards cur_, waiters_ and every Waiter's ready/pos/next_to_wake.
  mutable GoMutex mu_;
  int64_t cur_ = 0;  // units held; negative only after a misused release
  // FIFO of blocked acquires (oldest first).
  std::list<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace syncscope

#endif  // SYNCSCOPE_SEMAPHORE_H_
