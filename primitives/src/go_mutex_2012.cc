// Slow paths of GoMutex2012 (see syncscope/go_mutex_2012.h).
#include <syncscope/go_mutex_2012.h>

namespace syncscope {

void GoMutex2012::lock_slow() {
  bool awoke = false;  // we were woken by unlock_slow and own the kWoken flag
  int32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    int32_t desired = old | kLocked;
    if ((old & kLocked) != 0) desired = old + kWaiter;  // still held: wait
    // A woken waiter clears kWoken whatever the outcome, so that the next
    // unlock may wake someone again.
    if (awoke) desired &= ~kWoken;
    if (state_.compare_exchange_weak(old, desired, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      if ((old & kLocked) == 0) return;  // we took the lock
      sema_.acquire();
      awoke = true;
      old = state_.load(std::memory_order_relaxed);
    }
    // On CAS failure `old` holds the fresh value; retry.
  }
}

void GoMutex2012::unlock_slow(int32_t now) {
  check_was_locked(now);
  // Wake one waiter unless the lock was taken again (its holder will wake
  // someone) or a woken waiter already competes.
  wake_one_waiter(now, kLocked | kWoken);
}

}  // namespace syncscope
