// Topology through hwloc 2.x, flattened into plain structs.
// See syncscope/hw/topology.h.
#include "syncscope/hw/topology.h"

#include <hwloc.h>
#include <syncscope/internal/cpus.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace syncscope::hw {
namespace {

// Hands out dense indices 0, 1, 2... to keys in order of first appearance.
// PUs are visited in logical order, so dense indices follow topology order.
class DenseIds {
 public:
  int id(long key) {
    auto [it, inserted] = ids_.emplace(key, static_cast<int>(ids_.size()));
    (void)inserted;
    return it->second;
  }
  int size() const { return static_cast<int>(ids_.size()); }

 private:
  std::map<long, int> ids_;
};

const char* cache_type_name(hwloc_obj_cache_type_t t) {
  switch (t) {
    case HWLOC_OBJ_CACHE_DATA:
      return "data";
    case HWLOC_OBJ_CACHE_INSTRUCTION:
      return "instruction";
    default:
      return "unified";
  }
}

bool is_power_of_two(int v) { return v > 0 && (v & (v - 1)) == 0; }

// Used when hwloc cannot load: every CPU this process may run on is its own
// core in one package, NUMA node and L3 domain.
Topology flat_fallback(const std::string& why) {
  Topology t;
  t.source = "fallback (" + why + "): one core per allowed CPU";
  const std::vector<int>& cpus = usable_cpu_list();
  t.packages = t.numa_nodes = t.l3_domains = 1;
  for (int os : cpus) {
    const int i = static_cast<int>(t.pus.size());
    t.pus.push_back(Pu{os, i, i, 0, 0, 0});
    t.cores.push_back(Core{i, 0, 0, {os}});
  }
  const long line = sysconf(_SC_LEVEL1_DCACHE_LINESIZE);
  t.line_size = is_power_of_two(static_cast<int>(line)) ? static_cast<int>(line) : 64;
  return t;
}

Topology from_hwloc(hwloc_topology_t topo) {
  Topology t;
#ifdef SYNCSCOPE_HWLOC_VERSION
  t.source = std::string("hwloc ") + SYNCSCOPE_HWLOC_VERSION;  // pkg-config's, at configure time
#else
  t.source = "hwloc";
#endif

  DenseIds cores, l3s, packages, numas;
  const bool have_l3 = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_L3CACHE) > 0;
  const int npu = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  for (int i = 0; i < npu; ++i) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, static_cast<unsigned>(i));
    if (pu == nullptr) continue;
    Pu p;
    p.os_index = static_cast<int>(pu->os_index);
    p.logical_index = static_cast<int>(t.pus.size());

    hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, pu);
    p.package = packages.id(pkg ? static_cast<long>(pkg->logical_index) : 0L);

    // Keys: L3 caches by logical index; without any L3, one domain per
    // package (offset so the two key spaces cannot collide).
    hwloc_obj_t l3 = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_L3CACHE, pu);
    p.l3 = l3s.id(l3 && have_l3 ? static_cast<long>(l3->logical_index)
                                : (1L << 40) + p.package);

    // A PU without a Core ancestor is its own core.
    hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);
    p.core = cores.id(core ? static_cast<long>(core->logical_index)
                           : (1L << 40) + p.logical_index);

    long numa_key = 0;
    if (pu->nodeset != nullptr && !hwloc_bitmap_iszero(pu->nodeset)) {
      const int os_node = hwloc_bitmap_first(pu->nodeset);
      hwloc_obj_t node = hwloc_get_numanode_obj_by_os_index(topo, static_cast<unsigned>(os_node));
      numa_key = node ? static_cast<long>(node->logical_index) : os_node;
    }
    p.numa = numas.id(numa_key);

    if (p.core == static_cast<int>(t.cores.size()))
      t.cores.push_back(Core{p.core, p.package, p.l3, {}});
    t.cores[static_cast<size_t>(p.core)].pus.push_back(p.os_index);
    t.pus.push_back(p);
  }
  t.packages = packages.size();
  t.l3_domains = l3s.size();
  t.numa_nodes = numas.size();

  // Caches: one entry per (level, type), from the first instance.
  static constexpr hwloc_obj_type_t kCacheTypes[] = {
      HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L2ICACHE,
      HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L3ICACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE};
  int l1d_line = 0, any_line = 0;
  for (hwloc_obj_type_t type : kCacheTypes) {
    const int n = hwloc_get_nbobjs_by_type(topo, type);
    if (n <= 0) continue;
    hwloc_obj_t first = hwloc_get_obj_by_type(topo, type, 0);
    if (first == nullptr || first->attr == nullptr) continue;
    CacheLevel c;
    c.level = static_cast<int>(first->attr->cache.depth);
    c.type = cache_type_name(first->attr->cache.type);
    c.size_bytes = first->attr->cache.size;
    c.line_size = static_cast<int>(first->attr->cache.linesize);
    c.count = n;
    if (c.level == 1 && c.type != "instruction" && is_power_of_two(c.line_size))
      l1d_line = c.line_size;
    if (any_line == 0 && is_power_of_two(c.line_size)) any_line = c.line_size;
    t.caches.push_back(c);
  }
  if (l1d_line == 0) {
    const long sys = sysconf(_SC_LEVEL1_DCACHE_LINESIZE);
    l1d_line = is_power_of_two(static_cast<int>(sys)) ? static_cast<int>(sys) : any_line;
  }
  t.line_size = l1d_line != 0 ? l1d_line : 64;
  return t;
}

}  // namespace

const Pu* Topology::find_pu(int os_index) const {
  for (const Pu& p : pus)
    if (p.os_index == os_index) return &p;
  return nullptr;
}

