// syncscope/internal/scheduler.h — what the parking layer (sema.cc) needs
// from the goroutine scheduler (primitives/src/scheduler.cc; the user's
// manual is syncscope/goroutine.h).
//
// The parking protocol for a goroutine mirrors a futex word:
//   waiter:  g = parkable_goroutine(); publish g where the waker finds it;
//            while (word == expected) goroutine_wait(g, &word, expected, ...);
//   waker:   read g (before the store: the waiter may return at once),
//            store the word, then goroutine_wake(g).
// Each G carries a one-permit token (Java's LockSupport park/unpark):
// goroutine_wake() sets it and, if the goroutine is parked, makes it
// runnable (in the waker's P's runnext when the waker runs on a P, Go's
// goready; else on the global queue); goroutine_wait() consumes it and parks
// only while it is absent. A wake that comes before the park is therefore
// never lost, and a stray wake (to a G whose wait ended, or whose G was
// reused) is a spurious return that the waiter's loop absorbs. G's are
// never freed, so a late goroutine_wake() never touches freed memory.

#ifndef SYNCSCOPE_INTERNAL_SCHEDULER_H_
#define SYNCSCOPE_INTERNAL_SCHEDULER_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace syncscope::internal {

struct G;

// The goroutine running on this thread if it may park (it holds a P: not
// inside a SyscallGuard), else nullptr (a plain thread, an M's scheduler
// loop, a goroutine in a syscall): the caller then blocks the thread.
G* parkable_goroutine() noexcept;

// True on an M's own scheduler code (its g0: the schedule loop, an idle M
// sleeping on its note), which is never a party of the blocking-bug
// detector (wait_registry.cc); false on a goroutine and on a plain thread.
bool on_scheduler() noexcept;

// Parks g (the caller itself) while *word == expected, until woken by
// goroutine_wake(g) or until *deadline (nullptr: none). Returns false only
// when the deadline has passed; like FUTEX_WAIT, it may return spuriously.
bool goroutine_wait(G* g, const std::atomic<uint32_t>* word, uint32_t expected,
                    const std::chrono::steady_clock::time_point* deadline);

// Makes g runnable if it is parked, else leaves it a permit. Any thread.
void goroutine_wake(G* g) noexcept;

// goroutine_wake() for a channel hand-off (chan_core.cc, wake_goroutine):
// the same, except that a goroutine waker that readies g into its own P's
// runnext, with nothing else queued there, defers the idle-M wake (it is
// expected to block soon and run g itself; scheduler.cc, "Deferring the
// wake of a hand-off"). Other wakers (the parking layer's Sema: mutexes,
// WaitGroup, ...) keep Go's wake at once: an unlocker goes on running
// (a starvation-mode hand-off yields instead: goroutine_wake_handoff).
void goroutine_wake_chan_handoff(G* g) noexcept;

// goroutine_wake(g) for a direct hand-off: the caller has just given g
// something g waited for (the parking layer's release(handoff=true), which
// Go's starvation-mode Mutex.Unlock uses). If g was parked and went into
// the caller's P's runnext, and the caller is a goroutine whose preemption
// is not disabled, the caller then yields its P to g: it goes to the tail
// of its own P's local run queue (not the global queue, as gosched() does),
// so g runs at once, on this P, and the caller runs again after it (and
// after what was already queued on the P). After Go's semrelease1: "Direct
// G handoff: readyWithTime has added the waiter G as runnext in the current
// P; we now call the scheduler so that we start running the waiter G
// immediately", via goyield (runtime/proc.go goyield_m; Go also skips it
// when getg().m.locks != 0). Otherwise (a thread, the M's scheduler code,
// preempt_disable(), g not parked yet, g readied into the global queue)
// it is goroutine_wake(g). Returns true when the caller yielded (counted
// in GoroutineStats::local_yields).
bool goroutine_wake_handoff(G* g) noexcept;

// What Go's sync_runtime_canSpin (runtime/proc.go) reads of the runtime,
// as seen by the caller. The Go mutexes' spin policy (GoSpinPolicy in
// syncscope/go_mutex_common.h) asks before each spin round; nothing else
// should. Read-only: relaxed loads of counters the scheduler keeps anyway,
// no lock, no write. A snapshot, stale as soon as it is returned, as Go's
// is: spinning is a bet, not a decision that needs exact numbers.
struct SpinView {
  // The caller is a goroutine that holds a P. When false (a plain thread,
  // an M's scheduler, a goroutine inside a SyscallGuard) the fields below
  // are zero and mean nothing: the caller blocks its thread when it waits.
  bool on_p = false;
  // The caller's P has no goroutine in runnext or its local run queue (Go's
  // runqempty): nobody on this P waits for the caller to give it up.
  bool local_runq_empty = false;
  int32_t procs = 0;        // GOMAXPROCS: the active P's (Go's gomaxprocs)
  int32_t idle_procs = 0;   // P's on the idle list (Go's sched.npidle)
  int32_t spinning_ms = 0;  // M's holding a P and looking for work (Go's sched.nmspinning)
};
SpinView spin_view() noexcept;

