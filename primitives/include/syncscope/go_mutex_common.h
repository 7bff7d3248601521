// syncscope/go_mutex_common.h — pieces shared by the Go mutex family
// (GoMutex2008, GoMutex2012, GoMutex2015, GoMutex, GoRWMutex).
//
// This file offers:
//   go_fatal(msg)            Go's fatal error: "fatal error: <msg>" on stderr,
//                            then the process aborts (not catchable, like Go's
//                            throw/fatal, unlike a panic).
//   GoSpinPolicy             Go's runtime_canSpin / runtime_doSpin, for threads
//                            and for goroutines (then with the runtime's state).
//   GoMutexStats             counters of an instrumented mutex.
//   ModeSwitchEvent,
//   ModeSwitchTimeline       the timestamped starvation-mode switches of an
//                            instrumented GoMutex, oldest first.
//   detail::MutexStatsRecorder / detail::NoMutexStats
//                            the storage behind stats(): the recorder when a
//                            mutex is instrumented, an empty type (no bytes,
//                            no code) when it is not.
//   detail::PlainMutexLayout the layout (state word + Sema) the
//                            non-instrumented mutexes static_assert to match.
//   detail::GoMutexFastPath<Design, kWaiterShift, kInstrumented>
//                            what the designs since 2012 (GoMutex2012,
//                            GoMutex2015, GoMutex) share: the state word's
//                            low bits, the members, lock()/unlock()'s fast
//                            paths, stats(), and the slow-path pieces they
//                            have in common (a spin round, the normal-mode
//                            wake-up).
//
// Messages used by the family (Go's exact texts):
//   kUnlockOfUnlockedMutex   "sync: unlock of unlocked mutex"
//   kInconsistentMutexState  "sync: inconsistent mutex state"
//
// Memory ordering: the recorder's counters are relaxed atomics — they count,
// they order nothing, and they never take a lock or allocate, so recording
// inside a measured lock does not add a synchronization of its own. A
// stats() snapshot read while other threads record is a set of individually
// exact counters taken at slightly different instants.

#ifndef SYNCSCOPE_GO_MUTEX_COMMON_H_
#define SYNCSCOPE_GO_MUTEX_COMMON_H_

#include <syncscope/goroutine.h>
#include <syncscope/internal/cpus.h>
#include <syncscope/internal/scheduler.h>
#include <syncscope/internal/sema.h>
#include <syncscope/internal/wait_registry.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace syncscope {

inline constexpr const char* kUnlockOfUnlockedMutex = "sync: unlock of unlocked mutex";
inline constexpr const char* kInconsistentMutexState = "sync: inconsistent mutex state";

// go_fatal(msg): writes "fatal error: " msg "\n" to stderr with one write(2)
// (no allocation, no locks: it is safe from any state) and calls
// std::abort(). Go's fatal errors cannot be recovered, so neither can this.
[[noreturn]] void go_fatal(const char* msg) noexcept;

// Go's active-spinning policy for sync.Mutex (runtime/proc.go,
// sync_runtime_canSpin / sync_runtime_doSpin), for threads and goroutines.
struct GoSpinPolicy {
  // Go's active_spin: at most this many spin rounds per lock attempt.
  static constexpr int kActiveSpin = 4;
  // Go's active_spin_cnt: cpu-relax instructions per round (procyield(30)).
  static constexpr int kActiveSpinCount = 30;

