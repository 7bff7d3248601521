// Slow paths of the channel core (see syncscope/chan_core.h for the design):
// the contended channel lock, waiting for a claim (adaptive spin, park),
// blocking send/receive, close, the per-thread stats and the select RNG.
#include <syncscope/chan_core.h>

#include <sched.h>

#include <syncscope/arch/atomic.h>
#include <syncscope/goroutine.h>
#include <syncscope/internal/cpus.h>
#include <syncscope/internal/scheduler.h>
#include <syncscope/internal/wait_registry.h>

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
// and the calibrated ceiling (below). A wait that ends while spinning
// doubles it. A wait that had to park compares the CPU it spun on (read
// just before parking) with the CPU its claimer ran on (Waiter::
// claimer_cpu): on another CPU, a longer spin might have caught the
// handoff, so the budget doubles; on the very CPU we spun on, the partner
// could not run while we spun (both threads share a core: an
// oversubscribed machine), so it halves. On dedicated cores the budget
// stays high and handoffs never sleep; on a shared core it sinks to the
// floor and the waiter parks almost at once, handing the core to its
// partner. (glibc's adaptive mutex and Go's canSpin make the same kind of
// bet.) Spinning is skipped entirely when the process may use only one CPU.
//
// The obvious wrong version, kept here because it was the first one: compare
// the claimer's CPU with the CPU the waiter runs on *after* waking. The
// kernel's wake-affine placement often moves the wakee to the waker's CPU,
// so after one unlucky park the two always look co-located, the budget
// sinks to the floor, every later handoff parks, and each park causes the
// next wake-affine move: a stable trap, which an unbuffered ping-pong
// falls into and never leaves.
//
// Calibration: the ceiling is twice the measured unpark latency (ski
// rental: spinning as long as what parking costs is never worse than twice
// the optimum), between kWaitSpinMinNs and kWaitSpinCapNs. The latency is
// sampled on every park that a claimer ended: the claimer stamps
// Waiter::wake_ns just before releasing the parker, the woken waiter reads
// the clock and folds now - wake_ns into a process-wide moving average
// (kUnparkEwmaShift). It starts at kUnparkInitialNs. The clock is read only
// on the park path, which costs microseconds anyway. Where an unpark is
// expensive (a futex wake plus, in a virtual machine, the wake-up of an idle
// virtual CPU), a parked partner makes the other side's spin run out too,
// so the two fall into a park/wake cascade: spinning a few microseconds
// longer is far cheaper than one such wake-up, and the calibrated ceiling
// lets the spin grow to that cost.
//
// No sched_yield() in any wait, on purpose (neither in a queued wait,
// wait_for_claim, nor before queueing, spin_until). The tempting version —
// past the longest backoff pause, yield the CPU a few times so that a
// runnable partner on this CPU may go first (crossbeam's Backoff::snooze)
// — was this file's until issue 11's second pass, and it is wrong here on
// both counts that matter:
//   * A yield that finds another runnable task hands it the CPU for its
//     slice, and the yielder gets it back by the scheduler's tick, not by a
//     wake-up: a thread that parks instead is woken by its partner through
//     the futex and preempts a low-priority neighbour at once (wake-up
//     preemption; a SCHED_IDLE task is preempted by any woken task). Under
//     EEVDF each yield also pushes the yielder's virtual deadline a slice
//     later, so even a nice-19 or SCHED_IDLE busy loop (the channels
//     suite's neighbour:busy) then holds the CPU for milliseconds per yield
//     (an A/B run of that suite's spsc/mpsc/select_rx cases with the
//     neighbour: several times slower per message with two yields per
//     wait than with none).
//   * A yield that finds nothing else runnable still costs a system call
//     (microseconds in a paravirtualized guest: more than a hand-off).
// So a wait spins on cache lines (bounded by the adaptive budget below),
// then parks; the partner that completes it wakes it.
//
// Spin/park policy of a buffered channel's wait, and why it does not fall
// into a park per message when a low-priority process shares the CPUs:
//   1. Spin before queueing (spin_until_ready) for the thread's adaptive
//      budget (above: grows while spins pay off, bounded by twice the
//      measured unpark latency, i.e. by what a hand-off through a park
//      costs), until a batch of slots / values is there (see "Batching"
//      below: caps >= 4 poll the batch's last slot, caps 1-3 head_/tail_
//      with exponential backoff).
//   2. Then queue (partners now serve us), re-check, and spin on
//      the Waiter's own line (wait_for_claim, the same budget): a partner
//      that frees a slot / sends a value claims us with one CAS and no
//      futex call while we spin, and we never left the CPU.
//   3. Only then park. A parked thread is woken by exactly one partner,
//      and only with its operation done (the partner moved its value: see
//      "Hand-off" in chan_core.h), or to retry when a newcomer won the
//      race or the channel closed; a partner that finds only stale Sudogs
//      wakes nobody.
// Parking hands the CPU to whatever else is runnable, a low-priority
// neighbour included, and the wake-up preempts it again; so the policy
// keeps a blocked thread on its CPU for as long as a hand-off through a
// park would cost anyway, and no longer.
//
// Batching (issue 11, Chan on threads at caps >= 16): a buffered wait's
// spin before queueing (step 1) does not retry at the first free slot /
// value but waits for a batch of them: ring_batch_target(cap) = cap/2,
// between 1 and kRingBatchMax (chan_core.h). Without it, a producer faster
// than its consumer keeps the ring full and the two run in lockstep: each
// receive frees one slot, the producer refills it at once, and every
// message moves the slot's line (4 slots of 16 bytes share one) between
// the two cores while both touch the same end of the ring. With the
// batch, the consumer drains half a ring undisturbed while the producer
// waits, then the producer refills half a ring on lines the consumer has
// left: the two work a half-ring apart, as a thread switch makes Go's
// goroutines work in batches on one P.
//
// What the spinner reads while it waits matters as much as when it stops,
// because on two cores every line it reads that the partner writes costs
// the partner a miss. A cross-core transfer of a line costs ~230 ns on the
// 2-vCPU development guest (one-way hand-off of a line between two
// spinning threads, measured at load 2-6), several times the whole message at cap 16; the ring
// positions are the worst lines to read: the partner CASes its position at
// every operation, and a locked CAS on a line another core has read also
// waits for its invalidation. So the batch wait (caps >= 4; the analogue,
// for Vyukov's per-slot stamps, of the cached indices of rigtorp's
// SPSCQueue and folly's ProducerConsumerQueue, which read the other side's
// index only when their cached copy says full / empty):
//   * remembers where it started (ring_wait_start: the position its own
//     operation found full / empty, its own side's line) and polls the
//     stamp of the batch's last slot (ring_batch_ready), one spin hint
//     apart: a line the partner writes once, when it gets there;
//   * polls closed_ (the first line, which nobody writes until close) for
//     a close, at every poll;
//   * reads the room (ring_room: head_ and tail_) only every
//     kRingRoomEvery-th poll, for the partner that paused with a smaller
//     batch: it retries once the room stopped growing between two such
//     reads (ring_spin_done) or its budget runs out with some room (it
//     does not queue then), so a partner that frees one slot and stops
//     still lets the send complete about 2 x kRingRoomEvery hints later.
// And the lock-free try itself (send_nb / recv_nb) does not wait on a slot
// whose partner operation is in flight (its CAS done, its stamp not yet
// stored: the slot the partner is writing right now): it answers "would
// block" (chan_buffered.h, reserve_tail / reserve_head) and the batch wait
// takes over; the locked paths, and a receive after close(), still wait
// for it. (Measured when this was written, on that guest, ns per message,
// before -> after, medians of alternating rounds: with the suite's threads
// at SCHED_FIFO so that the others' builds did not preempt them, 6 rounds
// at load 10-12: spsc cap 16 154 -> 45, mpsc 3->1 cap 16 100 -> 52,
// spsc / mpsc 3->1 cap 1024 38 / 47 -> 25 / 26; normally scheduled, 5
// rounds at load 3.5-6: spsc cap 16 148 -> 70, mpsc 3->1 cap 16
// 195 -> 116, spsc cap 1024 91 -> 40.)
// The first version of this rule polled ring_room() with backoff pauses
// of ~target/2 partner operations, and retried when the room stopped
// growing between two polls: right for when to stop, but each poll read
// both positions, and at cap 16 it was no faster than no batch at all.
//
// Queued waiters are unaffected (hand-off order, the handshake and the
// park/wake protocol are untouched): the batch only decides when a thread
// that has not queued yet polls the ring again. A goroutine does not spin
// (it queues and parks at once), and caps 1-3 (target 1) keep the plain
// rule and backoff of spin_until.
//
// The slot layout is part of this rule, and the tempting "fix" for the
// false sharing between the producer's slot and the consumer's is wrong:
// the batch works because 4 slots share a line, so a line crosses between
// the cores once per 4 messages of a batch. Giving each slot a line of its
// own (slot stride 64), or striding consecutive positions over different
// lines (position i in line i % (cap/4)), makes every message move its
// own line, twice: both took 2.8-3.1x the packed layout's ns per message
// at cap 16 (spsc, mpsc 3->1 / 4->1, prodcons; select_rx 1.1x / 1.5x).
// Batches larger than half a ring are wrong the other way: the partner
// idles while the batch fills (3/4 of the ring: 1.6-1.9x; the whole ring:
// 2.5-2.6x, both sides waiting for each other). Ending the batch at a
// line boundary (the batch's last slot moved to the end of its line, or
// back to the end of the previous one) measured 1.0-1.1x, no better.
// (Issue 11, thr3: each variant chosen at run time in one binary, so the
// code placement was the same; threads at SCHED_FIFO against builds at
// load 3-9, 5 alternating rounds of 3 repetitions each.)
//
// What no batch or layout can do (issue 11, thr4): when the process gets
// at most one CPU's time (the other CPU busy with another process:
// cpu_ns_per_msg <= ns_per_msg in the suite's rows), its threads cannot
// run side by side, and each ring's worth of messages costs a park on
// each side: the producer fills the ring and parks, the consumer drains
// it and parks (parks_per_msg about 2/cap, 0.13-0.18 at cap 16, both
// sides alike). Each park is a futex wait, a wake and, on a loaded
// machine, a wait for the CPU: 7-15 us, of which the spin before parking
// (twice the budget's floor) is about 2. Spinning less did not help: a
// floor of 100 ns instead of kWaitSpinMinNs parked more often (mpsc and
// select_rx 1.05-1.34x the time; spsc 0.42x, but most of its runs found
// both CPUs and did not park at all). Go's goroutines hand off on one P in
// user space and never need a second CPU. The waits on a slot in flight
// (a partner preempted between its CAS and its stamp store; see
// ChanStats::in_flight_left, ring_yields, ring_yield_ns) were 0-150 ns
// per message in those runs against 1-5 us, so neither a group stamp
// (FastForward / B-Queue) nor another in-flight rule would close that
// gap. Given both CPUs (the threads at SCHED_FIFO) the same rows park
// about never. (Issue 11, thr4: 5 alternating rounds each way, load
// 6-19.)
constexpr int64_t kWaitSpinMinNs = 1000;
constexpr int64_t kWaitSpinCapNs = 100000;
constexpr int64_t kUnparkInitialNs = 25000;
constexpr int kUnparkEwmaShift = 3;  // each sample moves the average by 1/8
// With a deadline, the clock is read once per this many spin hints.
constexpr uint32_t kDeadlineCheckEvery = 64;
// The channel lock: a contended locker polls the lock word with
// exponential backoff (Backoff below) for up to kLockSpinNs — the holder's
// critical section is a few dozen instructions — then sleeps on the lock's
// Sema.
constexpr int64_t kLockSpinNs = 4000;

