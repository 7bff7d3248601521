// suites/bugs/detector_overhead.h — the blocking-bug detector's cost per
// operation, one body for the three builds it is measured in:
//   detector:compiled_out  syncscope_bugs_detector_out (the primitives built
//                          with SYNCSCOPE_WAIT_REGISTRY=0: no hook at all)
//   detector:in_off        syncscope_bugs, detector compiled in, not enabled
//   detector:on            syncscope_bugs, detector::enable() around the loop
// Operations: an uncontended GoMutex lock+unlock and GoRWMutex
// lock_shared+unlock_shared (fast paths: the ownership hooks), a send+receive
// on a buffered Chan by one thread (no hook on that path), and a round trip
// through two unbuffered Chans with an echo thread (the parking path: the
// wait hooks). Counter ns_per_op.
#ifndef SYNCSCOPE_SUITES_BUGS_DETECTOR_OVERHEAD_H_
#define SYNCSCOPE_SUITES_BUGS_DETECTOR_OVERHEAD_H_

#include <benchmark/benchmark.h>
#include <syncscope/blocking_detector.h>
#include <syncscope/chan.h>
#include <syncscope/go_mutex.h>
#include <syncscope/go_rwmutex.h>

#include <chrono>
#include <string>
#include <thread>

namespace syncscope::suites::bugs_overhead {

inline constexpr const char* kOps[] = {"mutex_lock_unlock", "rwmutex_rlock_runlock",
                                       "chan_buffered_send_recv", "chan_unbuffered_round_trip"};

// Runs op `op` (an index into kOps); enable: turn the detector on around it.
inline void run(benchmark::State& state, int op, bool enable) {
  using Clock = std::chrono::steady_clock;
  if (enable && !detector::enable([](const detector::Finding&) {})) {
    state.SkipWithError("the detector is compiled out of this build");
    return;
  }
  GoMutex m;
  GoRWMutex rw;
  Chan<int> buf(1), ping(0), pong(0);
  std::thread echo;
  if (op == 3) {
    echo = std::thread([&] {
      for (int v : ping) pong.send(v);
    });
  }
  int64_t n = 0;
  const auto t0 = Clock::now();
  for (auto _ : state) {
    switch (op) {
      case 0:
        m.lock();
        m.unlock();
        break;
      case 1:
        rw.lock_shared();
        rw.unlock_shared();
        break;
      case 2:
        buf.send(1);
        benchmark::DoNotOptimize(buf.receive());
        break;
      default:
        ping.send(1);
        benchmark::DoNotOptimize(pong.receive());
        break;
    }
    ++n;
  }
  const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
  if (op == 3) {
    ping.close();
    echo.join();
  }
  if (enable) detector::disable();
  state.counters["ns_per_op"] = n > 0 ? ns / static_cast<double>(n) : 0.0;
}

inline std::string name(int op, const char* detector_mode) {
  return std::string("bugs_detector_overhead/op:") + kOps[op] + "/detector:" + detector_mode;
}

}  // namespace syncscope::suites::bugs_overhead

#endif  // SYNCSCOPE_SUITES_BUGS_DETECTOR_OVERHEAD_H_
