// Placement policies over a Topology, pinning and PU distance.
// See syncscope/hw/placement.h.
#include "syncscope/hw/placement.h"

#include <sched.h>

#include <algorithm>
#include <array>
#include <map>
#include <tuple>
#include <utility>

namespace syncscope::hw {
namespace {

constexpr std::array<std::pair<Policy, const char*>, 5> kPolicyNames = {{
    {Policy::kNone, "none"},
    {Policy::kCompact, "compact"},
    {Policy::kScatter, "scatter"},
    {Policy::kSmt, "smt"},
    {Policy::kCross, "cross"},
}};

// Round-robin interleave: element 0 of every list, then element 1 of every
// list that has one, ... Lists may differ in length.
std::vector<int> interleave(const std::vector<std::vector<int>>& lists) {
  std::vector<int> out;
  size_t longest = 0;
  for (const auto& l : lists) longest = std::max(longest, l.size());
  for (size_t i = 0; i < longest; ++i)
    for (const auto& l : lists)
      if (i < l.size()) out.push_back(l[i]);
  return out;
}

// Cores in topology order: package, then L3 domain, then core index.
std::vector<const Core*> cores_in_order(const Topology& t) {
  std::vector<const Core*> cs;
  for (const Core& c : t.cores) cs.push_back(&c);
  std::stable_sort(cs.begin(), cs.end(), [](const Core* a, const Core* b) {
    return std::tie(a->package, a->l3, a->index) < std::tie(b->package, b->l3, b->index);
  });
  return cs;
}

std::vector<int> compact_order(const Topology& t) {
  std::vector<int> order;
  for (const Core* c : cores_in_order(t))
    for (int os : c->pus) order.push_back(os);
  return order;
}

// Scatter restricted to the PUs `keep` accepts: for each SMT rank r, take
// PU r of every core, interleaved across packages, within a package across
// L3 domains, within a domain by core.
template <class Keep>
std::vector<int> scatter_order_if(const Topology& t, Keep keep) {
  std::vector<int> order;
  const auto cores = cores_in_order(t);
  const int ranks = t.max_pus_per_core();
  for (int r = 0; r < ranks; ++r) {
    // package -> L3 domain -> PUs of rank r, in core order.
    std::map<int, std::map<int, std::vector<int>>> tree;
    for (const Core* c : cores) {
      if (r >= static_cast<int>(c->pus.size())) continue;
      const int os = c->pus[static_cast<size_t>(r)];
      if (keep(os)) tree[c->package][c->l3].push_back(os);
    }
    std::vector<std::vector<int>> per_package;
    for (auto& [pkg, domains] : tree) {
      std::vector<std::vector<int>> per_domain;
      for (auto& [l3, pus] : domains) per_domain.push_back(std::move(pus));
      per_package.push_back(interleave(per_domain));
    }
    for (int os : interleave(per_package)) order.push_back(os);
  }
  return order;
}

std::vector<int> scatter_order(const Topology& t) {
  return scatter_order_if(t, [](int) { return true; });
}

// Sibling pairs: the first two PUs of every SMT core in compact order, then
// PUs 2 and 3 of every core that has four, ...
std::vector<int> smt_order(const Topology& t) {
  std::vector<int> order;
  const auto cores = cores_in_order(t);
  const int ranks = t.max_pus_per_core();
  for (int pair = 0; 2 * pair + 1 < ranks; ++pair) {
    for (const Core* c : cores) {
      const size_t first = static_cast<size_t>(2 * pair);
      if (first + 1 < c->pus.size()) {
        order.push_back(c->pus[first]);
        order.push_back(c->pus[first + 1]);
      }
    }
  }
  return order;
}

// One domain per (package, NUMA node). Domains are listed package by
// package, then interleaved across packages so that consecutive domains
// differ in package whenever there is more than one; each domain's PUs are
// in scatter order, and the result interleaves the domains.
std::vector<int> cross_order(const Topology& t) {
  std::map<int, std::vector<std::pair<int, int>>> domains_by_package;  // pkg -> (pkg, numa)
  std::map<std::pair<int, int>, bool> seen;
  for (const Pu& p : t.pus) {
    const std::pair<int, int> key{p.package, p.numa};
    if (!seen[key]) {
      seen[key] = true;
      domains_by_package[p.package].push_back(key);
    }
  }
  // Interleave the package lists of domains.
  std::vector<std::pair<int, int>> domains;
  size_t longest = 0;
  for (auto& [pkg, ds] : domains_by_package) {
    std::sort(ds.begin(), ds.end());
    longest = std::max(longest, ds.size());
  }
  for (size_t i = 0; i < longest; ++i)
    for (const auto& [pkg, ds] : domains_by_package)
      if (i < ds.size()) domains.push_back(ds[i]);

  std::vector<std::vector<int>> per_domain;
  for (const auto& key : domains) {
    per_domain.push_back(scatter_order_if(t, [&](int os) {
      const Pu* p = t.find_pu(os);
      return p != nullptr && p->package == key.first && p->numa == key.second;
    }));
  }
  return interleave(per_domain);
}

int cross_domains(const Topology& t) {
  std::map<std::pair<int, int>, bool> seen;
  for (const Pu& p : t.pus) seen[{p.package, p.numa}] = true;
  return static_cast<int>(seen.size());
}

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::optional<Policy> parse_policy(std::string_view name) {
  for (const auto& [p, n] : kPolicyNames)
    if (name == n) return p;
  return std::nullopt;
}

const char* policy_name(Policy p) {
  for (const auto& [q, n] : kPolicyNames)
    if (p == q) return n;
  return "unknown";
}

std::vector<std::string> policy_names() {
  std::vector<std::string> names;
  for (const auto& entry : kPolicyNames) names.emplace_back(entry.second);
  return names;
}

std::vector<Policy> all_policies() {
  std::vector<Policy> ps;
  for (const auto& entry : kPolicyNames) ps.push_back(entry.first);
  return ps;
}

Support policy_support(Policy p, const Topology& t) {
  if (t.pus.empty()) return {false, "the topology has no PU"};
  const size_t npu = t.pus.size();
  switch (p) {
    case Policy::kNone:
      return {true, "unpinned: the OS scheduler places the threads"};
    case Policy::kCompact:
      return {true, "SMT siblings, then cores of one L3 domain, then the next L3 domain, over " +
                        plural(npu, "PU", "PUs")};
    case Policy::kScatter:
      return {true, "spread over packages, then L3 domains, then cores, SMT siblings last, over " +
                        plural(npu, "PU", "PUs")};
    case Policy::kSmt: {
      if (!t.has_smt()) return {false, "no SMT: each core has one PU"};
      const size_t slots = smt_order(t).size();
      return {true, "threads 2k and 2k+1 on the SMT siblings of one core, " +
                        plural(slots / 2, "sibling pair", "sibling pairs")};
    }
    case Policy::kCross: {
      const int domains = cross_domains(t);
      if (domains < 2) return {false, "one package and one NUMA node: nothing to cross"};
      return {true, "consecutive threads alternate over " +
                        plural(static_cast<size_t>(domains), "domain", "domains") +
                        " (package x NUMA node: " + plural(t.packages, "package", "packages") +
                        ", " + plural(t.numa_nodes, "NUMA node", "NUMA nodes") + ")"};
    }
  }
  return {false, "unknown policy"};
}

Support policy_support(Policy p) { return policy_support(p, topology()); }

std::vector<int> policy_order(Policy p, const Topology& t) {
  if (!policy_support(p, t).honoured) return {};
  switch (p) {
    case Policy::kNone:
      return {};
    case Policy::kCompact:
      return compact_order(t);
    case Policy::kScatter:
      return scatter_order(t);
    case Policy::kSmt:
      return smt_order(t);
    case Policy::kCross:
      return cross_order(t);
  }
  return {};
}

Placement plan_placement(Policy p, int nthreads, const Topology& t) {
  Placement pl;
  pl.policy = p;
  if (nthreads < 1) {
    pl.reason = "nthreads must be >= 1, got " + std::to_string(nthreads);
    return pl;
  }
  const Support s = policy_support(p, t);
  if (p == Policy::kNone && s.honoured) {
    pl.honoured = true;
    pl.pus.assign(static_cast<size_t>(nthreads), -1);
    return pl;
  }
  std::vector<int> order;
  if (s.honoured) {
    order = policy_order(p, t);
  } else {
    // Informative only (see the header): the nearest thing this machine has.
    order = p == Policy::kCross ? scatter_order(t) : compact_order(t);
    pl.reason = s.reason;
  }
  pl.honoured = s.honoured;
  if (order.empty()) {
    pl.pus.assign(static_cast<size_t>(nthreads), -1);
    return pl;
  }
  for (int i = 0; i < nthreads; ++i)
    pl.pus.push_back(order[static_cast<size_t>(i) % order.size()]);
  if (s.honoured && static_cast<size_t>(nthreads) > order.size()) {
    pl.reason = "oversubscribed: " + plural(static_cast<size_t>(nthreads), "thread", "threads") +
                " on " + plural(order.size(), "PU", "PUs") +
                (p == Policy::kSmt ? " in sibling pairs" : "") + "; the mapping wraps around";
  }
  return pl;
}

Placement plan_placement(Policy p, int nthreads) {
  return plan_placement(p, nthreads, topology());
}

Placement unpinned_placement(int nthreads, std::string note) {
  Placement pl;
  pl.policy = Policy::kNone;
  pl.honoured = true;
  pl.reason = std::move(note);
  pl.pus.assign(static_cast<size_t>(std::max(nthreads, 1)), -1);
  return pl;
}

int Placement::pu_for(std::size_t thread) const noexcept {
  return pus.empty() ? -1 : pus[thread % pus.size()];
}

std::string Placement::label() const {
  const bool pinned = policy != Policy::kNone && !pus.empty() && pus.front() >= 0;
  std::string s = std::string("placement=") + policy_name(policy) +
                  ";pus=" + (pinned ? pus_to_string(pus) : std::string("unpinned"));
  if (!reason.empty()) s += ";note=" + reason;
  return s;
}

std::string Placement::refusal() const {
  return std::string("placement '") + policy_name(policy) +
         "' not honoured on this machine: " + reason;
}

bool pin_current_thread(int os_pu) {
  if (os_pu == -1) return true;
  // Generous bound: CPU_ALLOC handles any size, but a negative or absurd
  // index is a caller bug, not a PU.
  constexpr int kMaxCpus = 1 << 16;
  if (os_pu < 0 || os_pu >= kMaxCpus) return false;
  const int ncpus = std::max(os_pu + 1, CPU_SETSIZE);
  cpu_set_t* set = CPU_ALLOC(static_cast<size_t>(ncpus));
  if (set == nullptr) return false;
  const size_t bytes = CPU_ALLOC_SIZE(static_cast<size_t>(ncpus));
  CPU_ZERO_S(bytes, set);
  CPU_SET_S(static_cast<size_t>(os_pu), bytes, set);
  // pid 0: the calling thread. The kernel migrates the thread before the
  // call returns, so sched_getcpu() afterwards reports os_pu.
  const bool ok = sched_setaffinity(0, bytes, set) == 0;
  CPU_FREE(set);
  return ok;
}

int current_pu() { return sched_getcpu(); }

std::string distance_class(int pu_a, int pu_b, const Topology& t) {
  const Pu* a = t.find_pu(pu_a);
  const Pu* b = t.find_pu(pu_b);
  if (a == nullptr || b == nullptr) return "unknown";
  if (a == b) return "same_pu";
  if (a->core == b->core) return "smt_sibling";
  if (a->l3 == b->l3) return "same_l3";
  if (a->package != b->package) return "cross_package";
  if (a->numa != b->numa) return "cross_numa";
  return "same_package";
}

std::string distance_class(int pu_a, int pu_b) { return distance_class(pu_a, pu_b, topology()); }

std::string pus_to_string(const std::vector<int>& pus) {
  std::string s;
  for (size_t i = 0; i < pus.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(pus[i]);
  }
  return s;
}

}  // namespace syncscope::hw
