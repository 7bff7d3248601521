// cpu_id.h's start-up check.
#include "common/cpu_id.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>

namespace syncscope::suites {

CpuReadStatus check_cpu_read() {
  CpuReadStatus s;
  if (const char* env = std::getenv(kCpuReadEnv); env && std::string(env) == "off") {
    s.reason = std::string("turned off by ") + kCpuReadEnv + "=off";
    return s;
  }
  cpu_set_t original;
  CPU_ZERO(&original);
  const bool have_mask = sched_getaffinity(0, sizeof(original), &original) == 0;
  // Pinned to each allowed CPU in turn: read_cpu() must name it, as
  // sched_getcpu() does.
  if (have_mask) {
    for (int cpu = 0; cpu < CPU_SETSIZE && s.reason.empty(); ++cpu) {
      if (!CPU_ISSET(cpu, &original)) continue;
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      if (sched_setaffinity(0, sizeof(one), &one) != 0) continue;
      const int os = sched_getcpu();
      const int got = read_cpu();
      if (os != cpu) {
        s.reason = "sched_getcpu() says " + std::to_string(os) + " on CPU " + std::to_string(cpu);
      } else if (got != cpu) {
        s.reason = std::string(kCpuReadMethod) + " says " + std::to_string(got) + " on CPU " +
                   std::to_string(cpu) + " (sched_getcpu() agrees with the pinning)";
      } else {
        ++s.cpus_checked;
      }
    }
    sched_setaffinity(0, sizeof(original), &original);
  }
  // No CPU could be pinned: compare unpinned, where sched_getcpu() gives
  // the same answer before and after the read.
  if (s.cpus_checked == 0 && s.reason.empty()) {
    int stable = 0;
    for (int i = 0; i < 64 && s.reason.empty(); ++i) {
      const int a = sched_getcpu();
      const int got = read_cpu();
      const int b = sched_getcpu();
      if (a < 0 || a != b) continue;
      ++stable;
      if (got != a)
        s.reason = std::string(kCpuReadMethod) + " says " + std::to_string(got) +
                   " where sched_getcpu() says " + std::to_string(a);
    }
    if (s.reason.empty() && stable == 0)
      s.reason = "could not check it against sched_getcpu() (no CPU could be pinned, and the "
                 "thread moved during every unpinned read)";
    if (s.reason.empty()) s.cpus_checked = 1;
  }
  s.available = s.reason.empty();
  if (!s.available) {
    s.cpus_checked = 0;
    return s;
  }
  // The cost of one read: the fastest of a few batches (a batch that was
  // preempted only gets slower).
  constexpr int kBatches = 8, kReads = 4096;
  double best = 1e9;
  int sink = 0;
  for (int b = 0; b < kBatches; ++b) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kReads; ++i) sink += read_cpu();
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count() / kReads);
  }
  s.read_ns = best + (sink == -1 ? 1e-9 : 0);  // keeps sink (and the reads) alive
  return s;
}

const CpuReadStatus& cpu_read_status() {
  static const CpuReadStatus status = check_cpu_read();
  return status;
}

}  // namespace syncscope::suites
