// LockRunner — T threads hammer one lock for a fixed duration.
//
// Shared by the fairness and starvation suites (the throughput/fairness run
// and the wait-time run are separate, as in folly's lock benchmarks: timing
// every wait perturbs throughput). Each thread:
//
//   repeat until stop:  non-critical work; [t0 = now]; lock; [wait = now - t0]
//                       order = next_order++   (protected by the lock itself)
//                       critical work; unlock; [cpu = read_cpu()]
//
// Everything a thread records goes into its own preallocated, padded slot:
// an acquisition count, the global acquisition orders it obtained (up to a
// fixed capacity), and wait-time histograms. Nothing in the loop locks
// (other than the lock under test) or allocates.
//
// Lock moves: where orders are recorded, each recorded acquisition's CPU
// too (ThreadRecord::cpus, at the order's index), read right after the
// unlock — outside the critical section, so the lock's hand-over is not
// slowed — with cpu_id.h's read_cpu() (LSL of Linux's per-CPU GDT segment
// on x86-64, the vDSO getcpu's trick; the Go peer reads it with the same
// instruction). Merged by order number after the run, consecutive
// acquisitions on different CPUs are the times the lock (its word, and the
// lines its holders touch) moved between CPUs: fairness_metrics.h's
// lock_moves, the fairness suite's lock_moves_per_acq. Not recorded when
// cpu_read_status() says the read is unavailable (RunnerResult::
// cpus_recorded is then false). The CPU is the one the holder is on after
// unlocking: a party moved by the OS inside its critical section counts on
// its new CPU (rare next to a 100 ns section). The read is cheap, not free:
// cpu_id.h says what it costs and disturbs, and how to run without it
// (SYNCSCOPE_LOCK_MOVES=off). RunnerConfig::cpu_orders confines it to the
// run's first acquisitions, so that the rest of the run (most of the
// throughput, most of the orders the sequence metrics use) goes undisturbed.
//
// Per-thread roles (cs_ns, ncs_ns, read fraction) let one runner express the
// plain hammer, the lockskew scenario (a hog and an occasional victim) and
// read/write mixes on SharedLockable locks.
//
// The threading model (issue 11): with RunnerConfig::goroutines the parties
// are goroutines on syncscope's runtime (syncscope/goroutine.h, GOMAXPROCS =
// the usable CPUs) instead of threads: never pinned, never real-time, gate
// waited with gosched() (the runtime preempts only at safe points: a
// goroutine that spun without one would keep the others off its P), a safe
// point (preempt_point()) before each piece of work, as the Go peer's loop
// has one in each call of its work function, and the cost of
// the run is the process's (getrusage(RUSAGE_SELF) around it, spread evenly
// over the records: a goroutine moves between OS threads, so
// RUSAGE_THREAD would measure an M, not a party). The coordinator stays a
// plain thread and waits for the goroutines with a WaitGroup.
#ifndef SYNCSCOPE_SUITES_COMMON_LOCK_RUNNER_H_
#define SYNCSCOPE_SUITES_COMMON_LOCK_RUNNER_H_

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <syncscope/goroutine.h>
#include <syncscope/wait_group.h>

#include "common/calibrated_work.h"
#include "common/cpu_id.h"
#include "common/fairness_metrics.h"
#include "common/goroutine_counters.h"
#include "common/harness.h"
#include "common/histogram.h"

