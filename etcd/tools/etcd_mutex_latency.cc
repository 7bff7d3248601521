// etcd_mutex_latency: uncontended Mutex lock+unlock latency on a 1-node and a
// 3-node etcd this tool starts on 127.0.0.1 (or on a user's cluster given by
// --etcd-endpoints or SYNCSCOPE_ETCD_ENDPOINTS: then nothing is started),
// printed as p50/p99/max with the context (etcd version, member count,
// endpoints, load average). A first look for the `distributed` suite, not a
// benchmark harness: one client, one session, N sequential rounds.
//
// Usage: etcd_mutex_latency [--rounds N] [--dir DIR] [--etcd-endpoints h:p,...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

#include "syncscope/etcd/local_cluster.h"
#include "syncscope/etcd/mutex.h"

using namespace syncscope::etcd;

namespace {

void usage_error(const std::string& msg) {
  std::fprintf(stderr, "etcd_mutex_latency: %s\n", msg.c_str());
  std::exit(2);
}

void measure(const std::vector<std::string>& eps, int rounds, const char* label) {
  Client c(eps);
  Session s(c, SessionOptions{30});
  Mutex m(s, "syncscope-latency/" + std::to_string(::getpid()));
  for (int i = 0; i < 20; ++i) {  // warm-up: connections, leader, caches
    m.lock();
    m.unlock();
  }
  std::vector<double> us;
  us.reserve(rounds);
  for (int i = 0; i < rounds; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    m.lock();
    m.unlock();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                     .count());
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) { return us[std::min<std::size_t>(us.size() - 1, us.size() * p)]; };
  const ClusterInfo info = describe_cluster(c);
  std::string load = "?";
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    char buf[64] = {0};
    if (std::fgets(buf, sizeof buf, f)) {
      load = buf;
      load = load.substr(0, load.find(' ', load.find(' ', load.find(' ') + 1) + 1));
    }
    std::fclose(f);
  }
  std::printf(
      "%s: %s; load average %s: Mutex lock+unlock (uncontended, 1 client, %d "
      "rounds): p50 %.0f us, p99 %.0f us, max %.0f us\n",
      label, info.to_string().c_str(), load.c_str(), rounds, pct(0.50), pct(0.99), us.back());
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 200;
  std::string dir = "/tmp/syncscope-etcd-latency";
  std::vector<std::string> user;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error("'" + a + "' needs a value");
      return argv[++i];
    };
    if (a == "--rounds") {
      const std::string v = value();
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (*end != '\0' || n < 1 || n > 1000000) {
        usage_error("--rounds '" + v + "' (valid: an integer 1..1000000)");
      }
      rounds = static_cast<int>(n);
    } else if (a == "--dir") {
      dir = value();
    } else if (a == "--etcd-endpoints") {
      const std::string v = value();
      try {
        user = parse_endpoints(v);
      } catch (const Error& e) {
        usage_error(e.what());
      }
    } else {
      usage_error("unknown argument '" + a + "' (valid: --rounds N, --dir DIR, --etcd-endpoints "
                  "h:p[,h:p...])");
    }
  }
  if (user.empty()) {
    try {
      user = endpoints_from_env();
    } catch (const Error& e) {
      usage_error(std::string("SYNCSCOPE_ETCD_ENDPOINTS: ") + e.what());
    }
  }
  try {
    if (!user.empty()) {
      measure(user, rounds, "given cluster");
      return 0;
    }
    {
      LocalCluster one(LocalClusterOptions{1, dir + "/one"});
      measure(one.endpoints(), rounds, "started 1-node");
    }
    {
      LocalCluster three(LocalClusterOptions{3, dir + "/three"});
      measure(three.endpoints(), rounds, "started 3-node");
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "etcd_mutex_latency: %s\n", e.what());
    return 1;
  }
  return 0;
}
