// The goroutine runtime: G/M/P scheduler, run queues, timers, stacks and the
// syscall guard. The design is described in syncscope/goroutine.h (the
// user's manual) and syncscope/internal/scheduler.h (the parking protocol);
// the algorithms follow Go's runtime/proc.go (runqput/runqget/runqgrab,
// findrunnable, wakep/startm/stopm, handoffp, entersyscallblock/exitsyscall)
// and Vyukov's "Scalable Go Scheduler Design" (2012), written here for C++.
//
// Locks, in order: Sched::mu, then a P's timer lock (never the reverse);
// the parking layer's bucket locks are taken with neither held. No lock is
// held across a context switch.
#include <linux/futex.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <syncscope/arch/atomic.h>
#include <syncscope/goroutine.h>
#include <syncscope/internal/context_switch.h>
#include <syncscope/internal/scheduler.h>
#include <syncscope/internal/sema.h>
#include <syncscope/internal/wait_registry.h>
#include <syncscope/recursive_mutex.h>

#if defined(SYNCSCOPE_TSAN) || defined(__SANITIZE_THREAD__)
#define SYNCSCOPE_TSAN_FIBERS 1
extern "C" {
void* __tsan_get_current_fiber(void);
void* __tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void* fiber);
void __tsan_switch_to_fiber(void* fiber, unsigned flags);
}
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SYNCSCOPE_ASAN_FIBERS 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace syncscope {
namespace internal {

struct M;
struct P;

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kNever = INT64_MAX;
// Go's runq: 256 entries per P.
constexpr uint32_t kRunqSize = 256;
// Every kGlobalPollEvery-th schedule on a P looks at the global queue first
// (Go: schedtick%61), so goroutines there cannot starve.
constexpr uint32_t kGlobalPollEvery = 61;
// Stacks kept in the pool; beyond that an exiting goroutine's stack is
// unmapped (its G is kept: G's are never freed, see scheduler.h).
constexpr size_t kStackPoolMax = 1024;

int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}
int64_t to_ns(Clock::time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

[[noreturn]] void fatal(const std::string& msg) {
  std::fprintf(stderr, "syncscope goroutine runtime: %s\n", msg.c_str());
  std::fflush(stderr);
  std::abort();
}

// The one-permit token of a G (see scheduler.h).
enum : uint32_t { kPermitNone = 0, kPermitParked = 1, kPermitSet = 2 };
// Why a goroutine switched to its M's scheduler (M::why).
// kYield: to the global run queue (gosched, a preemption: Go's gosched_m);
// kYieldLocal: to the tail of the M's P's own run queue (a hand-off to a
// goroutine in runnext: Go's goyield_m, see goroutine_wake_handoff).
enum class Why { kNone, kYield, kYieldLocal, kPark, kExit, kSyscallNoP };

}  // namespace

// A goroutine. G's are pooled and never freed (a late goroutine_wake() may
// still touch one).
struct G {
  Context ctx = nullptr;                   // saved context while not running
  char* map_base = nullptr;                // the stack mapping (guard page first); null: none
  char* stack_top = nullptr;               // highest address of the usable stack
  goroutine_detail::Task* task = nullptr;  // the body; owned; run by the goroutine
  // kPermitNone / kPermitParked / kPermitSet. Parked is written only by the
  // M's scheduler after the goroutine has switched out (CAS None->Parked);
  // Set by goroutine_wake (exchange, acq_rel); None by the goroutine when it
  // resumes (exchange, acq_rel: it synchronizes with the waker's exchange).
  std::atomic<uint32_t> permit{kPermitNone};
  int64_t id = 0;           // unique, > 0; set by spawn
  G* link = nullptr;        // global run queue or free list; under Sched::mu
  bool in_syscall = false;  // inside a SyscallGuard; only the goroutine itself
  int preempt_off = 0;      // preempt_disable() depth; only the goroutine itself
  // Timer (at most one per G: its current timed wait). timer_p is the P
  // whose heap holds it, or null; written under that P's timer lock with
  // release, read by the goroutine itself without it (acquire) to find the
  // heap. The release matters for the null a firing timer stores: the
  // goroutine that reads it takes no timer lock, yet next writes
  // timer_when/timer_idx for its next timer, which the firing M wrote while
  // it reordered the heap (TSan found this with a relaxed store; on ARM64
  // the M's last heap write could land after the goroutine's).
  std::atomic<P*> timer_p{nullptr};
  int64_t timer_when = 0;  // under timer_p's lock
  size_t timer_idx = 0;    // index in timer_p's heap; under its lock
#if defined(SYNCSCOPE_TSAN_FIBERS)
  void* fiber = nullptr;
#endif
#if defined(SYNCSCOPE_ASAN_FIBERS)
  void* asan_fake_stack = nullptr;  // ASan's fake stack while switched out
#endif
};

// A processor: the right to run goroutine code, with its run queue and timers.
struct P {
  int id = 0;
  // Local run queue (Go's runq): a ring written at runqtail only by the
  // owner M (release store), consumed at runqhead by the owner or a
  // stealer (CAS, acq_rel). Slots are atomics read relaxed: a stale read is
  // discarded by the failing head CAS, as in Go.
  std::atomic<uint32_t> runqhead{0};
  std::atomic<uint32_t> runqtail{0};
  std::atomic<G*> runq[kRunqSize] = {};
  // runnext: a G that runs before the queue (readied or spawned by the
  // owner). Owner writes with exchange; stealers take it with CAS.
  std::atomic<G*> runnext{nullptr};
  // Goroutines started on this P (execute). Written only by the owner M
  // (relaxed load + store); read relaxed by spinning M's, which take a
  // change as "this P is switching goroutines" (see "Stealing runnext").
  std::atomic<uint32_t> schedtick{0};
  // Time slices started on this P (Go's p.schedtick): bumped by execute()
  // like schedtick, except for a goroutine taken from this P's own runnext,
  // which inherits the running slice (Go's inheritTime; see "Slices and
  // runnext" above the monitor). Written only by the owner M (relaxed load
  // + store); read relaxed by the monitor (SliceWatch) and by the safe
  // point (preempt marks name a slice).
  std::atomic<uint32_t> slicetick{0};
  // True from acquirep until the P goes back to the idle list (or is
  // retired): Go's _Prunning. Written by the M taking / giving up the P,
  // read relaxed by stealers as a hint (see "Stealing runnext").
  std::atomic<bool> running{false};
  // Preemption mark (see "The monitor"): 0, or slicetick + 1 of the slice
  // the monitor (or set_gomaxprocs) asks to end. Set by them (store);
  // cleared by the owner's safe point (CAS to 0). All relaxed: a mark read
  // late only delays a yield, and a yield publishes nothing.
  std::atomic<uint32_t> preempt{0};
  // Deferred wake (see "Deferring the wake of a hand-off"): 0, or schedtick
  // + 1 of the slice whose goroutine readied a G into this P's runnext
  // without waking an idle M. Set by the owner in goroutine_wake and
  // cleared by the owner when the slice ends (relaxed: read by nobody
  // else but the monitor, which takes it with a CAS and re-checks the run
  // queue itself; a mark it reads late only delays its look).
  std::atomic<uint32_t> wake_deferred{0};
  M* m = nullptr;     // owner M; under Sched::mu when idle
  P* link = nullptr;  // idle list; under Sched::mu
  // Timers: a binary min-heap of G's by timer_when; under tmu. timer0 is
  // the earliest `when` (kNever: none), written under tmu, read anywhere.
  std::mutex tmu;
  std::vector<G*> timers;
  std::atomic<int64_t> timer0{kNever};
  // Set by set_gomaxprocs (under Sched::mu) on a P that is being removed
  // while an M holds it; read by that M at its next safe point (acquire),
  // where it gives the P up for good (retire_p) instead of running on.
  // Cleared by retire_p; a P is never handed out while it is set (it is
  // not on the idle list).
  std::atomic<bool> retiring{false};
};

// An OS thread running goroutines. Its own stack is the scheduler's (Go's g0).
struct M {
  Context g0 = nullptr;  // the scheduler's context while a goroutine runs
  G* curg = nullptr;     // the goroutine running on this M; only this M
  P* p = nullptr;        // the P held; only this M (and startm before it runs)
  P* nextp = nullptr;    // the P handed over by startm; read after `note`
  P* oldp = nullptr;     // the P given up by a SyscallGuard
  bool spinning = false;
  // find_runnable returned the G from this M's P's own runnext: execute()
  // runs it in the current slice (Go's inheritTime). Only this M.
  bool inherit_slice = false;
  Why why = Why::kNone;  // set by the goroutine right before it switches to g0
  Sema note{0};          // the M sleeps here when idle (the parking layer's thread path)
  M* link = nullptr;     // idle list; under Sched::mu
  uint32_t rng = 1;      // fastrand state; only this M
  // The schedtick of each P as this M last saw it while looking for work
  // (see "Stealing runnext"); only this M.
  uint32_t seen_tick[kMaxProcs] = {};
  // The runqtail of each P as this M saw it at the end of its last pass
  // looking for work (see "Stealing from a switching P's ring"); only this M.
  uint32_t seen_tail[kMaxProcs] = {};
  bool thread_started = false;  // set once, by the startm that creates the thread
  // Counters: written only by this M (relaxed load+store), read by
  // goroutine_stats().
  std::atomic<uint64_t> switches{0}, parks{0}, steals{0}, timers_fired{0}, syscalls{0}, handoffs{0},
      runnext_backoffs{0}, runnext_steals{0}, spin_polls{0}, preemptions{0}, ring_backoffs{0},
      wakes_deferred{0}, local_yields{0};
#if defined(SYNCSCOPE_TSAN_FIBERS)
  void* fiber = nullptr;
#endif
#if defined(SYNCSCOPE_ASAN_FIBERS)
  void* asan_fake_stack = nullptr;  // g0's fake stack while a goroutine runs
  const void* g0_bottom = nullptr;  // the thread's stack, as ASan reports it
  size_t g0_size = 0;               // on a goroutine's first switch in
#endif
};

namespace {

void bump(std::atomic<uint64_t>& c) noexcept {
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

struct Sched {
  std::mutex mu;
  bool started = false;        // under mu
  int setting = 0;             // GOMAXPROCS requested before start; under mu
  std::atomic<int> nprocs{0};  // active P's: allp[0..nprocs); written under mu
  P* allp[kMaxProcs] = {};     // created on demand, never freed; under mu
  // Global run queue (FIFO list through G::link); under mu. runqsize is
  // also read without the lock as a hint.
  G* runq_head = nullptr;
  G* runq_tail = nullptr;
  std::atomic<int64_t> runqsize{0};
  P* pidle = nullptr;                  // idle P's; under mu
  std::atomic<int32_t> npidle{0};      // written under mu, read anywhere (seq_cst)
  M* midle = nullptr;                  // idle M's; under mu
  std::atomic<int32_t> nmspinning{0};  // spinning M's (seq_cst; see find_runnable)
  std::vector<M*> allm;                // under mu
  // The idle M that sleeps until the earliest timer (at most one), and
  // that deadline (kNever: none). Under mu; timer_wait_until is also read
  // without it as a filter.
  M* timer_waiter = nullptr;
  std::atomic<int64_t> timer_wait_until{kNever};
  // Free G's: with a stack (gfree) and without (gfree_nostack); under mu.
  G* gfree = nullptr;
  size_t ngfree = 0;
  G* gfree_nostack = nullptr;
  std::atomic<int64_t> ngoroutine{0};
  std::atomic<uint64_t> spawned{0};  // also the source of goroutine ids
  // set_gomaxprocs: resizes one at a time (a Sema, so that a caller on a
  // goroutine parks instead of blocking its M), and counts the retired
  // P's it waits for (one unit per P an M gave up at its safe point).
  Sema resize_lock{1};
  Sema retired{0};
  std::atomic<uint64_t> timers_moved{0};  // timers moved off retired P's
  std::atomic<uint64_t> threads{0};
  // Idle M's woken from their note (a futex wake and an OS context switch
  // each): by startm and by wake_timer_sleeper. Relaxed RMW.
  std::atomic<uint64_t> idle_m_wakes{0};
  // The monitor (see "The monitor"). mon_word is its futex: 1 = wake up.
  // mon_idle: it sleeps without a timeout until a P runs (seq_cst, paired
  // with npidle). mon_thread/mon_pid: under mu (set once at start).
  std::atomic<uint32_t> mon_word{0};
  std::atomic<bool> mon_idle{false};
  std::atomic<bool> mon_stop{false};
  std::thread mon_thread;
  pid_t mon_pid = 0;
  std::atomic<uint64_t> preempt_requests{0}, mon_looks{0}, mon_idle_waits{0};
  // Deferred wakes made after all (see "Deferring the wake of a hand-off"):
  // by the monitor, or by the owner whose goroutine went on running.
  // Relaxed RMW.
  std::atomic<uint64_t> deferred_wakes_made{0};
};

Sched& sched() {
  static Sched* s = new Sched;  // never destroyed: M threads outlive main()
  return *s;
}

thread_local M* tls_m = nullptr;

// The current M. Not inlinable or analysable on purpose: a goroutine may
// resume on another thread after any switch, and a compiler may otherwise
// keep a thread-local address computed before the switch.
__attribute__((noipa)) M* getm() noexcept { return tls_m; }

int default_procs() {
  if (const char* e = std::getenv("SYNCSCOPE_GOMAXPROCS")) {
    char* end = nullptr;
    long v = std::strtol(e, &end, 10);
    if (end == e || *end != '\0' || v < 1 || v > kMaxProcs) {
      fatal(std::string("SYNCSCOPE_GOMAXPROCS='") + e + "'; valid: 1.." +
            std::to_string(kMaxProcs));
    }
    return static_cast<int>(v);
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    return std::clamp(CPU_COUNT(&set), 1, kMaxProcs);
  }
  return std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, kMaxProcs);
}

// ---- sanitizer fibers -------------------------------------------------------
// Every switch between an M's scheduler stack (g0) and a goroutine's stack
// goes through the four functions below, so that both sanitizers know which
// stack runs:
//   * ThreadSanitizer: each G is a TSan fiber (__tsan_create_fiber at
//     spawn, __tsan_destroy_fiber when it has exited), each M's g0 is its
//     thread's own fiber; __tsan_switch_to_fiber right before every
//     ctx_switch. Flags 0: the switch synchronizes, so what ran before it
//     happens-before what runs after it on the new stack. The runtime hands
//     G's between M's through atomics that TSan sees, so the goroutine-to-
//     goroutine happens-before TSan knows is the real one, except that two
//     goroutines that run one after the other on the same M are ordered by
//     the switches through the M's scheduler (races between them are only
//     found when they run on different M's).
//   * AddressSanitizer: __sanitizer_start_switch_fiber before and
//     __sanitizer_finish_switch_fiber after every ctx_switch, with the
//     bounds of the stack being entered (a goroutine's usable stack, or the
//     g0 bounds ASan reported on the first switch into a goroutine on this
//     M); an exiting goroutine passes no fake-stack slot, so ASan frees its
//     fake stack. Without them ASan takes the goroutine stack for a wild
//     jump of the thread's stack pointer and reports false stack overflows
//     or use-after-return.
// The four paths: execute() (g0 -> G, and back), switch_to_scheduler()
// (G -> g0: park, yield, exit, syscall without a P) and goroutine_main()'s
// first instruction (a fresh G entered from g0).
inline void fiber_enter_g(M* m, G* g);                // on g0, right before ctx_switch to g
inline void fiber_back_on_g0(M* m);                   // on g0, right after it
inline void fiber_leave_g(M* m, G* g, bool exiting);  // on g, right before ctx_switch to g0
inline void fiber_back_on_g(G* g);                    // on g, right after it (or at its start)

// ---- stacks ----------------------------------------------------------------------
size_t page_size() {
  static const size_t p = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return p;
}

void alloc_stack(G* g) {
  const size_t guard = page_size();
  const size_t size = kGoroutineStackBytes + guard;
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (base == MAP_FAILED) {
    fatal("cannot map a goroutine stack (" + std::to_string(size) +
          " bytes): out of address space or of mappings; each live goroutine needs two "
          "mappings: raise vm.max_map_count (sysctl vm.max_map_count=262144)");
  }
  if (mprotect(base, guard, PROT_NONE) != 0) {
    munmap(base, size);
    fatal(
        "cannot protect a goroutine stack's guard page: the process has too many "
        "mappings; each live goroutine needs two: raise vm.max_map_count (sysctl "
        "vm.max_map_count=262144)");
  }
  g->map_base = static_cast<char*>(base);
  g->stack_top = g->map_base + size;
}

void free_stack(G* g) {
  munmap(g->map_base, kGoroutineStackBytes + page_size());
  g->map_base = g->stack_top = nullptr;
}

inline void fiber_enter_g(M* m, G* g) {
#if defined(SYNCSCOPE_ASAN_FIBERS)
  __sanitizer_start_switch_fiber(&m->asan_fake_stack, g->stack_top - kGoroutineStackBytes,
                                 kGoroutineStackBytes);
#endif
#if defined(SYNCSCOPE_TSAN_FIBERS)
  __tsan_switch_to_fiber(g->fiber, 0);
#endif
  (void)m;
  (void)g;
}
inline void fiber_back_on_g0(M* m) {
#if defined(SYNCSCOPE_ASAN_FIBERS)
  __sanitizer_finish_switch_fiber(m->asan_fake_stack, nullptr, nullptr);
#endif
  (void)m;
}
inline void fiber_leave_g(M* m, G* g, bool exiting) {
#if defined(SYNCSCOPE_ASAN_FIBERS)
  __sanitizer_start_switch_fiber(exiting ? nullptr : &g->asan_fake_stack, m->g0_bottom, m->g0_size);
#endif
#if defined(SYNCSCOPE_TSAN_FIBERS)
  __tsan_switch_to_fiber(m->fiber, 0);
#endif
  (void)m;
  (void)g;
  (void)exiting;
}
// getm() afresh: the goroutine may resume on another M than it left.
inline void fiber_back_on_g(G* g) {
#if defined(SYNCSCOPE_ASAN_FIBERS)
  M* m = getm();
  __sanitizer_finish_switch_fiber(g->asan_fake_stack, &m->g0_bottom, &m->g0_size);
#endif
  (void)g;
}

// ---- P: local run queue (Go's runqput / runqget / runqgrab) ---------------------
bool runq_empty(P* p) noexcept {
  // Go's runqempty: tail, then head, then runnext, re-reading tail.
  for (;;) {
    uint32_t head = p->runqhead.load(std::memory_order_acquire);
    uint32_t tail = p->runqtail.load(std::memory_order_acquire);
    G* next = p->runnext.load(std::memory_order_acquire);
    if (tail == p->runqtail.load(std::memory_order_acquire)) return head == tail && next == nullptr;
  }
}

void globrunq_put_locked(Sched& s, G* g) {
  g->link = nullptr;
  if (s.runq_tail != nullptr) {
    s.runq_tail->link = g;
  } else {
    s.runq_head = g;
  }
  s.runq_tail = g;
  s.runqsize.fetch_add(1, std::memory_order_seq_cst);
}

G* globrunq_pop_locked(Sched& s) {
  G* g = s.runq_head;
  if (g == nullptr) return nullptr;
  s.runq_head = g->link;
  if (s.runq_head == nullptr) s.runq_tail = nullptr;
  g->link = nullptr;
  s.runqsize.fetch_sub(1, std::memory_order_relaxed);
  return g;
}

void globrunq_put(G* g) {
  Sched& s = sched();
  std::lock_guard<std::mutex> l(s.mu);
  globrunq_put_locked(s, g);
}

// Slow path of runq_put: the ring is full; moves half of it plus g to the
// global queue (Go's runqputslow). False if a stealer got in first.
bool runq_put_slow(P* p, G* g, uint32_t head, uint32_t tail) {
  constexpr uint32_t n = kRunqSize / 2;
  G* batch[n + 1];
  for (uint32_t i = 0; i < n; ++i) {
    batch[i] = p->runq[(head + i) % kRunqSize].load(std::memory_order_relaxed);
  }
  if (!p->runqhead.compare_exchange_strong(head, head + n, std::memory_order_acq_rel)) {
    return false;
  }
  (void)tail;
  batch[n] = g;
  Sched& s = sched();
  std::lock_guard<std::mutex> l(s.mu);
  for (uint32_t i = 0; i <= n; ++i) globrunq_put_locked(s, batch[i]);
  return true;
}

// Owner only. next: into runnext, kicking its old occupant to the tail.
void runq_put(P* p, G* g, bool next) {
  if (next) {
    g = p->runnext.exchange(g, std::memory_order_acq_rel);
    if (g == nullptr) return;
  }
  for (;;) {
    uint32_t head = p->runqhead.load(std::memory_order_acquire);
    const uint32_t tail = p->runqtail.load(std::memory_order_relaxed);
    if (tail - head < kRunqSize) {
      p->runq[tail % kRunqSize].store(g, std::memory_order_relaxed);
      p->runqtail.store(tail + 1, std::memory_order_release);
      return;
    }
    if (runq_put_slow(p, g, head, tail)) return;
  }
}

// Owner only: runnext first, then the ring's head. *from_next (if given)
// tells which: a G from runnext inherits the running slice (Go's runqget
// returns inheritTime = true for it).
G* runq_get(P* p, bool* from_next = nullptr) {
  G* next = p->runnext.load(std::memory_order_relaxed);
  if (next != nullptr &&
      p->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acquire)) {
    if (from_next != nullptr) *from_next = true;
    return next;
  }
  if (from_next != nullptr) *from_next = false;
  for (;;) {
    uint32_t head = p->runqhead.load(std::memory_order_acquire);
    const uint32_t tail = p->runqtail.load(std::memory_order_relaxed);
    if (tail == head) return nullptr;
    G* g = p->runq[head % kRunqSize].load(std::memory_order_relaxed);
    if (p->runqhead.compare_exchange_weak(head, head + 1, std::memory_order_acq_rel)) return g;
  }
}

// ---- Stealing runnext (Go's runqgrab with stealRunNextG, and the spinning M) ----
// The runnext slot is how a communicating pair stays on one P: a goroutine
// that readies its partner (goroutine_wake, Go's goready) puts it in its own
// P's runnext and, most of the time, blocks a few hundred nanoseconds later;
// its P then switches to the partner in user space. Go's ready() also calls
// wakep(), so an idle P's M wakes up, spins, and finds that runnext. Taking
// it there splits the pair over two P's: every later hand-off crosses CPUs,
// and each M that runs out of work sleeps in the kernel and is woken by the
// next wakep() — a futex wake and an OS context switch every few messages
// (issue 11 measured 0.1 per message on a cap-0 channel, Go 0.002).
// Go avoids it twice over (runtime/proc.go):
//   * runqgrab: before taking the runnext of a P that is running, the thief
//     sleeps (usleep(3)) "to give pp a chance to schedule runnext and avoid
//     thrashing gs between different Ps", then CASes the slot;
//   * a spinning M is counted in sched.nmspinning while it does so, and
//     wakep() starts nobody while an M spins: the ready()s of a busy pair
//     find it spinning and wake nobody.
// Here, without Go's sleep on every look (it makes a wake-up across P's
// cost 3 us plus the kernel's timer slack, ~55 us; Go measured 149 us in the
// goroutines suite):
//   * Backing off (runq_grab): the thief looks at the victim's schedtick.
//     Unchanged since this M last looked (before it slept, or in its last
//     pass): the victim has been running one goroutine all that time, a
//     long runner that readied someone and does not block: take runnext at
//     once. Changed: the victim is switching goroutines, so its goroutine
//     will likely block soon and run runnext itself: spin up to
//     kRunnextBackoffNs watching the slot and the tick, and take runnext only
//     if the victim did not schedule meanwhile (Go's usleep(3), as a spin
//     that ends early). (Tried in issue 11 and reverted after measuring:
//     backing off from every running P's runnext and then giving the CPU
//     away once (nanosleep) before taking it. It kept spsc cap 1024 on one
//     P (25 vs 89 ns/msg, 6 alternating rounds, load 1.5) but a
//     starvation-mode hand-off's waiter, readied into the unlocker's
//     runnext, waited for the give-away: lockskew's victim p99 on
//     goroutines went from 1.1 to 1.5-3.7 ms (Go: 1.16; 4 alternating
//     rounds, load 0.3-0.7), and spsc/pingpong caps 0/1 were 10-15 %
//     slower; prodcons with work, which
//     it was for, did not gain once measured quietly.
//     Tried once more with a starvation-mode hand-off yielding its P to
//     the receiver (goroutine_wake_handoff): 4 alternating rounds at load
//     1.2-1.9, lockskew's victim p99 on goroutines was still 2.49 ms
//     (1.18-3.64) against 1.11 without it and Go's 1.15; spsc cap 1024 is
//     kept on one P by the deferred wake instead, see "Deferring the wake
//     of a hand-off".)
//     Go's rule itself (nanosleep kSpinPollSleepNs if the victim runs, then
//     CAS runnext whether or not it switched) was measured against this
//     one in one binary (issue 11, mtx4; the rule chosen at run time, in
//     history before its revert), both for every goroutine and only for a
//     goroutine readied by the parking layer (a semaphore release). It is
//     not the cause of GoMutex's +60 % over Go's sync.Mutex at fairness cs
//     100 / ncs 100 on goroutines: quiet (load 1.7-2.3, 5 alternating
//     rounds), acq/s / CPUs / barging share: this rule 5.35 M / 1.51 /
//     0.93, Go's for every goroutine 5.71 M / 1.44 / 0.95, Go's for
//     semaphore wakes only 5.92 M / 1.41 / 0.95, Go 3.36 M / 1.87 / 0.74.
//     Loaded (load 2.6-8, 10 rounds) it did bring lockskew's victim p50
//     to Go's (1.06 vs 1.07 ms; this rule 40 ns) and fairness Jain to Go's
//     (cs 100: 0.986-0.988 vs 0.928, Go 0.988); over 6 loaded rounds
//     (load 1.8-20) of the channels matrix's goroutine rows, Go's rule for
//     every goroutine was 0.83x this one (geometric mean, 8 of 73 rows
//     > 1.1x), the semaphore-only rule 0.95x (noise: rows no steal
//     touches moved 0.55-1.40x). Without polling as well (Go's
//     findrunnable) most channel rows were 1.5-4x slower (one round).
//   * Polling (find_runnable): a spinning M that found nothing, while some
//     running P scheduled since its last look, stays spinning (counted in
//     nmspinning, so that P's wakeups wake nobody) and sleeps
//     kSpinPollSleepNs in nanosleep before it looks again, instead of giving
//     its P back and sleeping on its note until the next wakep(). A P that
//     stops scheduling (its goroutine runs on, or it went idle) ends the
//     polling at the next look. The price: one short nanosleep wake-up every
//     few tens of microseconds (the kernel's timer slack) on a CPU that is
//     otherwise idle, while a busy pair runs — Go pays the same in usleep(3).
// What the trade costs: a goroutine readied by a P that is switching is run
// by another P up to kRunnextBackoffNs later (or, while an M polls, up to
// one poll later) than if it were taken at once.
//
// Stealing from a switching P's ring (issue 11, mpmc on goroutines). A
// group of goroutines that talk through one channel keeps most of its
// members parked on the channel and a few runnable at a time: each ready
// puts the woken one in the waker's runnext and kicks the previous occupant
// to the ring. Taking half of that ring at once (Go's runqgrab does) splits
// the group over both P's; from then on every channel operation moves the
// channel's lines between CPUs, and each P keeps itself busy readying the
// goroutines its own goroutines wake, so the split lasts. Measured on the
// 2-CPU machine (load 11-16, other builds running), the same run either
// stayed on one P or split for good:
// mpmc 16+16 cap 0 at ~120 ns/msg on one P (CPU time = wall time) vs
// ~600 ns/msg split (CPU time = 2x wall time, 0.04-0.06 steals/msg from a
// P that ran out for a moment); Go's chan, on the same machine, ~136 ns/msg
// with CPU time = wall time. So a thief takes from a running P's ring only
// goroutines that waited there a whole poll: when the victim's schedtick
// moved since this M last looked (it is switching goroutines: draining its
// ring by itself) and its ring head has passed everything that was queued
// at this M's last look (M::seen_tail), the thief notes the tail, leaves
// the ring to its owner (counted in ring_backoffs; the M keeps polling, as
// for runnext) and looks again after its poll sleep; a goroutine still
// queued then — its P did not get to it within a poll — is taken, half the
// ring with it, as before. A victim whose tick did not move (one goroutine
// runs on: a long runner) or that is not running is robbed at once, so
// independent work still spreads. The price: queued work reaches an idle P
// up to one poll (kSpinPollSleepNs plus the kernel's timer slack, ~55 us
// here) later than at once, and work that a P gets through within a poll
// stays on that P. (An earlier try watched the ring head for up to 1 us and
// left the ring whenever it moved; reverted in 3e81b31 after a 3-round
// measurement; this rule judges by what is still queued after a poll.)
constexpr int64_t kRunnextBackoffNs = 1000;
constexpr long kSpinPollSleepNs = 3000;  // Go: usleep(3)

void spin_poll_sleep() {
  timespec ts{0, kSpinPollSleepNs};
  nanosleep(&ts, nullptr);
}

// Takes about half of victim's run queue into batch (Go's runqgrab); with
// steal_next, also its runnext when the ring is empty, after the back-off
// above. *switching is set when the victim scheduled during the back-off
// (its own M ran or replaced runnext: nothing was taken). Returns the count.
uint32_t runq_grab(M* m, P* victim, G** batch, bool steal_next, bool* switching) {
  bool ring_looked = false;
  for (;;) {
    uint32_t head = victim->runqhead.load(std::memory_order_acquire);
    uint32_t tail = victim->runqtail.load(std::memory_order_acquire);
    uint32_t n = tail - head;
    n = n - n / 2;
    if (n != 0 && n <= kRunqSize / 2 && !ring_looked) {
      // The ring rule (see "Stealing from a switching P's ring"): once per
      // grab, against what this M saw at the end of its last pass
      // (others_switched records seen_tick and seen_tail there, so every
      // grab of one pass judges against the same look).
      ring_looked = true;
      const bool running = victim->running.load(std::memory_order_relaxed);
      const bool moved =
          victim->schedtick.load(std::memory_order_relaxed) != m->seen_tick[victim->id];
      if (!ring_take_now(running, moved, m->seen_tail[victim->id], head, tail)) {
        bump(m->ring_backoffs);
        *switching = true;  // its owner drains its ring: look again after a poll
        return 0;
      }
    }
    if (n == 0) {
      if (steal_next) {
        G* next = victim->runnext.load(std::memory_order_acquire);
        if (next == nullptr) return 0;
        const uint32_t tick = victim->schedtick.load(std::memory_order_relaxed);
        uint32_t& seen = m->seen_tick[victim->id];
        if (victim->running.load(std::memory_order_relaxed) && tick != seen) {
          bump(m->runnext_backoffs);
          const int64_t until = now_ns() + kRunnextBackoffNs;
          while (victim->schedtick.load(std::memory_order_relaxed) == tick &&
                 victim->runnext.load(std::memory_order_relaxed) == next && now_ns() < until) {
            arch::cpu_relax();
          }
          const uint32_t after = victim->schedtick.load(std::memory_order_relaxed);
          if (after != tick) {
            seen = after;
            *switching = true;  // its owner is scheduling: leave runnext to it
            return 0;
          }
        }
        seen = tick;
        if (victim->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acq_rel)) {
          bump(m->runnext_steals);
          batch[0] = next;
          return 1;
        }
        *switching = true;
      }
      return 0;
    }
    if (n > kRunqSize / 2) continue;  // inconsistent head/tail snapshot: retry
    for (uint32_t i = 0; i < n; ++i) {
      batch[i] = victim->runq[(head + i) % kRunqSize].load(std::memory_order_relaxed);
    }
    if (victim->runqhead.compare_exchange_strong(head, head + n, std::memory_order_acq_rel)) {
      return n;
    }
  }
}

