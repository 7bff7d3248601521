// Suite `overhead`: what one operation of each remaining Go primitive costs,
// next to the C++ standard library's answer where it has one.
//
// Families (key:value names; GB appends /manual_time, /real_time,
// /threads:N). Every family reports ns_per_op — its headline value, the
// one the report's overhead table shows — with "op" as stated:
//   overhead_once/impl:Once|std_call_once
//       call(f) on an Once that is already done (the fast path every
//       caller after the first takes). op = one call. Also cpu_ns_per_op.
//   overhead_wait_group/impl:WaitGroup
//       add(1); done(); wait() on one thread (the counter returns to zero;
//       nobody parks). op = one cycle. Also cpu_ns_per_op.
//   overhead_cond_broadcast/impl:Cond|std_condition_variable/waiters:K
//       K parked waiters, one broadcast (broadcast_rig.h); Cond on a GoMutex
//       (Go's sync.Cond on a sync.Mutex), the standard one on a std::mutex.
//       op = one broadcast until the LAST waiter is awake (it has also
//       re-acquired the lock). Counters last_wake_p50_ns (= ns_per_op),
//       last_wake_p99_ns, first_wake_p50_ns, rounds.
//   overhead_context_cancel/depth:D/width:W
//       a tree of with_cancel contexts below a root (context_tree.h), width^D
//       leaves; one thread blocks on every leaf's done() in turn. op = from
//       just before the root's cancel() until that thread has seen every
//       leaf's done() closed. Counters all_done_p50_ns (= ns_per_op),
//       all_done_p99_ns, cancel_call_p50_ns (the cancel() call alone),
//       nodes, leaves, rounds.
//   overhead_semaphore/impl:Semaphore|std_counting_semaphore/mode:M
//       size-1 semaphore, acquire(1) + release(1). mode:uncontended one
//       thread; mode:contended the usable PUs and twice as many threads on
//       the same semaphore. op = one pair (per thread). ops_per_s: all
//       threads.
//   overhead_single_flight/burst:B
//       B threads released at once (burst_rig.h) call do_call("key", fn)
//       with the same key; fn sleeps 100 us (a lookup waiting on I/O).
//       Counters fn_calls_per_do (calls of fn per do_call: 1/B when the
//       whole burst is merged, 1 when nothing is), ideal_fn_calls_per_do
//       (1/B), shared_rate (do_calls whose result was shared), ns_per_op =
//       median do_call latency, do_p99_ns, rounds.
//   overhead_err_group/impl:ErrGroup|std_thread/tasks:N
//       N trivial functions started and waited for: ErrGroup::go + wait()
//       versus std::thread construction + join(). op = one task.
//
// One timed run per Google Benchmark iteration for the rig families
// (manual time = the run's wall time, at least the profile's minimum time,
// so Google Benchmark does not repeat it within a repetition): the
// counters are computed over the run's rounds.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <semaphore>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <time.h>

#include <syncscope/err_group.h>
#include <syncscope/once.h>
#include <syncscope/semaphore.h>
#include <syncscope/single_flight.h>
#include <syncscope/wait_group.h>

#include "common/harness.h"
#include "common/histogram.h"
#include "overhead/broadcast_rig.h"
#include "overhead/burst_rig.h"
#include "overhead/context_tree.h"

