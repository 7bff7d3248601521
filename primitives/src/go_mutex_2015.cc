// Slow paths of BasicGoMutex2015 (see syncscope/go_mutex_2015.h).
#include <syncscope/go_mutex_2015.h>

namespace syncscope {

template <bool kInstrumented>
void BasicGoMutex2015<kInstrumented>::lock_slow() {
  preempt_point();  // Go's lockSlow prologue: a goroutine the runtime marked yields here
  bool awoke = false;   // we own kWoken (set while spinning, or by unlock_slow)
  bool parked = false;  // we slept on sema_ during this lock() call
  int iter = 0;         // spin rounds since the last wake-up
  int32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    int32_t desired = old | kLocked;
    if ((old & kLocked) != 0) {
      if (GoSpinPolicy::can_spin(iter)) {
        // Spinning has a chance. The round sets kWoken (if waiters exist and
        // nobody is woken) so that unlock does not wake a parked waiter for
        // nothing.
        old = this->spin_round(old, &awoke, &iter);
        continue;
      }
      desired = old + kWaiter;  // still held: register as a waiter
    }
    if (awoke) {
      // We own kWoken; clear it whatever the outcome of this attempt.
      if ((desired & kWoken) == 0) go_fatal(kInconsistentMutexState);
      desired &= ~kWoken;
    }
    if (state_.compare_exchange_weak(old, desired, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      if ((old & kLocked) == 0) {
        if constexpr (kInstrumented) {
          // A barge: we never parked in this call and beat registered
          // waiters, or a woken waiter (kWoken set and not ours).
          if (!parked && ((old >> kWaiterShift) != 0 || ((old & kWoken) != 0 && !awoke))) {
            stats_.add_barge();
          }
        }
        return;  // we took the lock
      }
      if constexpr (kInstrumented) stats_.add_park();
      sema_.acquire();
      parked = true;
      awoke = true;
      iter = 0;
      old = state_.load(std::memory_order_relaxed);
    }
    // On CAS failure `old` holds the fresh value; retry.
  }
}

template <bool kInstrumented>
void BasicGoMutex2015<kInstrumented>::unlock_slow(int32_t now) {
  this->check_was_locked(now);
  // Wake one waiter unless the lock was taken again (its holder will wake
  // someone) or a waiter or spinner already competes with kWoken set.
  this->wake_one_waiter(now, kLocked | kWoken);
}

template class BasicGoMutex2015<false>;
template class BasicGoMutex2015<true>;

}  // namespace syncscope
