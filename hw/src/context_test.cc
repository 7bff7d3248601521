// Tests for syncscope/hw/context.h: context_json() has exactly the keys
// hw/README.md documents (both directions), with sane values.
#include "syncscope/hw/context.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace syncscope::hw {
namespace {

using nlohmann::json;

// The key paths of the README's schema table: rows "| `a.b[].c` | ...",
// after the "## context.json schema" heading.
std::vector<std::string> documented_keys() {
  std::ifstream in(SYNCSCOPE_HW_README);
  EXPECT_TRUE(in) << "cannot read " << SYNCSCOPE_HW_README;
  std::vector<std::string> keys;
  const std::regex row(R"(^\| `([a-z0-9_.\[\]]+)` \|)");
  bool in_schema = false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0)
      in_schema = line.find("context.json schema") != std::string::npos;
    std::smatch m;
    if (in_schema && std::regex_search(line, m, row)) keys.push_back(m[1]);
  }
  return keys;
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(path.substr(start, dot - start));
  parts.push_back(path.substr(start));
  return parts;
}

// Empty if `path` (a.b[].c) exists in j; for "x[]" every element of array x
// must have the rest of the path. Otherwise the first missing piece.
std::string find_path(const json& j, const std::vector<std::string>& parts, size_t i,
                      const std::string& where) {
  if (i == parts.size()) return {};
  std::string key = parts[i];
  const bool each = key.size() > 2 && key.compare(key.size() - 2, 2, "[]") == 0;
  if (each) key.resize(key.size() - 2);
  if (!j.is_object() || !j.contains(key)) return where + key + " missing";
  const json& v = j.at(key);
  if (!each) return find_path(v, parts, i + 1, where + key + ".");
  if (!v.is_array()) return where + key + " is not an array";
  for (const json& e : v)
    if (std::string err = find_path(e, parts, i + 1, where + key + "[]."); !err.empty())
      return err;
  return {};
}

// Every key path present in j, arrays written as "x[]", the policies'
// entries folded onto placement.none (the README documents them once).
void collect_paths(const json& j, const std::string& prefix, std::set<std::string>& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      std::string path = prefix.empty() ? it.key() : prefix + "." + it.key();
      out.insert(path);
      std::string child = path;
      if (prefix == "placement") child = "placement.none";
      collect_paths(it.value(), child, out);
    }
  } else if (j.is_array()) {
    for (const json& e : j)
      if (e.is_object()) collect_paths(e, prefix + "[]", out);
  }
}

TEST(Context, EveryDocumentedKeyIsPresent) {
  const auto keys = documented_keys();
  ASSERT_GT(keys.size(), 50u) << "README schema table not found or truncated";
  const json ctx = context_json();
  for (const std::string& k : keys) EXPECT_EQ(find_path(ctx, split(k), 0, ""), "") << k;
}

TEST(Context, EveryPresentKeyIsDocumented) {
  const auto doc = documented_keys();
  const std::set<std::string> documented(doc.begin(), doc.end());
  std::set<std::string> present;
  collect_paths(context_json(), "", present);
  for (const std::string& p : present) EXPECT_TRUE(documented.count(p)) << p << " undocumented";
}

TEST(Context, TopLevelKeysAreTheListedOnes) {
  const json ctx = context_json();
  std::set<std::string> top;
  for (auto it = ctx.begin(); it != ctx.end(); ++it) top.insert(it.key());
  const auto listed = context_keys();
  EXPECT_EQ(top, std::set<std::string>(listed.begin(), listed.end()));
}

TEST(Context, ValuesAreSane) {
  const json ctx = context_json();
  EXPECT_EQ(ctx.at("schema_version"), kContextSchemaVersion);
  EXPECT_FALSE(ctx.at("host").get<std::string>().empty());
  EXPECT_EQ(ctx.at("kernel").at("sysname"), "Linux");
  EXPECT_EQ(ctx.at("arch"), cpu_features().arch);
  EXPECT_EQ(ctx.at("cpu_model"), cpu_features().model_name());
  EXPECT_FALSE(ctx.at("git_revision").get<std::string>().empty());
  EXPECT_FALSE(ctx.at("syncscope_version").get<std::string>().empty());
  const json& comp = ctx.at("compiler");
  EXPECT_FALSE(comp.at("id").get<std::string>().empty());
  EXPECT_FALSE(comp.at("version").get<std::string>().empty());
  const std::string san = comp.at("sanitizer");
  EXPECT_TRUE(san == "none" || san == "thread" || san == "address") << san;
#if defined(SYNCSCOPE_TSAN)
  EXPECT_EQ(san, "thread");
#endif
  const std::string gen = ctx.at("generated_utc");
  EXPECT_TRUE(std::regex_match(gen, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << gen;
  const json& paranoid = ctx.at("perf_event_paranoid");
  EXPECT_TRUE(paranoid.is_null() || paranoid.is_number_integer());
  const json& paths = ctx.at("atomic_paths").at("available");
  ASSERT_TRUE(paths.is_array());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "portable"), paths.end());

  const Topology& t = topology();
  const json& topo = ctx.at("topology");
  EXPECT_EQ(topo.at("pu_count"), t.pus.size());
  EXPECT_EQ(topo.at("pus").size(), t.pus.size());
  EXPECT_EQ(topo.at("core_count"), t.cores.size());
  EXPECT_EQ(topo.at("cores").size(), t.cores.size());

  for (Policy p : all_policies()) {
    const json& entry = ctx.at("placement").at(policy_name(p));
    EXPECT_EQ(entry.at("honoured"), policy_support(p).honoured) << policy_name(p);
    EXPECT_EQ(entry.at("reason"), policy_support(p).reason) << policy_name(p);
  }
  const json& counters = ctx.at("counters");
  EXPECT_EQ(counters.at("available"), counters_status().available);
  EXPECT_EQ(counters.at("reason"), counters_status().reason);
  if (!counters.at("available").get<bool>()) {
    EXPECT_FALSE(counters.at("reason").get<std::string>().empty());
  }
}

TEST(Context, SurvivesARoundTrip) {
  const json ctx = context_json();
  const json back = json::parse(ctx.dump(2));
  EXPECT_EQ(back.at("topology"), ctx.at("topology"));
  EXPECT_EQ(back.at("cpu_features"), ctx.at("cpu_features"));
}

TEST(Context, PlacementJsonRecordsThePlan) {
  const Placement p = plan_placement(Policy::kCompact, 3, synthetic_topology(1, 1, 2, 1));
  const json j = placement_json(p);
  EXPECT_EQ(j.at("policy"), "compact");
  EXPECT_EQ(j.at("honoured"), true);
  EXPECT_EQ(j.at("pus"), json::array({0, 1, 0}));
  EXPECT_NE(j.at("reason").get<std::string>().find("oversubscribed"), std::string::npos);
}

TEST(Context, BuildInfoIsBakedIn) {
  const BuildInfo& b = build_info();
  EXPECT_NE(b.compiler_id, "unknown");
  EXPECT_NE(b.compiler_version, "unknown");
  EXPECT_FALSE(b.git_revision.empty());
  EXPECT_FALSE(b.sanitizer.empty());
}

}  // namespace
}  // namespace syncscope::hw
