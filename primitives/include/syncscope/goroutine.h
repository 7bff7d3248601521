// syncscope/goroutine.h — goroutines: stackful coroutines multiplexed over a
// few OS threads by an M:N scheduler after the Go runtime's (G/M/P).
//
// This file offers:
//   go(f)                 starts a goroutine running f() (any callable
//                         taking no argument); returns at once.
//   gosched()             yields the processor to other goroutines (Go's
//                         runtime.Gosched). Goroutines only.
//   preempt_point()       a safe point: yields like gosched() if the runtime
//                         has asked this goroutine to give up its P (it ran
//                         10 ms without switching); else, and on a thread,
//                         returns at once. For long loops that never block.
//   sleep_for(d), sleep_until(t)
//                         sleeps; on a goroutine it parks on a timer and
//                         its processor runs others; on a thread it is
//                         std::this_thread's.
//   on_goroutine()        true when the caller runs on a goroutine.
//   num_goroutine()       goroutines started and not yet finished
//                         (runtime.NumGoroutine, minus main).
//   gomaxprocs(), set_gomaxprocs(n)
//                         the number of P's (processors that run goroutine
//                         code at the same time); default: the CPUs this
//                         process may use (sched_getaffinity), or the
//                         SYNCSCOPE_GOMAXPROCS environment variable.
//   SyscallGuard          brackets a blocking system call (or any call
//                         that blocks the OS thread) made on a goroutine:
//                         the P is handed off so other goroutines keep
//                         running (Go's entersyscall / exitsyscall).
//   GoroutineError        what a misuse throws (see "Misuse").
//   GoroutineStats, goroutine_stats(), later - earlier (a window's counts)
//                         scheduler counters (steals, parks, ...).
//
// Blocking primitives: every blocking primitive of syncscope — Chan and
// select (with timeouts), the Go mutexes, RWMutex, WaitGroup, Cond, Once,
// Semaphore, Context's done channel, SingleFlight, ErrGroup, ... — parks
// through one layer (syncscope/internal/sema.h). Called on a goroutine, it
// parks the goroutine (its processor runs the others) and the waker makes
// it runnable in the waker's own P's runnext slot, as Go's goready does;
// called on a plain thread, it parks the thread on a futex exactly as
// before. A thread and a goroutine can therefore wait on each other through
// the same channel or mutex: e.g. main() waits for goroutines with a
// WaitGroup. A channel operation parked on a goroutine uses that layer's
// goroutine protocol (internal/scheduler.h) on its own wait record, without
// the semaphore's wait table: the claimer that hands it the value readies
// it (Go's sudog and goready); with the blocking-bug detector on, it parks
// through the semaphore, whose hooks the detector reads.
//
// Design (after Go's runtime/proc.go and Dmitry Vyukov's "Scalable Go
// Scheduler Design", 2012; written here for C++):
//   * G: a goroutine: its stack, saved context and state.
//   * M: an OS thread that runs goroutines; it needs a P to do so.
//   * P: a processor: GOMAXPROCS of them. Each owns a bounded local run
//     queue (256 G's, a lock-free ring: the owner pushes, anyone steals)
//     plus a one-slot `runnext` that a woken or newly started goroutine
//     takes, so a producer/consumer pair ping-pongs on one P without
//     touching a queue. Overflow goes to one global run queue (a locked
//     list) that every P checks every 61st schedule (and when its own is
//     empty), so nothing starves there.
//   * An M without work steals half of another P's queue (four rounds over
//     the P's in random order). At most half of the busy P's may have an
//     M spinning for work at once (Go's rule); an M that finds none gives
//     its P back and sleeps (on the parking layer's futex) until a new
//     goroutine becomes runnable while P's are idle (wakep).
//   * Runnext and pairs (Go's runqgrab back-off): a spinning M leaves the
//     runnext of a P that is switching goroutines to that P for about a
//     microsecond (its goroutine is about to block and run it), and takes
//     at once the runnext of a P that has run one goroutine since the M
//     last looked. While another P keeps switching, an M that finds no work
//     stays spinning, asleep between looks (a few tens of microseconds),
//     so that the pair's wakeups (wakep) wake no idle M: a communicating
//     pair runs on one P, in user space (scheduler.cc, "Stealing runnext").
//   * Hand-offs (Go's semrelease1 with handoff, then goyield): a goroutine
//     that hands a unit of the parking layer to a parked goroutine (a
//     starvation-mode GoMutex unlock) readies it into runnext and yields
//     its P to it at once, queueing itself at the tail of the same P's run
//     queue (gosched() queues globally): the new owner runs now, on this P
//     (internal/scheduler.h, goroutine_wake_handoff).
//   * Channel hand-offs defer the idle-M wake: a goroutine that readies a
//     channel's waiter into its own P's runnext, with nothing else queued
//     there, wakes no idle M while it is expected to block and run the
//     waiter itself; if it runs on instead, its M (when its park is
//     cancelled) or the preemption monitor (two looks later) makes the wake
//     (scheduler.cc, "Deferring the wake of a hand-off";
//     GoroutineStats::wakes_deferred, deferred_wakes_made).
//   * Groups on one channel: from the local queue of a P that is switching
//     goroutines, a spinning M takes only goroutines that were already
//     queued at its previous look (one poll earlier): what the P runs
//     through within a poll stays on it, so producers and consumers of one
//     channel are not split over two CPUs (scheduler.cc, "Stealing from a
//     switching P's ring"). A P that runs one goroutine on (a long runner)
//     is robbed at once, as in Go.
//   * Timers: each P has a heap of sleeping goroutines' deadlines; its M
//     runs the expired ones whenever it schedules, an M looking for work
//     runs other P's expired ones, and one idle M sleeps until the earliest
//     deadline of all (Go's netpoll-with-timeout, without the netpoller).
//   * System calls: SyscallGuard gives the P back at once (Go's
//     entersyscallblock) and starts another M for it when it has work; on
//     exit the goroutine takes back its P, or any idle one, or else queues
//     itself globally and its M goes idle.
//   * Stacks: kGoroutineStackBytes reserved per goroutine with mmap
//     (MAP_NORESERVE: the kernel commits pages as they are touched; a
//     parked goroutine typically holds one or two pages), a PROT_NONE guard
//     page below (an overflow is a SIGSEGV, not silent corruption), pooled
//     when the goroutine ends. Each stack costs two kernel mappings, so
//     more than about vm.max_map_count / 2 live goroutines (32 000 with
//     Debian's default 65530) need `sysctl vm.max_map_count=...`; an
//     allocation that fails terminates with that advice.
//
// Not supported (the differences from Go that a user must know):
//   * Preemption is cooperative, at safe points (see "Preemption" below):
//     a goroutine that has run 10 ms without its P switching is marked by
//     the runtime's monitor thread and yields at its next preempt_point()
//     call. syncscope's primitives call it in every spin and backoff loop;
//     a user loop that calls neither it nor anything that blocks or yields
//     keeps its P (and delays the timers queued on it) forever. Go 1.14+
//     interrupts such a loop with a signal; syncscope does not.
//   * No growable stacks: kGoroutineStackBytes is the limit; recursion
//     deeper than that is a SIGSEGV on the guard page.
//   * A blocking OS call (read(2), a std::mutex, std::this_thread::sleep_for,
//     a thread join, ...) made on a goroutine outside a SyscallGuard blocks
//     its M and so its P: other goroutines of that P wait until the call
//     returns (and with GOMAXPROCS=1, a goroutine that waits in the kernel
//     for another goroutine deadlocks). Inside a SyscallGuard the P keeps
//     running goroutines. syncscope's own primitives need no guard.
//   * thread_local storage belongs to the M, not to the goroutine: a
//     goroutine that blocks may resume on another thread. syncscope's own
//     per-thread state is goroutine-safe where it spans a wait: Cond and
//     CyclicBarrier borrow a parker per wait on a goroutine, and the owner
//     that RecursiveMutex records is the goroutine. An RCU read-side
//     section (rcu.h) must not block on a goroutine (its nesting count is
//     the M's); Pool's per-thread cache is the M's (harmless).
//   * Spinning locks (SpinLock, TTAS, ticket, MCS, CLH) spin on the M; once
//     their spin budget is spent they call gosched() instead of
//     sched_yield(), so the holder can run on the same P. A goroutine that
//     parks while holding one makes its waiters spin-and-yield until it
//     resumes.
//   * No main goroutine and no deadlock detector: main() is a plain thread
//     and waits for goroutines with a primitive (WaitGroup, a channel).
//   * An exception escaping a goroutine terminates the program (Go: an
//     unrecovered panic), printing its what().
//
// Preemption (after Go's runtime/proc.go: sysmon -> retake -> preemptone,
// and the stack-guard check every Go function prologue makes):
//   * The monitor: one thread of the runtime, started with it (the first
//     go()) and stopped when the process exits (atexit). Like Go's sysmon it
//     needs no P: it wakes every 20 us, backing off (doubling after 50 looks
//     that found nothing to do) to every 10 ms; when every P is idle it
//     sleeps without a timeout until an M takes a P (Go's sysmonwait), so
//     an idle process is not woken by it. At each look it reads each
//     running P's slice count (goroutines started on it, except one run
//     from the P's runnext, which inherits the slice of the goroutine that
//     readied it: Go's inheritTime); a P whose count has not moved for
//     10 ms (Go's forcePreemptNS) runs one goroutine, or a pair that hands
//     off to each other through runnext, that has had its slice: the
//     monitor marks the P for that slice (Go sets gp.preempt and poisons
//     the stack guard). So a ping-pong pair cannot keep the rest of its
//     P's run queue waiting for more than a slice.
//   * The safe point, preempt_point(): one relaxed load of the caller's P's
//     mark (on a plain thread, or a goroutine inside a SyscallGuard, only
//     the thread-local look that finds no P). When the mark names the
//     running slice, the goroutine clears it and yields like gosched() — to
//     the back of the global run queue, Go's gopreempt_m — and its P runs
//     the next goroutine. A mark for an earlier slice (the P switched on its
//     own meanwhile) is dropped without yielding. set_gomaxprocs also marks
//     a P it removes, so a goroutine at a safe point gives it up there.
//   * Where: SpinLock (which yields on every failed try anyway) and
//     SpinWait's spinning (TTAS with its backoff, ticket, MCS, CLH,
//     WaitGroup, RCU's synchronize), the Go mutexes' slow paths and spin
//     rounds (so Once, GoRWMutex's writers), Chan's and select's wait-for-
//     ready spin and the ring's stamp back-off. Not where a yield would keep
//     something from others: the channel lock's own spin (select takes
//     several channel locks in turn) and the parking layer's bucket lock.
//     Counters: GoroutineStats::preempt_requests / preemptions.
//   * Why not signals: Go 1.14 made preemption asynchronous — sysmon sends
//     the M a SIGURG, and the handler, if the goroutine is at an
//     asynchronous safe point (Go's compiler emits stack maps for every
//     instruction, so the GC can scan a goroutine stopped anywhere), rewrites
//     its context to call asyncPreempt. In C++ nothing tells a signal
//     handler that the interrupted code holds no lock (malloc's, a
//     std::mutex, the runtime's own), that it is not inside a non-reentrant
//     library call, or where a switch would be safe: switching stacks from a
//     handler that interrupted any of those can deadlock or corrupt state.
//     So a loop without a safe point is not preempted (as in Go before 1.14
//     for a loop without function calls).