// Steals half of victim's queue into p's; returns one G to run (Go's runqsteal).
G* runq_steal(M* m, P* p, P* victim, bool steal_next, bool* switching) {
  G* batch[kRunqSize / 2];
  const uint32_t n = runq_grab(m, victim, batch, steal_next, switching);
  if (n == 0) return nullptr;
  // p's ring is empty (we are looking for work), so n - 1 <= 127 slots fit.
  const uint32_t tail = p->runqtail.load(std::memory_order_relaxed);
  for (uint32_t i = 1; i < n; ++i) {
    p->runq[(tail + i - 1) % kRunqSize].store(batch[i], std::memory_order_relaxed);
  }
  if (n > 1) p->runqtail.store(tail + n - 1, std::memory_order_release);
  return batch[0];
}

// True if a running P other than p scheduled since m last looked (M::
// seen_tick); updates what m saw (seen_tick, and seen_tail for the ring
// rule). Called once per pass of find_runnable, after its steal rounds.
// See "Polling" and "Stealing from a switching P's ring" above.
bool others_switched(M* m, P* p, int nprocs) {
  Sched& s = sched();
  bool any = false;
  for (int i = 0; i < nprocs; ++i) {
    P* q = s.allp[i];
    if (q == p) continue;
    const uint32_t tick = q->schedtick.load(std::memory_order_relaxed);
    if (q->running.load(std::memory_order_relaxed) && tick != m->seen_tick[i]) any = true;
    m->seen_tick[i] = tick;
    m->seen_tail[i] = q->runqtail.load(std::memory_order_relaxed);
  }
  return any;
}

