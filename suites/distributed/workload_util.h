// workload_util.h — what the distributed suite's workloads share: clients
// with their own channel and session, a start gate, per-client recorders,
// and the counters every case reports (suites/distributed/README.md).
//
// Measurement hygiene: a client records into its own LogLinearHistogram
// (no lock, no allocation per operation); histograms are merged after the
// threads are joined. Times are steady_clock nanoseconds: CLOCK_MONOTONIC,
// shared by every process of the machine, so a child process's timestamps
// compare with the parent's.
#ifndef SYNCSCOPE_SUITES_DISTRIBUTED_WORKLOAD_UTIL_H_
#define SYNCSCOPE_SUITES_DISTRIBUTED_WORKLOAD_UTIL_H_

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster_env.h"
#include "common/fairness_metrics.h"
#include "common/harness.h"
#include "common/histogram.h"
#include "syncscope/etcd/client.h"
#include "syncscope/etcd/session.h"

namespace syncscope::suites::distributed {

inline uint64_t now_ns() noexcept {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// n clients, each with its own Client (gRPC channel, first endpoint rotated
// to member i % members) and its own Session (lease).
struct Clients {
  std::vector<std::unique_ptr<etcd::Client>> client;
  std::vector<std::unique_ptr<etcd::Session>> session;
  Clients(const Cluster& c, int n, int64_t ttl_s = 10) {
    for (int i = 0; i < n; ++i) {
      client.push_back(std::make_unique<etcd::Client>(c.endpoints_for(i)));
      session.push_back(
          std::make_unique<etcd::Session>(*client.back(), etcd::SessionOptions{ttl_s, 0}));
    }
  }
};

// A key prefix no other case of this run (or another run) uses.
std::string unique_prefix(const std::string& what);

// Runs body(i) on n threads started together; rethrows nothing: the first
// exception's message is returned ("" when every body returned).
std::string run_clients(int n, const std::function<void(int)>& body);

// The latency counters (p50_us ... max_us, mean_us, samples) of h (ns) under
// `prefix` ("" for the primary latency: p50_us; "handoff_" -> handoff_p50_us).
void set_latency(benchmark::State& state, const LogLinearHistogram& h,
                 const std::string& prefix = "", bool full = true);

// Ends a case: manual time, the histogram side file entry, the label.
void finish_case(benchmark::State& state, const std::string& name, const LogLinearHistogram& h,
                 double seconds, const Cluster& c);

// The profile's scale: quick cases do a few operations per client.
bool quick() noexcept;

// Runs `body` as a case's one timed iteration; an exception (an etcd error,
// a state not reached in time) ends the case with SkipWithError naming it.
template <class F>
void one_run(benchmark::State& state, F&& body) {
  for (auto _ : state) {
    try {
      body();
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
  }
}

}  // namespace syncscope::suites::distributed

#endif  // SYNCSCOPE_SUITES_DISTRIBUTED_WORKLOAD_UTIL_H_
