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

// Go's forcePreemptNS (runtime/proc.go): a goroutine that has run this long
// without its P switching goroutines is due to be preempted.
inline constexpr int64_t kTimeSliceNs = 10'000'000;

// time_slice_expired() reads the clock at the first call of a slice and then
// on every kTimeSlicePollEvery-th call only (a clock read costs more than
// the rest of a mutex's slow path; Go's sysmon, too, looks every 20 us to
// 10 ms, not at every call).
inline constexpr uint32_t kTimeSlicePollEvery = 64;

// time_slice_expired(): true when the caller is a goroutine holding a P
// whose current time slice is at least kTimeSliceNs old, seen at one of
// the calls that read the clock; false otherwise (and always on a thread). The runtime does not preempt (goroutine.h):
// this is the check that Go's sysmon makes (retake: a P whose schedtick
// has not moved for forcePreemptNS gets its goroutine preempted), made by
// the goroutine itself at a point where it may yield — the Go mutexes'
// slow paths call it and then gosched(), as Go's preempted goroutine goes
// to the global run queue. As with sysmon, a slice is measured from the
// first look after the P switched (schedtick moved), so a slice lasts at
// least kTimeSliceNs. It writes only fields of the caller's own P that
// nothing else reads.
bool time_slice_expired() noexcept;

}  // namespace syncscope::internal

#endif  // SYNCSCOPE_INTERNAL_SCHEDULER_H_
