// Tests of the noise guard's arithmetic, its "disturbed" rule, its own-CPU
// accounting (children included, counted once) and the per-benchmark window
// reporter, driven by a scripted sampler so that every window is exact.
// The end-to-end test with a real busy process is noise_window_test.py.
#include "common/noise.h"

#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/harness.h"

namespace syncscope::suites {
namespace {

NoiseSample at(double mono_s, double busy_s, double own_cpu_s, double steal_s = 0) {
  NoiseSample s;
  s.mono_s = mono_s;
  s.load1 = 1.5;
  s.busy_s = busy_s;
  s.steal_s = steal_s;
  s.own_cpu_s = own_cpu_s;
  return s;
}

TEST(NoiseWindow, ForeignIsBusyMinusOwnClampedAtZero) {
  NoiseWindow w = noise_between(at(10, 100, 5), at(12, 103, 6));
  EXPECT_DOUBLE_EQ(w.wall_s, 2.0);
  EXPECT_DOUBLE_EQ(w.start_s, 10.0);
  EXPECT_DOUBLE_EQ(w.end_s, 12.0);
  EXPECT_DOUBLE_EQ(w.own_cpu_s, 1.0);
  EXPECT_TRUE(w.have_foreign);
  EXPECT_DOUBLE_EQ(w.foreign_cpu_s, 2.0);
  EXPECT_DOUBLE_EQ(w.foreign_cpus, 1.0);
  // Ticks coarser than rusage: busy may lag own; never negative.
  w = noise_between(at(0, 100, 5), at(1, 100.5, 6));
  EXPECT_DOUBLE_EQ(w.foreign_cpu_s, 0.0);
}

TEST(NoiseWindow, UnreadableProcStatLeavesForeignUnknownAndNotDisturbed) {
  NoiseSample a = at(0, -1, 0), b = at(1, -1, 0);
  NoiseWindow w = noise_between(a, b);
  EXPECT_FALSE(w.have_foreign);
  EXPECT_FALSE(w.disturbed());
  const nlohmann::json j = noise_json(w);
  EXPECT_FALSE(j.contains("foreign_cpus"));
  benchmark::UserCounters c;
  add_noise_counters(w, &c);
  EXPECT_EQ(c.count("noise_foreign_cpus"), 0u);
  EXPECT_EQ(c.at("noise_disturbed").value, 0.0);
}

TEST(NoiseWindow, DisturbedAboveEitherThreshold) {
  // 10 s windows: foreign CPU time 2.4 s is 0.24 CPUs (quiet), 2.6 s 0.26.
  EXPECT_FALSE(noise_between(at(0, 0, 0), at(10, 2.4, 0)).disturbed());
  EXPECT_TRUE(noise_between(at(0, 0, 0), at(10, 2.6, 0)).disturbed());
  // Steal: 0.4 s of 10 s is 4 % (quiet), 0.6 s is 6 %.
  EXPECT_FALSE(noise_between(at(0, 0, 0, 0), at(10, 0, 0, 0.4)).disturbed());
  EXPECT_TRUE(noise_between(at(0, 0, 0, 0), at(10, 0, 0, 0.6)).disturbed());
}

TEST(NoiseWindow, SuiteRecordCarriesTheThresholds) {
  const nlohmann::json j = noise_json(noise_between(at(0, 0, 0), at(10, 5, 0)));
  EXPECT_EQ(j.at("threshold_foreign_cpus").get<double>(), kNoiseForeignCpus);
  EXPECT_EQ(j.at("threshold_steal_fraction").get<double>(), kNoiseStealFraction);
  EXPECT_TRUE(j.at("disturbed").get<bool>());
  for (const char* k : {"wall_s", "load1_before", "load1_after", "own_cpu_s", "foreign_cpu_s",
                        "foreign_cpus", "steal_s", "own_voluntary_csw", "own_involuntary_csw"})
    EXPECT_TRUE(j.contains(k)) << k;
}

double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

TEST(NoiseSampleTest, OwnCpuCountsALiveChildOnceAndAgainAfterItIsReaped) {
  int ready[2], release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  const NoiseSample before = sample_noise();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Burn 100 ms of CPU, say so, then wait (alive) until released.
    const double t0 = process_cpu_s();
    while (process_cpu_s() - t0 < 0.1) {
    }
    char b = 1;
    (void)!write(ready[1], &b, 1);
    (void)!read(release[0], &b, 1);
    _exit(0);
  }
  char b = 0;
  ASSERT_EQ(read(ready[0], &b, 1), 1);
  const NoiseSample live = sample_noise();
  // The child's 100 ms count as this process's own while it lives.
  EXPECT_GE(live.own_cpu_s - before.own_cpu_s, 0.08);
  ASSERT_EQ(write(release[1], &b, 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  const NoiseSample reaped = sample_noise();
  // Reaped: now in RUSAGE_CHILDREN instead, neither lost nor counted twice
  // (twice would add another 100 ms).
  EXPECT_GE(reaped.own_cpu_s - live.own_cpu_s, -0.02);
  EXPECT_LT(reaped.own_cpu_s - live.own_cpu_s, 0.06);
  for (int fd : {ready[0], ready[1], release[0], release[1]}) close(fd);
}

// Keeps what the wrapper forwards.
class CaptureReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override { calls.push_back(runs); }
  std::vector<std::vector<Run>> calls;
};

benchmark::BenchmarkReporter::Run run_of(const std::string& function, bool aggregate,
                                         const std::string& aggregate_name = "") {
  benchmark::BenchmarkReporter::Run r;
  r.run_name.function_name = function;
  r.run_type = aggregate ? benchmark::BenchmarkReporter::Run::RT_Aggregate
                         : benchmark::BenchmarkReporter::Run::RT_Iteration;
  r.aggregate_name = aggregate_name;
  r.counters["ops_per_s"] = 42.0;
  return r;
}

double counter(const benchmark::BenchmarkReporter::Run& r, const char* k) {
  auto it = r.counters.find(k);
  return it == r.counters.end() ? -12345.0 : it->second.value;
}

// A NoiseWindowReporter over a CaptureReporter whose sampler hands out
// `script` in order (next: how many it handed out), its first window
// starting at `start`.
struct Scripted {
  std::vector<NoiseSample> script;
  size_t next = 0;
  CaptureReporter* inner = nullptr;
  std::unique_ptr<NoiseWindowReporter> rep;
  Scripted(std::vector<NoiseSample> samples, const NoiseSample& start)
      : script(std::move(samples)) {
    auto capture = std::make_unique<CaptureReporter>();
    inner = capture.get();
    rep = std::make_unique<NoiseWindowReporter>(
        std::move(capture), [this] { return script.at(next++); }, start);
  }
};

TEST(NoiseWindowReporterTest, OneWindowPerBenchmarkOnEveryRowAndTheWindowsTile) {
  // Samples the scripted sampler hands out: the end of benchmark a's window
  // (1 s after the start, 0.1 s of foreign CPU: quiet), then b's (2 s later,
  // 1.6 s foreign: 0.8 CPUs, disturbed), then c's (quiet).
  // Then e, whose runs errored (its window closes, nobody gets it).
  Scripted sc({at(101, 1000.5, 10.4), at(103, 1002.9, 11.2), at(104, 1003.5, 11.7),
               at(104.1, 1003.7, 11.7)},
              at(100, 1000, 10));
  CaptureReporter* inner = sc.inner;
  NoiseWindowReporter& rep = *sc.rep;
  using Runs = std::vector<benchmark::BenchmarkReporter::Run>;
  rep.ReportRuns(Runs{run_of("a", false), run_of("a", false)});
  rep.ReportRuns(Runs{run_of("a", true, "mean"), run_of("a", true, "median")});
  rep.ReportRuns(Runs{run_of("b", false)});
  rep.ReportRuns(Runs{run_of("c", false), run_of("c", false)});
  rep.ReportRuns(Runs{run_of("c", true, "mean")});
  Runs errored{run_of("e", false)};
  errored[0].error_occurred = true;
  errored[0].error_message = "placement smt not honoured";
  rep.ReportRuns(errored);
  EXPECT_EQ(sc.next, 4u);  // one sample per benchmark, none for the aggregates' call
  ASSERT_EQ(inner->calls.size(), 6u);
  EXPECT_EQ(counter(inner->calls[5].front(), "noise_window_start_s"), -12345.0);  // none
  EXPECT_EQ(rep.windows(), 3);
  EXPECT_EQ(rep.disturbed_names(), std::vector<std::string>{"b"});

  for (size_t call : {0u, 1u}) {
    for (const auto& r : inner->calls[call]) {
      EXPECT_EQ(counter(r, "ops_per_s"), 42.0);  // the benchmark's own counters kept
      EXPECT_EQ(counter(r, "noise_window_start_s"), 100.0);
      EXPECT_EQ(counter(r, "noise_window_end_s"), 101.0);
      EXPECT_NEAR(counter(r, "noise_foreign_cpu_s"), 0.1, 1e-9);
      EXPECT_EQ(counter(r, "noise_disturbed"), 0.0);
    }
  }
  const auto& b = inner->calls[2].front();
  EXPECT_EQ(counter(b, "noise_window_start_s"), 101.0);  // starts where a's ended
  EXPECT_EQ(counter(b, "noise_window_end_s"), 103.0);
  EXPECT_NEAR(counter(b, "noise_foreign_cpu_s"), 1.6, 1e-9);
  EXPECT_NEAR(counter(b, "noise_foreign_cpus"), 0.8, 1e-9);
  EXPECT_NEAR(counter(b, "noise_own_cpu_s"), 0.8, 1e-9);
  EXPECT_EQ(counter(b, "noise_load1_before"), 1.5);
  EXPECT_EQ(counter(b, "noise_disturbed"), 1.0);
  for (size_t call : {3u, 4u}) {
    for (const auto& r : inner->calls[call]) {
      EXPECT_EQ(counter(r, "noise_window_start_s"), 103.0);
      EXPECT_EQ(counter(r, "noise_window_end_s"), 104.0);
      EXPECT_EQ(counter(r, "noise_disturbed"), 0.0);
    }
  }
}

TEST(NoiseWindowReporterTest, TheMachineStateAtBothEndsOfEachWindowWhenProbed) {
  // a's window starts at a probed sample (30 ns) and ends at one (220 ns);
  // b's starts there and ends unprobed: it carries only its "before".
  NoiseSample start = at(100, 1000, 10), a_end = at(101, 1000.5, 10.4), b_end = at(102, 1001, 10.8);
  start.line_handoff_ns = 30;
  a_end.line_handoff_ns = 220;
  Scripted sc({a_end, b_end}, start);
  CaptureReporter* inner = sc.inner;
  NoiseWindowReporter& rep = *sc.rep;
  using Runs = std::vector<benchmark::BenchmarkReporter::Run>;
  rep.ReportRuns(Runs{run_of("a", false)});
  rep.ReportRuns(Runs{run_of("b", false)});
  ASSERT_EQ(inner->calls.size(), 2u);
  EXPECT_EQ(counter(inner->calls[0].front(), "noise_line_handoff_before_ns"), 30.0);
  EXPECT_EQ(counter(inner->calls[0].front(), "noise_line_handoff_after_ns"), 220.0);
  EXPECT_EQ(counter(inner->calls[1].front(), "noise_line_handoff_before_ns"), 220.0);
  EXPECT_EQ(counter(inner->calls[1].front(), "noise_line_handoff_after_ns"), -12345.0);  // none
  // The suite's record names them alike.
  const nlohmann::json j = noise_json(noise_between(start, a_end));
  EXPECT_EQ(j.at("line_handoff_before_ns"), 30.0);
  EXPECT_EQ(j.at("line_handoff_after_ns"), 220.0);
  EXPECT_FALSE(noise_json(noise_between(b_end, b_end)).contains("line_handoff_before_ns"));
}

TEST(NoiseWindowReporterTest, AfterBenchmarkRunsOncePerMeasuredBenchmarkBetweenWindows) {
  // Samples: a's window ends at 101, then the reporter samples again after
  // the callback (the peer's run) at 150; b ends at 152, re-sampled at 160;
  // e (all errored) ends at 161 and calls nobody; c ends at 165, then 170.
  Scripted sc({at(101, 1000, 10), at(150, 1000, 10), at(152, 1000, 10), at(160, 1000, 10),
               at(161, 1000, 10), at(165, 1000, 10), at(170, 1000, 10)},
              at(100, 1000, 10));
  CaptureReporter* inner = sc.inner;
  NoiseWindowReporter& rep = *sc.rep;
  using Runs = std::vector<benchmark::BenchmarkReporter::Run>;
  struct Call {
    std::vector<std::string> names;
    size_t inner_calls;   // rows already written when it ran
    size_t samples;       // samples taken when it ran
    double window_start;  // noise_window_start_s of its first row
  };
  std::vector<Call> calls;
  rep.set_after_benchmark([&](const Runs& rows) {
    Call c{{}, inner->calls.size(), sc.next, counter(rows.front(), "noise_window_start_s")};
    for (const auto& r : rows) {
      c.names.push_back(r.run_name.str());
      EXPECT_EQ(r.run_type, benchmark::BenchmarkReporter::Run::RT_Iteration);
    }
    calls.push_back(c);
    return true;  // the peer ran something: the reporter samples again
  });
  rep.ReportRuns(Runs{run_of("a", false), run_of("a", false)});
  rep.ReportRuns(Runs{run_of("a", true, "mean"), run_of("a", true, "median")});
  rep.ReportRuns(Runs{run_of("b", false)});
  Runs errored{run_of("e", false), run_of("e", false)};
  for (auto& r : errored) {
    r.error_occurred = true;
    r.error_message = "placement smt not honoured";
  }
  rep.ReportRuns(errored);
  Runs c_runs{run_of("c", false), run_of("c", false)};
  c_runs[1].error_occurred = true;  // one repetition errored: c still measured
  rep.ReportRuns(c_runs);
  rep.ReportRuns(Runs{run_of("c", true, "mean")});

  ASSERT_EQ(calls.size(), 3u);  // a, b, c: once each, not for the aggregates, not for e
  EXPECT_EQ(calls[0].names, (std::vector<std::string>{"a", "a"}));
  EXPECT_EQ(calls[1].names, std::vector<std::string>{"b"});
  EXPECT_EQ(calls[2].names, (std::vector<std::string>{"c", "c"}));
  // Each ran after its rows went to the inner reporter, with the rows as
  // written (its window's noise_* fields), and before the re-sample.
  EXPECT_EQ(calls[0].inner_calls, 1u);
  EXPECT_EQ(calls[1].inner_calls, 3u);
  EXPECT_EQ(calls[2].inner_calls, 5u);
  EXPECT_EQ(calls[0].samples, 1u);
  EXPECT_EQ(calls[1].samples, 3u);
  EXPECT_EQ(calls[2].samples, 6u);
  EXPECT_EQ(calls[0].window_start, 100.0);
  EXPECT_EQ(sc.next, sc.script.size());  // one re-sample per call, none for e
  // The next window starts after the callback: b's at 150, not at 101.
  EXPECT_EQ(counter(inner->calls[2].front(), "noise_window_start_s"), 150.0);
  EXPECT_EQ(counter(inner->calls[2].front(), "noise_window_end_s"), 152.0);
  // e's window (160..161) closed uncounted; c's starts where it ended.
  EXPECT_EQ(counter(inner->calls[4].front(), "noise_window_start_s"), 161.0);
  EXPECT_EQ(counter(inner->calls[4].front(), "noise_window_end_s"), 165.0);
  EXPECT_EQ(rep.windows(), 3);
}

TEST(NoiseWindowReporterTest, AfterBenchmarkThatRanNothingTakesNoSecondSample) {
  // The peer had no twin for a: no re-sample, b's window starts where a's
  // ended (101), and only the window ends are sampled.
  Scripted sc({at(101, 1000, 10), at(104, 1000, 10)}, at(100, 1000, 10));
  CaptureReporter* inner = sc.inner;
  NoiseWindowReporter& rep = *sc.rep;
  using Runs = std::vector<benchmark::BenchmarkReporter::Run>;
  int calls = 0;
  rep.set_after_benchmark([&](const Runs&) {
    ++calls;
    return false;
  });
  rep.ReportRuns(Runs{run_of("a", false)});
  rep.ReportRuns(Runs{run_of("b", false)});
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(counter(inner->calls[1].front(), "noise_window_start_s"), 101.0);
  EXPECT_EQ(counter(inner->calls[1].front(), "noise_window_end_s"), 104.0);
}

TEST(NoiseSampleTest, SampleNoiseAndStateProbesWhereTwoCpusAreUsable) {
  EXPECT_EQ(sample_noise().line_handoff_ns, -1.0);  // the plain sample never probes
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  const NoiseSample n = sample_noise_and_state();
  if (usable_pus() >= 2) {
    // -1 only when the probe's budget ran out (a loaded machine).
    EXPECT_TRUE(n.line_handoff_ns > 0.0 || n.line_handoff_ns == -1.0) << n.line_handoff_ns;
  } else {
    EXPECT_EQ(n.line_handoff_ns, -1.0);
  }
  // The caller's affinity is restored after the probe.
  cpu_set_t after;
  CPU_ZERO(&after);
  ASSERT_EQ(sched_getaffinity(0, sizeof after, &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&set, &after));
}

}  // namespace
}  // namespace syncscope::suites
