// workloads.cc — the steady-state cases of the distributed suite: Mutex
// (syncscope and etcd's Lock RPC), RWMutex, Election campaigns (syncscope and
// etcd's Election RPC), Barrier, DoubleBarrier, Queue, PriorityQueue and the
// seed's STM account transfer. See workloads.h and README.md.
#include "workloads.h"

#include <algorithm>
#include <latch>
#include <random>

#include "rpc_peers.h"
#include "syncscope/etcd/barrier.h"
#include "syncscope/etcd/election.h"
#include "syncscope/etcd/mutex.h"
#include "syncscope/etcd/queue.h"
#include "syncscope/etcd/rwmutex.h"
#include "workload_util.h"

namespace syncscope::suites::distributed {
namespace {

double seconds_since(uint64_t t0) { return static_cast<double>(now_ns() - t0) * 1e-9; }

// A lock+unlock pair of one client, syncscope's Mutex or etcd's Lock RPC.
class LockClient {
 public:
  LockClient(const std::string& impl, etcd::Session& s, const std::string& endpoint,
             const std::string& prefix)
      : session_(s), prefix_(prefix) {
    if (impl == "syncscope") {
      mutex_ = std::make_unique<etcd::Mutex>(s, prefix);
    } else {
      rpc_ = std::make_unique<LockRpc>(endpoint);
    }
  }
  void lock() {
    if (mutex_) {
      mutex_->lock();
    } else {
      key_ = rpc_->lock(prefix_, session_.lease());
    }
  }
  void unlock() {
    if (mutex_) {
      mutex_->unlock();
    } else {
      rpc_->unlock(key_);
    }
  }