// What a spinning M that found nothing saw of the other running P's while
// it watched them for up to kRunnextBackoffNs (see "Polling").
enum class Others { kQuiet, kSwitching, kReadied };
Others watch_others(M* m, P* p, int nprocs) {
  Sched& s = sched();
  bool any_running = false;
  for (int i = 0; i < nprocs && !any_running; ++i) {
    any_running = s.allp[i] != p && s.allp[i]->running.load(std::memory_order_relaxed);
  }
  if (!any_running) return Others::kQuiet;
  const int64_t until = now_ns() + kRunnextBackoffNs;
  do {
    for (int i = 0; i < nprocs; ++i) {
      P* q = s.allp[i];
      if (q == p || !q->running.load(std::memory_order_relaxed)) continue;
      const uint32_t tick = q->schedtick.load(std::memory_order_relaxed);
      if (tick != m->seen_tick[i]) {
        m->seen_tick[i] = tick;
        return Others::kSwitching;
      }
      if (q->runnext.load(std::memory_order_relaxed) != nullptr) return Others::kReadied;
    }
    arch::cpu_relax();
  } while (now_ns() < until);
  return Others::kQuiet;
}

// ---- timers (per P) ----------------------------------------------------------------
bool timer_less(const G* a, const G* b) { return a->timer_when < b->timer_when; }

