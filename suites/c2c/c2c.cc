// Suite `c2c`: core-to-core latency.
//
// For a pair of PUs (a, b), two threads pinned to a and b pass one cache line
// back and forth with compare-and-swap: the thread on a waits until the line
// holds 2i and CASes it to 2i+1, the thread on b waits for 2i+1 and CASes it
// to 2i+2. Each wait spins on a plain load first, so the only line transfers
// are the ones the protocol needs. One sample = the time of R round trips on
// the thread on a; one-way latency = sample / (2 R). We report the median and
// spread over S samples. A fresh, line-aligned cell is allocated per pair, so
// no pair inherits another's cache state. (The method is the CAS ping-pong of
// core-to-core-latency by Nicolas Viennot; this is our own implementation.)
//
// Families: c2c/pu_a:A/pu_b:B/class:C   counters one_way_ns (median),
//   one_way_ns_p10, one_way_ns_p90, one_way_ns_min, samples.
// C is hw::distance_class(a, b): smt_sibling, same_l3, same_package,
// cross_package, cross_numa. Up to kAllPairsLimit PUs every pair a < b is
// measured (latency is taken as symmetric); beyond that, at most
// kPairsPerClass pairs per class are sampled, and the context says so
// (c2c_mode = sampled_by_class).
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <syncscope/arch/atomic.h>

#include "common/harness.h"
#include "common/stats.h"

namespace syncscope::suites {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kAllPairsLimit = 32;
constexpr int kPairsPerClass = 8;

struct alignas(128) Cell {
  std::atomic<uint64_t> value{0};
};

struct PairResult {
  Summary one_way_ns;
  bool pinned = true;
};

// Waits until `cell` holds `from`, then CASes it to from + 1.
inline void hand_over(std::atomic<uint64_t>& cell, uint64_t from) noexcept {
  for (;;) {
    while (cell.load(std::memory_order_relaxed) != from) arch::cpu_relax();
    uint64_t expected = from;
    if (cell.compare_exchange_strong(expected, from + 1, std::memory_order_acq_rel,
                                     std::memory_order_relaxed))
      return;
  }
}

PairResult measure_pair(int pu_a, int pu_b, int rounds, int samples) {
  auto cell = std::make_unique<Cell>();  // fresh line per pair
  std::atomic<bool> pong_pinned{true};
  std::thread pong([&] {
    pong_pinned.store(pin_to(pu_b));
    for (int s = 0; s < samples + 1; ++s)
      for (int i = 0; i < rounds; ++i) hand_over(cell->value, 2 * (uint64_t(s) * rounds + i) + 1);
  });
  PairResult result;
  std::vector<double> one_way;
  one_way.reserve(samples);
  result.pinned = pin_to(pu_a);
  // Sample 0 warms the line and the threads up and is discarded.
  for (int s = 0; s < samples + 1; ++s) {
    const auto t0 = Clock::now();
    for (int i = 0; i < rounds; ++i) hand_over(cell->value, 2 * (uint64_t(s) * rounds + i));
    // Wait for the last pong so the sample covers whole round trips.
    const uint64_t end = 2 * (uint64_t(s) * rounds + rounds);
    while (cell->value.load(std::memory_order_acquire) != end) arch::cpu_relax();
    const auto t1 = Clock::now();
    if (s > 0)
      one_way.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / (2.0 * rounds));
  }
  pong.join();
  pin_to(-1);
  result.pinned = result.pinned && pong_pinned.load();
  result.one_way_ns = summarize(one_way);
  return result;
}

void BM_Pair(benchmark::State& state, int pu_a, int pu_b) {
  const bool full = options().profile == Profile::kFull;
  const int rounds = full ? 1000 : 200;
  const int samples = full ? 300 : 60;
  PairResult r;
  for (auto _ : state) {
    r = measure_pair(pu_a, pu_b, rounds, samples);
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
