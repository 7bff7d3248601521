// Slow paths of BasicGoMutex (see syncscope/go_mutex.h): Go 1.9+'s
// lockSlow/unlockSlow with starvation mode, for OS threads.
#include <syncscope/go_mutex.h>

namespace syncscope {

template <bool kInstrumented>
void BasicGoMutex<kInstrumented>::lock_slow() {
  preempt_point();  // Go's lockSlow prologue: a goroutine the runtime marked yields here
  using Clock = std::chrono::steady_clock;
  Clock::time_point wait_start{};  // first park of this call (Go: waitStartTime)
  bool waited = false;             // we have parked at least once
  bool starving = false;           // we waited > kStarvationThreshold
  bool awoke = false;              // we own kWoken
  int iter = 0;                    // spin rounds since the last wake-up
  int32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    // Spin only in normal mode while the lock is held: in starvation mode
    // ownership is handed to waiters, so spinning cannot win it.
    if ((old & (kLocked | kStarving)) == kLocked && GoSpinPolicy::can_spin(iter)) {
      // The round announces us with kWoken (if waiters exist and nobody is
      // woken) so that unlock does not wake a parked waiter that would lose
      // to us.
      old = this->spin_round(old, &awoke, &iter);
      continue;
    }
    int32_t desired = old;
    // Never grab a starving mutex: arriving threads must queue.
    if ((old & kStarving) == 0) desired |= kLocked;
    if ((old & (kLocked | kStarving)) != 0) desired += kWaiter;
    // Switch to starvation mode — but only while the mutex is held: unlock
    // expects a starving mutex to have waiters, which is not true if we are
    // about to take a free one.
    if (starving && (old & kLocked) != 0) desired |= kStarving;
    if (awoke) {
      // We own kWoken (woken from sleep, or set while spinning): clear it
      // whatever the outcome.
      if ((desired & kWoken) == 0) go_fatal(kInconsistentMutexState);
      desired &= ~kWoken;
    }
    if (!state_.compare_exchange_weak(old, desired, std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
      continue;  // `old` now holds the fresh value
    }
    if ((old & (kLocked | kStarving)) == 0) {
      if constexpr (kInstrumented) {
        // A barge: we never parked in this call and beat registered
        // waiters, or a woken waiter (kWoken set and not ours).
        if (!waited && ((old >> kWaiterShift) != 0 || ((old & kWoken) != 0 && !awoke))) {
          stats_.add_barge();
        }
      }
      return;  // took the lock with the CAS
    }
    if constexpr (kInstrumented) {
      if ((desired & kStarving) != 0 && (old & kStarving) == 0) {
        stats_.add_mode_switch(/*entered_starvation=*/true);
      }
    }
    // A thread that already waited goes back to the head of the queue: it
    // keeps its place (the Go 1.9 fix: requeueing at the tail made the wait
    // of unlucky waiters unbounded).
    const bool queue_lifo = waited;
    if (!waited) {
      wait_start = Clock::now();
      waited = true;
    }
    if constexpr (kInstrumented) stats_.add_park();
    SYNCSCOPE_WAITREG_NOTE(this, What::kMutexLock);  // detector hook
    sema_.acquire(queue_lifo);
    starving = starving || Clock::now() - wait_start > kStarvationThreshold;
    old = state_.load(std::memory_order_acquire);
    if ((old & kStarving) != 0) {
      // Starvation mode: ownership was handed to us, but the word does not
      // show it yet: kLocked is clear and we still count as a waiter.
      if ((old & (kLocked | kWoken)) != 0 || (old >> kWaiterShift) == 0) {
        go_fatal(kInconsistentMutexState);
      }
      int32_t delta = kLocked - kWaiter;
      const bool leave = !starving || (old >> kWaiterShift) == 1;
      if (leave) {
        // Leave starvation mode. It must be decided here, by the receiving
        // waiter, considering its wait: starvation mode is so slow that two
        // threads could otherwise hand the lock back and forth in it forever.
        delta -= kStarving;
      }
      state_.fetch_add(delta, std::memory_order_acquire);
      if constexpr (kInstrumented) {
        if (leave) stats_.add_mode_switch(/*entered_starvation=*/false);
      }
      return;
    }
    // Normal mode: we were woken and own kWoken; compete again with a fresh
    // spin budget.
    awoke = true;
    iter = 0;
  }
}

template <bool kInstrumented>
void BasicGoMutex<kInstrumented>::unlock_slow(int32_t now) {
  this->check_was_locked(now);
  if ((now & kStarving) == 0) {
    // Normal mode: wake one waiter, unless somebody is already woken /
    // spinning, or the lock was taken again (its holder will wake), or
    // starvation mode started meanwhile.
    this->wake_one_waiter(now, kLocked | kWoken | kStarving);
    return;
  }
  // Starvation mode: hand ownership to the head waiter. kLocked stays clear;
  // the receiver sets it. kStarving keeps newcomers away meanwhile. On a
  // goroutine, as in Go, the unlocker also yields its P to the receiver
  // (the parking layer's handoff: Go's semrelease1 -> goyield), so the
  // receiver runs at once on this P and the unlocker queues locally behind
  // it; an OS thread woken by futex is scheduled by the kernel, typically
  // on another CPU.
  if constexpr (kInstrumented) stats_.add_handoff();
  sema_.release(/*handoff=*/true);
}

template class BasicGoMutex<false>;
template class BasicGoMutex<true>;

}  // namespace syncscope
