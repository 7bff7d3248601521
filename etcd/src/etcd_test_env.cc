// Test support (see etcd_test_env.h) and the main() of the etcd test binaries.
#include "etcd_test_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

namespace syncscope::etcd::testing {

std::string test_dir(const std::string& name) {
  const std::string d = std::string(SYNCSCOPE_ETCD_TEST_DIR) + "/" +
                        std::filesystem::path(::program_invocation_short_name).string() + "-" +
                        std::to_string(::getpid()) + "-" + name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

std::vector<std::string> test_endpoints() {
  static std::vector<std::string> eps = [] {
    auto env = endpoints_from_env();
    if (!env.empty()) {
      // A user's cluster: record what it is (version, members, endpoints).
      Client c(env);
      const std::string info = describe_cluster(c).to_string();
      std::printf("[ etcd     ] SYNCSCOPE_ETCD_ENDPOINTS: %s\n", info.c_str());
      ::testing::Test::RecordProperty("etcd_cluster", info);
      return env;
    }
    static LocalCluster cluster(LocalClusterOptions{1, test_dir("single")});
    return cluster.endpoints();
  }();
  return eps;
}

std::string unique_prefix() {
  static std::atomic<int> n{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return "syncscope-test/" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + "/" +
         (info ? std::string(info->test_suite_name()) + "." + info->name() : "x") + "/" +
         std::to_string(n++);
}

std::map<std::string, RoleFn>& roles() {
  static std::map<std::string, RoleFn> r;
  return r;
}

ChildProcess spawn_role(const std::string& role, const std::vector<std::string>& args,
                        const std::string& out_path, const std::vector<std::string>& env) {
  std::vector<std::string> argv = {"/usr/bin/env", "SYNCSCOPE_ETCD_TEST_ROLE=" + role};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back(std::filesystem::read_symlink("/proc/self/exe").string());
  argv.insert(argv.end(), args.begin(), args.end());
  return ChildProcess::spawn(argv, out_path);
}

}  // namespace syncscope::etcd::testing

int main(int argc, char** argv) {
  if (const char* role = std::getenv("SYNCSCOPE_ETCD_TEST_ROLE")) {
    auto& r = syncscope::etcd::testing::roles();
    auto it = r.find(role);
    if (it == r.end()) {
      std::fprintf(stderr, "unknown SYNCSCOPE_ETCD_TEST_ROLE '%s'\n", role);
      return 2;
    }
    return it->second(std::vector<std::string>(argv + 1, argv + argc));
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
