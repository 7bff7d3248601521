// Test support (see etcd_test_env.h) and the main() of the etcd test binaries.
#include "etcd_test_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
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
    if (!env.empty()) return env;
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
                        const std::string& out_path) {
  std::vector<std::string> argv = {"/usr/bin/env", "SYNCSCOPE_ETCD_TEST_ROLE=" + role,
                                   std::filesystem::read_symlink("/proc/self/exe").string()};
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
