// The syncscope-hwinfo command logic. See hwinfo.h.
#include "hwinfo.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "syncscope/hw/context.h"
#include "syncscope/hw/counters.h"
#include "syncscope/hw/placement.h"
#include "syncscope/hw/topology.h"

namespace syncscope::hw {
namespace {

constexpr const char* kProg = "syncscope-hwinfo";
constexpr const char* kCommands = "context, policies, plan, counters, topology, --help";
// Upper bound on N for `plan`: far above any machine, low enough that a
// typo cannot ask for a giant allocation.
constexpr long kMaxThreads = 1 << 20;

void usage(std::ostream& out) {
  out << "usage: " << kProg << " COMMAND [ARGS]\n"
      << "  context [--out FILE]   the run's provenance (context.json) on stdout, or in FILE\n"
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

int cmd_context(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string file;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--out") {
      if (i + 1 >= args.size())
        return bad_usage(err, "context: --out needs a FILE (usage: context [--out FILE])");
      file = args[++i];
      if (file.empty())
        return bad_usage(err, "context: empty FILE after --out (usage: context [--out FILE])");
    } else {
      return bad_usage(err, "context: unknown argument '" + args[i] + "' (valid: --out FILE)");
    }
  }
  const std::string text = context_json().dump(2) + "\n";
  if (file.empty()) {
    out << text;
    return kExitOk;
  }
  std::ofstream f(file);
  if (!f || !(f << text) || !f.flush()) {
    err << kProg << ": cannot write '" << file << "': " << std::strerror(errno) << "\n";
    return kExitFailure;
  }
  return kExitOk;
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
    return bad_usage(err, "plan: needs POLICY and N, got " + std::to_string(args.size()) +
                              " arguments (usage: plan POLICY N; policies: " +
                              joined_policy_names() + ")");
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
      << "reason " << (s.reason.empty() ? "(none: every requested event works)" : s.reason)
      << "\n";
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
  if (cmd == "policies") return cmd_policies(args, out, err);
  if (cmd == "plan") return cmd_plan(args, out, err);
  if (cmd == "counters") return cmd_counters(args, out);
  if (cmd == "topology") return cmd_topology(args, out, err);
  return bad_usage(err, "unknown command '" + cmd + "' (valid: " + kCommands + ")");
}

}  // namespace syncscope::hw
