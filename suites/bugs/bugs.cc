// Suite `bugs`: the Go concurrency-bug study (Tu, Liu, Song, Zhang,
// "Understanding Real-World Concurrency Bugs in Go", ASPLOS 2019) reproduced
// and detected.
//
// Families (Google Benchmark names, key:value segments; see plots/suite_bugs.py):
//   bugs_study/table:T/...           the study's counts as data (Tables 6, 8, 9,
//       12 as the seed's section 00 transcribes them; context key
//       bugs_study_source cites the paper). Table 6 / 9 rows:
//       bugs_study/table:6/app:A/cause:C, counter count. Tables 8 / 12:
//       bugs_study/table:8/cause:C, counters used and detected (Go's deadlock
//       detector, Go's race detector within 100 runs).
//   bugs_zoo/bug:B/variant:buggy|fixed/cause:C/runtime:threads|goroutines
//       one run of each reproduction of the zoo (suites/bugs/zoo) in a child
//       process with syncscope's blocking-bug detector on, its goroutines
//       being threads, and for the channel bugs a second run on syncscope's
//       goroutines (runtime:goroutines): misbehaved (1: blocked for good or a wrong result),
//       blocking (1: a Table 6 bug), syncscope_detector (1: it reported
//       something), cycle / all_asleep / leak (which findings), and the
//       expected verdicts expected_*. peer.sh adds tsan (ThreadSanitizer on
//       the same runner, where a TSan build exists; threads only), go_deadlock
//       and go_race (the Go zoo in suites/bugs/go under Go's runtime and
//       `-race`: on the threads rows, the Go program being the same bug); -1
//       where a detector could not be run (context bugs_peer_* says why).
//   bugs_detector_overhead/op:O/detector:in_off|on   ns_per_op of GoMutex,
//       GoRWMutex and Chan operations with the detector compiled in but off,
//       and on; peer.sh adds detector:compiled_out from
//       syncscope_bugs_detector_out (see detector_overhead.h).
#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

#include <syncscope/blocking_detector.h>

#include "common/harness.h"
#include "detector_overhead.h"
#include "zoo.h"

