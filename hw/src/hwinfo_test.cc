// Tests for the syncscope-hwinfo command logic (hwinfo.h), driven with
// string streams. The installed binary's exit codes are checked by the
// hwinfo_bad_usage CTest script.
#include "hwinfo.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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
  EXPECT_NE(policy.err.find("none, compact, scatter, smt, cross"), std::string::npos)
      << policy.err;
}

}  // namespace
}  // namespace syncscope::hw
