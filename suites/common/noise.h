// syncscope noise guard — what else used the machine while a suite, and each
// of its benchmarks, measured.
//
// Offers:
//   NoiseSample, sample_noise()   the machine's and this process's counters now
//   sample_noise_and_state()      the same and the machine's state (a short
//                                 line hand-off probe, line_handoff.h)
//   NoiseWindow, noise_between()  what happened between two samples
//   NoiseWindow::disturbed()      the one rule for "disturbed" (thresholds below)
//   noise_json()                  a window as the suite's "syncscope_noise" record
//   add_noise_counters()          a window as a benchmark row's noise_* fields
//   NoiseWindowReporter           wraps Google Benchmark's file reporter and
//                                 gives every benchmark its own window; an
//                                 after-benchmark callback between two windows
//                                 (the served peer's turn, served_peer.h)
//
// What a window counts. Other processes' CPU time is the machine's busy time
// (/proc/stat "cpu" line: user + nice + system + irq + softirq) minus this
// process's own CPU time, which includes its children, live (/proc/PID/stat)
// and waited for (RUSAGE_CHILDREN): the etcd nodes `distributed` starts are
// its own work, not a neighbour's. Steal time is the hypervisor's share of
// the same line. The load average is /proc/loadavg's 1-minute figure at each
// end; context switches are this process's own (getrusage). /proc/stat ticks
// at USER_HZ (100 Hz) per CPU while rusage is finer, so a window's foreign
// time is clamped at zero and is coarse for windows below ~0.1 s.
//
// Per benchmark. Google Benchmark 1.7.1 has no per-repetition hook: it runs
// all repetitions of one benchmark (with random interleaving off) and then
// calls the reporters, the display reporter first, then the file reporter,
// once for the repetitions and once for their aggregates. The wrapper
// samples the counters at the first of these calls for each benchmark, so a
// benchmark's window runs from the previous benchmark's report to its own:
// its set-up, every repetition and its console line. The windows tile the
// suite's run without gaps or overlap. With random interleaving on, a
// benchmark's repetitions are spread over the whole run and such a window
// would describe other benchmarks' time: the harness then records only the
// suite's window and says so (see harness.h).
#ifndef SYNCSCOPE_SUITES_COMMON_NOISE_H_
#define SYNCSCOPE_SUITES_COMMON_NOISE_H_

#include <benchmark/benchmark.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace syncscope::suites {

// The thresholds of "disturbed", for a suite and for a benchmark alike. The
// report reads them from plots/common.py (NOISE_FOREIGN_CPUS,
// NOISE_STEAL_FRACTION) and run.sh's --quiet-wait from QUIET_CPUS; the
// harness writes them into every suite record, and
// suites/common/noise_window_test.py checks that the three agree.
inline constexpr double kNoiseForeignCpus = 0.25;    // other processes' CPUs, on average
inline constexpr double kNoiseStealFraction = 0.05;  // steal time over wall time

// The counters at one instant. busy_s / steal_s are -1 when /proc/stat
// cannot be read, load1 -1 when /proc/loadavg cannot.
struct NoiseSample {
  double mono_s = 0;  // CLOCK_MONOTONIC (std::chrono::steady_clock), seconds
  double load1 = -1, busy_s = -1, steal_s = -1, own_cpu_s = 0;
  long nvcsw = 0, nivcsw = 0;
  // The machine's state (line_handoff.h, probe_line_handoff_ns): one cache
  // line's one-way trip between two CPUs, ns; -1 when not probed (fewer
  // than two usable CPUs, pinning refused, or sample_noise()).
  double line_handoff_ns = -1;
};

// Reads the counters now (a few /proc reads and a scan of /proc for live
// children: call it outside measured loops only).
NoiseSample sample_noise();

// What happened between two samples.
struct NoiseWindow {
  double start_s = 0, end_s = 0, wall_s = 0;  // monotonic seconds; wall = end - start
  double load1_before = -1, load1_after = -1;
  double own_cpu_s = 0;
  bool have_foreign = false;  // /proc/stat was readable at both ends
  double foreign_cpu_s = 0, foreign_cpus = 0, steal_s = 0;
  long own_voluntary_csw = 0, own_involuntary_csw = 0;
  // The machine's state at the window's two ends (-1: not probed): a
  // benchmark whose two probes disagree may have run in either state.
  double line_handoff_before_ns = -1, line_handoff_after_ns = -1;

