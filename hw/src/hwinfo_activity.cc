// Other work on the machine while a run measures. See hwinfo_activity.h.
#include "hwinfo_activity.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace syncscope::hw {
namespace {

constexpr size_t kMaxCmd = 200;
// The context lists at most this many distinct processes of each kind; the
// counts cover all.
constexpr size_t kMaxListed = 40;

bool read_file(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

std::string basename_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

std::vector<ProcEntry> scan_processes(const std::string& proc_root) {
  std::vector<ProcEntry> out;
  DIR* dir = opendir(proc_root.c_str());
  if (dir == nullptr) return out;
  while (const dirent* e = readdir(dir)) {
    const std::string name = e->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat;
    if (!read_file(proc_root + "/" + name + "/stat", stat)) continue;
    // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so
    // it ends at the last ')'.
    const size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    ProcEntry p;
    p.pid = std::stoi(name);
    p.comm = stat.substr(open + 1, close - open - 1);
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    if (!(rest >> state >> p.ppid)) continue;
    std::string cmd;
    if (read_file(proc_root + "/" + name + "/cmdline", cmd)) {
      std::replace(cmd.begin(), cmd.end(), '\0', ' ');
      while (!cmd.empty() && cmd.back() == ' ') cmd.pop_back();
      if (cmd.size() > kMaxCmd) cmd.resize(kMaxCmd);
      p.cmd = cmd;
    }
    out.push_back(std::move(p));
  }
  closedir(dir);
  return out;
}

std::string activity_kind(const ProcEntry& p) {
  if (starts_with(p.comm, "syncscope_") || starts_with(p.comm, "syncscope-")) return "syncscope";
  // run.sh is a bash script: its comm is "run.sh" when started as ./run.sh,
  // "bash" when started as `bash run.sh`.
  std::istringstream words(p.cmd);
  std::string w0, w1;
  words >> w0 >> w1;
  if (p.comm == "run.sh" || basename_of(w0) == "run.sh" ||
      ((basename_of(w0) == "bash" || basename_of(w0) == "sh") && basename_of(w1) == "run.sh"))
    return "syncscope";
  static const std::set<std::string> kBuild = {"cc1",    "cc1plus", "cc1obj",   "as",    "ld",
                                               "ld.bfd", "ld.gold", "collect2", "lto1",  "ninja",
                                               "make",   "cmake",   "ccache",   "clang", "clang++",
                                               "go",     "compile", "link",     "cgo"};
  if (kBuild.count(p.comm)) return "build";
  return "";
}

std::vector<ProcEntry> other_activity(const std::vector<ProcEntry>& all, int self) {
  std::map<int, int> parent;
  for (const ProcEntry& p : all) parent[p.pid] = p.ppid;
  // Ancestors of self (a wrapper that started run.sh is part of the run).
  std::set<int> ancestors;
  for (int pid = self, hops = 0; pid > 1 && hops < 4096; ++hops) {
    ancestors.insert(pid);
    auto it = parent.find(pid);
    if (it == parent.end()) break;
    pid = it->second;
  }
  auto descends_from_self = [&](int pid) {
    for (int hops = 0; pid > 1 && hops < 4096; ++hops) {
      if (pid == self) return true;
      auto it = parent.find(pid);
      if (it == parent.end()) return false;
      pid = it->second;
    }
    return false;
  };
  std::vector<ProcEntry> out;
  for (const ProcEntry& p : all) {
    if (activity_kind(p).empty() || ancestors.count(p.pid) || descends_from_self(p.pid)) continue;
    out.push_back(p);
  }
  return out;
}

nlohmann::json activity_sample(const std::vector<ProcEntry>& others, double load1,
                               const std::string& utc) {
  nlohmann::json list = nlohmann::json::array();
  for (const ProcEntry& p : others)
    list.push_back({{"pid", p.pid}, {"kind", activity_kind(p)}, {"comm", p.comm}, {"cmd", p.cmd}});
  return {{"utc", utc}, {"load1", load1}, {"others", list}};
}

nlohmann::json activity_json(const std::string& lines, const std::string& source) {
  nlohmann::json j;
  j["method"] =
      "/proc scanned at the start of the measuring phase and every few seconds until its end; "
      "'syncscope' = run.sh, syncscope_* or syncscope-* processes outside this run; 'build' = "
      "compilers and build tools of any project (cc1plus, ninja, ld, go, ...)";
  j["source"] = source;
  struct Seen {
    nlohmann::json first;
    std::string first_utc, last_utc;
    int samples = 0;
  };
  std::map<std::pair<int, std::string>, Seen> seen;  // (pid, comm) -> when
  std::vector<std::pair<int, std::string>> order;
  int samples = 0, bad = 0;
  double load_min = 0, load_max = 0;
  std::string first_utc, last_utc;
  std::istringstream in(lines);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const nlohmann::json s = nlohmann::json::parse(line, nullptr, false);
    if (s.is_discarded() || !s.is_object() || !s.contains("utc") || !s.contains("others") ||
        !s["others"].is_array()) {
      ++bad;  // a line cut short by the sampler's end
      continue;
    }
    const std::string utc = s["utc"].get<std::string>();
    const double load = s.value("load1", 0.0);
    load_min = samples == 0 ? load : std::min(load_min, load);
    load_max = samples == 0 ? load : std::max(load_max, load);
    if (samples == 0) first_utc = utc;
    last_utc = utc;
    ++samples;
    for (const nlohmann::json& o : s["others"]) {
      const auto key = std::make_pair(o.value("pid", 0), o.value("comm", std::string()));
      auto [it, inserted] = seen.try_emplace(key);
      if (inserted) {
        it->second.first = o;
        it->second.first_utc = utc;
        order.push_back(key);
      }
      it->second.last_utc = utc;
      ++it->second.samples;
    }
  }
  j["samples"] = samples;
  j["sampled"] = samples > 0;
  j["unreadable_lines"] = bad;
  j["first_utc"] = samples ? nlohmann::json(first_utc) : nlohmann::json(nullptr);
  j["last_utc"] = samples ? nlohmann::json(last_utc) : nlohmann::json(nullptr);
  j["load1_min"] = samples ? nlohmann::json(load_min) : nlohmann::json(nullptr);
  j["load1_max"] = samples ? nlohmann::json(load_max) : nlohmann::json(nullptr);
  // Listed: the other syncscope processes first (few, and what the run lock
  // is about), then the build processes; at most kMaxListed of each kind.
  int syncscope = 0, build = 0;
  nlohmann::json procs = nlohmann::json::array();
  for (const char* listed_kind : {"syncscope", "build"}) {
    size_t listed = 0;
    for (const auto& key : order) {
      const Seen& s = seen.at(key);
      const std::string kind = s.first.value("kind", std::string());
      if (kind != listed_kind) continue;
      (kind == "syncscope" ? syncscope : build) += 1;
      if (listed++ >= kMaxListed) continue;
      procs.push_back({{"pid", key.first},
                       {"comm", key.second},
                       {"kind", kind},
                       {"cmd", s.first.value("cmd", std::string())},
                       {"first_utc", s.first_utc},
                       {"last_utc", s.last_utc},
                       {"samples", s.samples}});
    }
  }
  // null = not known (no sample), never a guess.
  j["other_syncscope_active"] = samples ? nlohmann::json(syncscope > 0) : nlohmann::json(nullptr);
  j["build_active"] = samples ? nlohmann::json(build > 0) : nlohmann::json(nullptr);
  j["other_syncscope_processes"] = syncscope;
  j["build_processes"] = build;
  j["processes"] = procs;
  j["processes_listed_max"] = kMaxListed;
  return j;
}

}  // namespace syncscope::hw