int Topology::max_pus_per_core() const {
  size_t m = 0;
  for (const Core& c : cores) m = std::max(m, c.pus.size());
  return static_cast<int>(m);
}

std::string Topology::validate() const {
  std::ostringstream err;
  std::set<int> os_seen;
  for (size_t i = 0; i < pus.size(); ++i) {
    const Pu& p = pus[i];
    if (p.logical_index != static_cast<int>(i)) {
      err << "pus[" << i << "].logical_index is " << p.logical_index;
      return err.str();
    }
    if (!os_seen.insert(p.os_index).second || p.os_index < 0) {
      err << "PU os index " << p.os_index << " repeated or negative";
      return err.str();
    }
    if (p.core < 0 || p.core >= static_cast<int>(cores.size())) {
      err << "PU " << p.os_index << " has core " << p.core << " of " << cores.size();
      return err.str();
    }
    if (p.package < 0 || p.package >= packages || p.l3 < 0 || p.l3 >= l3_domains ||
        p.numa < 0 || p.numa >= numa_nodes) {
      err << "PU " << p.os_index << " has package/l3/numa " << p.package << "/" << p.l3 << "/"
          << p.numa << " out of range";
      return err.str();
    }
    const Core& c = cores[static_cast<size_t>(p.core)];
    if (std::find(c.pus.begin(), c.pus.end(), p.os_index) == c.pus.end()) {
      err << "core " << c.index << " does not list its PU " << p.os_index;
      return err.str();
    }
    if (c.package != p.package || c.l3 != p.l3) {
      err << "PU " << p.os_index << " disagrees with its core on package or L3";
      return err.str();
    }
  }
  size_t listed = 0;
  for (size_t i = 0; i < cores.size(); ++i) {
    if (cores[i].index != static_cast<int>(i) || cores[i].pus.empty()) {
      err << "cores[" << i << "] has index " << cores[i].index << " and "
          << cores[i].pus.size() << " PUs";
      return err.str();
    }
    for (int os : cores[i].pus) {
      const Pu* p = find_pu(os);
      if (p == nullptr || p->core != static_cast<int>(i)) {
        err << "core " << i << " lists PU " << os << " which is not its own";
        return err.str();
      }
    }
    listed += cores[i].pus.size();
  }
  if (listed != pus.size()) return "cores list a different number of PUs than pus";
  return {};
}

std::string Topology::summary() const {
  auto plural = [](int n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  std::string s = plural(packages, "package", "packages") + ", " +
                  plural(numa_nodes, "NUMA node", "NUMA nodes") + ", " +
                  plural(l3_domains, "L3 domain", "L3 domains") + ", " +
                  plural(static_cast<int>(cores.size()), "core", "cores") + ", " +
                  plural(static_cast<int>(pus.size()), "PU", "PUs");
  s += has_smt() ? " (SMT, up to " + std::to_string(max_pus_per_core()) + " PUs per core)"
                 : " (no SMT)";
  return s;
}

Topology load_topology() {
  hwloc_topology_t topo = nullptr;
  if (hwloc_topology_init(&topo) != 0) return flat_fallback("hwloc_topology_init failed");
  if (hwloc_topology_load(topo) != 0) {
    hwloc_topology_destroy(topo);
    return flat_fallback("hwloc_topology_load failed");
  }
  Topology t = from_hwloc(topo);
  hwloc_topology_destroy(topo);
  if (t.pus.empty()) return flat_fallback("hwloc found no PU");
  if (std::string err = t.validate(); !err.empty())
    return flat_fallback("hwloc topology inconsistent: " + err);
  return t;
}

const Topology& topology() {
  static const Topology t = load_topology();
  return t;
}

Topology synthetic_topology(int packages, int l3_per_package, int cores_per_l3,
                            int pus_per_core, int numa_per_package) {
  if (packages < 1 || l3_per_package < 1 || cores_per_l3 < 1 || pus_per_core < 1 ||
      numa_per_package < 1 || l3_per_package % numa_per_package != 0)
    throw std::invalid_argument("synthetic_topology: every count must be >= 1 and "
                                "numa_per_package must divide l3_per_package");
  Topology t;
  std::ostringstream src;
  src << "synthetic " << packages << " packages x " << l3_per_package << " L3 x "
      << cores_per_l3 << " cores x " << pus_per_core << " PUs, " << numa_per_package
      << " NUMA per package";
  t.source = src.str();
  t.packages = packages;
  t.l3_domains = packages * l3_per_package;
  t.numa_nodes = packages * numa_per_package;
  const int total_cores = t.l3_domains * cores_per_l3;
  const int l3_per_numa = l3_per_package / numa_per_package;
  for (int p = 0; p < packages; ++p) {
    for (int j = 0; j < l3_per_package; ++j) {
      const int l3 = p * l3_per_package + j;
      const int numa = p * numa_per_package + j / l3_per_numa;
      for (int k = 0; k < cores_per_l3; ++k) {
        const int c = l3 * cores_per_l3 + k;
        Core core{c, p, l3, {}};
        for (int r = 0; r < pus_per_core; ++r) {
          const int os = r * total_cores + c;
          core.pus.push_back(os);
          t.pus.push_back(Pu{os, static_cast<int>(t.pus.size()), c, l3, p, numa});
        }
        t.cores.push_back(core);
      }
    }
  }
  const auto u = [](long long v) { return static_cast<std::uint64_t>(v); };
  t.caches = {
      CacheLevel{1, "data", u(32) << 10, 64, total_cores},
      CacheLevel{1, "instruction", u(32) << 10, 64, total_cores},
      CacheLevel{2, "unified", u(1) << 20, 64, total_cores},
      CacheLevel{3, "unified", u(32) << 20, 64, t.l3_domains},
  };
  t.line_size = 64;
  return t;
}

}  // namespace syncscope::hw
