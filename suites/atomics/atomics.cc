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
//   atomics_litmus/test:T/order:O          memory-model litmus tests (SB, MP,
//       LB, 2+2W, WRC, IRIW) run as many trials on different PUs: how
//       often this machine shows each test's weak (reordered) outcome under
//       each C++ memory order (relaxed, acq_rel, seq_cst). Counters trials,
//       weak, weak_per_million, allowed_by_cxx (1: the C++ model allows the
//       weak outcome, 0: it forbids it, so observing it would be a bug),
//       ns_per_trial. See "Litmus tests" below. test:tearing with
//       order:plain / order:atomic_value: a 16-byte value written and read
//       without atomics vs through AtomicValue; weak = torn reads counted
//       (see "Tearing").
//
// Paths: portable (std::atomic, what the compiler emits), x86_64 (inline
// `lock xadd` / `lock cmpxchg` / `xchg`), llsc (ldaxr/stlxr loops), lse
// (ldaddal/casal/swpal). A path is registered only where it is available.
// All operations use memory_order_seq_cst, the default of std::atomic,
// except in the litmus family, which is about the orders.
#include <sched.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>

#include <syncscope/arch/atomic.h>
#include <syncscope/atomic_value.h>

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

// ---------------------------------------------------------------------------
// Litmus tests: which reorderings this machine actually exhibits.
//
// The practical face of the memory model (the seed's "内存模型" section and
// its happens-before rules): each test is two tiny threads whose outcome
// "weak" is impossible under sequential consistency. The C++ model allows it
// for some memory orders and forbids it for others; the hardware may or may
// not ever produce an allowed one. The tests and their names are the classic
// ones of the herd7 litmus catalogue (Alglave, Maranget, Sarkar, Sewell et
// al., "Understanding POWER multiprocessors", PLDI 2011; Alglave, Maranget,
// Tautschnig, "Herding cats", TOPLAS 2014); SB on x86 is the experiment of
// Preshing, "Memory Reordering Caught in the Act" (2012). x, y start at 0.
//
//   SB   (store buffering)  T0: x=1; r0=y       T1: y=1; r1=x
//        weak: r0==0 && r1==0. C++: allowed relaxed and acq_rel, forbidden
//        seq_cst. x86-TSO shows it (each core's store buffer), ARM too.
//   MP   (message passing)  T0: x=1; y=1        T1: r0=y; r1=x
//        weak: r0==1 && r1==0 (flag seen, data not). C++: allowed relaxed,
//        forbidden acq_rel and seq_cst. Never on x86 (TSO keeps store-store
//        and load-load order); ARM may show it with relaxed.
//   LB   (load buffering)   T0: r0=x; y=1       T1: r1=y; x=1
//        weak: r0==1 && r1==1. C++: allowed relaxed, forbidden acq_rel and
//        seq_cst. Never on x86; architecturally allowed on ARM but rarely
//        seen on real cores.
//   2+2W (two writes each)  T0: x=1; y=2        T1: y=1; x=2
//        weak: finally x==1 && y==1 (each thread's first write last in
//        coherence order). C++: allowed relaxed and acq_rel (release stores
//        alone do not order coherence between two writers), forbidden
//        seq_cst. Never on x86.
//   WRC  (write-to-read causality, three threads)
//        T0: x=1     T1: r0=x; y=1     T2: r1=y; r2=x
//        weak: r0==1 && r1==1 && r2==0 (T2 sees T1's write, which T1 made
//        after seeing x==1, but not x==1 itself). C++: allowed relaxed;
//        forbidden acq_rel (release/acquire is transitive: x=1 hb r0 hb y=1
//        hb r1 hb r2) and seq_cst. Never on x86 nor on ARMv8 (both are
//        (other-)multi-copy atomic); POWER shows it with plain accesses.
//   IRIW (independent reads of independent writes, four threads)
//        T0: x=1     T1: y=1     T2: r0=x; r1=y     T3: r2=y; r3=x
//        weak: r0==1 && r1==0 && r2==1 && r3==0 (the readers disagree on
//        the order of the two writes). C++: allowed relaxed and acq_rel
//        (no single total order without seq_cst), forbidden seq_cst. Never
//        on x86 and ARMv8 (multi-copy atomic); POWER shows it.
//   With three or four threads on a machine with fewer PUs the threads
//   share PUs (round robin of the scatter plan): such a trial mostly runs
//   one thread at a time and shows weak outcomes rarely, if ever.
//
// Orders: relaxed = every access memory_order_relaxed; acq_rel = release
// stores and acquire loads; seq_cst = every access seq_cst.
//
// Method (after litmus7's run loop): two benchmark threads pinned to two
// different PUs (the scatter plan of hw/placement.h; with one usable PU the
// family is "not honoured") run T0 and T1 of N trials. Trials go over a batch
// of fresh slots, each variable on its own padded line, zeroed by T0 before
// the batch; a two-party barrier (each thread publishes how many sync points
// it reached and waits for the other) starts every trial. Before that barrier
// both threads read the trial's variables, so the lines are shared by both
// caches when the trial starts: every store then needs an ownership request
// while the loads hit locally, the window in which a store buffer lets a
// later load pass an earlier store. After the batch a barrier publishes the
// outcomes (plain per-thread arrays) and T0 counts the weak ones.
//
// A single run of N trials (Repetitions(1), Iterations(1)): the count is
// the result, and a median over repetitions could hide a rare forbidden one.
//
// Memory ordering of the rig: the barrier's release store / acquire load
// make the zeroing happen-before every trial of the batch and every trial's
// accesses happen-before the count. Inside a trial only the tested orders
// act; the barrier accesses sit outside the tested pair of accesses.
//
// Emulation caveat: qemu-user translates guest atomics into host ones, so an
// aarch64 build run under qemu on an x86 host shows x86's orderings, not
// ARM's. That cannot be detected reliably from inside the process; the
// context says so for aarch64 builds.

