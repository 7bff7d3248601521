// The syncscope-hwinfo command (used by run.sh), as a function so tests can
// drive it with string streams. hwinfo_main.cc is the program's main().
//
//   syncscope-hwinfo context [--out FILE] [--profile P] [--run-id ID]
//                    [--benchmark-json FILE]... [--activity FILE]
//                                           context_json() plus the run's keys
//                                           (run_id, profile, benchmark_library,
//                                           concurrent_activity), pretty-printed;
//                                           FILE is written whole, then renamed
//   syncscope-hwinfo activity --exclude-tree PID [--interval S --out FILE]
//                                           other syncscope runs and builds
//                                           (hwinfo_activity.h)
//   syncscope-hwinfo policies               NAME honoured|unsupported REASON
//   syncscope-hwinfo plan POLICY N          PU list for N threads, or the reason
//   syncscope-hwinfo counters [EVENT...]    counters_status()
//   syncscope-hwinfo topology               summary line, then one line per PU
//   syncscope-hwinfo --help
//
// Exit status: 0 success; 1 the request is valid but cannot be met (POLICY
// unsupported here, FILE not writable); 2 bad usage, with one line on
// stderr naming the bad value and the valid ones.
#ifndef SYNCSCOPE_HW_SRC_HWINFO_H_
#define SYNCSCOPE_HW_SRC_HWINFO_H_

#include <iosfwd>

namespace syncscope::hw {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

int hwinfo_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace syncscope::hw

#endif  // SYNCSCOPE_HW_SRC_HWINFO_H_