// ---- preemption (goroutine.h, "Preemption"; scheduler.cc, "The monitor") ----
// Go's forcePreemptNS (runtime/proc.go): a goroutine that has run this long
// without its P switching goroutines is marked for preemption by the
// runtime's monitor thread (Go's sysmon -> retake -> preemptone), and
// yields at its next safe point (syncscope::preempt_point()).
inline constexpr int64_t kTimeSliceNs = 10'000'000;

// The monitor's sleep between looks, after Go's sysmon: 20 us while it has
// just started (or just woke from its idle wait), doubling after 50 looks in
// a row that found nothing to do, up to 10 ms.
inline constexpr int64_t kMonitorMinSleepUs = 20;
inline constexpr int64_t kMonitorMaxSleepUs = 10'000;
inline constexpr int kMonitorIdleLooksBeforeBackoff = 50;

// SliceWatch: what the monitor remembers of one P between two looks (Go's
// sysmontick: schedtick and schedwhen; here the P's slicetick, which a
// goroutine run from the P's own runnext does not move: scheduler.cc,
// "Slices and runnext"). observe(tick, now) is one look at
// a running P: a tick it has not seen starts a new slice at `now` (the P
// started a slice since the last look: nothing to preempt) and returns
// false; the same tick again returns true once kTimeSliceNs have passed
// since the look that first saw it — the goroutine that runs has not
// switched for a whole slice. forget() is for a P seen idle: its next
// look starts a new slice. So a slice lasts at least kTimeSliceNs, and at
// most that plus the monitor's sleep (as in Go). Pure: tested on
// synthetic looks (goroutine_preempt_test.cc).
struct SliceWatch {
  uint32_t tick = 0;
  int64_t since_ns = 0;
  bool seen = false;
  bool observe(uint32_t t, int64_t now_ns) noexcept {
    if (!seen || t != tick) {
      tick = t;
      since_ns = now_ns;
      seen = true;
      return false;
    }
    return now_ns - since_ns >= kTimeSliceNs;
  }
  void forget() noexcept { seen = false; }
};

// ---- stealing (scheduler.cc, "Stealing from a switching P's ring") ----
// ring_take_now(): may a thief (a spinning M) take from a victim P's local
// run queue now? head and tail are the victim's ring positions now;
// seen_tail is its tail as the thief saw it at the end of its previous pass
// looking for work; running: the victim is held by an M; switching: its
// schedtick moved since that pass. Take at once from an idle P's ring or a
// long runner's (not switching); from a switching P's ring only while
// something that was queued at the previous look is still queued (head has
// not passed seen_tail): its owner did not get to it within a poll.
// Otherwise the owner is draining its ring by itself and the thief looks
// again after its poll sleep. Positions wrap modulo 2^32 as the ring's own
// do. Pure: tested on synthetic looks (goroutine_test.cc).
constexpr bool ring_take_now(bool running, bool switching, uint32_t seen_tail, uint32_t head,
                             uint32_t tail) noexcept {
  if (head == tail) return false;           // nothing queued
  if (!running || !switching) return true;  // an idle P, or a long runner
  const uint32_t still = seen_tail - head;  // queued at the last look, not yet taken
  return static_cast<int32_t>(still) > 0 && still <= tail - head;
}

// ---- deferred wakes (scheduler.cc, "Deferring the wake of a hand-off") ----
// deferred_wake_due(): should the monitor make the wake that a P's running
// goroutine deferred? mark is the P's wake_deferred (0: none; else the
// schedtick + 1 of the slice that deferred it), tick its schedtick now,
// queued: something waits in its runnext or ring, seen: the mark the
// monitor read at its previous look at this P. Due when the slice that
// deferred it still runs, something waits, and the monitor already saw
// this very mark at its previous look: the goroutine has run on for a whole
// monitor sleep since it readied someone (a hand-off that blocks a few
// hundred nanoseconds later is never woken for). A slice that ended has run
// the readied goroutine on its own P (its owner drops the mark). A slice
// whose tick + 1 wraps to 0 never defers. Pure: tested on synthetic looks
// (goroutine_test.cc).
// mark_names(): a P's mark (0: none, else tick + 1: the preemption mark
// names a slicetick, the deferred-wake mark a schedtick) names `tick`, the
// P's current one. The one encoding every mark of scheduler.cc uses.
constexpr bool mark_names(uint32_t mark, uint32_t tick) noexcept {
  return mark != 0 && mark - 1 == tick;
}
// deferred_mark_live(): the mark names the running slice and something waits.
constexpr bool deferred_mark_live(uint32_t mark, uint32_t tick, bool queued) noexcept {
  return mark_names(mark, tick) && queued;
}
constexpr bool deferred_wake_due(uint32_t mark, uint32_t tick, bool queued,
                                 uint32_t seen) noexcept {
  return deferred_mark_live(mark, tick, queued) && mark == seen;
}