enum class Litmus { kSB, kMP, kLB, k2Plus2W, kWRC, kIRIW };

// Threads of one trial.
constexpr int litmus_threads(Litmus t) {
  return t == Litmus::kIRIW ? 4 : t == Litmus::kWRC ? 3 : 2;
}
constexpr int kLitmusMaxThreads = 4;
enum class LitmusOrder { kRelaxed, kAcqRel, kSeqCst };

const char* litmus_name(Litmus t) {
  switch (t) {
    case Litmus::kSB: return "SB";
    case Litmus::kMP: return "MP";
    case Litmus::kLB: return "LB";
    case Litmus::k2Plus2W: return "2+2W";
    case Litmus::kWRC: return "WRC";
    case Litmus::kIRIW: return "IRIW";
  }
  return "?";
}

const char* litmus_order_name(LitmusOrder o) {
  switch (o) {
    case LitmusOrder::kRelaxed: return "relaxed";
    case LitmusOrder::kAcqRel: return "acq_rel";
    case LitmusOrder::kSeqCst: return "seq_cst";
  }
  return "?";
}

// The C++ model's verdict on the weak outcome (see the table above).
constexpr bool cxx_allows_weak(Litmus t, LitmusOrder o) {
  if (o == LitmusOrder::kSeqCst) return false;  // SC for DRF-free seq_cst programs
  if (o == LitmusOrder::kRelaxed) return true;
  return t == Litmus::kSB || t == Litmus::k2Plus2W || t == Litmus::kIRIW;  // acq_rel
}

constexpr std::memory_order litmus_store_order(LitmusOrder o) {
  return o == LitmusOrder::kRelaxed ? std::memory_order_relaxed
         : o == LitmusOrder::kAcqRel ? std::memory_order_release
                                     : std::memory_order_seq_cst;
}

constexpr std::memory_order litmus_load_order(LitmusOrder o) {
  return o == LitmusOrder::kRelaxed ? std::memory_order_relaxed
         : o == LitmusOrder::kAcqRel ? std::memory_order_acquire
                                     : std::memory_order_seq_cst;
}