thread_local ChanStats tls_stats;

// True while the blocking-bug detector watches parks: a goroutine then parks
// on its Waiter's Sema, whose hooks tell the detector what it waits for.
bool detector_watching() noexcept {
#if SYNCSCOPE_WAIT_REGISTRY
  return internal::waitreg::on();
#else
  return false;
#endif
}

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

// Exponential backoff between polls of a shared word (crossbeam's
// Backoff::spin): after poll k, wait 2^min(k, kBackoffMaxStep) spin hints.
// Polling a cache line that another core is writing pulls it away from that
// core each time; polling it less and less often lets a producer that is
// busy on the line (the lock word, the positions) work undisturbed, so
// values pile up and are then taken in a run, while the first polls still
// come quickly after a short wait. Past the longest pause it keeps pausing
// (no yield: see "No sched_yield()" above). The spinning locks' SpinWait
// (spin_lock.h) has a spin-then-yield shape with a fixed 256-hint budget;
// this one keeps the exponential pauses and the time accounting
// spin_until's budget needs.
constexpr uint32_t kBackoffMaxStep = 6;
// spin_until_ready's batch wait reads the room (head_ and tail_, the lines
// the partner writes at every operation) only every this many polls (a
// poll is one spin hint, ~20 ns on the development guest: ~1.3 us); the
// polls between read the batch's last slot (ring_batch_ready).
constexpr uint32_t kRingRoomEvery = 64;
// Back-to-back polls of the Waiter's own state before the first spin hint.
constexpr uint32_t kTightPolls = 16;

