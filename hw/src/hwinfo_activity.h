// Other work on the machine while a run measures: the `syncscope-hwinfo
// activity` command and the `concurrent_activity` key of a run's context.
//
// A benchmark run on a shared machine measures whatever else runs there. The
// run lock (run.sh) keeps a second syncscope run from measuring at the same
// time, but builds, tests and runs started outside run.sh still compete for
// the CPUs. run.sh starts `syncscope-hwinfo activity --exclude-tree PID
// --interval S --out FILE` for its measuring phase; every S seconds it scans
// /proc and appends one JSON line:
//
//   {"utc": "2026-12-06T10:00:00Z", "load1": 1.52,
//    "others": [{"pid": 123, "kind": "build", "comm": "cc1plus", "cmd": "..."}]}
//
// where `others` holds the processes outside PID's tree (PID, its ancestors
// and its descendants are the run itself) whose kind is
//   syncscope  run.sh, a syncscope_* suite or test binary, syncscope-hwinfo
//   build      a compiler or build tool of any project (cc1plus, ninja, ...)
// `syncscope-hwinfo context --activity FILE` folds the lines into the
// context (activity_json).
#ifndef SYNCSCOPE_HW_SRC_HWINFO_ACTIVITY_H_
#define SYNCSCOPE_HW_SRC_HWINFO_ACTIVITY_H_

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace syncscope::hw {

struct ProcEntry {
  int pid = 0;
  int ppid = 0;
  std::string comm;  // /proc/PID/stat's second field, without the parentheses
  std::string cmd;   // /proc/PID/cmdline, NULs as spaces, at most 200 characters
};

// Every process under proc_root ("/proc"); processes that vanish mid-scan
// are skipped.
std::vector<ProcEntry> scan_processes(const std::string& proc_root = "/proc");

// "syncscope", "build", or "" for a process that is neither.
std::string activity_kind(const ProcEntry& p);

// The processes of `all` with a kind, except `self`, its ancestors and its
// descendants.
std::vector<ProcEntry> other_activity(const std::vector<ProcEntry>& all, int self);

// One sample line (without the newline): time, 1-minute load, others.
nlohmann::json activity_sample(const std::vector<ProcEntry>& others, double load1,
                               const std::string& utc);

// The context's `concurrent_activity` object from the sample lines of an
// activity file (text); `source` names where they came from. An empty text
// means the run was not sampled.
nlohmann::json activity_json(const std::string& lines, const std::string& source);

}  // namespace syncscope::hw

#endif  // SYNCSCOPE_HW_SRC_HWINFO_ACTIVITY_H_
