// The blocking-bug detector's registry (see syncscope/blocking_detector.h for
// what it reports and syncscope/internal/wait_registry.h for the hooks).
//
// Design: one record per party that takes part — a thread (heap-allocated,
// owned by a thread_local that frees it at thread exit) or a goroutine
// (created when the runtime starts it, freed when it returns; keyed by its
// goid) —, all of them in one list under one std::mutex. A record holds the
// party's state (running / parked forever / parked with a deadline), what it
// waits on, and what it holds. The checks run in the party that parks,
// under the mutex, on the wait-for graph of that moment: edges go from a
// parked party to the holders of the lock it waits for, and from a party
// parked on a channel declared with chan_parties() to the channel's other
// party; any other channel, WaitGroup, Cond or bare Sema wait has no edge
// (nobody can say who would wake it). A releaser that unlinks a parked
// waiter marks it "woken" first, so a thread that is about to run is never
// counted asleep (Go's runtime counts a readied goroutine as runnable too).
// Lock order: the registry mutex is a leaf; no primitive is called under it.
#include <syncscope/blocking_detector.h>
#include <syncscope/internal/scheduler.h>
#include <syncscope/internal/wait_registry.h>
#include <syncscope/recursive_mutex.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace syncscope {
namespace internal::waitreg {

const char* what_name(What w) noexcept {
  switch (w) {
    case What::kSema:
      return "Sema.acquire";
    case What::kMutexLock:
      return "GoMutex.lock";
    case What::kRWMutexLock:
      return "GoRWMutex.lock";
    case What::kRWMutexRLock:
      return "GoRWMutex.lock_shared";
    case What::kChanSend:
      return "Chan.send";
    case What::kChanRecv:
      return "Chan.recv";
    case What::kSelect:
      return "select";
    case What::kNilChan:
      return "nil Chan (forever)";
    case What::kWaitGroup:
      return "WaitGroup.wait";
    case What::kCond:
      return "Cond.wait";
  }
  return "?";
}

#if SYNCSCOPE_WAIT_REGISTRY

std::atomic<bool> g_on{false};
std::atomic<int> g_goroutines{0};

namespace {

enum class State : uint8_t { kRunning, kParked, kTimed };

struct Rec {
  uint64_t id = 0;
  int64_t goid = 0;  // > 0: a goroutine's record
  std::string name;
  bool participant = false;
  State state = State::kRunning;
  bool woken = false;  // unlinked by a releaser, not yet running
  const void* obj = nullptr;
  What what = What::kSema;
  std::vector<std::pair<const void*, Hold>> holds;
  // A goroutine's pending wait annotation (a thread's is in its Tls).
  const void* note_obj = nullptr;
  What note_what = What::kSema;
  bool note_set = false;
};

// A channel's two declared parties (chan_parties()).
struct ChanParties {
  std::string a, b;
};

struct Registry {
  std::mutex mu;
  std::vector<Rec*> threads;                     // live records: threads and goroutines
  std::unordered_map<int64_t, Rec*> goroutines;  // goid -> its record
  std::unordered_map<const void*, ChanParties> chan_parties;
  uint64_t next_id = 1;
  std::unordered_map<const void*, std::string> labels;
  std::vector<detector::Finding> findings;
  std::set<std::string> seen;  // signatures of reported findings
  detector::Handler handler;
  std::size_t starting = 0;  // will_start() minus ThreadScopes opened since
};

Registry& reg() {
  static Registry* r = new Registry;  // never destroyed: used by thread exits
  return *r;
}

struct Tls {
  Rec* rec = nullptr;
  const void* note_obj = nullptr;
  What note_what = What::kSema;
  bool note_set = false;
  ~Tls() {
    if (rec == nullptr) return;
    Registry& r = reg();
    std::lock_guard<std::mutex> g(r.mu);
    r.threads.erase(std::remove(r.threads.begin(), r.threads.end(), rec), r.threads.end());
    delete rec;
    rec = nullptr;
  }
};
thread_local Tls t_tls;

// The goroutine running on this thread (its goid), or 0.
int64_t current_goid() noexcept {
  const int64_t id = detail::tls_thread_id;
  return id < 0 ? -id : 0;
}

// Under r.mu: a goroutine's record, made on first sight (a goroutine
// started while the detector was off).
Rec* goroutine_rec(Registry& r, int64_t goid) {
  auto it = r.goroutines.find(goid);
  if (it != r.goroutines.end()) return it->second;
  Rec* x = new Rec;
  x->id = r.next_id++;
  x->goid = goid;
  x->name = "goroutine " + std::to_string(goid);
  x->participant = true;  // Go counts every goroutine
  r.threads.push_back(x);
  r.goroutines.emplace(goid, x);
  g_goroutines.fetch_add(1, std::memory_order_relaxed);
  return x;
}

// Under r.mu: the caller's record if it has one (never made here).
Rec* find_caller(Registry& r) {
  if (const int64_t goid = current_goid(); goid != 0) {
    auto it = r.goroutines.find(goid);
    return it == r.goroutines.end() ? nullptr : it->second;
  }
  return t_tls.rec;
}

// Under r.mu: the caller's record, made on first use; null on an M's
// scheduler code, which is no party.
Rec* rec_of_caller(Registry& r, bool participate) {
  if (const int64_t goid = current_goid(); goid != 0) {
    Rec* x = goroutine_rec(r, goid);
    if (participate) x->participant = true;
    return x;
  }
  if (internal::on_scheduler()) return nullptr;
  Tls& t = t_tls;
  if (t.rec == nullptr) {
    t.rec = new Rec;
    t.rec->id = r.next_id++;
    t.rec->name = "thread#" + std::to_string(t.rec->id);
    r.threads.push_back(t.rec);
  }
  if (participate) t.rec->participant = true;
  return t.rec;
}

std::string obj_name(const Registry& r, const void* obj) {
  if (obj == nullptr) return "nil";
  auto it = r.labels.find(obj);
  if (it != r.labels.end()) return it->second;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", obj);
  return buf;
}

detector::Party party_of(const Registry& r, const Rec* x) {
  detector::Party p;
  p.thread_id = x->id;
  p.goroutine_id = x->goid;
  p.thread = x->name;
  if (x->state != State::kRunning && !x->woken) {
    p.waits_on = std::string(what_name(x->what)) + " on " + obj_name(r, x->obj);
    if (x->state == State::kTimed) p.waits_on += " (with deadline)";
  }
  for (const auto& h : x->holds) {
    p.holds.push_back(obj_name(r, h.first) +
                      (h.second == Hold::kExclusive ? " (exclusive)" : " (shared)"));
  }
  return p;
}

bool asleep(const Rec* x) { return x->state == State::kParked && !x->woken; }

// The one live participant named `name`, or null (none, or several: an
// ambiguous name gives no edge).
Rec* party_named(const Registry& r, const std::string& name) {
  Rec* found = nullptr;
  for (Rec* y : r.threads) {
    if (!y->participant || y->name != name) continue;
    if (found != nullptr) return nullptr;
    found = y;
  }
  return found;
}

// Parties that x waits for (wait-for edges), x asleep.
std::vector<Rec*> waits_for(const Registry& r, const Rec* x) {
  std::vector<Rec*> out;
  if (x->what == What::kChanSend || x->what == What::kChanRecv) {
    // A channel wait ends only by another party's operation on that
    // channel (a receive, a send, a close). Only when the channel's users
    // were declared as exactly two parties is that other party known: then
    // x waits for it, and for nobody else (see chan_parties()).
    auto it = r.chan_parties.find(x->obj);
    if (it == r.chan_parties.end()) return out;
    const std::string* other = nullptr;
    if (x->name == it->second.a) other = &it->second.b;
    if (x->name == it->second.b) other = &it->second.a;
    if (other == nullptr || *other == x->name) return out;
    if (Rec* y = party_named(r, *other); y != nullptr) out.push_back(y);
    return out;
  }
  for (Rec* y : r.threads) {
    for (const auto& h : y->holds) {
      if (h.first != x->obj) continue;
      bool edge = false;
      switch (x->what) {
        case What::kMutexLock:
          edge = h.second == Hold::kExclusive;
          break;
        case What::kRWMutexLock:  // the writer's own exclusive mark is not a wait
          edge = !(y == x && h.second == Hold::kExclusive);
          break;
        case What::kRWMutexRLock:
          edge = h.second == Hold::kExclusive;
          break;
        default:
          break;
      }
      if (edge) {
        out.push_back(y);
        break;
      }
    }
  }
  return out;
}

// A cycle through `start` in the wait-for graph of asleep threads, or empty.
std::vector<Rec*> cycle_through(const Registry& r, Rec* start) {
  std::vector<Rec*> path{start};
  std::vector<std::vector<Rec*>> next{waits_for(r, start)};
  std::set<Rec*> visited{start};
  while (!path.empty()) {
    if (next.back().empty()) {
      path.pop_back();
      next.pop_back();
      continue;
    }
    Rec* y = next.back().back();
    next.back().pop_back();
    if (y == start) return path;
    if (!asleep(y) || visited.count(y) != 0) continue;
    visited.insert(y);
    path.push_back(y);
    next.push_back(waits_for(r, y));
  }
  return {};
}

std::string signature(detector::FindingKind k, const std::vector<Rec*>& xs) {
  std::vector<std::string> parts;
  for (const Rec* x : xs) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%" PRIu64 "@%p/%d", x->id, x->obj, static_cast<int>(x->what));
    parts.emplace_back(buf);
  }
  std::sort(parts.begin(), parts.end());
  std::string s = detector::kind_name(k);
  for (const auto& p : parts) s += " " + p;
  return s;
}

// Under r.mu: record a finding unless an identical one was reported.
void add_finding(Registry& r, detector::FindingKind k, const std::vector<Rec*>& xs,
                 std::vector<detector::Finding>* out) {
  if (!r.seen.insert(signature(k, xs)).second) return;
  detector::Finding f;
  f.kind = k;
  for (const Rec* x : xs) f.parties.push_back(party_of(r, x));
  r.findings.push_back(f);
  out->push_back(std::move(f));
}

// Under r.mu: Go's checkdead — every participant parked with no deadline,
// and no thread about to start.
void check_all_asleep(Registry& r, std::vector<detector::Finding>* out) {
  if (r.starting != 0) return;
  std::vector<Rec*> parts;
  for (Rec* y : r.threads) {
    if (!y->participant) continue;
    if (!asleep(y)) return;
    parts.push_back(y);
  }
  if (!parts.empty()) add_finding(r, detector::FindingKind::kAllAsleep, parts, out);
}

void default_handler(const detector::Finding& f) {
  const std::string s = f.text();
  std::fputs(s.c_str(), stderr);
  std::fflush(stderr);
}

void deliver(const std::vector<detector::Finding>& fs, const detector::Handler& h) {
  for (const auto& f : fs) {
    if (h)
      h(f);
    else
      default_handler(f);
  }
}

}  // namespace

