// Slow paths of the channel core (see syncscope/chan_core.h for the design):
// the contended channel lock, waiting for a claim (adaptive spin, park),
// blocking send/receive, close, the per-thread stats and the select RNG.
#include <syncscope/chan_core.h>

#include <sched.h>

#include <syncscope/arch/atomic.h>

#include <algorithm>
#include <cstddef>
#include <thread>

namespace syncscope {
namespace detail {
namespace {

// ---- named limits ----------------------------------------------------------
// Waiting for a claim: the waiter spins (cpu_relax, watching Waiter::state)
// for a per-thread budget, then parks on its Sema. Budgets are in
// nanoseconds and turned into cpu_relax() counts with a calibration made on
// first use, because the cost of one spin hint differs a lot between CPUs
// (about 50 ns for `pause` on recent AMD and Intel parts, a few ns on older
// ones, anything under qemu).
//
// Adaptive spinning: the budget is kept per thread between kWaitSpinMinNs
// and kWaitSpinMaxNs. A wait that ends while spinning doubles it, a wait
// that had to park halves it. When the partner runs on another core, a
// handoff lands within a microsecond and the budget stays high; when both
// threads end up on one core (an oversubscribed machine, or the scheduler's
// wake-affine placement) the partner cannot run while we spin, and after a
// few waits we spin only the floor before parking. The floor is long enough
// for an uncontended handoff from another core, so a thread whose budget
// has shrunk can still notice that spinning pays again and grow it back.
// (glibc's adaptive mutex and Go's canSpin make the same bet.) Spinning is
// skipped entirely when the process may use only one CPU.
//
// No sched_yield() phase, on purpose: measured on an oversubscribed 2-CPU
// VM, a yielding waiter hands its core to unrelated runnable processes and
// gets it back only after their time slices (tens of microseconds per
// message), while a parked thread woken through the futex gets the
// scheduler's wake-up preference (a few microseconds).
constexpr int64_t kWaitSpinMinNs = 1000;
constexpr int64_t kWaitSpinMaxNs = 8000;
// With a deadline, the clock is read once per this many spin hints.
constexpr uint32_t kDeadlineCheckEvery = 64;
// The channel lock: rounds 0..kLockSpinLimit of 2^round cpu_relax() while
// the holder finishes its few dozen instructions, then sleep.
constexpr int kLockSpinLimit = 5;

thread_local ChanStats tls_stats;

unsigned usable_cpus() noexcept {
  static const unsigned cpus = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
      const int n = CPU_COUNT(&set);
      if (n > 0) return static_cast<unsigned>(n);
    }
    return std::max(1u, std::thread::hardware_concurrency());
  }();
  return cpus;
}
// Computed at load time from the main thread's mask, so that a thread that
// pins itself to one CPU does not turn spinning off for the whole process.
[[maybe_unused]] const unsigned kUsableCpusAtLoad = usable_cpus();

// Nanoseconds per cpu_relax(), measured once (the best of a few short
// trials, so that a preemption during one does not inflate it).
double relax_ns() noexcept {
  static const double ns = [] {
    double best = 1e9;
    for (int trial = 0; trial < 5; ++trial) {
      const Clock::time_point t0 = Clock::now();
      for (int i = 0; i < 256; ++i) arch::cpu_relax();
      const double d = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / 256;
      best = std::min(best, d);
    }
    return std::max(best, 0.5);
  }();
  return ns;
}

uint32_t spins_for(int64_t budget_ns) noexcept {
  return static_cast<uint32_t>(static_cast<double>(budget_ns) / relax_ns()) + 1;
}

// This thread's spin budget (see "Adaptive spinning").
thread_local int64_t tls_spin_budget_ns = kWaitSpinMaxNs;

void spin(int round) noexcept {
  for (int i = 0; i < (1 << round); ++i) arch::cpu_relax();
  tls_stats.spins += 1u << round;
}

// The semaphore nil-channel operations sleep on; nobody releases it.
Sema& never_released() {
  static Sema* s = new Sema(0);
  return *s;
}

// ---- wyrand (Wang Yi's 64-bit generator), per thread --------------------------
uint64_t rng_seed() noexcept {
  static std::atomic<uint64_t> counter{0};
  const uint64_t t = static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  const uint64_t c = counter.fetch_add(0x9E3779B97F4A7C15ull, std::memory_order_relaxed);
  return t ^ c ^ reinterpret_cast<uintptr_t>(&counter);
}
thread_local uint64_t tls_rng = 0;

}  // namespace