// Misuse (GoroutineError, a std::logic_error, with the message below):
//   gosched() on a plain thread        "gosched: not on a goroutine"
//   set_gomaxprocs(n), n < 1 or > kMaxProcs
//                                      "set_gomaxprocs: n = <n>; valid: 1..256"
//   SyscallGuard nested on one goroutine "SyscallGuard: nested"
//
// Sanitizers: every stack switch is announced to ThreadSanitizer (each
// goroutine is a TSan fiber) and to AddressSanitizer
// (__sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber), so
// the TSan and ASan builds run goroutines like threads (scheduler.cc,
// "sanitizer fibers"). Under TSan each live goroutine is a TSan thread
// (TSan keeps at most 8128): tests start fewer goroutines there.
//
// Memory ordering (Go's memory model, tested in goroutine_test.cc):
//   * go(f) happens-before f starts.
//   * Channels, mutexes, WaitGroup, ...: exactly the rules of their
//     headers; they do not depend on whether the parties are threads or
//     goroutines.
//   * A goroutine's return synchronizes with nothing: wait for it with a
//     primitive. num_goroutine() is a relaxed gauge.
//
// Fairness and starvation: runnable goroutines of one P run in FIFO order
// except that the runnext slot jumps the queue (a woken goroutine runs
// next; Go's "inherit time slice" trade-off: throughput for a
// communicating pair, at the price of the others' latency); the global
// queue is polled every 61st schedule. Preemption being cooperative,
// fairness holds between goroutines that block, yield or reach safe points.

