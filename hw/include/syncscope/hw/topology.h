// syncscope/hw/topology.h — the machine's processing units and caches.
//
// Offers:
//   struct Pu, Core, CacheLevel, Topology   plain data, no hwloc types
//   const Topology& topology()               this machine, loaded once via hwloc
//   Topology load_topology()                 load now (uncached)
//   Topology synthetic_topology(...)         a regular machine made up for tests
//                                            and for planning on paper
//
// Vocabulary (hwloc's):
//   PU        processing unit: one hardware thread, what the OS calls a CPU.
//             Identified by its OS index (the number sched_setaffinity and
//             sched_getcpu use) and by hwloc's logical index (0..n-1 in
//             topology order: PUs of one core are consecutive, cores of one
//             cache are consecutive, and so on).
//   core      a physical core; its PUs are SMT siblings (hyper-threads).
//   L3 domain the PUs sharing one last-level (L3) cache. A machine without an
//             L3 counts each package as one domain.
//   package   a socket.
//   NUMA node a memory node; each PU belongs to the node its nodeset names
//             first.
// Every index in these structs other than Pu::os_index is a dense logical
// index starting at 0, so the structs can be indexed with them.
//
// Invariants of a Topology t (checked by validate()):
//   - t.pus is ordered by logical_index, and t.pus[i].logical_index == i;
//   - t.cores[c].index == c; every PU's core lists that PU's OS index, in
//     logical order; every core has at least one PU;
//   - 0 <= package < packages, 0 <= l3 < l3_domains, 0 <= numa < numa_nodes;
//     all PUs of a core share its package and L3 domain;
//   - OS indices are unique.
//
// Only the PUs this process is allowed to run on are listed (hwloc's default
// for restricted cpusets, e.g. a container's cgroup).
//
// Thread safety: topology() is safe from any thread (loaded once, on first
// use, by a function-local static). Topology is a plain value afterwards.
//
// Memory ordering: the load happens-before every return of topology() (the
// function-local static's guarantee); the cached value is never written
// again, so readers need no further synchronisation.
#ifndef SYNCSCOPE_HW_TOPOLOGY_H_
#define SYNCSCOPE_HW_TOPOLOGY_H_

#include <cstdint>
#include <string>
#include <vector>

namespace syncscope::hw {

struct Pu {
  int os_index = 0;       // OS CPU number (sched_setaffinity / sched_getcpu)
  int logical_index = 0;  // hwloc logical index == position in Topology::pus
  int core = 0;           // index into Topology::cores
  int l3 = 0;             // L3 domain, 0 <= l3 < Topology::l3_domains
  int package = 0;        // 0 <= package < Topology::packages
  int numa = 0;           // 0 <= numa < Topology::numa_nodes (logical index)
};

struct Core {
  int index = 0;          // == position in Topology::cores
  int package = 0;
  int l3 = 0;
  std::vector<int> pus;   // OS indices of its PUs (SMT siblings), logical order
};

struct CacheLevel {
  int level = 0;                  // 1, 2, 3, ...
  std::string type;               // "data", "instruction" or "unified"
  std::uint64_t size_bytes = 0;   // size of the first instance
  int line_size = 0;              // bytes; 0 when the OS does not say
  int count = 0;                  // instances in the machine
};

struct Topology {
  std::string source;     // "hwloc 2.9.0", "synthetic ...", or the fallback's reason
  int packages = 0;
  int numa_nodes = 0;
  int l3_domains = 0;
  std::vector<Core> cores;
  std::vector<Pu> pus;
  std::vector<CacheLevel> caches;  // ordered by level, data before instruction
  int line_size = 64;              // L1 data cache line size in bytes

  // The PU with this OS index, or nullptr.
  const Pu* find_pu(int os_index) const;
  // The largest number of PUs on one core (1: no SMT).
  int max_pus_per_core() const;
  // True when some core has two or more PUs.
  bool has_smt() const { return max_pus_per_core() >= 2; }
  // Empty when every invariant above holds, otherwise the first violation.
  std::string validate() const;
  // One line, e.g. "1 package, 1 NUMA node, 1 L3 domain, 2 cores, 2 PUs (no SMT)".
  std::string summary() const;
};

// This machine's topology, loaded through hwloc on first use and cached.
// Never fails: if hwloc cannot load, a flat topology (one package, one NUMA
// node, one L3 domain, one core per allowed CPU) is returned and `source`
// says why.
const Topology& topology();

// Loads the topology now, bypassing the cache.
Topology load_topology();

// A regular machine: `packages` x `l3_per_package` L3 domains x
// `cores_per_l3` cores x `pus_per_core` PUs, with `numa_per_package` NUMA
// nodes per package (the L3 domains of a package are split evenly between
// them; it must divide l3_per_package). OS indices follow Linux's usual x86
// numbering, where SMT siblings are far apart: the PU of SMT rank r on core
// c gets OS index r * total_cores + c. Cache line 64 bytes.
Topology synthetic_topology(int packages, int l3_per_package, int cores_per_l3,
                            int pus_per_core, int numa_per_package = 1);

}  // namespace syncscope::hw

#endif  // SYNCSCOPE_HW_TOPOLOGY_H_
