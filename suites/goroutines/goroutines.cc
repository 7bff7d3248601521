// Suite `goroutines`: what syncscope's goroutine runtime (syncscope/goroutine.h)
// costs, next to std::thread, Boost.Fiber and — through peer.sh and go/ —
// the Go runtime itself on the same cases (impl:go_runtime, same names).
//
// Families (key:value names). Every entry reports ns_per_op, with "op" as
// stated (except parked_memory), and gomaxprocs (the P's, or for threads/fibers the usable CPUs):
//   goroutines_spawn_join/impl:goroutine|std_thread|boost_fiber|go_runtime/tasks:N
//       N tasks that do nothing are started and waited for, from a
//       goroutine (go + WaitGroup, as Go's main would), from a thread
//       (std::thread + join) or from a fiber on one thread
//       (boost::fibers::fiber + join). op = one task.
//   goroutines_switch/impl:ctx_switch|gosched|boost_fiber_yield|go
//       ctx_switch: the bare user-space switch (internal/context_switch.h)
//       between two stacks; gosched: two goroutines on one P yielding to
//       each other (switch to the scheduler, global queue, switch back);
//       boost_fiber_yield: two fibers on one thread; go: runtime.Gosched
//       with GOMAXPROCS=1. op = one switch from one task to the other.
//   goroutines_unpark/impl:goroutine|go_runtime/p:same|cross
//       a goroutine parked on a receive from a channel of capacity 1 is
//       woken by a send; op = from just before the send to the first
//       instruction after the receive returns (p50 over the run; also
//       p99_ns). p:same: GOMAXPROCS=1, the waker parks right after the
//       send (its P runs the wakee); p:cross: GOMAXPROCS=2, the waker
//       spins until the wakee has run, so another P must take it.
//   goroutines_parked_memory/impl:goroutine|go_runtime/n:N
//       N goroutines parked on one channel: resident memory (RSS from
//       /proc/self/statm) per parked goroutine, counter rss_per_g_bytes
//       (no ns_per_op: the time is that of starting them). Needs about
//       2N memory mappings (vm.max_map_count); as root
//       the suite raises the limit for this case and restores it,
//       otherwise it reports the case as not measurable and why.
//   goroutines_chan/impl:Chan|go_chan/case:spsc|pingpong/cap:0
//       Chan<int> with both ends on goroutines (GOMAXPROCS = usable CPUs):
//       spsc: one sender, one receiver; pingpong: two goroutines bouncing
//       one value. op = one message.
//
// Every timing is wall time over the measured loop (manual time), so the
// load of the machine during the run matters: the context records it.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/mman.h>

// syncscope's headers first: Boost.Fiber defines a cpu_relax() macro.
#include <syncscope/chan.h>
#include <syncscope/goroutine.h>
#include <syncscope/internal/context_switch.h>
#include <syncscope/internal/sema.h>
#include <syncscope/wait_group.h>

#include "common/harness.h"

#include <boost/fiber/all.hpp>

