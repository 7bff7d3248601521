// Suite `atomics`: the per-arch atomic paths measured side by side.
//
// Families (Google Benchmark names, key:value segments; see plots/):
//   atomics_latency/op:O/path:P/bits:B     uncontended latency: a dependent
//       chain — each operation's address depends on the previous result, so
//       operations cannot overlap. Counter ns_per_op.
//   atomics_throughput/op:O/path:P/bits:64 uncontended throughput: eight
//       independent operations on eight lines per step. ns_per_op, ops_per_s.
//   atomics_contended/op:O/path:P/layout:L/placement:X/threads:N
//       N threads on one shared line (layout:shared) or each on its own padded
//       line (layout:padded: the false-sharing baseline). ops_per_s (all
//       threads), ns_per_op (per thread), cas_fail_rate (op:cas_loop).
//   atomics_overhead/harness               the same loop with no atomic in
//       it: the harness's own cost per measured operation.
//
// Paths: portable (std::atomic, what the compiler emits), x86_64 (inline
// `lock xadd` / `lock cmpxchg` / `xchg`), llsc (ldaxr/stlxr loops), lse
// (ldaddal/casal/swpal). A path is registered only where it is available.
// All operations use memory_order_seq_cst, the default of std::atomic.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>

#include <syncscope/arch/atomic.h>

#include "common/harness.h"

