// Suite `c2c`: core-to-core latency.
//
// For a pair of PUs (a, b), two threads pinned to a and b pass one cache line
// back and forth (common/line_handoff.h: the CAS ping-pong of
// core-to-core-latency); one sample = R round trips, one-way latency =
// sample / (2 R). We report the median and spread over S samples.
//
// Families: c2c/pu_a:A/pu_b:B/class:C   counters one_way_ns (median),
//   one_way_ns_p10, one_way_ns_p90, one_way_ns_min, samples.
// C is hw::distance_class(a, b): smt_sibling, same_l3, same_package,
// cross_package, cross_numa. Up to kAllPairsLimit PUs every pair a < b is
// measured (latency is taken as symmetric); beyond that, at most
// kPairsPerClass pairs per class are sampled, and the context says so
// (c2c_mode = sampled_by_class). The channels suite takes a short probe of
// the same measurement beside its runs.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <syncscope/arch/atomic.h>

#include "common/harness.h"
#include "common/line_handoff.h"
#include "common/stats.h"

namespace syncscope::suites {
namespace {

constexpr int kAllPairsLimit = 32;
constexpr int kPairsPerClass = 8;

void BM_Pair(benchmark::State& state, int pu_a, int pu_b) {
  const bool full = options().profile == Profile::kFull;
  const int rounds = full ? 1000 : 200;
  const int samples = full ? 300 : 60;
  LineHandoff r;
  for (auto _ : state) {
    r = measure_line_handoff(pu_a, pu_b, rounds, samples);
    state.SetIterationTime(r.one_way_ns.median * 1e-9);
  }
  if (!r.pinned) {
    state.SkipWithError(
        ("could not pin to PU " + std::to_string(pu_a) + " and " + std::to_string(pu_b)).c_str());
    return;
  }
  state.counters["one_way_ns"] = r.one_way_ns.median;
  state.counters["one_way_ns_p10"] = r.one_way_ns.p10;
  state.counters["one_way_ns_p90"] = r.one_way_ns.p90;
  state.counters["one_way_ns_min"] = r.one_way_ns.min;
  state.counters["samples"] = static_cast<double>(r.one_way_ns.count);
  state.counters["round_trips_per_sample"] = rounds;
}

void register_all() {
  const std::vector<int>& pus = usable_cpu_list();
  std::vector<std::pair<int, int>> pairs;
  const bool all = static_cast<int>(pus.size()) <= kAllPairsLimit;
  std::map<std::string, std::vector<std::pair<int, int>>> by_class;
  for (size_t i = 0; i < pus.size(); ++i)
    for (size_t j = i + 1; j < pus.size(); ++j) {
      if (all) {
        pairs.emplace_back(pus[i], pus[j]);
      } else {
        by_class[hw::distance_class(pus[i], pus[j])].emplace_back(pus[i], pus[j]);
      }
    }
  if (!all) {
    // Evenly spaced picks within each class, so the sample spans the machine.
    for (auto& [cls, v] : by_class) {
      const size_t n = std::min<size_t>(v.size(), kPairsPerClass);
      for (size_t k = 0; k < n; ++k) pairs.push_back(v[k * v.size() / n]);
    }
  }
  benchmark::AddCustomContext("c2c_mode", all ? "all_pairs" : "sampled_by_class");
  benchmark::AddCustomContext("c2c_pairs", std::to_string(pairs.size()));
  benchmark::AddCustomContext("c2c_usable_pus", std::to_string(pus.size()));
  if (pairs.empty()) {
    benchmark::RegisterBenchmark("c2c/unavailable", [](benchmark::State& st) {
      st.SkipWithError("fewer than two usable PUs: no pair to measure");
      for (auto _ : st) {
      }
    });
    return;
  }
  for (auto [a, b] : pairs) {
    benchmark::RegisterBenchmark(bench_name("c2c", {{"pu_a", std::to_string(a)},
                                                    {"pu_b", std::to_string(b)},
                                                    {"class", hw::distance_class(a, b)}})
                                     .c_str(),
                                 [a = a, b = b](benchmark::State& st) { BM_Pair(st, a, b); })
        ->Iterations(1)
        ->UseManualTime();
  }
}

}  // namespace
}  // namespace syncscope::suites

int main(int argc, char** argv) {
  return syncscope::suites::suite_main(argc, argv, "c2c", &syncscope::suites::register_all);
}