// ---- the channel lock ---------------------------------------------------------
void ChanCore::lock_slow() noexcept {
  static_assert(offsetof(ChanCore, buf_) + sizeof(unsigned char*) <= 64,
                "the hot fields share the first cache line");
  static_assert(offsetof(ChanCore, lock_sema_) == 64, "cold fields start the second line");
  ++tls_stats.lock_contended;
  if (usable_cpus() > 1) {
    for (int round = 0; round <= kLockSpinLimit; ++round) {
      spin(round);
      uint32_t expected = kUnlocked;
      if (lock_word_.load(std::memory_order_relaxed) == kUnlocked &&
          lock_word_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                             std::memory_order_relaxed)) {
        return;
      }
    }
  }
  // Mark "locked, maybe sleepers" and sleep until we swap it from free.
  while (lock_word_.exchange(kLockedSleepers, std::memory_order_acquire) != kUnlocked) {
    ++tls_stats.lock_parks;
    lock_sema_.acquire();
  }
  // We hold the lock with the word at kLockedSleepers, so our unlock() will
  // release one unit. Take back a unit released earlier that no sleeper has
  // consumed yet (its sleeper, if any, will be woken by our unlock instead).
  // Without this, every slow-path acquisition that found nobody else
  // waiting would leave a surplus unit behind, and surplus units would pile
  // up and make later sleepers loop through them before sleeping.
  lock_sema_.try_acquire();
}