namespace syncscope::suites {

struct ThreadRole {
  double cs_ns = 100;              // critical-section work (mean)
  double ncs_ns = 100;             // non-critical work (mean)
  WorkDist dist = WorkDist::kFixed;
  double read_fraction = 0;        // > 0 only for SharedLockable locks
  int pu = -1;                     // OS PU to pin to; -1 unpinned
  int rt_priority = 0;             // > 0: run under SCHED_FIFO at this priority (see RtScope)
};

struct RunnerConfig {
  std::vector<ThreadRole> roles;   // one per thread
  double duration_s = 0.1;
  bool record_order = true;        // keep acquisition orders (fairness)
  bool record_wait = false;        // time each acquisition (starvation)
  size_t order_capacity = 1 << 20; // orders kept per thread (below this bound)
  size_t cpu_orders = 0;           // > 0: CPUs (lock moves) read only for orders below this
                                   // (the run's first cpu_orders acquisitions); 0: every order
                                   // kept (see the banner: the read disturbs)
  int coordinator_rt_priority = 0; // > 0: the coordinator runs SCHED_FIFO from the start signal
                                   // until the threads are joined (above the workers' priority,
                                   // so the stop signal is not delayed by a busy worker)
  bool goroutines = false;         // parties are goroutines (see the banner); roles' pu and
                                   // rt_priority are then ignored
};

struct alignas(128) ThreadRecord {
  uint64_t acquisitions = 0;       // exclusive + shared
  uint64_t reads = 0;              // shared acquisitions
  std::vector<uint32_t> orders;    // sized before the run; first n_orders valid
  size_t n_orders = 0;
  std::vector<uint16_t> cpus;      // cpus[i]: the CPU orders[i]'s acquisition ran on, read
                                   // after its unlock (kNoCpu: the read failed); sized with
                                   // orders when RunnerResult::cpus_recorded
  LogLinearHistogram write_wait;   // exclusive acquisitions, ns
  LogLinearHistogram read_wait;    // shared acquisitions, ns
  bool pinned = true;
  bool realtime = false;           // rt_priority was asked for and granted
  uint64_t sink = 0;
  // Cost of the measured loop (getrusage(RUSAGE_THREAD) around it): CPU
  // seconds (user + system) and voluntary / involuntary context switches.
  double cpu_s = 0;
  int64_t vcsw = 0, ivcsw = 0;
};

struct RunnerResult {
  std::vector<std::unique_ptr<ThreadRecord>> threads;
  uint64_t total_orders = 0;       // acquisitions counted by the lock-protected counter
  bool cpus_recorded = false;      // ThreadRecord::cpus kept (orders recorded, and
                                   // cpu_read_status().available)
  size_t order_capacity = 0;
  double elapsed_s = 0;
  int64_t start_steady_ns = 0;     // steady_clock at the start signal (for timelines)
  bool pinned = true;
  bool coordinator_realtime = false;
  std::string rt_refused;          // why SCHED_FIFO was refused ("" when granted or not asked)
  // RunnerConfig::goroutines only: goroutine_stats() deltas over the run
  // (gate open -> every party done), as the channels suite's g_* counters.
  bool goroutines = false;
  GoroutineStats g;  // what the scheduler did over the run (all zero for threads)
};

template <class L>
concept SharedLockable = requires(L l) {
  l.lock_shared();
  l.unlock_shared();
};

// RtScope(priority): while alive, the calling thread runs under SCHED_FIFO
// at `priority` (1..99), then gets its previous policy back. On a shared
// machine this keeps ordinary processes (compilers, other jobs) from
// preempting a measured thread for a whole time slice (~4 ms), which would
// otherwise dominate a tail such as lockskew's victim wait. Needs
// CAP_SYS_NICE (root); when refused, ok() is false and reason() says why,
// and the thread keeps its normal policy. Only for threads pinned one per
// PU: two busy SCHED_FIFO threads sharing a PU would never yield to each
// other. Linux's RT throttling (sched_rt_runtime_us, 95% by default)
// still leaves the rest of the system some time.
class RtScope {
 public:
  explicit RtScope(int priority) noexcept {
    if (priority <= 0) return;
    if (pthread_getschedparam(pthread_self(), &old_policy_, &old_param_) != 0) {
      reason_ = "pthread_getschedparam failed";
      return;
    }
    sched_param p{};
    p.sched_priority = priority;
    const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &p);
    if (rc == 0) {
      ok_ = true;
    } else {
      reason_ = std::string("SCHED_FIFO refused: ") + std::strerror(rc);
    }
  }
  ~RtScope() {
    if (ok_) pthread_setschedparam(pthread_self(), old_policy_, &old_param_);
  }
  RtScope(const RtScope&) = delete;
  RtScope& operator=(const RtScope&) = delete;
  bool ok() const noexcept { return ok_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  bool ok_ = false;
  int old_policy_ = SCHED_OTHER;
  sched_param old_param_{};
  std::string reason_;
};

namespace detail {
using Clock = std::chrono::steady_clock;

inline uint64_t now_ns() noexcept {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}
}  // namespace detail

template <class L>
RunnerResult run_lock(L& lock, const RunnerConfig& cfg) {
  const int n = static_cast<int>(cfg.roles.size());
  RunnerResult result;
  result.order_capacity = cfg.order_capacity;
  const bool record_cpu = cfg.record_order && cpu_read_status().available;
  const uint64_t cpu_orders = cfg.cpu_orders > 0 ? cfg.cpu_orders : UINT64_MAX;
  result.cpus_recorded = record_cpu;
  for (int i = 0; i < n; ++i) {
    auto r = std::make_unique<ThreadRecord>();
    if (cfg.record_order) r->orders.resize(cfg.order_capacity);
    if (record_cpu) r->cpus.resize(cfg.order_capacity, kNoCpu);
    result.threads.push_back(std::move(r));
  }
  std::atomic<int> ready{0};
  std::atomic<bool> go{false}, stop{false};
  uint64_t next_order = 0;  // guarded by `lock` (written only inside the critical section)

  auto body = [&](int t) {
    const ThreadRole& role = cfg.roles[static_cast<size_t>(t)];
    ThreadRecord& rec = *result.threads[static_cast<size_t>(t)];
    if (!cfg.goroutines) rec.pinned = pin_to(role.pu);
    WorkPlan cs(role.cs_ns, role.dist, 0x9e3779b97f4a7c15ull * (t + 1));
    WorkPlan ncs(role.ncs_ns, role.dist, 0xc2b2ae3d27d4eb4full * (t + 1));
    std::vector<uint8_t> read_plan(WorkPlan::kRing, 0);
    std::mt19937_64 rng(1234 + t);
    std::bernoulli_distribution is_read(role.read_fraction);
    for (auto& r : read_plan) r = role.read_fraction > 0 && is_read(rng);
    size_t step = 0;
    ready.fetch_add(1);
    while (!go.load(std::memory_order_acquire)) {
      if (cfg.goroutines) {
        gosched();
      } else {
        std::this_thread::yield();
      }
    }
    // Real-time only from here: a SCHED_FIFO thread spinning on `go` would
    // keep the (normal) coordinator off its PU.
    RtScope rt(cfg.goroutines ? 0 : role.rt_priority);
    rec.realtime = rt.ok();
    rusage ru0{};
    getrusage(RUSAGE_THREAD, &ru0);
    while (!stop.load(std::memory_order_relaxed)) {
      // Goroutines: a safe point before each piece of work, as the Go
      // peer's loop has one in each call of its (not inlined) work
      // function (the prologue's stack check; see "Preemption" in
      // syncscope/goroutine.h). Without it a goroutine that never blocks
      // keeps its P for good: at GOMAXPROCS=1 one party takes every
      // acquisition (lock_runner_test.cc, GoroutinePartiesTakeTurnsOnOneP).
      if (cfg.goroutines) preempt_point();
      rec.sink += ncs.run();
      bool read = false;
      if constexpr (SharedLockable<L>) read = read_plan[step++ & (WorkPlan::kRing - 1)];
      const uint64_t t0 = cfg.record_wait ? detail::now_ns() : 0;
      if constexpr (SharedLockable<L>) {
        if (read) {
          lock.lock_shared();
        } else {
          lock.lock();
        }
      } else {
        lock.lock();
      }
      if (cfg.record_wait) {
        const uint64_t w = detail::now_ns() - t0;
        (read ? rec.read_wait : rec.write_wait).record(w);
      }
      bool read_cpu_after = false;
      if (!read) {
        const uint64_t order = next_order++;
        if (cfg.record_order && order < cfg.order_capacity && rec.n_orders < rec.orders.size()) {
          rec.orders[rec.n_orders++] = static_cast<uint32_t>(order);
          read_cpu_after = record_cpu && order < cpu_orders;
        }
      }
      if (cfg.goroutines) preempt_point();  // inside the critical section too, as Go's
      rec.sink += cs.run();
      if constexpr (SharedLockable<L>) {
        if (read) {
          lock.unlock_shared();
          ++rec.reads;
        } else {
          lock.unlock();
        }
      } else {
        lock.unlock();
      }
      // Outside the critical section: the CPU this acquisition ran on.
      if (read_cpu_after) {
        const int cpu = read_cpu();
        rec.cpus[rec.n_orders - 1] = cpu < 0 ? kNoCpu : static_cast<uint16_t>(cpu);
      }
      ++rec.acquisitions;
    }
    rusage ru1{};
    getrusage(RUSAGE_THREAD, &ru1);
    auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec * 1e-6; };
    rec.cpu_s = secs(ru1.ru_utime) - secs(ru0.ru_utime) + secs(ru1.ru_stime) - secs(ru0.ru_stime);
    rec.vcsw = ru1.ru_nvcsw - ru0.ru_nvcsw;
    rec.ivcsw = ru1.ru_nivcsw - ru0.ru_nivcsw;
    if (!cfg.goroutines) pin_to(-1);
  };

