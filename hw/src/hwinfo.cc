// The syncscope-hwinfo command logic. See hwinfo.h.
#include "hwinfo.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include "hwinfo_activity.h"
#include "syncscope/hw/context.h"
#include "syncscope/hw/counters.h"
#include "syncscope/hw/placement.h"
#include "syncscope/hw/topology.h"

namespace syncscope::hw {
namespace {

constexpr const char* kProg = "syncscope-hwinfo";
constexpr const char* kCommands = "context, activity, policies, plan, counters, topology, --help";
// The profiles of run.sh and the suites' --profile flag.
constexpr const char* kProfiles[] = {"quick", "full"};
// Google Benchmark's version, fixed when CMake configures the build (the
// library the suites link); its build type comes from the suites' JSON.
#ifndef SYNCSCOPE_BENCHMARK_VERSION
#define SYNCSCOPE_BENCHMARK_VERSION "unknown (not given at build time)"
#endif
// Upper bound on N for `plan`: far above any machine, low enough that a
// typo cannot ask for a giant allocation.
constexpr long kMaxThreads = 1 << 20;

void usage(std::ostream& out) {
  out << "usage: " << kProg << " COMMAND [ARGS]\n"
      << "  context [--out FILE] [--profile P] [--run-id ID] [--benchmark-json FILE]...\n"
      << "          [--activity FILE]\n"
      << "                         the run's provenance (context.json) on stdout, or in FILE\n"
      << "                         (written whole, then renamed); P: quick, full; the\n"
      << "                         suites' JSON gives Google Benchmark's build type, the\n"
      << "                         activity file what else ran (see `activity`)\n"
      << "  activity --exclude-tree PID [--interval S --out FILE]\n"
      << "                         other syncscope runs and builds outside PID's process\n"
      << "                         tree, one JSON line; with --interval, one line every S\n"
      << "                         seconds appended to FILE until SIGTERM or PID ends\n"
      << "  policies               one line per placement policy: NAME honoured|unsupported "
         "REASON\n"
      << "  plan POLICY N          the OS PU index of each of N threads (\"0,1,0,1\"); exit 1\n"
      << "                         and the reason if this machine cannot honour POLICY\n"
      << "  counters [EVENT...]    whether PAPI can count the events (default: "
      << "PAPI_TOT_CYC PAPI_TOT_INS PAPI_L1_DCM)\n"
      << "  topology               a summary line, then one line per PU\n"
      << "  --help                 this text\n"
      << "policies: none, compact, scatter, smt, cross\n"
      << "exit status: 0 ok, 1 valid request that cannot be met, 2 bad usage\n";
}

int bad_usage(std::ostream& err, const std::string& what) {
  err << kProg << ": " << what << "\n";
  return kExitUsage;
}

std::string joined_policy_names() {
  std::string s;
  for (const std::string& n : policy_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool slurp(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// Writes text to FILE.tmp-PID, then renames it over FILE: a reader never sees
// half a document.
bool write_whole(const std::string& file, const std::string& text, std::ostream& err) {
  const std::string tmp = file + ".tmp-" + std::to_string(getpid());
  {
    std::ofstream f(tmp);
    if (!f || !(f << text) || !f.flush()) {
      err << kProg << ": cannot write '" << file << "': " << std::strerror(errno) << "\n";
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), file.c_str()) != 0) {
    err << kProg << ": cannot write '" << file << "': " << std::strerror(errno) << "\n";
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

// Google Benchmark's name, version and build type ("release"/"debug", as the
// library reports it in a suite's JSON context).
nlohmann::json benchmark_library_json(const std::vector<std::string>& suite_jsons) {
  nlohmann::json lib = {{"name", "Google Benchmark"},
                        {"version", SYNCSCOPE_BENCHMARK_VERSION},
                        {"build_type", "unknown (no suite JSON given)"},
                        {"build_type_source", nullptr}};
  for (const std::string& path : suite_jsons) {
    std::string text;
    if (!slurp(path, text)) continue;
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("context")) continue;
    const nlohmann::json& c = j["context"];
    if (!c.is_object() || !c.contains("library_build_type")) continue;
    lib["build_type"] = c["library_build_type"];
    lib["build_type_source"] = path.substr(path.rfind('/') + 1);  // the suite's file name
    break;
  }
  return lib;
}

int cmd_context(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  constexpr const char* kValid =
      "--out FILE, --profile P, --run-id ID, --benchmark-json FILE, --activity FILE";
  std::string file, activity_file;
  nlohmann::json profile = nullptr, run_id = nullptr;
  std::vector<std::string> suite_jsons;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool takes_value = a == "--out" || a == "--profile" || a == "--run-id" ||
                             a == "--benchmark-json" || a == "--activity";
    if (!takes_value)
      return bad_usage(err, "context: unknown argument '" + a + "' (valid: " + kValid + ")");
    if (i + 1 >= args.size())
      return bad_usage(err, "context: " + a + " needs a value (usage: context [" + kValid + "])");
    const std::string& v = args[++i];
    if (v.empty())
      return bad_usage(err, "context: empty value after " + a + " (valid: " + kValid + ")");
    if (a == "--out") {
      file = v;
    } else if (a == "--profile") {
      bool known = false;
      for (const char* p : kProfiles) known = known || v == p;
      if (!known)
        return bad_usage(err, "context: unknown profile '" + v + "' (valid: quick, full)");
      profile = v;
    } else if (a == "--run-id") {
      run_id = v;
    } else if (a == "--benchmark-json") {
      suite_jsons.push_back(v);
    } else {
      activity_file = v;
    }
  }
  nlohmann::json ctx = context_json();
  // The run's own facts, beside the machine's and the build's (hw/README.md,
  // "Keys a run adds").
  ctx["run_id"] = run_id;
  ctx["profile"] = profile;
  ctx["benchmark_library"] = benchmark_library_json(suite_jsons);
  std::string lines;
  if (!activity_file.empty() && !slurp(activity_file, lines)) {
    err << kProg << ": cannot read activity file '" << activity_file
        << "': " << std::strerror(errno) << "\n";
    return kExitFailure;
  }
  ctx["concurrent_activity"] = activity_json(
      lines, activity_file.empty() ? "not sampled (no --activity FILE)"
                                   : activity_file.substr(activity_file.rfind('/') + 1));
  const std::string text = ctx.dump(2) + "\n";
  if (file.empty()) {
    out << text;
    return kExitOk;
  }
  return write_whole(file, text, err) ? kExitOk : kExitFailure;
}

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) { g_stop = 1; }

double load1() {
  double l = -1;
  std::ifstream in("/proc/loadavg");
  in >> l;
  return l;
}

bool parse_int(const std::string& s, long lo, long hi, long& v) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos)
    return false;
  v = std::stol(s);
  return v >= lo && v <= hi;
}

int cmd_activity(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  constexpr const char* kValid = "--exclude-tree PID, --interval S, --out FILE";
  long self = -1, interval = 0;
  std::string file;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a != "--exclude-tree" && a != "--interval" && a != "--out")
      return bad_usage(err, "activity: unknown argument '" + a + "' (valid: " + kValid + ")");
    if (i + 1 >= args.size())
      return bad_usage(err, "activity: " + a + " needs a value (valid: " + kValid + ")");
    const std::string& v = args[++i];
    if (a == "--exclude-tree" && !parse_int(v, 1, 1L << 30, self))
      return bad_usage(err, "activity: bad PID '" + v + "' (valid: a process id, 1 or more)");
    if (a == "--interval" && !parse_int(v, 1, 3600, interval))
      return bad_usage(err,
                       "activity: bad interval '" + v + "' (valid: whole seconds from 1 to 3600)");
    if (a == "--out") {
      if (v.empty()) return bad_usage(err, "activity: empty FILE after --out (valid: a path)");
      file = v;
    }
  }
  if (self < 0)
    return bad_usage(
        err, "activity: --exclude-tree PID is required (valid: " + std::string(kValid) + ")");
  if (interval > 0 && file.empty())
    return bad_usage(err,
                     "activity: --interval needs --out FILE (valid: " + std::string(kValid) + ")");
  auto sample = [&]() {
    const auto others = other_activity(scan_processes(), static_cast<int>(self));
    return activity_sample(others, load1(), utc_now()).dump() + "\n";
  };
  if (interval == 0) {
    const std::string line = sample();
    if (file.empty()) {
      out << line;
      return kExitOk;
    }
    std::ofstream f(file, std::ios::app);
    if (!f || !(f << line) || !f.flush()) {
      err << kProg << ": cannot append to '" << file << "': " << std::strerror(errno) << "\n";
      return kExitFailure;
    }
    return kExitOk;
  }
  // The sampling loop: a stop signal interrupts the sleep (no SA_RESTART)
  // and ends the loop; so does the end of the run's process.
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
  std::ofstream f(file, std::ios::app);
  if (!f) {
    err << kProg << ": cannot append to '" << file << "': " << std::strerror(errno) << "\n";
    return kExitFailure;
  }
  // A sample at the start, every S seconds, and a last one when stopped: a
  // run shorter than S still has its start and its end.
  for (;;) {
    // One write per line: a reader sees whole lines, or a cut last line.
    if (!(f << sample()) || !f.flush()) {
      err << kProg << ": cannot append to '" << file << "': " << std::strerror(errno) << "\n";
      return kExitFailure;
    }
    if (g_stop || kill(static_cast<pid_t>(self), 0) != 0) return kExitOk;
    timespec left{interval, 0};
    while (!g_stop && nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
  }
}

