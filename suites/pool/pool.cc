// Suite `pool`: object reuse — syncscope::Pool (Go's sync.Pool) next to the
// designs people write instead, on Go's own pool benchmarks and on what
// go#22950 (the victim cache) and go#23199 (the size cap) measured.
//
// Peers (pool_peers.h): Pool, no_pool (new/delete), mutex_free_list,
// linked_free_list (the seed's net/rpc list), thread_local_free_list (the
// baseline of "Pool uncontended get+put within 2x"), tbb_scalable (TBB's
// scalable allocator, no reuse); Pool_no_victim where a GC is simulated.
// Objects: Item (64 bytes, one allocation) unless stated.
//
// Metrics (counters), per operation unless stated:
//   ns_per_op      wall time per op, per thread (averaged over threads)
//   cpu_ns_per_op  CPU time of the measuring thread per op (averaged over
//                  threads): unlike wall time, not inflated when other
//                  processes share the cores (a benchmark that blocks —
//                  cross-thread — spends less CPU than wall time anyway)
//   vcsw_per_op, ivcsw_per_op  voluntary (it blocked) and involuntary
//                  (preempted) context switches of the measuring thread
//                  per op, getrusage(RUSAGE_THREAD) around the loop
//                  (averaged over threads; summed in cross-thread): what
//                  a design that blocks pays beside its throughput
//   ops_per_s      ops of all threads per second (GB-threaded families)
//   hit_rate       1 - News/Gets: gets served by reuse
//   news_per_op    objects made per get (Go's New/op)
//   allocs_per_op  global operator new calls per op, all threads (the
//                  suite replaces operator new with counting versions:
//                  counting_allocator.h; tbb_scalable's memory is not seen)
//   retained_bytes objects the peer holds after the run x their size
//
// Families (key:value names; GB appends /threads:N and /real_time or
// /manual_time):
//   pool_put_get/peer:P/placement:X        Go's BenchmarkPool: each thread
//       puts its object back and gets one (op = one put + get pair; a
//       compiler barrier between the two keeps the compiler from fusing
//       them).
//       Thread sweep; every placement for 2+ threads.
//   pool_overflow/peer:P/placement:X       Go's BenchmarkPoolOverflow: 100
//       puts then 100 gets per iteration (op = one put + get pair).
//   pool_starvation/peer:P/placement:X     Go's BenchmarkPoolStarvation: 67
//       puts then 100 gets per iteration; the 33 extra objects are freed
//       (Go's garbage), so every thread is short and steals (op = one get).
//   pool_cross_thread/peer:P/placement:X   threads:2; thread 0 gets a buffer
//       and sends it through a Chan (capacity 64), thread 1 receives it and
//       puts it back: gets and puts on different threads (op = one
//       object passed). Counters summed over both threads.
//   pool_expensive_new/peer:P/threads:T    go#22950's BenchmarkPoolExpensiveNew:
//       New costs 1 ms (a sleep, as Go's); each of T threads (the usable
//       PUs, as RunParallel) checks 100 objects out and returns them per
//       round; thread 0 runs a GC (Peer::gc) every 10 rounds. A run is at
//       most N rounds or a time limit, whichever first (quick: 40 rounds or
//       0.15 s). Extra counters: gcs, trims_per_gc.
//   pool_trim_pause/peer:Pool/objects:100000   100k objects put, then two
//       trims: the first moves them to the victim cache (swap), the second
//       frees them. Counters trim_free_p50_ns, trim_free_p95_ns,
//       trim_free_max_ns, trim_swap_p50_ns, trim_swap_p95_ns,
//       freed_per_trim (objects the freeing trim released).
//   pool_victim/peer:P/held:1000           victim cache steady state: get
//       1000, put 1000, then one GC per iteration. Pool: one trim();
//       Pool_no_victim: trim() twice (Pool has no switch to disable the
//       victim cache; the second trim drops what the first kept — go#22950's
//       "cleared on every GC"). Counters allocs_per_cycle (per iteration of
//       1000 gets), allocs_per_op, news_per_cycle, trims_per_gc.
//   pool_variable_sizes/peer:Pool/cap:C    go#23199: 64 buffers checked out
//       per round, each sized 1 KiB (99 %) or 1 MiB (1 %, deterministic
//       sequence), grown in place when too small, put back; a GC (one trim)
//       every 10 rounds. cap:none keeps every buffer, cap:65536 drops
//       buffers above 64 KiB on put (fmt's and encoding/json's rule).
//       InstrumentedPool (its byte gauge). Counters retained_bytes_final,
//       retained_bytes_max, retained_bytes_mean, grows_per_op,
//       dropped_per_op; the per-round series goes to the side file
//       pool_variable_sizes.json: {name: {"round": [...], "t_ms": [...],
//       "retained_bytes": [...], "retained_objects": [...], "cap": C or null,
//       "held": 64, "gc_every": 10}} (name without GB's suffixes).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <time.h>