  std::vector<std::thread> threads;
  WaitGroup done;
  if (cfg.goroutines) {
    done.add(n);
    for (int t = 0; t < n; ++t) {
      syncscope::go([&body, &done, t] {
        body(t);
        done.done();
      });
    }
  } else {
    threads.reserve(static_cast<size_t>(n));
    for (int t = 0; t < n; ++t) threads.emplace_back(body, t);
  }
  while (ready.load() < n) std::this_thread::yield();
  rusage self0{};
  getrusage(RUSAGE_SELF, &self0);
  const GoroutineStats g0 = goroutine_stats();
  const auto t0 = detail::Clock::now();
  result.start_steady_ns = static_cast<int64_t>(detail::now_ns());
  RtScope coordinator_rt(cfg.coordinator_rt_priority);
  result.coordinator_realtime = coordinator_rt.ok();
  result.rt_refused = coordinator_rt.reason();
  go.store(true, std::memory_order_release);
  std::this_thread::sleep_for(std::chrono::duration<double>(cfg.duration_s));
  stop.store(true, std::memory_order_relaxed);
  if (cfg.goroutines) {
    done.wait();
  } else {
    for (auto& th : threads) th.join();
  }
  result.elapsed_s = std::chrono::duration<double>(detail::Clock::now() - t0).count();
  if (cfg.goroutines) {
    result.goroutines = true;
    result.g = goroutine_stats() - g0;
  }
  if (cfg.goroutines && n > 0) {
    rusage self1{};
    getrusage(RUSAGE_SELF, &self1);
    auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec * 1e-6; };
    const double cpu = secs(self1.ru_utime) - secs(self0.ru_utime) + secs(self1.ru_stime) -
                       secs(self0.ru_stime);
    for (auto& r : result.threads) {
      r->cpu_s = cpu / n;
      r->vcsw = (self1.ru_nvcsw - self0.ru_nvcsw) / n;
      r->ivcsw = (self1.ru_nivcsw - self0.ru_nivcsw) / n;
    }
  }
  result.total_orders = next_order;
  for (auto& r : result.threads) result.pinned = result.pinned && r->pinned;
  // After a real-time run, idle as long as it ran (outside the measured
  // time): Linux throttles SCHED_FIFO threads that use more than
  // sched_rt_runtime_us (95%) of a 1 s period, and a throttle (tens of ms,
  // everything stopped) in the next run would be read as the lock's.
  bool realtime = result.coordinator_realtime;
  for (auto& r : result.threads) realtime = realtime || r->realtime;
  if (realtime) std::this_thread::sleep_for(std::chrono::duration<double>(result.elapsed_s));
  return result;
}

