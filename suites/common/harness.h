// syncscope suite harness — what every suite executable shares.
//
// Offers:
//   suite_main()        the main() of a suite: parses syncscope's own flags,
//                       records the run's context, runs Google Benchmark.
//   options()           the parsed flags (profile, placements, thread list).
//   thread_sweep()      the thread counts a suite sweeps for this profile.
//   profile_*()         repetitions and minimum time of this profile.
//   place_thread()      pins the calling benchmark thread by its index under a
//                       placement policy, or marks the run "not honoured".
//   ThreadCounterScope  PAPI counters around a measured loop, when usable.
//   bench_name()        "family/key:value/key:value" benchmark names.
//
// Flags (besides Google Benchmark's own --benchmark_* flags):
//   --profile=quick|full      quick: 3 repetitions, short minimum time;
//                             full: 10 repetitions, longer minimum time.
//   --placement=P[,P...]      subset of none,compact,scatter,smt,cross
//                             (default: all). "all" is accepted.
//   --threads=N[,N...]        explicit thread counts (default: the sweep).
// Bad values print one line naming the value and the valid ones, exit 2.
//
// Noise guard (noise.h): around the benchmarks suite_main samples
// /proc/loadavg, /proc/stat (busy and steal jiffies) and getrusage (the
// suite and its children, live and waited for), and adds "syncscope_noise"
// to the --benchmark_out JSON: wall_s, load1_before/after, own_cpu_s,
// foreign_cpu_s (machine busy time minus the suite's own), foreign_cpus,
// steal_s, own_voluntary_csw, own_involuntary_csw, disturbed and its
// thresholds, usable_pus, and per_benchmark: whether each benchmark got a
// window of its own ("recorded: ..." or "not recorded: why"), with
// benchmarks_with_window and benchmarks_disturbed when it did.
// Per benchmark: random interleaving is off unless
// --benchmark_enable_random_interleaving is given, and every row of a
// benchmark (repetitions and aggregates) carries its own window as noise_*
// fields (noise.h, add_noise_counters); suite_main names the disturbed ones
// on stderr. With interleaving on, or a non-JSON --benchmark_out_format,
// only the suite's window is recorded and per_benchmark says why.
//
// Served peer (served_peer.h; issue 11's protocol): with env SYNCSCOPE_PEER
// set (by the suite's prepare.sh: "<peer binary> -serve -out F ...", split
// on single spaces) and per-benchmark windows recorded, suite_main starts
// that command before the first benchmark (stdin and stdout piped, stderr
// the suite's; it waits up to 120 s for its ready line), and after each
// benchmark that measured asks it to run that benchmark's Go twin at once,
// sending the benchmark's iteration rows; the next benchmark's window opens
// after the answer (noise.h). After the run it closes the peer's stdin and
// waits for its exit (600 s, then SIGKILL). The context gets
// "syncscope_peer": "served: <the peer's ready text>" or "not served: why",
// and "syncscope_noise" gets "peer": {"command", "requests", "go_rows",
// "seconds" (waiting for answers)} or "not served: why". With interleaving
// on or no JSON --benchmark_out the peer is not started (peer.sh replays
// afterwards, as without SYNCSCOPE_PEER). Any peer failure prints one line
// "error: <suite> peer: <what happened>", removes the --benchmark_out file
// and exits 1.
//
// Measurement hygiene: nothing here locks or allocates inside a measured
// loop. Placement and counters are set up before the loop and read after it.
#ifndef SYNCSCOPE_SUITES_COMMON_HARNESS_H_
#define SYNCSCOPE_SUITES_COMMON_HARNESS_H_

#include <benchmark/benchmark.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <syncscope/hw/counters.h>
#include <syncscope/hw/placement.h>
#include <syncscope/internal/cpus.h>