 private:
  etcd::Session& session_;
  std::string prefix_;
  std::string key_;
  std::unique_ptr<etcd::Mutex> mutex_;
  std::unique_ptr<LockRpc> rpc_;
};

void fail_if(const std::string& err) {
  if (!err.empty()) throw std::runtime_error(err);
}

}  // namespace

void bm_mutex_uncontended(benchmark::State& state, const std::string& name,
                          const std::string& cluster, const std::string& impl) {
  one_run(state, [&] {
    Cluster& c = Env::get().use(cluster);
    Clients cl(c, 1);
    LockClient lk(impl, *cl.session[0], c.endpoints_for(0)[0], unique_prefix("mutex"));
    for (int i = 0; i < 5; ++i) {  // warm-up: connection, leader lookup
      lk.lock();
      lk.unlock();
    }
    const int rounds = quick() ? 40 : 400;
    LogLinearHistogram h;
    const uint64_t t0 = now_ns();
    for (int i = 0; i < rounds; ++i) {
      const uint64_t a = now_ns();
      lk.lock();
      lk.unlock();
      h.record(now_ns() - a);
    }
    const double secs = seconds_since(t0);
    set_latency(state, h);
    state.counters["ops_per_s"] = rounds / secs;
    finish_case(state, name, h, secs, c);
  });
}

void bm_mutex_contended(benchmark::State& state, const std::string& name,
                        const std::string& cluster, const std::string& impl, int cs_us,
                        int clients) {
  one_run(state, [&] {
    Cluster& c = Env::get().use(cluster);
    Clients cl(c, clients);
    const std::string prefix = unique_prefix("mutex");
    std::vector<std::unique_ptr<LockClient>> lk;
    for (int i = 0; i < clients; ++i)
      lk.push_back(std::make_unique<LockClient>(impl, *cl.session[static_cast<size_t>(i)],
                                                c.endpoints_for(i)[0], prefix));
    // A shared budget of acquisitions: who gets how many is the lock's
    // fairness (Jain's index), not the workload's.
    const int total = std::max(16, (quick() ? 8 : 50) * clients);
    std::atomic<int> budget{total};
    std::atomic<uint64_t> last_unlock{0};  // ns of the latest unlock() call
    std::vector<LogLinearHistogram> wait(static_cast<size_t>(clients));
    std::vector<LogLinearHistogram> handoff(static_cast<size_t>(clients));
    std::vector<uint64_t> count(static_cast<size_t>(clients), 0);
    const uint64_t t0 = now_ns();
    fail_if(run_clients(clients, [&](int i) {
      const auto u = static_cast<size_t>(i);
      while (budget.fetch_sub(1) > 0) {
        const uint64_t a = now_ns();
        lk[u]->lock();
        const uint64_t b = now_ns();
        wait[u].record(b - a);
        // A hand-off: the previous holder released while this client waited.
        const uint64_t rel = last_unlock.load(std::memory_order_acquire);
        if (rel > a) handoff[u].record(b - rel);
        ++count[u];
        if (cs_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(cs_us));
        last_unlock.store(now_ns(), std::memory_order_release);
        lk[u]->unlock();
      }
    }));
    const double secs = seconds_since(t0);
    LogLinearHistogram w, hand;
    for (int i = 0; i < clients; ++i) {
      w.merge(wait[static_cast<size_t>(i)]);
      hand.merge(handoff[static_cast<size_t>(i)]);
    }
    set_latency(state, w);
    if (hand.count() > 0) set_latency(state, hand, "handoff_", false);
    state.counters["ops_per_s"] = total / secs;
    state.counters["jain"] = count_fairness(count).jain_index;
    finish_case(state, name, w, secs, c);
  });
}

void bm_rwmutex(benchmark::State& state, const std::string& name, const std::string& cluster,
                int readers_pct, int clients) {
  one_run(state, [&] {
    Cluster& c = Env::get().use(cluster);
    Clients cl(c, clients);
    const std::string prefix = unique_prefix("rwmutex");
    const int total = std::max(16, (quick() ? 8 : 50) * clients);
    std::atomic<int> budget{total};
    std::vector<LogLinearHistogram> rd(static_cast<size_t>(clients)), wr(rd.size());
    const uint64_t t0 = now_ns();
    fail_if(run_clients(clients, [&](int i) {
      const auto u = static_cast<size_t>(i);
      etcd::RWMutex rw(*cl.session[u], prefix);
      std::mt19937 rng(static_cast<unsigned>(1000 + i));
      while (budget.fetch_sub(1) > 0) {
        const bool read = static_cast<int>(rng() % 100) < readers_pct;
        const uint64_t a = now_ns();
        if (read) {
          rw.lock_shared();
          rd[u].record(now_ns() - a);
          rw.unlock_shared();
        } else {
          rw.lock();
          wr[u].record(now_ns() - a);
          rw.unlock();
        }
      }
    }));
    const double secs = seconds_since(t0);
    LogLinearHistogram r, w, all;
    for (size_t u = 0; u < rd.size(); ++u) {
      r.merge(rd[u]);
      w.merge(wr[u]);
    }
    all.merge(r);
    all.merge(w);
    set_latency(state, all);
    if (r.count() > 0) set_latency(state, r, "read_", false);
    if (w.count() > 0) set_latency(state, w, "write_", false);
    state.counters["ops_per_s"] = total / secs;
    finish_case(state, name, all, secs, c);
  });
}

void bm_election_campaign(benchmark::State& state, const std::string& name,
                          const std::string& cluster, const std::string& impl, int clients) {
  one_run(state, [&] {
    Cluster& c = Env::get().use(cluster);
    Clients cl(c, clients);
    const std::string prefix = unique_prefix("election");
    const int total = std::max(8, (quick() ? 6 : 40) * clients);
    std::atomic<int> budget{total};
    std::vector<LogLinearHistogram> lat(static_cast<size_t>(clients));
    const uint64_t t0 = now_ns();
    fail_if(run_clients(clients, [&](int i) {
      const auto u = static_cast<size_t>(i);
      const std::string value = "candidate-" + std::to_string(i);
      if (impl == "syncscope") {
        etcd::Election e(*cl.session[u], prefix);
        while (budget.fetch_sub(1) > 0) {
          const uint64_t a = now_ns();
          e.campaign(value);
          lat[u].record(now_ns() - a);
          e.resign();
        }
      } else {
        ElectionRpc rpc(c.endpoints_for(i)[0]);
        while (budget.fetch_sub(1) > 0) {
          const uint64_t a = now_ns();
          const LeaderKeyRef k = rpc.campaign(prefix, cl.session[u]->lease(), value);
          lat[u].record(now_ns() - a);
          rpc.resign(k);
        }
      }
    }));
    const double secs = seconds_since(t0);
    LogLinearHistogram all;
    for (auto& h : lat) all.merge(h);
    set_latency(state, all);
    state.counters["ops_per_s"] = total / secs;
    finish_case(state, name, all, secs, c);
  });
}

void bm_barrier(benchmark::State& state, const std::string& name, const std::string& cluster,
                int clients) {
  one_run(state, [&] {
    Cluster& c = Env::get().use(cluster);
    Clients cl(c, clients + 1);  // client 0 holds and releases; 1..n wait
    const int rounds = quick() ? 4 : 20;
    LogLinearHistogram h;
    double secs = 0;
    for (int r = 0; r < rounds; ++r) {
      const std::string key = unique_prefix("barrier");
      etcd::Barrier holder(*cl.client[0], key);
      holder.hold();
      std::latch ready(clients);
      std::vector<uint64_t> ret(static_cast<size_t>(clients), 0);
      std::string err;
      std::thread waiters([&] {
        err = run_clients(clients, [&](int i) {
          etcd::Barrier b(*cl.client[static_cast<size_t>(i) + 1], key);
          ready.count_down();
          b.wait();
          ret[static_cast<size_t>(i)] = now_ns();
        });
      });
      ready.wait();
      // The waiters have called wait(); give their watches time to open so
      // that the latency is release -> wake-up, not a late first read.
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      const uint64_t t = now_ns();
      holder.release();
      waiters.join();
      fail_if(err);
      uint64_t last = t;
      for (uint64_t x : ret) {
        h.record(x > t ? x - t : 0);
        last = std::max(last, x);
      }
      secs += static_cast<double>(last - t) * 1e-9;
    }
    set_latency(state, h);
    state.counters["ops_per_s"] = rounds / secs;  // releases per second of release time
    finish_case(state, name, h, secs, c);
  });
}

void bm_double_barrier(benchmark::State& state, const std::string& name, const std::string& cluster,
                       int clients) {
  one_run(state, [&] {
    Cluster& c = Env::get().use(cluster);
    Clients cl(c, clients);
    const int rounds = quick() ? 4 : 20;
    LogLinearHistogram h;
    double secs = 0;
    for (int r = 0; r < rounds; ++r) {
      const std::string key = unique_prefix("double_barrier");
      std::vector<uint64_t> call(static_cast<size_t>(clients)), ret(call.size());
      fail_if(run_clients(clients, [&](int i) {
        const auto u = static_cast<size_t>(i);
        etcd::DoubleBarrier db(*cl.session[u], key, clients);
        call[u] = now_ns();
        db.enter();
        ret[u] = now_ns();
        db.leave();
      }));
      // Release latency: the last participant's enter() call -> each return.
      const uint64_t last_call = *std::max_element(call.begin(), call.end());
      uint64_t last_ret = last_call;
      for (uint64_t x : ret) {
        h.record(x > last_call ? x - last_call : 0);
        last_ret = std::max(last_ret, x);
      }
      secs += static_cast<double>(last_ret - last_call) * 1e-9;
    }
    set_latency(state, h);
    state.counters["ops_per_s"] = rounds / secs;
    finish_case(state, name, h, secs, c);
  });
}

void bm_queue(benchmark::State& state, const std::string& name, const std::string& cluster,
              bool priority, int clients) {
  one_run(state, [&] {
    Cluster& c = Env::get().use(cluster);
    Clients cl(c, 2 * clients);  // producers 0..n-1, consumers n..2n-1
    const std::string prefix = unique_prefix(priority ? "priority_queue" : "queue");
    const int per_producer = quick() ? 8 : 50;
    const int total = per_producer * clients;
    std::atomic<int> to_take{total};
    std::vector<LogLinearHistogram> lat(static_cast<size_t>(clients));
    const uint64_t t0 = now_ns();
    fail_if(run_clients(2 * clients, [&](int i) {
      etcd::Client& client = *cl.client[static_cast<size_t>(i)];
      if (i < clients) {
        etcd::Queue q(client, prefix);
        etcd::PriorityQueue pq(client, prefix);
        for (int k = 0; k < per_producer; ++k) {
          const std::string v = std::to_string(now_ns());
          if (priority) {
            pq.enqueue(v, static_cast<uint16_t>(k % 4));
          } else {
            q.enqueue(v);
          }
        }
        return;
      }
      auto& h = lat[static_cast<size_t>(i - clients)];
      etcd::Queue q(client, prefix);
      etcd::PriorityQueue pq(client, prefix);
      // Claim an item before dequeueing: every claimed dequeue has an item.
      while (to_take.fetch_sub(1) > 0) {
        const std::string v = priority ? pq.dequeue() : q.dequeue();
        const uint64_t sent = std::stoull(v);
        const uint64_t now = now_ns();
        h.record(now > sent ? now - sent : 0);
      }
    }));
    const double secs = seconds_since(t0);
    LogLinearHistogram all;
    for (auto& h : lat) all.merge(h);
    set_latency(state, all);
    state.counters["ops_per_s"] = total / secs;
    finish_case(state, name, all, secs, c);
  });
}

void bm_stm_transfer(benchmark::State& state, const std::string& name, const std::string& cluster,
                     int accounts, etcd::Isolation iso, int clients) {
  one_run(state, [&] {
    Cluster& c = Env::get().use(cluster);
    Clients cl(c, clients);
    const std::string prefix = unique_prefix("stm") + "/";
    constexpr int kInitial = 100;
    auto account = [&](int k) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%05d", k);
      return prefix + buf;
    };
    // The accounts, in transactions of at most 100 puts (etcd's limit is 128).
    for (int k = 0; k < accounts; k += 100) {
      std::vector<etcd::Op> ops;
      for (int j = k; j < std::min(accounts, k + 100); ++j)
        ops.push_back(etcd::Op::put(account(j), std::to_string(kInitial)));
      cl.client[0]->txn({}, ops);
    }
    // STM reads are serializable (the member's local state, as Go's STM):
    // a linearizable read through each client's own member first makes that
    // member apply the accounts, so no transfer reads an account as absent.
    for (int i = 0; i < clients; ++i) {
      etcd::GetOptions g;
      g.prefix = true;
      g.count_only = true;
      const int64_t n = cl.client[static_cast<size_t>(i)]->get(prefix, g).count;
      if (n != accounts)
        throw std::runtime_error("client " + std::to_string(i) + " sees " + std::to_string(n) +
                                 " of " + std::to_string(accounts) + " accounts");
    }
    const int total = std::max(16, (quick() ? 8 : 50) * clients);
    std::atomic<int> budget{total};
    std::atomic<long> retries{0};
    std::vector<LogLinearHistogram> lat(static_cast<size_t>(clients));
    const uint64_t t0 = now_ns();
    fail_if(run_clients(clients, [&](int i) {
      const auto u = static_cast<size_t>(i);
      std::mt19937 rng(static_cast<unsigned>(77 + i));
      etcd::StmOptions o;
      o.isolation = iso;
      while (budget.fetch_sub(1) > 0) {
        // The seed's transfer: move a random amount between two accounts.
        const int from = static_cast<int>(rng() % static_cast<unsigned>(accounts));
        int to = static_cast<int>(rng() % static_cast<unsigned>(accounts - 1));
        if (to >= from) ++to;
        const int want = 1 + static_cast<int>(rng() % 10);
        const uint64_t a = now_ns();
        const etcd::StmResult r = etcd::run_stm(
            *cl.client[u],
            [&](etcd::Stm& s) {
              const long fb = std::stol(s.get(account(from)));
              const long tb = std::stol(s.get(account(to)));
              const long amt = std::min<long>(fb, want);
              s.put(account(from), std::to_string(fb - amt));
              s.put(account(to), std::to_string(tb + amt));
            },
            o);
        lat[u].record(now_ns() - a);
        retries.fetch_add(r.retries);
      }
    }));
    const double secs = seconds_since(t0);
    etcd::GetOptions g;
    g.prefix = true;
    long sum = 0;
    for (const auto& kv : cl.client[0]->get(prefix, g).kvs) sum += std::stol(kv.value);
    LogLinearHistogram all;
    for (auto& h : lat) all.merge(h);
    set_latency(state, all);
    state.counters["ops_per_s"] = total / secs;
    state.counters["commits_per_s"] = total / secs;
    state.counters["retries_per_commit"] = static_cast<double>(retries.load()) / total;
    // Read-committed does not validate its reads: it may lose an update (the
    // sum changes). The serializable levels and repeatable-reads must not.
    state.counters["balance_ok"] = sum == static_cast<long>(kInitial) * accounts ? 1 : 0;
    cl.client[0]->del(prefix, true);
    finish_case(state, name, all, secs, c);
  });
}

}  // namespace syncscope::suites::distributed
