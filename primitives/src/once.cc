// Slow path of syncscope::Once (see syncscope/once.h for the design).
#include <syncscope/once.h>

#include <mutex>

namespace syncscope {

void Once::call_slow(void (*thunk)(void*), void* ctx) {
  // Before taking the mutex: the thread running f already holds it, and
  // GoMutex is not reentrant (Go deadlocks right here).
  if (runner_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
    throw SyncPanic(kOnceRecursiveDo);
  }
  std::lock_guard<GoMutex> lock(mu_);
  if (done_.load(std::memory_order_relaxed) != 0) return;
  runner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  // Go: `defer o.done.Store(1)` — done is set whether f returns or panics,
  // and before the mutex is released (the lock_guard is destroyed after
  // this guard).
  struct MarkDone {
    Once* once;
    ~MarkDone() {
      once->runner_.store(std::thread::id(), std::memory_order_relaxed);
      once->done_.store(1, std::memory_order_release);
    }
  } mark{this};
  thunk(ctx);
}

}  // namespace syncscope
