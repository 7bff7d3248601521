// workloads.h — the distributed suite's cases (suites/distributed/README.md
// names them and their counters). Each function is one Google Benchmark case
// body: one timed run (Iterations(1), manual time) of a fixed number of
// operations on the cluster `cluster` (Env::use), or a fault injected once.
// An etcd error ends the case with SkipWithError naming it.
#ifndef SYNCSCOPE_SUITES_DISTRIBUTED_WORKLOADS_H_
#define SYNCSCOPE_SUITES_DISTRIBUTED_WORKLOADS_H_

#include <benchmark/benchmark.h>

#include <string>

#include "syncscope/etcd/stm.h"

namespace syncscope::suites::distributed {

// impl: "syncscope" or "etcd_lock_rpc".
void bm_mutex_uncontended(benchmark::State& state, const std::string& name,
                          const std::string& cluster, const std::string& impl);
void bm_mutex_contended(benchmark::State& state, const std::string& name,
                        const std::string& cluster, const std::string& impl, int cs_us,
                        int clients);
void bm_rwmutex(benchmark::State& state, const std::string& name, const std::string& cluster,
                int readers_pct, int clients);
// impl: "syncscope" or "etcd_election_rpc".
void bm_election_campaign(benchmark::State& state, const std::string& name,
                          const std::string& cluster, const std::string& impl, int clients);
void bm_barrier(benchmark::State& state, const std::string& name, const std::string& cluster,
                int clients);
void bm_double_barrier(benchmark::State& state, const std::string& name, const std::string& cluster,
                       int clients);
void bm_queue(benchmark::State& state, const std::string& name, const std::string& cluster,
              bool priority, int clients);
void bm_stm_transfer(benchmark::State& state, const std::string& name, const std::string& cluster,
                     int accounts, etcd::Isolation iso, int clients);

// Faults (faults.cc). fault: "leader_node_kill", "client_kill", "client_stop".
void bm_election_failover(benchmark::State& state, const std::string& name,
                          const std::string& cluster, const std::string& fault, int observers);
void bm_fault_leader_kill(benchmark::State& state, const std::string& name,
                          const std::string& cluster, int clients);
void bm_fault_fencing(benchmark::State& state, const std::string& name, const std::string& cluster);

// The child processes of the fault cases: `syncscope_distributed
// --child-role=NAME ARGS...` (argv[1] is the role). Returns the exit code.
int run_child_role(int argc, char** argv);

}  // namespace syncscope::suites::distributed

#endif  // SYNCSCOPE_SUITES_DISTRIBUTED_WORKLOADS_H_