  // can_spin(iter): whether the caller may do spin round `iter` (0-based)
  // before it queues. Go's sync_runtime_canSpin: spin only if fewer than
  // kActiveSpin rounds were done and the machine is a multicore (spinning
  // on one CPU can never see the owner release; the CPU count is
  // syncscope::usable_cpus(), internal/cpus.h: the process's mask, read
  // once at load), and then:
  //   * on a goroutine of syncscope's runtime (syncscope/goroutine.h), Go's
  //     two runtime conditions, read from the scheduler
  //     (internal::spin_view()): another P is running — GOMAXPROCS >
  //     idle P's + spinning M's + 1 — so that the owner may be running and
  //     release while we spin; and the caller's own P has nothing queued
  //     (runnext and local run queue empty). The second matters most:
  //     "sync.Mutex is cooperative" (Go's comment). A goroutine that this
  //     lock's unlock readied sits in the unlocker's runnext, and the only
  //     way it runs is that the goroutine on that P blocks. If that
  //     goroutine spun and won instead, it would not block, and the
  //     readied waiter would wait until the winner's time slice ends
  //     (preempt_point(), below; Go's sysmon preempts after 10 ms). Refused,
  //     the caller queues and parks, its P runs the readied waiter, and a
  //     waiter kept out over 1 ms switches the mutex to starvation mode as
  //     in Go.
  //   * on a plain thread (or a goroutine inside a SyscallGuard, which
  //     blocks its thread) there is no cheap equivalent of either condition:
  //     the OS runs the owner if it is runnable, and a woken thread does not
  //     wait for the spinner's CPU. Only the first two conditions apply.
  static bool can_spin(int iter) noexcept {
    return iter < kActiveSpin && usable_cpus() > 1 && runtime_permits_spin();
  }
  // Go's runtime conditions applied to a snapshot of the scheduler: true
  // when `v` is not a goroutine's view (v.on_p false: a thread), else
  // v.procs > v.idle_procs + v.spinning_ms + 1 && v.local_runq_empty.
  static bool runtime_permits(const internal::SpinView& v) noexcept {
    if (!v.on_p) return true;
    return v.procs > v.idle_procs + v.spinning_ms + 1 && v.local_runq_empty;
  }
  // do_spin(): kActiveSpinCount spin-wait hints (syncscope::arch::cpu_relax),
  // then a safe point (syncscope::preempt_point()).
  static void do_spin() noexcept;

 private:
  // runtime_permits(internal::spin_view()), outlined: the slow path's only
  // call into the scheduler (a thread-local load on a plain thread).
  static bool runtime_permits_spin() noexcept;
};

// Preemption on goroutines: the slow paths of GoMutex and GoMutex2015 (so
// GoRWMutex's writers) begin with syncscope::preempt_point() — the prologue
// of Go's lockSlow, where a goroutine that Go's sysmon marked yields — and
// do_spin() ends each spin round with one. The runtime's monitor marks a
// goroutine that has run 10 ms without its P switching (goroutine.h,
// "Preemption"). Without it, two goroutines that keep winning the lock on
// two P's never block, and the goroutines the unlocks readied into those
// P's runnext slots, or that wait in the global queue, never run: with 4
// goroutines on 2 P's, two of them got next to no acquisitions, where Go's
// preempted goroutines share evenly. A yield is not a park: nothing about
// the mutex's state changes (a spinner that set kWoken keeps it while it
// waits in the run queue, as a Go spinner preempted there does).

// Counters of an instrumented mutex. All are totals since construction or
// the last reset_stats().
struct GoMutexStats {
  uint64_t spins = 0;               // spin rounds (do_spin calls) in lock()
  uint64_t parks = 0;               // times a locker slept on the semaphore
  uint64_t barges = 0;              // acquisitions by a thread that had not
                                    // parked in this lock() call, while
                                    // waiters were registered or another
                                    // thread was woken (incl. try_lock)
  uint64_t handoffs = 0;            // unlocks that handed ownership directly
                                    // to the head waiter (starvation mode)
  uint64_t starvation_entries = 0;  // normal -> starvation switches
  uint64_t starvation_exits = 0;    // starvation -> normal switches
  uint64_t mode_switches = 0;       // starvation_entries + starvation_exits
};

// One switch between normal and starvation mode.
struct ModeSwitchEvent {
  int64_t steady_ns = 0;            // std::chrono::steady_clock, ns since its epoch
  bool entered_starvation = false;  // true: normal -> starvation; false: back
};

// Capacity of the mode-switch ring of each instrumented mutex (entries are
// preallocated inside the mutex; older ones are overwritten).
inline constexpr std::size_t kModeSwitchRingCapacity = 256;

// A copy of the ring: events[0 .. size) oldest first; `dropped` counts the
// older events the ring had already overwritten.
struct ModeSwitchTimeline {
  std::array<ModeSwitchEvent, kModeSwitchRingCapacity> events{};
  std::size_t size = 0;
  uint64_t dropped = 0;
};

namespace detail {

// The stats storage of a non-instrumented mutex: no members, and used with
// [[no_unique_address]] it takes no space. The mutexes only touch the
// recorder inside `if constexpr (kInstrumented)`, so no code is emitted.
struct NoMutexStats {};

// The layout of a Go mutex without instrumentation: a state word and a
// semaphore. The non-instrumented flavours static_assert that they are
// exactly this size, i.e. that "instrumentation off" costs no byte.
struct PlainMutexLayout {
  std::atomic<int32_t> state;
  Sema sema;
};

// The stats storage of an instrumented mutex. Every member is written with
// relaxed RMWs by the threads using the mutex (any thread, any time; counters
// only grow, except through reset()) and read relaxed by snapshot()/
// timeline(). It sits on its own cache lines so that counting does not
// false-share with the mutex's state word.
class alignas(64) MutexStatsRecorder {
 public:
  void add_spin() noexcept { spins_.fetch_add(1, std::memory_order_relaxed); }
  void add_park() noexcept { parks_.fetch_add(1, std::memory_order_relaxed); }
  void add_barge() noexcept { barges_.fetch_add(1, std::memory_order_relaxed); }
  void add_handoff() noexcept { handoffs_.fetch_add(1, std::memory_order_relaxed); }
  // Counts the switch and appends it, timestamped now, to the ring.
  void add_mode_switch(bool entered_starvation) noexcept;

