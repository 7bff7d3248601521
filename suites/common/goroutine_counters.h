// goroutine_counters.h — what syncscope's scheduler did over a run, as a
// suite row's counters per unit of work.
//
//   set_goroutine_counters(counters, g, units, unit)
//       writes g_<count>_per_<unit> for each of the scheduler's counts below
//       (GoroutineStats of the run: goroutine_stats() after minus before),
//       divided by `units` (messages for channels, acquisitions for locks):
//         parks               goroutines parked (a channel or lock wait, a sleep)
//         switches            switches into a goroutine
//         steals              goroutines a P took from another P's queue
//         idle_m_wakes        idle M's woken (a futex wake each) to run one
//         runnext_steals      runnext slots taken from another P
//         runnext_backoffs    looks at a switching P's runnext left to it
//         spin_polls          sleeps of a spinning M that found no work
//                             while another P switched goroutines
//         ring_backoffs       looks at a switching P's queue left to it
//         wakes_deferred      channel hand-offs that woke no idle M
//         deferred_wakes_made of those, wakes made after all
//         local_yields        hand-offs after which the giver yielded its P
//                             to the receiver (starvation-mode GoMutex)
//       (goroutine.h's GoroutineStats and scheduler.cc say more of each).
//       With cpus_used beside them they say how a run used its P's.
//
// Used by the channels suite and the lock runner (fairness, starvation), so
// both name the same counts the same way.

#ifndef SYNCSCOPE_SUITES_COMMON_GOROUTINE_COUNTERS_H_
#define SYNCSCOPE_SUITES_COMMON_GOROUTINE_COUNTERS_H_

#include <benchmark/benchmark.h>
#include <syncscope/goroutine.h>

#include <cstdint>
#include <string>

namespace syncscope::suites {

inline void set_goroutine_counters(benchmark::UserCounters& counters, const GoroutineStats& g,
                                   double units, const std::string& unit) {
  struct Count {
    const char* name;
    uint64_t GoroutineStats::*field;
  };
  static constexpr Count kCounts[] = {
      {"parks", &GoroutineStats::parks},
      {"switches", &GoroutineStats::switches},
      {"steals", &GoroutineStats::steals},
      {"idle_m_wakes", &GoroutineStats::idle_m_wakes},
      {"runnext_steals", &GoroutineStats::runnext_steals},
      {"runnext_backoffs", &GoroutineStats::runnext_backoffs},
      {"spin_polls", &GoroutineStats::spin_polls},
      {"ring_backoffs", &GoroutineStats::ring_backoffs},
      {"wakes_deferred", &GoroutineStats::wakes_deferred},
      {"deferred_wakes_made", &GoroutineStats::deferred_wakes_made},
      {"local_yields", &GoroutineStats::local_yields},
  };
  const double per = units > 0 ? units : 1;
  for (const Count& c : kCounts) {
    counters[std::string("g_") + c.name + "_per_" + unit] = static_cast<double>(g.*c.field) / per;
  }
}

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_GOROUTINE_COUNTERS_H_