int cmd_policies(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (!args.empty())
    return bad_usage(err, "policies: unexpected argument '" + args[0] + "' (valid: none)");
  for (Policy p : all_policies()) {
    const Support s = policy_support(p);
    out << policy_name(p) << ' ' << (s.honoured ? "honoured" : "unsupported") << ' ' << s.reason
        << "\n";
  }
  return kExitOk;
}

int cmd_plan(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.size() != 2)
    return bad_usage(
        err, "plan: needs POLICY and N, got " + std::to_string(args.size()) +
                 " arguments (usage: plan POLICY N; policies: " + joined_policy_names() + ")");
  const auto policy = parse_policy(args[0]);
  if (!policy)
    return bad_usage(err,
                     "unknown policy '" + args[0] + "' (valid: " + joined_policy_names() + ")");
  long n = 0;
  const std::string& ns = args[1];
  bool ok = !ns.empty() && ns.size() <= 9;
  for (char c : ns) ok = ok && c >= '0' && c <= '9';
  if (ok) n = std::stol(ns);
  if (!ok || n < 1 || n > kMaxThreads)
    return bad_usage(err, "bad thread count '" + ns + "' (valid: an integer from 1 to " +
                              std::to_string(kMaxThreads) + ")");
  const Placement pl = plan_placement(*policy, static_cast<int>(n));
  if (!pl.honoured) {
    out << "unsupported: " << pl.reason << "\n";
    return kExitFailure;
  }
  out << pus_to_string(pl.pus) << "\n";
  if (!pl.reason.empty()) err << "note: " << pl.reason << "\n";
  return kExitOk;
}

