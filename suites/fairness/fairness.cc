// Suite `fairness`: who gets the lock, and how evenly.
//
// T threads (1 up to 2x the usable PUs: oversubscription included) hammer
// one lock for a fixed duration under each placement policy, with calibrated
// critical and non-critical work (fixed, or exponentially distributed).
// Acquisitions are not timed here (see the starvation suite): the
// throughput and fairness run stays unperturbed.
//
// Family: fairness/lock:L/threads:T/placement:P/cs_ns:C/ncs_ns:N/dist:D
// Counters: acq_per_s (all threads), jain_index, cv, min_max_ratio,
//   barging_share, lwss, mttr, seq_len (acquisitions analysed for the
//   short-term metrics), acq_t<i> (per-thread acquisitions), and for the
//   instrumented Go designs spins, parks, barges, handoffs, mode_switches
//   (starvation-mode entries + exits). Instrumented runs also write their
//   mode-switch timeline to fairness_timeline.json. Goroutine rows also
//   the runtime's counts per acquisition, g_<count>_per_acq (parks,
//   switches, steals, idle-M wakes, ...: common/goroutine_counters.h; with
//   cpus_used they say how the run used its P's).
//   Every row (threads, goroutines, and the Go peer's) also
//   lock_moves_per_acq: the share of consecutive acquisitions that ran on
//   different CPUs — how often the lock word and its holder's lines were
//   dragged across — and lock_move_pairs, the pairs it is over (the
//   run's first kLockMoveOrders acquisitions: the read disturbs)
//   (lock_runner.h's banner: each acquisition's CPU read right after its
//   unlock with LSL of Linux's per-CPU GDT segment, the vDSO getcpu's
//   trick; the Go peer uses the same instruction). Absent when that read
//   is unavailable; the context key lock_moves says how it was measured or
//   why not (the peer's: fairness_go_lock_moves).
// Family: fairness/lock:L/model:goroutine/threads:T/placement:none/...
//   the Go designs (GoMutex2008 ... GoMutex) with every party a goroutine on
//   syncscope's runtime (the threading-model axis, issue 11; lock_runner.h):
//   unpinned, GOMAXPROCS = the usable CPUs, the same counters. A name
//   without a model segment is the thread model.
// Family: fairness/lock:go_sync_mutex/threads:T/placement:none/...
//   Go's own sync.Mutex on the same cases, with goroutines (the Go peer,
//   peer.sh and go/, merged into this JSON), for the placement none runs.
// Family: fairness_gomaxprocs1/lock:L/model:goroutine/threads:T/placement:none/...
//   the Go designs on goroutines with ONE P (GOMAXPROCS=1 for the run, then
//   back), at the sweep's largest thread count, the same counters; and
//   fairness_gomaxprocs1/lock:go_sync_mutex/threads:T/... from the Go peer
//   with runtime.GOMAXPROCS(1). With one P no lock hand-off crosses CPUs,
//   so the port and the original are compared on their algorithm alone:
//   with N P's, how often each runtime moves the lock between CPUs (its
//   scheduler, not the mutex) decides much of the throughput on a machine
//   where a cache line crosses CPUs slowly (issue 11, five served runs
//   2026-12-07 21:05-21:17, load 1.6-2.6: cs 100 / ncs 100 at 1.14-1.59x
//   Go with two P's in that state, 0.98-1.24x with one). Registered only when
//   GOMAXPROCS > 1 (otherwise the model:goroutine rows are these).
// Family: fairness_uncontended/lock:L — one thread, lock+unlock in a tight
//   loop: the fast path's cost. Counter ns_per_op (one lock+unlock pair).
#include <chrono>
#include <string>
#include <vector>

#include "common/fairness_metrics.h"
#include "common/harness.h"
#include "common/lock_registry.h"
#include "common/lock_runner.h"

