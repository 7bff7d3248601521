// Suite `starvation`: how long does an acquisition wait, in the tail?
//
// Every acquisition's wait (from the call to lock() until it returns) goes
// into the thread's log-linear histogram (common/histogram.h); histograms
// are merged after the run.
//
// Families:
//   starvation/lock:L/threads:T/placement:P/cs_ns:C/ncs_ns:N
//       T threads hammer one lock. Counters wait_p50_ns, wait_p90_ns,
//       wait_p99_ns, wait_p999_ns, wait_max_ns, acq_per_s.
//   starvation_lockskew/lock:L
//       The lockskew scenario: a hog re-acquires in a tight loop (critical
//       section kHogCsNs, gap kHogGapNs) while a victim acquires once every
//       kVictimGapNs. Counters victim_wait_p50_ns ... victim_wait_max_ns,
//       victim_acq, hog_acq, realtime (1: both ran under SCHED_FIFO).
//       Go 1.9's starvation mode bounds the victim's wait near its 1 ms threshold; designs without
//       it (GoMutex2015, a test-and-set spinlock) leave the victim to chance.
//   starvation_rw/lock:L/read_pct:R/threads:T
//       Reader/writer locks with R % reads: reader_wait_* and writer_wait_*
//       percentiles (writer starvation is writer_wait_max_ns), acq_per_s,
//       reads, writes.
//   .../model:goroutine (after lock:L, on all three families): the Go
//       designs (GoMutex2008 ... GoMutex, GoRWMutex) with every party a
//       goroutine on syncscope's runtime (the threading-model axis, issue
//       11; lock_runner.h): unpinned, never real-time (lockskew's label says
//       sched=other;model=goroutine), GOMAXPROCS = the usable CPUs.
//       Their rows also carry the runtime's counts per acquisition,
//       g_<count>_per_acq (common/goroutine_counters.h).
//   lock:go_sync_mutex, lock:go_sync_rwmutex: Go's own sync.Mutex and
//       sync.RWMutex on the same cases with goroutines (the Go peer, peer.sh
//       and go/, merged into this JSON and its side file).
// Histogram buckets of every run go to starvation_hist.json (for the CCDF
// plots): {name: {"buckets": [[upper_ns, count], ...]}} and, for rw runs,
// "reader_buckets"/"writer_buckets"; for lockskew, the victim's.
#include <string>
#include <vector>

#include "common/harness.h"
#include "common/lock_registry.h"
#include "common/lock_runner.h"

