// Suite `distributed` (issue 10): latency, fairness, contention and
// fail-over of the etcd primitives (syncscope_etcd), beside etcd's own Lock
// and Election RPCs and (through the peer hook) Go's clientv3/concurrency,
// on a 1-node and a 3-node etcd this suite starts on 127.0.0.1, or on a
// user's cluster (--etcd-endpoints / SYNCSCOPE_ETCD_ENDPOINTS).
//
// README.md (this folder) is the manual: the case names, the counters, the
// context keys and the Go peer hook. Cases run grouped by cluster (Google
// Benchmark's random interleaving is off here) because a cluster is started
// when its first case runs and stopped (after the peer ran on it) when the
// next cluster's first case runs: one cluster is up at a time.
//
// Flags besides the harness's (--profile, --threads = client counts,
// --benchmark_*): --etcd-endpoints=h:p,... (or two arguments),
// --clusters=1,3 (local cluster sizes), --etcd-dir=DIR (where local clusters
// keep data and logs; default a fresh temporary directory, removed at the
// end). Bad values: one line naming the value and the valid ones, exit 2.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cluster_env.h"
#include "common/harness.h"
#include "syncscope/etcd/client.h"
#include "workloads.h"

namespace syncscope::suites::distributed {
namespace {

bool starts_with(const char* s, const char* p) { return std::strncmp(s, p, std::strlen(p)) == 0; }

// Client counts of a workload: --threads when given, else the profile's.
std::vector<int> clients_for(const std::string& workload) {
  if (!options().threads.empty()) return options().threads;
  const bool q = options().profile == Profile::kQuick;
  if (workload == "mutex_contended") return {1, 2, 4, 8};
  if (workload == "barrier" || workload == "double_barrier")
    return q ? std::vector<int>{2, 8} : std::vector<int>{2, 4, 8};
  if (workload == "election_failover") return q ? std::vector<int>{2} : std::vector<int>{2, 8};
  if (workload == "fault_leader_kill") return q ? std::vector<int>{4} : std::vector<int>{2, 4, 8};
  if (workload == "rwmutex") return q ? std::vector<int>{4} : std::vector<int>{1, 2, 4, 8};
  if (workload == "stm_transfer") return q ? std::vector<int>{2, 8} : std::vector<int>{1, 2, 4, 8};
  return q ? std::vector<int>{1, 4} : std::vector<int>{1, 2, 4, 8};
}

const char* isolation_name(etcd::Isolation i) {
  switch (i) {
    case etcd::Isolation::kSerializableSnapshot:
      return "serializable_snapshot";
    case etcd::Isolation::kSerializable:
      return "serializable";
    case etcd::Isolation::kRepeatableReads:
      return "repeatable_reads";
    case etcd::Isolation::kReadCommitted:
      return "read_committed";
  }
  return "?";
}

using KV = std::vector<std::pair<std::string, std::string>>;

std::string case_name(const std::string& workload, const std::string& impl,
                      const std::string& cluster, const KV& params, int clients) {
  KV kv{{"impl", impl}, {"cluster", cluster}};
  kv.insert(kv.end(), params.begin(), params.end());
  kv.emplace_back("clients", std::to_string(clients));
  return bench_name("distributed/" + workload, kv);
}

template <class F>
void reg(const std::string& name, F f) {
  benchmark::RegisterBenchmark(name.c_str(), [name, f](benchmark::State& s) { f(s, name); })
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
}

void register_all() {
  Env& env = Env::get();
  for (const std::string& L : env.labels()) {
    const bool local = !env.given();
    const int members = local ? std::stoi(L) : static_cast<int>(env.config().given.size());
    for (const char* impl : {"syncscope", "etcd_lock_rpc"}) {
      const std::string i = impl;
      reg(case_name("mutex_uncontended", i, L, {}, 1),
          [=](benchmark::State& s, const std::string& n) { bm_mutex_uncontended(s, n, L, i); });
    }
    for (int cs : {0, 1000})
      for (int n : clients_for("mutex_contended"))
        for (const char* impl : {"syncscope", "etcd_lock_rpc"}) {
          const std::string i = impl;
          reg(case_name("mutex_contended", i, L, {{"cs_us", std::to_string(cs)}}, n),
              [=](benchmark::State& s, const std::string& nm) {
                bm_mutex_contended(s, nm, L, i, cs, n);
              });
        }
    for (int pct : {0, 50, 90, 99})
      for (int n : clients_for("rwmutex"))
        reg(case_name("rwmutex", "syncscope", L, {{"readers_pct", std::to_string(pct)}}, n),
            [=](benchmark::State& s, const std::string& nm) { bm_rwmutex(s, nm, L, pct, n); });
    for (int n : clients_for("election_campaign"))
      for (const char* impl : {"syncscope", "etcd_election_rpc"}) {
        const std::string i = impl;
        reg(case_name("election_campaign", i, L, {}, n),
            [=](benchmark::State& s, const std::string& nm) {
              bm_election_campaign(s, nm, L, i, n);
            });
      }
    for (int n : clients_for("barrier")) {
      reg(case_name("barrier", "syncscope", L, {}, n),
          [=](benchmark::State& s, const std::string& nm) { bm_barrier(s, nm, L, n); });
      reg(case_name("double_barrier", "syncscope", L, {}, n),
          [=](benchmark::State& s, const std::string& nm) { bm_double_barrier(s, nm, L, n); });
    }
    for (int n : clients_for("queue")) {
      reg(case_name("queue", "syncscope", L, {}, n),
          [=](benchmark::State& s, const std::string& nm) { bm_queue(s, nm, L, false, n); });
      reg(case_name("priority_queue", "syncscope", L, {}, n),
          [=](benchmark::State& s, const std::string& nm) { bm_queue(s, nm, L, true, n); });
    }
    for (int accounts : {10, 1000})
      for (etcd::Isolation iso :
           {etcd::Isolation::kSerializableSnapshot, etcd::Isolation::kSerializable,
            etcd::Isolation::kRepeatableReads, etcd::Isolation::kReadCommitted})
        for (int n : clients_for("stm_transfer"))
          reg(case_name(
                  "stm_transfer", "syncscope", L,
                  {{"accounts", std::to_string(accounts)}, {"isolation", isolation_name(iso)}}, n),
              [=](benchmark::State& s, const std::string& nm) {
                bm_stm_transfer(s, nm, L, accounts, iso, n);
              });
    // Faults. A given cluster's nodes are not ours to kill; its clients are.
    std::vector<std::string> faults = {"client_kill", "client_stop"};
    if (local && members >= 3) faults.insert(faults.begin(), "leader_node_kill");
    for (const std::string& f : faults)
      for (int n : clients_for("election_failover"))
        reg(case_name("election_failover", "syncscope", L, {{"fault", f}}, n),
            [=](benchmark::State& s, const std::string& nm) {
              bm_election_failover(s, nm, L, f, n);
            });
    if (local && members >= 3)
      for (int n : clients_for("fault_leader_kill"))
        reg(case_name("fault_leader_kill", "syncscope", L, {}, n),
            [=](benchmark::State& s, const std::string& nm) { bm_fault_leader_kill(s, nm, L, n); });
    reg(case_name("fault_fencing", "syncscope", L, {}, 2),
        [=](benchmark::State& s, const std::string& nm) { bm_fault_fencing(s, nm, L); });
  }
}

[[noreturn]] void usage(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
  std::exit(2);
}

}  // namespace
}  // namespace syncscope::suites::distributed