  GoMutexStats snapshot() const noexcept;
  ModeSwitchTimeline timeline() const noexcept;
  // Zeroes everything. Exact only while no thread uses the mutex.
  void reset() noexcept;

 private:
  std::atomic<uint64_t> spins_{0};
  std::atomic<uint64_t> parks_{0};
  std::atomic<uint64_t> barges_{0};
  std::atomic<uint64_t> handoffs_{0};
  std::atomic<uint64_t> entries_{0};
  std::atomic<uint64_t> exits_{0};
  // Index of the next ring slot to fill (monotonic; slot = next % capacity).
  std::atomic<uint64_t> ring_next_{0};
  // Each slot packs one event as (steady_ns << 1) | entered_starvation in one
  // word, so a reader never sees a torn event; 0 marks a slot never written.
  // A reader racing with writers may see a slot whose reservation is taken
  // but not yet filled (it is skipped) or just overwritten (it is sorted by
  // timestamp like the others).
  std::array<std::atomic<uint64_t>, kModeSwitchRingCapacity> ring_{};
};

// GoMutexFastPath: the part of Go's sync.Mutex that has not changed since
// Dmitry Vyukov's 2012 redesign. Go's history — 2012's wake-and-compete,
// 2015's spinning, 2016's starvation mode — is a history of slow paths: all
// three designs keep one int32 state word whose low bits are kLocked and
// kWoken and whose high bits count waiters, lock with one CAS of an idle
// word and unlock with one fetch_sub. This base holds exactly that, so a
// design reads as its state layout, its try_lock and its slow paths.
//
// Use (CRTP, so the fast paths call the slow paths directly and inline into
// every caller as before; nothing is virtual):
//   class D : public detail::GoMutexFastPath<D, kWaiterShift, kInstrumented>
// where D declares `void lock_slow();` and `void unlock_slow(int32_t now);`
// and befriends the base (they stay private). Flag bits other than kLocked
// and kWoken (GoMutex's kStarving) are the design's own, below kWaiterShift.
//
// Members, shared by every design:
//   state_  the state word. Written only by RMWs (each design lists which
//           of its paths change which bits); lock()'s CAS is acquire,
//           unlock()'s fetch_sub is release, so every acquire that sees the
//           unlocked state synchronizes with the unlock that produced it
//           (release sequence).
//   sema_   where waiters park: one unit per woken waiter (or, for GoMutex
//           in starvation mode, per hand-over).
//   stats_  MutexStatsRecorder when kInstrumented, else NoMutexStats, an
//           empty member that takes no space.
template <class Design, int kWaiterShiftBits, bool kInstrumented>
class GoMutexFastPath {
 public:
  static constexpr int32_t kLocked = 1 << 0;  // the mutex is held
  static constexpr int32_t kWoken = 1 << 1;   // a woken waiter (or announced
                                              // spinner) competes: do not wake another
  static constexpr int kWaiterShift = kWaiterShiftBits;
  static constexpr int32_t kWaiter = 1 << kWaiterShift;  // one waiter
  static_assert((kLocked & kWoken) == 0, "flags must be distinct bits");
  static_assert(kWaiterShift >= 2 && ((kLocked | kWoken) >> kWaiterShift) == 0,
                "the waiter count must sit above every flag");

  GoMutexFastPath(const GoMutexFastPath&) = delete;
  GoMutexFastPath& operator=(const GoMutexFastPath&) = delete;

  // lock(): acquires the mutex. Fast path: one CAS on an idle mutex (the
  // zero state); everything else goes to the design's lock_slow().
  void lock() {
    int32_t expected = 0;
    if (state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      detector_held();
      return;
    }
    static_cast<Design*>(this)->lock_slow();
    detector_held();
  }

  // unlock(): releases the mutex. Fast path: one fetch_sub when nobody
  // waits; otherwise the design's unlock_slow() gets the new state. Any
  // thread may unlock (the mutex is not tied to a thread, as in Go).
  void unlock() {
    detector_let_go();
    const int32_t now = state_.fetch_sub(kLocked, std::memory_order_release) - kLocked;
    if (now != 0) static_cast<Design*>(this)->unlock_slow(now);
  }