#include <syncscope/chan.h>
#include <syncscope/pool.h>

#include "common/harness.h"
#include "common/histogram.h"
#include "pool/counting_allocator.h"
#include "pool/pool_peers.h"

namespace syncscope::suites {
namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- sizing
constexpr int kOverflowBatch = 100;      // Go: 100 puts, 100 gets
constexpr int kStarveGets = 100;         // Go: count
constexpr int kStarvePuts = 67;          // Go: count - 33 %
constexpr std::size_t kChanCap = 64;     // cross-thread channel capacity
constexpr int kCheckedOut = 100;         // expensive New: objects per thread per round
constexpr int kRoundsPerGc = 10;         // expensive New / variable sizes
constexpr int kVictimHeld = 1000;        // victim scenario
constexpr int kTrimObjects = 100000;     // trim pause
constexpr int kBuffersHeld = 64;         // variable sizes
constexpr std::size_t kSmallBuf = 1024;  // 99 %
constexpr std::size_t kBigBuf = 1 << 20; // 1 %
constexpr std::size_t kCapBytes = 64 << 10;  // go#23199's 64 KiB

bool full() { return options().profile == Profile::kFull; }
int expensive_rounds() { return full() ? 200 : 40; }
double expensive_max_s() { return full() ? 2.0 : 0.15; }
int trim_samples() { return full() ? 100 : 20; }
int variable_rounds() { return full() ? 2000 : 400; }

// ---------------------------------------------------------------- New
// News made by the calling thread (every peer's miss path runs on_new).
constinit thread_local uint64_t t_news = 0;
// While set, expensive_new does not sleep (warm-up fills a pool the way a
// long-running program would have: those News are not in the measured run).
constinit thread_local bool t_warming = false;

void count_new(Item&) { ++t_news; }
void expensive_new(Item&) {
  ++t_news;
  if (!t_warming) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// CPU time the calling thread has used (CLOCK_THREAD_CPUTIME_ID), in ns.
// Read twice per run, never in a loop: it is a system call on some kernels.
double thread_cpu_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// A snapshot of the calling thread's clocks and counters (two system
// calls: taken around a measured loop, never inside it).
struct Meter {
  Clock::time_point t;
  double cpu_ns;
  uint64_t news;
  AllocCounts allocs;
  int64_t vcsw, ivcsw;  // getrusage(RUSAGE_THREAD): voluntary, involuntary switches
  static Meter now() {
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    return {Clock::now(), thread_cpu_ns(), t_news, thread_alloc_counts(), ru.ru_nvcsw,
            ru.ru_nivcsw};
  }
};

double ns_between(const Meter& a, const Meter& b) {
  return std::chrono::duration<double, std::nano>(b.t - a.t).count();
}
double cpu_ns_between(const Meter& a, const Meter& b) { return b.cpu_ns - a.cpu_ns; }

double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

// Counters of a symmetric GB-threaded family: every thread does `ops` ops
// of which `gets` are gets; per-thread ratios averaged over threads.
void report_symmetric(benchmark::State& state, const Meter& a, const Meter& b, double ops,
                      double gets) {
  using benchmark::Counter;
  const double ns = ns_between(a, b);
  const double news = static_cast<double>(b.news - a.news);
  const double allocs = static_cast<double>((b.allocs - a.allocs).allocs);
  state.counters["ns_per_op"] = Counter(ratio(ns, ops), Counter::kAvgThreads);
  state.counters["cpu_ns_per_op"] = Counter(ratio(cpu_ns_between(a, b), ops), Counter::kAvgThreads);
  state.counters["ops_per_s"] = ratio(ops, ns * 1e-9);
  state.counters["news_per_op"] = Counter(ratio(news, gets), Counter::kAvgThreads);
  state.counters["hit_rate"] = Counter(gets > 0 ? 1.0 - news / gets : 0.0, Counter::kAvgThreads);
  state.counters["allocs_per_op"] = Counter(ratio(allocs, ops), Counter::kAvgThreads);
  state.counters["vcsw_per_op"] =
      Counter(ratio(static_cast<double>(b.vcsw - a.vcsw), ops), Counter::kAvgThreads);
  state.counters["ivcsw_per_op"] =
      Counter(ratio(static_cast<double>(b.ivcsw - a.ivcsw), ops), Counter::kAvgThreads);
}

// ---------------------------------------------------------------- peers
template <class T>
using PoolP = PoolPeer<T, 1>;
template <class T>
using PoolNoVictimP = PoolPeer<T, 2>;

template <template <class> class... Ps>
struct PeerList {};

template <template <class> class... Ps, class F>
void for_each_peer(PeerList<Ps...>, F&& f) {
  (f.template operator()<Ps<Item>>(), ...);
}

using AllPeers = PeerList<PoolP, NoPoolPeer, MutexFreeListPeer, LinkedFreeListPeer,
                          ThreadLocalFreeListPeer, TbbScalablePeer>;
using GcPeers = PeerList<PoolP, PoolNoVictimP, NoPoolPeer, MutexFreeListPeer, LinkedFreeListPeer,
                         ThreadLocalFreeListPeer, TbbScalablePeer>;
using VictimPeers = PeerList<PoolP, PoolNoVictimP>;

template <class P>
concept HasTrims = requires { P::kTrims; };

// The peer (and channel) shared by the threads of one GB-threaded run:
// made by Setup before the threads start, destroyed by Teardown after they
// joined. Google Benchmark runs one benchmark at a time.
template <class Peer>
struct Shared {
  static inline std::unique_ptr<Peer> peer;
  static inline Chan<Item*> chan;
};

template <class Peer>
void setup_shared(const benchmark::State&) {
  Shared<Peer>::peer = std::make_unique<Peer>(PeerConfig<Item>{count_new, {}, SIZE_MAX});
  Shared<Peer>::chan = Chan<Item*>(kChanCap);
}

template <class Peer>
void teardown_shared(const benchmark::State&) {
  Shared<Peer>::chan = Chan<Item*>();
  Shared<Peer>::peer.reset();
}

void report_retained(benchmark::State& state, std::size_t objects) {
  state.counters["retained_bytes"] = static_cast<double>(objects * sizeof(Item));
}

// ---------------------------------------------------------------- put/get
template <class Peer>
void BM_PutGet(benchmark::State& state, hw::Policy policy) {
  if (!place_thread(state, policy)) return;
  Peer& peer = *Shared<Peer>::peer;
  Item* obj = peer.get();
  int64_t n = 0;
  const Meter a = Meter::now();
  for (auto _ : state) {
    peer.put(obj);
    // Keeps put and get two operations: without a compiler barrier between
    // them, inlined peers made of plain thread-local loads and stores
    // (thread_local_free_list) are folded into one store per iteration —
    // the "get+put" measured nothing. A caller always has code between the
    // two. The barrier is the same for every peer (Pool's fast path, also
    // plain loads and stores now, would be folded as well without it).
    benchmark::ClobberMemory();
    obj = peer.get();
    benchmark::DoNotOptimize(obj);
    ++n;
  }
  const Meter b = Meter::now();
  peer.put(obj);
  report_symmetric(state, a, b, static_cast<double>(n), static_cast<double>(n));
  if (state.thread_index() == 0) report_retained(state, peer.retained());
  peer.thread_done();
  pin_to(-1);
}

// ---------------------------------------------------------------- overflow
template <class Peer>
void BM_Overflow(benchmark::State& state, hw::Policy policy) {
  if (!place_thread(state, policy)) return;
  Peer& peer = *Shared<Peer>::peer;
  std::array<Item*, kOverflowBatch> held;
  for (Item*& p : held) p = peer.get();
  int64_t n = 0;
  const Meter a = Meter::now();
  for (auto _ : state) {
    for (Item* p : held) peer.put(p);
    for (Item*& p : held) p = peer.get();
    benchmark::DoNotOptimize(held.data());
    ++n;
  }
  const Meter b = Meter::now();
  for (Item* p : held) peer.put(p);
  const double ops = static_cast<double>(n) * kOverflowBatch;
  report_symmetric(state, a, b, ops, ops);
  if (state.thread_index() == 0) report_retained(state, peer.retained());
  peer.thread_done();
  pin_to(-1);
}

// ---------------------------------------------------------------- starvation
template <class Peer>
void BM_Starvation(benchmark::State& state, hw::Policy policy) {
  if (!place_thread(state, policy)) return;
  Peer& peer = *Shared<Peer>::peer;
  std::array<Item*, kStarveGets> held;
  for (int i = 0; i < kStarvePuts; ++i) held[i] = peer.get();
  int64_t n = 0;
  const Meter a = Meter::now();
  for (auto _ : state) {
    for (int i = 0; i < kStarvePuts; ++i) peer.put(held[i]);
    for (Item*& p : held) p = peer.get();
    // The third Go's benchmark never puts back: garbage, freed.
    for (int i = kStarvePuts; i < kStarveGets; ++i) peer.destroy(held[i]);
    benchmark::DoNotOptimize(held.data());
    ++n;
  }
  const Meter b = Meter::now();
  for (int i = 0; i < kStarvePuts; ++i) peer.put(held[i]);
  const double gets = static_cast<double>(n) * kStarveGets;
  report_symmetric(state, a, b, gets, gets);
  if (state.thread_index() == 0) report_retained(state, peer.retained());
  peer.thread_done();
  pin_to(-1);
}

// ---------------------------------------------------------------- cross-thread
template <class Peer>
void BM_CrossThread(benchmark::State& state, hw::Policy policy) {
  using benchmark::Counter;
  if (state.threads() != 2) {
    state.SkipWithError("pool_cross_thread needs exactly 2 threads (a producer and a consumer)");
    return;
  }
  if (!place_thread(state, policy)) return;
  Peer& peer = *Shared<Peer>::peer;
  const Chan<Item*>& chan = Shared<Peer>::chan;
  const bool producer = state.thread_index() == 0;
  uint64_t sink = 0;
  int64_t n = 0;
  const Meter a = Meter::now();
  if (producer) {
    for (auto _ : state) {
      Item* p = peer.get();
      p->payload[0] = static_cast<uint64_t>(n);
      chan.send(p);
      ++n;
    }
  } else {
    for (auto _ : state) {
      Item* p = *chan.receive();  // the producer sends exactly as many
      sink += p->payload[0];
      peer.put(p);
      ++n;
    }
  }
  const Meter b = Meter::now();
  benchmark::DoNotOptimize(sink);
  const double ops = static_cast<double>(n);
  const double news = static_cast<double>(b.news - a.news);
  // Both threads pass the same n objects: per-object values are sums over
  // the two threads; the time is per thread (averaged).
  state.counters["ns_per_op"] = Counter(ratio(ns_between(a, b), ops), Counter::kAvgThreads);
  state.counters["cpu_ns_per_op"] = Counter(ratio(cpu_ns_between(a, b), ops), Counter::kAvgThreads);
  state.counters["allocs_per_op"] = ratio(static_cast<double>((b.allocs - a.allocs).allocs), ops);
  if (producer) {
    state.counters["ops_per_s"] = ratio(ops, ns_between(a, b) * 1e-9);
  // Both threads' switches per object passed (the receiver blocks on an
  // empty channel, the sender on a full one).
  state.counters["vcsw_per_op"] = ratio(static_cast<double>(b.vcsw - a.vcsw), ops);
  state.counters["ivcsw_per_op"] = ratio(static_cast<double>(b.ivcsw - a.ivcsw), ops);
    state.counters["news_per_op"] = ratio(news, ops);
    state.counters["hit_rate"] = ops > 0 ? 1.0 - news / ops : 0.0;
  } else {
    report_retained(state, peer.retained());  // the consumer's view (it is the one that hoards)
  }
  peer.thread_done();
  pin_to(-1);
}

// ---------------------------------------------------------------- expensive New
// Starts `threads` threads running body(t) after all are ready; joins them.
template <class F>
void run_threads(int threads, F&& body) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> ts;
  ts.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      body(t, [&] {
        ready.fetch_add(1);
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      });
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  go.store(true, std::memory_order_release);
  for (auto& th : ts) th.join();
}

struct ThreadTotals {
  double ns = 0;
  uint64_t gets = 0, news = 0, allocs = 0, rounds = 0;
};

template <class Peer>
void BM_ExpensiveNew(benchmark::State& state, int threads) {
  using benchmark::Counter;
  const int max_rounds = expensive_rounds();
  const double max_ns = expensive_max_s() * 1e9;
  std::vector<ThreadTotals> totals(static_cast<size_t>(threads));
  uint64_t gcs = 0;
  for (auto _ : state) {
    auto peer = std::make_unique<Peer>(PeerConfig<Item>{expensive_new, {}, SIZE_MAX});
    gcs = 0;
    const auto w0 = Clock::now();
    run_threads(threads, [&](int t, auto&& wait_for_start) {
      std::array<Item*, kCheckedOut> held;
      // Warm-up: the objects a long-running program would already have.
      t_warming = true;
      for (Item*& p : held) p = peer->get();
      for (Item* p : held) peer->put(p);
      t_warming = false;
      wait_for_start();
      ThreadTotals& tot = totals[static_cast<size_t>(t)];
      tot = ThreadTotals{};
      const Meter a = Meter::now();
      for (int r = 0; r < max_rounds; ++r) {
        if (ns_between(a, Meter::now()) >= max_ns) break;
        for (Item*& p : held) p = peer->get();
        benchmark::DoNotOptimize(held.data());  // "work" with the objects checked out
        for (Item* p : held) peer->put(p);
        ++tot.rounds;
        if (t == 0 && (r + 1) % kRoundsPerGc == 0) {
          peer->gc();
          ++gcs;
        }
      }
      const Meter b = Meter::now();
      tot.ns = ns_between(a, b);
      tot.gets = tot.rounds * kCheckedOut;
      tot.news = b.news - a.news;
      tot.allocs = (b.allocs - a.allocs).allocs;
      peer->thread_done();
    });
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - w0).count());
  }
  ThreadTotals sum;
  double ns_per_op = 0;
  for (const ThreadTotals& t : totals) {
    sum.gets += t.gets;
    sum.news += t.news;
    sum.allocs += t.allocs;
    ns_per_op += ratio(t.ns, static_cast<double>(t.gets)) / threads;
  }
  const double gets = static_cast<double>(sum.gets);
  state.counters["ns_per_op"] = ns_per_op;
  state.counters["news_per_op"] = ratio(static_cast<double>(sum.news), gets);
  state.counters["hit_rate"] = gets > 0 ? 1.0 - static_cast<double>(sum.news) / gets : 0.0;
  state.counters["allocs_per_op"] = ratio(static_cast<double>(sum.allocs), gets);
  state.counters["gets"] = gets;
  state.counters["gcs"] = static_cast<double>(gcs);
  if constexpr (HasTrims<Peer>) state.counters["trims_per_gc"] = Peer::kTrims;
}

