#include "common/harness.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace syncscope::suites {
namespace {

std::string parse(std::vector<std::string> args, SuiteOptions* o, int* left = nullptr) {
  args.insert(args.begin(), "suite");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  std::string err = parse_suite_flags(&argc, argv.data(), o);
  if (left) *left = argc;
  return err;
}

TEST(SuiteFlags, Defaults) {
  SuiteOptions o;
  EXPECT_EQ(parse({}, &o), "");
  EXPECT_EQ(o.profile, Profile::kQuick);
  EXPECT_EQ(o.placements.size(), hw::policy_names().size());
  EXPECT_TRUE(o.threads.empty());
}

TEST(SuiteFlags, ParsesAndLeavesBenchmarkFlags) {
  SuiteOptions o;
  int left = 0;
  EXPECT_EQ(parse({"--profile=full", "--benchmark_filter=x", "--placement=scatter,none,scatter",
                   "--threads=4,1,4"},
                  &o, &left),
            "");
  EXPECT_EQ(o.profile, Profile::kFull);
  ASSERT_EQ(o.placements.size(), 2u);
  EXPECT_EQ(o.placements[0], hw::Policy::kScatter);
  EXPECT_EQ(o.placements[1], hw::Policy::kNone);
  EXPECT_EQ(o.threads, (std::vector<int>{1, 4}));
  EXPECT_EQ(left, 2);  // program name + --benchmark_filter
}

TEST(SuiteFlags, BadValuesNameTheValueAndTheValidOnes) {
  SuiteOptions o;
  std::string e = parse({"--profile=medium"}, &o);
  EXPECT_NE(e.find("'medium'"), std::string::npos);
  EXPECT_NE(e.find("quick, full"), std::string::npos);
  e = parse({"--placement=diagonal"}, &o);
  EXPECT_NE(e.find("'diagonal'"), std::string::npos);
  EXPECT_NE(e.find("scatter"), std::string::npos);
  e = parse({"--threads=2,zero"}, &o);
  EXPECT_NE(e.find("'zero'"), std::string::npos);
  EXPECT_NE(parse({"--threads=0"}, &o), "");
}

TEST(SuiteFlags, BenchName) {
  EXPECT_EQ(bench_name("atomics_latency", {{"op", "fetch_add"}, {"path", "x86_64"}}),
            "atomics_latency/op:fetch_add/path:x86_64");
  EXPECT_EQ(bench_name("f", {}), "f");
}

bool interleaved(std::vector<std::string> args) {
  args.insert(args.begin(), "suite");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return random_interleaving_on(static_cast<int>(argv.size()), argv.data());
}

TEST(SuiteFlags, RandomInterleavingReadAsGoogleBenchmarkReadsABoolFlag) {
  EXPECT_FALSE(interleaved({}));
  EXPECT_FALSE(interleaved({"--benchmark_enable_random_interleaving=false"}));
  EXPECT_TRUE(interleaved({"--benchmark_enable_random_interleaving=true"}));
  EXPECT_TRUE(interleaved({"--benchmark_enable_random_interleaving"}));
  EXPECT_TRUE(interleaved({"--benchmark_enable_random_interleaving=1"}));
  EXPECT_FALSE(interleaved({"--benchmark_enable_random_interleaving=0"}));
  EXPECT_FALSE(interleaved({"--benchmark_enable_random_interleaving=OFF"}));
  EXPECT_FALSE(interleaved({"--benchmark_enable_random_interleaving=N"}));
  // The last one wins (the harness puts its default first).
  EXPECT_TRUE(interleaved({"--benchmark_enable_random_interleaving=false",
                           "--benchmark_enable_random_interleaving=yes"}));
  EXPECT_FALSE(interleaved({"--benchmark_enable_random_interleaving=true",
                            "--benchmark_enable_random_interleaving=no"}));
  EXPECT_FALSE(interleaved({"--benchmark_enable_random_interleavingX=true"}));
}

TEST(SuiteFlags, AnyBoolFlagReadTheSameWay) {
  std::vector<std::string> args = {"suite", "--benchmark_report_aggregates_only",
                                   "--benchmark_enable_random_interleaving=no"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  const int argc = static_cast<int>(argv.size());
  EXPECT_TRUE(bool_flag_on(argc, argv.data(), "--benchmark_report_aggregates_only"));
  EXPECT_FALSE(bool_flag_on(argc, argv.data(), "--benchmark_enable_random_interleaving"));
  EXPECT_FALSE(bool_flag_on(argc, argv.data(), "--benchmark_display_aggregates_only"));
}

}  // namespace
}  // namespace syncscope::suites
