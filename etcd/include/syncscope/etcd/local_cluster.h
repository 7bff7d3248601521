// syncscope/etcd/local_cluster.h — LocalCluster: etcd nodes this process
// starts on 127.0.0.1 and owns (tests, the distributed suite).
//
// This file offers:
//   LocalClusterOptions{members, dir, heartbeat_ms, election_ms, startup_timeout,
//                       extra_args}
//   LocalCluster(options)     starts `members` etcd 3.4 processes (1 or 3, any
//                             n >= 1) on free ports (never 2379/2380), one data
//                             directory and one zap log (--logger zap
//                             --log-outputs dir/nK.log) per member under `dir`,
//                             and waits until every member answers Status and
//                             agrees on a leader.
//   endpoints()               client endpoints "127.0.0.1:port", member order
//   leader_index()            index of the current raft leader (asks the members)
//   kill(i, sig)              send sig (SIGKILL, SIGSTOP, SIGCONT, SIGTERM); for
//                             SIGKILL/SIGTERM also waits for the PID to exit
//   restart(i)                start a killed member again (same ports, same data)
//   running(i)
//   ~LocalCluster             stops every member (SIGTERM, then SIGKILL) and waits
// Every process goes through ChildProcess (child_process.h), so nothing
// survives this process: not a failing test, not Ctrl-C.
//
// Startup failure (etcd missing, a port taken by a racing process, no leader
// within startup_timeout) is retried on fresh ports up to 3 times, then throws
// Error(kUnavailable) naming the log to read.
#ifndef SYNCSCOPE_ETCD_LOCAL_CLUSTER_H_
#define SYNCSCOPE_ETCD_LOCAL_CLUSTER_H_

#include <string>
#include <vector>

#include "syncscope/etcd/child_process.h"
#include "syncscope/etcd/client.h"

namespace syncscope::etcd {

struct LocalClusterOptions {
  int members = 1;
  std::string dir;            // data dirs and logs go here (created; emptied first)
  int heartbeat_ms = 100;     // etcd --heartbeat-interval
  int election_ms = 1000;     // etcd --election-timeout
  Millis startup_timeout{30000};
  // More etcd flags for every member, e.g.
  // "--experimental-watch-progress-notify-interval=200ms".
  std::vector<std::string> extra_args{};
};

class LocalCluster {
 public:
  explicit LocalCluster(LocalClusterOptions o);
  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  const std::vector<std::string>& endpoints() const noexcept { return client_eps_; }
  int size() const noexcept { return static_cast<int>(client_eps_.size()); }
  // Index of the member the live members report as leader; -1 if none within
  // the timeout.
  int leader_index(Millis timeout = Millis(20000));
  void kill(int i, int sig);
  void restart(int i);
  bool running(int i);
  std::string log_path(int i) const;
  const std::string& dir() const noexcept { return opt_.dir; }

 private:
  void start_all();
  void start_member(int i, bool fresh);
  void wait_healthy();
  void stop_all();

  LocalClusterOptions opt_;
  std::vector<std::string> client_eps_;
  std::vector<int> peer_ports_;
  std::vector<std::string> names_;
  std::vector<ChildProcess> procs_;
};

// A free TCP port on 127.0.0.1 (bind to port 0, read it back, close).
int pick_free_port();

}  // namespace syncscope::etcd

#endif  // SYNCSCOPE_ETCD_LOCAL_CLUSTER_H_