// ---------------------------------------------------------------- trim pause
void BM_TrimPause(benchmark::State& state) {
  using benchmark::Counter;
  auto swap_h = std::make_unique<LogLinearHistogram>();
  auto free_h = std::make_unique<LogLinearHistogram>();
  std::vector<Item*> objs(kTrimObjects);
  uint64_t freed = 0, samples = 0;
  for (auto _ : state) {
    swap_h->reset();
    free_h->reset();
    freed = samples = 0;
    const auto w0 = Clock::now();
    {
      Pool<Item> pool;
      for (int s = 0; s < trim_samples(); ++s) {
        for (Item*& p : objs) p = new Item;
        for (Item* p : objs) pool.put(std::unique_ptr<Item>(p));
        const auto t0 = Clock::now();
        pool.trim();  // primary (100k objects) -> victim
        const auto t1 = Clock::now();
        freed += pool.trim();  // drops that victim: frees the 100k objects
        const auto t2 = Clock::now();
        swap_h->record(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
        free_h->record(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(t2 - t1).count()));
        ++samples;
      }
    }
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - w0).count());
  }
  state.counters["trim_free_p50_ns"] = static_cast<double>(free_h->percentile(0.50));
  state.counters["trim_free_p95_ns"] = static_cast<double>(free_h->percentile(0.95));
  state.counters["trim_free_max_ns"] = static_cast<double>(free_h->max());
  state.counters["trim_swap_p50_ns"] = static_cast<double>(swap_h->percentile(0.50));
  state.counters["trim_swap_p95_ns"] = static_cast<double>(swap_h->percentile(0.95));
  state.counters["freed_per_trim"] =
      ratio(static_cast<double>(freed), static_cast<double>(samples));
  state.counters["samples"] = static_cast<double>(samples);
}