namespace syncscope::suites {

enum class Profile { kQuick, kFull };
const char* profile_name(Profile p) noexcept;

struct SuiteOptions {
  std::string suite;                       // e.g. "atomics"
  Profile profile = Profile::kQuick;
  std::vector<hw::Policy> placements;      // policies to sweep
  std::vector<int> threads;                // empty: the suite's default sweep
};

// The options parsed by suite_main (valid once suite_main has started).
const SuiteOptions& options() noexcept;

// Parses syncscope's flags out of argv (removing them) into `out`.
// Returns an empty string on success, else the one-line error message.
std::string parse_suite_flags(int* argc, char** argv, SuiteOptions* out);

// Number of PUs this process may run on: syncscope::usable_cpus() (the
// process's affinity mask read once at load, so a benchmark thread that
// pinned itself does not shrink it), as the int the sweeps count in.
inline int usable_pus() noexcept { return static_cast<int>(usable_cpus()); }

// Thread counts to sweep up to `max_threads`: --threads when given; otherwise
// quick = 1, 2, 4, ... below max_threads, plus max_threads; full = 1..max_threads.
std::vector<int> thread_sweep(int max_threads);

// The profile's repetitions (quick 3, full 10) and minimum time per
// repetition (quick 0.05 s, full 0.5 s). suite_main passes them to Google
// Benchmark as its global defaults.
int profile_repetitions() noexcept;
double profile_min_time_s() noexcept;

// Called by every thread of a benchmark before its measured loop. Plans the
// placement for state.threads() threads; when the policy cannot be honoured
// it calls SkipWithError with the reason and returns false (the caller must
// return without entering the loop). Otherwise pins this thread to its PU
// (policy none restores the process's original affinity), thread 0 sets the
// label "placement=P;pus=..." and it returns true.
bool place_thread(benchmark::State& state, hw::Policy policy);

// Pins a thread the harness did not create (e.g. c2c's own threads);
// -1 restores the original affinity. Returns false on failure.
bool pin_to(int os_pu) noexcept;

// PAPI counters for the calling thread around a measured loop. When the
// events are unusable (probed once at start-up) it does nothing at all.
// stop() adds the working events to state.counters as per-iteration values.
class ThreadCounterScope {
 public:
  explicit ThreadCounterScope(benchmark::State& state);
  ~ThreadCounterScope();
  ThreadCounterScope(const ThreadCounterScope&) = delete;
  ThreadCounterScope& operator=(const ThreadCounterScope&) = delete;
  void stop();

 private:
  benchmark::State& state_;
  hw::ThreadCounters* counters_ = nullptr;  // owned; null when unavailable
  bool stopped_ = false;
};

// bench_name("atomics_latency", {{"op","fetch_add"},{"path","x86_64"}})
//   -> "atomics_latency/op:fetch_add/path:x86_64"
std::string bench_name(const std::string& family,
                       const std::vector<std::pair<std::string, std::string>>& kv);

// Side files: data too large or too structured for benchmark counters
// (histogram buckets, per-thread traces). record_side_data(file, key, value)
// stores value under key (the benchmark name; a later repetition replaces an
// earlier one); suite_main writes each file as one JSON object next to the
// --benchmark_out file when the run ends. Call outside measured loops only.
void record_side_data(const std::string& file, const std::string& key, nlohmann::json value);

// bool_flag_on(argc, argv, flag): the last FLAG[=V] among the arguments read
// as Google Benchmark reads a bool flag (a bare flag is true); false when
// absent. random_interleaving_on: --benchmark_enable_random_interleaving
// (Google Benchmark will interleave repetitions at random).
bool bool_flag_on(int argc, char** argv, std::string_view flag);
bool random_interleaving_on(int argc, char** argv);

// The main() of a suite: parse flags, record context (suite, profile,
// placements and their support, counters status, library versions), call
// `register_benchmarks`, run, and return the exit code.
int suite_main(int argc, char** argv, const char* suite, void (*register_benchmarks)());

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_HARNESS_H_