namespace syncscope::suites {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kUnroll = 8;
constexpr auto kFlightWork = std::chrono::microseconds(100);

bool full() { return options().profile == Profile::kFull; }
// A rig run: at least the profile's minimum time (one GB iteration per
// repetition) and at least kMinRounds rounds (enough for a p50), at most
// kMaxRounds.
double run_s() { return profile_min_time_s() * 1.2; }
constexpr int kMinRounds = 20;
int max_rounds() { return full() ? 200000 : 20000; }

double thread_cpu_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Runs round() until the run is long enough; returns rounds done.
template <class Round>
int timed_rounds(Round&& round) {
  const auto t0 = Clock::now();
  int n = 0;
  while (n < max_rounds() && (n < kMinRounds || seconds_since(t0) < run_s())) {
    round();
    ++n;
  }
  return n;
}

// Per-op wall and CPU time of a tight single-thread loop.
class LoopTimer {
 public:
  LoopTimer() : cpu0_(thread_cpu_ns()), t0_(Clock::now()) {}
  void report(benchmark::State& state, double ops) const {
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0_).count();
    const double cpu = thread_cpu_ns() - cpu0_;
    state.counters["ns_per_op"] = ops > 0 ? ns / ops : 0.0;
    state.counters["cpu_ns_per_op"] = ops > 0 ? cpu / ops : 0.0;
  }

 private:
  double cpu0_;
  Clock::time_point t0_;
};

// ---------------------------------------------------------------- Once
void BM_Once(benchmark::State& state) {
  Once once;
  int calls = 0;
  once.call([&] { ++calls; });
  int64_t ops = 0;
  LoopTimer timer;
  for (auto _ : state) {
    for (int i = 0; i < kUnroll; ++i) {
      once.call([&] { ++calls; });
      benchmark::ClobberMemory();
    }
    ops += kUnroll;
  }
  timer.report(state, static_cast<double>(ops));
  if (calls != 1) state.SkipWithError("Once ran its function more than once");
}

void BM_StdCallOnce(benchmark::State& state) {
  std::once_flag flag;
  int calls = 0;
  std::call_once(flag, [&] { ++calls; });
  int64_t ops = 0;
  LoopTimer timer;
  for (auto _ : state) {
    for (int i = 0; i < kUnroll; ++i) {
      std::call_once(flag, [&] { ++calls; });
      benchmark::ClobberMemory();
    }
    ops += kUnroll;
  }
  timer.report(state, static_cast<double>(ops));
  if (calls != 1) state.SkipWithError("std::call_once ran its function more than once");
}

// ---------------------------------------------------------------- WaitGroup
void BM_WaitGroup(benchmark::State& state) {
  WaitGroup wg;
  int64_t ops = 0;
  LoopTimer timer;
  for (auto _ : state) {
    wg.add(1);
    wg.done();
    wg.wait();
    ++ops;
  }
  timer.report(state, static_cast<double>(ops));
}

// ---------------------------------------------------------------- Cond
template <class C>
void BM_CondBroadcast(benchmark::State& state, int waiters) {
  auto last = std::make_unique<LogLinearHistogram>();
  auto first = std::make_unique<LogLinearHistogram>();
  int rounds = 0;
  for (auto _ : state) {
    last->reset();
    first->reset();
    const auto t0 = Clock::now();
    {
      BroadcastRig<C> rig(waiters);
      rounds = timed_rounds([&] {
        const RoundTimes r = rig.round();
        last->record(static_cast<uint64_t>(r.last_ns));
        first->record(static_cast<uint64_t>(r.first_ns));
      });
    }
    state.SetIterationTime(seconds_since(t0));
  }
  state.counters["ns_per_op"] = static_cast<double>(last->percentile(0.5));
  state.counters["last_wake_p50_ns"] = static_cast<double>(last->percentile(0.5));
  state.counters["last_wake_p99_ns"] = static_cast<double>(last->percentile(0.99));
  state.counters["first_wake_p50_ns"] = static_cast<double>(first->percentile(0.5));
  state.counters["rounds"] = rounds;
  state.SetLabel(std::string(C::kName) +
                 (std::is_same_v<C, GoCondPeer> ? " on GoMutex" : " on std::mutex"));
}

// ---------------------------------------------------------------- Context
// One round: build the tree, let a waiter thread block on the leaves,
// cancel the root, wait for the waiter to have seen every leaf done.
struct CancelWaiter {
  std::atomic<const ContextTree*> tree{nullptr};  // set per round (release)
  std::atomic<bool> receiving{false};             // the waiter is about to block
  std::atomic<int64_t> done_at_ns{0};             // 0 until the waiter saw all leaves done
  std::atomic<bool> stop{false};
};

