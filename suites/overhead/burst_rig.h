// BurstRig — B threads released together, round after round, each making
// one call (the `overhead` suite's SingleFlight benchmark: a burst of
// identical requests).
//
// This file offers:
//   template <class F> class BurstRig
//     BurstRig(b, call)   starts b threads; call(thread_index) is what each
//                         does once per round
//     round() -> ns       releases the b threads at once (a std::barrier of
//                         b + 1: the threads and the caller) and waits until
//                         all returned from call(); the round's wall time
//     ~BurstRig           stops and joins the threads
//
// A round is two barrier phases: "go" (everyone arrives, the threads then
// call) and "done" (everyone arrives after calling). The caller decides
// between rounds whether to stop: it sets the flag before the next "go", so
// every thread reads it after that barrier (which orders it).
#ifndef SYNCSCOPE_SUITES_OVERHEAD_BURST_RIG_H_
#define SYNCSCOPE_SUITES_OVERHEAD_BURST_RIG_H_

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <thread>
#include <utility>
#include <vector>

namespace syncscope::suites {

template <class F>
class BurstRig {
 public:
  BurstRig(int b, F call) : call_(std::move(call)), barrier_(b + 1) {
    threads_.reserve(static_cast<std::size_t>(b));
    for (int t = 0; t < b; ++t) threads_.emplace_back([this, t] { run(t); });
  }
  ~BurstRig() {
    stop_.store(true, std::memory_order_relaxed);
    barrier_.arrive_and_wait();  // "go": the threads see stop_ and leave
    for (auto& t : threads_) t.join();
  }
  BurstRig(const BurstRig&) = delete;
  BurstRig& operator=(const BurstRig&) = delete;

  int64_t round() {
    const auto t0 = std::chrono::steady_clock::now();
    barrier_.arrive_and_wait();  // go
    barrier_.arrive_and_wait();  // done
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                t0)
        .count();
  }

 private:
  void run(int t) {
    for (;;) {
      barrier_.arrive_and_wait();  // go
      if (stop_.load(std::memory_order_relaxed)) return;
      call_(t);
      barrier_.arrive_and_wait();  // done
    }
  }

  F call_;
  std::barrier<> barrier_;
  // Set by the destructor before the last "go"; read by the threads after it.
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_OVERHEAD_BURST_RIG_H_
