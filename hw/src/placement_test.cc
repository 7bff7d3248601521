// Tests for syncscope/hw/placement.h: every policy on synthetic machines
// (exact mappings and the properties each policy promises), oversubscription,
// unsupported policies, and pinning on this machine.
#include "syncscope/hw/placement.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace syncscope::hw {
namespace {

// 2 packages x 2 L3 domains x 4 cores x 2 SMT = 32 PUs. Core c has PUs c and
// c + 16. Cores 0-3: package 0 L3 0; 4-7: package 0 L3 1; 8-11: package 1
// L3 2; 12-15: package 1 L3 3.
Topology big() { return synthetic_topology(2, 2, 4, 2); }

std::vector<int> plus(std::vector<int> v, int d) {
  for (int& x : v) x += d;
  return v;
}

std::vector<int> slice(const std::vector<int>& v, size_t from, size_t to) {
  return {v.begin() + static_cast<long>(from), v.begin() + static_cast<long>(to)};
}

TEST(PolicyNames, RoundTrip) {
  const std::vector<std::string> expected = {"none", "compact", "scatter", "smt", "cross"};
  EXPECT_EQ(policy_names(), expected);
  for (Policy p : all_policies()) {
    const auto parsed = parse_policy(policy_name(p));
    ASSERT_TRUE(parsed.has_value()) << policy_name(p);
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_FALSE(parse_policy("Compact").has_value());
  EXPECT_FALSE(parse_policy("").has_value());
  EXPECT_FALSE(parse_policy("spread").has_value());
}

TEST(PusToString, Formats) {
  EXPECT_EQ(pus_to_string({0, 1, 0, 1}), "0,1,0,1");
  EXPECT_EQ(pus_to_string({}), "");
  EXPECT_EQ(pus_to_string({-1, -1}), "-1,-1");
}

TEST(Placement, NoneIsUnpinned) {
  const Placement p = plan_placement(Policy::kNone, 5, big());
  EXPECT_TRUE(p.honoured);
  EXPECT_EQ(p.reason, "");
  EXPECT_EQ(p.pus, std::vector<int>(5, -1));
}

TEST(Placement, CompactFillsSiblingsThenCoresThenL3) {
  const Topology t = big();
  const Placement p = plan_placement(Policy::kCompact, 32, t);
  ASSERT_TRUE(p.honoured);
  EXPECT_EQ(p.reason, "");
  std::vector<int> expected;
  for (int c = 0; c < 16; ++c) {
    expected.push_back(c);
    expected.push_back(c + 16);
  }
  EXPECT_EQ(p.pus, expected);
  EXPECT_EQ(distance_class(p.pus[0], p.pus[1], t), "smt_sibling");
  EXPECT_EQ(distance_class(p.pus[1], p.pus[2], t), "same_l3");
  EXPECT_EQ(distance_class(p.pus[7], p.pus[8], t), "same_package");   // L3 0 -> L3 1
  EXPECT_EQ(distance_class(p.pus[15], p.pus[16], t), "cross_package");
}

TEST(Placement, ScatterSpreadsPackagesThenL3ThenCoresSmtLast) {
  const Topology t = big();
  const Placement p = plan_placement(Policy::kScatter, 32, t);
  ASSERT_TRUE(p.honoured);
  const std::vector<int> rank0 = {0, 8, 4, 12, 1, 9, 5, 13, 2, 10, 6, 14, 3, 11, 7, 15};
  EXPECT_EQ(slice(p.pus, 0, 16), rank0);
  EXPECT_EQ(slice(p.pus, 16, 32), plus(rank0, 16)) << "SMT siblings come last";
  // Properties: consecutive threads in different packages; the first four
  // threads cover all four L3 domains; the first 16 use 16 distinct cores.
  for (size_t i = 0; i + 1 < p.pus.size(); ++i)
    EXPECT_EQ(distance_class(p.pus[i], p.pus[i + 1], t), "cross_package") << i;
  std::set<int> l3s, cores;
  for (size_t i = 0; i < 4; ++i) l3s.insert(t.find_pu(p.pus[i])->l3);
  for (size_t i = 0; i < 16; ++i) cores.insert(t.find_pu(p.pus[i])->core);
  EXPECT_EQ(l3s.size(), 4u);
  EXPECT_EQ(cores.size(), 16u);
}

TEST(Placement, SmtPutsPairsOnSiblings) {
  const Topology t = big();
  const Placement p = plan_placement(Policy::kSmt, 8, t);
  ASSERT_TRUE(p.honoured);
  EXPECT_EQ(p.reason, "");
  EXPECT_EQ(p.pus, (std::vector<int>{0, 16, 1, 17, 2, 18, 3, 19}));
  std::set<int> cores;
  for (size_t k = 0; k + 1 < p.pus.size(); k += 2) {
    EXPECT_EQ(distance_class(p.pus[k], p.pus[k + 1], t), "smt_sibling") << k;
    cores.insert(t.find_pu(p.pus[k])->core);
  }
  EXPECT_EQ(cores.size(), 4u) << "each pair on its own core";
}

TEST(Placement, SmtUsesOnlySmtCoresOnMixedMachines) {
  // A hybrid-like machine: cores 0 and 2 have two PUs, core 1 has one.
  Topology t;
  t.source = "test";
  t.packages = t.numa_nodes = t.l3_domains = 1;
  t.cores = {Core{0, 0, 0, {0, 1}}, Core{1, 0, 0, {2}}, Core{2, 0, 0, {3, 4}}};
  t.pus = {Pu{0, 0, 0, 0, 0, 0}, Pu{1, 1, 0, 0, 0, 0}, Pu{2, 2, 1, 0, 0, 0},
           Pu{3, 3, 2, 0, 0, 0}, Pu{4, 4, 2, 0, 0, 0}};
  ASSERT_EQ(t.validate(), "");
  EXPECT_EQ(plan_placement(Policy::kSmt, 4, t).pus, (std::vector<int>{0, 1, 3, 4}));
  EXPECT_EQ(plan_placement(Policy::kCompact, 5, t).pus, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(plan_placement(Policy::kScatter, 5, t).pus, (std::vector<int>{0, 2, 3, 1, 4}));
}

TEST(Placement, SmtFourWayCoresGiveSecondPairsLast) {
  const Topology t = synthetic_topology(1, 1, 2, 4);  // core c: PUs c, c+2, c+4, c+6
  const Placement p = plan_placement(Policy::kSmt, 8, t);
  ASSERT_TRUE(p.honoured);
  EXPECT_EQ(p.pus, (std::vector<int>{0, 2, 1, 3, 4, 6, 5, 7}));
}

TEST(Placement, CrossAlternatesPackages) {
  const Topology t = big();
  const Placement p = plan_placement(Policy::kCross, 32, t);
  ASSERT_TRUE(p.honoured);
  EXPECT_EQ(p.reason, "");
  std::set<int> all(p.pus.begin(), p.pus.end());
  EXPECT_EQ(all.size(), 32u) << "every PU once";
  for (size_t i = 0; i + 1 < p.pus.size(); ++i)
    EXPECT_EQ(distance_class(p.pus[i], p.pus[i + 1], t), "cross_package") << i;
  // Within a package, its threads are spread like scatter: different cores
  // before SMT siblings.
  std::set<int> cores;
  for (size_t i = 0; i < 16; ++i) cores.insert(t.find_pu(p.pus[i])->core);
  EXPECT_EQ(cores.size(), 16u);
}

TEST(Placement, CrossAlternatesNumaNodesInOnePackage) {
  const Topology t = synthetic_topology(1, 2, 2, 1, 2);  // sub-NUMA clustering
  const Support s = policy_support(Policy::kCross, t);
  EXPECT_TRUE(s.honoured) << s.reason;
  const Placement p = plan_placement(Policy::kCross, 4, t);
  ASSERT_TRUE(p.honoured);
  EXPECT_EQ(p.pus, (std::vector<int>{0, 2, 1, 3}));
  for (size_t i = 0; i + 1 < p.pus.size(); ++i)
    EXPECT_EQ(distance_class(p.pus[i], p.pus[i + 1], t), "cross_numa") << i;
}

TEST(Placement, CrossPrefersPackagesOverNumaNodes) {
  // 2 packages x 2 NUMA nodes: consecutive threads always change package.
  const Topology t = synthetic_topology(2, 2, 2, 1, 2);
  const Placement p = plan_placement(Policy::kCross, 8, t);
  ASSERT_TRUE(p.honoured);
  for (size_t i = 0; i + 1 < p.pus.size(); ++i)
    EXPECT_EQ(distance_class(p.pus[i], p.pus[i + 1], t), "cross_package") << i;
  std::set<int> numas;
  for (size_t i = 0; i < 4; ++i) numas.insert(t.find_pu(p.pus[i])->numa);
  EXPECT_EQ(numas.size(), 4u) << "the first four threads reach all four NUMA nodes";
}

TEST(Placement, OversubscriptionWrapsAndSaysSo) {
  const Topology t = synthetic_topology(1, 1, 2, 1);  // 2 PUs
  for (Policy pol : {Policy::kCompact, Policy::kScatter}) {
    const Placement p = plan_placement(pol, 5, t);
    ASSERT_TRUE(p.honoured) << policy_name(pol);
    EXPECT_EQ(p.pus, (std::vector<int>{0, 1, 0, 1, 0})) << policy_name(pol);
    EXPECT_NE(p.reason.find("oversubscribed"), std::string::npos) << p.reason;
    EXPECT_NE(p.reason.find("5 threads on 2 PUs"), std::string::npos) << p.reason;
  }
  const Topology smt = synthetic_topology(1, 1, 3, 2);  // 3 sibling pairs
  const Placement p = plan_placement(Policy::kSmt, 7, smt);
  ASSERT_TRUE(p.honoured);
  EXPECT_EQ(p.pus, (std::vector<int>{0, 3, 1, 4, 2, 5, 0}));
  EXPECT_NE(p.reason.find("oversubscribed"), std::string::npos) << p.reason;
  const Placement exact = plan_placement(Policy::kSmt, 6, smt);
  EXPECT_EQ(exact.reason, "") << "6 threads fit 3 pairs exactly";
}

TEST(Placement, UnsupportedPoliciesAreNeverSubstituted) {
  const Topology t = synthetic_topology(1, 1, 4, 1);  // no SMT, one package, one NUMA node
  const Support smt = policy_support(Policy::kSmt, t);
  EXPECT_FALSE(smt.honoured);
  EXPECT_EQ(smt.reason, "no SMT: each core has one PU");
  const Support cross = policy_support(Policy::kCross, t);
  EXPECT_FALSE(cross.honoured);
  EXPECT_EQ(cross.reason, "one package and one NUMA node: nothing to cross");
  for (Policy pol : {Policy::kSmt, Policy::kCross}) {
    const Placement p = plan_placement(pol, 3, t);
    EXPECT_EQ(p.policy, pol);
    EXPECT_FALSE(p.honoured) << policy_name(pol);
    EXPECT_EQ(p.reason, policy_support(pol, t).reason);
    EXPECT_EQ(p.pus.size(), 3u) << "best-effort list, for information";
    EXPECT_TRUE(policy_order(pol, t).empty());
  }
  for (Policy pol : {Policy::kNone, Policy::kCompact, Policy::kScatter}) {
    const Support s = policy_support(pol, t);
    EXPECT_TRUE(s.honoured) << policy_name(pol);
    EXPECT_FALSE(s.reason.empty()) << "honoured policies describe themselves";
  }
}

TEST(Placement, InvalidThreadCount) {
  for (int n : {0, -3}) {
    const Placement p = plan_placement(Policy::kCompact, n, big());
    EXPECT_FALSE(p.honoured);
    EXPECT_TRUE(p.pus.empty());
    EXPECT_NE(p.reason.find("nthreads"), std::string::npos) << p.reason;
  }
}

TEST(Placement, EmptyTopologySupportsNothing) {
  const Topology empty;
  for (Policy pol : all_policies()) {
    EXPECT_FALSE(policy_support(pol, empty).honoured) << policy_name(pol);
    EXPECT_FALSE(plan_placement(pol, 2, empty).honoured) << policy_name(pol);
  }
}

// The label and the refusal every suite writes: exact texts, since the
// plots and readers of the JSON parse them.
TEST(PlacementRecord, LabelRefusalAndPuFor) {
  const Topology t = synthetic_topology(1, 1, 2, 1);  // 2 PUs, no SMT
  const Placement none = plan_placement(Policy::kNone, 3, t);
  EXPECT_EQ(none.label(), "placement=none;pus=unpinned");
  EXPECT_EQ(none.pu_for(0), -1);
  EXPECT_EQ(none.pu_for(7), -1);

  const Placement compact = plan_placement(Policy::kCompact, 2, t);
  EXPECT_EQ(compact.label(), "placement=compact;pus=0,1");
  EXPECT_EQ(compact.pu_for(0), 0);
  EXPECT_EQ(compact.pu_for(1), 1);
  EXPECT_EQ(compact.pu_for(2), 0) << "wraps around like the plan";

  const Placement over = plan_placement(Policy::kScatter, 3, t);
  EXPECT_EQ(over.label(), "placement=scatter;pus=0,1,0;note=" + over.reason);
  EXPECT_NE(over.reason.find("oversubscribed"), std::string::npos) << over.reason;

  const Placement smt = plan_placement(Policy::kSmt, 2, t);
  ASSERT_FALSE(smt.honoured);
  EXPECT_EQ(smt.refusal(),
            "placement 'smt' not honoured on this machine: no SMT: each core has one PU");

  EXPECT_EQ(unpinned_placement(2, "one usable PU").label(),
            "placement=none;pus=unpinned;note=one usable PU");
  EXPECT_EQ(unpinned_placement(4).label(), "placement=none;pus=unpinned");
  EXPECT_TRUE(unpinned_placement(4).honoured);
  EXPECT_EQ(unpinned_placement(4).pu_for(3), -1);

  const Placement empty;  // no PUs planned at all
  EXPECT_EQ(empty.pu_for(0), -1);
}

TEST(DistanceClass, EveryClass) {
  const Topology t = big();
  EXPECT_EQ(distance_class(3, 3, t), "same_pu");
  EXPECT_EQ(distance_class(3, 19, t), "smt_sibling");
  EXPECT_EQ(distance_class(0, 1, t), "same_l3");
  EXPECT_EQ(distance_class(0, 4, t), "same_package");
  EXPECT_EQ(distance_class(0, 8, t), "cross_package");
  EXPECT_EQ(distance_class(0, -1, t), "unknown");
  EXPECT_EQ(distance_class(0, 99, t), "unknown");
  const Topology snc = synthetic_topology(1, 2, 2, 1, 2);
  EXPECT_EQ(distance_class(0, 2, snc), "cross_numa");
}

// --- This machine ----------------------------------------------------------

TEST(PlacementHere, SupportMatchesTheTopology) {
  const Topology& t = topology();
  SCOPED_TRACE(t.summary());
  EXPECT_TRUE(policy_support(Policy::kNone).honoured);
  EXPECT_TRUE(policy_support(Policy::kCompact).honoured);
  EXPECT_TRUE(policy_support(Policy::kScatter).honoured);
  const Support smt = policy_support(Policy::kSmt);
  EXPECT_EQ(smt.honoured, t.has_smt());
  if (!t.has_smt()) {
    EXPECT_EQ(smt.reason, "no SMT: each core has one PU");
  }
  const Support cross = policy_support(Policy::kCross);
  if (t.packages == 1 && t.numa_nodes == 1) {
    EXPECT_FALSE(cross.honoured);
    EXPECT_EQ(cross.reason, "one package and one NUMA node: nothing to cross");
  }
}

TEST(PlacementHere, PlansUseRealPus) {
  const Topology& t = topology();
  const int n = static_cast<int>(t.pus.size()) + 1;
  for (Policy pol : all_policies()) {
    const Placement p = plan_placement(pol, n);
    EXPECT_EQ(p.honoured, policy_support(pol).honoured) << policy_name(pol);
    ASSERT_EQ(p.pus.size(), static_cast<size_t>(n)) << policy_name(pol);
    for (int pu : p.pus) {
      if (pol == Policy::kNone) {
        EXPECT_EQ(pu, -1);
      } else {
        EXPECT_NE(t.find_pu(pu), nullptr) << policy_name(pol) << " PU " << pu;
      }
    }
    if (p.honoured && pol != Policy::kNone) {
      EXPECT_NE(p.reason.find("oversubscribed"), std::string::npos) << p.reason;
    }
  }
}

TEST(Pinning, MovesTheThreadToEachPu) {
  const Topology& t = topology();
  std::vector<std::string> failures;
  // A fresh thread, so the test runner's own affinity is left alone.
  std::thread worker([&] {
    for (const Pu& p : t.pus) {
      if (!pin_current_thread(p.os_index)) {
        failures.push_back("pin to " + std::to_string(p.os_index) + " refused");
        continue;
      }
      const int now = current_pu();
      if (now != p.os_index)
        failures.push_back("pinned to " + std::to_string(p.os_index) + " but on " +
                           std::to_string(now));
      if (sched_getcpu() != now) failures.push_back("current_pu disagrees with sched_getcpu");
    }
  });
  worker.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
}

TEST(Pinning, NoOpAndInvalidPus) {
  std::thread worker([] {
    cpu_set_t before, after;
    CPU_ZERO(&before);
    CPU_ZERO(&after);
    ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
    EXPECT_TRUE(pin_current_thread(-1));
    ASSERT_EQ(sched_getaffinity(0, sizeof after, &after), 0);
    EXPECT_TRUE(CPU_EQUAL(&before, &after)) << "-1 must leave the affinity alone";
    EXPECT_FALSE(pin_current_thread(-2));
    EXPECT_FALSE(pin_current_thread(1 << 20));
    // A PU number that does not exist here (beyond every PU) is refused.
    int beyond = 0;
    for (const Pu& p : topology().pus) beyond = std::max(beyond, p.os_index + 1);
    EXPECT_FALSE(pin_current_thread(beyond + 4096));
    ASSERT_EQ(sched_getaffinity(0, sizeof after, &after), 0);
    EXPECT_TRUE(CPU_EQUAL(&before, &after)) << "a refused pin must change nothing";
  });
  worker.join();
}

}  // namespace
}  // namespace syncscope::hw