namespace syncscope::suites {
namespace {

// ---- the study's tables (data) --------------------------------------------------
const char* const kApps[] = {"Docker", "Kubernetes", "etcd", "CockroachDB", "gRPC", "BoltDB"};
// Table 6, blocking bug causes. Columns: Mutex RWMutex Wait Chan Chan_w Lib.
const char* const kTable6Causes[] = {"Mutex", "RWMutex", "Wait", "Chan", "Chan_w", "Lib"};
const int kTable6[6][6] = {{9, 0, 3, 5, 2, 2}, {6, 2, 0, 3, 6, 0}, {5, 0, 0, 10, 5, 1},
                           {4, 3, 0, 5, 0, 0}, {2, 0, 0, 6, 2, 1}, {2, 0, 0, 0, 1, 0}};
// Table 9, non-blocking bug causes. Columns: shared memory traditional,
// anonymous function, waitgroup, lib; message passing chan, lib (msg_lib).
const char* const kTable9Causes[] = {"traditional", "anonymous", "waitgroup",
                                     "lib",         "chan",      "msg_lib"};
const int kTable9[6][6] = {{9, 6, 0, 1, 6, 1},  {8, 3, 1, 0, 5, 0}, {9, 0, 2, 2, 3, 0},
                           {10, 1, 3, 2, 0, 0}, {8, 1, 0, 1, 2, 0}, {2, 0, 0, 0, 0, 0}};
// Table 8: Go's built-in deadlock detector on 21 reproduced blocking bugs.
struct UsedDetected {
  const char* cause;
  int used, detected;
};
const UsedDetected kTable8[] = {{"Mutex", 7, 1}, {"Chan", 8, 0}, {"Chan_w", 4, 1}, {"Lib", 2, 0}};
// Table 12: Go's race detector on 20 reproduced non-blocking bugs.
const UsedDetected kTable12[] = {
    {"traditional", 13, 7}, {"anonymous", 4, 3}, {"lib", 2, 0}, {"chan", 1, 0}};

void register_study() {
  benchmark::AddCustomContext(
      "bugs_study_source",
      "Tengfei Tu, Xiaoyu Liu, Linhai Song, Yiying Zhang, 'Understanding Real-World "
      "Concurrency Bugs in Go', ASPLOS 2019: Tables 6, 8, 9, 12 (counts as transcribed in the "
      "course's seed, section 00)");
  auto one = [](const std::string& name, std::vector<std::pair<std::string, double>> counters) {
    benchmark::RegisterBenchmark(name.c_str(),
                                 [counters](benchmark::State& st) {
                                   for (auto _ : st) {
                                   }
                                   for (const auto& [k, v] : counters) st.counters[k] = v;
                                 })
        ->Iterations(1)
        ->Repetitions(1);
  };
  for (int a = 0; a < 6; ++a) {
    for (int c = 0; c < 6; ++c) {
      one(bench_name("bugs_study",
                     {{"table", "6"}, {"app", kApps[a]}, {"cause", kTable6Causes[c]}}),
          {{"count", kTable6[a][c]}});
      one(bench_name("bugs_study",
                     {{"table", "9"}, {"app", kApps[a]}, {"cause", kTable9Causes[c]}}),
          {{"count", kTable9[a][c]}});
    }
  }
  for (const auto& r : kTable8) {
    one(bench_name("bugs_study", {{"table", "8"}, {"cause", r.cause}}),
        {{"used", r.used}, {"detected", r.detected}});
  }
  for (const auto& r : kTable12) {
    one(bench_name("bugs_study", {{"table", "12"}, {"cause", r.cause}}),
        {{"used", r.used}, {"detected", r.detected}});
  }
}

// ---- the zoo, run -----------------------------------------------------------------
std::string sanitize(std::string s) {
  for (char& c : s)
    if (c == '/' || c == ' ') c = '_';
  while (!s.empty() && s.back() == '_') s.pop_back();
  return s;
}

std::string run_runner(const std::string& args, int* exit_code) {
  const std::string cmd = std::string("'") + BUGS_ZOO_RUN + "' " + args + " 2>/dev/null";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    *exit_code = -1;
    return out;
  }
  char buf[4096];
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int st = pclose(p);
  *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
  return out;
}

bool has(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

void BM_Zoo(benchmark::State& state, const bugs::Bug* bug, bool buggy, bugs::Runtime rt) {
  std::string out;
  int rc = 0;
  for (auto _ : state) {
    out = run_runner(std::string("run ") + bug->name + (buggy ? " buggy" : " fixed") +
                         " --detector" + (rt == bugs::Runtime::kGoroutines ? " --goroutines" : ""),
                     &rc);
  }
  if (rc != 0 || !has(out, "\"outcome\":")) {
    state.SkipWithError(("bugs_zoo_run failed (exit " + std::to_string(rc) + "): " + out).c_str());
    return;
  }
  const bool blocked = has(out, "\"outcome\":\"blocked\"");
  const bool wrong = has(out, "\"outcome\":\"wrong\"");
  const auto fpos = out.find("\"findings\":[") + 12;  // just after the '['
  const std::string f = out.substr(fpos, out.find(']', fpos) - fpos);
  state.counters["misbehaved"] = blocked || wrong ? 1 : 0;
  state.counters["blocking"] = bug->category == bugs::Category::kBlocking ? 1 : 0;
  state.counters["syncscope_detector"] = has(f, "\"") ? 1 : 0;
  state.counters["cycle"] = has(f, "cycle") ? 1 : 0;
  state.counters["all_asleep"] = has(f, "all-asleep") ? 1 : 0;
  state.counters["leak"] = has(f, "leak") ? 1 : 0;
  state.counters["expected_syncscope"] = bug->syncscope_detector ? 1 : 0;
  state.counters["expected_tsan"] = bug->thread_sanitizer ? 1 : 0;
  state.counters["expected_go_deadlock"] = bug->go_deadlock ? 1 : 0;
  state.counters["expected_go_race"] = bug->go_race ? 1 : 0;
  state.SetLabel(std::string("cause=") + bug->cause + ";" + bug->summary);
}

void register_zoo() {
  benchmark::AddCustomContext("bugs_zoo_runner", BUGS_ZOO_RUN);
  benchmark::AddCustomContext("bugs_detector_compiled_in", detector::compiled_in() ? "1" : "0");
  for (bugs::Runtime rt : {bugs::Runtime::kThreads, bugs::Runtime::kGoroutines}) {
    for (const bugs::Bug& b : bugs::zoo()) {
      if (rt == bugs::Runtime::kGoroutines && !b.on_goroutines) continue;
      for (bool buggy : {true, false}) {
        benchmark::RegisterBenchmark(
            bench_name("bugs_zoo", {{"bug", b.name},
                                    {"variant", buggy ? "buggy" : "fixed"},
                                    {"cause", sanitize(b.cause)},
                                    {"runtime", bugs::runtime_name(rt)}})
                .c_str(),
            [&b, buggy, rt](benchmark::State& st) { BM_Zoo(st, &b, buggy, rt); })
            ->Iterations(1)
            ->Repetitions(1)
            ->UseRealTime();
      }
    }
  }
}

// ---- the detector's cost ----------------------------------------------------------
void register_overhead() {
  namespace o = bugs_overhead;
  for (int op = 0; op < 4; ++op) {
    for (bool on : {false, true}) {
      benchmark::RegisterBenchmark(o::name(op, on ? "on" : "in_off").c_str(),
                                   [op, on](benchmark::State& s) { o::run(s, op, on); })
          ->UseRealTime();  // min time and repetitions: the profile's defaults
    }
  }
}

void register_all() {
  register_study();
  register_zoo();
  register_overhead();
}

}  // namespace
}  // namespace syncscope::suites

int main(int argc, char** argv) {
  return syncscope::suites::suite_main(argc, argv, "bugs", &syncscope::suites::register_all);
}