int cmd_counters(const std::vector<std::string>& args, std::ostream& out) {
  const CountersStatus s = args.empty() ? counters_status() : counters_status(args);
  std::string usable, requested;
  for (const auto& e : s.usable) usable += (usable.empty() ? "" : ",") + e;
  for (const auto& e : s.requested) requested += (requested.empty() ? "" : ",") + e;
  out << "available " << (s.available ? "yes" : "no") << "\n"
      << "requested " << requested << "\n"
      << "usable " << (usable.empty() ? "(none)" : usable) << "\n"
      << "reason " << (s.reason.empty() ? "(none: every requested event works)" : s.reason) << "\n";
  return kExitOk;
}

int cmd_topology(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (!args.empty())
    return bad_usage(err, "topology: unexpected argument '" + args[0] + "' (valid: none)");
  const Topology& t = topology();
  out << t.summary() << " [" << t.source << "], line size " << t.line_size << "\n";
  for (const Pu& p : t.pus)
    out << "pu " << p.os_index << " logical " << p.logical_index << " core " << p.core << " l3 "
        << p.l3 << " package " << p.package << " numa " << p.numa << "\n";
  for (const CacheLevel& c : t.caches)
    out << "cache L" << c.level << ' ' << c.type << ' ' << c.size_bytes << " bytes, line "
        << c.line_size << ", x" << c.count << "\n";
  return kExitOk;
}

}  // namespace

int hwinfo_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  if (argc < 2) return bad_usage(err, std::string("missing command (valid: ") + kCommands + ")");
  const std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage(out);
    return kExitOk;
  }
  if (cmd == "context") return cmd_context(args, out, err);
  if (cmd == "activity") return cmd_activity(args, out, err);
  if (cmd == "policies") return cmd_policies(args, out, err);
  if (cmd == "plan") return cmd_plan(args, out, err);
  if (cmd == "counters") return cmd_counters(args, out);
  if (cmd == "topology") return cmd_topology(args, out, err);
  return bad_usage(err, "unknown command '" + cmd + "' (valid: " + kCommands + ")");
}

}  // namespace syncscope::hw
