// Suite `channels`: syncscope's Chan<T> next to the channels and queues
// people would otherwise pick, on crossbeam-channel's benchmark matrix plus
// the cases of Go's runtime chan benchmarks (cases.h describes each).
//
// Family: channels/impl:I[/model:goroutine]/case:C/cap:K/msg:B/threads:T
//                 [/work_ns:W][/neighbour:busy]
//   I  Chan, boost_fiber, moodycamel_blocking, moodycamel_rw,
//      moodycamel_rw_circular, tbb_bounded_queue (adapters.h); go_chan is
//      added to the same JSON by the Go peer (peer.sh, go/), same cases,
//      same names, same counters.
//   C  seq spsc mpsc mpmc select_rx select_both pingpong prodcons try_recv
//      popular close handoff_runon;  K  0 1 16 1024 unbounded;
//   B  8 64 1024 (bytes);  W  prodcons 0, 100; handoff_runon 0, 50000,
//      500000, 20000000 (ns of work after each send);
//   T  every thread of the case (mpsc: T-1 producers + 1 consumer; mpmc:
//      T/2 + T/2; popular/close: 1 sender/closer + K receivers).
//   model:goroutine  (the threading-model axis, issue 11) Chan with every
//      party of the case a goroutine on syncscope's runtime instead of a
//      std::thread (cases.h); every case of the matrix runs both ways. A
//      name without a model segment is the thread model (the names runs
//      kept before the axis existed, so `run.sh compare` still pairs them).
//      go_chan is Go's runtime: goroutines by construction, no segment.
//   neighbour:busy  the noisy neighbour runs (neighbour.h: one SCHED_IDLE /
//      nice-19 busy thread pinned to every usable CPU, started before each
//      repetition (the first one's pilot included) and stopped after it);
//      for Chan on threads, Chan on goroutines and go_chan (the peer starts the same
//      neighbour) on spsc, mpsc, pingpong (quick) and mpmc, select_rx,
//      select_both (full) at caps 0, 1, 16, 1024. The label says which
//      policy the busy threads got (neighbour=sched_idle|nice19).
//   Oversubscription: mpmc with 4+4 and 16+16 parties (threads:8, :32) at
//      caps 0, 1, 16, 1024, beside the matrix's own mpmc thread counts, for
//      Chan on both models and go_chan.
//   handoff_runon (cases.h): the wake latency of a receiver handed a value
//      by a sender that then runs on W ns without blocking, for Chan on both
//      models and go_chan, at cap 0 (full: 0 and 16). The W values span the
//      regimes of scheduler.cc's deferred wake: 0 (the sender blocks at
//      once: its P runs the receiver), 50 us (about two of the monitor's
//      shortest sleeps), 500 us (the monitor stays at its 20 us sleep: a
//      deferred wake was made < 50 looks ago) and 20 ms (the monitor has
//      backed off to its 10 ms sleep between two sends).
// A case an implementation cannot express is not registered for it; the
// context key channels_coverage_<impl> lists what each one covers.
//
// Every benchmark is one run per repetition (Iterations(1), manual time):
// `units` units of work with fresh threads (cases.h). units starts at the
// profile's planned count and is lowered, once per benchmark, so a run fits
// the profile's time budget: a pilot run (growing from 256 units, 2 for
// close, until it lasts 10 ms) measures the rate first. The Go peer replays the units each
// Chan benchmark used, so Chan and go_chan always move the same number of
// messages.
//
// Counters (per run; the JSON holds each repetition and the median):
//   ns_per_msg        run time / messages (pingpong: per one-way message;
//                     try_recv: per call; close: close() -> last receiver
//                     running, per round; handoff_runon: send -> the
//                     receiver running, the mean over the messages)
//   msgs_per_s        messages / run time
//   ns_per_roundtrip  pingpong only
//   lat_p50_ns, lat_p99_ns, lat_p999_ns, lat_samples
//                     sampled send -> receive latency (pingpong: round trip;
//                     close: wake-up delay of each receiver; handoff_runon:
//                     send -> the receiver running, every message)
//   lat_max_ns        handoff_runon only: the longest of those waits
//   cpu_ns_per_msg, ctx_switches_per_msg   getrusage(RUSAGE_SELF) deltas
//   runq_wait_ns_per_msg, runq_wait_cpus
//                     the run delay of the case's threads (time runnable,
//                     waiting for a CPU; cases.h), per message and over the
//                     wall time: the average number of them that waited for
//                     a CPU. Left out where /proc/.../schedstat cannot be
//                     read (the context's run_delay says so).
//   machine_line_handoff_ns   the machine's state just before the run: one
//                     cache line's one-way hand-off between the first two
//                     usable CPUs (common/line_handoff.h), the median of a
//                     short probe; left out with one CPU
//   units, messages   what the run did
//   blocked_per_msg, parks_per_msg, lock_contended_per_msg, spins_per_msg
//                     Chan on threads only: its per-thread ChanStats
//                     (operations that waited, slept, channel-lock
//                     acquisitions that missed the first CAS, and cpu_relax
//                     hints spent spinning — the bounded spinning before
//                     parking, measured)
//   in_flight_left_per_msg, ring_snoozes_per_msg, ring_yields_per_msg,
//   ring_yield_ns_per_msg
//                     Chan on threads only: waits on a ring slot whose
//                     partner operation is in flight (its CAS done, its
//                     stamp not yet stored): lock-free tries that left it
//                     to the batch wait, ring_snooze pauses (a backoff step
//                     or a sched_yield; also on a stale position), the
//                     yields among them and the wall time spent in them
//   g_<count>_per_msg, gomaxprocs
//                     model:goroutine only: the runtime's counts over the
//                     run, per message (parks, switches, steals, idle-M
//                     wakes, runnext steals and back-offs, spin polls, ring
//                     back-offs, deferred wakes and those made, local
//                     yields: common/goroutine_counters.h)
//   cpu_ns_per_msg and ctx_switches_per_msg leave the neighbour's busy
//   threads out (their own CPU clocks and switch counts are subtracted).
// Side file channels_hist.json: per benchmark name, the merged latency
// histogram of the last repetition (non-empty buckets [upper_ns, count]).
//
// Placement: the Go runtime cannot pin goroutines, so the channels are
// measured with the first policy of --placement (default: none, unpinned),
// the same for every implementation; the label and the context say which.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "channels/adapters.h"
#include "channels/cases.h"
#include "channels/neighbour.h"
#include "common/goroutine_counters.h"
#include "common/harness.h"
#include "common/run_delay.h"

