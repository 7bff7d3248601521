// syncscope line hand-off — the time one cache line takes to go from one
// core to another and back: the c2c suite's measurement, and a short probe
// of the same that a suite takes beside a run to record the machine's state.
//
// Offers:
//   measure_line_handoff(pu_a, pu_b, rounds, samples)   c2c's measurement
//   probe_line_handoff_ns()    a short one between the first two CPUs of
//                              the process (internal/cpus.h)
//
// Method (core-to-core-latency by Nicolas Viennot, our own implementation):
// two threads pinned to a and b pass one line back and forth with
// compare-and-swap: the thread on a waits until the line holds 2i and CASes
// it to 2i+1, the thread on b waits for 2i+1 and CASes it to 2i+2. Each wait
// spins on a plain load first, so the only line transfers are the ones the
// protocol needs. One sample = the time of `rounds` round trips on the
// thread on a; one-way latency = sample / (2 rounds). A fresh, line-aligned
// cell per measurement, so none inherits another's cache state.
//
// Why a suite probes it (issue 11): on a shared virtual machine the same
// hand-off costs 20-60 ns in one state and 180-280 ns in the other (the
// 2-CPU development VM, five runs of the channels suite in a row), and the
// state flips within seconds to minutes; every run that moves lines between
// cores (a channel split over two CPUs, a contended lock) follows it. A row
// that carries the probe taken just before it can be read in its state: the
// channels suite probes before each repetition, every suite at both ends of
// each benchmark's noise window (noise.h). The probe is the median of its
// samples, so a sample stretched by a thread waiting for its CPU does not
// decide it.
#ifndef SYNCSCOPE_SUITES_COMMON_LINE_HANDOFF_H_
#define SYNCSCOPE_SUITES_COMMON_LINE_HANDOFF_H_

#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <syncscope/arch/atomic.h>

#include "common/harness.h"
#include "common/stats.h"

namespace syncscope::suites {

namespace line_handoff_detail {

struct alignas(128) Cell {
  std::atomic<uint64_t> value{0};
};

// What the thread on a stores to end the exchange early (a budget).
inline constexpr uint64_t kStop = ~uint64_t{0};

// Waits until `cell` holds `from`, then CASes it to from + 1; false when the
// other side ended the exchange (kStop). (The parentheses around
// arch::cpu_relax keep Boost.Fiber's function-like cpu_relax() macro out,
// for suites that include it.)
inline bool hand_over(std::atomic<uint64_t>& cell, uint64_t from) noexcept {
  for (;;) {
    for (uint64_t v; (v = cell.load(std::memory_order_relaxed)) != from;) {
      if (v == kStop) return false;
      (arch::cpu_relax)();
    }
    uint64_t expected = from;
    if (cell.compare_exchange_strong(expected, from + 1, std::memory_order_acq_rel,
                                     std::memory_order_relaxed))
      return true;
  }
}

}  // namespace line_handoff_detail

struct LineHandoff {
  Summary one_way_ns;  // over the samples (sample 0, the warm-up, left out)
  bool pinned = true;  // both threads were pinned where asked
};

// The calling thread runs on pu_a (and gets its own affinity mask back
// after), a new thread on pu_b. A budget above zero ends the measurement
// after the first sample that ends past it (the samples taken so far are
// summarised): two threads that must take turns on one CPU hand the line
// over once per scheduler slice, and a probe under load took 0.4-100 ms.
inline LineHandoff measure_line_handoff(int pu_a, int pu_b, int rounds, int samples,
                                        std::chrono::nanoseconds budget = {}) {
  using line_handoff_detail::hand_over;
  using line_handoff_detail::kStop;
  using Clock = std::chrono::steady_clock;
  cpu_set_t mine;
  const bool have_mine = sched_getaffinity(0, sizeof mine, &mine) == 0;
  auto cell = std::make_unique<line_handoff_detail::Cell>();
  std::atomic<bool> pong_pinned{true};
  std::thread pong([&] {
    pong_pinned.store(pin_to(pu_b));
    for (int s = 0; s < samples + 1; ++s)
      for (int i = 0; i < rounds; ++i)
        if (!hand_over(cell->value, 2 * (uint64_t(s) * rounds + i) + 1)) return;
  });
  LineHandoff result;
  std::vector<double> one_way;
  one_way.reserve(static_cast<size_t>(samples));
  result.pinned = pin_to(pu_a);
  // Sample 0 warms the line and the threads up and is discarded.
  const auto start = Clock::now();
  for (int s = 0; s < samples + 1; ++s) {
    const auto t0 = Clock::now();
    for (int i = 0; i < rounds; ++i) hand_over(cell->value, 2 * (uint64_t(s) * rounds + i));
    // Wait for the last pong so the sample covers whole round trips.
    const uint64_t end = 2 * (uint64_t(s) * rounds + rounds);
    while (cell->value.load(std::memory_order_acquire) != end) (arch::cpu_relax)();
    const auto t1 = Clock::now();
    if (s > 0)
      one_way.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / (2.0 * rounds));
    if (budget.count() > 0 && s < samples && t1 - start > budget) {
      // The pong side has made its last hand-over of this sample and waits
      // for our next one: it reads kStop instead and returns.
      cell->value.store(kStop, std::memory_order_release);
      break;
    }
  }
  pong.join();
  if (have_mine) sched_setaffinity(0, sizeof mine, &mine);
  result.pinned = result.pinned && pong_pinned.load();
  result.one_way_ns = summarize(one_way);
  return result;
}

// A short measurement (21 samples of 20 round trips: 0.3-1.6 ms, median
// 0.4, with its two threads' creation, on the development VM at load 0.3
// in its slow state) between the first two CPUs the
// process may run on; nullopt with fewer than two or when pinning
// fails. The median one-way latency, ns.
// The probe stops after kProbeBudget and answers only with at least
// kProbeMinSamples samples: under load it is either quick or not worth its
// time (a suite takes one at every benchmark's boundary).
inline constexpr std::chrono::milliseconds kProbeBudget{20};
inline constexpr size_t kProbeMinSamples = 3;
inline std::optional<double> probe_line_handoff_ns() {
  // The process's CPUs as read at load (internal/cpus.h), not the calling
  // thread's mask now: a harness thread pinned to one CPU (a placement)
  // would leave the suite without its probe at every boundary (the atomics
  // suite had no probe at either end of 217 of its 329 windows that way).
  const std::vector<int>& cpus = usable_cpu_list();
  if (cpus.size() < 2) return std::nullopt;
  const LineHandoff r = measure_line_handoff(cpus[0], cpus[1], 20, 21, kProbeBudget);
  if (!r.pinned || r.one_way_ns.count < kProbeMinSamples) return std::nullopt;
  return r.one_way_ns.median;
}

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_LINE_HANDOFF_H_