// ---- waiting for a claim --------------------------------------------------------
bool wait_for_claim(Waiter& w, const Deadline* deadline) {
  ChanStats& st = tls_stats;
  ++st.blocked;
  bool expired = false;

  // Phase 1: spin for this thread's adaptive budget, watching for kDone.
  const bool multi_cpu = usable_cpus() > 1;
  if (multi_cpu) {
    const uint32_t limit = spins_for(tls_spin_budget_ns);
    uint32_t i = 0;
    for (; i < limit; ++i) {
      if (w.state.load(std::memory_order_acquire) & Waiter::kDone) {
        st.spins += i;
        ++st.spin_wakeups;
        tls_spin_budget_ns = std::min(2 * tls_spin_budget_ns, kWaitSpinMaxNs);
        return true;
      }
      if (deadline != nullptr && i % kDeadlineCheckEvery == 0 && Clock::now() >= *deadline) {
        expired = true;
        break;
      }
      arch::cpu_relax();
    }
    st.spins += i;
    tls_spin_budget_ns = std::max(tls_spin_budget_ns / 2, kWaitSpinMinNs);
  } else if (deadline != nullptr && Clock::now() >= *deadline) {
    expired = true;
  }

  uint32_t s = w.state.load(std::memory_order_acquire);
  if (expired) {
    // Cancel unless a claimer got there first (then it is finishing; wait
    // for it below, without a deadline).
    for (;;) {
      if (s & Waiter::kDone) return true;
      if (s & Waiter::kClaimed) {
        deadline = nullptr;
        break;
      }
      if (w.state.compare_exchange_weak(s, s | Waiter::kCancelled, std::memory_order_acquire,
                                        std::memory_order_acquire)) {
        ++st.timeouts;
        return false;
      }
    }
  }

  // Phase 2: announce kParked, then sleep. A claimer whose fetch_or(kDone)
  // sees kParked releases our parker; if kDone is already there we do not
  // sleep at all.
  for (;;) {
    if (s & Waiter::kDone) {
      ++st.late_wakeups;
      return true;
    }
    if (w.state.compare_exchange_weak(s, s | Waiter::kParked, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      break;
    }
  }
  ++st.parks;
  if (deadline == nullptr) {
    w.parker.acquire();
  } else if (!w.parker.acquire_until(*deadline)) {
    s = w.state.load(std::memory_order_relaxed);
    for (;;) {
      if (s & Waiter::kClaimed) {
        // Claimed before we could cancel: the claimer saw (or will see)
        // kParked and releases our Sema; wait for that unit (the claimer
        // is finishing its transfer).
        w.parker.acquire();
        break;
      }
      if (w.state.compare_exchange_weak(s, s | Waiter::kCancelled, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
        ++st.timeouts;
        return false;
      }
    }
  }
  // The unit came from the claimer's release after its fetch_or(kDone): the
  // Sema's acquire synchronizes with it. The load documents the invariant.
  return (w.state.load(std::memory_order_acquire) & Waiter::kDone) != 0;
}

// ---- blocking send / receive ------------------------------------------------------
bool ChanCore::block(WaitQueue& q, void* elem, bool is_send, const Deadline* deadline,
                     bool* success) {
  if (deadline != nullptr && Clock::now() >= *deadline) {
    unlock();
    return false;
  }
  Waiter w;
  Sudog sg;
  sg.waiter = &w;
  sg.elem = elem;
  sg.is_send = is_send;
  q.enqueue(&sg);
  unlock();

  if (wait_for_claim(w, deadline)) {
    *success = w.success;
    return true;
  }
  // Cancelled: nobody can claim us any more, but our Sudog may still be
  // linked (a dequeuer that met it would have dropped it).
  lock();
  if (sg.linked) q.remove(&sg);
  unlock();
  return false;
}

bool ChanCore::block_send(void* value, const Deadline* deadline) {
  bool success = false;
  if (!block(sendq_, value, true, deadline, &success)) return false;
  if (!success) throw_chan_panic(kSendOnClosedChannel);
  return true;
}

RecvStatus ChanCore::block_recv(void* out, const Deadline* deadline) {
  bool success = false;
  if (!block(recvq_, out, false, deadline, &success)) return RecvStatus::kWouldBlock;
  return success ? RecvStatus::kValue : RecvStatus::kClosed;
}

std::size_t ChanCore::waiting_receivers() noexcept {
  lock();
  const std::size_t n = recvq_.count();
  unlock();
  return n;
}

std::size_t ChanCore::waiting_senders() noexcept {
  lock();
  const std::size_t n = sendq_.count();
  unlock();
  return n;
}

// ---- close ----------------------------------------------------------------------
void ChanCore::close() {
  lock();
  if (closed_.load(std::memory_order_relaxed) != 0) {
    unlock();
    throw_chan_panic(kCloseOfClosedChannel);
  }
  closed_.store(1, std::memory_order_release);
  // Claim every queued operation with success = false: receivers return
  // "closed" (their destination stays empty), senders throw. Parked ones are
  // chained and released after unlocking (Go: glist, goready after unlock).
  Waiter* wake_list = nullptr;
  for (WaitQueue* q : {&recvq_, &sendq_}) {
    while (Sudog* sg = q->dequeue()) {
      if (Waiter* w = publish(sg, false)) {
        w->next_wake = wake_list;
        wake_list = w;
      }
    }
  }
  unlock();
  while (wake_list != nullptr) {
    Waiter* next = wake_list->next_wake;  // read before the release: then it may be gone
    wake(wake_list);
    wake_list = next;
  }
}

// ---- the rest -------------------------------------------------------------------
void block_forever() {
  for (;;) never_released().acquire();
}

void sleep_until(const Deadline& deadline) {
  while (Clock::now() < deadline) never_released().acquire_until(deadline);
}

void throw_chan_panic(const char* msg) { throw ChanPanic(msg); }

uint32_t uniform_below(uint32_t n) noexcept {
  uint64_t& s = tls_rng;
  if (s == 0) s = rng_seed() | 1;
  s += 0xA0761D6478BD642Full;
  const __uint128_t m = static_cast<__uint128_t>(s) * (s ^ 0xE7037ED1A0B428DBull);
  const uint64_t r = static_cast<uint64_t>(m >> 64) ^ static_cast<uint64_t>(m);
  return static_cast<uint32_t>((static_cast<uint64_t>(static_cast<uint32_t>(r)) * n) >> 32);
}

}  // namespace detail

ChanStats chan_thread_stats() noexcept { return detail::tls_stats; }
void reset_chan_thread_stats() noexcept { detail::tls_stats = ChanStats{}; }

}  // namespace syncscope
