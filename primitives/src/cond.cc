// Slow paths of syncscope::NotifyList and the per-thread parkers (see
// syncscope/cond.h for the design).
#include <syncscope/cond.h>

#include <syncscope/go_mutex.h>
#include <syncscope/internal/wait_registry.h>

#include <mutex>

namespace syncscope {
namespace detail {
namespace {

// Recycled parkers. Immortal (leaked on purpose): threads may exit — and
// give their parker back — after static destructors ran, and a notifier may
// release a parker at any time.
struct ParkerFreeList {
  GoMutex mu;
  Parker* head = nullptr;  // guarded by mu
};

ParkerFreeList& free_list() {
  static ParkerFreeList* list = new ParkerFreeList;
  return *list;
}

Parker* take_parker() {
  ParkerFreeList& fl = free_list();
  {
    std::lock_guard<GoMutex> g(fl.mu);
    if (Parker* p = fl.head; p != nullptr) {
      fl.head = p->free_next;
      p->free_next = nullptr;
      return p;
    }
  }
  return new Parker;
}

// True once the thread began exiting (its parker was given back).
constinit thread_local bool t_parker_exited = false;

// Gives the thread's parker back when the thread exits. Constructed (and so
// registered for destruction) by the thread's first acquire_parker().
struct ParkerReturn {
  bool armed = false;
  ~ParkerReturn() {
    if (t_parker != nullptr) {
      release_parker(t_parker);
      t_parker = nullptr;
    }
    t_parker_exited = true;
  }
};
thread_local ParkerReturn t_parker_return;

}  // namespace

Parker* acquire_parker(bool* temporary) {
  Parker* p = take_parker();
  if (t_parker_exited) {
    *temporary = true;  // borrowed for one wait during thread exit
    return p;
  }
  *temporary = false;
  t_parker = p;
  t_parker_return.armed = true;  // odr-use: registers the destructor
  return p;
}

Parker* borrow_parker() { return take_parker(); }

void release_parker(Parker* p) noexcept {
  // A parker is given back only by its owner, after its last acquire()
  // returned: it is linked nowhere, and its count is 0 (one release per
  // link, one acquire per link).
  ParkerFreeList& fl = free_list();
  std::lock_guard<GoMutex> g(fl.mu);
  p->free_next = fl.head;
  fl.head = p;
}

}  // namespace detail

void NotifyList::wait(uint32_t ticket, detail::Parker& p) noexcept {
  lock_.lock();
  if (before(ticket, notify_.load(std::memory_order_relaxed))) {
    // Already notified (the notify came between add() and here).
    lock_.unlock();
    return;
  }
  p.ticket = ticket;
  p.next = nullptr;
  if (tail_ == nullptr) {
    head_ = &p;
  } else {
    tail_->next = &p;
  }
  tail_ = &p;
  lock_.unlock();
  // Exactly one release will come: from the notifier that unlinks p.
  SYNCSCOPE_WAITREG_NOTE(this, What::kCond);  // detector hook
  p.sema.acquire();
}

void NotifyList::notify_one_slow() noexcept {
  lock_.lock();
  const uint32_t t = notify_.load(std::memory_order_relaxed);
  // Re-check under the lock: another notifier may have consumed the ticket
  // since our fast-path look.
  if (t == wait_.load(std::memory_order_seq_cst)) {
    lock_.unlock();
    return;
  }
  notify_.store(t + 1, std::memory_order_seq_cst);
  // Find the waiter with ticket t. Go: "This scan looks linear but
  // essentially always stops quickly": waiters link in nearly ticket order
  // (they take tickets under the user lock, then race to the list lock), so
  // t is at or near the head. If it is not linked yet, it will see
  // t < notify_ in wait() and return by itself.
  detail::Parker* prev = nullptr;
  detail::Parker* p = head_;
  while (p != nullptr && p->ticket != t) {
    prev = p;
    p = p->next;
  }
  if (p != nullptr) {
    if (prev == nullptr) {
      head_ = p->next;
    } else {
      prev->next = p->next;
    }
    if (tail_ == p) tail_ = prev;
    p->next = nullptr;
  }
  lock_.unlock();
  // From here on only the (immortal) parker is touched, never *this.
  if (p != nullptr) p->sema.release();
}

void NotifyList::notify_all_slow() noexcept {
  lock_.lock();
  detail::Parker* p = head_;
  head_ = tail_ = nullptr;
  notify_.store(wait_.load(std::memory_order_seq_cst), std::memory_order_seq_cst);
  lock_.unlock();
  // From here on only the (immortal) parkers are touched, never *this.
  // Read `next` before the release: once released, the parker's owner may
  // return and link it somewhere else.
  while (p != nullptr) {
    detail::Parker* next = p->next;
    p->sema.release();
    p = next;
  }
}

}  // namespace syncscope
