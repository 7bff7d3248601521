// ThreadSanitizer configuration only: proves that etcd/tsan_grpc.supp, the
// suppressions every etcd test runs under (and the etcd executables' link
// without exports), still let TSan report a race in syncscope's own code —
// also one that runs on one of gRPC's threads, below gRPC's frames.
//
// The planted race: a gRPC callback (the callback API runs it on a gRPC
// thread, called from libgrpc++) writes a plain int; the test thread, having
// waited for the callback with a relaxed atomic (which gives TSan no
// happens-before edge), writes it too. The race is real in the C++ memory
// model, and it is ours.
//
// The race runs in a child process (this binary in role planted_race) under
// the same suppressions as the tests but halt_on_error=0 and exitcode=66;
// the test asserts that the child's report names the race's two functions.
// (gRPC's callback API, which the library does not use, also makes TSan
// report races inside gRPC's own header code: uninstrumented gRPC hands the
// callback over without a synchronisation TSan sees. Those reports are not
// what this test checks.)
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "etcd_test_env.h"

namespace syncscope::etcd {
namespace {

using namespace std::chrono_literals;

int g_planted = 0;  // the racy variable: written without synchronisation

// The race's two accesses, each in a function of its own so that the report
// names them (not inlined).
__attribute__((noinline)) void planted_callback_write() { g_planted = 2; }
__attribute__((noinline)) void planted_test_thread_write() { g_planted = 3; }

SYNCSCOPE_ETCD_TEST_ROLE(planted_race) {
  // args: endpoint
  auto channel = grpc::CreateChannel(args.at(0), grpc::InsecureChannelCredentials());
  auto stub = etcdserverpb::KV::NewStub(channel);
  std::atomic<int> done{0};
  // One call first, so that gRPC's threads already exist: a thread created by
  // this thread would carry a happens-before edge from it to the callback.
  for (int round = 0; round < 2; ++round) {
    done.store(0, std::memory_order_relaxed);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 30s);
    etcdserverpb::RangeRequest req;
    req.set_key("syncscope-test/planted-race");
    etcdserverpb::RangeResponse resp;
    stub->async()->Range(&ctx, &req, &resp, [&](grpc::Status s) {
      if (round == 1) planted_callback_write();
      done.store(s.ok() ? 1 : 2, std::memory_order_relaxed);
    });
    // Relaxed: no happens-before edge from the callback to this thread.
    while (done.load(std::memory_order_relaxed) == 0) std::this_thread::sleep_for(1ms);
    if (done.load(std::memory_order_relaxed) != 1) {
      std::fprintf(stderr, "planted_race: Range failed\n");
      return 3;
    }
    if (round == 1) planted_test_thread_write();
  }
  std::printf("planted_race: g_planted = %d\n", g_planted);  // keeps the stores
  std::fflush(stdout);
  return 0;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(EtcdTsanSuppressions, ARacePlantedInOurGrpcCallbackIsStillReported) {
  const char* supp = SYNCSCOPE_ETCD_TSAN_SUPP;
  const std::string dir = testing::test_dir("planted");
  // The child runs under the suppression file of every etcd test.
  ChildProcess child = testing::spawn_role(
      "planted_race", {testing::test_endpoints()[0]}, dir + "/child.log",
      {std::string("TSAN_OPTIONS=halt_on_error=0 exitcode=66 suppressions=") + supp});
  const int st = child.wait();
  const std::string log = read_file(dir + "/child.log");
  ASSERT_TRUE(WIFEXITED(st)) << log;
  EXPECT_EQ(WEXITSTATUS(st), 66) << "TSan reported nothing:\n" << log;
  EXPECT_NE(log.find("planted_race: g_planted = 3"), std::string::npos) << log;
  // One report holds both accesses to g_planted: ours, on two threads.
  bool found = false;
  std::size_t pos = 0;
  while (!found &&
         (pos = log.find("WARNING: ThreadSanitizer: data race", pos)) != std::string::npos) {
    const std::size_t end = log.find("SUMMARY:", pos);
    const std::string report =
        log.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    found = report.find("planted_callback_write") != std::string::npos &&
            report.find("planted_test_thread_write") != std::string::npos;
    pos = end;
  }
  EXPECT_TRUE(found) << "no report of the planted race:\n" << log;
}

}  // namespace
}  // namespace syncscope::etcd
