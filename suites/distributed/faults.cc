// faults.cc — faults as workloads: Election fail-over (kill -9 of the etcd
// leader node; kill -9 and SIGSTOP of the elected client, a child process),
// the time from kill -9 of the leader node to the next Mutex acquisition, and
// the fenced writes of a holder SIGSTOPped past its session TTL.
//
// Child processes are this binary in a role (`--child-role=NAME ARGS`),
// started through ChildProcess (owned: stopped with the suite, on error and
// on Ctrl-C). A child reports through a status file of lines it appends and
// flushes; the parent polls it. Every wait has a limit (kWaitLimit): a case
// that does not reach its state in time ends with SkipWithError, never hangs.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

#include "syncscope/etcd/child_process.h"
#include "syncscope/etcd/election.h"
#include "syncscope/etcd/fence.h"
#include "syncscope/etcd/mutex.h"
#include "workload_util.h"
#include "workloads.h"

namespace syncscope::suites::distributed {
namespace {

constexpr auto kWaitLimit = std::chrono::seconds(60);
constexpr int64_t kChildTtlS = 2;  // etcd's minimum TTL at a 1 s election timeout

std::string self_exe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::runtime_error("cannot read /proc/self/exe");
  return std::string(buf, static_cast<size_t>(n));
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

// Polls until pred() or the limit; false at the limit.
// Restarts a killed member: now() (errors propagate), or at scope exit when
// an exception left the case early (errors swallowed: the case already fails).
struct MemberRestart {
  int member = -1;
  void now() {
    const int m = std::exchange(member, -1);
    if (m >= 0) Env::get().restart(m);
  }
  ~MemberRestart() {
    const int m = member;
    try {
      now();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "distributed: restarting member %d failed: %s\n", m, e.what());
    }
  }
};

template <class P>
bool wait_for(P&& pred) {
  const auto limit = std::chrono::steady_clock::now() + kWaitLimit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > limit) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("timed out waiting for " + what);
}

std::string join_eps(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + v[i];
  return s;
}

void append_line(FILE* f, const std::string& line) {
  std::fputs((line + "\n").c_str(), f);
  std::fflush(f);
}

// An observer thread: records when each leader value was first and how many
// times it was seen.
struct ObserverRec {
  std::mutex mu;
  std::vector<std::pair<std::string, uint64_t>> seen;  // guarded by mu
  bool saw(const std::string& v) {
    std::lock_guard<std::mutex> g(mu);
    for (auto& [val, t] : seen)
      if (val == v) return true;
    return false;
  }
  uint64_t first(const std::string& v) {
    std::lock_guard<std::mutex> g(mu);
    for (auto& [val, t] : seen)
      if (val == v) return t;
    return 0;
  }
  int times(const std::string& v) {
    std::lock_guard<std::mutex> g(mu);
    return static_cast<int>(
        std::count_if(seen.begin(), seen.end(), [&](const auto& p) { return p.first == v; }));
  }
};

struct Observers {
  Clients cl;
  std::vector<std::unique_ptr<etcd::Election>> el;
  std::vector<etcd::Observer> obs;
  std::vector<std::unique_ptr<ObserverRec>> rec;
  std::vector<std::thread> threads;
  std::atomic<bool> stop{false};
  Observers(const Cluster& c, int n, const std::string& prefix) : cl(c, n) {
    for (int i = 0; i < n; ++i) {
      el.push_back(std::make_unique<etcd::Election>(*cl.session[static_cast<size_t>(i)], prefix));
      obs.push_back(el.back()->observe());
      rec.push_back(std::make_unique<ObserverRec>());
    }
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([this, i] {
        auto ch = obs[static_cast<size_t>(i)].chan();
        while (!stop.load()) {
          auto v = ch.receive_for(std::chrono::milliseconds(50));
          if (v.closed()) return;
          if (!v.ok()) continue;
          std::lock_guard<std::mutex> g(rec[static_cast<size_t>(i)]->mu);
          rec[static_cast<size_t>(i)]->seen.emplace_back(v->value, now_ns());
        }
      });
    }
  }
  bool all_saw(const std::string& v) {
    for (auto& r : rec)
      if (!r->saw(v)) return false;
    return true;
  }
  ~Observers() {
    stop.store(true);
    for (auto& o : obs) o.stop();
    for (auto& t : threads) t.join();
  }
};

