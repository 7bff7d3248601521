// Tests for the syncscope-hwinfo command logic (hwinfo.h), driven with
// string streams. The installed binary's exit codes are checked by the
// hwinfo_bad_usage CTest script.
#include "hwinfo.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "hwinfo_activity.h"
#include "syncscope/hw/placement.h"
#include "syncscope/hw/topology.h"

namespace syncscope::hw {
namespace {

struct Result {
  int rc;
  std::string out;
  std::string err;
};

Result run(std::vector<std::string> args) {
  args.insert(args.begin(), "syncscope-hwinfo");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int rc = hwinfo_main(static_cast<int>(argv.size()), argv.data(), out, err);
  return {rc, out.str(), err.str()};
}

int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

TEST(Hwinfo, ContextIsJson) {
  const Result r = run({"context"});
  ASSERT_EQ(r.rc, kExitOk) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.contains("topology"));
  EXPECT_TRUE(r.err.empty());
}

TEST(Hwinfo, ContextToFile) {
  char path[] = "/tmp/syncscope_hwinfo_test_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  const Result r = run({"context", "--out", path});
  EXPECT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_TRUE(r.out.empty());
  std::ifstream in(path);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("schema_version"), 1);
  std::remove(path);
  const Result bad = run({"context", "--out", "/nonexistent-dir/x.json"});
  EXPECT_EQ(bad.rc, kExitFailure);
  EXPECT_NE(bad.err.find("/nonexistent-dir/x.json"), std::string::npos) << bad.err;
}

TEST(Hwinfo, PoliciesOneLineEach) {
  const Result r = run({"policies"});
  ASSERT_EQ(r.rc, kExitOk);
  std::istringstream in(r.out);
  std::string line;
  std::vector<std::string> names;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string name, state;
    words >> name >> state;
    names.push_back(name);
    const auto p = parse_policy(name);
    ASSERT_TRUE(p.has_value()) << line;
    EXPECT_EQ(state, policy_support(*p).honoured ? "honoured" : "unsupported") << line;
    EXPECT_NE(line.find(policy_support(*p).reason), std::string::npos) << line;
  }
  EXPECT_EQ(names, policy_names());
}

TEST(Hwinfo, PlanPrintsPusOrReason) {
  const Result r = run({"plan", "compact", "2"});
  ASSERT_EQ(r.rc, kExitOk) << r.err;
  EXPECT_EQ(r.out, pus_to_string(plan_placement(Policy::kCompact, 2).pus) + "\n");
  for (Policy p : all_policies()) {
    const Result q = run({"plan", policy_name(p), "3"});
    const Placement pl = plan_placement(p, 3);
    if (pl.honoured) {
      EXPECT_EQ(q.rc, kExitOk);
      EXPECT_EQ(q.out, pus_to_string(pl.pus) + "\n");
    } else {
      EXPECT_EQ(q.rc, kExitFailure);
      EXPECT_EQ(q.out, "unsupported: " + pl.reason + "\n");
    }
  }
  const int over = static_cast<int>(topology().pus.size()) + 1;
  const Result o = run({"plan", "scatter", std::to_string(over)});
  EXPECT_EQ(o.rc, kExitOk);
  EXPECT_NE(o.err.find("oversubscribed"), std::string::npos) << o.err;
}

TEST(Hwinfo, CountersAndTopology) {
  const Result c = run({"counters"});
  EXPECT_EQ(c.rc, kExitOk);
  EXPECT_EQ(lines(c.out), 4) << c.out;
  EXPECT_EQ(c.out.rfind("available ", 0), 0u) << c.out;
  const Result t = run({"topology"});
  EXPECT_EQ(t.rc, kExitOk);
  EXPECT_GE(lines(t.out), 1 + static_cast<int>(topology().pus.size()));
  EXPECT_EQ(run({"--help"}).rc, kExitOk);
}

