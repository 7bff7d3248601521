// Slow paths of syncscope::Sema (see syncscope/sema.h for the design).
#include <linux/futex.h>
#include <syncscope/arch/atomic.h>
#include <syncscope/sema.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

namespace syncscope {
namespace {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
                  std::atomic<uint32_t>::is_always_lock_free,
              "futex words are std::atomic<uint32_t> used as a raw 32-bit word");

// Spins of the queue lock before it sleeps: its critical sections are a few
// pointer updates, so a short spin usually wins; kept small on purpose.
constexpr int kQueueLockSpins = 64;

uint32_t* futex_word(std::atomic<uint32_t>* a) noexcept { return reinterpret_cast<uint32_t*>(a); }

// Sleeps while *word == expected. abs_deadline == nullptr: no timeout.
// Returns false only on timeout; spurious returns are possible.
bool futex_wait(std::atomic<uint32_t>* word, uint32_t expected,
                const timespec* abs_deadline) noexcept {
  long rc;
  if (abs_deadline == nullptr) {
    rc = syscall(SYS_futex, futex_word(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
  } else {
    // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, the
    // clock behind std::chrono::steady_clock on Linux.
    rc = syscall(SYS_futex, futex_word(word), FUTEX_WAIT_BITSET_PRIVATE, expected, abs_deadline,
                 nullptr, FUTEX_BITSET_MATCH_ANY);
  }
  return !(rc == -1 && errno == ETIMEDOUT);
}

void futex_wake(std::atomic<uint32_t>* word, int n) noexcept {
  syscall(SYS_futex, futex_word(word), FUTEX_WAKE_PRIVATE, n, nullptr, nullptr, 0);
}

timespec to_timespec(std::chrono::steady_clock::time_point tp) noexcept {
  using namespace std::chrono;
  const nanoseconds ns = duration_cast<nanoseconds>(tp.time_since_epoch());
  timespec ts;
  if (ns.count() <= 0) {
    ts.tv_sec = 0;
    ts.tv_nsec = 0;
  } else {
    ts.tv_sec = static_cast<time_t>(ns.count() / 1000000000);
    ts.tv_nsec = static_cast<long>(ns.count() % 1000000000);
  }
  return ts;
}

// try_acquire() for the slow path: its first load must be seq_cst so that
// "announce in nwait_, then look at count_" cannot miss a concurrent
// "add to count_, then look at nwait_" (see Sema::release()). Values read
// later by a failed CAS come later in count_'s modification order, so they
// may be relaxed.
bool try_take(std::atomic<uint32_t>& count) noexcept {
  uint32_t c = count.load(std::memory_order_seq_cst);
  while (c != 0) {
    if (count.compare_exchange_weak(c, c - 1, std::memory_order_acquire,
                                    std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

}  // namespace

// Waiter states. kWaiting -> (kWoken | kGranted) is written once, by a
// releaser holding the queue lock, with a release store; the owner reads it
// with acquire loads. A waiter that times out and is still kWaiting unlinks
// itself under the lock, so the state never changes after that.
enum : uint32_t {
  kWaiting = 0,  // linked in the queue, parked or about to park
  kWoken = 1,    // unlinked by release(): retry try_acquire
  kGranted = 2,  // unlinked by release(true): the unit is ours
};

struct Sema::Waiter {
  std::atomic<uint32_t> state{kWaiting};  // futex word; see the states above
  Waiter* prev = nullptr;                 // guarded by Sema::lock_
  Waiter* next = nullptr;                 // guarded by Sema::lock_
};

void Sema::lock_queue() noexcept {
  uint32_t expected = 0;
  if (lock_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                    std::memory_order_relaxed)) {
    return;
  }
  lock_queue_slow();
}

void Sema::lock_queue_slow() noexcept {
  for (int i = 0; i < kQueueLockSpins; ++i) {
    arch::cpu_relax();
    uint32_t expected = 0;
    if (lock_.load(std::memory_order_relaxed) == 0 &&
        lock_.compare_exchange_weak(expected, 1, std::memory_order_acquire,
                                    std::memory_order_relaxed)) {
      return;
    }
  }
  // Mark the lock contended (2) and sleep until we swap it from free.
  while (lock_.exchange(2, std::memory_order_acquire) != 0) {
    futex_wait(&lock_, 2, nullptr);
  }
}

void Sema::unlock_queue() noexcept {
  if (lock_.exchange(0, std::memory_order_release) == 2) {
    futex_wake(&lock_, 1);
  }
}

void Sema::link(Waiter* w, bool lifo) noexcept {
  if (lifo) {
    w->prev = nullptr;
    w->next = head_;
    if (head_ != nullptr)
      head_->prev = w;
    else
      tail_ = w;
    head_ = w;
  } else {
    w->next = nullptr;
    w->prev = tail_;
    if (tail_ != nullptr)
      tail_->next = w;
    else
      head_ = w;
    tail_ = w;
  }
  nwait_.fetch_add(1, std::memory_order_seq_cst);
}

void Sema::unlink(Waiter* w) noexcept {
  if (w->prev != nullptr)
    w->prev->next = w->next;
  else
    head_ = w->next;
  if (w->next != nullptr)
    w->next->prev = w->prev;
  else
    tail_ = w->prev;
  w->prev = w->next = nullptr;
  nwait_.fetch_sub(1, std::memory_order_seq_cst);
}

bool Sema::acquire_slow(bool lifo, const std::chrono::steady_clock::time_point* deadline) {
  timespec abs{};
  if (deadline != nullptr) abs = to_timespec(*deadline);
  Waiter w;
  for (;;) {
    w.state.store(kWaiting, std::memory_order_relaxed);
    lock_queue();
    // Announce first, then re-check: a release() that added its unit before
    // seeing our announcement is caught here.
    link(&w, lifo);
    if (try_take(count_)) {
      unlink(&w);
      unlock_queue();
      return true;
    }
    unlock_queue();

    bool timed_out = false;
    while (w.state.load(std::memory_order_acquire) == kWaiting) {
      if (!futex_wait(&w.state, kWaiting, deadline != nullptr ? &abs : nullptr)) {
        timed_out = true;
        break;
      }
    }
    if (timed_out) {
      lock_queue();
      if (w.state.load(std::memory_order_acquire) == kWaiting) {
        unlink(&w);  // still queued: leave; nobody gave us anything
        unlock_queue();
        return false;
      }
      unlock_queue();  // a release reached us in the meantime: honour it
    }
    const uint32_t s = w.state.load(std::memory_order_acquire);
    if (s == kGranted) return true;
    // kWoken: compete for the unit; a newcomer may have taken it.
    if (try_acquire()) return true;
    if (deadline != nullptr && std::chrono::steady_clock::now() >= *deadline) {
      return false;
    }
  }
}

void Sema::wake_one() {
  lock_queue();
  Waiter* w = head_;
  if (w == nullptr) {
    unlock_queue();
    return;
  }
  unlink(w);
  w->state.store(kWoken, std::memory_order_release);
  unlock_queue();
  futex_wake(&w->state, 1);  // see "Lifetime note" in sema.h
}

void Sema::release_handoff() {
  lock_queue();
  Waiter* w = head_;
  if (w == nullptr) {
    // Nobody queued: publish the unit. Waiters link and re-check count_
    // under this same lock, so they cannot miss it.
    count_.fetch_add(1, std::memory_order_seq_cst);
    unlock_queue();
    return;
  }
  unlink(w);
  w->state.store(kGranted, std::memory_order_release);
  unlock_queue();
  futex_wake(&w->state, 1);  // see "Lifetime note" in sema.h
}

}  // namespace syncscope
