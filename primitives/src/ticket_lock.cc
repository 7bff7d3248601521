// TicketLock's waiting path (see syncscope/ticket_lock.h).
#include <syncscope/ticket_lock.h>

#include <algorithm>
#include <cstdint>

#include <syncscope/spin_lock.h>

namespace syncscope {

void TicketLock::lock_slow(uint32_t ticket) noexcept {
  SpinWait wait;
  uint32_t last_serving = ticket;  // not a value now_serving_ can show yet
  for (;;) {
    const uint32_t serving = now_serving_.load(std::memory_order_acquire);
    if (serving == ticket) return;
    // The queue moved: the wait is progressing, so spin (not yield) again.
    if (serving != last_serving) {
      last_serving = serving;
      wait.reset();
    }
    // Threads ahead of us, the holder included (wrap-safe difference).
    const uint32_t ahead = ticket - serving;
    // Proportional backoff: the next ticket holder (ahead == 1) re-reads
    // after one hint; others pause longer the further back they are. The
    // pause is paid from the SpinWait budget, so once one holder has kept
    // the lock past the budget (e.g. it or the next in line is preempted),
    // every wait is a yield.
    const uint32_t pause =
        1 + std::min(ahead - 1, kMaxBackoff / kBackoffPerWaiter) * kBackoffPerWaiter;
    wait.pause(pause);
  }
}

}  // namespace syncscope