TEST(Hwinfo, BadUsageIsOneLineNamingTheValueAndExit2) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "missing command"},
      {{"frobnicate"}, "'frobnicate'"},
      {{"plan", "sideways", "4"}, "'sideways'"},
      {{"plan", "compact", "0"}, "'0'"},
      {{"plan", "compact", "-2"}, "'-2'"},
      {{"plan", "compact", "3x"}, "'3x'"},
      {{"plan", "compact", "99999999999"}, "'99999999999'"},
      {{"plan", "compact"}, "POLICY and N"},
      {{"context", "--bogus"}, "'--bogus'"},
      {{"context", "--out"}, "--out"},
      {{"context", "--profile", "slow"}, "'slow'"},
      {{"context", "--activity"}, "--activity"},
      {{"activity"}, "--exclude-tree"},
      {{"activity", "--exclude-tree", "x1"}, "'x1'"},
      {{"activity", "--exclude-tree", "1", "--interval", "0", "--out", "f"}, "'0'"},
      {{"activity", "--exclude-tree", "1", "--interval", "5"}, "--out"},
      {{"activity", "--bogus"}, "'--bogus'"},
      {{"policies", "extra"}, "'extra'"},
      {{"topology", "extra"}, "'extra'"},
  };
  for (const auto& [args, needle] : cases) {
    const Result r = run(args);
    std::string cmdline;
    for (const auto& a : args) cmdline += a + " ";
    EXPECT_EQ(r.rc, kExitUsage) << cmdline;
    EXPECT_EQ(lines(r.err), 1) << cmdline << ": " << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << cmdline << ": " << r.err;
    EXPECT_TRUE(r.err.find("valid") != std::string::npos ||
                r.err.find("usage") != std::string::npos)
        << "the message must say what is valid: " << r.err;
    EXPECT_TRUE(r.out.empty()) << cmdline;
  }
  const Result policy = run({"plan", "sideways", "4"});
  EXPECT_NE(policy.err.find("none, compact, scatter, smt, cross"), std::string::npos) << policy.err;
}

// A scratch directory, removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/syncscope_hwinfo_test_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(Hwinfo, ContextCarriesTheRunsKeys) {
  TempDir d;
  write(d.file("c2c.json"), R"({"context": {"library_build_type": "release"}, "benchmarks": []})");
  write(d.file("activity.jsonl"),
        R"({"utc": "2026-01-01T00:00:00Z", "load1": 1.5, "others": []})"
        "\n"
        R"({"utc": "2026-01-01T00:00:05Z", "load1": 2.5, "others": [)"
        R"({"pid": 7, "kind": "build", "comm": "cc1plus", "cmd": "cc1plus x.cc"}]})"
        "\n");
  const Result r =
      run({"context", "--out", d.file("context.json"), "--profile", "quick", "--run-id",
           "h-x86_64-20260101T000000Z-42", "--benchmark-json", d.file("missing.json"),
           "--benchmark-json", d.file("c2c.json"), "--activity", d.file("activity.jsonl")});
  ASSERT_EQ(r.rc, kExitOk) << r.err;
  std::ifstream in(d.file("context.json"));
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("profile"), "quick");
  EXPECT_EQ(j.at("run_id"), "h-x86_64-20260101T000000Z-42");
  EXPECT_EQ(j.at("benchmark_library").at("name"), "Google Benchmark");
  EXPECT_EQ(j.at("benchmark_library").at("build_type"), "release");
  EXPECT_EQ(j.at("benchmark_library").at("build_type_source"), "c2c.json");
  EXPECT_EQ(j.at("concurrent_activity").at("source"), "activity.jsonl");
  EXPECT_FALSE(j.at("benchmark_library").at("version").get<std::string>().empty());
  const auto& a = j.at("concurrent_activity");
  EXPECT_EQ(a.at("samples"), 2);
  EXPECT_EQ(a.at("sampled"), true);
  EXPECT_EQ(a.at("build_active"), true);
  EXPECT_EQ(a.at("other_syncscope_active"), false);
  EXPECT_EQ(a.at("load1_min"), 1.5);
  EXPECT_EQ(a.at("load1_max"), 2.5);
  ASSERT_EQ(a.at("processes").size(), 1u);
  EXPECT_EQ(a.at("processes")[0].at("comm"), "cc1plus");
  EXPECT_EQ(a.at("processes")[0].at("first_utc"), "2026-01-01T00:00:05Z");
  // Written whole, then renamed: no temporary file is left beside it.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(d.path)) files += e.exists();
  EXPECT_EQ(files, 3);
}

TEST(Hwinfo, ContextWithoutARunSaysSo) {
  const Result r = run({"context"});
  ASSERT_EQ(r.rc, kExitOk) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.at("profile").is_null());
  EXPECT_TRUE(j.at("run_id").is_null());
  EXPECT_EQ(j.at("concurrent_activity").at("sampled"), false);
  EXPECT_TRUE(j.at("concurrent_activity").at("build_active").is_null());
  EXPECT_NE(j.at("benchmark_library").at("build_type").get<std::string>().find("unknown"),
            std::string::npos);
  const Result missing = run({"context", "--activity", "/nonexistent-dir/a.jsonl"});
  EXPECT_EQ(missing.rc, kExitFailure);
  EXPECT_NE(missing.err.find("/nonexistent-dir/a.jsonl"), std::string::npos) << missing.err;
}

