// syncscope/wait_group.h — WaitGroup: Go's sync.WaitGroup.
//
// This file offers:
//   template <class Hooks> class BasicWaitGroup
//   using WaitGroup = BasicWaitGroup<detail::NoWaitGroupHooks>;
//     add(delta)   adds delta (may be negative) to the counter
//     done()       add(-1)
//     wait()       blocks until the counter is 0
//     counter(), waiters()    snapshots of the state word
//   Hooks is a test seam (two static no-op functions called at the two
//   points where Go detects misuse); production code uses WaitGroup.
//
// Go names -> C++: Add -> add, Done -> done, Wait -> wait.
//
// Algorithm (Go's sync/waitgroup.go, Go 1.20+ layout): one 64-bit state
// word, counter in the high 32 bits and the number of waiters in the low
// 32, plus a semaphore (Sema, the parking layer).
//   * add(delta): one fetch_add of delta<<32. If that leaves the counter > 0,
//     or nobody waits, it is done. If it brings the counter to 0 with w
//     waiters, this thread is the releaser: it resets the state to 0 and
//     releases the semaphore w times.
//   * wait(): if the counter is 0, return. Otherwise CAS the waiter count up
//     by one and park on the semaphore; the releaser's unit wakes it.
//   Because counter and waiters share one word, "the counter reached 0" and
//   "I registered as a waiter" cannot interleave badly: a waiter's CAS fails
//   if the counter changed, and a releaser sees every registered waiter.
//
// Misuse Go detects, and what happens here (SyncPanic with Go's message;
// the state is left as Go leaves it — these are bugs, not recoverable
// conditions):
//   * the counter goes negative (an extra done()): add() throws
//     kNegativeWaitGroupCounter; the counter stays negative.
//   * add(n > 0) that finds waiters registered while the counter was 0 —
//     only possible if it raced with the releaser of the previous round:
//     throws kWaitGroupMisuse ("Add called concurrently with Wait"). The
//     releaser also re-reads the state before resetting it and throws the
//     same if it changed under it.
//   * a waiter that wakes and finds the state non-zero — somebody called
//     add() for a new round before this wait() returned: wait() throws
//     kWaitGroupReused ("WaitGroup is reused before previous Wait has
//     returned").
// Misuse Go does not detect is not detected here either; wait_group_test.cc
// shows each of the seed's pitfalls (add inside the worker, several waits,
// an extra done, add concurrent with wait).
//
// Lifetime: the common C++ pattern `{ WaitGroup wg; ...; wg.wait(); }` (the
// WaitGroup dies as soon as wait() returns, while the releaser may still be
// inside Sema::release on it) is supported: the releaser announces itself in
// releasing_ before it resets the state and withdraws after its last
// release, and a woken waiter does not return until releasing_ is 0. So
// when wait() returns, no releaser touches the WaitGroup any more. (Go
// needs no such step: its garbage collector keeps the WaitGroup alive.)
//
// Memory ordering (the seed's memory-model rule: the Adds/Dones that bring
// the counter to 0 happen-before the Wait that observes it): add()'s
// fetch_add is acq_rel, so the zeroing add() acquires every earlier add/done
// through the RMW chain; a wait() that sees counter 0 reads it with an
// acquire load (from that RMW chain, or from the releaser's release store of
// 0); a parked waiter synchronizes with the releaser through the Sema.
//
// Fairness: all waiters of a round are released together (in the Sema's
// FIFO order). Starvation is not a concept here: wait() returns as soon as
// the counter is 0.
//
// Legal operations (Go's rules): add with a positive delta that starts a
// round must happen before wait(); a WaitGroup may be reused only after
// every wait() of the previous round has returned. Not copyable or movable
// (Go: "A WaitGroup must not be copied after first use"; go vet's noCopy).
// The destructor requires that no call is in progress (see Lifetime).

#ifndef SYNCSCOPE_WAIT_GROUP_H_
#define SYNCSCOPE_WAIT_GROUP_H_

#include <atomic>
#include <cstdint>

#include <syncscope/panic.h>
#include <syncscope/internal/sema.h>
#include <syncscope/internal/wait_registry.h>
#include <syncscope/spin_lock.h>

namespace syncscope {
namespace detail {

// The default (no-op) hooks. A test may pass its own type with the same two
// static functions to stop a thread at these points and force an
// interleaving.
struct NoWaitGroupHooks {
  // In add(): the fetch_add left counter 0 with waiters; called before the
  // "state changed under me" check.
  static void counter_zeroed() noexcept {}
  // In wait(): the waiter was woken; called before the reuse check.
  static void waiter_woken() noexcept {}
};

}  // namespace detail

template <class Hooks>
class BasicWaitGroup {
 public:
  // State word layout (Go's `state atomic.Uint64`):
  //   bits 32..63  counter   (int32: negative only after misuse)
  //   bits  0..31  waiters   (uint32: threads registered in wait())
  // The counter sits in the high half so that add() is a single fetch_add
  // of delta << 32: carries out of bit 63 are discarded, and a negative
  // delta is its two's complement shifted, so the same add subtracts.
  static constexpr int kCounterShift = 32;
  static constexpr uint64_t kWaiterMask = (uint64_t{1} << kCounterShift) - 1;
  static constexpr uint64_t kOneWaiter = 1;

