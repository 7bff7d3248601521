// Slow paths of syncscope::Sema (see syncscope/internal/sema.h for the design).
#include <linux/futex.h>
#include <syncscope/arch/atomic.h>
#include <syncscope/internal/scheduler.h>
#include <syncscope/internal/sema.h>
#include <syncscope/internal/wait_registry.h>  // blocking-bug detector hooks
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
// "link into the bucket (its nwait++), then look at count_" cannot miss a
// concurrent "add to count_, then look at the bucket's nwait" (see
// Sema::release() and Sema::wake_one()). Values read
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
  kWaiting = 0,  // queued, parked or about to park (or unlinked, mark pending)
  kWoken = 1,    // unlinked by release(): retry try_acquire
  kGranted = 2,  // unlinked by release(true): the unit is ours
};

struct Sema::Waiter {
  std::atomic<uint32_t> state{kWaiting};  // futex word; see the states above
  const Sema* key = nullptr;  // the Sema waited on (compared, never dereferenced by releasers)
  // The waiting goroutine, or null for a thread (then `state` is a futex
  // word). Set before linking; read by releasers under the bucket lock,
  // before they mark the node (after the mark the node may be gone).
  internal::G* g = nullptr;
  Waiter* prev = nullptr;                 // guarded by the bucket lock
  Waiter* next = nullptr;                 // guarded by the bucket lock
  bool linked = false;                    // guarded by the bucket lock
#if SYNCSCOPE_WAIT_REGISTRY
  void* detector = nullptr;  // detector: the parked thread's record (set before linking)
#endif
};

namespace {

// Sleeps while w.state == expected: a goroutine parks (its P runs others),
// a thread sleeps on the futex. Returns false only on timeout.
bool wait_state(Sema::Waiter& w, uint32_t expected, const timespec* abs,
                const std::chrono::steady_clock::time_point* deadline) noexcept {
  if (w.g != nullptr) return internal::goroutine_wait(w.g, &w.state, expected, deadline);
  return futex_wait(&w.state, expected, abs);
}

// Marks an unlinked waiter with `state` and wakes it. `g` was read from the
// node under the bucket lock: after the store the node may be gone. A
// granted goroutine is readied with goroutine_wake_handoff: a goroutine
// caller yields its P to it (Go's semrelease1 with handoff: goyield), so
// the new owner runs at once, on the giver's P, while the giver waits on
// that P's local run queue; a thread caller (or a thread waiter) is
// unaffected.
void mark_and_wake(Sema::Waiter* w, internal::G* g, uint32_t state) noexcept {
  w->state.store(state, std::memory_order_release);
  if (g != nullptr) {
    if (state == kGranted) {
      internal::goroutine_wake_handoff(g);
    } else {
      internal::goroutine_wake(g);  // Go's goready: into the waker's runnext
    }
  } else {
    futex_wake(&w->state, 1);  // see "Lifetime note" in sema.h
  }
}

// The global wait table (Go's semtable): waiters of every Sema, hashed by
// the Sema's address. Buckets are never freed.
struct alignas(64) Bucket {
  // 0 free, 1 held, 2 held with sleepers (Drepper, "Futexes Are Tricky",
  // mutex #2). Guards head/tail and every linked Waiter's links.
  std::atomic<uint32_t> lock{0};
  // Linked waiters of all keys in this bucket. Written under `lock`
  // (seq_cst RMW); read without it by release() to skip the lock: the
  // "waiter links, then re-checks count" / "releaser adds count, then
  // checks nwait" Dekker pair (both seq_cst) rules out a lost wake-up.
  std::atomic<uint32_t> nwait{0};
  Sema::Waiter* head = nullptr;  // oldest first; guarded by lock
  Sema::Waiter* tail = nullptr;  // guarded by lock
};

constexpr size_t kBuckets = 251;  // prime, as Go's semTabSize
Bucket g_table[kBuckets];

Bucket& bucket_of(const Sema* s) noexcept {
  return g_table[(reinterpret_cast<uintptr_t>(s) >> 3) % kBuckets];
}

void lock_bucket(Bucket& b) noexcept {
  uint32_t expected = 0;
  if (b.lock.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                     std::memory_order_relaxed))
    return;
  for (int i = 0; i < kQueueLockSpins; ++i) {
    arch::cpu_relax();
    expected = 0;
    if (b.lock.load(std::memory_order_relaxed) == 0 &&
        b.lock.compare_exchange_weak(expected, 1, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      return;
    }
  }
  while (b.lock.exchange(2, std::memory_order_acquire) != 0) futex_wait(&b.lock, 2, nullptr);
}

void unlock_bucket(Bucket& b) noexcept {
  if (b.lock.exchange(0, std::memory_order_release) == 2) futex_wake(&b.lock, 1);
}

}  // namespace