int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

void BM_ContextCancel(benchmark::State& state, int depth, int width) {
  auto all_done = std::make_unique<LogLinearHistogram>();
  auto call = std::make_unique<LogLinearHistogram>();
  int rounds = 0;
  std::size_t nodes = 0, leaves = 0;
  for (auto _ : state) {
    all_done->reset();
    call->reset();
    const auto t0 = Clock::now();
    CancelWaiter w;
    std::thread waiter([&w] {
      for (;;) {
        const ContextTree* t;
        while ((t = w.tree.load(std::memory_order_acquire)) == nullptr) {
          if (w.stop.load(std::memory_order_acquire)) return;
          std::this_thread::yield();
        }
        w.receiving.store(true, std::memory_order_release);
        t->wait_all_leaves_done();
        w.tree.store(nullptr, std::memory_order_relaxed);
        w.done_at_ns.store(steady_ns(), std::memory_order_release);
      }
    });
    rounds = timed_rounds([&] {
      ContextTree tree(depth, width);
      nodes = tree.nodes();
      leaves = tree.leaves().size();
      w.done_at_ns.store(0, std::memory_order_relaxed);
      w.receiving.store(false, std::memory_order_relaxed);
      w.tree.store(&tree, std::memory_order_release);
      while (!w.receiving.load(std::memory_order_acquire)) std::this_thread::yield();
      const int64_t c0 = steady_ns();
      tree.cancel_root()();
      const int64_t c1 = steady_ns();
      int64_t done;
      while ((done = w.done_at_ns.load(std::memory_order_acquire)) == 0) std::this_thread::yield();
      call->record(static_cast<uint64_t>(c1 - c0));
      all_done->record(static_cast<uint64_t>(done - c0));
    });
    w.stop.store(true, std::memory_order_release);
    waiter.join();
    state.SetIterationTime(seconds_since(t0));
  }
  state.counters["ns_per_op"] = static_cast<double>(all_done->percentile(0.5));
  state.counters["all_done_p50_ns"] = static_cast<double>(all_done->percentile(0.5));
  state.counters["all_done_p99_ns"] = static_cast<double>(all_done->percentile(0.99));
  state.counters["cancel_call_p50_ns"] = static_cast<double>(call->percentile(0.5));
  state.counters["nodes"] = static_cast<double>(nodes);
  state.counters["leaves"] = static_cast<double>(leaves);
  state.counters["rounds"] = rounds;
}

// ---------------------------------------------------------------- Semaphore
struct GoSemaphorePeer {
  static constexpr const char* kName = "Semaphore";
  Semaphore sem{1};
  void acquire() {
    if (sem.acquire(1)) throw std::logic_error("Semaphore::acquire failed on a background context");
  }
  void release() { sem.release(1); }
};

struct StdSemaphorePeer {
  static constexpr const char* kName = "std_counting_semaphore";
  std::counting_semaphore<> sem{1};
  void acquire() { sem.acquire(); }
  void release() { sem.release(); }
};

template <class S>
struct SharedSem {
  static inline std::unique_ptr<S> sem;
};
template <class S>
void setup_sem(const benchmark::State&) {
  SharedSem<S>::sem = std::make_unique<S>();
}
template <class S>
void teardown_sem(const benchmark::State&) {
  SharedSem<S>::sem.reset();
}

