// The lock designs the lock suites compare — one registration line each.
//
// MutexLocks: every exclusive lock, syncscope's designs and the real-library
// baselines (std::mutex first: the baseline of every figure).
// SharedLocks: reader/writer locks (SharedLockable).
// InstrumentedLocks: the Go designs built with their counters compiled in;
// the fairness suite reports mode switches, handoffs, barges, spins and
// parks from these next to the plain runs.
#ifndef SYNCSCOPE_SUITES_COMMON_LOCK_REGISTRY_H_
#define SYNCSCOPE_SUITES_COMMON_LOCK_REGISTRY_H_

#include <mutex>
#include <shared_mutex>

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
    Lock<"std_mutex", std::mutex>,
    Lock<"pthread_adaptive", PthreadAdaptiveMutex>,
    Lock<"absl_mutex", AbslExclusiveMutex>,
    Lock<"tbb_spin_mutex", tbb::spin_mutex>,
    Lock<"tbb_queuing_mutex", TbbQueuingMutex>,
    Lock<"GoMutex2008", GoMutex2008>,
    Lock<"GoMutex2012", GoMutex2012>,
    Lock<"GoMutex2015", GoMutex2015>,
    Lock<"GoMutex", GoMutex>,
    Lock<"SpinLock", SpinLock>,
    Lock<"TtasLock", TtasLock>,
    Lock<"TicketLock", TicketLock>,
    Lock<"McsLock", McsLock>,
    Lock<"ClhLock", ClhLock>,
    Lock<"SemaMutex", SemaMutex>,
    Lock<"RecursiveMutex", RecursiveMutex>>;

using SharedLocks = LockList<
    Lock<"GoRWMutex", GoRWMutex>,
    Lock<"std_shared_mutex", std::shared_mutex>,
    Lock<"absl_mutex", AbslMutex>,
    Lock<"tbb_spin_rw_mutex", tbb::spin_rw_mutex>>;

using InstrumentedLocks = LockList<
    Lock<"GoMutex2015_instr", InstrumentedGoMutex2015>,
    Lock<"GoMutex_instr", InstrumentedGoMutex>>;

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_LOCK_REGISTRY_H_