void heap_set(P* p, size_t i, G* g) {
  p->timers[i] = g;
  g->timer_idx = i;
}
void heap_up(P* p, size_t i) {
  G* g = p->timers[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!timer_less(g, p->timers[parent])) break;
    heap_set(p, i, p->timers[parent]);
    i = parent;
  }
  heap_set(p, i, g);
}
void heap_down(P* p, size_t i) {
  const size_t n = p->timers.size();
  G* g = p->timers[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && timer_less(p->timers[c + 1], p->timers[c])) ++c;
    if (!timer_less(p->timers[c], g)) break;
    heap_set(p, i, p->timers[c]);
    i = c;
  }
  heap_set(p, i, g);
}
void heap_remove(P* p, size_t i) {
  G* last = p->timers.back();
  p->timers.pop_back();
  if (i < p->timers.size()) {
    heap_set(p, i, last);
    heap_down(p, i);
    heap_up(p, last->timer_idx);
  }
}
void update_timer0(P* p) {
  p->timer0.store(p->timers.empty() ? kNever : p->timers.front()->timer_when,
                  std::memory_order_seq_cst);
}

void wake_timer_sleeper(int64_t when);

// Arms g's timer on the current P.
void add_timer(P* p, G* g, int64_t when) {
  {
    std::lock_guard<std::mutex> l(p->tmu);
    g->timer_when = when;
    p->timers.push_back(g);
    g->timer_idx = p->timers.size() - 1;
    heap_up(p, g->timer_idx);
    g->timer_p.store(p, std::memory_order_release);
    update_timer0(p);
  }
  if (when < sched().timer_wait_until.load(std::memory_order_seq_cst)) wake_timer_sleeper(when);
}

// Disarms g's timer if it has not fired. Only g itself calls this. The
// timer may move to another P meanwhile (retire_p): follow it.
void del_timer(G* g) {
  for (;;) {
    P* p = g->timer_p.load(std::memory_order_acquire);
    if (p == nullptr) return;  // fired
    std::lock_guard<std::mutex> l(p->tmu);
    if (g->timer_p.load(std::memory_order_relaxed) != p) continue;  // fired or moved meanwhile
    heap_remove(p, g->timer_idx);
    g->timer_p.store(nullptr, std::memory_order_relaxed);
    update_timer0(p);
    return;
  }
}

// Runs q's expired timers (wakes their goroutines). True if any fired.
bool run_timers(M* m, P* q, int64_t now) {
  if (q->timer0.load(std::memory_order_seq_cst) > now) return false;
  G* fired[64];
  size_t n = 0;
  {
    std::lock_guard<std::mutex> l(q->tmu);
    while (n < 64 && !q->timers.empty() && q->timers.front()->timer_when <= now) {
      G* g = q->timers.front();
      heap_remove(q, 0);
      g->timer_p.store(nullptr, std::memory_order_release);
      fired[n++] = g;
    }
    update_timer0(q);
  }
  for (size_t i = 0; i < n; ++i) {
    bump(m->timers_fired);
    goroutine_wake(fired[i]);
  }
  return n != 0;
}

// The clock is read only when some P has a timer (Go's checkTimers returns
// before nanotime() when timer0When is 0): in a virtual machine a
// clock_gettime costs tens of nanoseconds, and every schedule passes here.
bool run_all_timers(M* m) {
  Sched& s = sched();
  const int n = s.nprocs.load(std::memory_order_acquire);
  int64_t now = kNever;
  bool any = false;
  for (int i = 0; i < n; ++i) {
    P* q = s.allp[i];
    if (q == nullptr || q->timer0.load(std::memory_order_seq_cst) == kNever) continue;
    if (now == kNever) now = now_ns();
    if (run_timers(m, q, now)) any = true;
  }
  return any;
}

// ---- idle P's and M's ----------------------------------------------------------------
void pidle_put_locked(Sched& s, P* p) {
  p->m = nullptr;
  p->running.store(false, std::memory_order_relaxed);
  p->link = s.pidle;
  s.pidle = p;
  s.npidle.fetch_add(1, std::memory_order_seq_cst);
}
P* pidle_get_locked(Sched& s) {
  P* p = s.pidle;
  if (p == nullptr) return nullptr;
  s.pidle = p->link;
  p->link = nullptr;
  s.npidle.fetch_sub(1, std::memory_order_seq_cst);
  return p;
}
bool pidle_take_locked(Sched& s, P* want) {
  for (P** pp = &s.pidle; *pp != nullptr; pp = &(*pp)->link) {
    if (*pp == want) {
      *pp = want->link;
      want->link = nullptr;
      s.npidle.fetch_sub(1, std::memory_order_seq_cst);
      return true;
    }
  }
  return false;
}
bool midle_remove_locked(Sched& s, M* m) {
  for (M** pp = &s.midle; *pp != nullptr; pp = &(*pp)->link) {
    if (*pp == m) {
      *pp = m->link;
      m->link = nullptr;
      return true;
    }
  }
  return false;
}

void monitor_wake() noexcept;

void acquirep(M* m, P* p) {
  m->p = p;
  p->m = m;
  p->running.store(true, std::memory_order_relaxed);
  // The monitor sleeps while every P is idle: a P runs again (Go wakes
  // sysmon the same way). Dekker with the monitor: npidle was decremented
  // (seq_cst) before this seq_cst load; it stores mon_idle, then reads npidle.
  Sched& s = sched();
  if (s.mon_idle.load(std::memory_order_seq_cst) &&
      s.mon_idle.exchange(false, std::memory_order_seq_cst)) {
    monitor_wake();
  }
}

void mstart(M* m);

// Starts an M (an idle one, or a new thread) to run P p (null: any idle P;
// none: nothing to do). spinning: the caller counted it in nmspinning.
void startm(P* p, bool spinning) {
  Sched& s = sched();
  M* m = nullptr;
  {
    std::lock_guard<std::mutex> l(s.mu);
    if (p == nullptr) p = pidle_get_locked(s);
    if (p == nullptr) {
      if (spinning) s.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
      return;
    }
    m = s.midle;
    if (m != nullptr) {
      s.midle = m->link;
      m->link = nullptr;
      if (s.timer_waiter == m) {
        s.timer_waiter = nullptr;
        s.timer_wait_until.store(kNever, std::memory_order_seq_cst);
      }
    } else {
      m = new M;
      m->rng = static_cast<uint32_t>(s.allm.size() * 2654435761u) | 1u;
      s.allm.push_back(m);
      s.threads.fetch_add(1, std::memory_order_relaxed);
    }
    m->nextp = p;
    m->spinning = spinning;
  }
  if (m->thread_started) {
    s.idle_m_wakes.fetch_add(1, std::memory_order_relaxed);
    m->note.release();  // an idle M: wake it
  } else {
    m->thread_started = true;
    std::thread([m] { mstart(m); }).detach();
  }
}

// Go's wakep: one more spinning M if there is an idle P and nobody spins.
void wakep() {
  Sched& s = sched();
  if (s.npidle.load(std::memory_order_seq_cst) == 0) return;
  if (s.nmspinning.load(std::memory_order_seq_cst) != 0) return;
  int32_t zero = 0;
  if (!s.nmspinning.compare_exchange_strong(zero, 1, std::memory_order_seq_cst)) return;
  startm(nullptr, true);
}

// ---- Deferring the wake of a hand-off (issue 11) ----------------------------
// Go's ready() puts the woken G in the waker's runnext and calls wakep():
// if a P is idle and no M spins, an idle M is woken (a futex wake and an OS
// context switch) to come and run it in parallel. In a hand-off the waker
// almost always blocks a few hundred nanoseconds later (a producer's next
// send on a full channel, a consumer's next receive), and its own P runs
// the readied G in user space. The woken M then either finds nothing and
// goes back to sleep (the wake was wasted) or, a few microseconds later,
// takes the runnext (the pair is split over two CPUs, and the next hand-off
// crosses them, wakes the M again, ...). Measured on the 2-CPU development
// machine, 4 alternating rounds at load 3.2-3.9, GOMAXPROCS=2: prodcons
// with 100 ns of work per side, cap 0, 635 ns/msg with 0.052 idle-M wakes
// per message, every one followed by a runnext steal; with the wake left
// out 351 ns/msg (GOMAXPROCS=1: 374; Go's chan 440); cap 16 489 -> 296
// (Go 299); mpmc 4+4 cap 1024 43 -> 29.
// So a goroutine that hands a channel value to a parked G
// (goroutine_wake_chan_handoff, from chan_core.cc) and readies it into its own
// P's runnext, with nothing else in that P's ring, does not wake an idle
// M: it marks its slice
// (P::wake_deferred = schedtick + 1). If its slice ends (it parks, yields
// or exits) the mark is dropped: the P runs the readied G itself. If it
// goes on running, the wake is made after all:
//   * by the owner, when the goroutine that parked was woken before it
//     switched out and runs on (execute(): its park did not happen);
//   * by the monitor (deferred_wake_look), at the second look in a row that
//     finds the same mark naming the running slice while the P's run queue
//     is not empty (deferred_wake_due): the goroutine ran on for a whole
//     monitor sleep. The look that first sights such a mark shortens the
//     monitor's next sleep, and that one only, to kMonitorMinSleepUs, at
//     most once per kMonitorMaxSleepUs slept (deferred_watch_allowed): the
//     wake comes one short sleep after the first sight, not a backed-off
//     sleep later. A look that makes such a wake counts as work (the
//     monitor goes back to its shortest sleep), and for kMonitorWatchHoldNs
//     after it the monitor backs off only to kMonitorWatchMaxSleepUs
//     (monitor_max_sleep_us), so the next mark of a workload that runs on
//     after its hand-offs is sighted within 200 us, not 10 ms. A look that
//     merely sights a mark does not count as work: a pair that hands off
//     all the time has one most of the time (on a new slice at each look,
//     so never due), and in the first version, which woke at the first
//     such look and kept the monitor at its shortest sleep for it, the
//     monitor's wake-ups cost the pair more than the idle M's had
//     (prodcons cap 0 without work, 119 -> 138 ns/msg, 4 rounds at load
//     2.1); under the rate limit such a pair costs a backed-off monitor one
//     extra look per kMonitorMaxSleepUs, and it never gets the 200 us cap.
// With more than one G waiting (the ring not empty), or from a thread, an
// M's own scheduler code (timers) or with no idle P / an M spinning anyway
// (wakep would do nothing), it calls wakep() as before; so does every
// other waker (goroutine_wake: the parking layer's Sema, hence the Go
// mutexes, WaitGroup, Cond, ...). Tried for every waker first, and
// measured (6 alternating rounds at load 14-15): lockskew's hog, whose
// unlock readies the victim and which then goes on running, waited up to
// 360-380 ms for the lock (8-19 ms with the wake at once), the victim's
// p99 fell from 4-9 ms to 0.3-0.5 us: far from Go's sync.Mutex, which the
// Go mutexes reproduce.
// What it trades: a G readied by a goroutine that then runs on without
// blocking waits for another P until a monitor look sights the mark (at
// most one monitor sleep: kMonitorMaxSleepUs = kTimeSliceNs after a quiet
// spell, kMonitorWatchMaxSleepUs = 200 us for kMonitorWatchHoldNs after a
// deferred wake was made) plus one shortest sleep, instead of the futex
// wake's few microseconds. A goroutine that runs on past its slice is
// also marked for preemption, and its P runs the readied G at its next
// safe point.
// Before the first-sight rule and the 200 us cap (the monitor made the
// wake at its second look, whatever its sleep), measured
// (the channels suite's case:handoff_runon: a receiver parked on
// an empty channel, a sender that hands it one value and then runs W of
// calibrated work without blocking; send -> receiver running, p50 / p99,
// medians of 3 runs of 5 repetitions, cap 0; 2-CPU VM, load 3.8-7.1,
// GOMAXPROCS=2, Go 1.19): W = 0 (the sender blocks at once, its P runs the
// receiver): goroutines 121 ns / 0.6 us, Go 193 ns / 17 us, threads
// 3.7 / 7.6 us. W = 50 us: goroutines 51 / 84 us (the whole W: no deferred
// wake is made), Go 84 / 103 us (its woken M sleeps 3 us before it steals
// runnext, 50 us of timer slack), threads 4.9 / 46 us. W = 500 us:
// goroutines 0.67 / 3.0 ms (again the whole W), Go 81 / 512 us, threads
// 30 us / 1.2 ms. W = 20 ms: goroutines 7.4 / 20 ms (0.9 wakes made per
// message, by the monitor at its 10 ms sleep), Go 0.13 / 9.9 ms, threads
// 31 us / 10 ms. Three more runs at load 4.2-4.8 agree (p50 goroutines /
// Go: 50 / 79 us, 508 / 80 us, 13.8 ms / 106 us). In this steady
// workload the monitor stayed backed off: no wake was made while W < its
// sleep, so nothing brought it back to 20 us, and a sender that ran on
// after a hand-off delayed its receiver by up to its own run (or two 10 ms
// sleeps) where Go delays it by ~80 us.
// With the rule: misc2's monitor (base) vs this one, 8 alternating rounds
// of 3 repetitions, medians of the rounds' medians, goroutines, p50 / p99
// send -> receiver running; a badly loaded machine (load 19-27, two other
// engineers' SCHED_FIFO benchmarks running): W = 20 ms, cap 0: 14.5 ->
// 0.36 ms p50, 35 -> 8.9 ms p99; cap 16: 14.8 -> 0.36 ms, 30 -> 20 ms
// (one wake made per message in both). W = 500 us, cap 0: 532 -> 194 us
// p50, 7.8 -> 3.2 ms p99; cap 16: 541 -> 251 us, 8.8 -> 2.4 ms. W = 50 us
// and W = 0 unchanged (51 us, the whole W, and ~0.1-0.2 us p50: no wake
// is needed or made). The goroutine rows of spsc / prodcons / pingpong /
// mpsc make no deferred wake in either build (only the rate-limited
// extra looks differ) and moved both ways at that load (ratios 0.6-2.7,
// see the report of this change); measure them again on a quiet machine.
void make_deferred_wake() {
  sched().deferred_wakes_made.fetch_add(1, std::memory_order_relaxed);
  wakep();
}