// Trials per batch of fresh slots: 2048 slots of 256 bytes = 512 KiB.
constexpr int kLitmusBatch = 2048;
// Trials per benchmark: small in quick (the family stays well under 10 s on
// two cores), large in full (rare outcomes need many chances).
constexpr int64_t kLitmusTrialsQuick = 500'000;
constexpr int64_t kLitmusTrialsFull = 20'000'000;
// Spin-wait hints between sched_yield calls while the partner is away (it
// was preempted: the machine may be shared), so a stall costs little.
constexpr int kLitmusSpinsBeforeYield = 1 << 14;

// One trial's variables, each on its own padded line.
struct LitmusSlot {
  PaddedAtomic<uint32_t> x;
  PaddedAtomic<uint32_t> y;
};
static_assert(sizeof(LitmusSlot) == 2 * kLine, "one line pair per variable");

// Shared by the two threads of the litmus benchmark that is running (Google
// Benchmark runs one benchmark at a time).
struct LitmusRig {
  // arrived[t]: sync points thread t has reached in this run. Written only by
  // thread t (release), read by the other thread (acquire); only grows
  // during a run; thread 0 zeroes both before the measured loop (ordered
  // before thread 1's first use by Google Benchmark's start barrier).
  std::array<PaddedAtomic<uint64_t>, kLitmusMaxThreads> arrived;
  // The batch's trial variables: zeroed by thread 0 between batches (no
  // trial running), then accessed by both threads with the tested orders.
  std::array<LitmusSlot, kLitmusBatch> slots;
  // out[t][i]: thread t's registers in trial i (bit 0: r0 or the first load,
  // bit 1: the second load). Plain memory: written by thread t during the
  // batch, read by thread 0 after the batch-end barrier.
  alignas(kLine) std::array<std::array<uint8_t, kLitmusBatch>, kLitmusMaxThreads> out;
};
LitmusRig g_litmus;
// PUs the process may use, taken at registration.
int g_litmus_usable_pus = 0;

// n-party barrier: sync point `seq` (1, 2, ...) of thread t of n.
void litmus_sync(int t, uint64_t seq, int n = 2) noexcept {
  g_litmus.arrived[t].value.store(seq, std::memory_order_release);
  for (int o = 0; o < n; ++o) {
    if (o == t) continue;
    int spins = 0;
    while (g_litmus.arrived[o].value.load(std::memory_order_acquire) < seq) {
      arch::cpu_relax();
      if (++spins == kLitmusSpinsBeforeYield) {
        spins = 0;
        sched_yield();
      }
    }
  }
}

// Thread kT's part of one trial; returns its registers (see LitmusRig::out).
template <Litmus kTest, LitmusOrder kOrder, int kT>
inline uint8_t litmus_part(LitmusSlot& s) noexcept {
  constexpr std::memory_order st = litmus_store_order(kOrder);
  constexpr std::memory_order ld = litmus_load_order(kOrder);
  std::atomic<uint32_t>& x = s.x.value;
  std::atomic<uint32_t>& y = s.y.value;
  if constexpr (kTest == Litmus::kSB) {
    if constexpr (kT == 0) {
      x.store(1, st);
      return static_cast<uint8_t>(y.load(ld));
    } else {
      y.store(1, st);
      return static_cast<uint8_t>(x.load(ld));
    }
  } else if constexpr (kTest == Litmus::kMP) {
    if constexpr (kT == 0) {
      x.store(1, st);  // data
      y.store(1, st);  // flag
      return 0;
    } else {
      const uint32_t flag = y.load(ld);
      const uint32_t data = x.load(ld);
      return static_cast<uint8_t>(flag | (data << 1));
    }
  } else if constexpr (kTest == Litmus::kLB) {
    if constexpr (kT == 0) {
      const uint32_t r0 = x.load(ld);
      y.store(1, st);
      return static_cast<uint8_t>(r0);
    } else {
      const uint32_t r1 = y.load(ld);
      x.store(1, st);
      return static_cast<uint8_t>(r1);
    }
  } else if constexpr (kTest == Litmus::k2Plus2W) {
    if constexpr (kT == 0) {
      x.store(1, st);
      y.store(2, st);
    } else {
      y.store(1, st);
      x.store(2, st);
    }
    return 0;
  } else if constexpr (kTest == Litmus::kWRC) {
    if constexpr (kT == 0) {
      x.store(1, st);
      return 0;
    } else if constexpr (kT == 1) {
      const uint32_t r0 = x.load(ld);
      y.store(1, st);
      return static_cast<uint8_t>(r0);
    } else {
      const uint32_t r1 = y.load(ld);
      const uint32_t r2 = x.load(ld);
      return static_cast<uint8_t>(r1 | (r2 << 1));
    }
  } else {  // IRIW
    if constexpr (kT == 0) {
      x.store(1, st);
      return 0;
    } else if constexpr (kT == 1) {
      y.store(1, st);
      return 0;
    } else if constexpr (kT == 2) {
      const uint32_t r0 = x.load(ld);
      const uint32_t r1 = y.load(ld);
      return static_cast<uint8_t>(r0 | (r1 << 1));
    } else {
      const uint32_t r2 = y.load(ld);
      const uint32_t r3 = x.load(ld);
      return static_cast<uint8_t>(r2 | (r3 << 1));
    }
  }
}

