// McsLock's waiting paths and node pool (see syncscope/mcs_lock.h).
#include <syncscope/mcs_lock.h>

#include <syncscope/spin_lock.h>

namespace syncscope {
namespace detail {

McsNodePool::~McsNodePool() {
  while (head_ != nullptr) {
    McsNode* n = head_;
    head_ = n->pool_next;
    delete n;
  }
}

McsNode* McsNodePool::take_slow() { return new McsNode; }

}  // namespace detail

void McsLock::wait_behind(detail::McsNode* pred, detail::McsNode* me) noexcept {
  pred->next.store(me, std::memory_order_release);
  SpinWait wait;
  while (me->waiting.load(std::memory_order_acquire)) wait.once();
}

detail::McsNode* McsLock::wait_for_successor(detail::McsNode* me) noexcept {
  // A thread has exchanged itself into tail_ behind us (our CAS failed) and
  // is about to store me->next: wait for that store.
  SpinWait wait;
  detail::McsNode* succ;
  while ((succ = me->next.load(std::memory_order_acquire)) == nullptr) wait.once();
  return succ;
}

}  // namespace syncscope