// Cost beside speed (as folly's lock benchmarks report context switches per
// hand-off): counters cpu_ns_per_acq (all threads' CPU time per acquisition),
// vcsw_per_acq, ivcsw_per_acq and cpus_used (CPU seconds / elapsed seconds):
// a spinning lock buys throughput with CPU the throughput hides.
inline void set_cost_counters(benchmark::State& state, const RunnerResult& r) {
  double cpu = 0;
  int64_t v = 0, iv = 0;
  uint64_t acq = 0;
  for (const auto& t : r.threads) {
    cpu += t->cpu_s;
    v += t->vcsw;
    iv += t->ivcsw;
    acq += t->acquisitions;
  }
  const double n = static_cast<double>(acq > 0 ? acq : 1);
  state.counters["cpu_ns_per_acq"] = cpu * 1e9 / n;
  state.counters["vcsw_per_acq"] = static_cast<double>(v) / n;
  state.counters["ivcsw_per_acq"] = static_cast<double>(iv) / n;
  state.counters["cpus_used"] = r.elapsed_s > 0 ? cpu / r.elapsed_s : 0;
}

// How often the lock changed CPU (see the banner; fairness_metrics.h's
// lock_moves), for a run that recorded CPUs:
//   lock_moves_per_acq  share of consecutive acquisitions k-1, k that ran on
//                       different CPUs (0..1)
//   lock_move_pairs     how many such pairs it is over (CPUs are read for
//                       the run's first cpu_orders acquisitions, within the
//                       order_capacity whose orders are kept)
// Nothing when the run recorded no CPUs (lock_moves_context() says why).
inline void set_lock_move_counters(benchmark::State& state, const RunnerResult& r) {
  if (!r.cpus_recorded) return;
  std::vector<const std::vector<uint32_t>*> orders;
  std::vector<const std::vector<uint16_t>*> cpus;
  std::vector<size_t> lengths;
  for (const auto& t : r.threads) {
    orders.push_back(&t->orders);
    cpus.push_back(&t->cpus);
    lengths.push_back(t->n_orders);
  }
  const LockMoves m = lock_moves(orders, cpus, lengths);
  state.counters["lock_moves_per_acq"] = m.per_acq();
  state.counters["lock_move_pairs"] = static_cast<double>(m.pairs);
}

