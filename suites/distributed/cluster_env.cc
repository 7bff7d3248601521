// cluster_env.cc — see cluster_env.h.
#include "cluster_env.h"

#include <signal.h>
#include <sys/vfs.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/served_peer.h"
#include "syncscope/etcd/child_process.h"
#include "syncscope/etcd/client.h"

namespace syncscope::suites::distributed {
namespace {

using Clock = std::chrono::steady_clock;

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The file system type of a directory, as a name a reader knows (fsync on
// tmpfs costs nothing; on a disk it is the dominant cost of every write).
std::string fs_name(const std::string& dir) {
  struct statfs s {};
  if (statfs(dir.c_str(), &s) != 0) return "unknown";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0x01021994UL:
      return "tmpfs";
    case 0xEF53UL:
      return "ext4";
    case 0x58465342UL:
      return "xfs";
    case 0x9123683EUL:
      return "btrfs";
    case 0x794C7630UL:
      return "overlayfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(s.f_type));
      return buf;
    }
  }
}

}  // namespace

std::vector<std::string> Cluster::endpoints_for(int client) const {
  std::vector<std::string> eps = endpoints;
  if (!eps.empty()) std::rotate(eps.begin(), eps.begin() + (client % eps.size()), eps.end());
  return eps;
}

std::string Cluster::describe() const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "etcd %s, %d member(s), %s, put %.0f us, get %.0f us",
                version.c_str(), members, started_by_suite ? "started by suite" : "given",
                put_rtt_us, get_rtt_us);
  return buf;
}

Env& Env::get() {
  static Env env;
  return env;
}

void Env::configure(EnvConfig c) { cfg_ = std::move(c); }

std::vector<std::string> Env::labels() const {
  if (given()) return {"given"};
  std::vector<std::string> out;
  for (int n : cfg_.clusters) out.push_back(std::to_string(n));
  return out;
}

std::string Env::out_dir() const { return out_dir_; }

void Env::add_context(const std::string& key, const std::string& value) { context_[key] = value; }