  // Other processes kept more than kNoiseForeignCpus CPUs busy on average,
  // or steal time exceeded kNoiseStealFraction of the wall time.
  bool disturbed() const noexcept;
};

NoiseWindow noise_between(const NoiseSample& a, const NoiseSample& b) noexcept;

// sample_noise() and the machine's state (line_handoff_ns): what the harness
// samples at the suite's ends and at each benchmark's report. The probe
// takes 0.3-1.6 ms (median 0.4 on the 2-CPU development VM) and runs
// between benchmarks, never during one.
NoiseSample sample_noise_and_state();

// The suite's record (keys as "syncscope_noise" has always had them, plus
// disturbed and the thresholds).
nlohmann::json noise_json(const NoiseWindow& w);

// The row fields of a benchmark's window, as Google Benchmark counters
// (the JSON reporter writes a counter as a top-level number of the row):
// noise_window_start_s, noise_window_end_s, noise_wall_s, noise_load1_before,
// noise_load1_after, noise_own_cpu_s, noise_foreign_cpu_s, noise_foreign_cpus,
// noise_steal_s (the three foreign/steal ones only when /proc/stat was
// readable), noise_own_voluntary_csw, noise_own_involuntary_csw,
// noise_line_handoff_before_ns and noise_line_handoff_after_ns (only when
// probed) and noise_disturbed (1 or 0).
void add_noise_counters(const NoiseWindow& w, benchmark::UserCounters* counters);

// Wraps the file reporter (Google Benchmark's JSONReporter in the suites)
// and adds the noise_* fields of each benchmark's own window to every row of
// that benchmark: its repetitions and its aggregates carry the same window.
// A benchmark whose runs all errored (a placement not honoured) measured
// nothing: its rows get no window and it is not counted.
// Requires random interleaving off (see the top of this file). `sample` is
// sample_noise in the suites; tests pass their own.
//
// After a benchmark (served peers, served_peer.h): set_after_benchmark(f)
// makes the reporter call f once per benchmark that measured, with that
// benchmark's iteration rows exactly as they went to the inner reporter
// (noise_* fields included), right after its first ReportRuns call — in
// 1.7.1 the iterations come in that call and the aggregates in a second
// one. f is called after the rows were written and before the next window
// opens; it returns whether it did work that belongs in no window (the
// peer ran a Go case). Then the reporter samples again, so the next
// benchmark's window starts after f's work (the peer's Go run is in no C++
// window; the gap between the two windows is f's time); when f did nothing
// (the peer has no twin for the benchmark) the window goes on from the
// same sample, with no second probe of the machine. Not called for a benchmark
// whose runs all errored, nor when the first call holds no iteration row
// (--benchmark_report_aggregates_only). f must not throw: it runs inside
// Google Benchmark's RunSpecifiedBenchmarks (suite_main's ends the process
// on a peer error instead).
class NoiseWindowReporter final : public benchmark::BenchmarkReporter {
 public:
  NoiseWindowReporter(std::unique_ptr<benchmark::BenchmarkReporter> inner,
                      std::function<NoiseSample()> sample, const NoiseSample& start);

  using AfterBenchmark = std::function<bool(const std::vector<Run>&)>;
  void set_after_benchmark(AfterBenchmark f) { after_ = std::move(f); }

  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

  // Benchmarks (that measured) given a window so far, and the disturbed ones'
  // names.
  int windows() const noexcept { return windows_; }
  const std::vector<std::string>& disturbed_names() const noexcept { return disturbed_; }

 private:
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
  std::function<NoiseSample()> sample_;
  AfterBenchmark after_;  // may be empty
  NoiseSample last_;     // where the next benchmark's window starts
  std::string current_;  // run name of the benchmark whose window is window_
  bool have_current_ = false;
  bool measured_ = false;  // the current benchmark has a run without error
  NoiseWindow window_;
  int windows_ = 0;
  std::vector<std::string> disturbed_;
};

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_NOISE_H_
