// cluster_env.h — the etcd clusters the distributed suite measures on, their
// context, and the hook that runs the Go peer against them.
//
//   Env::get()                  the one environment of the process
//   configure(EnvConfig)        before suite_main: given endpoints or the
//                               local cluster sizes, directories, peer command
//   labels()                    "1", "3" (local clusters) or "given"
//   use(label) -> Cluster&      the cluster a case runs on. Local clusters start
//                               lazily, one at a time: switching to another label
//                               first runs the peer on the current one, then stops
//                               it (every etcd by PID), then starts the next. Cases
//                               must therefore run grouped by cluster (main turns
//                               Google Benchmark's random interleaving off).
//   finish(benchmark_out)       after suite_main: peer + stop for the last cluster,
//                               and the context keys written into the suite JSON.
//                               Returns 0, or 1 when a peer failed.
//   kill_leader(c) / restart    fault injection on a local cluster (kill -9 of the
//                               raft leader, then the member restarted on its data)
//
// Clusters started here: LocalCluster (etcd/), members on 127.0.0.1 with free
// ports, data and logs under EnvConfig::etcd_dir/cluster<c> (removed after a
// clean stop). fsync is etcd's default (on): no --unsafe-no-fsync.
//
// Context keys (written into distributed.json's "context", because clusters
// start after Google Benchmark has printed its context): etcd_version_<c>,
// etcd_members_<c>, etcd_started_by_suite_<c>, etcd_endpoints_<c>,
// etcd_fsync_<c>, etcd_data_fs_<c>, etcd_put_rtt_us_<c>, etcd_get_rtt_us_<c>,
// distributed_faults, distributed_peer_go.
#ifndef SYNCSCOPE_SUITES_DISTRIBUTED_CLUSTER_ENV_H_
#define SYNCSCOPE_SUITES_DISTRIBUTED_CLUSTER_ENV_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "syncscope/etcd/local_cluster.h"

namespace syncscope::suites::distributed {

struct EnvConfig {
  std::vector<std::string> given;   // user endpoints; empty: start local clusters
  std::vector<int> clusters{1, 3};  // local cluster sizes, in run order
  std::string etcd_dir;             // parent of the local clusters' data
  bool remove_etcd_dir = false;     // finish() removes etcd_dir (the suite made it)
  std::string peer_cmd;             // SYNCSCOPE_DISTRIBUTED_PEER ("" = none)
  std::string profile = "quick";
};

struct Cluster {
  std::string label;  // "1", "3", "given"
  int members = 0;
  bool started_by_suite = false;
  std::vector<std::string> endpoints;
  std::string version;
  double put_rtt_us = 0, get_rtt_us = 0;
  std::unique_ptr<etcd::LocalCluster> local;  // null for a given cluster
  // The endpoint list rotated so that client i talks first to member i % n.
  std::vector<std::string> endpoints_for(int client) const;
  // One line of context for a case's label.
  std::string describe() const;
};

class Env {
 public:
  static Env& get();
  void configure(EnvConfig c);
  const EnvConfig& config() const noexcept { return cfg_; }
  bool given() const noexcept { return !cfg_.given.empty(); }
  std::vector<std::string> labels() const;
  Cluster& use(const std::string& label);
  int finish(const std::string& benchmark_out);
  // kill -9 of the raft leader of the current local cluster; returns its index.
  int kill_leader();
  void restart(int member);
  // A context key (written by finish).
  void add_context(const std::string& key, const std::string& value);
  // The directory the peer's files and the side files go to.
  std::string out_dir() const;
  void set_out_dir(std::string d) { out_dir_ = std::move(d); }

 private:
  void close_current();
  void measure_floor(Cluster& c);
  void run_peer(const Cluster& c);
  EnvConfig cfg_;
  std::unique_ptr<Cluster> current_;
  std::map<std::string, std::string> context_;
  std::string out_dir_ = ".";
  bool peer_failed_ = false;
};

}  // namespace syncscope::suites::distributed

#endif  // SYNCSCOPE_SUITES_DISTRIBUTED_CLUSTER_ENV_H_