  // stats() (instrumented only): counters since construction or
  // reset_stats(); fields a design has no event for stay 0.
  GoMutexStats stats() const noexcept requires kInstrumented { return stats_.snapshot(); }
  // reset_stats() (instrumented only): zeroes the counters (and a GoMutex's
  // timeline); exact only while no thread uses the mutex.
  void reset_stats() noexcept requires kInstrumented { stats_.reset(); }

 protected:
  // Blocking-bug detector hooks (syncscope/blocking_detector.h), for the
  // designs that also annotate their slow-path waits (kDetectorHooks):
  // ownership without the wait annotation would mislead the detector.
  void detector_held() noexcept {
    if constexpr (requires { Design::kDetectorHooks; }) {
      SYNCSCOPE_WAITREG_HELD(static_cast<const void*>(static_cast<Design*>(this)),
                             Hold::kExclusive);  // detector hook
    }
  }
  void detector_let_go() noexcept {
    if constexpr (requires { Design::kDetectorHooks; }) {
      SYNCSCOPE_WAITREG_LET_GO(static_cast<const void*>(static_cast<Design*>(this)),
                               Hold::kExclusive);  // detector hook
    }
  }

  GoMutexFastPath() noexcept = default;
  ~GoMutexFastPath() = default;

  // The first thing every unlock_slow() does: `now` is the state after
  // unlock()'s fetch_sub; if kLocked was not set before it, the mutex was
  // not locked — Go's fatal error.
  static void check_was_locked(int32_t now) noexcept {
    if (((now + kLocked) & kLocked) == 0) go_fatal(kUnlockOfUnlockedMutex);
  }

  // try_lock() of the designs without starvation mode (2012, 2015): takes
  // the lock whenever kLocked is clear, waiters or not (never blocks, never
  // registers as a waiter). On success *from is the state it was taken from,
  // for the instrumented flavours' barge count.
  bool try_lock_if_unlocked(int32_t* from) noexcept {
    int32_t old = state_.load(std::memory_order_relaxed);
    while ((old & kLocked) == 0) {
      if (state_.compare_exchange_weak(old, old | kLocked, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
        *from = old;
        return true;
      }
    }
    return false;
  }

  // One round of Go's active spinning (lockSlow's spin branch, the same in
  // GoMutex2015 and GoMutex; the caller has checked GoSpinPolicy::can_spin):
  // if waiters exist and nobody is woken, announce this spinner by setting
  // kWoken (relaxed CAS; on success *awoke: the caller now owns kWoken), so
  // that unlock does not wake a parked waiter that would only lose to it;
  // then spin GoSpinPolicy::kActiveSpinCount hints, count the round, and
  // return the state word as it is now.
  int32_t spin_round(int32_t old, bool* awoke, int* iter) noexcept {
    if (!*awoke && (old & kWoken) == 0 && (old >> kWaiterShift) != 0 &&
        state_.compare_exchange_strong(old, old | kWoken, std::memory_order_relaxed,
                                       std::memory_order_relaxed)) {
      *awoke = true;
    }
    GoSpinPolicy::do_spin();
    if constexpr (kInstrumented) stats_.add_spin();
    ++*iter;
    return state_.load(std::memory_order_relaxed);
  }

  // Normal-mode wake-up, Go's unlockSlow loop: unless nobody waits or a bit
  // of `busy` is set (kLocked: the lock was taken again and its holder will
  // wake someone; kWoken: a waiter or spinner already competes; GoMutex adds
  // kStarving), take the right to wake one waiter — remove it from the
  // count and set kWoken in one CAS (relaxed: it orders nothing the mutex
  // protects) — and release one unit for it.
  void wake_one_waiter(int32_t now, int32_t busy) {
    int32_t old = now;
    for (;;) {
      if ((old >> kWaiterShift) == 0 || (old & busy) != 0) return;
      if (state_.compare_exchange_weak(old, (old - kWaiter) | kWoken, std::memory_order_relaxed,
                                       std::memory_order_relaxed)) {
        sema_.release();
        return;
      }
    }
  }

  std::atomic<int32_t> state_{0};
  Sema sema_;
  [[no_unique_address]] std::conditional_t<kInstrumented, MutexStatsRecorder, NoMutexStats>
      stats_;
};

}  // namespace detail
}  // namespace syncscope

#endif  // SYNCSCOPE_GO_MUTEX_COMMON_H_
