// Test support for syncscope_etcd's tests (not part of the library).
//   test_endpoints()     a single-node etcd for this test process: the user's
//                        cluster from SYNCSCOPE_ETCD_ENDPOINTS, or one LocalCluster
//                        started on first use and stopped at exit
//   test_dir(name)       a fresh directory under the build's etcd testdata
//   unique_prefix()      a key prefix no other test (or run) uses
//   child roles          a test binary re-runs itself (/proc/self/exe) as a child
//                        process in a named role: SYNCSCOPE_ETCD_TEST_ROLE=<name>
#ifndef SYNCSCOPE_ETCD_SRC_ETCD_TEST_ENV_H_
#define SYNCSCOPE_ETCD_SRC_ETCD_TEST_ENV_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "syncscope/etcd/local_cluster.h"

namespace syncscope::etcd::testing {

std::vector<std::string> test_endpoints();
std::string test_dir(const std::string& name);
std::string unique_prefix();

// Roles: register with SYNCSCOPE_ETCD_TEST_ROLE(name) { body returning exit code }.
using RoleFn = int (*)(const std::vector<std::string>& args);
std::map<std::string, RoleFn>& roles();
struct RoleRegistrar {
  RoleRegistrar(const char* name, RoleFn f) { roles()[name] = f; }
};
#define SYNCSCOPE_ETCD_TEST_ROLE(name)                                                 \
  static int name##_role(const std::vector<std::string>& args);                        \
  static ::syncscope::etcd::testing::RoleRegistrar name##_registrar(#name, name##_role); \
  static int name##_role(const std::vector<std::string>& args)

// Starts this test binary as a child in `role` with args; output to out_path.
// env: more NAME=value settings for the child (e.g. its own TSAN_OPTIONS).
ChildProcess spawn_role(const std::string& role, const std::vector<std::string>& args,
                        const std::string& out_path, const std::vector<std::string>& env = {});

}  // namespace syncscope::etcd::testing

#endif  // SYNCSCOPE_ETCD_SRC_ETCD_TEST_ENV_H_
