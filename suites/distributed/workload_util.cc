// workload_util.cc — see workload_util.h.
#include "workload_util.h"

#include <unistd.h>

#include <latch>

#include <nlohmann/json.hpp>

namespace syncscope::suites::distributed {

std::string unique_prefix(const std::string& what) {
  static std::atomic<int> next{0};
  return "/syncscope-distributed/" + std::to_string(::getpid()) + "-" +
         std::to_string(now_ns() % 1000000007ULL) + "/" + std::to_string(next.fetch_add(1)) + "/" +
         what;
}

std::string run_clients(int n, const std::function<void(int)>& body) {
  std::latch start(n);
  std::mutex mu;
  std::string first_error;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        body(i);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> g(mu);
        if (first_error.empty()) first_error = "client " + std::to_string(i) + ": " + e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  return first_error;
}

void set_latency(benchmark::State& state, const LogLinearHistogram& h, const std::string& prefix,
                 bool full) {
  auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  state.counters[prefix + "p50_us"] = us(h.percentile(0.50));
  state.counters[prefix + "p99_us"] = us(h.percentile(0.99));
  if (!full) return;
  state.counters[prefix + "p90_us"] = us(h.percentile(0.90));
  state.counters[prefix + "p999_us"] = us(h.percentile(0.999));
  state.counters[prefix + "max_us"] = us(h.max());
  state.counters[prefix + "mean_us"] = h.mean() / 1000.0;
  state.counters[prefix + "samples"] = static_cast<double>(h.count());
}

void finish_case(benchmark::State& state, const std::string& name, const LogLinearHistogram& h,
                 double seconds, const Cluster& c) {
  state.SetIterationTime(seconds);
  nlohmann::json b = nlohmann::json::array();
  for (auto [ub, n] : h.buckets()) b.push_back({ub, n});
  record_side_data("distributed_hist.json", name, {{"buckets", b}});
  state.SetLabel(c.describe());
}

bool quick() noexcept { return options().profile == Profile::kQuick; }

}  // namespace syncscope::suites::distributed