// The context string of the lock_moves key: how the counter is measured,
// or why it is absent.
inline std::string lock_moves_context() {
  const CpuReadStatus& s = cpu_read_status();
  if (!s.available)
    return std::string("unavailable: no lock_moves_per_acq (") + s.reason + ")";
  return std::string("lock_moves_per_acq: share of consecutive acquisitions (by the "
                     "lock-protected order) whose CPUs differ, over lock_move_pairs pairs; "
                     "each recorded acquisition's CPU read right after its unlock with ") +
         kCpuReadMethod + ", checked against sched_getcpu() on " +
         std::to_string(s.cpus_checked) + " CPU(s) at start-up; one read takes " +
         std::to_string(static_cast<int>(s.read_ns + 0.5)) + " ns here (" + kCpuReadEnv +
         "=off: no read, no counter)";
}

// The runtime's counters of a goroutine run, per acquisition (every party's
// acquisitions: a release is one acquisition's unlock): g_<count>_per_acq,
// goroutine_counters.h's list, the channels suite's g_<count>_per_msg for
// locks. g_local_yields_per_acq is at most 1 (only a starvation-mode
// GoMutex unlock yields). With cpus_used they say how the run used its P's:
// GoMutex's cs 100 / ncs 100 row with 4 goroutines on two P's settles into
// one of two modes from one run to the next (issue 11): both P's contending,
// as Go's sync.Mutex does, with more parks per acquisition, or one P doing
// most of the work while the other's M polls and steals, faster.
// Nothing for a thread run.
inline void set_goroutine_counters(benchmark::State& state, const RunnerResult& r) {
  if (!r.goroutines) return;
  uint64_t acq = 0;
  for (const auto& t : r.threads) acq += t->acquisitions;
  set_goroutine_counters(state.counters, r.g, static_cast<double>(acq), "acq");
}

// Plans `policy` for the roles' threads (role i is thread i) and, when the
// placement is honoured, sets each role's PU from it; run_lock's threads pin
// themselves there. The caller labels its result with the returned
// placement's label(), or, when it is not honoured, reports its refusal()
// and runs nothing (the roles are then left as they were).
inline hw::Placement place_roles(hw::Policy policy, std::vector<ThreadRole>& roles) {
  hw::Placement plan = hw::plan_placement(policy, static_cast<int>(roles.size()));
  if (plan.honoured)
    for (size_t i = 0; i < roles.size(); ++i) roles[i].pu = plan.pu_for(i);
  return plan;
}

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_LOCK_RUNNER_H_
