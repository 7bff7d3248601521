// syncscope/internal/cpus.h — the CPUs this process may run on.
//
// This file offers:
//   usable_cpu_list()   the OS indices of the CPUs in the process's affinity
//                       mask, ascending.
//   usable_cpus()       how many there are (at least 1).
//
// One fact, one home: the Go mutexes' spin policy, the channels' spinning,
// the hw/ layer's topology fallback and the suites' thread sweeps all ask
// here (hw/ and suites/ sit above primitives/ and may use it; primitives/
// itself depends on nothing but the C++ library and the OS).
//
// When it is read: once, at program load, from the main thread's mask
// (sched_getaffinity), and never again. sched_getaffinity reports the
// calling thread's mask, so reading it later could see a thread that has
// pinned itself to one CPU (every placement policy does) and would, for
// example, turn spinning off for the whole process. A mask narrowed from
// outside (taskset, cgroups' cpusets) before the program starts is seen;
// one changed while it runs is not. If the mask cannot be read, every CPU
// std::thread::hardware_concurrency() reports is assumed usable (0..n-1).
//
// Thread safety: both functions may be called from any thread at any time;
// the values are computed before main() runs and are immutable after.

#ifndef SYNCSCOPE_INTERNAL_CPUS_H_
#define SYNCSCOPE_INTERNAL_CPUS_H_

#include <vector>

namespace syncscope {

// The OS indices of the usable CPUs, ascending (never empty).
const std::vector<int>& usable_cpu_list() noexcept;

// usable_cpu_list().size(): at least 1.
unsigned usable_cpus() noexcept;

}  // namespace syncscope

#endif  // SYNCSCOPE_INTERNAL_CPUS_H_
