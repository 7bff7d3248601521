// context.json: the provenance of a run. See syncscope/hw/context.h and the
// schema in hw/README.md.
#include "syncscope/hw/context.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "syncscope/arch/atomic.h"
#include "syncscope/version.h"

// Defined by hw/CMakeLists.txt at configure time; the fallbacks keep the
// file compilable on its own (e.g. by an IDE indexer).
#ifndef SYNCSCOPE_BUILD_COMPILER_ID
#define SYNCSCOPE_BUILD_COMPILER_ID "unknown"
#endif
#ifndef SYNCSCOPE_BUILD_COMPILER_VERSION
#define SYNCSCOPE_BUILD_COMPILER_VERSION "unknown"
#endif
#ifndef SYNCSCOPE_BUILD_CXX_FLAGS
#define SYNCSCOPE_BUILD_CXX_FLAGS ""
#endif
#ifndef SYNCSCOPE_BUILD_COMPILE_OPTIONS
#define SYNCSCOPE_BUILD_COMPILE_OPTIONS ""
#endif
#ifndef SYNCSCOPE_BUILD_TYPE
#define SYNCSCOPE_BUILD_TYPE "unknown"
#endif
#ifndef SYNCSCOPE_BUILD_SANITIZER
#define SYNCSCOPE_BUILD_SANITIZER "unknown"
#endif
#ifndef SYNCSCOPE_BUILD_GIT_REVISION
#define SYNCSCOPE_BUILD_GIT_REVISION "unknown"
#endif

namespace syncscope::hw {
namespace {

using nlohmann::json;

// The first line of a (sysfs/procfs) file, trimmed; empty if unreadable.
std::string read_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return {};
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' '))
    line.pop_back();
  return line;
}

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

json kernel_json() {
  struct utsname u {};
  if (uname(&u) != 0)
    return {{"sysname", "unknown"}, {"release", "unknown"}, {"version", "unknown"},
            {"machine", "unknown"}};
  return {{"sysname", u.sysname}, {"release", u.release}, {"version", u.version},
          {"machine", u.machine}};
}

json hypervisor_json(const CpuFeatures& f) {
  std::string sys_type = read_line("/sys/hypervisor/type");
  const bool sys_present = !sys_type.empty();
  if (!sys_present) sys_type = "unavailable (no /sys/hypervisor/type)";
  return {{"present", f.hypervisor || sys_present},
          {"cpuid_vendor", f.hypervisor_vendor},
          {"sys_hypervisor_type", sys_type}};
}

std::string cpu_governor() {
  const std::string g = read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  return g.empty() ? "unavailable (no cpufreq)" : g;
}

json smt_json(const Topology& t) {
  std::string control = read_line("/sys/devices/system/cpu/smt/control");
  if (control.empty()) control = "unavailable";
  const std::string active = read_line("/sys/devices/system/cpu/smt/active");
  json j = {{"control", control},
            {"active", nullptr},
            {"topology_has_smt", t.has_smt()},
            {"max_pus_per_core", t.max_pus_per_core()}};
  if (active == "0" || active == "1") j["active"] = active == "1";
  return j;
}

json perf_event_paranoid_json() {
  const std::string v = read_line("/proc/sys/kernel/perf_event_paranoid");
  try {
    size_t used = 0;
    const int n = std::stoi(v, &used);
    if (used == v.size()) return n;
  } catch (const std::exception&) {
    // unreadable or not a number: reported as null
  }
  return nullptr;
}

json compiler_json(const BuildInfo& b) {
  return {{"id", b.compiler_id},       {"version", b.compiler_version},
          {"cxx_flags", b.cxx_flags},  {"compile_options", b.compile_options},
          {"build_type", b.build_type}, {"sanitizer", b.sanitizer}};
}

json atomic_paths_json() {
  json available = json::array();
  for (arch::Path p : arch::available_paths()) available.push_back(arch::path_name(p));
  return {{"available", available}, {"native", arch::path_name(arch::native_path())}};
}