// Whether trial i of the batch ended in the weak outcome (thread 0, after
// the batch-end barrier).
template <Litmus kTest>
bool litmus_weak(int i) noexcept {
  const uint8_t o0 = g_litmus.out[0][i];
  const uint8_t o1 = g_litmus.out[1][i];
  if constexpr (kTest == Litmus::kSB) return o0 == 0 && o1 == 0;
  if constexpr (kTest == Litmus::kMP) return o1 == 1;  // flag 1, data 0
  if constexpr (kTest == Litmus::kLB) return o0 == 1 && o1 == 1;
  if constexpr (kTest == Litmus::kWRC) return o1 == 1 && g_litmus.out[2][i] == 1;  // r2 == 0
  if constexpr (kTest == Litmus::kIRIW) {
    return g_litmus.out[2][i] == 1 && g_litmus.out[3][i] == 1;  // x-not-y and y-not-x
  }
  const LitmusSlot& s = g_litmus.slots[i];
  return s.x.value.load(std::memory_order_relaxed) == 1 &&
         s.y.value.load(std::memory_order_relaxed) == 1;
}

// Both threads' trial loop over one batch of n fresh slots.
template <Litmus kTest, LitmusOrder kOrder, int kT>
void litmus_batch(int n, uint64_t& seq) noexcept {
  uint32_t warm = 0;
  for (int i = 0; i < n; ++i) {
    LitmusSlot& s = g_litmus.slots[i];
    // Share both lines with the partner's cache before the trial starts.
    warm += s.x.value.load(std::memory_order_relaxed) + s.y.value.load(std::memory_order_relaxed);
    litmus_sync(kT, ++seq, litmus_threads(kTest));
    g_litmus.out[kT][i] = litmus_part<kTest, kOrder, kT>(s);
  }
  benchmark::DoNotOptimize(warm);
}