void held(const void* obj, Hold h) {
  Registry& r = reg();
  std::lock_guard<std::mutex> g(r.mu);
  if (Rec* x = rec_of_caller(r, true); x != nullptr) x->holds.emplace_back(obj, h);
}

void let_go(const void* obj, Hold h) {
  Registry& r = reg();
  std::lock_guard<std::mutex> g(r.mu);
  auto drop = [&](Rec* x) {
    for (auto it = x->holds.begin(); it != x->holds.end(); ++it) {
      if (it->first == obj && it->second == h) {
        x->holds.erase(it);
        return true;
      }
    }
    return false;
  };
  if (Rec* self = find_caller(r); self != nullptr && drop(self)) return;
  // Go lets any goroutine unlock a Mutex: drop the hold where it is.
  for (Rec* x : r.threads)
    if (drop(x)) return;
}

void woken(void* slot) {
  Registry& r = reg();
  std::lock_guard<std::mutex> g(r.mu);
  Rec* x = static_cast<Rec*>(slot);
  // Only a live record: the slot may predate a disable().
  if (std::find(r.threads.begin(), r.threads.end(), x) != r.threads.end()) x->woken = true;
}

namespace {
// The caller's annotation slots: the goroutine's record (under r.mu, which
// the caller holds through the returned lock) or the thread's Tls.
struct NoteSlots {
  std::unique_lock<std::mutex> lock;
  const void** obj;
  What* what;
  bool* set;
};
NoteSlots note_slots() {
  if (const int64_t goid = current_goid(); goid != 0) {
    Registry& r = reg();
    std::unique_lock<std::mutex> l(r.mu);
    Rec* x = goroutine_rec(r, goid);
    return {std::move(l), &x->note_obj, &x->note_what, &x->note_set};
  }
  Tls& t = t_tls;
  return {std::unique_lock<std::mutex>(), &t.note_obj, &t.note_what, &t.note_set};
}
}  // namespace

