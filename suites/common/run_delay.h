// syncscope run delay — how long a benchmark's own threads were runnable but
// not on a CPU ("the OS did not run us"), as opposed to asleep (parked,
// blocked: "the code chose to wait") or running.
//
// Offers:
//   parse_schedstat_run_delay(text)   the run delay (ns) in a schedstat line
//   thread_run_delay_ns()             the calling thread's, so far
//   task_run_delay_ns(tid)            a thread of this process's, so far
//   process_run_delay_ns(exclude)     the sum over this process's live
//                                     threads, but those in `exclude`
//
// Source: /proc/<pid>/task/<tid>/schedstat (Linux, CONFIG_SCHED_INFO; the
// kernel's Documentation/scheduler/sched-stats.rst): three numbers, the
// time spent on the CPU (ns), the time spent waiting on a run queue (ns) and
// the number of time slices run. The second is the run delay. It counts from
// the thread's creation and is lost when the thread exits, so a caller
// that measures fresh threads reads each one's own before and after its
// work (thread_run_delay_ns) and one that measures long-lived threads (a
// goroutine runtime's M's, Go's) reads them all at both ends
// (process_run_delay_ns). Every function returns std::nullopt where the
// file cannot be read (no /proc, a kernel without schedstats): callers
// omit the figure and say so; they never fail for it.
//
// What the figure means beside a timing: the run delay of a run's threads
// summed, over the run's wall time, is the average number of them that
// waited for a CPU — 0 when every runnable thread had one; with more
// runnable threads than CPUs (oversubscription, or other processes on the
// CPUs) it grows. It does not tell whose fault the wait was; the noise
// guard (noise.h) says how much of the CPUs other processes used.
#ifndef SYNCSCOPE_SUITES_COMMON_RUN_DELAY_H_
#define SYNCSCOPE_SUITES_COMMON_RUN_DELAY_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace syncscope::suites {

// The second field of a schedstat line ("<on_cpu_ns> <run_delay_ns>
// <slices>"), or nullopt when the line does not hold three numbers.
std::optional<uint64_t> parse_schedstat_run_delay(std::string_view text);

// The calling thread's run delay so far (/proc/thread-self/schedstat).
std::optional<uint64_t> thread_run_delay_ns();

// The run delay of the thread `tid` of this process so far.
std::optional<uint64_t> task_run_delay_ns(pid_t tid);

// The run delay of every live thread of this process, summed, leaving out
// the threads whose ids are in `exclude` (e.g. a deliberate busy
// neighbour). Threads that exit while the directory is read are skipped.
// Reads one file per thread: call it outside measured loops.
std::optional<uint64_t> process_run_delay_ns(const std::vector<pid_t>& exclude = {});

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_RUN_DELAY_H_
