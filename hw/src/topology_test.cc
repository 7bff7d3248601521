// Tests for syncscope/hw/topology.h: this machine's topology is coherent,
// and synthetic topologies have the documented shape.
#include "syncscope/hw/topology.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace syncscope::hw {
namespace {

bool is_power_of_two(int v) { return v > 0 && (v & (v - 1)) == 0; }

// Runs first in its own process (CTest runs each test case separately), so
// the threads race on the first load.
TEST(Topology, ConcurrentFirstUseSeesOneObject) {
  constexpr int kThreads = 4;
  std::vector<const Topology*> seen(kThreads, nullptr);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&seen, i] { seen[static_cast<size_t>(i)] = &topology(); });
  for (auto& t : threads) t.join();
  for (const Topology* t : seen) EXPECT_EQ(t, &topology());
}

TEST(Topology, ThisMachineIsCoherent) {
  const Topology& t = topology();
  SCOPED_TRACE(t.summary() + " [" + t.source + "]");
  ASSERT_GE(t.pus.size(), 1u);
  ASSERT_GE(t.cores.size(), 1u);
  EXPECT_GE(t.packages, 1);
  EXPECT_GE(t.numa_nodes, 1);
  EXPECT_GE(t.l3_domains, 1);
  EXPECT_EQ(t.validate(), "");
  EXPECT_TRUE(is_power_of_two(t.line_size)) << t.line_size;
  for (const Pu& p : t.pus) {
    ASSERT_GE(p.core, 0);
    ASSERT_LT(p.core, static_cast<int>(t.cores.size())) << "PU " << p.os_index;
    const Core& c = t.cores[static_cast<size_t>(p.core)];
    EXPECT_NE(std::find(c.pus.begin(), c.pus.end(), p.os_index), c.pus.end());
    EXPECT_EQ(t.find_pu(p.os_index), &p);
  }
  for (const CacheLevel& c : t.caches) {
    EXPECT_GE(c.level, 1);
    EXPECT_GE(c.count, 1);
    EXPECT_TRUE(c.line_size == 0 || is_power_of_two(c.line_size)) << c.line_size;
    EXPECT_TRUE(c.type == "data" || c.type == "instruction" || c.type == "unified") << c.type;
  }
  EXPECT_GE(t.max_pus_per_core(), 1);
  EXPECT_EQ(t.find_pu(-1), nullptr);
}

TEST(Topology, EveryCpuWeMayRunOnIsAPu) {
  const Topology& t = topology();
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) {
      EXPECT_NE(t.find_pu(cpu), nullptr) << "CPU " << cpu;
    }
  }
}

TEST(Topology, ReloadGivesTheSameMachine) {
  const Topology fresh = load_topology();
  const Topology& cached = topology();
  ASSERT_EQ(fresh.pus.size(), cached.pus.size());
  for (size_t i = 0; i < fresh.pus.size(); ++i) {
    EXPECT_EQ(fresh.pus[i].os_index, cached.pus[i].os_index);
    EXPECT_EQ(fresh.pus[i].core, cached.pus[i].core);
  }
  EXPECT_EQ(fresh.summary(), cached.summary());
}

TEST(Topology, SyntheticHasTheRequestedShape) {
  const Topology t = synthetic_topology(2, 2, 4, 2);
  EXPECT_EQ(t.validate(), "");
  EXPECT_EQ(t.packages, 2);
  EXPECT_EQ(t.l3_domains, 4);
  EXPECT_EQ(t.numa_nodes, 2);
  EXPECT_EQ(t.cores.size(), 16u);
  EXPECT_EQ(t.pus.size(), 32u);
  EXPECT_TRUE(t.has_smt());
  EXPECT_EQ(t.max_pus_per_core(), 2);
  // Linux-style numbering: the siblings of core c are c and c + 16.
  EXPECT_EQ(t.cores[5].pus, (std::vector<int>{5, 21}));
  EXPECT_EQ(t.find_pu(21)->core, 5);
  EXPECT_EQ(t.find_pu(21)->l3, 1);
  EXPECT_EQ(t.find_pu(9)->package, 1);
  EXPECT_EQ(t.summary(),
            "2 packages, 2 NUMA nodes, 4 L3 domains, 16 cores, 32 PUs (SMT, up to 2 PUs per core)");
}

TEST(Topology, SyntheticNumaSplitsPackages) {
  const Topology t = synthetic_topology(1, 4, 2, 1, 2);
  EXPECT_EQ(t.validate(), "");
  EXPECT_EQ(t.numa_nodes, 2);
  EXPECT_EQ(t.find_pu(0)->numa, 0);
  EXPECT_EQ(t.find_pu(3)->numa, 0);  // L3 domain 1
  EXPECT_EQ(t.find_pu(4)->numa, 1);  // L3 domain 2
  EXPECT_FALSE(t.has_smt());
  EXPECT_EQ(t.summary(), "1 package, 2 NUMA nodes, 4 L3 domains, 8 cores, 8 PUs (no SMT)");
}

TEST(Topology, SyntheticRejectsBadShapes) {
  EXPECT_THROW(synthetic_topology(0, 1, 1, 1), std::invalid_argument);
  EXPECT_THROW(synthetic_topology(1, 3, 1, 1, 2), std::invalid_argument);
}

TEST(Topology, ValidateCatchesBrokenInvariants) {
  Topology t = synthetic_topology(1, 1, 2, 2);
  ASSERT_EQ(t.validate(), "");
  Topology dup = t;
  dup.pus[1].os_index = dup.pus[0].os_index;
  EXPECT_NE(dup.validate(), "");
  Topology bad_core = t;
  bad_core.pus[0].core = 7;
  EXPECT_NE(bad_core.validate(), "");
  Topology bad_pkg = t;
  bad_pkg.pus[0].package = 3;
  EXPECT_NE(bad_pkg.validate(), "");
}

}  // namespace
}  // namespace syncscope::hw
