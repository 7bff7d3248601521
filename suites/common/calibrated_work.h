// CalibratedWork — busy work measured in nanoseconds, for critical and
// non-critical sections of the lock suites.
//
// The unit of work is one step of a dependent integer chain the optimizer
// cannot remove (an empty asm makes each value opaque): one 64-bit
// multiply-add of a linear congruential generator, x = x * A + C (Knuth's
// MMIX constants). calibrate() measures steps per nanosecond once per
// process; steps_for(ns) then gives round(ns * steps_per_ns) steps. Work never
// touches shared memory, so it adds no coherence traffic of its own.
//
// The same work in both languages. The Go peers (suites/common/go/gbench,
// work.go: WorkSteps, StepsPerNs) run this very chain — a multiply and an add
// per step, calibrated the same way (best of five rounds of 2,000,000 steps) —
// so a row's "work_ns:100" is the same instructions on both sides of a
// Chan-vs-Go or GoMutex-vs-sync.Mutex comparison. The obvious version,
// `x += 1` per step, was used here until issue 11's prodcons rows: it is
// bound by the loop's issue rate (about one step a cycle), where the
// multiply chain is bound by its latency, which the CPU overlaps with
// whatever code comes before and after a call. Calibrated alike, the two do
// not take alike: measured in one minute on the 2-vCPU development guest
// (load 2.1-2.4), rounds of two million back-to-back calls of 100 ns took
// 110-220 ns a call with `x += 1` (most rounds 111-145), 62-68 ns with the
// multiply chain in C++ (one disturbed pair of rounds 88 and 109) and 63-68 ns
// in Go (a few rounds 76-138) — the C++ side of prodcons work_ns:100 did about
// 1.7x the Go side's work.
//
// WorkPlan precomputes a per-thread ring of step counts — fixed, or drawn
// from an exponential distribution with the given mean — so the measured loop
// draws no random numbers and allocates nothing.
#ifndef SYNCSCOPE_SUITES_COMMON_CALIBRATED_WORK_H_
#define SYNCSCOPE_SUITES_COMMON_CALIBRATED_WORK_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

namespace syncscope::suites {

// One step: x = x * kWorkMul + kWorkAdd (the constants of gbench.WorkSteps).
inline constexpr uint64_t kWorkMul = 6364136223846793005ULL;
inline constexpr uint64_t kWorkAdd = 1442695040888963407ULL;

inline uint64_t work_steps(uint64_t steps) noexcept {
  uint64_t x = steps;
  for (uint64_t i = 0; i < steps; ++i) {
    x = x * kWorkMul + kWorkAdd;
    asm volatile("" : "+r"(x));
  }
  return x;
}

class CalibratedWork {
 public:
  // Steps per nanosecond on this machine (measured once, thread-safe).
  static double steps_per_ns() {
    static const double kRate = calibrate();
    return kRate;
  }
  static uint64_t steps_for(double ns) noexcept {
    return ns <= 0 ? 0 : static_cast<uint64_t>(ns * steps_per_ns() + 0.5);
  }

 private:
  static double calibrate() {
    using Clock = std::chrono::steady_clock;
    double best = 0;
    // Best of several short rounds: the fastest round is the one least
    // disturbed by preemption on a shared machine.
    for (int round = 0; round < 5; ++round) {
      const uint64_t n = 2'000'000;
      const auto t0 = Clock::now();
      volatile uint64_t sink = work_steps(n);
      (void)sink;
      const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
      if (ns > 0) best = std::max(best, static_cast<double>(n) / ns);
    }
    return best > 0 ? best : 1.0;
  }
};

enum class WorkDist { kFixed, kExponential };

inline const char* work_dist_name(WorkDist d) noexcept {
  return d == WorkDist::kFixed ? "fixed" : "exp";
}

class WorkPlan {
 public:
  static constexpr size_t kRing = 4096;  // power of two

  WorkPlan(double mean_ns, WorkDist dist, uint64_t seed) : steps_(kRing) {
    std::mt19937_64 rng(seed);
    std::exponential_distribution<double> exp(mean_ns > 0 ? 1.0 / mean_ns : 1.0);
    for (auto& s : steps_)
      s = CalibratedWork::steps_for(dist == WorkDist::kFixed ? mean_ns : exp(rng));
  }

  // Runs the next planned amount of work; returns a value to keep alive.
  uint64_t run() noexcept { return work_steps(steps_[next_++ & (kRing - 1)]); }

 private:
  std::vector<uint64_t> steps_;
  size_t next_ = 0;
};

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_CALIBRATED_WORK_H_
