// Semaphore: the slow paths of golang.org/x/sync/semaphore's Weighted (see
// syncscope/semaphore.h for the design).
#include <syncscope/semaphore.h>

#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>

namespace syncscope {

void Semaphore::check_weight(int64_t n) {
  if (n < 0) {
    throw std::invalid_argument("semaphore: negative weight " + std::to_string(n));
  }
}

void Semaphore::release(int64_t n) {
  check_weight(n);
  std::shared_ptr<Waiter> chain;
  {
    std::lock_guard<GoMutex> lk(mu_);
    cur_ -= n;
    // Go unlocks and panics, leaving cur negative; so do we (the guard
    // unlocks during unwinding).
    if (cur_ < 0) throw SyncPanic(kSemaphoreReleasedMoreThanHeld);
    chain = notify_waiters_locked();
  }
  wake_all(std::move(chain));
}

std::shared_ptr<Semaphore::Waiter> Semaphore::notify_waiters_locked() {
  std::shared_ptr<Waiter> head;
  Waiter* tail = nullptr;
  while (!waiters_.empty()) {
    Waiter* w = waiters_.front().get();
    if (size_ - cur_ < w->n) {
      // Not enough units for the head. We could look for a smaller request
      // further back, but under load that would starve large requests (Go's
      // comment: readers acquiring 1 of N would starve a writer acquiring
      // N). Everyone behind the head keeps waiting.
      break;
    }
    cur_ += w->n;
    w->ready = true;
    std::shared_ptr<Waiter> x = std::move(waiters_.front());
    waiters_.pop_front();
    if (tail == nullptr) {
      head = std::move(x);
      tail = head.get();
    } else {
      tail->next_to_wake = std::move(x);
      tail = tail->next_to_wake.get();
    }
  }
  return head;
}

// Wakes a chain built by notify_waiters_locked, after mu_ was dropped (so a
// woken waiter does not immediately block on the lock we hold). Once off
// the queue, a waiter's next_to_wake belongs to the releaser; the waiter
// never touches it.
void Semaphore::wake_all(std::shared_ptr<Waiter> chain) {
  while (chain) {
    std::shared_ptr<Waiter> next = std::move(chain->next_to_wake);
    chain->wake.release();
    chain = std::move(next);
  }
}

std::error_code Semaphore::acquire_slow(const Context& ctx, int64_t n,
                                        std::unique_lock<GoMutex>& lk) {
  if (n > size_) {
    // Don't make other acquire calls block on one that's doomed to fail
    // (Go's comment): wait for the context instead — forever if it can
    // never be done, as in Go.
    lk.unlock();
    (void)ctx.done().receive();
    return ctx.err();
  }

  auto w = std::make_shared<Waiter>(n);
  waiters_.push_back(w);
  w->pos = std::prev(waiters_.end());
  lk.unlock();

  // Leaves the queue (the context is done, or registering the wake-up
  // failed). If this waiter was the head and units are free, the waiters
  // behind it may fit now.
  auto leave_queue = [&] {
    std::shared_ptr<Waiter> chain;
    {
      std::lock_guard<GoMutex> g(mu_);
      if (w->ready) {
        // Granted meanwhile: give the units back.
        cur_ -= n;
        chain = notify_waiters_locked();
      } else {
        const bool is_front = waiters_.begin() == w->pos;
        waiters_.erase(w->pos);
        if (is_front && size_ > cur_) chain = notify_waiters_locked();
      }
    }
    wake_all(std::move(chain));
  };

  // A context that can be done wakes the waiter through a callback; the
  // callback holds the node, so a late call finds it alive.
  const bool cancellable = !ctx.done().is_nil();
  AfterFuncStop stop;
  if (cancellable) {
    try {
      stop = after_func(ctx, [w] { w->wake.release(); });
    } catch (...) {
      leave_queue();
      throw;
    }
  }

  w->wake.acquire();
  if (cancellable) (void)stop();

  bool ready;
  {
    std::lock_guard<GoMutex> g(mu_);
    ready = w->ready;
  }
  if (ready) {
    // Acquired. Check that ctx isn't already done (Go does the same): if
    // it is, the acquire fails and the units go back.
    if (std::error_code e = ctx.err()) {
      release(n);
      return e;
    }
    return {};
  }
  // Only the context's callback wakes a waiter that is not ready.
  leave_queue();
  return ctx.err();
}

}  // namespace syncscope
