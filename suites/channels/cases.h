// The cases of the channels suite: one templated body per case, run for
// every implementation through its adapter (adapters.h).
//
// Offers:
//   Msg<kBytes>          the message: kBytes of payload; w[0] carries the
//                        send timestamp of a sampled message (0 otherwise)
//   Case, case_name()    seq | spsc | mpsc | mpmc | select_rx | select_both |
//                        pingpong | prodcons | try_recv | popular | close |
//                        handoff_runon
//   Model, model_name()  thread | goroutine: what runs the case's parties
//   CaseSpec             one case: kind, capacity, message size, threads
//                        (producers/consumers), local work, model, and
//                        whether the noisy neighbour runs (neighbour.h)
//   Outcome              what one run measured (times, counts, merged
//                        latency histogram, rusage deltas, blocking stats)
//   run_case<A, M>(spec, units, pus)   runs one case once
//   kSampleEvery         one message in kSampleEvery carries a timestamp
//
// How a run works (the same in the Go peer, suites/channels/go/): the case's
// threads are created fresh, pinned by the placement plan (or not), and wait
// at a start gate. The clock starts when the gate opens and stops when the
// last thread has finished its share; thread creation is not measured.
// Producers send `units` messages in all (split evenly), consumers receive
// them all (split evenly); nobody waits for a particular consumer, so a
// rendezvous channel completes too. getrusage(RUSAGE_SELF) around the gate
// and the joins gives CPU time and context switches of the whole process
// (only the case's threads run then). The run delay (common/run_delay.h:
// time runnable but not on a CPU) of the case's threads over the same
// window tells a run that waited for CPUs from one whose threads slept: on
// threads, each party's own from the gate to its finish; on goroutines,
// every thread of the process but the neighbour's (the M's outlive runs).
// Before the case's threads are created, a short probe of one cache line's
// hand-off between two CPUs (common/line_handoff.h; 0.3-1.6 ms, median
// 0.4, over 50 probes on the 2-vCPU development VM at load 0.3; cut off at
// 20 ms under load, and then left out) records the
// machine's state the run starts in: there it read 20-60 ns or 180-280 ns,
// nothing between, flipping within seconds (issue 11, five runs of the
// suite at load 1.2-3.4), and every run that moves lines between cores
// follows it.
//
// The threading model (the model axis, issue 11): with Model::kThread the
// parties are fresh std::threads as above; with Model::kGoroutine they are
// goroutines on syncscope's runtime (syncscope/goroutine.h, GOMAXPROCS =
// the usable CPUs), released by the same gate, waited for with a
// WaitGroup from the benchmark thread, never pinned (a goroutine has no
// CPU of its own, as in Go). A party that waits for another party's
// progress outside a channel (the gate, the close case's round) yields
// with relax(): gosched() on a goroutine — the runtime does not preempt,
// so a goroutine that spun without yielding would keep its P from the
// party it waits for — and std::this_thread::yield() on a thread. The
// scheduler's own counters (goroutine_stats(): parks, switches, steals)
// over the run replace Chan's per-thread ChanStats, which are per M.
// With the noisy neighbour on, its busy threads' CPU time and context
// switches over the same window are subtracted from the rusage deltas.
//
// The cases (crossbeam-channel's benchmark matrix, then Go's runtime chan
// benchmarks):
//   seq          one thread sends a batch of `cap` messages, then receives
//                them (unbounded: all messages in one batch; boost's
//                buffered_channel(N) holds N - 1, its batch is that).
//   spsc         1 producer, 1 consumer.
//   mpsc         threads-1 producers, 1 consumer.
//   mpmc         threads/2 producers, threads/2 consumers.
//   select_rx    4 producers, each on its own channel; 1 consumer selects
//                over the 4 channels.
//   select_both  4 producers select-send over 4 channels; 4 consumers
//                select-receive over them.
//   pingpong     two channels, two threads; a message goes there and back:
//                a unit is one round trip (Go's BenchmarkChanSync).
//   prodcons     1 producer, 1 consumer, work_ns of calibrated local work
//                before each send and after each receive
//                (BenchmarkChanProdConsWork).
//   try_recv     one thread, try_receive on an empty channel: a unit is one
//                call (BenchmarkChanNonblocking).
//   popular      K receivers each select on a shared "popular" channel that
//                never fires and their own channel; one sender sends to each
//                own channel in turn. The popular channel's wait queue holds
//                K entries all the time (BenchmarkChanPopular). A unit is a
//                round of K messages.
//   close        K receivers block on an empty unbuffered channel; after
//                kCloseSettle (so they are asleep) it is closed. A unit is a
//                round; its time is close() to the last receiver running
//                again (the run's reported time sums only these spans).
//   handoff_runon  a receiver blocked on an empty channel, a sender that
//                sends it one message and then runs work_ns of calibrated
//                work without blocking (issue 11: the price of
//                scheduler.cc's "Deferring the wake of a hand-off", where a
//                goroutine's hand-off does not wake an idle M at once). A
//                unit is a round: the receiver announces itself and
//                receives; the sender waits for the announcement, for the
//                receiver to be queued in the channel (Chan:
//                waiting_receivers(); Go has no such query) and then
//                kRunOnSettle more (so a thread has parked and an M that
//                ran the receiver has stopped looking for work), stamps the
//                message and sends. Every message is sampled: the latency
//                is send -> the receiver running with it, and the run's
//                reported time sums these spans (ns_per_msg = the mean).
//                The sender's next round starts after its work, so a
//                receiver that was not woken during the work runs when the
//                sender waits (relax()) for its announcement.
//
// Latency: the sender stamps one message in kSampleEvery (steady clock, ns)
// and the receiver records now - stamp in its own LogLinearHistogram;
// histograms are merged after the run. pingpong records round trips,
// close the wake-up delay of every receiver. Two clock reads per sampled
// message cost a few ns spread over kSampleEvery messages.
//
// Measurement hygiene: all per-thread state (histogram, counters) lives in
// a preallocated, padded slot; the measured loops never lock (other than the
// channel under test) or allocate (except what an implementation allocates
// itself, e.g. moodycamel's blocks).
#ifndef SYNCSCOPE_SUITES_CHANNELS_CASES_H_
#define SYNCSCOPE_SUITES_CHANNELS_CASES_H_

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <syncscope/goroutine.h>
#include <syncscope/wait_group.h>