// A timer earlier than the timer sleeper's deadline was armed: wake the
// sleeper to re-arm, or, without one, get an idle M to become it.
void wake_timer_sleeper(int64_t when) {
  Sched& s = sched();
  M* w = nullptr;
  bool start = false;
  {
    std::lock_guard<std::mutex> l(s.mu);
    if (s.timer_waiter != nullptr) {
      if (when < s.timer_wait_until.load(std::memory_order_relaxed)) {
        w = s.timer_waiter;
        s.timer_waiter = nullptr;
        s.timer_wait_until.store(kNever, std::memory_order_seq_cst);
        midle_remove_locked(s, w);
        w->nextp = nullptr;  // "re-evaluate", not "run this P"
        w->spinning = false;
      }
    } else {
      start = s.npidle.load(std::memory_order_relaxed) > 0;
    }
  }
  if (w != nullptr) {
    s.idle_m_wakes.fetch_add(1, std::memory_order_relaxed);
    w->note.release();
  } else if (start) {
    wakep();
  }
}

// ---- GOMAXPROCS at run time (Go's procresize, without stopping the world) ------
// set_gomaxprocs(n) with goroutines running. Growing is immediate: the new
// P's go to the idle list and wakep() lets an M take one. Shrinking removes
// P's n..old-1: an idle one is retired at once by set_gomaxprocs; one that
// an M holds is flagged `retiring`, and that M gives it up at its next safe
// point — the top of find_runnable (after its goroutine parked, yielded,
// exited or went into a SyscallGuard), or where it would put the P on the
// idle list — instead of stopping every M as Go does (without preemption,
// a stop-the-world would wait for the same safe points anyway).
// set_gomaxprocs returns when every removed P is retired, so from then on
// at most n goroutines run at once; until then nprocs keeps the old value
// and the retiring P's stay visible to stealers (their queues drain).
// retire_p (Go's p.destroy) moves a P's run queue to the global queue and
// its timers to P 0 (which is never removed), so no runnable or sleeping
// goroutine is lost. The caller owns p: it holds it, or took it off the
// idle list, and no M will be handed it again.
void retire_p(P* p) {
  Sched& s = sched();
  G* batch[kRunqSize + 1];
  size_t n = 0;
  while (G* g = runq_get(p)) batch[n++] = g;  // stealers may still take some
  if (n != 0) {
    std::lock_guard<std::mutex> l(s.mu);
    for (size_t i = 0; i < n; ++i) globrunq_put_locked(s, batch[i]);
  }
  P* to = s.allp[0];
  int64_t earliest = kNever;
  {
    // Two timer locks, always retiring -> P 0 (nobody else holds two).
    std::lock_guard<std::mutex> lp(p->tmu);
    std::lock_guard<std::mutex> lt(to->tmu);
    for (G* g : p->timers) {
      to->timers.push_back(g);
      g->timer_idx = to->timers.size() - 1;
      heap_up(to, g->timer_idx);
      g->timer_p.store(to, std::memory_order_release);
      earliest = std::min(earliest, g->timer_when);
      s.timers_moved.fetch_add(1, std::memory_order_relaxed);
    }
    p->timers.clear();
    update_timer0(p);
    update_timer0(to);
  }
  p->m = nullptr;
  p->running.store(false, std::memory_order_relaxed);
  p->retiring.store(false, std::memory_order_relaxed);
  if (earliest != kNever && earliest < s.timer_wait_until.load(std::memory_order_seq_cst)) {
    wake_timer_sleeper(earliest);
  }
  if (n != 0) wakep();
}

// An M gives up the P it holds (m->p already cleared): onto the idle list,
// or, if set_gomaxprocs is removing it, retired. Under Sched::mu; returns
// false for "retire it": the caller calls retire_p(p) and then
// s.retired.release() once it has dropped the lock.
bool pidle_put_or_retire_locked(Sched& s, P* p) {
  if (p->retiring.load(std::memory_order_acquire)) return false;
  pidle_put_locked(s, p);
  return true;
}

void retire_and_signal(P* p) {
  retire_p(p);
  sched().retired.release();
}

// Parks the M (which holds no P) until startm hands it one or, as the timer
// sleeper, until the earliest timer. Returns with m->p set.
void stopm(M* m) {
  Sched& s = sched();
  for (;;) {
    int64_t until = kNever;
    {
      std::lock_guard<std::mutex> l(s.mu);
      if (s.timer_waiter == nullptr && s.npidle.load(std::memory_order_relaxed) > 0) {
        const int n = s.nprocs.load(std::memory_order_relaxed);
        for (int i = 0; i < n; ++i) {
          until = std::min(until, s.allp[i]->timer0.load(std::memory_order_seq_cst));
        }
        if (until != kNever) {
          s.timer_waiter = m;
          s.timer_wait_until.store(until, std::memory_order_seq_cst);
        }
      }
      m->nextp = nullptr;
      m->link = s.midle;
      s.midle = m;
    }
    bool woken = true;
    if (until == kNever) {
      m->note.acquire();
    } else {
      woken = m->note.acquire_until(Clock::time_point(std::chrono::nanoseconds(until)));
    }
    if (!woken) {
      std::unique_lock<std::mutex> l(s.mu);
      if (midle_remove_locked(s, m)) {
        // The deadline passed and nobody chose this M: run the timers.
        if (s.timer_waiter == m) {
          s.timer_waiter = nullptr;
          s.timer_wait_until.store(kNever, std::memory_order_seq_cst);
        }
        P* p = pidle_get_locked(s);
        l.unlock();
        if (p != nullptr) {
          acquirep(m, p);
          m->spinning = false;
          return;
        }
        continue;  // every P is busy: their M's run the timers when they schedule
      }
      l.unlock();
      m->note.acquire();  // chosen meanwhile: its release is on the way
    }
    if (m->nextp != nullptr) {
      acquirep(m, m->nextp);
      m->nextp = nullptr;
      return;
    }
    // Woken to re-evaluate the timers: try for an idle P, else sleep again.
    P* p = nullptr;
    {
      std::lock_guard<std::mutex> l(s.mu);
      p = pidle_get_locked(s);
    }
    if (p != nullptr) {
      acquirep(m, p);
      m->spinning = false;
      return;
    }
  }
}

uint32_t fastrand(M* m) {  // Marsaglia's xorshift32
  uint32_t x = m->rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  m->rng = x;
  return x;
}

// The running slice of p (its owner's) has a preemption mark: the monitor
// saw it last kTimeSliceNs. Takes the mark (CAS: a newer one stays).
bool slice_marked(P* p) noexcept {
  uint32_t mark = p->preempt.load(std::memory_order_relaxed);
  if (!mark_names(mark, p->slicetick.load(std::memory_order_relaxed))) return false;
  return p->preempt.compare_exchange_strong(mark, 0, std::memory_order_relaxed);
}