void Note::set(const void* obj, What w) noexcept {
  NoteSlots n = note_slots();
  prev_obj_ = *n.obj;
  prev_what_ = *n.what;
  prev_set_ = *n.set;
  *n.obj = obj;
  *n.what = w;
  *n.set = true;
  active_ = true;
}

void Note::clear() noexcept {
  NoteSlots n = note_slots();
  *n.obj = prev_obj_;
  *n.what = prev_what_;
  *n.set = prev_set_;
}

namespace {
// Findings of the last park_slow of this thread, delivered by report_slow
// once the Sema's bucket lock is dropped (a handler may print or block).
thread_local std::vector<detector::Finding> t_found;
thread_local detector::Handler t_handler;
}  // namespace

void Block::park_slow(void** slot) {
  Registry& r = reg();
  std::vector<detector::Finding>& found = t_found;
  found.clear();
  {
    std::lock_guard<std::mutex> g(r.mu);
    Rec* x = rec_of_caller(r, true);
    if (x == nullptr) return;  // an M's scheduler code: no party
    *slot = x;
    rec_ = x;
    parked_ = true;
    x->state = timed_ ? State::kTimed : State::kParked;
    x->woken = false;
    const bool goroutine = x->goid != 0;
    if (goroutine ? x->note_set : t_tls.note_set) {
      x->obj = goroutine ? x->note_obj : t_tls.note_obj;
      x->what = goroutine ? x->note_what : t_tls.note_what;
    } else {
      x->obj = sema_;
      x->what = What::kSema;
    }
    if (!timed_) {
      std::vector<Rec*> cyc = cycle_through(r, x);
      if (!cyc.empty()) add_finding(r, detector::FindingKind::kCycle, cyc, &found);
      check_all_asleep(r, &found);
    }
    if (!found.empty()) {
      t_handler = r.handler;
      pending_ = true;
    }
  }
}