void Env::measure_floor(Cluster& c) {
  etcd::Client client(c.endpoints);
  const std::string key = "/syncscope-distributed/rtt/" + std::to_string(::getpid());
  std::vector<double> put, get;
  for (int i = 0; i < 60; ++i) {
    const auto t0 = Clock::now();
    client.put(key, std::to_string(i));
    const auto t1 = Clock::now();
    client.get(key);
    const auto t2 = Clock::now();
    if (i < 10) continue;  // warm-up: connection, leader lookup
    put.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    get.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  client.del(key);
  c.put_rtt_us = median(put);
  c.get_rtt_us = median(get);
  c.version = client.status(c.endpoints[0]).version;
  const std::string& l = c.label;
  add_context("etcd_version_" + l, c.version);
  add_context("etcd_members_" + l, std::to_string(c.members));
  add_context("etcd_started_by_suite_" + l, c.started_by_suite ? "true" : "false");
  add_context("etcd_endpoints_" + l, join(c.endpoints, ","));
  add_context("etcd_put_rtt_us_" + l, std::to_string(c.put_rtt_us));
  add_context("etcd_get_rtt_us_" + l, std::to_string(c.get_rtt_us));
  add_context("etcd_rtt_method_" + l,
              "median of 50 sequential puts / linearizable gets of one key by one client "
              "(after 10 warm-up rounds)");
}

Cluster& Env::use(const std::string& label) {
  if (current_ && current_->label == label) return *current_;
  close_current();
  auto c = std::make_unique<Cluster>();
  c->label = label;
  if (given()) {
    c->endpoints = cfg_.given;
    c->members = static_cast<int>(cfg_.given.size());
    c->started_by_suite = false;
    add_context("etcd_fsync_" + label, "unknown (a given cluster)");
  } else {
    const int n = std::stoi(label);
    etcd::LocalClusterOptions o;
    o.members = n;
    o.dir = cfg_.etcd_dir + "/cluster" + label;
    std::filesystem::create_directories(o.dir);
    c->local = std::make_unique<etcd::LocalCluster>(o);
    c->endpoints = c->local->endpoints();
    c->members = n;
    c->started_by_suite = true;
    add_context("etcd_fsync_" + label, "on (etcd's default; no --unsafe-no-fsync)");
    add_context("etcd_data_fs_" + label, fs_name(o.dir));
    add_context("etcd_heartbeat_ms_" + label, std::to_string(o.heartbeat_ms));
    add_context("etcd_election_ms_" + label, std::to_string(o.election_ms));
  }
  measure_floor(*c);
  current_ = std::move(c);
  return *current_;
}

int Env::kill_leader() {
  if (!current_ || !current_->local) throw std::logic_error("kill_leader: not a local cluster");
  const int i = current_->local->leader_index();
  if (i < 0) throw std::runtime_error("kill_leader: the cluster has no leader");
  current_->local->kill(i, SIGKILL);
  return i;
}

void Env::restart(int member) {
  current_->local->restart(member);
  // Back to full strength before the next case: every member agrees on a leader.
  if (current_->local->leader_index() < 0)
    throw std::runtime_error("restart: no leader after restarting member " +
                             std::to_string(member));
}

void Env::run_peer(const Cluster& c) {
  if (cfg_.peer_cmd.empty()) return;
  std::vector<std::string> argv = split_peer_command(cfg_.peer_cmd);
  const std::string out = out_dir_ + "/distributed_peer_go_cluster" + c.label + ".json";
  const std::string log = out_dir_ + "/distributed_peer_go_cluster" + c.label + ".log";
  argv.insert(argv.end(), {"--endpoints", join(c.endpoints, ","), "--cluster", c.label, "--profile",
                           cfg_.profile, "--out", out});
  std::fprintf(stderr, "distributed: peer on cluster %s: %s\n", c.label.c_str(),
               join(argv, " ").c_str());
  try {
    etcd::ChildProcess p = etcd::ChildProcess::spawn(argv, log);
    const auto limit = Clock::now() + std::chrono::seconds(300);
    while (p.running() && Clock::now() < limit)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    int status = p.running() ? (p.kill(), -1) : p.wait();
    if (status != 0) {
      std::fprintf(stderr,
                   "error: the distributed peer failed on cluster %s (status %d); its log: %s\n",
                   c.label.c_str(), status, log.c_str());
      peer_failed_ = true;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: the distributed peer '%s' could not start: %s\n",
                 cfg_.peer_cmd.c_str(), e.what());
    peer_failed_ = true;
  }
}

void Env::close_current() {
  if (!current_) return;
  run_peer(*current_);
  const std::string dir = current_->local ? cfg_.etcd_dir + "/cluster" + current_->label : "";
  current_.reset();  // stops every member by PID and waits for it
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

int Env::finish(const std::string& benchmark_out) {
  close_current();
  std::error_code ec;
  if (!given() && cfg_.remove_etcd_dir) std::filesystem::remove_all(cfg_.etcd_dir, ec);
  if (!benchmark_out.empty() && !context_.empty()) {
    // Textual insertion after "context": { — Google Benchmark writes NaN,
    // which a strict parser rejects, so the document is not re-serialised.
    std::string text;
    {
      std::ifstream in(benchmark_out, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    const std::string anchor = "\"context\": {";
    const size_t at = text.find(anchor);
    if (at != std::string::npos) {
      std::string add;
      for (const auto& [k, v] : context_)
        add += "\n    " + nlohmann::json(k).dump() + ": " + nlohmann::json(v).dump() + ",";
      text.insert(at + anchor.size(), add);
      {
        std::ofstream out(benchmark_out + ".tmp", std::ios::binary);
        out << text;
      }
      std::rename((benchmark_out + ".tmp").c_str(), benchmark_out.c_str());
    }
  }
  return peer_failed_ ? 1 : 0;
}

}  // namespace syncscope::suites::distributed
