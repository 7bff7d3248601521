// Tests of the `maps` suite's helpers: every adapter (map_adapters.h) is a
// correct map, also when threads store disjoint keys concurrently; the
// reader/writer locks are taken shared for loads; the workload plans
// (map_workload.h) have the documented keys and write fractions.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>
#include <vector>

#include <syncscope/go_mutex.h>
#include <syncscope/go_rwmutex.h>

#include "maps/map_adapters.h"
#include "maps/map_workload.h"

namespace syncscope::suites {
namespace {

template <class M>
class MapAdapterTest : public ::testing::Test {};

using Adapters = ::testing::Types<SyncMapAdapter, ConcurrentMapAdapter, LockedMap<GoMutex>,
                                  LockedMap<GoRWMutex>, LockedMap<std::shared_mutex>>;
TYPED_TEST_SUITE(MapAdapterTest, Adapters);

TYPED_TEST(MapAdapterTest, StoreLoadOverwriteAndMiss) {
  TypeParam m;
  EXPECT_EQ(m.load(7), std::nullopt);
  m.store(7, 70);
  EXPECT_EQ(m.load(7), 70u);
  m.store(7, 71);
  EXPECT_EQ(m.load(7), 71u);
  EXPECT_EQ(m.load(8), std::nullopt);
}

TYPED_TEST(MapAdapterTest, ConcurrentDisjointStoresAreAllVisible) {
  TypeParam m;
  constexpr int kThreads = 4;
  constexpr uint64_t kPerThread = 500;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&m, t] {
      const auto [first, count] = own_keys(MapScenario::kDisjointKeys, t);
      for (uint64_t k = first; k < first + kPerThread; ++k) m.store(k, k + 1);
      for (uint64_t k = first; k < first + kPerThread; ++k) m.store(k, k + 2);  // overwrite
      (void)count;
    });
  }
  for (auto& t : ts) t.join();
  for (int t = 0; t < kThreads; ++t) {
    const uint64_t first = own_keys(MapScenario::kDisjointKeys, t).first;
    for (uint64_t k = first; k < first + kPerThread; ++k)
      ASSERT_EQ(m.load(k), k + 2) << "key " << k;
  }
}

TYPED_TEST(MapAdapterTest, ReadersSeeCompleteValuesWhileAWriterOverwrites) {
  TypeParam m;
  for (uint64_t k = 0; k < 64; ++k) m.store(k, 1000);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (uint64_t v = 1001; v < 3000; ++v) m.store(v % 64, v);
    stop = true;
  });
  bool ok = true;
  while (!stop.load()) {
    for (uint64_t k = 0; k < 64; ++k) {
      const auto v = m.load(k);
      ok = ok && v.has_value() && *v >= 1000 && *v < 3000;
    }
  }
  writer.join();
  EXPECT_TRUE(ok);
}

// A lock that counts how it is taken.
struct CountingSharedLock {
  void lock() { ++exclusive; mu.lock(); }
  void unlock() { mu.unlock(); }
  void lock_shared() { ++shared; mu.lock_shared(); }
  void unlock_shared() { mu.unlock_shared(); }
  std::shared_mutex mu;
  static inline std::atomic<int> exclusive{0}, shared{0};
};

struct CountingLock {
  void lock() { ++exclusive; mu.lock(); }
  void unlock() { mu.unlock(); }
  std::mutex mu;
  static inline std::atomic<int> exclusive{0};
};

TEST(LockedMapTest, LoadsTakeReaderWriterLocksShared) {
  CountingSharedLock::exclusive = 0;
  CountingSharedLock::shared = 0;
  LockedMap<CountingSharedLock> m;
  m.store(1, 2);
  EXPECT_EQ(m.load(1), 2u);
  EXPECT_EQ(m.load(3), std::nullopt);
  EXPECT_EQ(CountingSharedLock::exclusive.load(), 1);
  EXPECT_EQ(CountingSharedLock::shared.load(), 2);
}

TEST(LockedMapTest, LoadsTakePlainLocksExclusively) {
  CountingLock::exclusive = 0;
  LockedMap<CountingLock> m;
  m.store(1, 2);
  EXPECT_EQ(m.load(1), 2u);
  EXPECT_EQ(CountingLock::exclusive.load(), 2);
}

TEST(MapWorkloadTest, ScenarioNames) {
  EXPECT_STREQ(scenario_name(MapScenario::kWriteOnceReadMany), "write_once_read_many");
  EXPECT_STREQ(scenario_name(MapScenario::kDisjointKeys), "disjoint_keys");
  EXPECT_STREQ(scenario_name(MapScenario::kRead90Write10), "read_90_write_10");
}

TEST(MapWorkloadTest, WriteOnceReadManyOnlyLoadsSharedKeys) {
  const auto plan = make_plan(MapScenario::kWriteOnceReadMany, 0, 10000);
  std::set<uint64_t> keys;
  for (uint64_t op : plan) {
    EXPECT_EQ(op & kWriteBit, 0u);
    EXPECT_LT(op, kSharedKeys);
    keys.insert(op);
  }
  EXPECT_GT(keys.size(), kSharedKeys / 2);  // spread over the key space
  EXPECT_EQ(shared_keys(MapScenario::kWriteOnceReadMany), kSharedKeys);
  EXPECT_EQ(own_keys(MapScenario::kWriteOnceReadMany, 3).second, 0u);
}

TEST(MapWorkloadTest, Read90Write10HasAboutTenPercentWrites) {
  const auto plan = make_plan(MapScenario::kRead90Write10, 1, 20000);
  std::size_t writes = 0;
  for (uint64_t op : plan) {
    writes += (op & kWriteBit) != 0;
    EXPECT_LT(op & ~kWriteBit, kSharedKeys);
  }
  EXPECT_GT(writes, 20000u * 8 / 100);
  EXPECT_LT(writes, 20000u * 12 / 100);
}

TEST(MapWorkloadTest, DisjointKeysStayInTheThreadsOwnRange) {
  for (int t = 0; t < 3; ++t) {
    const auto [first, count] = own_keys(MapScenario::kDisjointKeys, t);
    EXPECT_EQ(count, kKeysPerThread);
    EXPECT_GE(first, kSharedKeys);
    const auto plan = make_plan(MapScenario::kDisjointKeys, t, 10000);
    std::size_t writes = 0;
    for (uint64_t op : plan) {
      const uint64_t key = op & ~kWriteBit;
      ASSERT_GE(key, first);
      ASSERT_LT(key, first + count);
      writes += (op & kWriteBit) != 0;
    }
    EXPECT_GT(writes, 4000u);
    EXPECT_LT(writes, 6000u);
  }
  EXPECT_EQ(shared_keys(MapScenario::kDisjointKeys), 0u);
  // Ranges of different threads never overlap.
  EXPECT_GE(own_keys(MapScenario::kDisjointKeys, 1).first,
            own_keys(MapScenario::kDisjointKeys, 0).first + kKeysPerThread);
}

TEST(MapWorkloadTest, PlansAreDeterministicPerThread) {
  EXPECT_EQ(make_plan(MapScenario::kRead90Write10, 2, 100),
            make_plan(MapScenario::kRead90Write10, 2, 100));
  EXPECT_NE(make_plan(MapScenario::kRead90Write10, 2, 100),
            make_plan(MapScenario::kRead90Write10, 3, 100));
}

}  // namespace
}  // namespace syncscope::suites