void Block::report_slow() {
  pending_ = false;
  std::vector<detector::Finding> found;
  found.swap(t_found);
  detector::Handler h;
  h.swap(t_handler);
  deliver(found, h);
}

void Block::unpark() noexcept {
  Registry& r = reg();
  std::lock_guard<std::mutex> g(r.mu);
  // The record that parked (a goroutine may resume on another M); it lives
  // at least as long as this wait: threads and goroutines outlive their waits.
  Rec* x = static_cast<Rec*>(rec_);
  x->state = State::kRunning;
  x->woken = false;
}

void go_start(int64_t goid) {
  Registry& r = reg();
  std::lock_guard<std::mutex> g(r.mu);
  goroutine_rec(r, goid);  // runnable: awake until it parks
}

void go_exit(int64_t goid) {
  Registry& r = reg();
  std::vector<detector::Finding> found;
  detector::Handler h;
  {
    std::lock_guard<std::mutex> g(r.mu);
    auto it = r.goroutines.find(goid);
    if (it == r.goroutines.end()) return;
    Rec* x = it->second;
    r.goroutines.erase(it);
    r.threads.erase(std::remove(r.threads.begin(), r.threads.end(), x), r.threads.end());
    delete x;
    g_goroutines.fetch_sub(1, std::memory_order_relaxed);
    // The goroutine that ends may leave only sleepers behind (Go's goexit
    // runs checkdead).
    if (g_on.load(std::memory_order_relaxed)) check_all_asleep(r, &found);
    h = r.handler;
  }
  deliver(found, h);
}