// lifo: ahead of every waiter (of any key) in the bucket, so ahead of every
// waiter of its own key; fifo: behind all of them.
static void link_waiter(Bucket& b, Sema::Waiter* w, bool lifo) noexcept {
  if (lifo) {
    w->prev = nullptr;
    w->next = b.head;
    if (b.head != nullptr)
      b.head->prev = w;
    else
      b.tail = w;
    b.head = w;
  } else {
    w->next = nullptr;
    w->prev = b.tail;
    if (b.tail != nullptr)
      b.tail->next = w;
    else
      b.head = w;
    b.tail = w;
  }
  w->linked = true;
  b.nwait.fetch_add(1, std::memory_order_seq_cst);
}

static void unlink_waiter(Bucket& b, Sema::Waiter* w) noexcept {
  if (w->prev != nullptr)
    w->prev->next = w->next;
  else
    b.head = w->next;
  if (w->next != nullptr)
    w->next->prev = w->prev;
  else
    b.tail = w->prev;
  w->prev = w->next = nullptr;
  w->linked = false;
  b.nwait.fetch_sub(1, std::memory_order_seq_cst);
}

// The oldest linked waiter of `key`, or null. Under the bucket lock.
static Sema::Waiter* first_waiter(Bucket& b, const Sema* key) noexcept {
  for (Sema::Waiter* w = b.head; w != nullptr; w = w->next)
    if (w->key == key) return w;
  return nullptr;
}

bool Sema::acquire_slow(bool lifo, const std::chrono::steady_clock::time_point* deadline) {
  timespec abs{};
  if (deadline != nullptr) abs = to_timespec(*deadline);
  Bucket& b = bucket_of(this);
  Waiter w;
  w.key = this;
  w.g = internal::parkable_goroutine();
  nwait_.fetch_add(1, std::memory_order_relaxed);
  struct Leave {  // the waiter itself keeps nwait_ (releasers never touch *this)
    std::atomic<uint32_t>& n;
    ~Leave() { n.fetch_sub(1, std::memory_order_relaxed); }
  } leave{nwait_};
  SYNCSCOPE_WAITREG_BLOCK(this, deadline != nullptr);  // detector hook
  for (;;) {
    w.state.store(kWaiting, std::memory_order_relaxed);
    lock_bucket(b);
    link_waiter(b, &w, lifo);
    if (try_take(count_)) {
      unlink_waiter(b, &w);
      unlock_bucket(b);
      return true;
    }
    SYNCSCOPE_WAITREG_PARK(&w.detector);  // detector hook: marks us asleep, runs its checks
    unlock_bucket(b);
    SYNCSCOPE_WAITREG_REPORT();  // detector hook: hands its findings to the handler

    bool timed_out = false;
    while (w.state.load(std::memory_order_acquire) == kWaiting) {
      if (!wait_state(w, kWaiting, deadline != nullptr ? &abs : nullptr, deadline)) {
        timed_out = true;
        break;
      }
    }
    if (timed_out) {
      lock_bucket(b);
      if (w.linked) {
        unlink_waiter(b, &w);  // still queued: leave; nobody gave us anything
        unlock_bucket(b);
        return false;
      }
      unlock_bucket(b);
      // A releaser unlinked us and is about to mark the node: wait for it
      // (it does so right after dropping the bucket lock), then honour it.
      while (w.state.load(std::memory_order_acquire) == kWaiting)
        wait_state(w, kWaiting, nullptr, nullptr);
    }
    const uint32_t s = w.state.load(std::memory_order_acquire);
    if (s == kGranted) return true;
    // Woken (possibly spuriously, by a releaser of a dead Sema that had this
    // address): compete for the unit like a newcomer; requeue if it is gone.
    if (try_acquire()) return true;
    if (deadline != nullptr && std::chrono::steady_clock::now() >= *deadline) {
      return false;
    }
  }
}

// Called after the unit was published: touches only the table and the
// waiter node, never *this (see "Where the queue lives" in sema.h). `this`
// is used as a key only.
void Sema::wake_one() noexcept {
  Bucket& b = bucket_of(this);
  if (b.nwait.load(std::memory_order_seq_cst) == 0) return;  // nobody parked anywhere here
  lock_bucket(b);
  Waiter* w = first_waiter(b, this);
  if (w == nullptr) {
    unlock_bucket(b);
    return;
  }
  unlink_waiter(b, w);
  internal::G* g = w->g;
  unlock_bucket(b);
  SYNCSCOPE_WAITREG_WOKEN(w->detector);  // detector hook
  // w stays valid until its state leaves kWaiting: an unlinked waiter waits
  // for this mark even after a timeout.
  mark_and_wake(w, g, kWoken);
}

void Sema::release_handoff() noexcept {
  Bucket& b = bucket_of(this);
  lock_bucket(b);
  Waiter* w = first_waiter(b, this);
  if (w == nullptr) {
    // Nobody queued: publish the unit. Under the bucket lock, so a waiter
    // linking now either was found above or sees the count when it
    // re-checks. The bucket is global: unlocking it after the publication
    // is safe even if the Sema dies at once.
    count_.fetch_add(1, std::memory_order_seq_cst);
    unlock_bucket(b);
    return;
  }
  unlink_waiter(b, w);
  internal::G* g = w->g;
  unlock_bucket(b);
  SYNCSCOPE_WAITREG_WOKEN(w->detector);  // detector hook
  mark_and_wake(w, g, kGranted);
}

}  // namespace syncscope