int main(int argc, char** argv) {
  using namespace syncscope::suites::distributed;
  namespace etcd = syncscope::etcd;
  if (argc >= 2 && starts_with(argv[1], "--child-role=")) return run_child_role(argc, argv);

  EnvConfig cfg;
  std::string eps_csv;
  bool have_eps = false, have_reps = false, have_interleave = false;
  std::string benchmark_out;
  std::vector<char*> args{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (std::strcmp(a, "--etcd-endpoints") == 0) {
      if (i + 1 >= argc) usage("error: --etcd-endpoints needs a value (valid: host:port,...)");
      eps_csv = argv[++i];
      have_eps = true;
    } else if (starts_with(a, "--etcd-endpoints=")) {
      eps_csv = a + std::strlen("--etcd-endpoints=");
      have_eps = true;
    } else if (starts_with(a, "--clusters=")) {
      cfg.clusters.clear();
      std::string v = a + std::strlen("--clusters="), item;
      v += ",";
      for (char ch : v) {
        if (ch != ',') {
          item += ch;
          continue;
        }
        char* end = nullptr;
        const long n = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || n < 1 || n > 7)
          usage("error: bad cluster size '" + item +
                "' in --clusters (valid: comma-separated member counts 1..7, e.g. 1,3)");
        cfg.clusters.push_back(static_cast<int>(n));
        item.clear();
      }
    } else if (starts_with(a, "--etcd-dir=")) {
      cfg.etcd_dir = a + std::strlen("--etcd-dir=");
      if (cfg.etcd_dir.empty()) usage("error: empty --etcd-dir (valid: a directory path)");
    } else {
      if (starts_with(a, "--benchmark_repetitions=")) have_reps = true;
      if (starts_with(a, "--benchmark_enable_random_interleaving=")) have_interleave = true;
      if (starts_with(a, "--benchmark_out=")) benchmark_out = a + std::strlen("--benchmark_out=");
      if (std::strcmp(a, "--profile=full") == 0) cfg.profile = "full";
      if (std::strcmp(a, "--profile=quick") == 0) cfg.profile = "quick";
      args.push_back(argv[i]);
    }
  }
  const char* source = "--etcd-endpoints";
  if (!have_eps) {
    const char* env = std::getenv("SYNCSCOPE_ETCD_ENDPOINTS");
    if (env != nullptr && *env != '\0') {
      eps_csv = env;
      have_eps = true;
      source = "SYNCSCOPE_ETCD_ENDPOINTS";
    }
  }
  if (have_eps) {
    try {
      cfg.given = etcd::parse_endpoints(eps_csv);
    } catch (const etcd::Error& e) {
      usage(std::string("error: ") + source + " '" + eps_csv + "': " + e.what());
    }
    if (cfg.given.empty())
      usage(std::string("error: ") + source + " is empty (valid: host:port[,host:port...])");
    // Reachability, before anything is measured: one line, exit 2.
    try {
      etcd::ClientOptions o;
      o.endpoints = cfg.given;
      o.call_timeout = std::chrono::milliseconds(5000);
      o.attempt_timeout = std::chrono::milliseconds(2000);
      etcd::Client c(o);
      c.get("/syncscope-distributed/ping");
    } catch (const std::exception& e) {
      usage(std::string("error: ") + source + " '" + eps_csv + "': no etcd answers (" + e.what() +
            ") (valid: reachable etcd v3 client endpoints host:port[,host:port...])");
    }
  } else if (cfg.etcd_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/syncscope-distributed-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      std::perror("error: mkdtemp for the etcd data");
      return 1;
    }
    cfg.etcd_dir = templ;
    cfg.remove_etcd_dir = true;
  }
  if (const char* p = std::getenv("SYNCSCOPE_DISTRIBUTED_PEER")) cfg.peer_cmd = p;

  // One timed run per case by default (etcd operations take milliseconds:
  // three repetitions of everything would not fit the quick budget);
  // --benchmark_repetitions (run.sh --repetitions) still wins.
  std::string reps = "--benchmark_repetitions=" + std::string(cfg.profile == "full" ? "3" : "1");
  std::string no_interleave = "--benchmark_enable_random_interleaving=false";
  if (!have_reps) args.push_back(reps.data());
  if (!have_interleave) args.push_back(no_interleave.data());
  args.push_back(nullptr);

  Env& env = Env::get();
  const bool given = !cfg.given.empty();
  env.configure(cfg);
  if (!benchmark_out.empty()) {
    const size_t slash = benchmark_out.rfind('/');
    env.set_out_dir(slash == std::string::npos ? "." : benchmark_out.substr(0, slash));
  }
  env.add_context("distributed_faults",
                  given ? "node kills not run: the cluster was given (--etcd-endpoints), its "
                          "nodes are not ours to kill; client faults run"
                        : "run: kill -9 of the raft leader on the 3-node cluster, kill -9 / "
                          "SIGSTOP of child-process clients on every cluster");
  env.add_context("distributed_peer_go",
                  cfg.peer_cmd.empty()
                      ? "absent: SYNCSCOPE_DISTRIBUTED_PEER not set (run.sh sets it when go is "
                        "installed and suites/distributed/go/build.sh exists)"
                      : "ran: " + cfg.peer_cmd);
  env.add_context("distributed_clients",
                  "each client has its own gRPC channel (Client) and Session (lease); client i "
                  "talks first to member i % members");
  int n = static_cast<int>(args.size()) - 1;
  const int rc = syncscope::suites::suite_main(n, args.data(), "distributed", register_all);
  int frc = 0;
  try {
    frc = env.finish(benchmark_out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: stopping the etcd clusters: %s\n", e.what());
    frc = 1;
  }
  return rc != 0 ? rc : frc;
}