// Go's findrunnable: own timers, own queue, global queue, other P's timers,
// stealing (bounded spinning), then give the P back and sleep.
G* find_runnable(M* m) {
  Sched& s = sched();
  m->inherit_slice = false;
  for (;;) {
    P* p = m->p;
    if (p->retiring.load(std::memory_order_acquire)) {
      // A safe point: set_gomaxprocs is removing p (see retire_p).
      m->p = nullptr;
      if (m->spinning) {
        m->spinning = false;
        s.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
      }
      retire_and_signal(p);
      stopm(m);
      continue;
    }
    if (p->timer0.load(std::memory_order_seq_cst) != kNever) run_timers(m, p, now_ns());
    if (p->schedtick.load(std::memory_order_relaxed) % kGlobalPollEvery == 0 &&
        s.runqsize.load(std::memory_order_relaxed) > 0) {
      std::lock_guard<std::mutex> l(s.mu);
      if (G* g = globrunq_pop_locked(s)) return g;
    }
    if (G* g = runq_get(p, &m->inherit_slice)) {
      // g would inherit a slice the monitor has marked (it has had its
      // kTimeSliceNs): g is preempted before it starts, as Go's goroutine
      // would be at its first safe point, and the P looks at its ring and
      // the global queue (see "Slices and runnext").
      if (!m->inherit_slice || !slice_marked(p)) return g;
      bump(m->preemptions);
      m->inherit_slice = false;
      globrunq_put(g);
      continue;
    }
    if (s.runqsize.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> l(s.mu);
      if (G* g = globrunq_pop_locked(s)) {
        // Take a share of the rest too (Go's globrunqget batch).
        const int64_t n = std::min<int64_t>(
            s.runqsize.load(std::memory_order_relaxed) / s.nprocs.load(), kRunqSize / 2);
        for (int64_t i = 0; i < n; ++i) runq_put(p, globrunq_pop_locked(s), false);
        return g;
      }
    }
    if (run_all_timers(m)) continue;

    const int nprocs = s.nprocs.load(std::memory_order_acquire);
    if (m->spinning || 2 * s.nmspinning.load(std::memory_order_seq_cst) <
                           nprocs - s.npidle.load(std::memory_order_seq_cst)) {
      if (!m->spinning) {
        m->spinning = true;
        s.nmspinning.fetch_add(1, std::memory_order_seq_cst);
      }
      bool switching = false;  // a victim scheduled while we backed off
      for (int round = 0; round < 4; ++round) {
        const uint32_t start = fastrand(m);
        for (int k = 0; k < nprocs; ++k) {
          P* victim = s.allp[(start + k) % nprocs];
          if (victim == p) continue;
          if (G* g = runq_steal(m, p, victim, round == 3, &switching)) {
            bump(m->steals);
            return g;
          }
        }
      }
      // Nothing to steal. If another P is switching goroutines, keep
      // spinning, asleep, so that its wakeups wake nobody; if one readied a
      // goroutine meanwhile, look again (see "Stealing runnext": polling).
      const Others seen = (others_switched(m, p, nprocs) || switching) ? Others::kSwitching
                                                                       : watch_others(m, p, nprocs);
      if (seen == Others::kSwitching) {
        bump(m->spin_polls);
        spin_poll_sleep();
        continue;
      }
      if (seen == Others::kReadied) continue;
    }

    // Nothing: give the P back (Go's "delicate dance" follows).
    bool idled = true;
    {
      std::lock_guard<std::mutex> l(s.mu);
      if (G* g = globrunq_pop_locked(s)) return g;
      m->p = nullptr;
      idled = pidle_put_or_retire_locked(s, p);
    }
    if (!idled) retire_and_signal(p);
    if (m->spinning) {
      m->spinning = false;
      s.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
      // A goroutine readied while we were spinning saw nmspinning > 0 and
      // did not wake anyone: look once more now that we no longer count.
      bool work = s.runqsize.load(std::memory_order_seq_cst) > 0;
      for (int i = 0; i < nprocs && !work; ++i) work = !runq_empty(s.allp[i]);
      if (work) {
        P* np = nullptr;
        {
          std::lock_guard<std::mutex> l(s.mu);
          np = pidle_get_locked(s);
        }
        if (np != nullptr) {
          acquirep(m, np);
          m->spinning = true;
          s.nmspinning.fetch_add(1, std::memory_order_seq_cst);
          continue;
        }
      }
    }
    stopm(m);
  }
}

// Go's resetspinning: a spinning M found work; if it was the last spinner,
// start another so that new work still finds a spinner.
void reset_spinning(M* m) {
  Sched& s = sched();
  m->spinning = false;
  if (s.nmspinning.fetch_sub(1, std::memory_order_seq_cst) == 1) wakep();
}

G* gget() {
  Sched& s = sched();
  {
    std::lock_guard<std::mutex> l(s.mu);
    if (G* g = s.gfree) {
      s.gfree = g->link;
      --s.ngfree;
      g->link = nullptr;
      return g;
    }
    if (G* g = s.gfree_nostack) {
      s.gfree_nostack = g->link;
      g->link = nullptr;
      alloc_stack(g);
      return g;
    }
  }
  G* g = new G;
  alloc_stack(g);
  return g;
}

void gfree(G* g) {
  Sched& s = sched();
#if defined(SYNCSCOPE_TSAN_FIBERS)
  __tsan_destroy_fiber(g->fiber);
  g->fiber = nullptr;
#endif
  std::lock_guard<std::mutex> l(s.mu);
  if (s.ngfree < kStackPoolMax) {
    g->link = s.gfree;
    s.gfree = g;
    ++s.ngfree;
  } else {
    free_stack(g);
    g->link = s.gfree_nostack;
    s.gfree_nostack = g;
  }
}

// Runs g on m until it switches back, then does what it asked for.
void execute(M* m, G* g) {
  Sched& s = sched();
  bool inherit = m->inherit_slice;  // taken from this P's runnext (find_runnable)
  m->inherit_slice = false;
  for (;;) {
    m->curg = g;
    bump(m->switches);
    P* const p = m->p;
    p->schedtick.store(p->schedtick.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    // A new slice, unless g came from runnext (or runs on after a park
    // that did not happen): see "Slices and runnext".
    if (!inherit) {
      p->slicetick.store(p->slicetick.load(std::memory_order_relaxed) + 1,
                         std::memory_order_relaxed);
    }
    detail::tls_thread_id = -g->id;  // owner identity for RecursiveMutex & co.
    fiber_enter_g(m, g);
    ctx_switch(&m->g0, g->ctx);
    fiber_back_on_g0(m);
    detail::tls_thread_id = 0;
    m->curg = nullptr;
    // The slice ended: a wake it deferred is not needed if this P now runs
    // what the goroutine readied (see "Deferring the wake of a hand-off").
    // (Only on the P it still holds: a SyscallGuard may have handed p on.)
    const bool deferred =
        m->p == p && p->wake_deferred.load(std::memory_order_relaxed) != 0;
    if (deferred) p->wake_deferred.store(0, std::memory_order_relaxed);
    switch (m->why) {
      case Why::kYield:
        globrunq_put(g);
        return;
      case Why::kYieldLocal:
        // Behind the goroutine it handed off to (runnext runs first), and
        // on this P: no other M is woken for it (Go's goyield_m: runqput
        // with next=false, no wakep).
        runq_put(m->p, g, /*next=*/false);
        return;
      case Why::kPark: {
        uint32_t expected = kPermitNone;
        if (g->permit.compare_exchange_strong(expected, kPermitParked, std::memory_order_acq_rel)) {
          return;  // parked: whoever wakes it makes it runnable
        }
        // A wake came first: run it again at once, in the same slice. It
        // did not block after all, so the wake it deferred is made now.
        if (deferred) make_deferred_wake();
        inherit = true;
        continue;
      }
      case Why::kExit:
        gfree(g);
        s.ngoroutine.fetch_sub(1, std::memory_order_relaxed);
        return;
      case Why::kSyscallNoP: {
        // Go's exitsyscall0: one more look for an idle P, and the global
        // put, in one critical section. A P that went idle after the
        // goroutine's own look (in ~SyscallGuard) is taken here; one that
        // goes idle later sees g in the global queue before it idles
        // (find_runnable looks under the same lock). Without this, g could
        // sit in the global queue while every P idles and no M spins.
        P* p = nullptr;
        {
          std::lock_guard<std::mutex> l(s.mu);
          p = pidle_get_locked(s);
          if (p == nullptr) globrunq_put_locked(s, g);
        }
        if (p == nullptr) return;  // the M goes idle (schedule_loop)
        acquirep(m, p);
        // A new slice on the P it found.
        inherit = false;
        continue;  // run g again on the P it found
      }
      case Why::kNone:
        fatal("a goroutine switched to its scheduler without a reason");
    }
  }
}

void schedule_loop(M* m) {
  for (;;) {
    if (m->p == nullptr) stopm(m);
    G* g = find_runnable(m);
    if (m->spinning) reset_spinning(m);
    execute(m, g);
  }
}

void mstart(M* m) {
  tls_m = m;
#if defined(SYNCSCOPE_TSAN_FIBERS)
  m->fiber = __tsan_get_current_fiber();
#endif
  acquirep(m, m->nextp);
  m->nextp = nullptr;
  schedule_loop(m);
}

// From a goroutine: switch to the M's scheduler with a reason. Returns when
// the goroutine runs again (perhaps on another M).
void switch_to_scheduler(Why why) {
  M* m = getm();
  G* g = m->curg;
  m->why = why;
  fiber_leave_g(m, g, why == Why::kExit);
  ctx_switch(&g->ctx, m->g0);
  fiber_back_on_g(g);
}

void goroutine_main(void* arg) {
  G* g = static_cast<G*>(arg);
  fiber_back_on_g(g);
  try {
    g->task->run();
  } catch (const std::exception& e) {
    fatal(std::string("an exception escaped a goroutine: ") + e.what());
  } catch (...) {
    fatal("an exception of unknown type escaped a goroutine");
  }
  delete g->task;
  g->task = nullptr;
  SYNCSCOPE_WAITREG_GO_EXIT(g->id);  // detector hook: Go's checkdead at goexit
  switch_to_scheduler(Why::kExit);
  fatal("a finished goroutine was resumed");
}

// ---- The monitor (Go's sysmon: runtime/proc.go sysmon, retake, preemptone) ----------
// One thread, started with the runtime and stopped at exit (atexit), that
// holds no P. It sleeps kMonitorMinSleepUs, and after
// kMonitorIdleLooksBeforeBackoff looks in a row that changed nothing about
// the P's it doubles its sleep up to kMonitorMaxSleepUs (Go: "if idle > 50
// { delay *= 2 }"; up to 200 us only, for a while after it made a deferred
// wake, and one sleep shortened for a deferred wake's mark: see "Deferring
// the wake of a hand-off"; Go counts retaken syscall P's as work, and preemption
// requests not — SyscallGuard hands its P off at once, so here nothing
// counts and a busy runtime is looked at every 10 ms, as Go's is once its
// sysmon has backed off). At each look, for each running P, a SliceWatch
// (Go's sysmontick) sees whether the P has started a slice since it
// last looked; one that has not for kTimeSliceNs gets its mark
// (P::preempt = slicetick + 1), which the goroutine reads at its next safe
// point (preempt_point). When every P is idle the monitor sleeps without a
// timeout (Go's sysmonwait) until acquirep wakes it, so an idle process
// sees no wakeups from it. Its sleep is a raw futex, not the parking layer:
// it is not a party of the blocking-bug detector.
//
// Slices and runnext (Go's inheritTime, runtime/proc.go runqget/execute).
// A goroutine run from its P's own runnext inherits the running slice: the
// P's slicetick does not move (its schedtick does: thieves judge switching
// by that, see "Stealing runnext"). Go does the same so that "a pair of
// goroutines that hand off to each other through runnext share one time
// slice" and cannot keep the rest of the P's run queue waiting for ever.
// Before this (stl3, issue 11), every start was a new slice: a pair that
// readied each other into runnext (a channel ping-pong, two goroutines
// passing a GoMutex back and forth) switched every few hundred nanoseconds,
// so the monitor never saw a slice last kTimeSliceNs and never marked it,
// and what waited in the P's ring behind runnext ran only when another P's
// M was idle and stole it: with GOMAXPROCS=1, never
// (goroutine_preempt_test.cc, ARunnextPairSharesOneSlice). Now the pair
// is marked after kTimeSliceNs like one long runner: the goroutine at its
// safe point goes to the global queue, and its partner, if it is in
// runnext when the P next schedules under that mark, goes there too
// without starting (find_runnable: Go's partner would yield at its first
// safe point; a channel hand-off has none), so the P then runs its ring.
// A preemption mark names a slice, so a stale mark is one for a slice that
// ended (the P started a goroutine from its ring or the global queue, or a
// stolen one).
void monitor_wake() noexcept {
  Sched& s = sched();
  s.mon_word.store(1, std::memory_order_release);
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&s.mon_word), FUTEX_WAKE_PRIVATE, 1, nullptr,
          nullptr, 0);
}

// Sleeps until monitor_wake() or for `us` microseconds (< 0: no timeout).
void monitor_sleep(int64_t us) noexcept {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "futex word");
  Sched& s = sched();
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(us / 1'000'000);
  ts.tv_nsec = static_cast<long>((us % 1'000'000) * 1000);
  // Relative timeout; returns at once if a wake came first (mon_word == 1).
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&s.mon_word), FUTEX_WAIT_PRIVATE, 0,
          us < 0 ? nullptr : &ts, nullptr, 0);
  s.mon_word.exchange(0, std::memory_order_acquire);
}