TEST(HwinfoActivity, ScanParsesStatAndCmdline) {
  TempDir d;
  auto proc = [&](int pid, const std::string& stat, const std::string& cmdline) {
    const std::string dir = d.file(std::to_string(pid));
    mkdir(dir.c_str(), 0755);
    write(dir + "/stat", stat);
    std::ofstream(dir + "/cmdline", std::ios::binary) << cmdline;
  };
  using namespace std::string_literals;
  proc(1, "1 (init) S 0 1 1", "/sbin/init\0"s);
  proc(10, "10 (run.sh) S 1 10 10", "/bin/bash\0./run.sh\0bench\0"s);
  proc(11, "11 (syncscope_c2c) R 10 11 11", "syncscope_c2c\0--profile=quick\0"s);
  proc(20, "20 (bash) S 1 20 20", "bash\0run.sh\0bench\0"s);
  proc(21, "21 (cc1plus) R 1 21 21", "cc1plus\0a.cc\0"s);
  proc(22, "22 (a (b) c) S 1 22 22", "x\0"s);
  proc(23, "23 (vim) S 1 23 23", "vim\0"s);
  mkdir(d.file("self").c_str(), 0755);  // not a pid: skipped
  const auto all = scan_processes(d.path.string());
  ASSERT_EQ(all.size(), 7u);
  std::map<int, ProcEntry> by_pid;
  for (const auto& p : all) by_pid[p.pid] = p;
  EXPECT_EQ(by_pid[22].comm, "a (b) c");
  EXPECT_EQ(by_pid[22].ppid, 1);
  EXPECT_EQ(by_pid[10].cmd, "/bin/bash ./run.sh bench");
  EXPECT_EQ(activity_kind(by_pid[10]), "syncscope");
  EXPECT_EQ(activity_kind(by_pid[11]), "syncscope");
  EXPECT_EQ(activity_kind(by_pid[20]), "syncscope");
  EXPECT_EQ(activity_kind(by_pid[21]), "build");
  EXPECT_EQ(activity_kind(by_pid[23]), "");
  // Seen from run 10: its suite binary is its own, the other run and the
  // build are not.
  std::vector<int> others;
  for (const auto& p : other_activity(all, 10)) others.push_back(p.pid);
  std::sort(others.begin(), others.end());
  EXPECT_EQ(others, (std::vector<int>{20, 21}));
}

TEST(HwinfoActivity, OneSampleOfThisMachine) {
  const Result r = run({"activity", "--exclude-tree", std::to_string(getpid())});
  ASSERT_EQ(r.rc, kExitOk) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.at("others").is_array());
  for (const auto& o : j.at("others")) EXPECT_NE(o.at("pid"), getpid());
  EXPECT_EQ(lines(r.out), 1);
}

TEST(HwinfoActivity, OtherRunsAreListedBeforeTheCapOnBuilds) {
  std::string lines = R"({"utc": "2026-01-01T00:00:00Z", "load1": 1, "others": [)";
  for (int pid = 100; pid < 160; ++pid)
    lines += R"({"pid": )" + std::to_string(pid) + R"(, "kind": "build", "comm": "cc1plus"},)";
  lines += R"({"pid": 7, "kind": "syncscope", "comm": "run.sh"}]})";
  const auto a = activity_json(lines + "\n", "f");
  EXPECT_EQ(a.at("build_processes"), 60);
  EXPECT_EQ(a.at("other_syncscope_processes"), 1);
  ASSERT_EQ(a.at("processes").size(), 1u + a.at("processes_listed_max").get<size_t>());
  EXPECT_EQ(a.at("processes")[0].at("pid"), 7);
}

TEST(HwinfoActivity, CutLastLineIsCountedNotFatal) {
  const auto a = activity_json(
      "{\"utc\": \"2026-01-01T00:00:00Z\", \"load1\": 1, \"others\": []}\n{\"utc\": \"20", "f");
  EXPECT_EQ(a.at("samples"), 1);
  EXPECT_EQ(a.at("unreadable_lines"), 1);
  EXPECT_EQ(a.at("build_active"), false);
}

}  // namespace
}  // namespace syncscope::hw