namespace syncscope::suites {
namespace {

// Lock moves are counted over the run's first kLockMoveOrders acquisitions
// (lock_runner.h: the CPU read disturbs the lock's dynamics where it runs;
// the Go peer counts over as many, go/main.go's lockMoveOrders). At 4-6 M
// acquisitions/s that is the first ~25 ms of a full-profile run.
constexpr size_t kLockMoveOrders = size_t{1} << 17;

struct WorkConfig {
  double cs_ns;
  double ncs_ns;
  WorkDist dist;
};

std::vector<WorkConfig> work_configs() {
  std::vector<WorkConfig> w = {{100, 100, WorkDist::kFixed}};
  if (options().profile == Profile::kFull) {
    w.push_back({1000, 1000, WorkDist::kExponential});
    w.push_back({50, 5000, WorkDist::kExponential});
  }
  return w;
}

template <class L>
concept HasStats = requires(const L& l) { l.stats(); };
template <class L>
concept HasTimeline = requires(const L& l) { l.mode_switch_timeline(); };

// The Go designs, which also run with goroutines as parties.
bool is_go_design(const char* name) { return std::string(name).rfind("GoMutex", 0) == 0; }
bool is_instrumented(const char* name) {
  const std::string n(name);
  return n.size() > 6 && n.compare(n.size() - 6, 6, "_instr") == 0;
}

template <class Entry>
void BM_Fairness(benchmark::State& state, const std::string& name, int threads, hw::Policy policy,
                 WorkConfig w, bool goroutines, bool one_p = false) {
  using L = typename Entry::type;
  std::vector<ThreadRole> roles(static_cast<size_t>(threads),
                                ThreadRole{w.cs_ns, w.ncs_ns, w.dist, 0, -1});
  const hw::Placement placement = goroutines ? hw::unpinned_placement(threads, "goroutines")
                                             : place_roles(policy, roles);
  if (!placement.honoured) {
    state.SkipWithError(placement.refusal().c_str());
    return;
  }
  RunnerConfig cfg;
  cfg.roles = roles;
  cfg.goroutines = goroutines;
  cfg.duration_s = options().profile == Profile::kFull ? 1.0 : 0.1;
  cfg.record_order = true;
  cfg.order_capacity = std::max<size_t>(1 << 16, (size_t{1} << 22) / static_cast<size_t>(threads));
  cfg.cpu_orders = kLockMoveOrders;
  RunnerResult r;
  nlohmann::json timeline;
  [[maybe_unused]] GoMutexStats stats{};
  // One P for this run only (fairness_gomaxprocs1); the P's come back even
  // when the run throws.
  struct ProcsScope {
    int before = 0;
    explicit ProcsScope(bool on) : before(on ? gomaxprocs() : 0) {
      if (on) set_gomaxprocs(1);
    }
    ~ProcsScope() {
      if (before > 0) set_gomaxprocs(before);
    }
  } procs(one_p);
  for (auto _ : state) {
    auto lock = std::make_unique<L>();
    r = run_lock(*lock, cfg);
    state.SetIterationTime(r.elapsed_s);
    if constexpr (HasStats<L>) stats = lock->stats();
    if constexpr (HasTimeline<L>) {
      auto tl = lock->mode_switch_timeline();
      timeline = nlohmann::json::array();
      for (size_t i = 0; i < tl.size; ++i)
        timeline.push_back({{"t_ms", (tl.events[i].steady_ns - r.start_steady_ns) / 1e6},
                            {"entered_starvation", tl.events[i].entered_starvation}});
    }
  }
  if (!r.pinned) {
    state.SkipWithError("a thread could not be pinned to its PU");
    return;
  }
  std::vector<uint64_t> counts;
  std::vector<const std::vector<uint32_t>*> orders;
  std::vector<size_t> lengths;
  uint64_t total = 0;
  for (auto& t : r.threads) {
    counts.push_back(t->acquisitions);
    orders.push_back(&t->orders);
    lengths.push_back(t->n_orders);
    total += t->acquisitions;
  }
  CountFairness cf = count_fairness(counts);
  SequenceFairness sf = sequence_fairness(merge_orders(orders, lengths));
  state.counters["acq_per_s"] = static_cast<double>(total) / r.elapsed_s;
  state.counters["jain_index"] = cf.jain_index;
  set_cost_counters(state, r);
  set_goroutine_counters(state, r);
  set_lock_move_counters(state, r);
  state.counters["cv"] = cf.cv;
  state.counters["min_max_ratio"] = cf.min_max_ratio;
  state.counters["barging_share"] = sf.barging_share;
  state.counters["lwss"] = sf.lwss;
  state.counters["mttr"] = sf.mttr;
  state.counters["seq_len"] = static_cast<double>(sf.length);
  for (size_t i = 0; i < counts.size(); ++i)
    state.counters["acq_t" + std::to_string(i)] = static_cast<double>(counts[i]);
  if constexpr (HasStats<L>) {
    state.counters["spins"] = static_cast<double>(stats.spins);
    state.counters["parks"] = static_cast<double>(stats.parks);
    state.counters["barges"] = static_cast<double>(stats.barges);
    state.counters["handoffs"] = static_cast<double>(stats.handoffs);
    state.counters["mode_switches"] = static_cast<double>(stats.mode_switches);
  }
  if constexpr (HasTimeline<L>) {
    record_side_data("fairness_timeline.json", name,
                     {{"duration_ms", r.elapsed_s * 1e3}, {"events", timeline}});
  }
  if (goroutines) {
    const int procs = one_p ? 1 : gomaxprocs();
    state.counters["gomaxprocs"] = procs;
    state.SetLabel(placement.label() + ";model=goroutine;GOMAXPROCS=" + std::to_string(procs));
  } else {
    state.SetLabel(placement.label());
  }
}

template <class Entry>
void BM_Uncontended(benchmark::State& state) {
  auto lock = std::make_unique<typename Entry::type>();
  int64_t pairs = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    lock->lock();
    lock->unlock();
    ++pairs;
  }
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  state.counters["ns_per_op"] = ns / static_cast<double>(pairs ? pairs : 1);
}

template <class Entry>
void register_lock() {
  benchmark::RegisterBenchmark(bench_name("fairness_uncontended", {{"lock", Entry::kName}}).c_str(),
                               BM_Uncontended<Entry>);
  const int max_threads = 2 * usable_pus();
  for (const WorkConfig& w : work_configs()) {
    for (hw::Policy policy : options().placements) {
      for (int t : thread_sweep(max_threads)) {
        std::string name =
            bench_name("fairness", {{"lock", Entry::kName},
                                    {"threads", std::to_string(t)},
                                    {"placement", hw::policy_name(policy)},
                                    {"cs_ns", std::to_string(static_cast<int>(w.cs_ns))},
                                    {"ncs_ns", std::to_string(static_cast<int>(w.ncs_ns))},
                                    {"dist", work_dist_name(w.dist)}});
        auto* b = benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) {
          BM_Fairness<Entry>(st, name, t, policy, w, false);
        });
        // One iteration is one timed run (longer than the profile's minimum
        // time, so Google Benchmark does not repeat it within a repetition).
        b->UseManualTime();
      }
    }
    if (!is_go_design(Entry::kName)) continue;
    // The goroutine rows: every thread count with the runtime's P's, and
    // (one_p) the largest with one P, in the family fairness_gomaxprocs1.
    auto add_goroutine_row = [&w](const char* family, int t, bool one_p) {
      std::string name =
          bench_name(family, {{"lock", Entry::kName},
                              {"model", "goroutine"},
                              {"threads", std::to_string(t)},
                              {"placement", "none"},
                              {"cs_ns", std::to_string(static_cast<int>(w.cs_ns))},
                              {"ncs_ns", std::to_string(static_cast<int>(w.ncs_ns))},
                              {"dist", work_dist_name(w.dist)}});
      benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) {
        BM_Fairness<Entry>(st, name, t, hw::Policy::kNone, w, true, one_p);
      })->UseManualTime();
    };
    for (int t : thread_sweep(max_threads)) add_goroutine_row("fairness", t, false);
    const int t1 = thread_sweep(max_threads).back();
    if (gomaxprocs() < 2 || t1 < 2 || is_instrumented(Entry::kName)) continue;
    add_goroutine_row("fairness_gomaxprocs1", t1, true);
  }
}