void monitor_main() {
  Sched& s = sched();
  std::vector<SliceWatch> watch(kMaxProcs);
  // Each P's wake_deferred as read at the previous look (deferred_wake_due).
  std::vector<uint32_t> seen_mark(kMaxProcs, 0);
  int64_t delay_us = kMonitorMinSleepUs;
  int idle = 0;
  // A look that first sights a live deferred-wake mark shortens the next
  // sleep only (deferred_wake_look's kWatch), at most once per
  // kMonitorMaxSleepUs slept (deferred_watch_allowed).
  bool watch_next = false;
  int64_t slept_since_watch_us = kMonitorMaxSleepUs;
  // When it last made a deferred wake (monitor_max_sleep_us).
  bool made_a_wake = false;
  int64_t last_wake_ns = 0;
  while (!s.mon_stop.load(std::memory_order_acquire)) {
    if (idle == 0) {
      delay_us = kMonitorMinSleepUs;
    } else if (idle > kMonitorIdleLooksBeforeBackoff) {
      const int64_t max_us = monitor_max_sleep_us(made_a_wake, now_ns() - last_wake_ns);
      delay_us = std::min<int64_t>(delay_us * 2, max_us);
    }
    const int64_t sleep_us = watch_next ? kMonitorMinSleepUs : delay_us;
    watch_next = false;
    monitor_sleep(sleep_us);
    slept_since_watch_us = std::min<int64_t>(slept_since_watch_us + sleep_us, kMonitorMaxSleepUs);
    if (s.mon_stop.load(std::memory_order_acquire)) return;
    const int n = s.nprocs.load(std::memory_order_acquire);
    if (s.npidle.load(std::memory_order_seq_cst) >= n) {
      // Every P idle: sleep until one runs (Go's sysmonwait). Dekker with
      // acquirep: store mon_idle, then look at npidle again.
      s.mon_idle.store(true, std::memory_order_seq_cst);
      if (s.npidle.load(std::memory_order_seq_cst) >= s.nprocs.load(std::memory_order_seq_cst) &&
          !s.mon_stop.load(std::memory_order_acquire)) {
        s.mon_idle_waits.fetch_add(1, std::memory_order_relaxed);
        monitor_sleep(-1);
      }
      s.mon_idle.store(false, std::memory_order_seq_cst);
      for (SliceWatch& w : watch) w.forget();
      idle = 0;  // Go: after sysmonwait, back to the short sleep
      continue;
    }
    s.mon_looks.fetch_add(1, std::memory_order_relaxed);
    const int64_t now = now_ns();
    bool woke = false;  // made a deferred wake: work, for the back-off
    const bool may_watch = deferred_watch_allowed(delay_us, slept_since_watch_us);
    for (int i = 0; i < n; ++i) {
      P* p = s.allp[i];  // allp[0..n) is published by the nprocs release store
      SliceWatch& w = watch[static_cast<size_t>(i)];
      if (!p->running.load(std::memory_order_relaxed)) {
        w.forget();
        seen_mark[static_cast<size_t>(i)] = 0;
        continue;
      }
      const uint32_t tick = p->schedtick.load(std::memory_order_relaxed);
      // A wake its running goroutine deferred and still needs (see
      // "Deferring the wake of a hand-off"): make it, or, at the first
      // sight of its mark, look again after the shortest sleep.
      uint32_t mark = p->wake_deferred.load(std::memory_order_relaxed);
      uint32_t& seen = seen_mark[static_cast<size_t>(i)];
      const DeferredLook look = deferred_wake_look(mark, tick, !runq_empty(p), seen, may_watch);
      if (look == DeferredLook::kWake &&
          p->wake_deferred.compare_exchange_strong(mark, 0, std::memory_order_relaxed)) {
        make_deferred_wake();
        woke = true;
        mark = 0;
      } else if (look == DeferredLook::kWatch) {
        watch_next = true;
      }
      seen = mark;
      // Preemption watches slices, not switches (see "Slices and runnext").
      const uint32_t slice = p->slicetick.load(std::memory_order_relaxed);
      if (!w.observe(slice, now) || slice == UINT32_MAX) continue;  // (slice + 1 == 0: "no mark")
      if (p->preempt.load(std::memory_order_relaxed) != slice + 1) {
        p->preempt.store(slice + 1, std::memory_order_relaxed);  // Go's preemptone
        s.preempt_requests.fetch_add(1, std::memory_order_relaxed);
      }
    }
    // As in Go, a preemption request is not "work" for the back-off; a
    // deferred wake made is (a goroutine that ran on may do it again).
    idle = woke ? 0 : idle + 1;
    if (woke) {
      made_a_wake = true;
      last_wake_ns = now;
    }
    if (watch_next) slept_since_watch_us = 0;
  }
}

void monitor_stop_at_exit() {
  Sched& s = sched();
  std::thread t;
  {
    std::lock_guard<std::mutex> l(s.mu);
    if (s.mon_pid != getpid() || !s.mon_thread.joinable()) return;  // a fork's child: no monitor
    t = std::move(s.mon_thread);
  }
  s.mon_stop.store(true, std::memory_order_release);
  monitor_wake();
  t.join();
}

void monitor_start_locked(Sched& s) {
  s.mon_pid = getpid();
  s.mon_thread = std::thread(monitor_main);
  std::atexit(monitor_stop_at_exit);
}

void ensure_started_locked(Sched& s) {
  if (s.started) return;
  const int n = s.setting > 0 ? s.setting : default_procs();
  for (int i = 0; i < n; ++i) {
    if (s.allp[i] == nullptr) {
      s.allp[i] = new P;
      s.allp[i]->id = i;
    }
  }
  for (int i = n - 1; i >= 0; --i) pidle_put_locked(s, s.allp[i]);
  s.nprocs.store(n, std::memory_order_release);
  s.started = true;
  monitor_start_locked(s);
}

}  // namespace

// ---- the parking protocol (scheduler.h) ----------------------------------------
bool on_scheduler() noexcept {
  M* m = getm();
  return m != nullptr && m->curg == nullptr;
}

G* parkable_goroutine() noexcept {
  M* m = getm();
  if (m == nullptr || m->curg == nullptr || m->p == nullptr) return nullptr;
  return m->curg;
}

namespace {
void gopark(M* m, G* g) {
  bump(m->parks);
  switch_to_scheduler(Why::kPark);
  // Resumed by a wake (or its permit was already set): consume the permit.
  // acq_rel: synchronizes with the waker's exchange, so the waker's writes
  // before goroutine_wake() are visible to the caller's re-check.
  g->permit.exchange(kPermitNone, std::memory_order_acq_rel);
}
}  // namespace

bool goroutine_wait(G* g, const std::atomic<uint32_t>* word, uint32_t expected,
                    const Clock::time_point* deadline) {
  if (word->load(std::memory_order_acquire) != expected) return true;
  M* m = getm();
  if (deadline == nullptr) {
    gopark(m, g);
    return true;
  }
  const int64_t when = to_ns(*deadline);
  if (now_ns() >= when) return false;
  add_timer(m->p, g, when);
  gopark(m, g);
  del_timer(g);
  return now_ns() < when;
}

SpinView spin_view() noexcept {
  SpinView v;
  M* m = getm();
  if (m == nullptr || m->curg == nullptr || m->p == nullptr) return v;
  Sched& s = sched();
  v.on_p = true;
  v.local_runq_empty = runq_empty(m->p);
  v.procs = s.nprocs.load(std::memory_order_relaxed);
  v.idle_procs = s.npidle.load(std::memory_order_relaxed);
  v.spinning_ms = s.nmspinning.load(std::memory_order_relaxed);
  return v;
}

bool preempt_requested() noexcept {
  M* m = getm();
  if (m == nullptr || m->curg == nullptr || m->p == nullptr) return false;
  const uint32_t mark = m->p->preempt.load(std::memory_order_relaxed);
  return mark_names(mark, m->p->slicetick.load(std::memory_order_relaxed));
}

void preempt_disable() noexcept {
  M* m = getm();
  if (m != nullptr && m->curg != nullptr) ++m->curg->preempt_off;
}

void preempt_enable() noexcept {
  M* m = getm();
  if (m != nullptr && m->curg != nullptr) --m->curg->preempt_off;
}

bool monitor_idle_waiting() noexcept { return sched().mon_idle.load(std::memory_order_seq_cst); }

namespace {
// The safe point's slow path: the caller's P is marked. Yield if the mark
// names the running slice (Go's gopreempt_m: the goroutine goes to the
// global run queue), else drop the stale mark.
__attribute__((noinline)) void preempt_slow(M* m, P* p) noexcept {
  if (m->curg == nullptr) return;        // the M's scheduler code: no goroutine to yield
  if (m->curg->preempt_off > 0) return;  // preempt_disable(): the mark waits
  uint32_t mark = p->preempt.load(std::memory_order_relaxed);
  const bool current = mark_names(mark, p->slicetick.load(std::memory_order_relaxed));
  // CAS: a newer mark stored meanwhile stays.
  p->preempt.compare_exchange_strong(mark, 0, std::memory_order_relaxed);
  if (!current) return;
  bump(m->preemptions);
  switch_to_scheduler(Why::kYield);
}
}  // namespace

namespace {
// goroutine_wake's body; true when g went into the caller's P's runnext.
// chan_handoff: a channel hand-off, which may defer the idle-M wake (see
// "Deferring the wake of a hand-off").
bool ready(G* g, bool chan_handoff) noexcept {
  const uint32_t old = g->permit.exchange(kPermitSet, std::memory_order_acq_rel);
  if (old != kPermitParked) return false;  // running (it will see the permit) or already set
  M* m = getm();
  if (m == nullptr || m->p == nullptr) {
    globrunq_put(g);
    wakep();
    return false;
  }
  P* const p = m->p;
  runq_put(p, g, /*next=*/true);  // Go's goready: the waker's runnext
  // Defer the wake when this P's goroutine readied g and g is all that
  // waits here (see "Deferring the wake of a hand-off").
  const uint32_t tick = p->schedtick.load(std::memory_order_relaxed);
  if (chan_handoff && m->curg != nullptr && tick + 1 != 0 &&
      p->runqhead.load(std::memory_order_acquire) == p->runqtail.load(std::memory_order_relaxed)) {
    Sched& s = sched();
    if (s.npidle.load(std::memory_order_seq_cst) == 0 ||
        s.nmspinning.load(std::memory_order_seq_cst) != 0) {
      return true;  // wakep() would wake nobody
    }
    p->wake_deferred.store(tick + 1, std::memory_order_relaxed);
    bump(m->wakes_deferred);
    return true;
  }
  wakep();
  return true;
}
}  // namespace

void goroutine_wake(G* g) noexcept { ready(g, /*chan_handoff=*/false); }
void goroutine_wake_chan_handoff(G* g) noexcept { ready(g, /*chan_handoff=*/true); }

bool goroutine_wake_handoff(G* g) noexcept {
  if (!ready(g, /*chan_handoff=*/false)) return false;
  M* m = getm();
  // Only a goroutine that may give its P up (Go: getg().m.locks == 0): not
  // the M's scheduler code (a timer's wake), not under preempt_disable().
  if (m->curg == nullptr || m->curg->preempt_off > 0) return false;
  bump(m->local_yields);
  switch_to_scheduler(Why::kYieldLocal);
  return true;
}

}  // namespace internal

