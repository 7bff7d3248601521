// syncscope suite harness — see harness.h.
#include "common/harness.h"

#include "common/noise.h"
#include "common/served_peer.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string_view>

#include <syncscope/arch/atomic.h>
#include <syncscope/version.h>

namespace syncscope::suites {
namespace {

SuiteOptions g_options;
cpu_set_t g_original_affinity;
bool g_have_original_affinity = false;
hw::CountersStatus g_counters;
std::mutex g_side_mu;
std::map<std::string, nlohmann::json> g_side_files;  // guarded by g_side_mu

// Events the suites ask PAPI for, when the hardware exposes them.
const std::vector<std::string>& counter_events() {
  static const std::vector<std::string> kEvents = {"PAPI_TOT_CYC", "PAPI_TOT_INS", "PAPI_L1_DCM"};
  return kEvents;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

const char* profile_name(Profile p) noexcept { return p == Profile::kQuick ? "quick" : "full"; }

const SuiteOptions& options() noexcept { return g_options; }

std::string parse_suite_flags(int* argc, char** argv, SuiteOptions* out) {
  out->placements.clear();
  out->threads.clear();
  int w = 1;
  for (int r = 1; r < *argc; ++r) {
    std::string_view a = argv[r];
    if (starts_with(a, "--profile=")) {
      std::string_view v = a.substr(10);
      if (v == "quick") {
        out->profile = Profile::kQuick;
      } else if (v == "full") {
        out->profile = Profile::kFull;
      } else {
        return "error: unknown profile '" + std::string(v) + "' (valid: quick, full)";
      }
    } else if (starts_with(a, "--placement=")) {
      for (const std::string& name : split(a.substr(12), ',')) {
        if (name == "all") {
          for (const std::string& n : hw::policy_names())
            out->placements.push_back(*hw::parse_policy(n));
          continue;
        }
        auto p = hw::parse_policy(name);
        if (!p) {
          return "error: unknown placement policy '" + name +
                 "' (valid: " + join(hw::policy_names(), ", ") + ", all)";
        }
        out->placements.push_back(*p);
      }
    } else if (starts_with(a, "--threads=")) {
      for (const std::string& t : split(a.substr(10), ',')) {
        char* end = nullptr;
        long n = std::strtol(t.c_str(), &end, 10);
        if (t.empty() || *end != '\0' || n < 1 || n > 4096) {
          return "error: bad thread count '" + t +
                 "' in --threads (valid: comma-separated integers 1..4096)";
        }
        out->threads.push_back(static_cast<int>(n));
      }
    } else {
      argv[w++] = argv[r];
      continue;
    }
  }
  *argc = w;
  if (out->placements.empty()) {
    for (const std::string& n : hw::policy_names()) out->placements.push_back(*hw::parse_policy(n));
  }
  // Keep order, drop duplicates.
  std::vector<hw::Policy> uniq;
  for (hw::Policy p : out->placements)
    if (std::find(uniq.begin(), uniq.end(), p) == uniq.end()) uniq.push_back(p);
  out->placements = uniq;
  std::sort(out->threads.begin(), out->threads.end());
  out->threads.erase(std::unique(out->threads.begin(), out->threads.end()), out->threads.end());
  return "";
}

std::vector<int> thread_sweep(int max_threads) {
  if (!g_options.threads.empty()) return g_options.threads;
  std::vector<int> out;
  if (g_options.profile == Profile::kFull) {
    for (int t = 1; t <= max_threads; ++t) out.push_back(t);
  } else {
    for (int t = 1; t < max_threads; t *= 2) out.push_back(t);
    out.push_back(max_threads);
  }
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

int profile_repetitions() noexcept { return g_options.profile == Profile::kQuick ? 3 : 10; }
double profile_min_time_s() noexcept { return g_options.profile == Profile::kQuick ? 0.05 : 0.5; }

bool pin_to(int os_pu) noexcept {
  if (os_pu < 0) {
    if (!g_have_original_affinity) return true;
    return sched_setaffinity(0, sizeof(g_original_affinity), &g_original_affinity) == 0;
  }
  return hw::pin_current_thread(os_pu);
}

bool place_thread(benchmark::State& state, hw::Policy policy) {
  // Planning is cheap (the topology is cached) and happens before the loop.
  const hw::Placement plan = hw::plan_placement(policy, state.threads());
  if (!plan.honoured) {
    state.SkipWithError(plan.refusal().c_str());
    return false;
  }
  const int pu = plan.pu_for(static_cast<size_t>(state.thread_index()));
  if (!pin_to(pu)) {
    std::string msg = "could not pin thread " + std::to_string(state.thread_index()) + " to PU " +
                      std::to_string(pu) + ": " + std::strerror(errno);
    state.SkipWithError(msg.c_str());
    return false;
  }
  if (state.thread_index() == 0) state.SetLabel(plan.label());
  return true;
}

ThreadCounterScope::ThreadCounterScope(benchmark::State& state) : state_(state) {
  if (!g_counters.available) return;
  counters_ = new hw::ThreadCounters(g_counters.usable);
  if (!counters_->start()) {
    delete counters_;
    counters_ = nullptr;
  }
}

ThreadCounterScope::~ThreadCounterScope() {
  stop();
  delete counters_;
}

void ThreadCounterScope::stop() {
  if (stopped_ || counters_ == nullptr) return;
  stopped_ = true;
  for (const auto& [name, value] : counters_->stop()) {
    state_.counters[name] =
        benchmark::Counter(static_cast<double>(value), benchmark::Counter::kAvgIterations);
  }
}

std::string bench_name(const std::string& family,
                       const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string out = family;
  for (const auto& [k, v] : kv) out += "/" + k + ":" + v;
  return out;
}

void record_side_data(const std::string& file, const std::string& key, nlohmann::json value) {
  std::lock_guard<std::mutex> g(g_side_mu);
  g_side_files[file][key] = std::move(value);
}

namespace {
// Writes the side files next to the --benchmark_out file (or nowhere when
// the run has no output file). Temp name + rename: never half-written.
void write_side_files(const std::string& benchmark_out) {
  std::lock_guard<std::mutex> g(g_side_mu);
  if (benchmark_out.empty() || g_side_files.empty()) return;
  std::string dir = ".";
  size_t slash = benchmark_out.rfind('/');
  if (slash != std::string::npos) dir = benchmark_out.substr(0, slash);
  for (const auto& [file, data] : g_side_files) {
    const std::string path = dir + "/" + file;
    {
      std::ofstream out(path + ".tmp");
      out << data.dump() << "\n";
    }
    std::rename((path + ".tmp").c_str(), path.c_str());
  }
}
}  // namespace

bool random_interleaving_on(int argc, char** argv) {
  return bool_flag_on(argc, argv, "--benchmark_enable_random_interleaving");
}

bool bool_flag_on(int argc, char** argv, std::string_view kFlag) {
  // Google Benchmark's own reading of a bool flag (IsTruthyFlagValue): the
  // last occurrence wins; a bare flag or any value but 0/f/n/false/no/off is
  // true.
  bool on = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (!starts_with(a, kFlag)) continue;
    std::string_view rest = a.substr(kFlag.size());
    if (rest.empty()) {
      on = true;
      continue;
    }
    if (rest.front() != '=') continue;  // another flag that starts alike
    std::string v(rest.substr(1));
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (v.size() == 1) {
      on = std::isalnum(static_cast<unsigned char>(v[0])) && v != "0" && v != "f" && v != "n";
    } else {
      on = !(v == "false" || v == "no" || v == "off");
    }
  }
  return on;
}

namespace {
// Adds "syncscope_noise" to the suite's JSON (temp name + rename). Textual:
// Google Benchmark writes NaN / Infinity, which a strict parser rejects, so
// the record goes in before the document's closing brace, the rest untouched.
void add_noise_to_json(const std::string& path, const nlohmann::json& noise) {
  if (path.empty()) return;
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return;
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  const size_t close = text.find_last_of('}');
  if (close == std::string::npos) return;
  text.insert(close, ",\n  \"syncscope_noise\": " + noise.dump() + "\n");
  {
    std::ofstream out(path + ".tmp", std::ios::binary);
    out << text;
  }
  std::rename((path + ".tmp").c_str(), path.c_str());
}
}  // namespace

int suite_main(int argc, char** argv, const char* suite, void (*register_benchmarks)()) {
  g_options.suite = suite;
  std::string err = parse_suite_flags(&argc, argv, &g_options);
  if (!err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 2;
  }
  CPU_ZERO(&g_original_affinity);
  g_have_original_affinity =
      sched_getaffinity(0, sizeof(g_original_affinity), &g_original_affinity) == 0;

  g_counters = hw::counters_status(counter_events());

  benchmark::AddCustomContext("syncscope_suite", suite);
  benchmark::AddCustomContext("syncscope_version", syncscope::version());
  benchmark::AddCustomContext("syncscope_profile", profile_name(g_options.profile));
  std::vector<std::string> names;
  for (hw::Policy p : g_options.placements) {
    names.emplace_back(hw::policy_name(p));
    hw::Support s = hw::policy_support(p);
    benchmark::AddCustomContext(std::string("placement_") + hw::policy_name(p),
                                s.honoured ? std::string("honoured") : "not honoured: " + s.reason);
  }
  benchmark::AddCustomContext("syncscope_placements", join(names, ","));
  benchmark::AddCustomContext("usable_pus", std::to_string(usable_pus()));
  benchmark::AddCustomContext("counters_available", g_counters.available ? "true" : "false");
  benchmark::AddCustomContext("counters_usable", join(g_counters.usable, ","));
  benchmark::AddCustomContext("counters_reason", g_counters.reason);
  std::vector<std::string> paths;
  for (arch::Path p : arch::available_paths()) paths.emplace_back(arch::path_name(p));
  benchmark::AddCustomContext("atomic_paths_available", join(paths, ","));
  benchmark::AddCustomContext("atomic_path_active", arch::path_name(arch::active_path()));

  std::string benchmark_out;
  for (int i = 1; i < argc; ++i)
    if (starts_with(argv[i], "--benchmark_out="))
      benchmark_out = argv[i] + std::strlen("--benchmark_out=");

  // The profile's repetitions and minimum time become Google Benchmark's
  // global defaults (so benchmark names carry no per-benchmark settings);
  // explicit --benchmark_repetitions / --benchmark_min_time still win.
  std::vector<std::string> defaults;
  bool has_reps = false, has_min_time = false;
  for (int i = 1; i < argc; ++i) {
    has_reps = has_reps || starts_with(argv[i], "--benchmark_repetitions=");
    has_min_time = has_min_time || starts_with(argv[i], "--benchmark_min_time=");
  }
  if (!has_reps)
    defaults.push_back("--benchmark_repetitions=" + std::to_string(profile_repetitions()));
  if (!has_min_time)
    defaults.push_back("--benchmark_min_time=" + std::to_string(profile_min_time_s()));
  // Random interleaving is off by default: each benchmark runs its
  // repetitions back to back and gets its own noise window (noise.h), so a
  // noisy spell marks the benchmarks it overlapped. With
  // --benchmark_enable_random_interleaving=true (run.sh --interleave) the
  // repetitions of all benchmarks are shuffled instead, which spreads drift
  // over every benchmark rather than flagging some; a benchmark then has no
  // window of its own and only the suite's window is recorded.
  bool has_interleave = false;
  for (int i = 1; i < argc; ++i)
    has_interleave =
        has_interleave || starts_with(argv[i], "--benchmark_enable_random_interleaving");
  if (!has_interleave) defaults.push_back("--benchmark_enable_random_interleaving=false");
  std::vector<char*> args(argv, argv + argc);
  for (std::string& d : defaults) args.insert(args.begin() + 1, d.data());
  args.push_back(nullptr);
  argc = static_cast<int>(args.size()) - 1;
  argv = args.data();
  const bool interleaved = random_interleaving_on(argc, argv);
  // Only aggregates reach the file reporter: a served peer would never be
  // asked (it twins iteration rows), so it is not served (peer.sh replays).
  const bool aggregates_only = bool_flag_on(argc, argv, "--benchmark_report_aggregates_only");
  std::string out_format = "json";
  for (int i = 1; i < argc; ++i)
    if (starts_with(argv[i], "--benchmark_out_format="))
      out_format = argv[i] + std::strlen("--benchmark_out_format=");

  benchmark::Initialize(&argc, argv);
  if (argc > 1) {
    std::fprintf(
        stderr,
        "error: unknown flag '%s' (valid: --profile=quick|full, --placement=LIST, --threads=LIST, "
        "--benchmark_*)\n",
        argv[1]);
    return 2;
  }
  register_benchmarks();
  // Per-benchmark windows need a JSON file to go into and the repetitions of
  // each benchmark back to back (noise.h).
  std::string per_benchmark;
  bool per_benchmark_windows = false;
  if (benchmark_out.empty()) {
    per_benchmark = "not recorded: no --benchmark_out file";
  } else if (interleaved) {
    per_benchmark =
        "not recorded: random interleaving was on (--benchmark_enable_random_interleaving), so "
        "each benchmark's repetitions were spread over the whole suite run; only this suite-wide "
        "window was recorded";
  } else if (out_format != "json") {
    per_benchmark = "not recorded: --benchmark_out_format=" + out_format + " (needs json)";
  } else {
    per_benchmark =
        "recorded: each benchmark's rows carry the noise_* fields of its own window (its "
        "repetitions back to back, from the previous benchmark's report to its own)";
    per_benchmark_windows = true;
  }

  // The served peer (served_peer.h): started before the first benchmark and
  // before the suite's window opens (its start-up is in no window), asked
  // after each benchmark by the window reporter. Served only where each
  // benchmark has its own window: the peer's run must fall between two
  // windows, never inside one.
  const char* peer_env = std::getenv("SYNCSCOPE_PEER");
  const std::string peer_command = peer_env != nullptr ? peer_env : "";
  std::unique_ptr<ServedPeer> peer;
  std::string not_served;
  // A peer error ends the suite: one line, exit 1, and no --benchmark_out
  // file left behind (removed, not truncated: a file that parses would look
  // like a finished run; a stale one from an earlier run at that path would
  // too). std::exit, not an exception: the error may come from inside
  // RunSpecifiedBenchmarks, through the reporter, and Google Benchmark's
  // frames are not ours to unwind; exit's atexit handler kills and reaps the
  // peer (ChildProcess's ownership), and the JSON reporter's unflushed
  // stream dies with the process.
  auto peer_failed = [&](const std::string& what) {
    std::fprintf(stderr, "error: %s peer: %s\n", suite, what.c_str());
    std::fflush(stderr);
    if (!benchmark_out.empty()) std::remove(benchmark_out.c_str());
    std::exit(1);
  };
  if (peer_command.empty()) {
    not_served = "SYNCSCOPE_PEER not set";
  } else if (!per_benchmark_windows) {
    not_served = "SYNCSCOPE_PEER set, but benchmarks get no window of their own here (" +
                 per_benchmark + ")";
  } else if (aggregates_only) {
    not_served =
        "SYNCSCOPE_PEER set, but --benchmark_report_aggregates_only leaves no iteration rows to "
        "ask the peer with";
  } else {
    try {
      peer = std::make_unique<ServedPeer>(peer_command);
    } catch (const std::exception& e) {
      peer_failed(e.what());
    }
  }
  benchmark::AddCustomContext("syncscope_peer", peer ? "served: " + peer->ready_text()
                                                     : "not served: " + not_served);

  const NoiseSample noise_before = sample_noise_and_state();
  std::unique_ptr<NoiseWindowReporter> windows;
  if (per_benchmark_windows) {
    windows = std::make_unique<NoiseWindowReporter>(std::make_unique<benchmark::JSONReporter>(),
                                                    sample_noise_and_state, noise_before);
    if (peer) {
      windows->set_after_benchmark([&](const std::vector<benchmark::BenchmarkReporter::Run>& rows) {
        nlohmann::json request = nlohmann::json::array();
        for (const auto& r : rows) request.push_back(request_row(r));
        // The console reporter's lines are buffered; the peer's progress
        // lines go straight to the shared stderr/log: flush first, or they
        // land in the middle of a table row.
        std::cout.flush();
        std::fflush(stdout);
        try {
          return !peer->ask(request).empty();  // Go rows ran: they are in no window
        } catch (const std::exception& e) {
          peer_failed(e.what());
        }
        return false;
      });
    }
  }
  if (windows) {
    benchmark::RunSpecifiedBenchmarks(nullptr, windows.get());
  } else {
    benchmark::RunSpecifiedBenchmarks();
  }
  nlohmann::json noise = noise_json(noise_between(noise_before, sample_noise_and_state()));
  if (peer) {
    // After the suite's window: the peer's last writes are its own business.
    try {
      peer->finish();
    } catch (const std::exception& e) {
      peer_failed(e.what());
    }
    noise["peer"] = {{"command", peer->command()},
                     {"requests", peer->requests()},
                     {"go_rows", peer->go_rows()},
                     {"seconds", peer->seconds()}};
  } else {
    noise["peer"] = "not served: " + not_served;
  }
  noise["usable_pus"] = usable_pus();
  noise["per_benchmark"] = per_benchmark;
  if (windows) {
    const auto& names = windows->disturbed_names();
    noise["benchmarks_with_window"] = windows->windows();
    noise["benchmarks_disturbed"] = names.size();
    if (!names.empty()) {
      std::string list;
      for (size_t i = 0; i < names.size() && i < 5; ++i) list += (i ? ", " : "") + names[i];
      if (names.size() > 5) list += ", ...";
      std::fprintf(stderr,
                   "syncscope: %zu of %d benchmarks of '%s' were disturbed (other processes above "
                   "%.2f CPUs or steal above %.0f %% of their window): %s\n",
                   names.size(), windows->windows(), suite, kNoiseForeignCpus,
                   100 * kNoiseStealFraction, list.c_str());
    }
  }
  benchmark::Shutdown();
  write_side_files(benchmark_out);
  add_noise_to_json(benchmark_out, noise);
  pin_to(-1);
  return 0;
}

}  // namespace syncscope::suites
