// cpu_id.h — which CPU is the caller on, cheaply, from inside a measured loop.
//
// The lock runner (lock_runner.h) reads, right after each recorded unlock,
// the CPU the acquisition ran on, to count how often the lock changes CPU
// (lock_moves_per_acq). The Go peer (suites/common/go/lockpeer, cpuid_*.go)
// reads it with the same instruction, so both sides are measured the same
// way.
//
// How (x86-64 Linux): LSL (load segment limit) of the per-CPU GDT segment
// selector 0x7b. Linux gives every CPU a GDT entry GDT_ENTRY_CPUNODE (15)
// whose segment limit encodes (node << 12) | cpu (setup_getcpu(),
// arch/x86/kernel/cpu/common.c); the selector is 15 * 8 + RPL 3 = 0x7b
// (__CPUNODE_SEG, arch/x86/include/asm/segment.h). It is what the vDSO's
// getcpu / vgetcpu does when the CPU has no RDPID (vdso_read_cpunode(),
// same header). LSL is not serialising (RDTSCP is, and waits for earlier
// instructions), and it never traps; a failed LSL (selector not usable)
// clears ZF and leaves the destination as it was, which the sentinel below
// turns into "not available". Elsewhere (other architectures, other
// systems): sched_getcpu() (glibc; a load from the rseq area where the
// kernel keeps the CPU number, or a system call on older libcs).
//
// cpu_read_status() checks, once, that the instruction agrees with
// sched_getcpu() on every CPU the process may run on (pinning the calling
// thread to each in turn, then restoring its affinity): a guest or kernel
// where it does not gets "not available" and a reason, rather than a
// counter that is wrong. SYNCSCOPE_LOCK_MOVES=off in the environment makes
// it "not available" too (both sides: the Go peer reads the same
// variable), to measure what the read costs.
//
// Cost, and what it disturbs: not nothing. In a guest without RDPID (and
// without RDTSCP exposed) an LSL took ~17 ns (CpuReadStatus::read_ns, timed
// at start-up; the lock_moves context says it), a sixth of a 100 ns
// non-critical section. Read after every recorded acquisition, it changed
// who takes the lock after an unlock, at 4 parties, cs 100 / ncs 100: fewer
// re-acquisitions by the releaser (barging_share down by up to ~0.15),
// about twice the moves a 1.5 ns read (glibc's sched_getcpu(), a load from
// the rseq area) counted, and fewer acquisitions per second — and taking
// the read's time off the following non-critical work did not undo it
// (the 2-vCPU development guest, alternating runs, 2026-12-07 20:29-20:41,
// load 1.7-2.9, partly beside other runs and a compile of ours: a lead,
// not a clean figure). Confined as below, the rows with and without it
// were 0.99-1.01x, barging within 0.02 (22:20-22:22, load 0.7-2.2,
// nothing else running). So the runner reads it only in the run's first acquisitions
// (RunnerConfig::cpu_orders), leaving the rest of the run as it was. The
// Go peer has no rseq area, so both sides use LSL and are disturbed alike;
// SYNCSCOPE_LOCK_MOVES=off gives rows without the read (and without the
// counter) to set beside them.
#ifndef SYNCSCOPE_SUITES_COMMON_CPU_ID_H_
#define SYNCSCOPE_SUITES_COMMON_CPU_ID_H_

#include <sched.h>

#include <cstdint>
#include <string>

namespace syncscope::suites {

// The GDT selector of Linux's per-CPU segment (GDT_ENTRY_CPUNODE * 8 + 3).
constexpr unsigned kCpuNodeSelector = 15 * 8 + 3;
static_assert(kCpuNodeSelector == 0x7b);
// The CPU number's bits in that segment's limit (VDSO_CPUNODE_BITS = 12).
constexpr unsigned kCpuNodeCpuMask = 0xfff;

// The CPU the caller runs on (it may have moved by the time it is used), or
// -1 when the read failed. Unchecked: see cpu_read_status().
inline int read_cpu() noexcept {
#if defined(__x86_64__) && defined(__linux__)
  unsigned p = 0xffffffffu;  // kept by a failed LSL
  // volatile: two reads must not be merged (the answer changes when the
  // thread moves).
  asm volatile("lsl %1, %0" : "+r"(p) : "r"(kCpuNodeSelector) : "cc");
  return p == 0xffffffffu ? -1 : static_cast<int>(p & kCpuNodeCpuMask);
#else
  return sched_getcpu();
#endif
}

// The instruction read_cpu() uses, for a context string.
constexpr const char* kCpuReadMethod =
#if defined(__x86_64__) && defined(__linux__)
    "LSL of the per-CPU GDT segment 0x7b (the vDSO getcpu's read without RDPID)";
#else
    "sched_getcpu()";
#endif

// The environment variable that turns the read off ("off").
constexpr const char* kCpuReadEnv = "SYNCSCOPE_LOCK_MOVES";

struct CpuReadStatus {
  bool available = false;
  int cpus_checked = 0;   // CPUs read_cpu() was checked on
  double read_ns = 0;     // what one read_cpu() costs here (the fastest of a few timed
                          // batches; available only)
  std::string reason;     // why not available ("" when available)
};

// Checked once (the first call; thread-safe), then cached.
const CpuReadStatus& cpu_read_status();

// The check itself, uncached (tests).
CpuReadStatus check_cpu_read();

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_CPU_ID_H_