// ---------------------------------------------------------------- victim
template <class Peer>
void BM_Victim(benchmark::State& state) {
  using benchmark::Counter;
  Peer peer(PeerConfig<Item>{count_new, {}, SIZE_MAX});
  std::vector<Item*> held(kVictimHeld);
  auto cycle = [&] {
    for (Item*& p : held) p = peer.get();
    benchmark::DoNotOptimize(held.data());
    for (Item* p : held) peer.put(p);
    peer.gc();
  };
  cycle();  // warm-up: the pool holds its 1000 objects
  int64_t n = 0;
  const Meter a = Meter::now();
  for (auto _ : state) {
    cycle();
    ++n;
  }
  const Meter b = Meter::now();
  const double cycles = static_cast<double>(n);
  const double gets = cycles * kVictimHeld;
  const double news = static_cast<double>(b.news - a.news);
  const double allocs = static_cast<double>((b.allocs - a.allocs).allocs);
  state.counters["ns_per_op"] = ratio(ns_between(a, b), gets);
  state.counters["cpu_ns_per_op"] = ratio(cpu_ns_between(a, b), gets);
  state.counters["allocs_per_cycle"] = ratio(allocs, cycles);
  state.counters["allocs_per_op"] = ratio(allocs, gets);
  state.counters["news_per_cycle"] = ratio(news, cycles);
  state.counters["news_per_op"] = ratio(news, gets);
  state.counters["hit_rate"] = gets > 0 ? 1.0 - news / gets : 0.0;
  state.counters["trims_per_gc"] = Peer::kTrims;
  state.counters["retained_bytes"] = static_cast<double>(peer.retained() * sizeof(Item));
  state.SetLabel(Peer::kTrims == 1 ? "victim cache on: one trim() per iteration"
                                   : "victim cache off, emulated: trim() twice per iteration "
                                     "(Pool has no switch to disable it)");
}