class Backoff {
 public:
  Backoff() = default;
  Backoff(uint32_t first_step, uint32_t max_step) noexcept
      : step_(first_step), max_step_(max_step) {}
  // Waits before the next poll; returns the spin hints used. (Not polling
  // back to back first: the tight polls would pull the line away from its
  // writer just when it is busiest.)
  uint32_t snooze() noexcept {
    const uint32_t n = 1u << (step_ < max_step_ ? step_ : max_step_);
    for (uint32_t i = 0; i < n; ++i) arch::cpu_relax();
    ++step_;
    return n;
  }

 private:
  uint32_t step_ = 0;
  uint32_t max_step_ = kBackoffMaxStep;
};

// The moving average of the unpark latency (see "Calibration"). Any thread
// that was woken from a park writes it (relaxed load and store: a lost
// update only drops one sample); spinners read it relaxed.
std::atomic<int64_t> g_unpark_ns{kUnparkInitialNs};

int64_t spin_ceiling_ns() noexcept {
  return std::clamp<int64_t>(2 * g_unpark_ns.load(std::memory_order_relaxed), kWaitSpinMinNs,
                             kWaitSpinCapNs);
}

void record_unpark_latency(int64_t wake_ns) noexcept {
  const int64_t sample = Clock::now().time_since_epoch().count() - wake_ns;
  if (sample <= 0) return;
  const int64_t avg = g_unpark_ns.load(std::memory_order_relaxed);
  g_unpark_ns.store(avg + ((sample - avg) >> kUnparkEwmaShift), std::memory_order_relaxed);
}