#ifndef SYNCSCOPE_GOROUTINE_H_
#define SYNCSCOPE_GOROUTINE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace syncscope {

// Bytes of address space reserved per goroutine stack (plus one guard page).
inline constexpr std::size_t kGoroutineStackBytes = 256 * 1024;
// Upper bound of GOMAXPROCS.
inline constexpr int kMaxProcs = 256;

class GoroutineError : public std::logic_error {
 public:
  explicit GoroutineError(const std::string& what) : std::logic_error(what) {}
};

namespace goroutine_detail {
// A type-erased goroutine body: heap-allocated by go(), run and deleted by
// the goroutine itself.
struct Task {
  virtual ~Task() = default;
  virtual void run() = 0;
};
template <class F>
struct TaskOf final : Task {
  explicit TaskOf(F&& f) : f_(std::move(f)) {}
  explicit TaskOf(const F& f) : f_(f) {}
  void run() override { f_(); }
  F f_;
};
void spawn(Task* t);  // takes ownership
bool on_goroutine() noexcept;
void park_until(std::chrono::steady_clock::time_point deadline);
// yield_cpu(): gosched() on a goroutine that holds a P, else
// std::this_thread::yield(). What syncscope's spinning waits (SpinWait,
// SpinLock) do once their spin budget is spent, so that a goroutine waiting
// for a spin lock lets the holder run on its P.
void yield_cpu() noexcept;
}  // namespace goroutine_detail

