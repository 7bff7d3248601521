// TtasLock's contended path (see syncscope/ttas_lock.h).
#include <syncscope/ttas_lock.h>

#include <algorithm>
#include <cstdint>

#include <syncscope/arch/atomic.h>
#include <syncscope/spin_lock.h>

namespace syncscope {
namespace {

// Per-thread xorshift32 (Marsaglia 2003) for the backoff delays: cheap, no
// shared state (a shared generator would itself be a contended line), and
// seeded from the address of the thread's own state so threads differ.
uint32_t next_random() noexcept {
  thread_local uint32_t state = 0;
  if (state == 0) {
    state = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(&state) >> 4) | 1u;
  }
  uint32_t x = state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  state = x;
  return x;
}

}  // namespace

void TtasLock::lock_slow() noexcept {
  uint32_t limit = kMinBackoff;
  SpinWait wait;
  for (;;) {
    // Test: spin on a shared copy of the line until the holder releases.
    while (locked_.load(std::memory_order_relaxed)) wait.once();
    // Test-and-set.
    if (!locked_.exchange(true, std::memory_order_acquire)) return;
    // Lost the race to another waiter: back off for a random delay in
    // [1, limit] hints, then double the limit (bounded). The delay is plain
    // spinning, bounded by kMaxBackoff; the lock did change hands, so the
    // read-spin gets its full SpinWait budget again (it yields only when one
    // holder keeps the lock past the budget, e.g. a preempted holder).
    const uint32_t delay = 1 + (next_random() & (limit - 1));
    for (uint32_t i = 0; i < delay; ++i) arch::cpu_relax();
    preempt_point();  // goroutine safe point (goroutine.h, "Preemption")
    wait.reset();
    limit = std::min(limit * 2, kMaxBackoff);
  }
}

}  // namespace syncscope
