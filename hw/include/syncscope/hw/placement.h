// syncscope/hw/placement.h — where benchmark threads run.
//
// Offers:
//   enum class Policy                  none | compact | scatter | smt | cross
//   parse_policy / policy_name / policy_names
//   policy_support(Policy)             can this machine honour the policy, and why not
//   plan_placement(Policy, nthreads)   thread i -> OS PU index, as a Placement:
//     Placement::pu_for(i)             the PU thread i pins to (-1: unpinned)
//     Placement::label()               "placement=P;pus=...[;note=...]", the
//                                      label every result run under it carries
//     Placement::refusal()             "placement 'P' not honoured on this
//                                      machine: REASON", the error a run that
//                                      cannot be placed reports
//   unpinned_placement(nthreads, note) policy none, with a note for its label
//   pin_current_thread(os_pu)          bind the calling thread to one PU
//   current_pu()                       the PU the calling thread runs on now
//   distance_class(pu_a, pu_b)         how far apart two PUs are
//   pus_to_string(pus)                 "0,1,0,1"
// Each function taking a Topology also has an overload using this machine's
// topology(); the Topology forms let tests plan on synthetic machines.
//
// Policies (threads are numbered 0..n-1 in the order the benchmark starts
// them; "order" is the PU sequence thread i takes element i of):
//   none     unpinned: every entry is -1 and the OS scheduler decides.
//   compact  fill a core's SMT siblings, then the next core of the same L3
//            domain, then the next L3 domain of the package, then the next
//            package. Neighbouring threads share as much as possible.
//   scatter  spread: consecutive threads go to different packages, then
//            different L3 domains, then different cores; SMT siblings of
//            already used cores come last. Neighbouring threads share as
//            little as possible while every thread still gets its own core.
//            Built as a round-robin interleave at each level (packages of
//            L3 domains of cores) for SMT rank 0, then rank 1, ...
//   smt      sibling pairs: threads 2k and 2k+1 run on two SMT siblings of
//            one core (pair k on the k-th SMT core in compact order; cores
//            with 4 PUs give a second pair after every core's first pair).
//            Unsupported without SMT.
//   cross    maximise distance between consecutive threads: the machine is
//            cut into domains, one per (package, NUMA node); domains are
//            ordered so consecutive ones differ in package when possible,
//            and thread i goes to domain i mod D, spread over its cores as
//            scatter does. Unsupported with a single domain (one package and
//            one NUMA node).
//
// No silent substitution: a policy the machine cannot honour is reported as
// honoured == false with the reason, never quietly replaced by another. The
// `pus` of such a Placement hold a best-effort mapping (compact for smt,
// scatter for cross) for information only: callers mark the result as not
// honoured and must not present it as the requested policy.
//
// Oversubscription: with more threads than PUs (for smt: than PUs in sibling
// pairs) the order wraps around (thread i takes element i mod size); the
// placement is still honoured and `reason` says it is oversubscribed.
//
// Thread safety: every function here is safe to call concurrently;
// pin_current_thread and current_pu act on the calling thread only.
//
// Memory ordering: nothing here shares mutable state; the overloads without
// a Topology read the immutable topology() (see topology.h). Pinning is a
// system call that completes the migration before it returns.
#ifndef SYNCSCOPE_HW_PLACEMENT_H_
#define SYNCSCOPE_HW_PLACEMENT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "syncscope/hw/topology.h"

namespace syncscope::hw {

enum class Policy { kNone, kCompact, kScatter, kSmt, kCross };

// "none", "compact", "scatter", "smt", "cross" <-> Policy. Exact match.
std::optional<Policy> parse_policy(std::string_view name);
const char* policy_name(Policy p);
// Every policy's name, in enum order.
std::vector<std::string> policy_names();
// Every policy, in enum order.
std::vector<Policy> all_policies();

// Whether the policy can be honoured. When honoured, `reason` is a short
// description of what it does on this topology; when not, why not, e.g.
// "no SMT: each core has one PU".
struct Support {
  bool honoured = false;
  std::string reason;
};
Support policy_support(Policy p, const Topology& t);
Support policy_support(Policy p);

// A thread-to-PU mapping. pus[i] is the OS PU index for thread i (-1:
// unpinned). `reason` is empty for a plain honoured placement, says
// "oversubscribed: ..." when the mapping wraps around, and says why for an
// unsupported policy or an invalid thread count (nthreads < 1: honoured is
// false and pus is empty).
//
// A Placement is the one home of what a result says about where it ran: the
// suites pin with pu_for(), label results with label() and report a policy
// this machine cannot honour with refusal(), so every benchmark names its
// placement the same way.
struct Placement {
  Policy policy = Policy::kNone;
  bool honoured = false;
  std::string reason;
  std::vector<int> pus;

  // pu_for(thread): pus[thread mod pus.size()], the PU thread `thread` pins
  // to; -1 (unpinned) when pus is empty or the entry is -1.
  int pu_for(std::size_t thread) const noexcept;
  // label(): "placement=<policy>;pus=<pus_to_string(pus)>", with "unpinned"
  // for the PU list when the threads are not pinned (policy none, or no
  // PUs), and ";note=<reason>" appended when `reason` is not empty (e.g.
  // oversubscribed). Meant for an honoured placement.
  std::string label() const;
  // refusal(): "placement '<policy>' not honoured on this machine: <reason>",
  // the one-line error of a run that needs this placement and cannot have it.
  std::string refusal() const;
};
Placement plan_placement(Policy p, int nthreads, const Topology& t);
Placement plan_placement(Policy p, int nthreads);
// Policy none for nthreads threads (all unpinned) with `note` as its reason,
// for runs that are unpinned by design or for lack of PUs; label() then
// reads "placement=none;pus=unpinned;note=<note>" ("" note: no ";note=").
Placement unpinned_placement(int nthreads, std::string note = "");

// The PU order a policy hands out, one entry per distinct slot, before
// wrap-around (empty for none and for an unsupported policy). Exposed for
// tests and for the hwinfo tool.
std::vector<int> policy_order(Policy p, const Topology& t);

// Binds the calling thread to the PU with OS index `os_pu`
// (sched_setaffinity). -1 is a no-op that returns true and leaves the
// current affinity alone. Returns false (and changes nothing) if the PU
// does not exist or the kernel refuses.
bool pin_current_thread(int os_pu);

// The OS index of the PU the calling thread is running on (sched_getcpu),
// -1 if unknown. Without pinning it can change at any moment.
int current_pu();

// How far apart two PUs (OS indices) are, nearest first:
//   "same_pu"        a == b
//   "smt_sibling"    same core
//   "same_l3"        same L3 domain, different cores
//   "same_package"   same package and NUMA node, different L3 domains
//   "cross_numa"     same package, different NUMA nodes (sub-NUMA clusters)
//   "cross_package"  different packages
//   "unknown"        either PU is not in the topology (e.g. -1)
std::string distance_class(int pu_a, int pu_b, const Topology& t);
std::string distance_class(int pu_a, int pu_b);

// "0,1,0,1"; unpinned entries print as -1; an empty list prints as "".
std::string pus_to_string(const std::vector<int>& pus);

}  // namespace syncscope::hw

#endif  // SYNCSCOPE_HW_PLACEMENT_H_