// go(f): starts a goroutine that runs f(). From a goroutine, the new one
// goes to the caller's P's runnext slot (it runs when the caller blocks or
// yields, or on another P that steals it); from a plain thread it goes to
// the global run queue. The first go() starts the runtime (its M threads
// are created on demand and stay for the life of the process).
// Memory ordering: everything before go(f) happens-before f starts.
template <class F>
void go(F&& f) {
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_v<Fn&>, "go(f): f must be callable with no arguments");
  goroutine_detail::spawn(new goroutine_detail::TaskOf<Fn>(std::forward<F>(f)));
}

// gosched(): puts the calling goroutine at the back of the global run queue
// and runs another one (Go's Gosched). Throws GoroutineError on a plain
// thread (a thread has std::this_thread::yield()).
void gosched();

// preempt_point(): a safe point (see "Preemption"). On a goroutine whose P
// the runtime's monitor has marked for the running slice (it has run
// kTimeSliceNs = 10 ms without switching), clears the mark and yields like
// gosched(); otherwise — and on a plain thread, on an M's scheduler, inside
// a SyscallGuard — returns at once after one load. Call it in loops that
// may run long without blocking; never call it while holding something
// that the goroutines of the same P need to make progress unless they
// can wait (a spin lock they spin on would still work, just slowly).
void preempt_point() noexcept;

// on_goroutine(): true on a goroutine (also inside a SyscallGuard).
inline bool on_goroutine() noexcept { return goroutine_detail::on_goroutine(); }

// sleep_until(t) / sleep_for(d): at least until t. A goroutine parks on its
// P's timer heap (no OS thread blocks); a thread sleeps in the kernel.
inline void sleep_until(std::chrono::steady_clock::time_point t) {
  if (goroutine_detail::on_goroutine()) {
    goroutine_detail::park_until(t);
  } else {
    std::this_thread::sleep_until(t);
  }
}
template <class Rep, class Period>
void sleep_for(std::chrono::duration<Rep, Period> d) {
  if (d <= d.zero()) return;
  sleep_until(std::chrono::steady_clock::now() +
              std::chrono::ceil<std::chrono::steady_clock::duration>(d));
}

// num_goroutine(): goroutines started by go() and not yet returned.
int64_t num_goroutine() noexcept;