template <Litmus kTest, LitmusOrder kOrder>
void BM_Litmus(benchmark::State& state) {
  // Two different PUs at least, or the test means nothing: with one PU the
  // threads take turns and no reordering can be seen.
  constexpr int kN = litmus_threads(kTest);
  hw::Placement plan = hw::plan_placement(hw::Policy::kScatter, 2);
  if (g_litmus_usable_pus < 2 || plan.pus.size() != 2 || plan.pus[0] == plan.pus[1]) {
    plan.reason = "litmus tests need two different PUs, this process may use " +
                  std::to_string(g_litmus_usable_pus);
    state.SkipWithError(plan.refusal().c_str());
    return;
  }
  if (!place_thread(state, hw::Policy::kScatter)) return;
  const int t = state.thread_index();
  if (t == 0) {
    for (auto& a : g_litmus.arrived) a.value.store(0, std::memory_order_relaxed);
  }
  // Three or four threads on fewer PUs meet at every trial's barrier through
  // the scheduler (ms per trial on a loaded 2-PU machine): 1/500 of the
  // trials keeps the family's time in bounds there.
  const int64_t trials =
      (options().profile == Profile::kFull ? kLitmusTrialsFull : kLitmusTrialsQuick) /
      (kN > g_litmus_usable_pus ? 500 : 1);
  int64_t weak = 0;
  uint64_t seq = 0;
  const auto t0 = Clock::now();
  for (auto _ : state) {
    for (int64_t done = 0; done < trials; done += kLitmusBatch) {
      const int n = static_cast<int>(std::min<int64_t>(kLitmusBatch, trials - done));
      if (t == 0) {
        for (int i = 0; i < n; ++i) {
          g_litmus.slots[i].x.value.store(0, std::memory_order_relaxed);
          g_litmus.slots[i].y.value.store(0, std::memory_order_relaxed);
        }
      }
      litmus_sync(t, ++seq, kN);  // the zeroed slots happen-before every trial
      if (t == 0) {
        litmus_batch<kTest, kOrder, 0>(n, seq);
      } else if (t == 1) {
        litmus_batch<kTest, kOrder, 1>(n, seq);
      } else if constexpr (kN > 2) {
        if (t == 2) {
          litmus_batch<kTest, kOrder, 2>(n, seq);
        } else if constexpr (kN > 3) {
          litmus_batch<kTest, kOrder, 3>(n, seq);
        }
      }
      litmus_sync(t, ++seq, kN);  // every trial happens-before the count
      if (t == 0) {
        for (int i = 0; i < n; ++i) weak += litmus_weak<kTest>(i) ? 1 : 0;
      }
    }
  }
  const auto t1 = Clock::now();
  // Google Benchmark sums counters over threads: only thread 0 reports.
  if (t == 0) {
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
    state.counters["trials"] = static_cast<double>(trials);
    state.counters["weak"] = static_cast<double>(weak);
    state.counters["weak_per_million"] =
        1e6 * static_cast<double>(weak) / static_cast<double>(trials);
    state.counters["allowed_by_cxx"] = cxx_allows_weak(kTest, kOrder) ? 1.0 : 0.0;
    state.counters["ns_per_trial"] = ns / static_cast<double>(trials);
  }
}

template <Litmus kTest, LitmusOrder kOrder>
void register_litmus_case() {
  benchmark::RegisterBenchmark(bench_name("atomics_litmus", {{"test", litmus_name(kTest)},
                                                             {"order", litmus_order_name(kOrder)}})
                                   .c_str(),
                               BM_Litmus<kTest, kOrder>)
      ->Threads(litmus_threads(kTest))
      ->Iterations(1)
      ->Repetitions(1)
      ->UseRealTime();
}

template <Litmus kTest>
void register_litmus_test() {
  register_litmus_case<kTest, LitmusOrder::kRelaxed>();
  register_litmus_case<kTest, LitmusOrder::kAcqRel>();
  register_litmus_case<kTest, LitmusOrder::kSeqCst>();
}

// Tearing: Go's memory model says "reads and writes of values larger than a
// single machine word behave as multiple machine-word-sized operations in an
// unspecified order" (the seed's section 04); in C++ such a racy access is
// undefined behaviour, and in practice it tears. One thread writes a 16-byte
// value {v, v} (v = 1, 2, ...), the other reads it and counts the reads whose
// two halves differ. order:plain: two volatile 8-byte words, no atomics (a
// data race on purpose: what unsynchronized code gets). order:atomic_value:
// the same value through AtomicValue, whose loads return a whole stored
// value, so a torn read is impossible (allowed_by_cxx 0: one would be a bug).
struct Wide16 {
  uint64_t lo = 0, hi = 0;
  bool operator==(const Wide16&) const = default;
};
struct alignas(kLine) PlainWide16 {
  volatile uint64_t lo = 0, hi = 0;
};
PlainWide16 g_plain_wide;
AtomicValue<Wide16> g_atomic_wide;
std::atomic<bool> g_tearing_stop{false};

