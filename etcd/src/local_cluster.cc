// LocalCluster: owned etcd members on loopback (see local_cluster.h).
#include "syncscope/etcd/local_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <thread>

namespace syncscope::etcd {

int pick_free_port() {
  for (;;) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw Error(Errc::kInternal, "pick_free_port: socket() failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    ::close(fd);
    if (!ok) throw Error(Errc::kInternal, "pick_free_port: bind(127.0.0.1:0) failed");
    const int port = ntohs(a.sin_port);
    if (port != 2379 && port != 2380) return port;
  }
}

LocalCluster::LocalCluster(LocalClusterOptions o) : opt_(std::move(o)) {
  if (opt_.members < 1) {
    throw Error(Errc::kInvalidArgument,
                "LocalCluster: members " + std::to_string(opt_.members) + " (valid: >= 1)");
  }
  if (opt_.dir.empty()) throw Error(Errc::kInvalidArgument, "LocalCluster: empty dir");
  std::string last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    try {
      start_all();
      wait_healthy();
      return;
    } catch (const Error& e) {
      last_error = e.what();
      stop_all();
    }
  }
  throw Error(Errc::kUnavailable, "LocalCluster: could not start " +
                                      std::to_string(opt_.members) + " etcd member(s): " +
                                      last_error);
}

LocalCluster::~LocalCluster() { stop_all(); }

std::string LocalCluster::log_path(int i) const { return opt_.dir + "/" + names_[i] + ".log"; }

void LocalCluster::start_all() {
  std::filesystem::remove_all(opt_.dir);
  std::filesystem::create_directories(opt_.dir);
  client_eps_.clear();
  peer_ports_.clear();
  names_.clear();
  procs_.clear();
  for (int i = 0; i < opt_.members; ++i) {
    client_eps_.push_back("127.0.0.1:" + std::to_string(pick_free_port()));
    peer_ports_.push_back(pick_free_port());
    names_.push_back("n" + std::to_string(i + 1));
  }
  procs_.resize(opt_.members);
  for (int i = 0; i < opt_.members; ++i) start_member(i, true);
}

void LocalCluster::start_member(int i, bool fresh) {
  std::string initial;
  for (int j = 0; j < opt_.members; ++j) {
    if (j) initial += ",";
    initial += names_[j] + "=http://127.0.0.1:" + std::to_string(peer_ports_[j]);
  }
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_ports_[i]);
  const std::string client = "http://" + client_eps_[i];
  std::vector<std::string> argv = {
      "etcd",
      "--name", names_[i],
      "--data-dir", opt_.dir + "/" + names_[i] + ".etcd",
      "--listen-client-urls", client,
      "--advertise-client-urls", client,
      "--listen-peer-urls", peer,
      "--initial-advertise-peer-urls", peer,
      "--initial-cluster", initial,
      "--initial-cluster-token", "syncscope-" + std::to_string(::getpid()),
      "--initial-cluster-state", fresh ? "new" : "existing",
      "--heartbeat-interval", std::to_string(opt_.heartbeat_ms),
      "--election-timeout", std::to_string(opt_.election_ms),
      "--logger", "zap",
      "--log-outputs", log_path(i),
  };
  argv.insert(argv.end(), opt_.extra_args.begin(), opt_.extra_args.end());
  // etcd's own stdout/stderr (before zap starts) go to the same directory.
  procs_[i] = ChildProcess::spawn(argv, opt_.dir + "/" + names_[i] + ".out");
}

int LocalCluster::leader_index(Millis timeout) {
  Client c(ClientOptions{client_eps_, Millis(2000), Millis(1000)});
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    std::map<uint64_t, int> member_index;
    uint64_t leader = 0;
    for (int i = 0; i < size(); ++i) {
      if (!running(i)) continue;
      try {
        const auto s = c.status(client_eps_[i], std::chrono::steady_clock::now() + Millis(1000));
        member_index[s.header.member_id] = i;
        if (s.leader != 0) leader = s.leader;
      } catch (const Error&) {
      }
    }
    if (leader != 0 && member_index.count(leader)) return member_index[leader];
    std::this_thread::sleep_for(Millis(50));
  }
  return -1;
}

void LocalCluster::wait_healthy() {
  Client c(ClientOptions{client_eps_, Millis(2000), Millis(1000)});
  const auto until = std::chrono::steady_clock::now() + opt_.startup_timeout;
  for (;;) {
    for (int i = 0; i < size(); ++i) {
      if (!procs_[i].running()) {
        throw Error(Errc::kUnavailable, "etcd member " + names_[i] + " exited at start; see " +
                                            log_path(i));
      }
    }
    int healthy = 0;
    for (int i = 0; i < size(); ++i) {
      try {
        const auto s = c.status(client_eps_[i], std::chrono::steady_clock::now() + Millis(1000));
        healthy += s.leader != 0;
      } catch (const Error&) {
      }
    }
    if (healthy == size()) {
      // A linearizable read goes through raft: the cluster serves requests.
      try {
        c.get("syncscope/health", {}, std::chrono::steady_clock::now() + Millis(3000));
        return;
      } catch (const Error&) {
      }
    }
    if (std::chrono::steady_clock::now() >= until) {
      throw Error(Errc::kUnavailable, "etcd cluster not healthy within " +
                                          std::to_string(opt_.startup_timeout.count()) +
                                          " ms; see " + log_path(0));
    }
    std::this_thread::sleep_for(Millis(50));
  }
}

void LocalCluster::kill(int i, int sig) {
  procs_.at(i).signal(sig);
  if (sig == SIGKILL || sig == SIGTERM) procs_[i].wait();
}

void LocalCluster::restart(int i) {
  if (procs_.at(i).running()) procs_[i].kill();
  start_member(i, false);
}

bool LocalCluster::running(int i) { return procs_.at(i).running(); }

void LocalCluster::stop_all() {
  // SIGTERM to all first, then wait: the members shut down in parallel.
  for (auto& p : procs_) {
    p.signal(SIGCONT);
    p.signal(SIGTERM);
  }
  for (auto& p : procs_) p.stop(Millis(5000));
}

}  // namespace syncscope::etcd