namespace {
// SYNCSCOPE_DETECT=1: on from start-up, leaks printed at exit.
struct EnvInit {
  EnvInit() { apply_env(std::getenv("SYNCSCOPE_DETECT")); }
} env_init;
}  // namespace

void apply_env(const char* e) {
  if (e == nullptr || std::strcmp(e, "0") == 0 || *e == '\0') return;
  if (std::strcmp(e, "1") != 0) {
    std::fprintf(stderr, "error: SYNCSCOPE_DETECT='%s' (valid: 0, 1)\n", e);
    std::_Exit(2);
  }
  detector::enable();
  std::atexit([] {
    const detector::Finding f = detector::leaks();
    if (!f.parties.empty()) default_handler(f);
  });
}

#else

void apply_env(const char* e) {
  if (e == nullptr || *e == '\0' || std::strcmp(e, "0") == 0) return;
  std::fprintf(stderr, "error: SYNCSCOPE_DETECT='%s' but this build has no detector (valid: 0)\n",
               e);
  std::_Exit(2);
}

#endif  // SYNCSCOPE_WAIT_REGISTRY

}  // namespace internal::waitreg

namespace detector {

const char* kind_name(FindingKind k) noexcept {
  switch (k) {
    case FindingKind::kCycle:
      return "cycle";
    case FindingKind::kAllAsleep:
      return "all-asleep";
    case FindingKind::kLeak:
      return "leak";
  }
  return "?";
}

namespace {
// "thread(s)", "goroutine(s)" or both, by what the parties are.
std::string parties_word(const std::vector<Party>& parties) {
  std::size_t goroutines = 0;
  for (const Party& p : parties) goroutines += p.goroutine_id != 0 ? 1 : 0;
  if (goroutines == 0) return "thread(s)";
  if (goroutines == parties.size()) return "goroutine(s)";
  return "thread(s) and goroutine(s)";
}
}  // namespace

std::string Finding::text() const {
  std::string s;
  switch (kind) {
    case FindingKind::kCycle:
      s = "syncscope detector: wait-for cycle (deadlock) among " + std::to_string(parties.size()) +
          " " + parties_word(parties) + ":\n";
      break;
    case FindingKind::kAllAsleep: {
      std::size_t goroutines = 0;
      for (const Party& p : parties) goroutines += p.goroutine_id != 0 ? 1 : 0;
      // Go's own words when every party is a goroutine.
      s = std::string("syncscope detector: all ") +
          (goroutines == 0                ? "threads"
           : goroutines == parties.size() ? "goroutines"
                                          : "threads and goroutines") +
          " are asleep - deadlock!\n";
      break;
    }
    case FindingKind::kLeak:
      s = "syncscope detector: " + std::to_string(parties.size()) + " " + parties_word(parties) +
          " still blocked (leaked):\n";
      break;
  }
  for (const Party& p : parties) {
    s += "  " + p.thread;
    const std::string goname = "goroutine " + std::to_string(p.goroutine_id);
    if (p.goroutine_id != 0 && p.thread != goname) s += " (" + goname + ")";
    s += ": " + (p.waits_on.empty() ? std::string("running") : "waits on " + p.waits_on);
    if (!p.holds.empty()) {
      s += ", holds";
      for (const auto& h : p.holds) s += " " + h;
    }
    s += "\n";
  }
  return s;
}

#if SYNCSCOPE_WAIT_REGISTRY
using internal::waitreg::g_on;
using internal::waitreg::party_of;
using internal::waitreg::Rec;
using internal::waitreg::reg;
using internal::waitreg::Registry;
using internal::waitreg::State;

bool compiled_in() noexcept { return true; }

bool enable(Handler handler) {
  Registry& r = reg();
  std::lock_guard<std::mutex> g(r.mu);
  r.labels.clear();
  r.findings.clear();
  r.seen.clear();
  r.handler = std::move(handler);
  r.starting = 0;
  r.chan_parties.clear();
  for (auto* x : r.threads) {
    x->participant = x->goid != 0;  // every goroutine is a party (Go's rule)
    x->holds.clear();
  }
  g_on.store(true, std::memory_order_relaxed);
  return true;
}

void disable() {
  Registry& r = reg();
  std::lock_guard<std::mutex> g(r.mu);
  g_on.store(false, std::memory_order_relaxed);
  r.labels.clear();
  r.chan_parties.clear();
  r.handler = nullptr;
  for (auto* x : r.threads) {
    x->participant = false;
    x->holds.clear();
  }
}

bool enabled() noexcept { return g_on.load(std::memory_order_relaxed); }

ThreadScope::ThreadScope(std::string name) {
  if (!enabled()) return;
  Registry& r = reg();
  std::lock_guard<std::mutex> g(r.mu);
  auto* x = internal::waitreg::rec_of_caller(r, true);
  if (x != nullptr) x->name = std::move(name);
  // A thread announced by will_start() has started; a goroutine was a party
  // from go() on and was never announced.
  if (x != nullptr && x->goid == 0 && r.starting > 0) --r.starting;
  active_ = true;
}

void will_start(std::size_t n) {
  if (!enabled()) return;
  Registry& r = reg();
  std::lock_guard<std::mutex> g(r.mu);
  r.starting += n;
}

ThreadScope::~ThreadScope() {
  if (!active_) return;
  Registry& r = reg();
  std::vector<Finding> found;
  Handler h;
  {
    std::lock_guard<std::mutex> g(r.mu);
    if (Rec* x = internal::waitreg::find_caller(r); x != nullptr && x->goid == 0) {
      x->participant = false;  // a goroutine stays a party until it returns
    }
    // A participant that leaves may leave only sleepers behind (Go runs
    // checkdead when a goroutine exits too).
    if (enabled()) internal::waitreg::check_all_asleep(r, &found);
    h = r.handler;
  }
  internal::waitreg::deliver(found, h);
}

void label(const void* obj, std::string name) {
  Registry& r = reg();
  std::lock_guard<std::mutex> g(r.mu);
  r.labels[obj] = std::move(name);
}

void chan_parties(const void* chan, std::string a, std::string b) {
  Registry& r = reg();
  std::lock_guard<std::mutex> g(r.mu);
  r.chan_parties[chan] = internal::waitreg::ChanParties{std::move(a), std::move(b)};
}

std::vector<Finding> findings() {
  Registry& r = reg();
  std::lock_guard<std::mutex> g(r.mu);
  return r.findings;
}

Finding leaks() {
  Registry& r = reg();
  std::lock_guard<std::mutex> g(r.mu);
  Finding f;
  f.kind = FindingKind::kLeak;
  for (auto* x : r.threads)
    if (x->participant && internal::waitreg::asleep(x)) f.parties.push_back(party_of(r, x));
  return f;
}

std::size_t parked() {
  Registry& r = reg();
  std::lock_guard<std::mutex> g(r.mu);
  std::size_t n = 0;
  for (auto* x : r.threads)
    if (x->participant && internal::waitreg::asleep(x)) ++n;
  return n;
}

#else  // compiled out: the API exists and reports that the detector is absent.

bool compiled_in() noexcept { return false; }
bool enable(Handler) { return false; }
void disable() {}
bool enabled() noexcept { return false; }
ThreadScope::ThreadScope(std::string) {}
ThreadScope::~ThreadScope() {}
void label(const void*, std::string) {}
void chan_parties(const void*, std::string, std::string) {}
void will_start(std::size_t) {}
std::vector<Finding> findings() { return {}; }
Finding leaks() { return Finding{}; }
std::size_t parked() { return 0; }

#endif  // SYNCSCOPE_WAIT_REGISTRY

}  // namespace detector
}  // namespace syncscope