template <bool kAtomicValue>
void BM_Tearing(benchmark::State& state) {
  const hw::Placement plan = hw::plan_placement(hw::Policy::kScatter, 2);
  if (g_litmus_usable_pus < 2 || plan.pus.size() != 2 || plan.pus[0] == plan.pus[1]) {
    state.SkipWithError("placement 'scatter' not honoured on this machine: tearing needs two "
                        "different PUs");
    return;
  }
  if (!place_thread(state, hw::Policy::kScatter)) return;
  const int t = state.thread_index();
  const int64_t trials =
      options().profile == Profile::kFull ? 20 * kLitmusTrialsQuick : kLitmusTrialsQuick;
  if (t == 0) {
    g_plain_wide.lo = 0;
    g_plain_wide.hi = 0;
    g_atomic_wide.store(Wide16{});
    g_tearing_stop.store(false, std::memory_order_relaxed);
  }
  int64_t torn = 0, reads = 0;
  const auto t0 = Clock::now();
  for (auto _ : state) {
    if (t == 1) {  // writer: until the reader is done
      for (uint64_t v = 1; !g_tearing_stop.load(std::memory_order_relaxed); ++v) {
        if constexpr (kAtomicValue) {
          g_atomic_wide.store(Wide16{v, v});
        } else {
          g_plain_wide.lo = v;
          g_plain_wide.hi = v;
        }
      }
    } else {  // reader
      for (; reads < trials; ++reads) {
        uint64_t lo, hi;
        if constexpr (kAtomicValue) {
          const Wide16 w = *g_atomic_wide.load();
          lo = w.lo;
          hi = w.hi;
        } else {
          lo = g_plain_wide.lo;
          hi = g_plain_wide.hi;
        }
        torn += lo != hi ? 1 : 0;
      }
      g_tearing_stop.store(true, std::memory_order_relaxed);
    }
  }
  const auto t1 = Clock::now();
  if (t == 0) {
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
    state.counters["trials"] = static_cast<double>(trials);
    state.counters["weak"] = static_cast<double>(torn);
    state.counters["weak_per_million"] =
        1e6 * static_cast<double>(torn) / static_cast<double>(trials);
    state.counters["allowed_by_cxx"] = kAtomicValue ? 0.0 : 1.0;
    state.counters["ns_per_trial"] = ns / static_cast<double>(trials);
  }
  if constexpr (kAtomicValue) {
    if (t == 0) g_atomic_wide.reclaim();
  }
}

void register_tearing() {
  for (bool av : {false, true}) {
    benchmark::RegisterBenchmark(
        bench_name("atomics_litmus",
                   {{"test", "tearing"}, {"order", av ? "atomic_value" : "plain"}})
            .c_str(),
        av ? BM_Tearing<true> : BM_Tearing<false>)
        ->Threads(2)
        ->Iterations(1)
        ->Repetitions(1)
        ->UseRealTime();
  }
}

void register_litmus() {
  g_litmus_usable_pus = usable_pus();
#if defined(__aarch64__)
  benchmark::AddCustomContext("atomics_litmus_note",
                              "Litmus tests in an aarch64 build: under qemu-user on an x86 host "
                              "the litmus family shows x86's orderings, not ARM's "
                              "(qemu maps guest atomics onto host ones); only a run on ARM "
                              "hardware shows ARM's weak outcomes. "
                              "Emulation is not detected by the suite.");
#else
  benchmark::AddCustomContext(
      "atomics_litmus_note",
      "Litmus outcomes are those of this machine's hardware and compiler; a weak "
      "outcome the C++ model forbids (allowed_by_cxx = 0) would be a bug");
#endif
  register_litmus_test<Litmus::kSB>();
  register_litmus_test<Litmus::kMP>();
  register_litmus_test<Litmus::kLB>();
  register_litmus_test<Litmus::k2Plus2W>();
  register_litmus_test<Litmus::kWRC>();
  register_litmus_test<Litmus::kIRIW>();
  register_tearing();
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
      bench_name(
          "atomics_latency",
          {{"op", op_name(kOp)}, {"path", Ops::kName}, {"bits", std::to_string(sizeof(T) * 8)}})
          .c_str(),
      BM_Latency<Ops, kOp, T>);
}

template <class Ops, Op kOp>
void register_path_op() {
  register_latency<Ops, kOp, uint32_t>();
  register_latency<Ops, kOp, uint64_t>();
  benchmark::RegisterBenchmark(
      bench_name("atomics_throughput", {{"op", op_name(kOp)}, {"path", Ops::kName}, {"bits", "64"}})
          .c_str(),
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
  register_litmus();
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
