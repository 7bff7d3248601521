// Suite `maps`: Go's sync.Map (syncscope::Map) against the maps people use
// instead, on the two scenarios sync.Map is documented for and a 90/10
// read/write mix (map_workload.h).
//
// Maps (map_adapters.h): SyncMap, ConcurrentMap (32 shards, GoRWMutex
// each), and one std::unordered_map behind one lock: umap_GoMutex,
// umap_GoRWMutex, umap_std_shared_mutex (loads take the reader/writer locks
// shared).
//
// Family: maps/scenario:S/map:M/placement:X (GB appends /real_time and
//   /threads:T). T threads (the thread sweep up to the usable PUs; one
//   thread runs under the first placement only: a lone thread has nobody to
//   be placed against) share one map, made and filled by Setup before the
//   threads start (and read twice over, so sync.Map has promoted its dirty
//   map: the steady state the scenarios describe). In disjoint_keys each
//   thread first stores its own keys and reads them twice, before the timed
//   loop. Each thread then runs its planned operations (8 per benchmark
//   iteration) until Google Benchmark's time is up.
// Counters: ops_per_s (all threads), ns_per_op (per thread, averaged over
//   threads), cpu_ns_per_op (the thread's CPU time per op, averaged: not
//   inflated when other processes share the cores), vcsw_per_op and
//   ivcsw_per_op (the thread's voluntary and involuntary context switches
//   per op, getrusage(RUSAGE_THREAD) around the loop, averaged: a map
//   whose lock parks its waiters pays in switches what its throughput
//   hides).
#include <chrono>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <time.h>

#include <syncscope/go_mutex.h>
#include <syncscope/go_rwmutex.h>

#include "common/harness.h"
#include "maps/map_adapters.h"
#include "maps/map_workload.h"

namespace syncscope::suites {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kUnroll = 8;                  // operations per benchmark iteration
constexpr std::size_t kPlanLength = 1 << 14;  // planned ops per thread (a ring)
static_assert((kPlanLength & (kPlanLength - 1)) == 0, "the plan is indexed with a mask");

using Maps = MapList<MapEntry<"SyncMap", SyncMapAdapter>,
                     MapEntry<"ConcurrentMap", ConcurrentMapAdapter>,
                     MapEntry<"umap_GoMutex", LockedMap<GoMutex>>,
                     MapEntry<"umap_GoRWMutex", LockedMap<GoRWMutex>>,
                     MapEntry<"umap_std_shared_mutex", LockedMap<std::shared_mutex>>>;

double thread_cpu_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// The map shared by the threads of one run (Google Benchmark runs one
// benchmark at a time): made by Setup before the threads start, destroyed
// by Teardown after they joined.
template <class M>
struct Shared {
  static inline std::unique_ptr<M> map;
};

// Loads every key of [first, first + count) twice: sync.Map promotes its
// dirty map after as many misses as it has keys.
template <class M>
void read_twice(const M& m, uint64_t first, uint64_t count) {
  uint64_t sink = 0;
  for (int pass = 0; pass < 2; ++pass)
    for (uint64_t k = first; k < first + count; ++k) sink += m.load(k).value_or(0);
  benchmark::DoNotOptimize(sink);
}

template <class M, MapScenario S>
void setup_map(const benchmark::State&) {
  Shared<M>::map = std::make_unique<M>();
  const uint64_t n = shared_keys(S);
  for (uint64_t k = 0; k < n; ++k) Shared<M>::map->store(k, k);
  read_twice(*Shared<M>::map, 0, n);
}

template <class M>
void teardown_map(const benchmark::State&) {
  Shared<M>::map.reset();
}

template <class M, MapScenario S>
void BM_Map(benchmark::State& state, hw::Policy policy) {
  using benchmark::Counter;
  if (!place_thread(state, policy)) return;
  M& map = *Shared<M>::map;
  const std::vector<uint64_t> plan = make_plan(S, state.thread_index(), kPlanLength);
  const auto [first, count] = own_keys(S, state.thread_index());
  for (uint64_t k = first; k < first + count; ++k) map.store(k, k);
  read_twice(map, first, count);

  uint64_t sink = 0;
  std::size_t i = 0;
  int64_t ops = 0;
  rusage ru0{};
  getrusage(RUSAGE_THREAD, &ru0);
  const double cpu0 = thread_cpu_ns();
  const auto t0 = Clock::now();
  for (auto _ : state) {
    for (int u = 0; u < kUnroll; ++u) {
      const uint64_t op = plan[i++ & (kPlanLength - 1)];
      const uint64_t key = op & ~kWriteBit;
      if (op & kWriteBit) {
        map.store(key, i);
      } else {
        sink += map.load(key).value_or(0);
      }
    }
    ops += kUnroll;
  }
  const auto t1 = Clock::now();
  const double cpu = thread_cpu_ns() - cpu0;
  rusage ru1{};
  getrusage(RUSAGE_THREAD, &ru1);
  benchmark::DoNotOptimize(sink);
  const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
  const double n = static_cast<double>(ops ? ops : 1);
  state.counters["ops_per_s"] = static_cast<double>(ops) / (ns * 1e-9);
  state.counters["ns_per_op"] = Counter(ns / n, Counter::kAvgThreads);
  state.counters["cpu_ns_per_op"] = Counter(cpu / n, Counter::kAvgThreads);
  state.counters["vcsw_per_op"] =
      Counter(static_cast<double>(ru1.ru_nvcsw - ru0.ru_nvcsw) / n, Counter::kAvgThreads);
  state.counters["ivcsw_per_op"] =
      Counter(static_cast<double>(ru1.ru_nivcsw - ru0.ru_nivcsw) / n, Counter::kAvgThreads);
  state.SetItemsProcessed(ops);
  pin_to(-1);
}

template <class Entry, MapScenario S>
void register_map() {
  using M = typename Entry::type;
  const std::vector<hw::Policy>& placements = options().placements;
  const std::vector<int> sweep = thread_sweep(usable_pus());
  for (std::size_t pi = 0; pi < placements.size(); ++pi) {
    const hw::Policy policy = placements[pi];
    std::vector<int> ts;
    for (int t : sweep)
      if (t > 1 || pi == 0) ts.push_back(t);
    if (ts.empty()) continue;
    auto* b = benchmark::RegisterBenchmark(
        bench_name("maps", {{"scenario", scenario_name(S)},
                            {"map", Entry::kName},
                            {"placement", hw::policy_name(policy)}})
            .c_str(),
        [policy](benchmark::State& st) { BM_Map<M, S>(st, policy); });
    for (int t : ts) b->Threads(t);
    b->Setup(&setup_map<M, S>)->Teardown(&teardown_map<M>)->UseRealTime();
  }
}

template <MapScenario S>
void register_scenario() {
  for_each_map(Maps{}, []<class E>() { register_map<E, S>(); });
}

void register_all() {
  register_scenario<MapScenario::kWriteOnceReadMany>();
  register_scenario<MapScenario::kDisjointKeys>();
  register_scenario<MapScenario::kRead90Write10>();
}

}  // namespace
}  // namespace syncscope::suites

int main(int argc, char** argv) {
  return syncscope::suites::suite_main(argc, argv, "maps", &syncscope::suites::register_all);
}
