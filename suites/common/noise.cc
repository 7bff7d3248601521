// syncscope noise guard — see noise.h.
#include "common/noise.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "common/line_handoff.h"

namespace syncscope::suites {
namespace {

// CPU seconds (utime + stime, /proc/PID/stat fields 14 and 15) of this
// process's live children: the etcd nodes `distributed` keeps up while it
// measures are the suite's own work. Reaped children are in RUSAGE_CHILDREN,
// so a child alive at one sample and reaped by the next is counted once.
double live_children_cpu_s() {
  const long me = static_cast<long>(getpid());
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  double total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    const size_t paren = line.rfind(')');  // the command name may hold spaces
    if (paren == std::string::npos) continue;
    std::istringstream rest(line.substr(paren + 2));
    std::string state;
    long ppid = 0;
    long long skip = 0;
    unsigned long long utime = 0, stime = 0;
    rest >> state >> ppid;
    if (ppid != me) continue;
    for (int field = 5; field <= 13; ++field) rest >> skip;  // pgrp .. cmajflt
    if (rest >> utime >> stime) total += static_cast<double>(utime + stime) / hz;
  }
  return total;
}

double rusage_cpu_s(const rusage& r) {
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1e-6;
}

}  // namespace

NoiseSample sample_noise() {
  NoiseSample n;
  n.mono_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &n.load1) != 1) n.load1 = -1;
    std::fclose(f);
  }
  if (FILE* f = std::fopen("/proc/stat", "r")) {
    unsigned long long v[8] = {};  // user nice system idle iowait irq softirq steal
    if (std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                    &v[4], &v[5], &v[6], &v[7]) == 8) {
      const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
      n.busy_s = static_cast<double>(v[0] + v[1] + v[2] + v[5] + v[6]) / hz;
      n.steal_s = static_cast<double>(v[7]) / hz;
    }
    std::fclose(f);
  }
  // The suite's own CPU time includes its children, live and waited for
  // (the etcd nodes `distributed` starts, the bug zoo's runner): their work is
  // the suite's, not a neighbour's. Context switches are the process's own.
  rusage ru{}, children{};
  getrusage(RUSAGE_SELF, &ru);
  getrusage(RUSAGE_CHILDREN, &children);
  n.own_cpu_s = rusage_cpu_s(ru) + rusage_cpu_s(children) + live_children_cpu_s();
  n.nvcsw = ru.ru_nvcsw;
  n.nivcsw = ru.ru_nivcsw;
  return n;
}

bool NoiseWindow::disturbed() const noexcept {
  if (!have_foreign) return false;
  return foreign_cpus > kNoiseForeignCpus || steal_s > kNoiseStealFraction * wall_s;
}

NoiseWindow noise_between(const NoiseSample& a, const NoiseSample& b) noexcept {
  NoiseWindow w;
  w.start_s = a.mono_s;
  w.end_s = b.mono_s;
  w.wall_s = std::max(1e-9, b.mono_s - a.mono_s);
  w.load1_before = a.load1;
  w.load1_after = b.load1;
  w.own_cpu_s = b.own_cpu_s - a.own_cpu_s;
  if (a.busy_s >= 0 && b.busy_s >= 0) {
    w.have_foreign = true;
    // Jiffies tick coarser than rusage: clamp at zero.
    w.foreign_cpu_s = std::max(0.0, (b.busy_s - a.busy_s) - w.own_cpu_s);
    w.foreign_cpus = w.foreign_cpu_s / w.wall_s;  // average CPUs other processes kept busy
    w.steal_s = b.steal_s - a.steal_s;
  }
  w.own_voluntary_csw = b.nvcsw - a.nvcsw;
  w.own_involuntary_csw = b.nivcsw - a.nivcsw;
  w.line_handoff_before_ns = a.line_handoff_ns;
  w.line_handoff_after_ns = b.line_handoff_ns;
  return w;
}

NoiseSample sample_noise_and_state() {
  NoiseSample n = sample_noise();
  if (const auto ns = probe_line_handoff_ns()) n.line_handoff_ns = *ns;
  return n;
}