  static_assert(kCounterShift == 32 && kWaiterMask == 0xffff'ffffu,
                "counter and waiter count are the two 32-bit halves");
  static_assert(sizeof(std::atomic<uint64_t>) == 8 && alignof(std::atomic<uint64_t>) == 8 &&
                    std::atomic<uint64_t>::is_always_lock_free,
                "the state word must be one naturally aligned, lock-free 64-bit atomic "
                "(the seed's 'Bugs' note: 64-bit atomics need 64-bit alignment)");

  BasicWaitGroup() noexcept = default;
  BasicWaitGroup(const BasicWaitGroup&) = delete;
  BasicWaitGroup& operator=(const BasicWaitGroup&) = delete;

  // add(delta): Go's Add. Throws SyncPanic(kNegativeWaitGroupCounter) if the
  // counter goes negative, SyncPanic(kWaitGroupMisuse) if it detects a race
  // with wait() (see the header comment). Fast path inline: one fetch_add.
  void add(int32_t delta) {
    const uint64_t d = static_cast<uint64_t>(static_cast<int64_t>(delta)) << kCounterShift;
    const uint64_t state = state_.fetch_add(d, std::memory_order_acq_rel) + d;
    const int32_t v = static_cast<int32_t>(state >> kCounterShift);
    const uint32_t w = static_cast<uint32_t>(state & kWaiterMask);
    if (w == 0 && v >= 0) return;                          // nobody waits
    if (v > 0 && !(delta > 0 && v == delta)) return;       // not the last done
    add_slow(state, delta);
  }

  // done(): Go's Done: add(-1).
  void done() { add(-1); }

  // wait(): Go's Wait: returns when the counter is 0. Throws
  // SyncPanic(kWaitGroupReused) if the WaitGroup was re-armed before this
  // wait returned.
  void wait() {
    uint64_t state = state_.load(std::memory_order_acquire);
    for (;;) {
      if (static_cast<int32_t>(state >> kCounterShift) == 0) return;  // fast path
      if (state_.compare_exchange_weak(state, state + kOneWaiter, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
        wait_slow();
        return;
      }
    }
  }

  // counter(): the counter (negative only after misuse). Snapshot.
  int32_t counter() const noexcept {
    return static_cast<int32_t>(state_.load(std::memory_order_relaxed) >> kCounterShift);
  }
  // waiters(): threads registered in wait() this round. Snapshot.
  uint32_t waiters() const noexcept {
    return static_cast<uint32_t>(state_.load(std::memory_order_relaxed) & kWaiterMask);
  }

 private:
  // Outlined (explicitly instantiated for WaitGroup in wait_group.cc): the
  // misuse checks and the release loop (system calls) would only bloat the
  // inline fast paths.
  [[gnu::noinline]] void add_slow(uint64_t state, int32_t delta);
  [[gnu::noinline]] void wait_slow();

  // The state word (layout above). add(): fetch_add (acq_rel), any thread.
  // wait(): CAS of the waiter count (acq_rel). The releaser: store of 0
  // (release). Read by everyone.
  std::atomic<uint64_t> state_{0};
  // Waiters park here; the releaser releases one unit per waiter.
  Sema sema_;
  // Releasers currently between "reset the state" and "released every
  // waiter" (see Lifetime). +1/-1 by the releaser (the -1 is a release RMW
  // and its last access to *this); read (acquire) by woken waiters, which
  // return only once it is 0.
  std::atomic<uint32_t> releasing_{0};
};

template <class Hooks>
void BasicWaitGroup<Hooks>::add_slow(uint64_t state, int32_t delta) {
  const int32_t v = static_cast<int32_t>(state >> kCounterShift);
  const uint32_t w = static_cast<uint32_t>(state & kWaiterMask);
  if (v < 0) throw SyncPanic(kNegativeWaitGroupCounter);
  if (w != 0 && delta > 0 && v == delta) throw SyncPanic(kWaitGroupMisuse);
  // This thread brought the counter to 0 with w > 0 waiters. Go: "Now there
  // can't be concurrent mutations of state: Adds must not happen
  // concurrently with Wait, Wait does not increment waiters if it sees
  // counter == 0. Still do a cheap sanity check to detect WaitGroup misuse."
  Hooks::counter_zeroed();
  if (state_.load(std::memory_order_relaxed) != state) throw SyncPanic(kWaitGroupMisuse);
  releasing_.fetch_add(1, std::memory_order_relaxed);  // ordered by the Sema for the waiters
  state_.store(0, std::memory_order_release);
  for (uint32_t i = 0; i < w; ++i) sema_.release();
  releasing_.fetch_sub(1, std::memory_order_release);  // last access to *this
}

template <class Hooks>
void BasicWaitGroup<Hooks>::wait_slow() {
  {
    SYNCSCOPE_WAITREG_NOTE(this, What::kWaitGroup);  // detector hook
    sema_.acquire();
  }
  // Do not return (and let the caller destroy *this) while a releaser is
  // still inside sema_.release(). It is a few instructions away from done,
  // unless preempted: spin briefly, then yield to it.
  SpinWait spin;
  while (releasing_.load(std::memory_order_acquire) != 0) spin.once();
  Hooks::waiter_woken();
  if (state_.load(std::memory_order_acquire) != 0) throw SyncPanic(kWaitGroupReused);
}

extern template class BasicWaitGroup<detail::NoWaitGroupHooks>;

using WaitGroup = BasicWaitGroup<detail::NoWaitGroupHooks>;

}  // namespace syncscope

#endif  // SYNCSCOPE_WAIT_GROUP_H_