namespace syncscope::suites {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kUnroll = 8;              // operations per benchmark iteration
constexpr size_t kLine = 128;           // padding: two 64-byte lines (adjacent-line prefetch)
constexpr std::memory_order kSeq = std::memory_order_seq_cst;

enum class Op { kFetchAdd, kCas, kExchange, kLoad, kStore, kCasLoop };

const char* op_name(Op op) {
  switch (op) {
    case Op::kFetchAdd: return "fetch_add";
    case Op::kCas: return "cas";
    case Op::kExchange: return "exchange";
    case Op::kLoad: return "load";
    case Op::kStore: return "store";
    case Op::kCasLoop: return "cas_loop";
  }
  return "?";
}

// Hides a value from the optimizer without emitting an instruction, so
// `opaque(r) >> top_bit` is 0 at run time but a true data dependency.
template <class T>
inline T opaque(T v) noexcept {
  asm volatile("" : "+r"(v));
  return v;
}

template <class T>
struct alignas(kLine) PaddedAtomic {
  std::atomic<T> value{0};
};

// One dependent step: the address used depends on the previous result r.
template <class Ops, Op kOp, class T>
inline T chain_step(std::atomic<T>* base, T r) noexcept {
  const T dep = opaque(r) >> (sizeof(T) * 8 - 1);  // 0: values never reach the top bit
  std::atomic<T>& a = *(base + dep);
  if constexpr (kOp == Op::kFetchAdd) {
    return Ops::fetch_add(a, T(1), kSeq);
  } else if constexpr (kOp == Op::kCas) {
    T expected = r;  // we know the current value: every CAS succeeds
    Ops::compare_exchange(a, expected, T(r + 1), kSeq, kSeq);
    return T(r + 1);
  } else if constexpr (kOp == Op::kExchange) {
    return Ops::exchange(a, T(r + 1), kSeq);
  } else if constexpr (kOp == Op::kLoad) {
    return Ops::load(a, kSeq);
  } else {
    // A store yields no result to chain on: back-to-back stores, each
    // storing a value computed from the previous one.
    Ops::store(a, T(r + 1), kSeq);
    return T(r + 1);
  }
}

template <class Ops, Op kOp, class T>
void BM_Latency(benchmark::State& state) {
  PaddedAtomic<T> cell;
  T r = 0;
  int64_t ops = 0;
  ThreadCounterScope counters(state);
  const auto t0 = Clock::now();
  for (auto _ : state) {
    for (int i = 0; i < kUnroll; ++i) r = chain_step<Ops, kOp, T>(&cell.value, r);
    ops += kUnroll;
  }
  const auto t1 = Clock::now();
  counters.stop();
  benchmark::DoNotOptimize(r);
  const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
  state.counters["ns_per_op"] = ns / static_cast<double>(ops ? ops : 1);
  state.SetItemsProcessed(ops);
}

template <class Ops, Op kOp>
void BM_Throughput(benchmark::State& state) {
  std::array<PaddedAtomic<uint64_t>, kUnroll> cells;
  uint64_t sink = 0;
  int64_t ops = 0;
  ThreadCounterScope counters(state);
  const auto t0 = Clock::now();
  for (auto _ : state) {
    for (int i = 0; i < kUnroll; ++i) {
      std::atomic<uint64_t>& a = cells[i].value;
      if constexpr (kOp == Op::kFetchAdd) {
        sink += Ops::fetch_add(a, uint64_t{1}, kSeq);
      } else if constexpr (kOp == Op::kCas) {
        uint64_t expected = Ops::load(a, std::memory_order_relaxed);
        sink += Ops::compare_exchange(a, expected, expected + 1, kSeq, kSeq);
      } else if constexpr (kOp == Op::kExchange) {
        sink += Ops::exchange(a, sink, kSeq);
      } else if constexpr (kOp == Op::kLoad) {
        sink += Ops::load(a, kSeq);
      } else {
        Ops::store(a, sink, kSeq);
        ++sink;
      }
    }
    ops += kUnroll;
  }
  const auto t1 = Clock::now();
  counters.stop();
  benchmark::DoNotOptimize(sink);
  const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
  state.counters["ns_per_op"] = ns / static_cast<double>(ops ? ops : 1);
  state.counters["ops_per_s"] = static_cast<double>(ops) / (ns * 1e-9);
  state.SetItemsProcessed(ops);
}

// Cells shared by the threads of one contended benchmark run. Google
// Benchmark runs one benchmark at a time, so one static set suffices.
constexpr int kMaxThreads = 1024;
PaddedAtomic<uint64_t> g_shared;
std::array<PaddedAtomic<uint64_t>, kMaxThreads> g_padded;

template <class Ops, Op kOp>
void BM_Contended(benchmark::State& state, bool shared, hw::Policy policy) {
  if (state.threads() > kMaxThreads) {
    state.SkipWithError("more threads than the suite's padded cells");
    return;
  }
  if (!place_thread(state, policy)) return;
  std::atomic<uint64_t>& a = shared ? g_shared.value : g_padded[state.thread_index()].value;
  uint64_t sink = 0, attempts = 0, failures = 0;
  int64_t ops = 0;
  ThreadCounterScope counters(state);
  const auto t0 = Clock::now();
  for (auto _ : state) {
    for (int i = 0; i < kUnroll; ++i) {
      if constexpr (kOp == Op::kFetchAdd) {
        sink += Ops::fetch_add(a, uint64_t{1}, kSeq);
      } else if constexpr (kOp == Op::kExchange) {
        sink += Ops::exchange(a, sink, kSeq);
      } else {
        // A CAS-loop increment: the pattern of every lock-free counter.
        uint64_t expected = Ops::load(a, std::memory_order_relaxed);
        ++attempts;
        while (!Ops::compare_exchange(a, expected, expected + 1, kSeq, std::memory_order_relaxed)) {
          ++attempts;
          ++failures;
        }
      }
    }
    ops += kUnroll;
  }
  const auto t1 = Clock::now();
  counters.stop();
  benchmark::DoNotOptimize(sink);
  const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
  // Sums over threads: ops_per_s is the aggregate rate; the averaged ones
  // are per thread.
  state.counters["ops_per_s"] = static_cast<double>(ops) / (ns * 1e-9);
  state.counters["ns_per_op"] =
      benchmark::Counter(ns / static_cast<double>(ops ? ops : 1), benchmark::Counter::kAvgThreads);
  if constexpr (kOp == Op::kCasLoop) {
    state.counters["cas_fail_rate"] = benchmark::Counter(
        attempts ? static_cast<double>(failures) / static_cast<double>(attempts) : 0.0,
        benchmark::Counter::kAvgThreads);
  }
  state.SetItemsProcessed(ops);
}

void BM_HarnessOverhead(benchmark::State& state) {
  uint64_t r = 0;
  int64_t ops = 0;
  const auto t0 = Clock::now();
  for (auto _ : state) {
    for (int i = 0; i < kUnroll; ++i) r = opaque(r) + 1;
    ops += kUnroll;
  }
  const auto t1 = Clock::now();
  benchmark::DoNotOptimize(r);
  const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
  state.counters["ns_per_op"] = ns / static_cast<double>(ops ? ops : 1);
}

template <class Ops>
bool path_available() {
  for (arch::Path p : arch::available_paths())
    if (p == Ops::kPath) return true;
  return false;
}

template <class Ops, Op kOp, class T>
void register_latency() {
  benchmark::RegisterBenchmark(
      bench_name("atomics_latency", {{"op", op_name(kOp)}, {"path", Ops::kName}, {"bits", std::to_string(sizeof(T) * 8)}})
          .c_str(),
      BM_Latency<Ops, kOp, T>);
}

template <class Ops, Op kOp>
void register_path_op() {
  register_latency<Ops, kOp, uint32_t>();
  register_latency<Ops, kOp, uint64_t>();
  benchmark::RegisterBenchmark(
      bench_name("atomics_throughput", {{"op", op_name(kOp)}, {"path", Ops::kName}, {"bits", "64"}}).c_str(),
      BM_Throughput<Ops, kOp>);
}

template <class Ops, Op kOp>
void register_contended() {
  const int max_threads = options().profile == Profile::kFull ? 2 * usable_pus() : usable_pus();
  for (bool shared : {true, false}) {
    for (hw::Policy policy : options().placements) {
      auto* b = benchmark::RegisterBenchmark(
          bench_name("atomics_contended", {{"op", op_name(kOp)},
                                           {"path", Ops::kName},
                                           {"layout", shared ? "shared" : "padded"},
                                           {"placement", hw::policy_name(policy)}})
              .c_str(),
          [shared, policy](benchmark::State& st) { BM_Contended<Ops, kOp>(st, shared, policy); });
      for (int t : thread_sweep(max_threads)) b->Threads(t);
      b->UseRealTime();
    }
  }
}

template <class Ops>
void register_path() {
  if (!path_available<Ops>()) return;
  register_path_op<Ops, Op::kFetchAdd>();
  register_path_op<Ops, Op::kCas>();
  register_path_op<Ops, Op::kExchange>();
  register_path_op<Ops, Op::kLoad>();
  register_path_op<Ops, Op::kStore>();
  register_contended<Ops, Op::kFetchAdd>();
  register_contended<Ops, Op::kCasLoop>();
  register_contended<Ops, Op::kExchange>();
}

void register_all() {
  benchmark::RegisterBenchmark("atomics_overhead/harness", BM_HarnessOverhead);
  register_path<arch::PortableOps>();
#if defined(__x86_64__)
  register_path<arch::X86Ops>();
#endif
#if defined(__aarch64__)
  register_path<arch::LlscOps>();
  register_path<arch::LseOps>();
#endif
}

}  // namespace
}  // namespace syncscope::suites

int main(int argc, char** argv) {
  return syncscope::suites::suite_main(argc, argv, "atomics", &syncscope::suites::register_all);
}