namespace {

// The measured fields of a window, in one place for both of its forms (the
// suite's JSON record and a benchmark's noise_* counters): f(name, value).
template <class F>
void for_each_measured_field(const NoiseWindow& w, F&& f) {
  f("wall_s", w.wall_s);
  f("load1_before", w.load1_before);
  f("load1_after", w.load1_after);
  f("own_cpu_s", w.own_cpu_s);
  if (w.have_foreign) {
    f("foreign_cpu_s", w.foreign_cpu_s);
    f("foreign_cpus", w.foreign_cpus);
    f("steal_s", w.steal_s);
  }
  f("own_voluntary_csw", w.own_voluntary_csw);
  f("own_involuntary_csw", w.own_involuntary_csw);
  if (w.line_handoff_before_ns >= 0) f("line_handoff_before_ns", w.line_handoff_before_ns);
  if (w.line_handoff_after_ns >= 0) f("line_handoff_after_ns", w.line_handoff_after_ns);
}

}  // namespace

nlohmann::json noise_json(const NoiseWindow& w) {
  nlohmann::json j;
  for_each_measured_field(w, [&j](const char* name, auto value) { j[name] = value; });
  j["disturbed"] = w.disturbed();
  j["threshold_foreign_cpus"] = kNoiseForeignCpus;
  j["threshold_steal_fraction"] = kNoiseStealFraction;
  j["method"] =
      "/proc/stat busy (user+nice+system+irq+softirq) minus getrusage(RUSAGE_SELF) and "
      "getrusage(RUSAGE_CHILDREN) and /proc/PID/stat of live children; "
      "/proc/loadavg; steal from /proc/stat";
  return j;
}

void add_noise_counters(const NoiseWindow& w, benchmark::UserCounters* counters) {
  auto& c = *counters;
  c["noise_window_start_s"] = w.start_s;
  c["noise_window_end_s"] = w.end_s;
  for_each_measured_field(w, [&c](const char* name, auto value) {
    c[std::string("noise_") + name] = static_cast<double>(value);
  });
  c["noise_disturbed"] = w.disturbed() ? 1.0 : 0.0;
}

NoiseWindowReporter::NoiseWindowReporter(std::unique_ptr<benchmark::BenchmarkReporter> inner,
                                         std::function<NoiseSample()> sample,
                                         const NoiseSample& start)
    : inner_(std::move(inner)), sample_(std::move(sample)), last_(start) {}

bool NoiseWindowReporter::ReportContext(const Context& context) {
  // Google Benchmark points this reporter's streams at the --benchmark_out
  // file before the run; the wrapped reporter writes there too.
  inner_->SetOutputStream(&GetOutputStream());
  inner_->SetErrorStream(&GetErrorStream());
  return inner_->ReportContext(context);
}

void NoiseWindowReporter::ReportRuns(const std::vector<Run>& runs) {
  if (runs.empty()) {
    inner_->ReportRuns(runs);
    return;
  }
  // The repetitions and the aggregates of one benchmark come in two calls
  // with one run name; the first call of a new name closes its window.
  const std::string name = runs.front().run_name.str();
  const bool first_call = !have_current_ || name != current_;
  if (first_call) {
    const NoiseSample now = sample_();
    window_ = noise_between(last_, now);
    last_ = now;
    current_ = name;
    have_current_ = true;
    // A benchmark that errored (a placement not honoured, a skip) measured
    // nothing: its window is closed but neither counted nor written.
    measured_ = false;
    for (const Run& r : runs) measured_ = measured_ || !r.error_occurred;
    if (measured_) {
      ++windows_;
      if (window_.disturbed()) disturbed_.push_back(name);
    }
  }
  std::vector<Run> copy = runs;
  if (measured_)
    for (Run& r : copy)
      if (!r.error_occurred) add_noise_counters(window_, &r.counters);
  inner_->ReportRuns(copy);
  if (first_call && measured_ && after_) {
    std::vector<Run> iterations;
    for (const Run& r : copy)
      if (r.run_type == Run::RT_Iteration) iterations.push_back(r);
    // The next window opens after the peer's run, if it ran anything (noise.h).
    if (!iterations.empty() && after_(iterations)) last_ = sample_();
  }
}

void NoiseWindowReporter::Finalize() { inner_->Finalize(); }

}  // namespace syncscope::suites