// deferred_wake_look(): what one monitor look does about a P's deferred
// wake. kWake: deferred_wake_due (make the wake). kWatch: the look sights a
// live mark (its slice still runs, something waits) for the first time and
// may_shorten is true: the monitor shortens its next sleep, and only that
// one, to kMonitorMinSleepUs, so that a goroutine that runs on after a
// hand-off has its wake made a short sleep later (at the next look, the
// same mark is due) rather than at the second look of a backed-off
// monitor. kNothing otherwise. may_shorten is the monitor's rate limit
// (deferred_watch_allowed): a pair that hands off all the time has a mark
// on a new slice at most looks and must not keep the monitor short.
enum class DeferredLook : uint8_t { kNothing, kWatch, kWake };
constexpr DeferredLook deferred_wake_look(uint32_t mark, uint32_t tick, bool queued, uint32_t seen,
                                          bool may_shorten) noexcept {
  if (!deferred_mark_live(mark, tick, queued)) return DeferredLook::kNothing;
  if (mark == seen) return DeferredLook::kWake;  // deferred_wake_due
  return may_shorten ? DeferredLook::kWatch : DeferredLook::kNothing;
}

// deferred_watch_allowed(): may a look that sights a new mark shorten the
// monitor's next sleep? backed_off_us is the monitor's sleep now and
// slept_us the time it has slept (the sum of its sleeps) since it last
// shortened one for a mark. Not when its sleep is already the shortest
// (nothing to shorten); otherwise once per kMonitorMaxSleepUs slept, so a
// churning pair costs a backed-off monitor at most one extra look per
// kMonitorMaxSleepUs (a goroutine that runs on gets its wake, which is
// work, and the monitor then stays short by its back-off rule anyway).
// Pure: tested on fixed inputs (goroutine_test.cc).
constexpr bool deferred_watch_allowed(int64_t backed_off_us, int64_t slept_us) noexcept {
  return backed_off_us > kMonitorMinSleepUs && slept_us >= kMonitorMaxSleepUs;
}

// monitor_max_sleep_us(): how far the monitor backs off. kMonitorMaxSleepUs,
// except for kMonitorWatchHoldNs after it last made a deferred wake
// (made_a_wake, ns_since_wake ago): then kMonitorWatchMaxSleepUs. A
// workload whose goroutines run on after hand-offs (the only one that gets
// such wakes: a pair that hands off all the time never has a mark due) has
// its next mark sighted within that shorter sleep, not a 10 ms one, and
// its receiver runs about one such sleep after the hand-off; it pays at most
// 1e6 / kMonitorWatchMaxSleepUs monitor looks a second for it. Pure: tested
// on fixed inputs (goroutine_test.cc).
inline constexpr int64_t kMonitorWatchMaxSleepUs = 200;
inline constexpr int64_t kMonitorWatchHoldNs = 100'000'000;
constexpr int64_t monitor_max_sleep_us(bool made_a_wake, int64_t ns_since_wake) noexcept {
  return made_a_wake && ns_since_wake < kMonitorWatchHoldNs ? kMonitorWatchMaxSleepUs
                                                            : kMonitorMaxSleepUs;
}

// preempt_requested(): true when the caller is a goroutine holding a P that
// the monitor has marked for the caller's current slice (its next
// preempt_point() yields). False on a thread. For tests and diagnostics.
bool preempt_requested() noexcept;

// preempt_disable() / preempt_enable(): while a goroutine's count of
// preempt_disable() calls exceeds its preempt_enable() calls, its safe
// points do not yield (a mark stays for its first safe point after that;
// Go's acquirem/releasem, which the Go runtime uses the same way). Per
// goroutine (it may block and resume on another M meanwhile); nothing on a
// thread. For tests that set up an exact state by holding a P across a
// sleep and then call a primitive that has a safe point.
void preempt_disable() noexcept;
void preempt_enable() noexcept;

// monitor_idle_waiting(): true while the monitor sleeps without a timeout
// because every P is idle (Go's sysmonwait); it wakes when an M takes a P.
bool monitor_idle_waiting() noexcept;

}  // namespace syncscope::internal

#endif  // SYNCSCOPE_INTERNAL_SCHEDULER_H_