template <class S>
void BM_Semaphore(benchmark::State& state) {
  using benchmark::Counter;
  S& s = *SharedSem<S>::sem;
  int64_t ops = 0;
  const double cpu0 = thread_cpu_ns();
  const auto t0 = Clock::now();
  for (auto _ : state) {
    s.acquire();
    benchmark::ClobberMemory();
    s.release();
    ++ops;
  }
  const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
  const double cpu = thread_cpu_ns() - cpu0;
  const double n = static_cast<double>(ops ? ops : 1);
  state.counters["ns_per_op"] = Counter(ns / n, Counter::kAvgThreads);
  state.counters["cpu_ns_per_op"] = Counter(cpu / n, Counter::kAvgThreads);
  state.counters["ops_per_s"] = static_cast<double>(ops) / (ns * 1e-9);
}

// ---------------------------------------------------------------- SingleFlight
void BM_SingleFlight(benchmark::State& state, int burst) {
  std::atomic<uint64_t> fn_calls{0}, dos{0}, shared{0};
  std::vector<std::unique_ptr<LogLinearHistogram>> lat;
  for (int t = 0; t < burst; ++t) lat.push_back(std::make_unique<LogLinearHistogram>());
  int rounds = 0;
  for (auto _ : state) {
    fn_calls = dos = shared = 0;
    for (auto& h : lat) h->reset();
    const auto t0 = Clock::now();
    {
      SingleFlight<std::string, int> group;
      const std::string key = "key";
      auto call = [&](int t) {
        const auto c0 = Clock::now();
        const auto r = group.do_call(key, [&] {
          fn_calls.fetch_add(1, std::memory_order_relaxed);
          std::this_thread::sleep_for(kFlightWork);
          return 42;
        });
        const auto c1 = Clock::now();
        lat[static_cast<std::size_t>(t)]->record(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(c1 - c0).count()));
        dos.fetch_add(1, std::memory_order_relaxed);
        if (r.shared) shared.fetch_add(1, std::memory_order_relaxed);
      };
      BurstRig<decltype(call)> rig(burst, call);
      rounds = timed_rounds([&] { rig.round(); });
    }
    state.SetIterationTime(seconds_since(t0));
  }
  LogLinearHistogram all;
  for (const auto& h : lat) all.merge(*h);
  const double d = static_cast<double>(dos.load());
  state.counters["fn_calls_per_do"] = d > 0 ? static_cast<double>(fn_calls.load()) / d : 0.0;
  state.counters["ideal_fn_calls_per_do"] = 1.0 / burst;
  state.counters["shared_rate"] = d > 0 ? static_cast<double>(shared.load()) / d : 0.0;
  state.counters["ns_per_op"] = static_cast<double>(all.percentile(0.5));
  state.counters["do_p99_ns"] = static_cast<double>(all.percentile(0.99));
  state.counters["rounds"] = rounds;
}

// ---------------------------------------------------------------- ErrGroup
void BM_ErrGroup(benchmark::State& state, int tasks) {
  std::atomic<int64_t> ran{0};
  int64_t ops = 0;
  LoopTimer timer;
  for (auto _ : state) {
    ErrGroup g;
    for (int i = 0; i < tasks; ++i) g.go([&ran] { ran.fetch_add(1, std::memory_order_relaxed); });
    if (g.wait()) state.SkipWithError("ErrGroup::wait returned an error");
    ops += tasks;
  }
  timer.report(state, static_cast<double>(ops));
  if (ran.load() != ops) state.SkipWithError("ErrGroup lost a task");
}

void BM_StdThread(benchmark::State& state, int tasks) {
  std::atomic<int64_t> ran{0};
  std::vector<std::thread> ts;
  ts.reserve(static_cast<std::size_t>(tasks));
  int64_t ops = 0;
  LoopTimer timer;
  for (auto _ : state) {
    for (int i = 0; i < tasks; ++i)
      ts.emplace_back([&ran] { ran.fetch_add(1, std::memory_order_relaxed); });
    for (auto& t : ts) t.join();
    ts.clear();
    ops += tasks;
  }
  timer.report(state, static_cast<double>(ops));
  if (ran.load() != ops) state.SkipWithError("a std::thread task did not run");
}