#include "channels/adapters.h"
#include "channels/neighbour.h"
#include "common/calibrated_work.h"
#include "common/harness.h"
#include "common/histogram.h"
#include "common/line_handoff.h"
#include "common/run_delay.h"

namespace syncscope::suites::channels {

inline constexpr uint64_t kSampleEvery = 16;  // power of two
static_assert((kSampleEvery & (kSampleEvery - 1)) == 0, "kSampleEvery must be a power of two");
inline constexpr int kSelectWays = 4;  // channels per select (crossbeam's THREADS)
// How long the close case waits after every receiver announced itself, so
// that all of them are asleep in the channel when it is closed.
inline constexpr std::chrono::microseconds kCloseSettle{1000};
// How long the handoff_runon sender waits after the receiver is queued
// before it sends (see the banner).
inline constexpr uint64_t kRunOnSettleNs = 200'000;

template <std::size_t kBytes>
struct Msg {
  static_assert(kBytes >= 8 && kBytes % 8 == 0, "a message is a whole number of 64-bit words");
  static constexpr std::size_t kSize = kBytes;
  uint64_t w[kBytes / 8] = {};  // w[0]: send timestamp (ns) when sampled, else 0
};
static_assert(sizeof(Msg<8>) == 8 && sizeof(Msg<64>) == 64 && sizeof(Msg<1024>) == 1024);

enum class Case {
  kSeq,
  kSpsc,
  kMpsc,
  kMpmc,
  kSelectRx,
  kSelectBoth,
  kPingPong,
  kProdCons,
  kTryRecv,
  kPopular,
  kClose,
  kHandoffRunOn
};

inline const char* case_name(Case c) {
  switch (c) {
    case Case::kSeq: return "seq";
    case Case::kSpsc: return "spsc";
    case Case::kMpsc: return "mpsc";
    case Case::kMpmc: return "mpmc";
    case Case::kSelectRx: return "select_rx";
    case Case::kSelectBoth: return "select_both";
    case Case::kPingPong: return "pingpong";
    case Case::kProdCons: return "prodcons";
    case Case::kTryRecv: return "try_recv";
    case Case::kPopular: return "popular";
    case Case::kClose: return "close";
    case Case::kHandoffRunOn: return "handoff_runon";
  }
  return "?";
}

enum class Model { kThread, kGoroutine };

inline const char* model_name(Model m) { return m == Model::kGoroutine ? "goroutine" : "thread"; }

struct CaseSpec {
  Case kind = Case::kSpsc;
  Capacity cap = 0;
  int msg_bytes = 8;
  int threads = 2;    // every thread of the case
  int producers = 1;  // transfer cases; popular: 1 sender; close: 1 closer
  int consumers = 1;  // transfer cases; popular/close: K receivers
  int work_ns = 0;    // prodcons (each side, per message); handoff_runon (after each send)
  Model model = Model::kThread;
  bool neighbour = false;  // the noisy neighbour runs (neighbour.h)
  bool chan_only = false;  // registered for Chan (both models) only: go_chan replays it
};

// Units are multiples of this so every thread gets an equal share.
inline uint64_t unit_quantum(const CaseSpec& c) {
  switch (c.kind) {
    case Case::kSpsc:
    case Case::kMpsc:
    case Case::kMpmc:
    case Case::kProdCons:
      return static_cast<uint64_t>(c.producers) * static_cast<uint64_t>(c.consumers);
    case Case::kSelectRx:
    case Case::kSelectBoth:
      return kSelectWays;
    default:
      return 1;
  }
}

inline uint64_t round_units(const CaseSpec& c, uint64_t units) {
  const uint64_t q = unit_quantum(c);
  return std::max(q, units / q * q);
}

// Whether a run reports the sum of its spans (close, handoff_runon) rather
// than its wall time, and samples every message rather than 1 in kSampleEvery.
inline bool reports_spans(const CaseSpec& c) {
  return c.kind == Case::kClose || c.kind == Case::kHandoffRunOn;
}

// Messages moved (the ns_per_msg denominator) for `units` units.
inline uint64_t messages_of(const CaseSpec& c, uint64_t units) {
  if (c.kind == Case::kPingPong) return 2 * units;
  if (c.kind == Case::kPopular) return units * static_cast<uint64_t>(c.consumers);
  return units;
}

inline uint64_t now_ns() noexcept {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

struct Outcome {
  double wall_s = 0;      // gate open -> last thread done
  double measured_s = 0;  // the time the case reports (wall_s, or the spans: reports_spans)
  uint64_t units = 0;
  uint64_t messages = 0;
  LogLinearHistogram hist;
  double cpu_s = 0;
  double ctx_switches = 0;
  BlockStats stats;
  // Model::kGoroutine: what the scheduler did over the run (goroutine_stats()
  // after minus before): parks, switches, steals, where woken goroutines ran
  // (scheduler.cc, "Stealing runnext") and channel hand-offs' idle-M wakes
  // ("Deferring the wake of a hand-off"). All zero for threads.
  GoroutineStats g;
  // The run delay of the case's threads over the run (run_delay.h: time
  // runnable but not on a CPU), summed; false where it cannot be read.
  bool have_run_delay = false;
  double run_delay_s = 0;
  // The machine's state just before the run (line_handoff.h's probe: one
  // cache line's one-way hand-off between two CPUs, ns); nullopt with one
  // CPU or when the probe could not pin.
  std::optional<double> line_handoff_ns;
  uint64_t sink = 0;
};

// One thread's preallocated, padded state.
struct alignas(128) Slot {
  LogLinearHistogram hist;
  uint64_t sink = 0;
  uint64_t finish_ns = 0;
  BlockStats stats;
  // close: sum of close -> last wake-up (closer only); handoff_runon: sum
  // of send -> receiver running (receiver only)
  double spans_ns = 0;
  // Model::kThread: the party's thread id and its run delay at the gate
  // (read by the benchmark thread) and after its share (read by itself).
  pid_t tid = 0;
  std::optional<uint64_t> run_delay_start, run_delay_end;
};

// Waits politely for another party (see the banner).
inline void relax() {
  if (on_goroutine()) {
    gosched();
  } else {
    std::this_thread::yield();
  }
}

namespace detail {

// The neighbour of the benchmark being run (null: none); set by the
// benchmark thread around run_case, read by run_team on that thread.
inline const Neighbour*& active_neighbour() {
  static const Neighbour* n = nullptr;
  return n;
}

template <class M>
inline M make_msg(uint64_t k) noexcept {
  M m;
  if ((k & (kSampleEvery - 1)) == 0) m.w[0] = now_ns();
  return m;
}

// The consumer side of a message: record its latency when it was sampled.
template <class M>
inline void take(Slot& s, const M& m) noexcept {
  const uint64_t t = m.w[0];
  if (t != 0) s.hist.record(now_ns() - t);
  s.sink += t;
}

inline double rusage_cpu_s(const rusage& r) {
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1e-6;
}

// Runs body(i, slot) on n fresh threads or goroutines (c.model), released
// together (see the banner).
template <class A, class Body>
Outcome run_team(const CaseSpec& c, int n, const std::vector<int>& pus, Body&& body) {
  // Before the parties exist, so that nothing of the run competes with it.
  const std::optional<double> handoff = probe_line_handoff_ns();
  std::vector<std::unique_ptr<Slot>> slots;
  for (int i = 0; i < n; ++i) slots.push_back(std::make_unique<Slot>());
  std::atomic<int> ready{0};
  std::atomic<bool> go_flag{false};
  const bool goroutines = c.model == Model::kGoroutine;
  auto party = [&](int i) {
    Slot& s = *slots[static_cast<size_t>(i)];
    if (!goroutines && !pus.empty()) pin_to(pus[static_cast<size_t>(i) % pus.size()]);
    if (!goroutines) s.tid = static_cast<pid_t>(syscall(SYS_gettid));
    ready.fetch_add(1, std::memory_order_acq_rel);
    while (!go_flag.load(std::memory_order_acquire)) relax();
    body(i, s);
    s.finish_ns = now_ns();
    if (!goroutines) s.run_delay_end = thread_run_delay_ns();
    if constexpr (HasChanStats<A>) {
      if (!goroutines) s.stats = A::thread_stats();
    }
  };
  std::vector<std::thread> threads;
  WaitGroup done;
  if (goroutines) {
    done.add(n);
    for (int i = 0; i < n; ++i) {
      syncscope::go([&party, &done, i] {
        party(i);
        done.done();
      });
    }
  } else {
    threads.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) threads.emplace_back(party, i);
  }
  while (ready.load(std::memory_order_acquire) < n) std::this_thread::yield();
  const Neighbour* nb = active_neighbour();
  rusage r0{}, r1{};
  const Neighbour::Usage n0 = nb != nullptr ? nb->usage() : Neighbour::Usage{};
  const GoroutineStats g0 = goroutine_stats();
  // Run delay at the gate: each party thread's own, or (goroutines, whose
  // M's live on) every thread of the process but the neighbour's.
  const std::vector<pid_t> nb_tids = nb != nullptr ? nb->tids() : std::vector<pid_t>{};
  std::optional<uint64_t> rd0;
  if (goroutines) {
    rd0 = process_run_delay_ns(nb_tids);
  } else {
    for (auto& s : slots) s->run_delay_start = task_run_delay_ns(s->tid);
  }
  getrusage(RUSAGE_SELF, &r0);
  const uint64_t t0 = now_ns();
  go_flag.store(true, std::memory_order_release);
  if (goroutines) {
    done.wait();
  } else {
    for (auto& t : threads) t.join();
  }
  getrusage(RUSAGE_SELF, &r1);
  const std::optional<uint64_t> rd1 = goroutines ? process_run_delay_ns(nb_tids) : std::nullopt;
  const GoroutineStats g1 = goroutine_stats();
  const Neighbour::Usage n1 = nb != nullptr ? nb->usage() : Neighbour::Usage{};
  Outcome o;
  o.line_handoff_ns = handoff;
  uint64_t last = t0;
  for (auto& s : slots) {
    last = std::max(last, s->finish_ns);
    o.hist.merge(s->hist);
    o.sink += s->sink;
    o.stats.blocked += s->stats.blocked;
    o.stats.parks += s->stats.parks;
    o.stats.lock_contended += s->stats.lock_contended;
    o.stats.spins += s->stats.spins;
    o.stats.in_flight_left += s->stats.in_flight_left;
    o.stats.ring_snoozes += s->stats.ring_snoozes;
    o.stats.ring_yields += s->stats.ring_yields;
    o.stats.ring_yield_ns += s->stats.ring_yield_ns;
    o.measured_s += s->spans_ns * 1e-9;
  }
  o.wall_s = static_cast<double>(last - t0) * 1e-9;
  if (goroutines) {
    o.have_run_delay = rd0 && rd1;
    if (o.have_run_delay) o.run_delay_s = static_cast<double>(*rd1 - std::min(*rd0, *rd1)) * 1e-9;
  } else {
    o.have_run_delay = true;
    for (auto& s : slots) {
      if (!s->run_delay_start || !s->run_delay_end) {
        o.have_run_delay = false;
        break;
      }
      o.run_delay_s +=
          static_cast<double>(*s->run_delay_end - std::min(*s->run_delay_start, *s->run_delay_end)) *
          1e-9;
    }
    if (!o.have_run_delay) o.run_delay_s = 0;
  }
  o.cpu_s = std::max(0.0, rusage_cpu_s(r1) - rusage_cpu_s(r0) - (n1.cpu_s - n0.cpu_s));
  o.ctx_switches =
      std::max(0.0, static_cast<double>((r1.ru_nvcsw - r0.ru_nvcsw) + (r1.ru_nivcsw - r0.ru_nivcsw)) -
                        (n1.ctx_switches - n0.ctx_switches));
  if (goroutines) o.g = g1 - g0;
  return o;
}

// ---- the case bodies ---------------------------------------------------------

template <class A, class M>
Outcome run_seq(const CaseSpec& c, uint64_t units, const std::vector<int>& pus) {
  typename A::template Channel<M> ch(c.cap);
  const uint64_t batch =
      c.cap == kUnbounded ? units : std::max<Capacity>(1, A::usable_capacity(c.cap));
  return run_team<A>(c, 1, pus, [&](int, Slot& s) {
    uint64_t k = 0;
    while (k < units) {
      const uint64_t b = std::min(batch, units - k);
      for (uint64_t j = 0; j < b; ++j) ch.send(make_msg<M>(k + j));
      for (uint64_t j = 0; j < b; ++j) ch.recv([&s](const M& m) { take(s, m); });
      k += b;
    }
  });
}

// spsc, mpsc, mpmc, prodcons: producers [0, P), consumers [P, P + C).
template <class A, class M>
Outcome run_transfer(const CaseSpec& c, uint64_t units, const std::vector<int>& pus) {
  typename A::template Channel<M> ch(c.cap);
  const int p = c.producers;
  const uint64_t per_producer = units / static_cast<uint64_t>(c.producers);
  const uint64_t per_consumer = units / static_cast<uint64_t>(c.consumers);
  const uint64_t work = CalibratedWork::steps_for(c.work_ns);
  return run_team<A>(c, c.producers + c.consumers, pus, [&](int i, Slot& s) {
    if (i < p) {
      for (uint64_t k = 0; k < per_producer; ++k) {
        if (work != 0) s.sink += work_steps(work);
        ch.send(make_msg<M>(k));
      }
    } else {
      for (uint64_t k = 0; k < per_consumer; ++k) {
        ch.recv([&s](const M& m) { take(s, m); });
        if (work != 0) s.sink += work_steps(work);
      }
    }
  });
}

template <class A, class M>
Outcome run_select(const CaseSpec& c, uint64_t units, const std::vector<int>& pus) {
  using Ch = typename A::template Channel<M>;
  std::vector<std::unique_ptr<Ch>> owned;
  std::array<Ch*, kSelectWays> chs{};
  for (int i = 0; i < kSelectWays; ++i) {
    owned.push_back(std::make_unique<Ch>(c.cap));
    chs[static_cast<size_t>(i)] = owned.back().get();
  }
  const bool both = c.kind == Case::kSelectBoth;
  const uint64_t per_producer = units / kSelectWays;
  const uint64_t per_consumer = both ? units / kSelectWays : units;
  return run_team<A>(c, c.threads, pus, [&](int i, Slot& s) {
    if (i < kSelectWays) {
      for (uint64_t k = 0; k < per_producer; ++k) {
        if (both) {
          A::select_send4(chs, make_msg<M>(k));
        } else {
          chs[static_cast<size_t>(i)]->send(make_msg<M>(k));
        }
      }
    } else {
      for (uint64_t k = 0; k < per_consumer; ++k)
        A::select_recv4(chs, [&s](const M& m) { take(s, m); });
    }
  });
}

template <class A, class M>
Outcome run_pingpong(const CaseSpec& c, uint64_t units, const std::vector<int>& pus) {
  typename A::template Channel<M> ping(c.cap), pong(c.cap);
  return run_team<A>(c, 2, pus, [&](int i, Slot& s) {
    if (i == 0) {
      for (uint64_t r = 0; r < units; ++r) {
        const uint64_t t = (r & (kSampleEvery - 1)) == 0 ? now_ns() : 0;
        M m;
        m.w[0] = r;
        ping.send(std::move(m));
        pong.recv([&s](const M& back) { s.sink += back.w[0]; });
        if (t != 0) s.hist.record(now_ns() - t);
      }
    } else {
      for (uint64_t r = 0; r < units; ++r) {
        M m;
        ping.recv([&m](const M& in) { m = in; });
        pong.send(std::move(m));
      }
    }
  });
}

template <class A, class M>
Outcome run_try_recv(const CaseSpec& c, uint64_t units, const std::vector<int>& pus) {
  typename A::template Channel<M> ch(c.cap);
  return run_team<A>(c, 1, pus, [&](int, Slot& s) {
    for (uint64_t k = 0; k < units; ++k) {
      if (ch.try_recv([&s](const M& m) { s.sink += m.w[0] + 1; })) ++s.sink;
    }
  });
}

// popular: thread 0 sends; threads 1..K receive, each selecting on the
// popular channel and its own.
template <class A, class M>
Outcome run_popular(const CaseSpec& c, uint64_t units, const std::vector<int>& pus) {
  using Ch = typename A::template Channel<M>;
  Ch popular(0);
  std::vector<std::unique_ptr<Ch>> own;
  for (int j = 0; j < c.consumers; ++j) own.push_back(std::make_unique<Ch>(0));
  return run_team<A>(c, c.consumers + 1, pus, [&](int i, Slot& s) {
    if (i == 0) {
      uint64_t k = 0;
      for (uint64_t r = 0; r < units; ++r)
        for (auto& ch : own) ch->send(make_msg<M>(k++));
    } else {
      Ch& mine = *own[static_cast<size_t>(i - 1)];
      for (uint64_t r = 0; r < units; ++r)
        A::select_recv2(popular, mine, [&s](const M& m) { take(s, m); });
    }
  });
}

// handoff_runon: thread 0 sends, thread 1 receives, one message a round
// (see the banner).
template <class A, class M>
Outcome run_handoff_runon(const CaseSpec& c, uint64_t units, const std::vector<int>& pus) {
  typename A::template Channel<M> ch(c.cap);
  std::atomic<uint64_t> announced{0};
  const uint64_t work = CalibratedWork::steps_for(c.work_ns);
  return run_team<A>(c, 2, pus, [&](int i, Slot& s) {
    if (i == 0) {
      for (uint64_t r = 1; r <= units; ++r) {
        while (announced.load(std::memory_order_acquire) < r) relax();
        if constexpr (requires { ch.chan().waiting_receivers(); }) {
          while (ch.chan().waiting_receivers() == 0) relax();
        }
        const uint64_t settled = now_ns() + kRunOnSettleNs;
        while (now_ns() < settled) relax();
        M m;
        m.w[0] = now_ns();
        ch.send(std::move(m));
        if (work != 0) s.sink += work_steps(work);  // runs on: no blocking call
      }
    } else {
      for (uint64_t r = 1; r <= units; ++r) {
        announced.store(r, std::memory_order_release);
        ch.recv([&s](const M& m) {
          const uint64_t waited = now_ns() - m.w[0];
          s.hist.record(waited);
          s.spans_ns += static_cast<double>(waited);
        });
      }
    }
  });
}

// close: thread 0 creates a channel per round, waits until the K receivers
// (threads 1..K) announced themselves and kCloseSettle passed, then closes.
template <class A, class M>
Outcome run_close(const CaseSpec& c, uint64_t units, const std::vector<int>& pus) {
  using Ch = typename A::template Channel<M>;
  const int k = c.consumers;
  std::atomic<Ch*> current{nullptr};
  std::atomic<uint64_t> round{0};
  std::atomic<int> ready{0}, done{0};
  std::atomic<uint64_t> t_close{0}, last_wake{0};
  return run_team<A>(c, k + 1, pus, [&](int i, Slot& s) {
    if (i == 0) {
      for (uint64_t r = 1; r <= units; ++r) {
        auto ch = std::make_unique<Ch>(0);
        ready.store(0, std::memory_order_relaxed);
        done.store(0, std::memory_order_relaxed);
        last_wake.store(0, std::memory_order_relaxed);
        current.store(ch.get(), std::memory_order_relaxed);
        round.store(r, std::memory_order_release);
        while (ready.load(std::memory_order_acquire) < k) relax();
        syncscope::sleep_for(kCloseSettle);
        const uint64_t t = now_ns();
        t_close.store(t, std::memory_order_relaxed);  // published by close() itself
        ch->close();
        while (done.load(std::memory_order_acquire) < k) relax();
        s.spans_ns += static_cast<double>(last_wake.load(std::memory_order_relaxed) - t);
      }
    } else {
      for (uint64_t r = 1; r <= units; ++r) {
        while (round.load(std::memory_order_acquire) < r) relax();
        Ch* ch = current.load(std::memory_order_relaxed);
        ready.fetch_add(1, std::memory_order_acq_rel);
        const bool got = ch->recv([&s](const M& m) { s.sink += m.w[0]; });
        const uint64_t w = now_ns();
        s.sink += got ? 1 : 0;  // a value would be a bug: nobody sends
        s.hist.record(w - t_close.load(std::memory_order_relaxed));
        uint64_t prev = last_wake.load(std::memory_order_relaxed);
        while (prev < w && !last_wake.compare_exchange_weak(prev, w, std::memory_order_relaxed)) {
        }
        done.fetch_add(1, std::memory_order_acq_rel);
      }
    }
  });
}

}  // namespace detail

// Runs case `c` once with `units` units. Thread i is pinned to
// pus[i % pus.size()] (none pinned when pus is empty).
template <class A, class M>
Outcome run_case(const CaseSpec& c, uint64_t units, const std::vector<int>& pus) {
  Outcome o;
  switch (c.kind) {
    case Case::kSeq: o = detail::run_seq<A, M>(c, units, pus); break;
    case Case::kSpsc:
    case Case::kMpsc:
    case Case::kMpmc:
    case Case::kProdCons: o = detail::run_transfer<A, M>(c, units, pus); break;
    case Case::kSelectRx:
    case Case::kSelectBoth:
      if constexpr (HasSelect<A>) o = detail::run_select<A, M>(c, units, pus);
      break;
    case Case::kPingPong: o = detail::run_pingpong<A, M>(c, units, pus); break;
    case Case::kTryRecv:
      if constexpr (HasTryRecv<A>) o = detail::run_try_recv<A, M>(c, units, pus);
      break;
    case Case::kPopular:
      if constexpr (HasSelect<A>) o = detail::run_popular<A, M>(c, units, pus);
      break;
    case Case::kClose:
      if constexpr (HasClose<A>) o = detail::run_close<A, M>(c, units, pus);
      break;
    case Case::kHandoffRunOn: o = detail::run_handoff_runon<A, M>(c, units, pus); break;
  }
  o.units = units;
  o.messages = messages_of(c, units);
  if (!reports_spans(c)) o.measured_s = o.wall_s;
  return o;
}

}  // namespace syncscope::suites::channels

#endif  // SYNCSCOPE_SUITES_CHANNELS_CASES_H_