// ---------------------------------------------------------------- variable sizes
// The request sizes of a run: 1 % big, deterministic.
std::vector<uint32_t> request_sizes(std::size_t n) {
  std::mt19937_64 rng(0x5eed23199);
  std::bernoulli_distribution big(0.01);
  std::vector<uint32_t> out(n);
  for (auto& s : out) s = static_cast<uint32_t>(big(rng) ? kBigBuf : kSmallBuf);
  return out;
}

void BM_VariableSizes(benchmark::State& state, std::size_t cap, const std::string& name) {
  using benchmark::Counter;
  const int rounds = variable_rounds();
  const std::vector<uint32_t> sizes =
      request_sizes(static_cast<std::size_t>(rounds) * kBuffersHeld);
  std::vector<double> series_bytes, series_objects, series_ms;
  series_bytes.reserve(static_cast<size_t>(rounds));
  series_objects.reserve(static_cast<size_t>(rounds));
  series_ms.reserve(static_cast<size_t>(rounds));
  std::array<Buffer*, kBuffersHeld> held;
  double ns = 0, gets = 0, news = 0, allocs = 0, grows = 0, dropped = 0;
  for (auto _ : state) {
    series_bytes.clear();
    series_objects.clear();
    series_ms.clear();
    PoolOptions<Buffer> o;
    o.new_fn = [] {
      ++t_news;
      return std::make_unique<Buffer>();
    };
    o.size_of = [](const Buffer& b) { return b.cap; };
    o.max_size = cap;  // SIZE_MAX: no cap, bytes still counted
    InstrumentedPool<Buffer> pool(o);
    uint64_t grown = 0;
    size_t next = 0;
    const Meter a = Meter::now();
    for (int r = 0; r < rounds; ++r) {
      for (Buffer*& b : held) {
        std::unique_ptr<Buffer> buf = pool.get();
        const std::size_t want = sizes[next++];
        grown += buf->reserve(want) ? 1 : 0;
        buf->data[0] = std::byte{1};  // "use" it: touch its first and last page
        buf->data[want - 1] = std::byte{2};
        b = buf.release();
      }
      for (Buffer* b : held) pool.put(std::unique_ptr<Buffer>(b));
      if ((r + 1) % kRoundsPerGc == 0) pool.trim();
      const PoolStats s = pool.stats();
      series_bytes.push_back(static_cast<double>(s.retained_bytes));
      series_objects.push_back(static_cast<double>(s.retained_objects));
      series_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a.t).count());
    }
    const Meter b = Meter::now();
    const PoolStats s = pool.stats();
    ns = ns_between(a, b);
    gets = static_cast<double>(rounds) * kBuffersHeld;
    news = static_cast<double>(b.news - a.news);
    allocs = static_cast<double>((b.allocs - a.allocs).allocs);
    grows = static_cast<double>(grown);
    dropped = static_cast<double>(s.dropped_oversize);
    state.SetIterationTime(ns * 1e-9);
  }
  double mx = 0, sum = 0;
  for (double v : series_bytes) {
    mx = std::max(mx, v);
    sum += v;
  }
  state.counters["ns_per_op"] = ratio(ns, gets);
  state.counters["hit_rate"] = gets > 0 ? 1.0 - news / gets : 0.0;
  state.counters["news_per_op"] = ratio(news, gets);
  state.counters["allocs_per_op"] = ratio(allocs, gets);
  state.counters["grows_per_op"] = ratio(grows, gets);
  state.counters["dropped_per_op"] = ratio(dropped, gets);
  state.counters["retained_bytes_final"] = series_bytes.empty() ? 0.0 : series_bytes.back();
  state.counters["retained_bytes_max"] = mx;
  state.counters["retained_bytes_mean"] = ratio(sum, static_cast<double>(series_bytes.size()));
  std::vector<int> round_no(series_bytes.size());
  for (size_t i = 0; i < round_no.size(); ++i) round_no[i] = static_cast<int>(i + 1);
  record_side_data("pool_variable_sizes.json", name,
                   {{"round", round_no},
                    {"t_ms", series_ms},
                    {"retained_bytes", series_bytes},
                    {"retained_objects", series_objects},
                    {"cap", cap == SIZE_MAX ? nlohmann::json(nullptr) : nlohmann::json(cap)},
                    {"held", kBuffersHeld},
                    {"gc_every", kRoundsPerGc}});
}