// This thread's spin budget (see "Adaptive spinning"); a fresh thread
// starts at the ceiling.
thread_local int64_t tls_spin_budget_ns = 0;

int64_t spin_budget_ns() noexcept {
  const int64_t ceiling = spin_ceiling_ns();
  if (tls_spin_budget_ns == 0 || tls_spin_budget_ns > ceiling) tls_spin_budget_ns = ceiling;
  return tls_spin_budget_ns;
}
void spin_paid_off() noexcept {
  tls_spin_budget_ns = std::min(2 * spin_budget_ns(), spin_ceiling_ns());
}
void spin_was_futile() noexcept {
  tls_spin_budget_ns = std::max(spin_budget_ns() / 2, kWaitSpinMinNs);
}
// prespin_won(st, spun): the bookkeeping of a spin before queueing that
// saw its operation ready after `spun` hints (spin_until, and both waits of
// spin_until_ready): the hints, the win, and the adaptive budget's verdict
// (the spin paid off). Returns true, the spinner's answer.
bool prespin_won(ChanStats& st, uint32_t spun) noexcept {
  st.spins += spun;
  ++st.prespin_wins;
  spin_paid_off();
  return true;
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
                "the fields every operation reads share the first cache line");
  static_assert(offsetof(ChanCore, head_) == 64 && offsetof(ChanCore, tail_) == 128,
                "head_ and tail_ have a cache line each");
  static_assert(offsetof(ChanCore, lock_sema_) == 192, "cold fields follow the positions");
  ++tls_stats.lock_contended;
  if (usable_cpus() > 1) {
    const uint32_t limit = spins_for(kLockSpinNs);
    Backoff backoff;
    for (uint32_t spun = 0; spun < limit;) {
      spun += backoff.snooze();
      uint32_t expected = kUnlocked;
      if (lock_word_.load(std::memory_order_relaxed) == kUnlocked &&
          lock_word_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                             std::memory_order_relaxed)) {
        tls_stats.spins += spun;
        return;
      }
    }
    tls_stats.spins += limit;
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
// This thread's stats, looked up afresh: a goroutine that parked may have
// resumed on another thread (noipa: no thread-local address kept across).
__attribute__((noipa)) ChanStats& stats_now() noexcept { return tls_stats; }

