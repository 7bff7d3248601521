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

template <class Entry>
void BM_Hammer(benchmark::State& state, const std::string& name, int threads, hw::Policy policy) {
  std::vector<ThreadRole> roles(static_cast<size_t>(threads),
                                ThreadRole{kCsNs, kNcsNs, WorkDist::kFixed, 0, -1});
  const hw::Placement placement = place_roles(policy, roles);
  if (!placement.honoured) {
    state.SkipWithError(placement.refusal().c_str());
    return;
  }
  RunnerConfig cfg{roles, duration_s(), /*record_order=*/false, /*record_wait=*/true, 0};
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
  record_side_data("starvation_hist.json", name, {{"buckets", buckets_json(all)}});
  state.SetLabel(placement.label());
}

template <class Entry>
void BM_Lockskew(benchmark::State& state, const std::string& name) {
  // Hog and victim on two different PUs when there are two (compact: the
  // closest pair); a one-PU machine runs them unpinned and says so. Pinned
  // one per PU, both run under SCHED_FIFO when the OS allows it (and the
  // coordinating thread above them, so it still stops the run on time):
  // what is measured is then the lock's starvation, not the time slices
  // of other processes on a shared machine. The label says which it got.
  std::vector<ThreadRole> roles = {ThreadRole{kHogCsNs, kHogGapNs, WorkDist::kFixed, 0, -1},
                                   ThreadRole{kCsNs, kVictimGapNs, WorkDist::kFixed, 0, -1}};
  hw::Placement placement = hw::unpinned_placement(2, "one usable PU");
  if (usable_pus() >= 2) {
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
  if (pinned) cfg.coordinator_rt_priority = kCoordinatorRtPriority;
  RunnerResult r = run_fresh<typename Entry::type>(cfg, state);
  const ThreadRecord& hog = *r.threads[0];
  const ThreadRecord& victim = *r.threads[1];
  set_wait_counters(state, "victim_wait", victim.write_wait);
  state.counters["victim_acq"] = static_cast<double>(victim.acquisitions);
  state.counters["hog_acq"] = static_cast<double>(hog.acquisitions);
  state.counters["hog_wait_max_ns"] = static_cast<double>(hog.write_wait.max());
  const bool realtime = pinned && r.coordinator_realtime && hog.realtime && victim.realtime;
  state.counters["realtime"] = realtime ? 1 : 0;
  if (realtime) {
    label += ";sched=fifo";
  } else {
    label += ";sched=other";
    if (!r.rt_refused.empty()) label += " (" + r.rt_refused + ")";
  }
  record_side_data("starvation_hist.json", name, {{"buckets", buckets_json(victim.write_wait)}});
  state.SetLabel(label);
}

template <class Entry>
void BM_ReadWrite(benchmark::State& state, const std::string& name, int threads, int read_pct) {
  std::vector<ThreadRole> roles(static_cast<size_t>(threads),
                                ThreadRole{kCsNs, kNcsNs, WorkDist::kFixed, read_pct / 100.0, -1});
  RunnerConfig cfg{roles, duration_s(), false, true, 0};
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
  state.counters["reads"] = static_cast<double>(nreads);
  state.counters["writes"] = static_cast<double>(total - nreads);
  record_side_data(
      "starvation_hist.json", name,
      {{"reader_buckets", buckets_json(reads)}, {"writer_buckets", buckets_json(writes)}});
  state.SetLabel(hw::unpinned_placement(threads).label());
}

benchmark::internal::Benchmark* finish(benchmark::internal::Benchmark* b) {
  // One iteration is one timed run, longer than the profile's minimum time.
  return b->UseManualTime();
}

template <class Entry>
void register_mutex() {
  std::vector<int> sweep;
  for (int t : thread_sweep(2 * usable_pus()))
    if (t >= 2) sweep.push_back(t);
  for (hw::Policy policy : options().placements) {
    for (int t : sweep) {
      std::string name =
          bench_name("starvation", {{"lock", Entry::kName},
                                    {"threads", std::to_string(t)},
                                    {"placement", hw::policy_name(policy)},
                                    {"cs_ns", std::to_string(static_cast<int>(kCsNs))},
                                    {"ncs_ns", std::to_string(static_cast<int>(kNcsNs))}});
      finish(benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) {
        BM_Hammer<Entry>(st, name, t, policy);
      }));
    }
  }
  std::string skew = bench_name("starvation_lockskew", {{"lock", Entry::kName}});
  finish(benchmark::RegisterBenchmark(skew.c_str(),
                                      [=](benchmark::State& st) { BM_Lockskew<Entry>(st, skew); }));
}

template <class Entry>
void register_shared() {
  const int threads = std::max(2, 2 * usable_pus());
  for (int pct : {0, 50, 90, 99}) {
    std::string name = bench_name("starvation_rw", {{"lock", Entry::kName},
                                                    {"read_pct", std::to_string(pct)},
                                                    {"threads", std::to_string(threads)}});
    finish(benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) {
      BM_ReadWrite<Entry>(st, name, threads, pct);
    }));
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
  for_each_lock(MutexLocks{}, []<class E>() { register_mutex<E>(); });
  for_each_lock(SharedLocks{}, []<class E>() { register_shared<E>(); });
}

}  // namespace
}  // namespace syncscope::suites

int main(int argc, char** argv) {
  return syncscope::suites::suite_main(argc, argv, "starvation", &syncscope::suites::register_all);
}
