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

using Clock = std::chrono::steady_clock;

// What the thread on a stores to end the exchange early (its budget ran
// out). It is never a value either side waits for or CASes from, so it may
// be stored at any moment: a partner's CAS then fails and it reads kStop.
inline constexpr uint64_t kStop = ~uint64_t{0};

// Waits until `cell` holds `value`; false when it holds kStop, or past
// `deadline` (the clock read every 256 spins, only when there is one).
// (The parentheses around arch::cpu_relax keep Boost.Fiber's function-like
// cpu_relax() macro out, for suites that include it.)
inline bool wait_for(const std::atomic<uint64_t>& cell, uint64_t value,
                     Clock::time_point deadline = Clock::time_point::max()) noexcept {
  const bool timed = deadline != Clock::time_point::max();
  for (uint32_t spins = 1;; ++spins) {
    const uint64_t v = cell.load(std::memory_order_acquire);
    if (v == value) return true;
    if (v == kStop) return false;
    if (timed && spins % 256 == 0 && Clock::now() > deadline) return false;
    (arch::cpu_relax)();
  }
}

// Waits until `cell` holds `from`, then CASes it to from + 1; false as
// wait_for.
inline bool hand_over(std::atomic<uint64_t>& cell, uint64_t from,
                      Clock::time_point deadline = Clock::time_point::max()) noexcept {
  for (;;) {
    if (!wait_for(cell, from, deadline)) return false;
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
// after), a new thread on pu_b (pu_a itself works: the two take turns). A
// budget above zero ends the measurement at its end, inside a sample too
// (the samples completed so far are summarised): two threads that must take
// turns on one CPU hand the line over about once per scheduler slice. With
// the budget checked only between samples, 50 probes beside two busy loops
// on the 2-CPU VM (load 0.3 before) took a median 46-63 ms, up to 164.
inline LineHandoff measure_line_handoff(int pu_a, int pu_b, int rounds, int samples,
                                        std::chrono::nanoseconds budget = {}) {
  using line_handoff_detail::Clock;
  using line_handoff_detail::hand_over;
  using line_handoff_detail::kStop;
  using line_handoff_detail::wait_for;
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
  const auto deadline =
      budget.count() > 0 ? Clock::now() + budget : Clock::time_point::max();
  for (int s = 0; s < samples + 1; ++s) {
    const auto t0 = Clock::now();
    bool whole = true;
    for (int i = 0; i < rounds && whole; ++i)
      whole = hand_over(cell->value, 2 * (uint64_t(s) * rounds + i), deadline);
    // Wait for the last pong so the sample covers whole round trips.
    whole = whole && wait_for(cell->value, 2 * (uint64_t(s) * rounds + rounds), deadline);
    const auto t1 = Clock::now();
    if (whole && s > 0)
      one_way.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / (2.0 * rounds));
    // Out of time mid-sample, or between samples (waits that are answered
    // within 256 spins never read the clock).
    if (!whole || (s < samples && t1 > deadline)) {
      cell->value.store(kStop, std::memory_order_release);  // the pong side reads it and returns
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