namespace syncscope::suites::channels {
namespace {

constexpr std::array<Capacity, 5> kAllCaps = {0, 1, 16, 1024, kUnbounded};

bool full() { return options().profile == Profile::kFull; }

// The placement every implementation is measured with (see the banner).
hw::Policy channel_policy() {
  return options().placements.empty() ? hw::Policy::kNone : options().placements.front();
}

// ---- the plan ------------------------------------------------------------------

// Units a run starts from (the pilot may lower them to fit the budget).
uint64_t planned_units(const CaseSpec& c) {
  const uint64_t scale = full() ? 5 : 1;
  const bool tight = c.cap == 0 || c.cap == 1;
  switch (c.kind) {
    case Case::kSeq: return 200'000 * scale;
    case Case::kSpsc:
    case Case::kMpsc:
    case Case::kMpmc:
    case Case::kProdCons: return (tight ? 50'000 : 200'000) * scale;
    case Case::kSelectRx:
    case Case::kSelectBoth: return (tight ? 20'000 : 100'000) * scale;
    case Case::kPingPong: return 20'000 * scale;
    case Case::kTryRecv: return 2'000'000 * scale;
    case Case::kPopular: return full() ? 400 : 100;
    case Case::kClose: return full() ? 200 : 40;
    case Case::kHandoffRunOn: return full() ? 200 : 100;
  }
  return 1000;
}

// Time one repetition may take (the pilot lowers units to fit).
double budget_s() { return full() ? 0.5 : 0.08; }

// handoff_runon keeps at least this many rounds whatever the budget (a
// round with 20 ms of work would otherwise leave 4 in quick).
constexpr uint64_t kRunOnMinRounds = 10;

// The handoff_runon cases (see the banner): sender's work after each send.
constexpr std::array<int, 4> kRunOnWorkNs = {0, 50'000, 500'000, 20'000'000};

std::vector<int> mpsc_threads() {
  std::vector<int> out;
  if (!options().threads.empty()) {
    for (int t : options().threads)
      if (t >= 3) out.push_back(t);
    return out;
  }
  const int top = std::max(3, 2 * usable_pus());
  if (full()) {
    out.push_back(3);
    for (int t = 4; t < top; t *= 2) out.push_back(t);
  }
  out.push_back(top);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<int> mpmc_threads() {
  std::vector<int> out;
  if (!options().threads.empty()) {
    for (int t : options().threads)
      if (t >= 4 && t % 2 == 0) out.push_back(t);
    return out;
  }
  const int top = std::max(4, 2 * usable_pus() / 2 * 2);
  if (full())
    for (int t = 4; t < top; t *= 2) out.push_back(t);
  out.push_back(top);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

CaseSpec transfer(Case kind, Capacity cap, int producers, int consumers, int msg = 8,
                  int work = 0) {
  CaseSpec c;
  c.kind = kind;
  c.cap = cap;
  c.msg_bytes = msg;
  c.producers = producers;
  c.consumers = consumers;
  c.threads = producers + consumers;
  c.work_ns = work;
  return c;
}

constexpr std::array<Capacity, 4> kMatrixCaps = {0, 1, 16, 1024};

// Oversubscription: 4 -> 4 and 16 -> 16, unless the sweep already has them.
std::vector<int> oversub_threads() {
  std::vector<int> out;
  if (!options().threads.empty()) return out;  // --threads decides alone
  const std::vector<int> have = mpmc_threads();
  for (int t : {8, 32})
    if (std::find(have.begin(), have.end(), t) == have.end()) out.push_back(t);
  return out;
}

// The cases run with the noisy neighbour (see the banner).
std::vector<CaseSpec> neighbour_cases() {
  std::vector<CaseSpec> v;
  auto add = [&v](CaseSpec c) {
    c.neighbour = true;
    c.chan_only = true;
    v.push_back(c);
  };
  const std::vector<int> mpsc = mpsc_threads();
  const std::vector<int> mpmc = mpmc_threads();
  for (Capacity cap : kMatrixCaps) {
    add(transfer(Case::kSpsc, cap, 1, 1));
    if (!mpsc.empty()) add(transfer(Case::kMpsc, cap, mpsc.back() - 1, 1));
    if (full()) {
      if (!mpmc.empty()) add(transfer(Case::kMpmc, cap, mpmc.back() / 2, mpmc.back() / 2));
      add(transfer(Case::kSelectRx, cap, kSelectWays, 1));
      add(transfer(Case::kSelectBoth, cap, kSelectWays, kSelectWays));
    }
  }
  for (Capacity cap : {Capacity{0}, Capacity{1}}) add(transfer(Case::kPingPong, cap, 1, 1));
  return v;
}

// Every case of the matrix, in run order (each case then runs for every
// implementation back to back, so drift on the machine hits them alike).
std::vector<CaseSpec> all_cases() {
  std::vector<CaseSpec> v;
  for (Capacity cap : kAllCaps) {
    if (cap != 0) {
      CaseSpec c = transfer(Case::kSeq, cap, 1, 1);
      c.threads = 1;
      v.push_back(c);
    }
  }
  for (Capacity cap : kAllCaps) v.push_back(transfer(Case::kSpsc, cap, 1, 1));
  for (Capacity cap : kAllCaps)
    for (int t : mpsc_threads()) v.push_back(transfer(Case::kMpsc, cap, t - 1, 1));
  for (Capacity cap : kAllCaps)
    for (int t : mpmc_threads()) v.push_back(transfer(Case::kMpmc, cap, t / 2, t / 2));
  for (Case k : {Case::kSelectRx, Case::kSelectBoth}) {
    for (Capacity cap : kAllCaps) {
      if (cap == kUnbounded) continue;  // no implementation with select has it
      CaseSpec c = transfer(k, cap, kSelectWays, k == Case::kSelectRx ? 1 : kSelectWays);
      v.push_back(c);
    }
  }
  for (Capacity cap : {Capacity{0}, Capacity{1}}) {
    CaseSpec c = transfer(Case::kPingPong, cap, 1, 1);
    v.push_back(c);
  }
  for (int work : {0, 100})
    for (Capacity cap : {Capacity{0}, Capacity{16}, kUnbounded})
      v.push_back(transfer(Case::kProdCons, cap, 1, 1, 8, work));
  for (Capacity cap : {Capacity{0}, Capacity{16}, kUnbounded}) {
    CaseSpec c = transfer(Case::kTryRecv, cap, 1, 0);
    c.threads = 1;
    v.push_back(c);
  }
  {
    const int k = full() ? 128 : 32;
    CaseSpec c = transfer(Case::kPopular, 0, 1, k);
    v.push_back(c);
  }
  for (int k : full() ? std::vector<int>{1, 4, 16} : std::vector<int>{4}) {
    CaseSpec c = transfer(Case::kClose, 0, 1, k);
    v.push_back(c);
  }
  for (Capacity cap : full() ? std::vector<Capacity>{0, 16} : std::vector<Capacity>{0})
    for (int work : kRunOnWorkNs) {
      CaseSpec c = transfer(Case::kHandoffRunOn, cap, 1, 1, 8, work);
      c.chan_only = true;
      v.push_back(c);
    }
  // Oversubscription (4+4 and 16+16) and the noisy neighbour: Chan on both
  // models and go_chan only (register_case).
  for (int t : oversub_threads())
    for (Capacity cap : kMatrixCaps) {
      CaseSpec c = transfer(Case::kMpmc, cap, t / 2, t / 2);
      c.chan_only = true;
      v.push_back(c);
    }
  for (CaseSpec c : neighbour_cases()) v.push_back(c);
  // Message sizes: spsc (and, in full, mpmc at its largest thread count) at
  // the large capacities.
  for (int msg : {64, 1024}) {
    for (Capacity cap : {Capacity{1024}, kUnbounded}) {
      v.push_back(transfer(Case::kSpsc, cap, 1, 1, msg));
      if (full()) {
        const int t = mpmc_threads().empty() ? 4 : mpmc_threads().back();
        v.push_back(transfer(Case::kMpmc, cap, t / 2, t / 2, msg));
      }
    }
  }
  return v;
}

// Whether adapter A can express case c (else it is not registered).
template <class A>
bool expressible(const CaseSpec& c) {
  if (!A::supports(c.cap)) return false;
  switch (c.kind) {
    case Case::kSeq: return c.cap != 0;
    case Case::kSpsc:
    case Case::kPingPong:
    case Case::kProdCons: return true;
    case Case::kMpsc: return A::kMultiProducer;
    case Case::kMpmc: return A::kMultiProducer && A::kMultiConsumer;
    case Case::kSelectRx:
    case Case::kSelectBoth:
    case Case::kPopular: return HasSelect<A>;
    case Case::kTryRecv:
      // boost's unbuffered_channel has no try_pop.
      if constexpr (std::is_same_v<A, BoostFiberAdapter>) return c.cap != 0;
      return HasTryRecv<A>;
    case Case::kClose: return HasClose<A>;
    case Case::kHandoffRunOn: return true;
  }
  return false;
}

std::string case_bench_name(const char* impl, const CaseSpec& c) {
  std::vector<std::pair<std::string, std::string>> kv = {{"impl", impl}};
  if (c.model != Model::kThread) kv.emplace_back("model", model_name(c.model));
  kv.insert(kv.end(), {{"case", case_name(c.kind)},
                       {"cap", capacity_name(c.cap)},
                       {"msg", std::to_string(c.msg_bytes)},
                       {"threads", std::to_string(c.threads)}});
  if (c.kind == Case::kProdCons || c.kind == Case::kHandoffRunOn)
    kv.emplace_back("work_ns", std::to_string(c.work_ns));
  if (c.neighbour) kv.emplace_back("neighbour", "busy");
  return bench_name("channels", kv);
}

// ---- the benchmark -------------------------------------------------------------

// Units chosen per benchmark name (pilot once, reused by every repetition).
std::map<std::string, uint64_t>& chosen_units() {
  static std::map<std::string, uint64_t> m;
  return m;
}

template <class A, class M>
uint64_t choose_units(const CaseSpec& c, const std::string& name, const std::vector<int>& pus) {
  auto& cache = chosen_units();
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  const uint64_t planned = round_units(c, planned_units(c));
  // A round of close or handoff_runon lasts a settle time at least.
  uint64_t u = round_units(c, std::min<uint64_t>(planned, reports_spans(c) ? 2 : 256));
  Outcome o = run_case<A, M>(c, u, pus);
  while (o.wall_s < 0.01 && u < planned) {
    u = round_units(c, std::min(planned, u * 4));
    o = run_case<A, M>(c, u, pus);
  }
  const double per_unit = o.wall_s / static_cast<double>(u);
  uint64_t chosen = planned;
  if (per_unit > 0 && per_unit * static_cast<double>(planned) > budget_s())
    chosen = round_units(c, std::max<uint64_t>(1, static_cast<uint64_t>(budget_s() / per_unit)));
  chosen = std::min(chosen, planned);
  if (c.kind == Case::kHandoffRunOn) chosen = std::max(chosen, std::min(planned, kRunOnMinRounds));
  cache[name] = chosen;
  return chosen;
}

template <class A, class M>
void BM_Channel(benchmark::State& state, CaseSpec c, std::string name) {
  const hw::Policy policy = channel_policy();
  const hw::Placement plan = hw::plan_placement(policy, c.threads);
  if (!plan.honoured) {
    state.SkipWithError(plan.refusal().c_str());
    for (auto _ : state) {
    }
    return;
  }
  std::vector<int> pus;
  if (policy != hw::Policy::kNone && c.model == Model::kThread) pus = plan.pus;
  Neighbour neighbour;
  if (c.neighbour) {
    neighbour.start();
    detail::active_neighbour() = &neighbour;
  }
  const uint64_t units = choose_units<A, M>(c, name, pus);
  Outcome o;
  for (auto _ : state) {
    o = run_case<A, M>(c, units, pus);
    state.SetIterationTime(std::max(o.measured_s, 1e-9));
  }
  detail::active_neighbour() = nullptr;
  const int neighbour_threads = neighbour.threads();
  neighbour.stop();
  const double msgs = static_cast<double>(std::max<uint64_t>(o.messages, 1));
  const double ns = o.measured_s * 1e9;
  auto& k = state.counters;
  k["units"] = static_cast<double>(o.units);
  k["messages"] = static_cast<double>(o.messages);
  if (c.kind == Case::kClose) {
    k["ns_per_msg"] = ns / static_cast<double>(std::max<uint64_t>(o.units, 1));
    k["msgs_per_s"] = static_cast<double>(o.units) / std::max(o.measured_s, 1e-12);
  } else {
    k["ns_per_msg"] = ns / msgs;
    k["msgs_per_s"] = msgs / std::max(o.measured_s, 1e-12);
  }
  if (c.kind == Case::kPingPong)
    k["ns_per_roundtrip"] = ns / static_cast<double>(std::max<uint64_t>(o.units, 1));
  if (o.hist.count() > 0) {
    k["lat_p50_ns"] = static_cast<double>(o.hist.percentile(0.50));
    k["lat_p99_ns"] = static_cast<double>(o.hist.percentile(0.99));
    k["lat_p999_ns"] = static_cast<double>(o.hist.percentile(0.999));
    k["lat_samples"] = static_cast<double>(o.hist.count());
    if (c.kind == Case::kHandoffRunOn) k["lat_max_ns"] = static_cast<double>(o.hist.max());
  }
  k["cpu_ns_per_msg"] = o.cpu_s * 1e9 / msgs;
  k["ctx_switches_per_msg"] = o.ctx_switches / msgs;
  if (o.line_handoff_ns) k["machine_line_handoff_ns"] = *o.line_handoff_ns;
  if (o.have_run_delay) {
    k["runq_wait_ns_per_msg"] = o.run_delay_s * 1e9 / msgs;
    k["runq_wait_cpus"] = o.run_delay_s / std::max(o.wall_s, 1e-12);
  }
  if (c.model == Model::kGoroutine) {
    set_goroutine_counters(k, o.g, msgs, "msg");
    k["gomaxprocs"] = gomaxprocs();
  } else if constexpr (HasChanStats<A>) {
    k["blocked_per_msg"] = static_cast<double>(o.stats.blocked) / msgs;
    k["parks_per_msg"] = static_cast<double>(o.stats.parks) / msgs;
    k["lock_contended_per_msg"] = static_cast<double>(o.stats.lock_contended) / msgs;
    k["spins_per_msg"] = static_cast<double>(o.stats.spins) / msgs;
    k["in_flight_left_per_msg"] = static_cast<double>(o.stats.in_flight_left) / msgs;
    k["ring_snoozes_per_msg"] = static_cast<double>(o.stats.ring_snoozes) / msgs;
    k["ring_yields_per_msg"] = static_cast<double>(o.stats.ring_yields) / msgs;
    k["ring_yield_ns_per_msg"] = static_cast<double>(o.stats.ring_yield_ns) / msgs;
  }
  std::string label = c.model == Model::kGoroutine
                          ? "placement=none;pus=unpinned;model=goroutine;GOMAXPROCS=" +
                                std::to_string(gomaxprocs())
                          : plan.label();
  if (c.neighbour)
    label += std::string(";neighbour=") + neighbour.policy() + "x" +
             std::to_string(neighbour_threads);
  state.SetLabel(label);
  benchmark::DoNotOptimize(o.sink);
  if (o.hist.count() > 0) {
    nlohmann::json buckets = nlohmann::json::array();
    for (auto [upper, count] : o.hist.buckets()) buckets.push_back({upper, count});
    const char* what = c.kind == Case::kPingPong       ? "round trip"
                       : c.kind == Case::kClose        ? "close to receiver running"
                       : c.kind == Case::kHandoffRunOn ? "send to receiver running"
                                                       : "send to receive";
    record_side_data("channels_hist.json", name,
                     {{"what", what},
                      {"unit", "ns"},
                      {"sample_every", reports_spans(c) ? 1 : kSampleEvery},
                      {"count", o.hist.count()},
                      {"min", o.hist.min()},
                      {"max", o.hist.max()},
                      {"buckets", buckets}});
  }
}

// ---- registration --------------------------------------------------------------

std::set<std::string>& seen_names() {
  static std::set<std::string> s;
  return s;
}

std::map<std::string, std::vector<std::string>>& coverage() {
  static std::map<std::string, std::vector<std::string>> m;
  return m;
}

template <class A, class M>
void register_one(const CaseSpec& c) {
  const std::string name = case_bench_name(A::kName, c);
  if (!seen_names().insert(name).second) return;
  benchmark::RegisterBenchmark(name.c_str(),
                               [c, name](benchmark::State& st) { BM_Channel<A, M>(st, c, name); })
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
}

template <class A>
void register_case(const CaseSpec& c) {
  if (!expressible<A>(c)) return;
  if (c.chan_only && !std::is_same_v<A, ChanAdapter>) return;
  switch (c.msg_bytes) {
    case 8: register_one<A, Msg<8>>(c); break;
    case 64: register_one<A, Msg<64>>(c); break;
    case 1024: register_one<A, Msg<1024>>(c); break;
    default: return;
  }
  std::string entry = std::string(case_name(c.kind)) + "@" + capacity_name(c.cap);
  auto& list = coverage()[std::string(A::kName) +
                          (c.model == Model::kGoroutine ? "_goroutine" : "")];
  if (std::find(list.begin(), list.end(), entry) == list.end()) list.push_back(entry);
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

void register_all() {
  // One registration line per implementation (and the case matrix once).
  for (const CaseSpec& c : all_cases()) {
    register_case<ChanAdapter>(c);
    CaseSpec g = c;  // Chan on goroutines: the same case, every party a goroutine
    g.model = Model::kGoroutine;
    register_case<ChanAdapter>(g);
    register_case<BoostFiberAdapter>(c);
    register_case<MoodycamelBlockingAdapter>(c);
    register_case<MoodycamelRwAdapter>(c);
    register_case<MoodycamelRwCircularAdapter>(c);
    register_case<TbbBoundedQueueAdapter>(c);
  }
  for (const auto& [impl, list] : coverage())
    benchmark::AddCustomContext("channels_coverage_" + impl, join(list));
  benchmark::AddCustomContext("channels_placement", hw::policy_name(channel_policy()));
  benchmark::AddCustomContext(
      "channels_latency_sampling",
      "1 message in " + std::to_string(kSampleEvery) +
          " carries a send timestamp (close, handoff_runon: every one)");
  benchmark::AddCustomContext("channels_budget_s_per_run", std::to_string(budget_s()));
  benchmark::AddCustomContext(
      "channels_models",
      "thread: every party a std::thread (names without a model segment); goroutine "
      "(model:goroutine): every party a goroutine on syncscope's runtime, GOMAXPROCS=" +
          std::to_string(gomaxprocs()) +
          ", unpinned; go_chan: Go's runtime (peer.sh)");
  benchmark::AddCustomContext(
      "channels_neighbour",
      "neighbour:busy = one busy thread per usable CPU (" + std::to_string(usable_pus()) +
          "), pinned, SCHED_IDLE (nice 19 if refused), started by the suite before the "
          "benchmark's pilot and stopped after it; its CPU time and context switches are "
          "subtracted from cpu_ns_per_msg / ctx_switches_per_msg; the Go peer starts the "
          "same neighbour as a child process");
  benchmark::AddCustomContext(
      "channels_run_delay",
      thread_run_delay_ns()
          ? "runq_wait_*: /proc/<pid>/task/<tid>/schedstat run delay of the case's threads "
            "(threads: each party, gate to finish; goroutines: every thread but the "
            "neighbour's); go_chan: every thread of the Go process"
          : "unavailable: /proc/thread-self/schedstat cannot be read (no runq_wait_* fields)");
  benchmark::AddCustomContext(
      "channels_not_registered",
      "select/popular: only Chan and go_chan have select; close: tbb abort() "
      "wakes only current waiters and moodycamel has no close; cap 0: tbb, "
      "moodycamel have no rendezvous; unbounded: Chan, go_chan, boost_fiber "
      "are bounded; mpsc/mpmc: moodycamel_rw* are SPSC");
  benchmark::AddCustomContext(
      "channels_boost_fiber",
      "one fiber per std::thread (each thread's own round_robin scheduler); "
      "cap 0 = unbuffered_channel, cap 1 = buffered_channel(2) (1 slot), "
      "cap N = buffered_channel(N) (N-1 usable slots)");
}

}  // namespace
}  // namespace syncscope::suites::channels

int main(int argc, char** argv) {
  return syncscope::suites::suite_main(argc, argv, "channels",
                                       &syncscope::suites::channels::register_all);
}