bool wait_for_claim(Waiter& w, const Deadline* deadline, bool spin) {
  ChanStats& st = tls_stats;
  ++st.blocked;
  bool expired = false;
  // On a goroutine the wait parks it in user space and its P runs the
  // partner, so spinning would only delay that partner (Go's chan does not
  // spin either); the spin budget and the unpark-latency calibration stay
  // the threads' own.
  internal::G* const self = internal::parkable_goroutine();
  const bool on_goroutine = self != nullptr;
  if (on_goroutine) spin = false;

  // Phase 1: spin for this thread's adaptive budget, watching for kDone.
  if (spin && usable_cpus() > 1) {
    const uint32_t limit = spins_for(spin_budget_ns());
    // First a few back-to-back polls (a handoff often lands within them),
    // then one poll per spin hint. The line polled is the Waiter's own: no
    // other core reads it, so polling it often disturbs nobody.
    for (uint32_t k = 0; k < kTightPolls; ++k) {
      if (w.state.load(std::memory_order_acquire) & Waiter::kDone) {
        ++st.spin_wakeups;
        spin_paid_off();
        return true;
      }
    }
    uint32_t i = 0;
    for (; i < limit; ++i) {
      if (w.state.load(std::memory_order_acquire) & Waiter::kDone) {
        st.spins += i;
        ++st.spin_wakeups;
        spin_paid_off();
        return true;
      }
      if (deadline != nullptr && i % kDeadlineCheckEvery == 0 && Clock::now() >= *deadline) {
        expired = true;
        break;
      }
      arch::cpu_relax();
    }
    st.spins += i;
  } else if (deadline != nullptr && Clock::now() >= *deadline) {
    expired = true;
  }

  uint32_t s = w.state.load(std::memory_order_acquire);
  if (expired) {
    // Cancel unless a claimer got there first (then it is finishing; wait
    // for it below, without a deadline).
    for (;;) {
      if (s & Waiter::kDone) {
        ++st.late_wakeups;  // completed between the last poll and the expiry check
        return true;
      }
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
  // sees kParked releases our parker (a goroutine: sets `woken` and readies
  // it); if kDone is already there we do not sleep at all.
  const int32_t spun_on = on_goroutine ? -1 : current_cpu();  // see "Adaptive spinning"
  if (on_goroutine && !detector_watching()) w.g = self;
  // Sleeps until the claimer's wake (true) or the deadline (false).
  auto sleep = [&w](const Deadline* until) -> bool {
    if (w.g == nullptr) {
      if (until == nullptr) {
        w.parker.acquire();
        return true;
      }
      return w.parker.acquire_until(*until);
    }
    while (w.woken.load(std::memory_order_acquire) == 0) {
      if (!internal::goroutine_wait(w.g, &w.woken, 0, until)) {
        return w.woken.load(std::memory_order_acquire) != 0;
      }
    }
    return true;
  };
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
    sleep(nullptr);
  } else if (!sleep(deadline)) {
    ChanStats& st_now = stats_now();
    s = w.state.load(std::memory_order_relaxed);
    for (;;) {
      if (s & Waiter::kClaimed) {
        // Claimed before we could cancel: the claimer saw (or will see)
        // kParked and releases our Sema; wait for that unit (the claimer
        // is finishing its transfer).
        sleep(nullptr);
        break;
      }
      if (w.state.compare_exchange_weak(s, s | Waiter::kCancelled, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
        ++st_now.timeouts;
        return false;
      }
    }
  }
  // The unit came from the claimer's release after its fetch_or(kDone): the
  // Sema's acquire synchronizes with it, so wake_ns and claimer_cpu are
  // visible.
  const bool done = (w.state.load(std::memory_order_acquire) & Waiter::kDone) != 0;
  if (on_goroutine) return done;
  record_unpark_latency(w.wake_ns);
  // Learn from where the claimer ran (see "Adaptive spinning").
  if (w.claimer_cpu >= 0 && w.claimer_cpu == spun_on) {
    spin_was_futile();
  } else {
    spin_paid_off();
  }
  return done;
}

// The claimer's half of a goroutine's park (see Waiter::g): Go's goready
// after send()/recv() copied the value into the sudog. g is read before the
// store: from the store on, the waiter may return and its frame be gone.
// goroutine_wake puts g in this P's runnext (or leaves a permit if g has
// not switched out yet); a stray permit is absorbed by the waiter's loop.
void wake_goroutine(Waiter* w) noexcept {
  internal::G* g = w->g;
  w->woken.store(1, std::memory_order_release);
  internal::goroutine_wake_chan_handoff(g);  // may defer the idle-M wake (see its manual)
}

// ---- blocking send / receive ------------------------------------------------------
bool ChanCore::block(WaitQueue& q, Waiter& w, Sudog& sg, const Deadline* deadline, bool spin,
                     bool* success) {
  if (deadline != nullptr && Clock::now() >= *deadline) {
    unlock();
    return false;
  }
  sg.waiter = &w;
  // A goroutine waiter never spins, so it never reads claimer_cpu: its
  // claimer need not ask the kernel where it runs (see publish()).
  if (internal::parkable_goroutine() != nullptr) w.claimer_cpu = Waiter::kCpuNotWanted;
  q.enqueue(&sg);
  unlock();

  if (wait_for_claim(w, deadline, spin)) {
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

// ---- buffered channels: len, wait -----------------------------------------------
uint32_t ChanCore::len() const noexcept {
  if (cap_ == 0) return 0;
  for (;;) {
    // tail_ twice around head_: a pair taken while no send moved tail_.
    const uint64_t tail = tail_.load(std::memory_order_seq_cst);
    const uint64_t head = head_.load(std::memory_order_seq_cst);
    if (tail_.load(std::memory_order_seq_cst) != tail) continue;
    const uint64_t hix = head & (mark_bit_ - 1);
    const uint64_t tix = tail & (mark_bit_ - 1);
    if (hix < tix) return static_cast<uint32_t>(tix - hix);
    if (hix > tix) return static_cast<uint32_t>(cap_ - hix + tix);
    return (tail & ~mark_bit_) == head ? 0 : cap_;
  }
}

void ring_snooze(uint32_t& step) noexcept {
  // Short exponential pauses first (the other thread is a few instructions
  // from its stamp store), then yield: it may have been preempted there.
  ChanStats& st = tls_stats;
  ++st.ring_snoozes;
  if (step <= kBackoffMaxStep) {
    for (uint32_t i = 0; i < (1u << step); ++i) arch::cpu_relax();
    preempt_point();  // goroutine safe point (goroutine.h, "Preemption")
    ++step;
  } else {
    // The clock only here: a yield costs a system call anyway.
    const Clock::time_point t0 = Clock::now();
    sched_yield();
    ++st.ring_yields;
    st.ring_yield_ns += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
  }
}

namespace {
// The last operation in flight this thread's lock-free try left to the batch
// wait (first_in_flight_meeting); plain thread-local data.
struct InFlightMeeting {
  const void* ch = nullptr;
  uint64_t pos = 0;
};
thread_local InFlightMeeting tls_in_flight;
}  // namespace

bool first_in_flight_meeting(const void* ch, uint64_t pos) noexcept {
  InFlightMeeting& m = tls_in_flight;
  if (m.ch == ch && m.pos == pos) return false;
  ++tls_stats.in_flight_left;
  m.ch = ch;
  m.pos = pos;
  return true;
}

ChanCore::RingWait ChanCore::wait_ring(bool for_send, void* elem, const Deadline* deadline) {
  if (for_send) {
    SYNCSCOPE_WAITREG_NOTE(this, What::kChanSend);  // detector hook
    return wait_ring_queued(sendq_, true, elem, deadline);
  }
  SYNCSCOPE_WAITREG_NOTE(this, What::kChanRecv);  // detector hook
  return wait_ring_queued(recvq_, false, elem, deadline);
}

ChanCore::RingWait ChanCore::wait_ring_queued(WaitQueue& q, bool for_send, void* elem,
                                              const Deadline* deadline) {
  if (deadline != nullptr && Clock::now() >= *deadline) return RingWait::kTimedOut;
  Waiter w;
  Sudog sg;
  sg.waiter = &w;
  sg.elem = elem;
  sg.is_send = for_send;
  // As in block(): a goroutine waiter's claimer need not ask where it runs.
  if (internal::parkable_goroutine() != nullptr) w.claimer_cpu = Waiter::kCpuNotWanted;
  lock();
  q.enqueue(&sg);  // the announcement: a seq_cst store (see "No lost wake-up")
  if (ring_ready(for_send, std::memory_order_seq_cst)) {
    // Room / a value came (or the close) between our try and the enqueue.
    // Nobody can have claimed sg: claimers of a buffered channel's Sudogs
    // hold this lock.
    q.remove(&sg);
    unlock();
    return RingWait::kRetry;
  }
  unlock();
  // Spin on our own Waiter before parking (step 2 of "Spin/park policy").
  if (wait_for_claim(w, deadline, /*spin=*/true)) {
    return w.success ? RingWait::kTransferred : RingWait::kRetry;
  }
  // Deadline: cancelled, so unclaimable; unlink it if no dequeuer dropped it.
  lock();
  if (sg.linked) q.remove(&sg);
  unlock();
  return RingWait::kTimedOut;
}

bool ChanCore::block_send(Waiter& w, Sudog& sg, const Deadline* deadline, bool spin) {
  bool success = false;
  sg.is_send = true;
  SYNCSCOPE_WAITREG_NOTE(this, What::kChanSend);  // detector hook
  if (!block(sendq_, w, sg, deadline, spin, &success)) return false;
  if (!success) throw_chan_panic(kSendOnClosedChannel);
  return true;
}

RecvStatus ChanCore::block_recv(Waiter& w, Sudog& sg, const Deadline* deadline, bool spin) {
  bool success = false;
  sg.is_send = false;
  SYNCSCOPE_WAITREG_NOTE(this, What::kChanRecv);  // detector hook
  if (!block(recvq_, w, sg, deadline, spin, &success)) return RecvStatus::kWouldBlock;
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

bool spin_until(bool (*ready)(const void*), const void* ctx, const Deadline* deadline) noexcept {
  // A goroutine does not spin before queueing (see wait_for_claim).
  if (usable_cpus() <= 1 || internal::parkable_goroutine() != nullptr) return false;
  ChanStats& st = tls_stats;
  const uint32_t limit = spins_for(spin_budget_ns());
  Backoff backoff;
  for (uint32_t spun = 0; spun < limit;) {
    if (ready(ctx)) return prespin_won(st, spun);
    if (deadline != nullptr && Clock::now() >= *deadline) {
      st.spins += spun;
      return false;
    }
    spun += backoff.snooze();
    preempt_point();  // goroutine safe point, no lock held (goroutine.h, "Preemption")
  }
  // No verdict yet: the wait that follows learns where its claimer ran.
  st.spins += limit;
  return false;
}

bool ChanCore::spin_until_ready(bool for_send, const Deadline* deadline) noexcept {
  // As spin_until, with the batching rule (see "Batching" above).
  if (usable_cpus() <= 1 || internal::parkable_goroutine() != nullptr) return false;
  ChanStats& st = tls_stats;
  const uint32_t limit = spins_for(spin_budget_ns());
  const uint32_t target = ring_batch_target(cap_);
  uint32_t prev = 0;
  uint32_t room = 0;
  if (target == 1) {
    // Caps 1-3: spin_until's backoff, the room read at every poll.
    Backoff backoff;
    for (uint32_t spun = 0; spun < limit;) {
      room = ring_room(for_send);
      if (ring_spin_done(room, prev, 1)) return prespin_won(st, spun);
      prev = room;
      if (deadline != nullptr && Clock::now() >= *deadline) {
        st.spins += spun;
        return false;
      }
      spun += backoff.snooze();
    }
    st.spins += limit;
    return false;
  }
  // The batch wait: the batch's last slot at every poll (a line the
  // partner writes once, when it gets there), closed_ at every poll (a
  // line nobody writes until close), the room (head_ and tail_, which
  // the partner writes at every operation) only every kRingRoomEvery-th.
  const uint64_t start = ring_wait_start(for_send);
  if (ring_position_marked(start)) return true;  // closed: the retry reports it
  for (uint32_t spun = 0, poll = 1; spun < limit; ++poll) {
    arch::cpu_relax();
    ++spun;
    if (ring_batch_ready(for_send, start, target)) {
      ++st.batch_slot_wins;
      return prespin_won(st, spun);
    }
    if (closed_.load(std::memory_order_relaxed) != 0) {
      st.spins += spun;
      return true;
    }
    if (poll % kRingRoomEvery == 0) {
      room = ring_room(for_send);
      if (ring_spin_done(room, prev, target)) return prespin_won(st, spun);
      prev = room;
      if (deadline != nullptr && Clock::now() >= *deadline) {
        st.spins += spun;
        return room > 0;
      }
    }
  }
  st.spins += limit;
  // Out of budget with some room: retry rather than queue (a queued waiter
  // would be served at once anyway, through the lock).
  if (ring_room(for_send) > 0) return true;
  // No verdict yet: the wait that follows learns where its claimer ran.
  return false;
}

// ---- close ----------------------------------------------------------------------
void ChanCore::close() {
  // Pinned (see "Lifetime"): the mark and closed_ are visible to lock-free
  // receivers before this thread unlocks, and a receiver that returns
  // "closed" may drop the last handle at once.
  const bool was_closed = pinned_locked([this](Handoffs* woken) {
    if (closed_.load(std::memory_order_relaxed) != 0) return true;
    // Buffered: the mark first, so that no send reserves a slot from now on
    // (its CAS on tail_ fails); a waiter that queues after this lock
    // re-checks the ring and sees it.
    if (cap_ != 0) tail_.fetch_or(mark_bit_, std::memory_order_seq_cst);
    closed_.store(1, std::memory_order_release);
    // Claim every queued operation with success = false: receivers return
    // "closed" (their destination stays empty), senders throw (on a
    // buffered channel both retry instead, and their retry finds the
    // mark). Published and woken after unlocking (Go: glist, goready after
    // unlock).
    for (WaitQueue* q : {&recvq_, &sendq_}) {
      while (Sudog* sg = q->dequeue()) woken->add(sg, false);
    }
    return false;
  });
  if (was_closed) throw_chan_panic(kCloseOfClosedChannel);
}

// ---- the rest -------------------------------------------------------------------
void block_forever() {
  SYNCSCOPE_WAITREG_NOTE(nullptr, What::kNilChan);  // detector hook
  for (;;) never_released().acquire();
}

void sleep_until(const Deadline& deadline) {
  while (Clock::now() < deadline) never_released().acquire_until(deadline);
}

void throw_chan_panic(const char* msg) { throw ChanPanic(msg); }

int32_t current_cpu() noexcept { return sched_getcpu(); }

uint64_t random_u64() noexcept {
  uint64_t& s = tls_rng;
  if (s == 0) s = rng_seed() | 1;
  s += 0xA0761D6478BD642Full;
  const __uint128_t m = static_cast<__uint128_t>(s) * (s ^ 0xE7037ED1A0B428DBull);
  return static_cast<uint64_t>(m >> 64) ^ static_cast<uint64_t>(m);
}

void seed_thread_random(uint64_t s) noexcept { tls_rng = s != 0 ? s : 0x9E3779B97F4A7C15ull; }

uint32_t uniform_below(uint32_t n) noexcept {
  const uint64_t r = random_u64();
  return static_cast<uint32_t>((static_cast<uint64_t>(static_cast<uint32_t>(r)) * n) >> 32);
}

}  // namespace detail

ChanStats chan_thread_stats() noexcept { return detail::tls_stats; }
void reset_chan_thread_stats() noexcept { detail::tls_stats = ChanStats{}; }

}  // namespace syncscope