namespace syncscope::suites {
namespace {

using Clock = std::chrono::steady_clock;

double secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int usable() { return usable_pus(); }

// ns per operation from Google Benchmark's (manual) time: `ops` operations
// per iteration; the inverted rate is seconds / (ops * 1e-9 * iterations).
benchmark::Counter per_op(double ops) {
  return benchmark::Counter(
      ops * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Waits (from the benchmark thread) until no goroutine is alive, then sets
// GOMAXPROCS: the runtime resizes only when quiescent.
void procs(int n) {
  while (num_goroutine() != 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
  set_gomaxprocs(n);
}

// Runs body(state) on a goroutine and waits for it from the benchmark
// thread: the measured loop itself runs on a goroutine.
template <class F>
void on_goroutine(benchmark::State& state, F body) {
  Sema done(0);
  go([&] {
    body(state);
    done.release();
  });
  done.acquire();
}

// ---- spawn + join -----------------------------------------------------------------
void BM_SpawnGoroutine(benchmark::State& state, int n) {
  procs(usable());
  on_goroutine(state, [n](benchmark::State& st) {
    for (auto _ : st) {
      const auto t0 = Clock::now();
      WaitGroup wg;
      wg.add(n);
      for (int i = 0; i < n; ++i) go([&wg] { wg.done(); });
      wg.wait();
      st.SetIterationTime(secs(Clock::now() - t0));
    }
  });
  state.counters["ns_per_op"] = per_op(n);
  state.counters["gomaxprocs"] = gomaxprocs();
}

void BM_SpawnThread(benchmark::State& state, int n) {
  std::vector<std::thread> ts;
  ts.reserve(n);
  for (auto _ : state) {
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) ts.emplace_back([] {});
    for (auto& t : ts) t.join();
    state.SetIterationTime(secs(Clock::now() - t0));
    ts.clear();
  }
  state.counters["ns_per_op"] = per_op(n);
  state.counters["gomaxprocs"] = usable();
}

void BM_SpawnFiber(benchmark::State& state, int n) {
  std::vector<boost::fibers::fiber> fs;
  fs.reserve(n);
  for (auto _ : state) {
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) fs.emplace_back([] {});
    for (auto& f : fs) f.join();
    state.SetIterationTime(secs(Clock::now() - t0));
    fs.clear();
  }
  state.counters["ns_per_op"] = per_op(n);
  state.counters["gomaxprocs"] = 1;
}

// ---- switch -------------------------------------------------------------------------
constexpr int kSwitchBatch = 1000;

struct RawPair {
  internal::Context main_ctx = nullptr;
  internal::Context other_ctx = nullptr;
};

void raw_other(void* arg) {
  auto* p = static_cast<RawPair*>(arg);
  for (;;) internal::ctx_switch(&p->other_ctx, p->main_ctx);
}

void BM_SwitchRaw(benchmark::State& state) {
  constexpr size_t kStack = 64 * 1024;
  void* stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (stack == MAP_FAILED) {
    state.SkipWithError("mmap of a 64 KiB stack failed");
    return;
  }
  RawPair p;
  p.other_ctx = internal::ctx_make(static_cast<char*>(stack) + kStack, &raw_other, &p);
  for (auto _ : state) {
    const auto t0 = Clock::now();
    for (int i = 0; i < kSwitchBatch; ++i) internal::ctx_switch(&p.main_ctx, p.other_ctx);
    state.SetIterationTime(secs(Clock::now() - t0));
  }
  munmap(stack, kStack);  // the other context stays suspended forever: its stack goes
  state.counters["ns_per_op"] = per_op(2.0 * kSwitchBatch);
  state.counters["gomaxprocs"] = 1;
}

void BM_SwitchGosched(benchmark::State& state) {
  procs(1);
  on_goroutine(state, [](benchmark::State& st) {
    std::atomic<bool> stop{false};
    WaitGroup partner;
    partner.add(1);
    go([&] {
      while (!stop.load(std::memory_order_relaxed)) gosched();
      partner.done();
    });
    for (auto _ : st) {
      const auto t0 = Clock::now();
      for (int i = 0; i < kSwitchBatch; ++i) gosched();
      st.SetIterationTime(secs(Clock::now() - t0));
    }
    stop.store(true);
    partner.wait();
  });
  // Each gosched() of the driver runs the partner once, whose gosched()
  // comes back: two switches per call.
  state.counters["ns_per_op"] = per_op(2.0 * kSwitchBatch);
  state.counters["gomaxprocs"] = 1;
}

void BM_SwitchFiber(benchmark::State& state) {
  std::atomic<bool> stop{false};
  boost::fibers::fiber partner([&] {
    while (!stop.load(std::memory_order_relaxed)) boost::this_fiber::yield();
  });
  for (auto _ : state) {
    const auto t0 = Clock::now();
    for (int i = 0; i < kSwitchBatch; ++i) boost::this_fiber::yield();
    state.SetIterationTime(secs(Clock::now() - t0));
  }
  stop.store(true);
  partner.join();
  state.counters["ns_per_op"] = per_op(2.0 * kSwitchBatch);
  state.counters["gomaxprocs"] = 1;
}

// ---- unpark-to-run ------------------------------------------------------------------
constexpr int kUnparkBatch = 200;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

void BM_Unpark(benchmark::State& state, bool cross) {
  procs(cross ? 2 : 1);
  std::vector<int64_t> samples;
  samples.reserve(1 << 16);
  on_goroutine(state, [&](benchmark::State& st) {
    Chan<int64_t> wake(1);         // waker -> wakee: the send time
    Chan<int> back(1);             // wakee -> waker (p:same): the waker parks here
    std::atomic<int64_t> seen{0};  // p:cross: the waker spins on this
    std::atomic<int64_t> latency{0};
    WaitGroup wg;
    wg.add(1);
    go([&] {
      for (;;) {
        const int64_t t0 = wake.receive().value();
        const int64_t t1 = now_ns();
        if (t0 < 0) break;
        latency.store(t1 - t0, std::memory_order_relaxed);
        if (cross) {
          seen.fetch_add(1, std::memory_order_release);
        } else {
          back.send(1);
        }
      }
      wg.done();
    });
    int64_t k = 0;
    for (auto _ : st) {
      int64_t sum = 0;
      for (int i = 0; i < kUnparkBatch; ++i) {
        // The wakee must be parked in receive() before the send (with one
        // P it is: the waker got the P back only when the wakee parked).
        if (cross) {
          while (wake.waiting_receivers() == 0) {
          }
        }
        wake.send(now_ns());
        ++k;
        if (cross) {
          while (seen.load(std::memory_order_acquire) != k) {
          }
        } else {
          back.receive();
        }
        const int64_t l = latency.load(std::memory_order_relaxed);
        sum += l;
        if (samples.size() < samples.capacity()) samples.push_back(l);
      }
      st.SetIterationTime(static_cast<double>(sum) * 1e-9);
    }
    wake.send(-1);
    wg.wait();
  });
  std::sort(samples.begin(), samples.end());
  if (!samples.empty()) {
    state.counters["p50_ns"] = static_cast<double>(samples[samples.size() / 2]);
    state.counters["p99_ns"] = static_cast<double>(samples[samples.size() * 99 / 100]);
  }
  state.counters["ns_per_op"] = per_op(kUnparkBatch);
  state.counters["gomaxprocs"] = gomaxprocs();
}

// ---- resident memory of parked goroutines ------------------------------------------
long rss_bytes() {
  std::ifstream f("/proc/self/statm");
  long size = 0, resident = 0;
  f >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

long read_long(const char* path) {
  std::ifstream f(path);
  long v = -1;
  f >> v;
  return v;
}

bool write_long(const char* path, long v) {
  std::ofstream f(path);
  f << v;
  f.flush();
  return static_cast<bool>(f);
}

void BM_ParkedMemory(benchmark::State& state, int n) {
  const char* kMapCount = "/proc/sys/vm/max_map_count";
  const long need = 2L * n + 20000;
  const long had = read_long(kMapCount);
  bool raised = false;
  if (had < need) {
    if (geteuid() != 0 || !write_long(kMapCount, need)) {
      state.SkipWithError(("needs vm.max_map_count >= " + std::to_string(need) + " (is " +
                           std::to_string(had) + "; run as root or raise it)")
                              .c_str());
      return;
    }
    raised = true;
  }
  procs(usable());
  double per_g = 0;
  for (auto _ : state) {
    Chan<int> gate(0);
    const long before = rss_bytes();
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) go([gate] { gate.receive(); });
    while (gate.waiting_receivers() != static_cast<std::size_t>(n)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const long after = rss_bytes();
    state.SetIterationTime(secs(Clock::now() - t0));
    per_g = static_cast<double>(after - before) / n;
    gate.close();
    while (num_goroutine() != 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (raised) write_long(kMapCount, had);
  state.counters["rss_per_g_bytes"] = per_g;
  state.counters["n"] = n;
  state.counters["gomaxprocs"] = gomaxprocs();
  state.SetLabel("unit=bytes_per_parked_goroutine");
}

// ---- Chan on goroutines ---------------------------------------------------------------
constexpr int kMsgBatch = 1000;

void BM_ChanGoroutines(benchmark::State& state, bool pingpong) {
  procs(usable());
  on_goroutine(state, [pingpong](benchmark::State& st) {
    Chan<int> a(0), b(0);
    WaitGroup wg;
    wg.add(1);
    go([&] {  // the partner: receives (spsc) or bounces (pingpong) until -1
      for (;;) {
        const int v = a.receive().value();
        if (v < 0) break;
        if (pingpong) b.send(v);
      }
      wg.done();
    });
    for (auto _ : st) {
      const auto t0 = Clock::now();
      for (int i = 0; i < kMsgBatch; ++i) {
        a.send(i);
        if (pingpong) b.receive();
      }
      st.SetIterationTime(secs(Clock::now() - t0));
    }
    a.send(-1);
    wg.wait();
  });
  const double msgs = pingpong ? 2.0 * kMsgBatch : kMsgBatch;
  state.counters["ns_per_op"] = per_op(msgs);
  state.counters["gomaxprocs"] = gomaxprocs();
}

bool full() { return options().profile == Profile::kFull; }

void register_all() {
  const int tasks = 1000;
  const int thread_tasks = 100;
  benchmark::RegisterBenchmark(
      bench_name("goroutines_spawn_join", {{"impl", "goroutine"}, {"tasks", std::to_string(tasks)}})
          .c_str(),
      [=](benchmark::State& s) { BM_SpawnGoroutine(s, tasks); })
      ->UseManualTime();
  benchmark::RegisterBenchmark(
      bench_name("goroutines_spawn_join",
                 {{"impl", "std_thread"}, {"tasks", std::to_string(thread_tasks)}})
          .c_str(),
      [=](benchmark::State& s) { BM_SpawnThread(s, thread_tasks); })
      ->UseManualTime();
  benchmark::RegisterBenchmark(
      bench_name("goroutines_spawn_join",
                 {{"impl", "boost_fiber"}, {"tasks", std::to_string(tasks)}})
          .c_str(),
      [=](benchmark::State& s) { BM_SpawnFiber(s, tasks); })
      ->UseManualTime();

  benchmark::RegisterBenchmark(bench_name("goroutines_switch", {{"impl", "ctx_switch"}}).c_str(),
                               BM_SwitchRaw)
      ->UseManualTime();
  benchmark::RegisterBenchmark(bench_name("goroutines_switch", {{"impl", "gosched"}}).c_str(),
                               BM_SwitchGosched)
      ->UseManualTime();
  benchmark::RegisterBenchmark(
      bench_name("goroutines_switch", {{"impl", "boost_fiber_yield"}}).c_str(), BM_SwitchFiber)
      ->UseManualTime();

  for (bool cross : {false, true}) {
    benchmark::RegisterBenchmark(
        bench_name("goroutines_unpark", {{"impl", "goroutine"}, {"p", cross ? "cross" : "same"}})
            .c_str(),
        [=](benchmark::State& s) { BM_Unpark(s, cross); })
        ->UseManualTime();
  }

  const int parked = 100000;
  benchmark::RegisterBenchmark(
      bench_name("goroutines_parked_memory", {{"impl", "goroutine"}, {"n", std::to_string(parked)}})
          .c_str(),
      [=](benchmark::State& s) { BM_ParkedMemory(s, parked); })
      ->UseManualTime()
      ->Iterations(1)
      ->Repetitions(full() ? 3 : 1);

  for (bool pp : {false, true}) {
    benchmark::RegisterBenchmark(
        bench_name("goroutines_chan",
                   {{"impl", "Chan"}, {"case", pp ? "pingpong" : "spsc"}, {"cap", "0"}})
            .c_str(),
        [=](benchmark::State& s) { BM_ChanGoroutines(s, pp); })
        ->UseManualTime();
  }
}

}  // namespace
}  // namespace syncscope::suites

int main(int argc, char** argv) {
  return syncscope::suites::suite_main(argc, argv, "goroutines", &syncscope::suites::register_all);
}