// ---------------------------------------------------------------- registration
void register_all() {
  benchmark::RegisterBenchmark("overhead_once/impl:Once", BM_Once);
  benchmark::RegisterBenchmark("overhead_once/impl:std_call_once", BM_StdCallOnce);
  benchmark::RegisterBenchmark("overhead_wait_group/impl:WaitGroup", BM_WaitGroup);

  for (int k : {1, 4, 16}) {
    benchmark::RegisterBenchmark(
        bench_name("overhead_cond_broadcast",
                   {{"impl", GoCondPeer::kName}, {"waiters", std::to_string(k)}})
            .c_str(),
        [k](benchmark::State& st) { BM_CondBroadcast<GoCondPeer>(st, k); })
        ->UseManualTime();
    benchmark::RegisterBenchmark(
        bench_name("overhead_cond_broadcast",
                   {{"impl", StdCondPeer::kName}, {"waiters", std::to_string(k)}})
            .c_str(),
        [k](benchmark::State& st) { BM_CondBroadcast<StdCondPeer>(st, k); })
        ->UseManualTime();
  }

  std::vector<std::pair<int, int>> shapes = {{1, 1}, {1, 16}, {1, 256}, {16, 1}, {256, 1}, {3, 8}};
  if (full()) {
    for (auto s : {std::pair{1, 64}, {64, 1}, {2, 16}, {4, 8}}) shapes.push_back(s);
  }
  for (auto [d, w] : shapes) {
    benchmark::RegisterBenchmark(
        bench_name("overhead_context_cancel",
                   {{"depth", std::to_string(d)}, {"width", std::to_string(w)}})
            .c_str(),
        [d = d, w = w](benchmark::State& st) { BM_ContextCancel(st, d, w); })
        ->UseManualTime();
  }

  const int pus = usable_pus();
  std::vector<int> contended = {std::max(2, pus), std::max(2, pus) * 2};
  auto sem = [&]<class S>() {
    benchmark::RegisterBenchmark(
        bench_name("overhead_semaphore", {{"impl", S::kName}, {"mode", "uncontended"}}).c_str(),
        BM_Semaphore<S>)
        ->Setup(&setup_sem<S>)
        ->Teardown(&teardown_sem<S>)
        ->UseRealTime();
    auto* b = benchmark::RegisterBenchmark(
        bench_name("overhead_semaphore", {{"impl", S::kName}, {"mode", "contended"}}).c_str(),
        BM_Semaphore<S>);
    for (int t : contended) b->Threads(t);
    b->Setup(&setup_sem<S>)->Teardown(&teardown_sem<S>)->UseRealTime();
  };
  sem.template operator()<GoSemaphorePeer>();
  sem.template operator()<StdSemaphorePeer>();

  std::vector<int> bursts = {4, 16};
  if (full()) bursts.push_back(64);
  for (int b : bursts) {
    benchmark::RegisterBenchmark(
        bench_name("overhead_single_flight", {{"burst", std::to_string(b)}}).c_str(),
        [b](benchmark::State& st) { BM_SingleFlight(st, b); })
        ->UseManualTime();
  }

  for (int n : {1, 8}) {
    benchmark::RegisterBenchmark(
        bench_name("overhead_err_group", {{"impl", "ErrGroup"}, {"tasks", std::to_string(n)}})
            .c_str(),
        [n](benchmark::State& st) { BM_ErrGroup(st, n); })
        ->UseRealTime();
    benchmark::RegisterBenchmark(
        bench_name("overhead_err_group", {{"impl", "std_thread"}, {"tasks", std::to_string(n)}})
            .c_str(),
        [n](benchmark::State& st) { BM_StdThread(st, n); })
        ->UseRealTime();
  }
}

}  // namespace
}  // namespace syncscope::suites

int main(int argc, char** argv) {
  return syncscope::suites::suite_main(argc, argv, "overhead", &syncscope::suites::register_all);
}
