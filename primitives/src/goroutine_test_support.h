// Test-only helpers shared by the tests that run goroutines
// (goroutine_test.cc, goroutine_sync_test.cc, goroutine_preempt_test.cc,
// go_mutex_goroutine_test.cc).
//
//   OnGoroutinesTest  a gtest fixture: use_procs(n) waits until no goroutine
//                     of an earlier test is left, then sets GOMAXPROCS to n
//                     (asserting it took); TearDown() checks that the test
//                     leaked no goroutine. Waits are exact states with
//                     eventually()'s hang guard, never timing assertions.
//   busy_wait_for(flag)
//                     spins on flag without any scheduling point or safe
//                     point (no yield, no preempt_point()): the caller's P
//                     stays with it. True once flag holds; false after a
//                     60 s hang guard.
#ifndef SYNCSCOPE_PRIMITIVES_SRC_GOROUTINE_TEST_SUPPORT_H_
#define SYNCSCOPE_PRIMITIVES_SRC_GOROUTINE_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <syncscope/goroutine.h>

#include <atomic>
#include <chrono>

#include "go_mutex_test_support.h"

namespace syncscope::testing_support {

class OnGoroutinesTest : public ::testing::Test {
 protected:
  void use_procs(int n) {
    ASSERT_TRUE(eventually([] { return num_goroutine() == 0; }));
    set_gomaxprocs(n);
    ASSERT_EQ(gomaxprocs(), n);
  }
  void TearDown() override {
    EXPECT_TRUE(eventually([] { return num_goroutine() == 0; })) << "goroutines leaked";
  }
};

inline bool busy_wait_for(const std::atomic<bool>& flag) {
  const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!flag.load()) {
    if (std::chrono::steady_clock::now() > guard) return false;
  }
  return true;
}

}  // namespace syncscope::testing_support

#endif  // SYNCSCOPE_PRIMITIVES_SRC_GOROUTINE_TEST_SUPPORT_H_
