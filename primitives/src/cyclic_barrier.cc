// syncscope::CyclicBarrier (see syncscope/cyclic_barrier.h for the design).
#include <syncscope/cyclic_barrier.h>

#include <exception>
#include <stdexcept>
#include <utility>

namespace syncscope {

CyclicBarrier::CyclicBarrier(std::size_t parties, std::function<void()> action)
    : parties_(parties), action_(std::move(action)), remaining_(parties) {
  if (parties == 0) {
    throw std::invalid_argument("CyclicBarrier: parties must be >= 1, got 0");
  }
}

std::size_t CyclicBarrier::arrive_and_wait() {
  detail::ParkerLease parker;  // may throw: before the arrival counts
  lock_.lock();
  const std::size_t index = --remaining_;
  if (index != 0) {
    arrived_.store(parties_ - remaining_, std::memory_order_relaxed);
    detail::Parker& p = parker.get();
    p.next = head_;
    head_ = &p;
    lock_.unlock();
    p.sema.acquire();  // one release: from this generation's last arriver
    return index;
  }

  // Last arriver: run the action, open the next generation, release ours.
  std::exception_ptr error;
  if (action_) {
    try {
      action_();
    } catch (...) {
      error = std::current_exception();
    }
  }
  detail::Parker* released = head_;
  head_ = nullptr;
  remaining_ = parties_;
  arrived_.store(0, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  lock_.unlock();
  // From here on only the (immortal) parkers are touched, never *this.
  while (released != nullptr) {
    detail::Parker* next = released->next;  // read before its owner runs again
    released->sema.release();
    released = next;
  }
  if (error) std::rethrow_exception(error);
  return 0;
}

}  // namespace syncscope