// ---------------------------------------------------------------- registration
template <class Peer, class Fn>
void register_threaded(const char* family, Fn fn, const std::vector<hw::Policy>& placements,
                       const std::vector<int>& threads, bool single_on_first_only) {
  for (size_t pi = 0; pi < placements.size(); ++pi) {
    const hw::Policy policy = placements[pi];
    std::vector<int> ts;
    for (int t : threads)
      if (!(single_on_first_only && t == 1 && pi > 0)) ts.push_back(t);
    if (ts.empty()) continue;
    auto* b = benchmark::RegisterBenchmark(
        bench_name(family, {{"peer", Peer::kName}, {"placement", hw::policy_name(policy)}}).c_str(),
        [fn, policy](benchmark::State& st) { fn(st, policy); });
    for (int t : ts) b->Threads(t);
    b->Setup(&setup_shared<Peer>)->Teardown(&teardown_shared<Peer>)->UseRealTime();
  }
}

void register_all() {
  const int pus = usable_pus();
  const std::vector<hw::Policy>& all = options().placements;
  const std::vector<hw::Policy> first(all.begin(), all.begin() + 1);
  const std::vector<int> sweep = thread_sweep(pus);

  for_each_peer(AllPeers{}, [&]<class P>() {
    register_threaded<P>("pool_put_get", &BM_PutGet<P>, all, sweep, true);
  });
  for_each_peer(AllPeers{}, [&]<class P>() {
    register_threaded<P>("pool_overflow", &BM_Overflow<P>, first, sweep, false);
  });
  for_each_peer(AllPeers{}, [&]<class P>() {
    register_threaded<P>("pool_starvation", &BM_Starvation<P>, first, sweep, false);
  });
  for_each_peer(AllPeers{}, [&]<class P>() {
    register_threaded<P>("pool_cross_thread", &BM_CrossThread<P>, first, {2}, false);
  });
  for_each_peer(GcPeers{}, [&]<class P>() {
    const std::string name =
        bench_name("pool_expensive_new", {{"peer", P::kName}, {"threads", std::to_string(pus)}});
    benchmark::RegisterBenchmark(name.c_str(), [pus](benchmark::State& st) {
      BM_ExpensiveNew<P>(st, pus);
    })->UseManualTime();
  });
  benchmark::RegisterBenchmark(
      bench_name("pool_trim_pause", {{"peer", "Pool"}, {"objects", std::to_string(kTrimObjects)}})
          .c_str(),
      BM_TrimPause)
      ->UseManualTime();
  for_each_peer(VictimPeers{}, [&]<class P>() {
    benchmark::RegisterBenchmark(
        bench_name("pool_victim", {{"peer", P::kName}, {"held", std::to_string(kVictimHeld)}})
            .c_str(),
        BM_Victim<P>);
  });
  for (std::size_t cap : {SIZE_MAX, kCapBytes}) {
    const std::string name =
        bench_name("pool_variable_sizes",
                   {{"peer", "Pool"}, {"cap", cap == SIZE_MAX ? "none" : std::to_string(cap)}});
    benchmark::RegisterBenchmark(name.c_str(), [cap, name](benchmark::State& st) {
      BM_VariableSizes(st, cap, name);
    })->UseManualTime();
  }
}

}  // namespace
}  // namespace syncscope::suites

int main(int argc, char** argv) {
  return syncscope::suites::suite_main(argc, argv, "pool", &syncscope::suites::register_all);
}
