// The lock designs the lock suites compare — one registration line each.
//
// MutexLocks: every exclusive lock, syncscope's designs and the real-library
// baselines (std::mutex first: the baseline of every figure).
// SharedLocks: reader/writer locks (SharedLockable).
// InstrumentedLocks: the Go designs built with their counters compiled in;
// the fairness suite reports mode switches, handoffs, barges, spins and
// parks from these next to the plain runs.
// PeerLocks: the Go runtime's own sync.Mutex / sync.RWMutex, measured by the
// fairness and starvation suites' Go peers (suites/<suite>/go/) on the same
// cases; listed here only for their names, order and colours (teals: near
// go_chan's cyan, apart from SemaMutex's), never instantiated in C++.
//
// Each line also gives the lock's colour in every plot (families keep a hue:
// the Go designs orange/brown, newest darkest; TBB greens; test-and-set
// spinlocks reds; FIFO ticket/queue locks blues); an instrumented build takes
// its design's colour. The suites write these lists, in order, into their
// JSON context (add_lock_registry_context); the plots take lock order and
// colours from there, so a new lock is this one line.
#ifndef SYNCSCOPE_SUITES_COMMON_LOCK_REGISTRY_H_
#define SYNCSCOPE_SUITES_COMMON_LOCK_REGISTRY_H_

#include <mutex>
#include <shared_mutex>

#include <benchmark/benchmark.h>

#include <oneapi/tbb/spin_mutex.h>
#include <oneapi/tbb/spin_rw_mutex.h>

#include <syncscope/go_mutex_2008.h>
#include <syncscope/go_mutex_2012.h>
#include <syncscope/go_mutex_2015.h>
#include <syncscope/go_mutex.h>
#include <syncscope/go_rwmutex.h>
#include <syncscope/clh_lock.h>
#include <syncscope/mcs_lock.h>
#include <syncscope/recursive_mutex.h>
#include <syncscope/sema_mutex.h>
#include <syncscope/spin_lock.h>
#include <syncscope/ticket_lock.h>
#include <syncscope/ttas_lock.h>

#include "common/baselines.h"
#include "common/lock_list.h"

namespace syncscope::suites {

using MutexLocks = LockList<
    Lock<"std_mutex", std::mutex, "#000000">,
    Lock<"pthread_adaptive", PthreadAdaptiveMutex, "#7f7f7f">,
    Lock<"absl_mutex", AbslExclusiveMutex, "#9467bd">,
    Lock<"tbb_spin_mutex", tbb::spin_mutex, "#31a354">,
    Lock<"tbb_queuing_mutex", TbbQueuingMutex, "#006d2c">,
    Lock<"GoMutex2008", GoMutex2008, "#a63603">,
    Lock<"GoMutex2012", GoMutex2012, "#fdae6b">,
    Lock<"GoMutex2015", GoMutex2015, "#fd8d3c">,
    Lock<"GoMutex", GoMutex, "#e6550d">,
    Lock<"SpinLock", SpinLock, "#d62728">,
    Lock<"TtasLock", TtasLock, "#e377c2">,
    Lock<"TicketLock", TicketLock, "#1f77b4">,
    Lock<"McsLock", McsLock, "#08306b">,
    Lock<"ClhLock", ClhLock, "#6baed6">,
    Lock<"SemaMutex", SemaMutex, "#17becf">,
    Lock<"RecursiveMutex", RecursiveMutex, "#8c6d31">>;

using SharedLocks = LockList<
    Lock<"GoRWMutex", GoRWMutex, "#bcbd22">,
    Lock<"std_shared_mutex", std::shared_mutex, "#4d4d4d">,
    Lock<"absl_mutex", AbslMutex, "#9467bd">,
    Lock<"tbb_spin_rw_mutex", tbb::spin_rw_mutex, "#74c476">>;

using InstrumentedLocks = LockList<
    Lock<"GoMutex2015_instr", InstrumentedGoMutex2015>,
    Lock<"GoMutex_instr", InstrumentedGoMutex>>;

// A lock that only a peer program measures (no C++ type to run).
struct MeasuredByGoPeer {};

using PeerLocks = LockList<
    Lock<"go_sync_mutex", MeasuredByGoPeer, "#008080">,
    Lock<"go_sync_rwmutex", MeasuredByGoPeer, "#00a6a6">>;

// The four lists as "locks_mutex", "locks_instrumented", "locks_shared" and
// "locks_peer" in the suite's JSON context ("name=#rrggbb,..." in registry
// order).
inline void add_lock_registry_context() {
  benchmark::AddCustomContext("locks_mutex", registry_text(MutexLocks{}));
  benchmark::AddCustomContext("locks_instrumented", registry_text(InstrumentedLocks{}));
  benchmark::AddCustomContext("locks_shared", registry_text(SharedLocks{}));
  benchmark::AddCustomContext("locks_peer", registry_text(PeerLocks{}));
}

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_LOCK_REGISTRY_H_