void register_all() {
  add_lock_registry_context();
  benchmark::AddCustomContext("calibrated_steps_per_ns",
                              std::to_string(CalibratedWork::steps_per_ns()));
  benchmark::AddCustomContext(
      "lock_models",
      "thread: every party a std::thread (names without a model segment); goroutine "
      "(model:goroutine, the Go designs): every party a goroutine on syncscope's runtime, "
      "GOMAXPROCS=" + std::to_string(gomaxprocs()) +
          ", unpinned, no asynchronous preemption: a safe point before each piece of work in "
          "the parties' loop (as the Go peer's loop has one in each call of its work "
          "function), where the runtime's monitor preempts a party after a 10 ms slice, as "
          "Go's sysmon does, and GoMutex's slow path yields after its time slice; "
          "lock:go_sync_mutex: Go's sync.Mutex with goroutines (peer.sh); family "
          "fairness_gomaxprocs1: the Go designs on goroutines and Go's sync.Mutex with one P "
          "(GOMAXPROCS=1 for the run), at the sweep's largest thread count" +
          std::string(gomaxprocs() > 1 ? "" : " (not run: GOMAXPROCS is 1 already)"));
  benchmark::AddCustomContext("lock_moves", lock_moves_context());
  for_each_lock(MutexLocks{}, []<class E>() { register_lock<E>(); });
  for_each_lock(InstrumentedLocks{}, []<class E>() { register_lock<E>(); });
}

}  // namespace
}  // namespace syncscope::suites

int main(int argc, char** argv) {
  return syncscope::suites::suite_main(argc, argv, "fairness", &syncscope::suites::register_all);
}
