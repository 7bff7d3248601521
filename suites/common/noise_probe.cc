// syncscope_noise_probe — a test-only suite (not run by run.sh) for
// noise_window_test.py: three benchmarks, run in this order through the
// real harness (suite_main), so that a busy process the test starts during
// the middle one only can be looked for in each benchmark's noise window.
//
//   noise_probe/phase:before   sleeps 20 ms per repetition
//   noise_probe/phase:busy     2 repetitions of 1 iteration: the first asks the
//                              test to start a busy process and waits until it
//                              runs; the second asks the test to stop it and
//                              waits until it is gone
//   noise_probe/phase:after    sleeps 20 ms per repetition
//
// The handshake is files in $SYNCSCOPE_NOISE_PROBE_DIR: the probe creates
// "start" and waits for "started", creates "stop" and waits for "stopped".
// A wait gives up after 120 s with SkipWithError (the test then fails on the
// error row, never hangs). The benchmarks sleep rather than spin: what is
// measured here is other processes' CPU time, not this code's speed.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "common/harness.h"

namespace {

std::string probe_path(const char* name) {
  const char* dir = std::getenv("SYNCSCOPE_NOISE_PROBE_DIR");
  return std::string(dir != nullptr ? dir : ".") + "/" + name;
}

bool exists(const std::string& path) { return std::ifstream(path).good(); }

// Creates `ask`, then waits until `answer` exists; false after 120 s.
bool handshake(const char* ask, const char* answer) {
  { std::ofstream(probe_path(ask)) << "1\n"; }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!exists(probe_path(answer))) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void quiet(benchmark::State& state) {
  for (auto _ : state) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

void busy(benchmark::State& state) {
  static int calls = 0;  // one call per repetition (fixed iterations)
  const bool first = calls++ == 0;
  for (auto _ : state) {
    const bool ok = first ? handshake("start", "started") : handshake("stop", "stopped");
    if (!ok) {
      state.SkipWithError("noise_probe: no answer from the test within 120 s");
      break;
    }
  }
}

void register_benchmarks() {
  namespace ss = syncscope::suites;
  benchmark::RegisterBenchmark(ss::bench_name("noise_probe", {{"phase", "before"}}).c_str(), quiet)
      ->Iterations(1)
      ->UseRealTime();
  benchmark::RegisterBenchmark(ss::bench_name("noise_probe", {{"phase", "busy"}}).c_str(), busy)
      ->Iterations(1)
      ->Repetitions(2)
      ->UseRealTime();
  benchmark::RegisterBenchmark(ss::bench_name("noise_probe", {{"phase", "after"}}).c_str(), quiet)
      ->Iterations(1)
      ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  return syncscope::suites::suite_main(argc, argv, "noise_probe", register_benchmarks);
}
