// syncscope_bugs_detector_out — the detector-overhead family with the
// detector compiled out (every primitive built with SYNCSCOPE_WAIT_REGISTRY=0;
// see CMakeLists.txt). Google Benchmark's own main and flags; peer.sh runs
// it and merges its JSON into bugs.json. It links no suite harness: that
// would bring the default (detector compiled in) library along.
#include <syncscope/blocking_detector.h>

#include <cstdio>

#include "detector_overhead.h"

int main(int argc, char** argv) {
  if (syncscope::detector::compiled_in()) {
    std::fprintf(stderr, "error: this binary must be built with SYNCSCOPE_WAIT_REGISTRY=0\n");
    return 1;
  }
  namespace o = syncscope::suites::bugs_overhead;
  for (int op = 0; op < 4; ++op) {
    benchmark::RegisterBenchmark(o::name(op, "compiled_out").c_str(), [op](benchmark::State& s) {
      o::run(s, op, false);
    })->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