// ---- the user API (goroutine.h) ------------------------------------------------------
namespace goroutine_detail {
using internal::getm;
using internal::M;
using internal::sched;

bool on_goroutine() noexcept {
  M* m = getm();
  return m != nullptr && m->curg != nullptr;
}

void spawn(Task* t) {
  auto& s = sched();
  {
    std::lock_guard<std::mutex> l(s.mu);
    internal::ensure_started_locked(s);
  }
  internal::G* g = internal::gget();
#if defined(SYNCSCOPE_ASAN_FIBERS)
  // A pooled stack keeps the poisoned redzones of its last goroutine's
  // frames (goroutine_main's never returns): start clean.
  __asan_unpoison_memory_region(g->stack_top - kGoroutineStackBytes, kGoroutineStackBytes);
  // A fresh fiber has no fake stack: the slot still names the one ASan
  // freed when the G's last goroutine exited (detect_stack_use_after_return
  // crashed on it).
  g->asan_fake_stack = nullptr;
#endif
  g->task = t;
  g->permit.store(internal::kPermitNone, std::memory_order_relaxed);
  g->in_syscall = false;
  g->preempt_off = 0;
  g->ctx = internal::ctx_make(g->stack_top, &internal::goroutine_main, g);
#if defined(SYNCSCOPE_TSAN_FIBERS)
  g->fiber = __tsan_create_fiber(0);
#endif
  s.ngoroutine.fetch_add(1, std::memory_order_relaxed);
  g->id = static_cast<int64_t>(s.spawned.fetch_add(1, std::memory_order_relaxed)) + 1;
  SYNCSCOPE_WAITREG_GO_START(g->id);  // detector hook: a new goroutine is runnable
  M* m = getm();
  if (m != nullptr && m->curg != nullptr && m->p != nullptr) {
    internal::runq_put(m->p, g, /*next=*/true);  // Go's newproc
  } else {
    internal::globrunq_put(g);
  }
  internal::wakep();
}

void park_until(std::chrono::steady_clock::time_point deadline) {
  internal::G* g = internal::parkable_goroutine();
  if (g == nullptr) {  // inside a SyscallGuard: the thread sleeps
    std::this_thread::sleep_until(deadline);
    return;
  }
  static const std::atomic<uint32_t> never_changes{0};
  while (std::chrono::steady_clock::now() < deadline) {
    internal::goroutine_wait(g, &never_changes, 0, &deadline);
  }
}
}  // namespace goroutine_detail

void goroutine_detail::yield_cpu() noexcept {
  internal::M* m = internal::getm();
  if (m != nullptr && m->curg != nullptr && m->p != nullptr) {
    internal::switch_to_scheduler(internal::Why::kYield);
  } else {
    std::this_thread::yield();
  }
}

void gosched() {
  internal::M* m = internal::getm();
  if (m == nullptr || m->curg == nullptr) {
    throw GoroutineError(
        "gosched: not on a goroutine (a plain thread has std::this_thread::yield())");
  }
  if (m->p == nullptr) {  // inside a SyscallGuard: no P to give
    std::this_thread::yield();
    return;
  }
  internal::switch_to_scheduler(internal::Why::kYield);
}

void preempt_point() noexcept {
  internal::M* m = internal::getm();
  if (m == nullptr) return;  // a plain thread
  internal::P* p = m->p;
  if (p == nullptr) return;  // inside a SyscallGuard (or an M without a P)
  if (__builtin_expect(p->preempt.load(std::memory_order_relaxed) == 0, 1)) return;
  internal::preempt_slow(m, p);
}

int64_t num_goroutine() noexcept {
  return internal::sched().ngoroutine.load(std::memory_order_relaxed);
}

int gomaxprocs() noexcept {
  auto& s = internal::sched();
  std::lock_guard<std::mutex> l(s.mu);
  if (s.started) return s.nprocs.load(std::memory_order_relaxed);
  return s.setting > 0 ? s.setting : internal::default_procs();
}

int set_gomaxprocs(int n) {
  if (n < 1 || n > kMaxProcs) {
    throw GoroutineError("set_gomaxprocs: n = " + std::to_string(n) + "; valid: 1.." +
                         std::to_string(kMaxProcs));
  }
  using namespace internal;
  Sched& s = sched();
  s.resize_lock.acquire();  // one resize at a time (parks a goroutine caller)
  struct Unlock {
    Sema& l;
    ~Unlock() { l.release(); }
  } unlock{s.resize_lock};
  std::vector<P*> idle_removed;
  int busy_removed = 0;
  int old = 0;
  {
    std::lock_guard<std::mutex> l(s.mu);
    if (!s.started) {
      old = s.setting > 0 ? s.setting : default_procs();
      s.setting = n;
      return old;
    }
    old = s.nprocs.load(std::memory_order_relaxed);
    s.setting = n;
    if (n >= old) {
      for (int i = old; i < n; ++i) {
        if (s.allp[i] == nullptr) {
          s.allp[i] = new P;
          s.allp[i]->id = i;
        }
      }
      for (int i = n - 1; i >= old; --i) pidle_put_locked(s, s.allp[i]);
      s.nprocs.store(n, std::memory_order_release);
    } else {
      // See "GOMAXPROCS at run time" above retire_p.
      for (int i = n; i < old; ++i) {
        P* p = s.allp[i];
        if (pidle_take_locked(s, p)) {
          idle_removed.push_back(p);
        } else {
          p->retiring.store(true, std::memory_order_release);
          // Its goroutine gives it up at its next safe point, too.
          const uint32_t tick = p->slicetick.load(std::memory_order_relaxed);
          if (tick != UINT32_MAX) p->preempt.store(tick + 1, std::memory_order_relaxed);
          ++busy_removed;
        }
      }
    }
  }
  if (n > old) {
    wakep();  // the new P's take work from the global queue and steal
    return old;
  }
  for (P* p : idle_removed) retire_p(p);
  for (int i = 0; i < busy_removed; ++i) s.retired.acquire();
  {
    std::lock_guard<std::mutex> l(s.mu);
    s.nprocs.store(n, std::memory_order_release);
  }
  return old;
}

SyscallGuard::SyscallGuard() : active_(false) {
  using namespace internal;
  M* m = getm();
  if (m == nullptr || m->curg == nullptr) return;  // a plain thread: nothing to do
  G* g = m->curg;
  if (g->in_syscall) throw GoroutineError("SyscallGuard: nested on one goroutine");
  active_ = true;
  g->in_syscall = true;
  bump(m->syscalls);
  // Go's entersyscallblock + handoffp: give the P away now.
  P* p = m->p;
  m->p = nullptr;
  m->oldp = p;
  Sched& s = sched();
  // Go's handoffp. The look at the global queue and the decision to idle p
  // are one critical section under Sched::mu, the lock globrunq_put takes:
  // a goroutine queued globally just before is seen here, and one queued
  // just after finds p idle (npidle > 0) and its wakep starts an M. (Checked
  // without the lock, a spawn from a plain thread could queue its goroutine
  // and find npidle == 0 between our look and pidle_put: nobody then ran it
  // while we sat in the system call; with GOMAXPROCS=1 it never ran.)
  bool work = !runq_empty(p) || p->timer0.load(std::memory_order_seq_cst) != kNever;
  bool idled = true;
  if (!work) {
    std::lock_guard<std::mutex> l(s.mu);
    work = s.runqsize.load(std::memory_order_relaxed) > 0;
    if (!work) idled = pidle_put_or_retire_locked(s, p);
  }
  if (!idled) {
    retire_and_signal(p);  // set_gomaxprocs is removing p: this is its safe point
  } else if (work) {
    bump(m->handoffs);
    startm(p, false);  // if p is being removed meanwhile, that M retires it
  }
}

SyscallGuard::~SyscallGuard() {
  using namespace internal;
  if (!active_) return;
  M* m = getm();
  G* g = m->curg;
  g->in_syscall = false;
  Sched& s = sched();
  P* p = nullptr;
  {
    std::lock_guard<std::mutex> l(s.mu);
    if (m->oldp != nullptr && pidle_take_locked(s, m->oldp)) {
      p = m->oldp;
    } else {
      p = pidle_get_locked(s);
    }
  }
  m->oldp = nullptr;
  if (p != nullptr) {
    acquirep(m, p);
    return;
  }
  // No P: queue ourselves globally; our M goes idle (Go's exitsyscall0).
  switch_to_scheduler(Why::kSyscallNoP);
}

GoroutineStats goroutine_stats() noexcept {
  auto& s = internal::sched();
  GoroutineStats st;
  st.spawned = s.spawned.load(std::memory_order_relaxed);
  st.threads = s.threads.load(std::memory_order_relaxed);
  st.timers_moved = s.timers_moved.load(std::memory_order_relaxed);
  st.idle_m_wakes = s.idle_m_wakes.load(std::memory_order_relaxed);
  st.preempt_requests = s.preempt_requests.load(std::memory_order_relaxed);
  st.monitor_looks = s.mon_looks.load(std::memory_order_relaxed);
  st.monitor_idle_waits = s.mon_idle_waits.load(std::memory_order_relaxed);
  st.deferred_wakes_made = s.deferred_wakes_made.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> l(s.mu);
  for (internal::M* m : s.allm) {
    st.switches += m->switches.load(std::memory_order_relaxed);
    st.parks += m->parks.load(std::memory_order_relaxed);
    st.steals += m->steals.load(std::memory_order_relaxed);
    st.timers_fired += m->timers_fired.load(std::memory_order_relaxed);
    st.syscalls += m->syscalls.load(std::memory_order_relaxed);
    st.handoffs += m->handoffs.load(std::memory_order_relaxed);
    st.runnext_backoffs += m->runnext_backoffs.load(std::memory_order_relaxed);
    st.runnext_steals += m->runnext_steals.load(std::memory_order_relaxed);
    st.spin_polls += m->spin_polls.load(std::memory_order_relaxed);
    st.preemptions += m->preemptions.load(std::memory_order_relaxed);
    st.ring_backoffs += m->ring_backoffs.load(std::memory_order_relaxed);
    st.wakes_deferred += m->wakes_deferred.load(std::memory_order_relaxed);
    st.local_yields += m->local_yields.load(std::memory_order_relaxed);
  }
  return st;
}

GoroutineStats operator-(const GoroutineStats& later, const GoroutineStats& earlier) noexcept {
  GoroutineStats d;
  d.spawned = later.spawned - earlier.spawned;
  d.switches = later.switches - earlier.switches;
  d.parks = later.parks - earlier.parks;
  d.steals = later.steals - earlier.steals;
  d.timers_fired = later.timers_fired - earlier.timers_fired;
  d.syscalls = later.syscalls - earlier.syscalls;
  d.handoffs = later.handoffs - earlier.handoffs;
  d.threads = later.threads - earlier.threads;
  d.timers_moved = later.timers_moved - earlier.timers_moved;
  d.idle_m_wakes = later.idle_m_wakes - earlier.idle_m_wakes;
  d.runnext_backoffs = later.runnext_backoffs - earlier.runnext_backoffs;
  d.runnext_steals = later.runnext_steals - earlier.runnext_steals;
  d.ring_backoffs = later.ring_backoffs - earlier.ring_backoffs;
  d.spin_polls = later.spin_polls - earlier.spin_polls;
  d.wakes_deferred = later.wakes_deferred - earlier.wakes_deferred;
  d.deferred_wakes_made = later.deferred_wakes_made - earlier.deferred_wakes_made;
  d.local_yields = later.local_yields - earlier.local_yields;
  d.preempt_requests = later.preempt_requests - earlier.preempt_requests;
  d.preemptions = later.preemptions - earlier.preemptions;
  d.monitor_looks = later.monitor_looks - earlier.monitor_looks;
  d.monitor_idle_waits = later.monitor_idle_waits - earlier.monitor_idle_waits;
  return d;
}

}  // namespace syncscope