namespace syncscope::suites {
namespace {

// The hog's critical section is long next to a futex wake-up (tens of us
// in a VM), so a woken waiter nearly always finds the lock taken again:
// the shape of Go's TestMutexFairness, where only starvation mode's
// hand-off lets the victim in.
constexpr double kHogCsNs = 20'000;
constexpr double kHogGapNs = 20;
constexpr double kVictimGapNs = 200'000;
constexpr double kLockskewRunS = 0.4;
constexpr int kWorkerRtPriority = 10;
constexpr int kCoordinatorRtPriority = 20;
constexpr double kCsNs = 100;
constexpr double kNcsNs = 100;

double duration_s() { return options().profile == Profile::kFull ? 2.0 : 0.1; }

nlohmann::json buckets_json(const LogLinearHistogram& h) {
  nlohmann::json b = nlohmann::json::array();
  for (auto [ub, c] : h.buckets()) b.push_back({ub, c});
  return b;
}

void set_wait_counters(benchmark::State& state, const std::string& prefix,
                       const LogLinearHistogram& h) {
  state.counters[prefix + "_p50_ns"] = static_cast<double>(h.percentile(0.50));
  state.counters[prefix + "_p90_ns"] = static_cast<double>(h.percentile(0.90));
  state.counters[prefix + "_p99_ns"] = static_cast<double>(h.percentile(0.99));
  state.counters[prefix + "_p999_ns"] = static_cast<double>(h.percentile(0.999));
  state.counters[prefix + "_max_ns"] = static_cast<double>(h.max());
  state.counters[prefix + "_count"] = static_cast<double>(h.count());
}

template <class L>
RunnerResult run_fresh(const RunnerConfig& cfg, benchmark::State& state) {
  RunnerResult r;
  for (auto _ : state) {
    auto lock = std::make_unique<L>();
    r = run_lock(*lock, cfg);
    state.SetIterationTime(r.elapsed_s);
  }
  return r;
}

// The Go designs, which also run with goroutines as parties.
bool is_go_design(const char* name) { return std::string(name).rfind("Go", 0) == 0; }

std::string goroutine_label(const hw::Placement& p) {
  return p.label() + ";model=goroutine;GOMAXPROCS=" + std::to_string(gomaxprocs());
}

template <class Entry>
void BM_Hammer(benchmark::State& state, const std::string& name, int threads, hw::Policy policy,
               bool goroutines) {
  std::vector<ThreadRole> roles(static_cast<size_t>(threads),
                                ThreadRole{kCsNs, kNcsNs, WorkDist::kFixed, 0, -1});
  const hw::Placement placement = goroutines ? hw::unpinned_placement(threads, "goroutines")
                                             : place_roles(policy, roles);
  if (!placement.honoured) {
    state.SkipWithError(placement.refusal().c_str());
    return;
  }
  RunnerConfig cfg{roles, duration_s(), /*record_order=*/false, /*record_wait=*/true, 0};
  cfg.goroutines = goroutines;
  RunnerResult r = run_fresh<typename Entry::type>(cfg, state);
  LogLinearHistogram all;
  uint64_t total = 0;
  for (auto& t : r.threads) {
    all.merge(t->write_wait);
    total += t->acquisitions;
  }
  set_wait_counters(state, "wait", all);
  state.counters["acq_per_s"] = static_cast<double>(total) / r.elapsed_s;
  set_cost_counters(state, r);
  set_goroutine_counters(state, r);
  record_side_data("starvation_hist.json", name, {{"buckets", buckets_json(all)}});
  state.SetLabel(goroutines ? goroutine_label(placement) : placement.label());
}

template <class Entry>
void BM_Lockskew(benchmark::State& state, const std::string& name, bool goroutines) {
  // Hog and victim on two different PUs when there are two (compact: the
  // closest pair); a one-PU machine runs them unpinned and says so. Pinned
  // one per PU, both run under SCHED_FIFO when the OS allows it (and the
  // coordinating thread above them, so it still stops the run on time):
  // what is measured is then the lock's starvation, not the time slices
  // of other processes on a shared machine. The label says which it got.
  std::vector<ThreadRole> roles = {ThreadRole{kHogCsNs, kHogGapNs, WorkDist::kFixed, 0, -1},
                                   ThreadRole{kCsNs, kVictimGapNs, WorkDist::kFixed, 0, -1}};
  // On goroutines: unpinned, no real time (a goroutine has neither).
  hw::Placement placement =
      hw::unpinned_placement(2, goroutines ? "goroutines" : "one usable PU");
  if (usable_pus() >= 2 && !goroutines) {
    hw::Placement compact = place_roles(hw::Policy::kCompact, roles);
    if (compact.honoured) placement = std::move(compact);
  }
  const bool pinned = placement.policy != hw::Policy::kNone;
  std::string label = placement.label();
  if (pinned)
    for (ThreadRole& r : roles) r.rt_priority = kWorkerRtPriority;
  // One run stays well under Linux's real-time budget (0.95 s per 1 s
  // period) in both profiles; the full profile gets more repetitions.
  RunnerConfig cfg{roles, kLockskewRunS, false, true, 0};
  cfg.goroutines = goroutines;
  if (pinned) cfg.coordinator_rt_priority = kCoordinatorRtPriority;
  RunnerResult r = run_fresh<typename Entry::type>(cfg, state);
  const ThreadRecord& hog = *r.threads[0];
  const ThreadRecord& victim = *r.threads[1];
  set_wait_counters(state, "victim_wait", victim.write_wait);
  state.counters["victim_acq"] = static_cast<double>(victim.acquisitions);
  state.counters["hog_acq"] = static_cast<double>(hog.acquisitions);
  state.counters["hog_wait_max_ns"] = static_cast<double>(hog.write_wait.max());
  set_goroutine_counters(state, r);
  const bool realtime = pinned && r.coordinator_realtime && hog.realtime && victim.realtime;
  state.counters["realtime"] = realtime ? 1 : 0;
  if (realtime) {
    label += ";sched=fifo";
  } else {
    label += ";sched=other";
    if (!r.rt_refused.empty()) label += " (" + r.rt_refused + ")";
  }
  if (goroutines) label += ";model=goroutine;GOMAXPROCS=" + std::to_string(gomaxprocs());
  record_side_data("starvation_hist.json", name, {{"buckets", buckets_json(victim.write_wait)}});
  state.SetLabel(label);
}

template <class Entry>
void BM_ReadWrite(benchmark::State& state, const std::string& name, int threads, int read_pct,
                  bool goroutines) {
  std::vector<ThreadRole> roles(static_cast<size_t>(threads),
                                ThreadRole{kCsNs, kNcsNs, WorkDist::kFixed, read_pct / 100.0, -1});
  RunnerConfig cfg{roles, duration_s(), false, true, 0};
  cfg.goroutines = goroutines;
  RunnerResult r = run_fresh<typename Entry::type>(cfg, state);
  LogLinearHistogram reads, writes;
  uint64_t total = 0, nreads = 0;
  for (auto& t : r.threads) {
    reads.merge(t->read_wait);
    writes.merge(t->write_wait);
    total += t->acquisitions;
    nreads += t->reads;
  }
  set_wait_counters(state, "reader_wait", reads);
  set_wait_counters(state, "writer_wait", writes);
  state.counters["acq_per_s"] = static_cast<double>(total) / r.elapsed_s;
  set_cost_counters(state, r);
  set_goroutine_counters(state, r);
  state.counters["reads"] = static_cast<double>(nreads);
  state.counters["writes"] = static_cast<double>(total - nreads);
  record_side_data(
      "starvation_hist.json", name,
      {{"reader_buckets", buckets_json(reads)}, {"writer_buckets", buckets_json(writes)}});
  const hw::Placement unpinned = hw::unpinned_placement(threads);
  state.SetLabel(goroutines ? goroutine_label(unpinned) : unpinned.label());
}

benchmark::internal::Benchmark* finish(benchmark::internal::Benchmark* b) {
  // One iteration is one timed run, longer than the profile's minimum time.
  return b->UseManualTime();
}

// {lock:L} or {lock:L, model:goroutine}: the head of a name's key:values.
std::vector<std::pair<std::string, std::string>> lock_keys(const char* lock, bool goroutines) {
  std::vector<std::pair<std::string, std::string>> kv = {{"lock", lock}};
  if (goroutines) kv.emplace_back("model", "goroutine");
  return kv;
}

template <class Entry>
void register_mutex() {
  std::vector<int> sweep;
  for (int t : thread_sweep(2 * usable_pus()))
    if (t >= 2) sweep.push_back(t);
  for (bool g : {false, true}) {
    if (g && !is_go_design(Entry::kName)) continue;
    const std::vector<hw::Policy> policies =
        g ? std::vector<hw::Policy>{hw::Policy::kNone} : options().placements;
    for (hw::Policy policy : policies) {
      for (int t : sweep) {
        auto kv = lock_keys(Entry::kName, g);
        kv.insert(kv.end(), {{"threads", std::to_string(t)},
                             {"placement", hw::policy_name(policy)},
                             {"cs_ns", std::to_string(static_cast<int>(kCsNs))},
                             {"ncs_ns", std::to_string(static_cast<int>(kNcsNs))}});
        std::string name = bench_name("starvation", kv);
        finish(benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) {
          BM_Hammer<Entry>(st, name, t, policy, g);
        }));
      }
    }
    std::string skew = bench_name("starvation_lockskew", lock_keys(Entry::kName, g));
    finish(benchmark::RegisterBenchmark(
        skew.c_str(), [=](benchmark::State& st) { BM_Lockskew<Entry>(st, skew, g); }));
  }
}