// Fail-over counters from the observers' first sight of `value` after t_fault.
void set_failover(benchmark::State& state, Observers& o, const std::string& value,
                  uint64_t t_fault) {
  uint64_t first = UINT64_MAX, last = 0;
  bool once = true;
  for (auto& r : o.rec) {
    const uint64_t t = r->first(value);
    first = std::min(first, t);
    last = std::max(last, t);
    once = once && r->times(value) == 1;
  }
  state.counters["failover_ms"] = static_cast<double>(last - t_fault) / 1e6;
  state.counters["first_observed_ms"] = static_cast<double>(first - t_fault) / 1e6;
  state.counters["observed_once"] = once ? 1 : 0;
}

}  // namespace

void bm_election_failover(benchmark::State& state, const std::string& name,
                          const std::string& cluster, const std::string& fault, int observers) {
  one_run(state, [&] {
    Cluster& c = Env::get().use(cluster);
    const std::string prefix = unique_prefix("election_failover");
    LogLinearHistogram h;
    uint64_t t_fault = 0;
    if (fault == "leader_node_kill") {
      // The elected client stays; the raft leader dies. Fail-over = the
      // election is usable again: the leader's next proclaim is seen by every
      // observer.
      Clients lead(c, 1);
      etcd::Election e(*lead.session[0], prefix);
      e.campaign("v0");
      Observers o(c, observers, prefix);
      require(wait_for([&] { return o.all_saw("v0"); }), "the observers to see v0");
      t_fault = now_ns();
      // The member comes back whatever happens, so later cases run on 3 nodes.
      MemberRestart back{Env::get().kill_leader()};
      for (;;) {
        try {
          e.proclaim("v1");
          break;
        } catch (const etcd::Error&) {
          require(now_ns() - t_fault < 60'000'000'000ULL, "a proclaim after the leader kill");
        }
      }
      require(wait_for([&] { return o.all_saw("v1"); }), "the observers to see v1");
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // duplicates show here
      set_failover(state, o, "v1", t_fault);
      for (auto& r : o.rec) h.record(r->first("v1") - t_fault);
      e.resign();
      back.now();
    } else {
      // The elected client is a child process; it dies (kill -9) or stops
      // (SIGSTOP) and its lease expires after kChildTtlS: the successor, which
      // waits in campaign(), becomes leader and every observer sees it.
      const std::string status =
          Env::get().out_dir() + "/.distributed_child_" + std::to_string(::getpid()) + ".status";
      std::remove(status.c_str());
      etcd::ChildProcess child =
          etcd::ChildProcess::spawn({self_exe(), "--child-role=candidate", join_eps(c.endpoints),
                                     prefix, "old", std::to_string(kChildTtlS), status},
                                    status + ".log");
      require(wait_for([&] { return !read_lines(status).empty(); }), "the child to be elected");
      Clients succ(c, 1);
      etcd::Election se(*succ.session[0], prefix);
      std::atomic<bool> failed{false};
      std::string err;  // written before `failed` is set
      std::thread st([&] {
        try {
          se.campaign("new");
        } catch (const std::exception& ex) {
          err = ex.what();
          failed.store(true);
        }
      });
      // Whatever happens below, the child dies before the successor's thread
      // is joined (its campaign ends once the child's lease is gone).
      struct Reaper {
        etcd::ChildProcess& child;
        std::thread& t;
        ~Reaper() {
          if (child.running()) child.kill();
          if (t.joinable()) t.join();
        }
      } reaper{child, st};
      Observers o(c, observers, prefix);
      etcd::GetOptions g;
      g.prefix = true;
      g.count_only = true;
      require(wait_for([&] { return succ.client[0]->get(prefix + "/", g).count >= 2; }),
              "the successor's campaign key");
      require(wait_for([&] { return o.all_saw("old"); }), "the observers to see the child");
      t_fault = now_ns();
      child.signal(fault == "client_kill" ? SIGKILL : SIGSTOP);
      const bool ok = wait_for([&] { return o.all_saw("new") || failed.load(); });
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      if (fault == "client_stop") child.signal(SIGCONT);
      child.kill();
      st.join();  // the successor is leader (or failed)
      std::remove(status.c_str());
      std::remove((status + ".log").c_str());
      if (!err.empty()) throw std::runtime_error("successor: " + err);
      require(ok, "the observers to see the successor");
      set_failover(state, o, "new", t_fault);
      for (auto& r : o.rec) h.record(r->first("new") - t_fault);
      se.resign();
    }
    finish_case(state, name, h, static_cast<double>(h.max()) * 1e-9, c);
  });
}

void bm_fault_leader_kill(benchmark::State& state, const std::string& name,
                          const std::string& cluster, int clients) {
  one_run(state, [&] {
    Cluster& c = Env::get().use(cluster);
    Clients cl(c, clients);
    const std::string prefix = unique_prefix("fault_mutex");
    std::atomic<bool> stop{false};
    std::atomic<int> acquisitions{0};
    std::atomic<uint64_t> fault_at{0};
    std::atomic<uint64_t> first_after{0};          // first lock() return in a new raft term
    std::atomic<uint64_t> max_term{0};             // highest raft term of an acquisition's header
    std::atomic<uint64_t> fault_term{UINT64_MAX};  // max_term when the leader was killed
    std::atomic<int> errors{0};
    std::atomic<int> after{0};
    std::string err;  // written by `workers` before it sets `ended`
    std::atomic<bool> ended{false};
    std::thread workers([&] {
      err = run_clients(clients, [&](int i) {
        etcd::Mutex m(*cl.session[static_cast<size_t>(i)], prefix);
        while (!stop.load()) {
          try {
            m.lock();
          } catch (const etcd::Error&) {
            errors.fetch_add(1);  // a call past its deadline during the election
            continue;
          }
          const uint64_t t = now_ns();
          const uint64_t term = m.header().raft_term;
          uint64_t seen = max_term.load();
          while (term > seen && !max_term.compare_exchange_weak(seen, term)) {
          }
          // After the fault: an acquisition granted in a later raft term (one
          // in flight at the kill still carries the old term and does not count).
          const uint64_t f = fault_at.load();
          if (f != 0 && t > f && term > fault_term.load()) {
            uint64_t zero = 0;
            first_after.compare_exchange_strong(zero, t);
            after.fetch_add(1);
          }
          acquisitions.fetch_add(1);
          for (;;) {
            try {
              m.unlock();
              break;
            } catch (const etcd::Error& e) {
              if (e.code() == etcd::Errc::kLockNotHeld) break;
              errors.fetch_add(1);
            }
          }
        }
      });
      ended.store(true);
    });
    const bool warm = wait_for([&] { return acquisitions.load() >= 2 * clients || ended.load(); });
    MemberRestart back{-1};
    bool recovered = false;
    if (warm && !ended.load()) {
      fault_term.store(max_term.load());
      fault_at.store(now_ns());
      back.member = Env::get().kill_leader();
      // Every client acquires again after the fault (FIFO: each waiter in turn).
      recovered = wait_for([&] { return after.load() >= clients || ended.load(); });
    }
    stop.store(true);
    workers.join();
    back.now();
    if (!err.empty()) throw std::runtime_error(err);
    require(warm, "the clients to acquire before the fault");
    require(recovered, "acquisitions after the leader kill");
    const uint64_t f = fault_at.load();
    LogLinearHistogram h;
    h.record(first_after.load() - f);
    state.counters["recover_ms"] = static_cast<double>(first_after.load() - f) / 1e6;
    state.counters["errors"] = errors.load();
    state.counters["acquisitions_after"] = after.load();
    finish_case(state, name, h, static_cast<double>(first_after.load() - f) * 1e-9, c);
  });
}

void bm_fault_fencing(benchmark::State& state, const std::string& name,
                      const std::string& cluster) {
  one_run(state, [&] {
    Cluster& c = Env::get().use(cluster);
    const std::string lock_prefix = unique_prefix("fencing_lock");
    const std::string resource = unique_prefix("fencing_resource");
    const std::string status =
        Env::get().out_dir() + "/.distributed_fence_" + std::to_string(::getpid()) + ".status";
    std::remove(status.c_str());
    etcd::ChildProcess child =
        etcd::ChildProcess::spawn({self_exe(), "--child-role=fenced_holder", join_eps(c.endpoints),
                                   lock_prefix, resource, std::to_string(kChildTtlS), status},
                                  status + ".log");
    auto count_ok = [&] {
      int n = 0;
      for (const auto& l : read_lines(status)) n += l.rfind("ok ", 0) == 0;
      return n;
    };
    require(wait_for([&] { return count_ok() >= 3; }), "the child's first fenced writes");
    child.signal(SIGSTOP);
    const uint64_t t_stop = now_ns();
    // The parent contends: it gets the lock once the child's lease expires.
    Clients cl(c, 1);
    etcd::Mutex m(*cl.session[0], lock_prefix);
    etcd::FencedKey fk(*cl.client[0], resource);
    m.lock();
    const uint64_t t_acquired = now_ns();
    int valid_rejected = 0;
    for (int k = 0; k < 3; ++k) valid_rejected += fk.write("parent", m.fencing_token()) ? 0 : 1;
    const uint64_t t_cont = now_ns();
    child.signal(SIGCONT);
    // The resumed child keeps writing with its old token: count its verdicts
    // for writes it started after SIGCONT.
    auto post = [&](const char* verdict) {
      int n = 0;
      for (const auto& l : read_lines(status)) {
        std::istringstream in(l);
        std::string v;
        uint64_t started = 0;
        in >> v >> started;
        if (started > t_cont && v == verdict) ++n;
      }
      return n;
    };
    const bool seen = wait_for([&] { return post("ok") + post("rejected") >= 5; });
    child.kill();
    const int stale_rejected = post("rejected"), stale_accepted = post("ok");
    std::remove(status.c_str());
    std::remove((status + ".log").c_str());
    m.unlock();
    require(seen, "the resumed child's fenced writes");
    LogLinearHistogram h;
    h.record(t_acquired - t_stop);
    state.counters["takeover_ms"] = static_cast<double>(t_acquired - t_stop) / 1e6;
    state.counters["stale_rejected"] = stale_rejected;
    state.counters["stale_accepted"] = stale_accepted;
    state.counters["valid_rejected"] = valid_rejected;
    finish_case(state, name, h, static_cast<double>(t_acquired - t_stop) * 1e-9, c);
  });
}

// ---------------------------------------------------------------- child roles

int run_child_role(int argc, char** argv) {
  const std::string role = std::string(argv[1]).substr(std::string("--child-role=").size());
  std::vector<std::string> a(argv + 2, argv + argc);
  try {
    if (role == "candidate" && a.size() == 5) {
      // ENDPOINTS PREFIX VALUE TTL STATUS: campaign, report, then wait to be killed.
      etcd::Client c(etcd::parse_endpoints(a[0]));
      etcd::Session s(c, etcd::SessionOptions{std::stoll(a[3]), 0});
      etcd::Election e(s, a[1]);
      e.campaign(a[2]);
      FILE* f = std::fopen(a[4].c_str(), "a");
      if (!f) return 1;
      append_line(f, "leader");
      for (;;) ::pause();
    }
    if (role == "fenced_holder" && a.size() == 5) {
      // ENDPOINTS LOCK_PREFIX RESOURCE TTL STATUS: lock, then fenced writes
      // every 20 ms with this acquisition's token, each reported as
      // "ok|rejected <start ns>", until killed.
      etcd::Client c(etcd::parse_endpoints(a[0]));
      etcd::Session s(c, etcd::SessionOptions{std::stoll(a[3]), 0});
      etcd::Mutex m(s, a[1]);
      m.lock();
      etcd::FencedKey fk(c, a[2]);
      FILE* f = std::fopen(a[4].c_str(), "a");
      if (!f) return 1;
      for (;;) {
        const uint64_t t = now_ns();
        bool ok = false;
        try {
          ok = fk.write("child", m.fencing_token());
        } catch (const etcd::Error&) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          continue;  // unreachable for a moment: try again
        }
        append_line(f, std::string(ok ? "ok " : "rejected ") + std::to_string(t));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child role %s: %s\n", role.c_str(), e.what());
    return 1;
  }
  std::fprintf(stderr,
               "error: unknown child role '%s' or wrong arguments (valid: candidate, "
               "fenced_holder, each with 5 arguments)\n",
               role.c_str());
  return 2;
}

}  // namespace syncscope::suites::distributed