json placement_support_json(const Topology& t) {
  json j = json::object();
  for (Policy p : all_policies()) {
    const Support s = policy_support(p, t);
    j[policy_name(p)] = {{"honoured", s.honoured}, {"reason", s.reason}};
  }
  return j;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm {};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

const BuildInfo& build_info() {
  static const BuildInfo info{SYNCSCOPE_BUILD_COMPILER_ID, SYNCSCOPE_BUILD_COMPILER_VERSION,
                              SYNCSCOPE_BUILD_CXX_FLAGS,   SYNCSCOPE_BUILD_COMPILE_OPTIONS,
                              SYNCSCOPE_BUILD_TYPE,        SYNCSCOPE_BUILD_SANITIZER,
                              SYNCSCOPE_BUILD_GIT_REVISION};
  return info;
}

json topology_json(const Topology& t) {
  json pus = json::array();
  for (const Pu& p : t.pus)
    pus.push_back({{"os_index", p.os_index},
                   {"logical_index", p.logical_index},
                   {"core", p.core},
                   {"l3", p.l3},
                   {"package", p.package},
                   {"numa", p.numa}});
  json cores = json::array();
  for (const Core& c : t.cores)
    cores.push_back({{"index", c.index}, {"package", c.package}, {"l3", c.l3}, {"pus", c.pus}});
  json caches = json::array();
  for (const CacheLevel& c : t.caches)
    caches.push_back({{"level", c.level},
                      {"type", c.type},
                      {"size_bytes", c.size_bytes},
                      {"line_size", c.line_size},
                      {"count", c.count}});
  return {{"source", t.source},
          {"summary", t.summary()},
          {"packages", t.packages},
          {"numa_nodes", t.numa_nodes},
          {"l3_domains", t.l3_domains},
          {"core_count", t.cores.size()},
          {"pu_count", t.pus.size()},
          {"max_pus_per_core", t.max_pus_per_core()},
          {"line_size", t.line_size},
          {"pus", pus},
          {"cores", cores},
          {"caches", caches}};
}

json cpu_features_json(const CpuFeatures& f) {
  return {{"arch", f.arch},
          {"summary", f.to_string()},
          {"model_name", f.model_name()},
          {"vendor", f.vendor},
          {"family", f.family},
          {"model", f.model},
          {"stepping", f.stepping},
          {"brand", f.brand},
          {"invariant_tsc", f.invariant_tsc},
          {"hypervisor", f.hypervisor},
          {"hypervisor_vendor", f.hypervisor_vendor},
          {"lse", f.lse},
          {"hwcap", hex(f.hwcap)},
          {"hwcap2", hex(f.hwcap2)},
          {"midr_available", f.midr_available},
          {"midr", hex(f.midr)}};
}

json counters_json(const CountersStatus& s) {
  return {{"available", s.available},
          {"usable", s.usable},
          {"requested", s.requested},
          {"reason", s.reason}};
}

json placement_json(const Placement& p) {
  return {{"policy", policy_name(p.policy)},
          {"honoured", p.honoured},
          {"reason", p.reason},
          {"pus", p.pus}};
}

std::vector<std::string> context_keys() {
  return {"schema_version",  "generated_utc", "syncscope_version", "host",
          "arch",            "kernel",        "hypervisor",        "cpu_model",
          "cpu_governor",    "smt",           "compiler",          "git_revision",
          "perf_event_paranoid", "atomic_paths", "topology",       "placement",
          "cpu_features",    "counters"};
}

json context_json() {
  const CpuFeatures& f = cpu_features();
  const Topology& t = topology();
  json j;
  j["schema_version"] = kContextSchemaVersion;
  j["generated_utc"] = utc_now();
  j["syncscope_version"] = syncscope::version();
  j["host"] = hostname();
  j["arch"] = f.arch;
  j["kernel"] = kernel_json();
  j["hypervisor"] = hypervisor_json(f);
  j["cpu_model"] = f.model_name();
  j["cpu_governor"] = cpu_governor();
  j["smt"] = smt_json(t);
  j["compiler"] = compiler_json(build_info());
  j["git_revision"] = build_info().git_revision;
  j["perf_event_paranoid"] = perf_event_paranoid_json();
  j["atomic_paths"] = atomic_paths_json();
  j["topology"] = topology_json(t);
  j["placement"] = placement_support_json(t);
  j["cpu_features"] = cpu_features_json(f);
  j["counters"] = counters_json(counters_status());
  return j;
}

}  // namespace syncscope::hw