template <class Entry>
void register_shared() {
  const int threads = std::max(2, 2 * usable_pus());
  for (bool g : {false, true}) {
    if (g && !is_go_design(Entry::kName)) continue;
    for (int pct : {0, 50, 90, 99}) {
      auto kv = lock_keys(Entry::kName, g);
      kv.insert(kv.end(), {{"read_pct", std::to_string(pct)}, {"threads", std::to_string(threads)}});
      std::string name = bench_name("starvation_rw", kv);
      finish(benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) {
        BM_ReadWrite<Entry>(st, name, threads, pct, g);
      }));
    }
  }
}

void register_all() {
  add_lock_registry_context();
  benchmark::AddCustomContext("calibrated_steps_per_ns",
                              std::to_string(CalibratedWork::steps_per_ns()));
  benchmark::AddCustomContext(
      "lockskew", "hog cs " + std::to_string(static_cast<int>(kHogCsNs)) + " ns, gap " +
                      std::to_string(static_cast<int>(kHogGapNs)) + " ns; victim every " +
                      std::to_string(static_cast<int>(kVictimGapNs / 1000)) +
                      " us; pinned one per PU under SCHED_FIFO when permitted");
  benchmark::AddCustomContext(
      "lock_models",
      "thread: every party a std::thread (names without a model segment); goroutine "
      "(model:goroutine, the Go designs): every party a goroutine on syncscope's runtime, "
      "GOMAXPROCS=" + std::to_string(gomaxprocs()) +
          ", unpinned, never real-time, no asynchronous preemption (a safe point before each "
          "piece of work in the parties' loop, as the Go peer's work function has one, where "
          "the runtime's monitor preempts a party after a 10 ms slice; GoMutex's slow path "
          "yields after its time slice, as Go's sysmon preempts); lock:go_sync_mutex / "
          "go_sync_rwmutex: Go's sync.Mutex / sync.RWMutex with goroutines (peer.sh)");
  for_each_lock(MutexLocks{}, []<class E>() { register_mutex<E>(); });
  for_each_lock(SharedLocks{}, []<class E>() { register_shared<E>(); });
}

}  // namespace
}  // namespace syncscope::suites

int main(int argc, char** argv) {
  return syncscope::suites::suite_main(argc, argv, "starvation", &syncscope::suites::register_all);
}