// gomaxprocs(): the current number of P's.
int gomaxprocs() noexcept;
// set_gomaxprocs(n): sets the number of P's, returns the previous one
// (Go's runtime.GOMAXPROCS(n) for n >= 1). Any time, from a thread or a
// goroutine, while goroutines run; resizes are serialized.
//   * Growing takes effect at once: the new P's start running queued
//     goroutines and stealing.
//   * Shrinking returns once every removed P has been given up: an idle P
//     at once; a P that runs a goroutine at that goroutine's next
//     scheduling point (it blocks, yields, sleeps, returns or enters a
//     SyscallGuard; Go stops the world at the same kind of safe point), or
//     at its next preempt_point() (the removed P is marked for preemption).
//     A goroutine that reaches none of them delays the call.
//     The removed P's run queues go to the global queue and their timers
//     to P 0: no runnable or sleeping goroutine is lost. From the return on,
//     at most n goroutines run at once (goroutines inside a SyscallGuard
//     hold no P and are not counted, as in Go).
//   * A caller on a goroutine whose own P is removed parks; the P is
//     retired at that park and the caller resumes on a remaining one.
// Before the first go(), it only sets the number the runtime starts with.
int set_gomaxprocs(int n);

// SyscallGuard: construct it on a goroutine just before a call that blocks
// the OS thread, destroy it right after. Meanwhile the goroutine runs on
// its M without a P (the P runs other goroutines); blocking syncscope
// primitives called inside the guard block the thread, as on a plain
// thread. On a plain thread the guard does nothing.
//
//   syncscope::go([fd, &buf] {
//     syncscope::SyscallGuard g;
//     ::read(fd, buf, sizeof buf);   // other goroutines keep running
//   });
class SyscallGuard {
 public:
  SyscallGuard();
  ~SyscallGuard();
  SyscallGuard(const SyscallGuard&) = delete;
  SyscallGuard& operator=(const SyscallGuard&) = delete;

 private:
  bool active_;
};

// Scheduler counters since the process started (relaxed snapshots).
struct GoroutineStats {
  uint64_t spawned = 0;       // go() calls
  uint64_t switches = 0;      // user-space switches into a goroutine
  uint64_t parks = 0;         // goroutines parked by the parking layer or a sleep
  uint64_t steals = 0;        // successful steals from another P's run queue
  uint64_t timers_fired = 0;  // sleeps and timeouts ended by their timer
  uint64_t syscalls = 0;      // SyscallGuards entered on a goroutine
  uint64_t handoffs = 0;      // of those, P's handed to another M at once
  uint64_t threads = 0;       // M's (OS threads) created
  uint64_t timers_moved = 0;  // sleeping goroutines' timers moved off P's that
                              // set_gomaxprocs removed
  // Placement of woken goroutines (scheduler.cc, "Stealing runnext"):
  uint64_t idle_m_wakes = 0;      // idle M's woken from their sleep (a futex wake
                                  // and an OS context switch each)
  uint64_t runnext_backoffs = 0;  // looks at a switching P's runnext that first
                                  // gave its owner a chance to run it
  uint64_t runnext_steals = 0;    // runnext slots taken from another P
  uint64_t ring_backoffs = 0;     // looks at a switching P's run queue that left
                                  // it to its owner for a poll (it had run all
                                  // that was queued at the previous look)
  uint64_t spin_polls = 0;        // sleeps of a spinning M that stayed spinning
                                  // because another P was switching goroutines
  // Wakes deferred (scheduler.cc, "Deferring the wake of a hand-off"):
  uint64_t wakes_deferred = 0;       // readies into the waker's runnext that
                                     // woke no idle M (the waker was expected to
                                     // block and run the readied goroutine)
  uint64_t deferred_wakes_made = 0;  // of those, wakes made after all (the
                                     // waker ran on: by the monitor or the owner)
  uint64_t local_yields = 0;      // hand-offs (a starvation-mode GoMutex unlock)
                                  // after which the giver yielded its P to the
                                  // receiver and queued itself on that P
  // Preemption (see "Preemption"):
  uint64_t preempt_requests = 0;    // slices the monitor marked for preemption (a
                                    // mark for a P that then switched on its own,
                                    // or whose M had no goroutine, is not taken)
  uint64_t preemptions = 0;         // safe points that yielded on a mark
  uint64_t monitor_looks = 0;       // the monitor's looks at the P's
  uint64_t monitor_idle_waits = 0;  // times it slept until a P became busy
};
GoroutineStats goroutine_stats() noexcept;

// later - earlier, field by field: what the scheduler did between two
// snapshots (a suite's run: goroutine_stats() after minus before).
GoroutineStats operator-(const GoroutineStats& later, const GoroutineStats& earlier) noexcept;

}  // namespace syncscope

#endif  // SYNCSCOPE_GOROUTINE_H_
