// Tests of ConcurrentMap (orcaman's concurrent-map): each method's Go
// semantics, concurrent-map's FNV-32 shard choice (FNV-1 test vectors),
// custom shard counts and hashers, the snapshot iterators, and stress runs:
// disjoint keys per thread against per-thread models, shared counters
// updated through upsert (no lost update), whole-map readers running during
// updates.
#include <gtest/gtest.h>
#include <syncscope/concurrent_map.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace syncscope {
namespace {

TEST(ConcurrentMapTest, Fnv32IsConcurrentMapsFnv1) {
  // FNV-1 (not FNV-1a) 32-bit test vectors.
  EXPECT_EQ(fnv32(""), 0x811c9dc5u);
  EXPECT_EQ(fnv32("a"), 0x050c5d7eu);
  EXPECT_EQ(fnv32("foobar"), 0x31f0b262u);
  ConcurrentMap<std::string, int> m;
  EXPECT_EQ(m.shard_count(), 32u);
  EXPECT_EQ(m.shard_index("foobar"), 0x31f0b262u % 32);
  EXPECT_EQ(m.shard_index("a"), 0x050c5d7eu % 32);
}

TEST(ConcurrentMapTest, SetGetHasRemove) {
  ConcurrentMap<std::string, int> m;
  EXPECT_TRUE(m.is_empty());
  EXPECT_FALSE(m.get("x").has_value());
  EXPECT_FALSE(m.has("x"));
  m.set("x", 1);
  m.set("y", 2);
  EXPECT_EQ(*m.get("x"), 1);
  EXPECT_TRUE(m.has("y"));
  EXPECT_EQ(m.count(), 2u);
  m.set("x", 3);
  EXPECT_EQ(*m.get("x"), 3);
  EXPECT_EQ(m.count(), 2u);
  m.remove("x");
  m.remove("never");
  EXPECT_FALSE(m.has("x"));
  EXPECT_EQ(m.count(), 1u);
  EXPECT_FALSE(m.is_empty());
  m.clear();
  EXPECT_TRUE(m.is_empty());
  EXPECT_FALSE(m.has("y"));
}

TEST(ConcurrentMapTest, SetIfAbsentPopUpsertRemoveCb) {
  ConcurrentMap<std::string, int> m;
  EXPECT_TRUE(m.set_if_absent("k", 1));
  EXPECT_FALSE(m.set_if_absent("k", 2));
  EXPECT_EQ(*m.get("k"), 1);
  EXPECT_EQ(*m.pop("k"), 1);
  EXPECT_FALSE(m.pop("k").has_value());
  EXPECT_FALSE(m.has("k"));

  // Upsert: cb(exists, value_in_map, new_value) -> stored value.
  auto add = [](bool exists, const int& in_map, int&& v) { return exists ? in_map + v : v * 10; };
  EXPECT_EQ(m.upsert("u", 2, add), 20);
  EXPECT_EQ(m.upsert("u", 3, add), 23);
  EXPECT_EQ(*m.get("u"), 23);
  m.upsert("z", 5, [](bool exists, const int& in_map, int&&) {
    EXPECT_FALSE(exists);
    EXPECT_EQ(in_map, 0);  // Go's zero value
    return 7;
  });
  EXPECT_EQ(*m.get("z"), 7);

  // RemoveCb: removes only if cb says so and the key exists; returns cb's answer.
  EXPECT_FALSE(m.remove_cb("u", [](const std::string& k, const int& v, bool exists) {
    EXPECT_EQ(k, "u");
    EXPECT_EQ(v, 23);
    EXPECT_TRUE(exists);
    return false;
  }));
  EXPECT_TRUE(m.has("u"));
  EXPECT_TRUE(m.remove_cb("u", [](const std::string&, const int& v, bool) { return v == 23; }));
  EXPECT_FALSE(m.has("u"));
  EXPECT_TRUE(m.remove_cb("absent", [](const std::string&, const int& v, bool exists) {
    EXPECT_FALSE(exists);
    EXPECT_EQ(v, 0);
    return true;
  }));
  EXPECT_TRUE(m.has("z"));
}

TEST(ConcurrentMapTest, SnapshotsItemsKeysIter) {
  ConcurrentMap<std::string, int> m;
  std::map<std::string, int> in;
  for (int i = 0; i < 100; ++i) in["key" + std::to_string(i)] = i;
  m.mset(in);
  EXPECT_EQ(m.count(), 100u);

  auto items = m.items();
  EXPECT_EQ((std::map<std::string, int>(items.begin(), items.end())), in);

  auto keys = m.keys();
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> want;
  for (auto& [k, v] : in) want.push_back(k);
  EXPECT_EQ(keys, want);

  std::map<std::string, int> from_iter;
  for (auto& t : m.iter()) EXPECT_TRUE(from_iter.emplace(t.key, t.val).second);
  EXPECT_EQ(from_iter, in);

  std::map<std::string, int> from_chan;
  for (auto t : m.iter_buffered()) EXPECT_TRUE(from_chan.emplace(t.key, t.val).second);
  EXPECT_EQ(from_chan, in);

  std::map<std::string, int> from_cb;
  m.iter_cb([&](const std::string& k, const int& v) { from_cb.emplace(k, v); });
  EXPECT_EQ(from_cb, in);

  // Keys are spread over shards by fnv32.
  std::set<std::size_t> shards;
  for (auto& [k, v] : in) shards.insert(m.shard_index(k));
  EXPECT_GT(shards.size(), 16u);

  ConcurrentMap<std::string, int> empty;
  int n = 0;
  for (auto t : empty.iter_buffered()) {
    (void)t;
    ++n;
  }
  EXPECT_EQ(n, 0);
}

TEST(ConcurrentMapTest, CustomShardCountAndHasher) {
  struct ByTens {
    std::size_t operator()(int k) const noexcept { return static_cast<std::size_t>(k / 10); }
  };
  ConcurrentMap<int, int, ByTens> m(4, ByTens{});
  EXPECT_EQ(m.shard_count(), 4u);
  EXPECT_EQ(m.shard_index(5), 0u);
  EXPECT_EQ(m.shard_index(15), 1u);
  EXPECT_EQ(m.shard_index(45), 0u);
  for (int i = 0; i < 50; ++i) m.set(i, -i);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(*m.get(i), -i);
  EXPECT_THROW((ConcurrentMap<int, int>(0)), std::invalid_argument);
  // Integer keys use std::hash (identity in libstdc++ and on both arches here).
  ConcurrentMap<uint64_t, uint64_t> ints;
  EXPECT_EQ(ints.shard_index(33), std::hash<uint64_t>{}(33) % 32);
}

TEST(ConcurrentMapTest, StressDisjointKeysMatchModels) {
  constexpr int kThreads = 4;
  constexpr int kOps = 6000;
  ConcurrentMap<uint64_t, uint64_t> m;
  std::vector<std::map<uint64_t, uint64_t>> models(kThreads);
  std::atomic<bool> bad{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      auto& model = models[t];
      uint64_t x = 0x2545F4914F6CDD1Dull * (t + 1);
      auto rnd = [&] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
      };
      for (int i = 0; i < kOps; ++i) {
        const uint64_t k = static_cast<uint64_t>(t) + kThreads * (rnd() % 100);
        const uint64_t v = rnd();
        switch (rnd() % 6) {
          case 0:
            m.set(k, v);
            model[k] = v;
            break;
          case 1:
            if (m.set_if_absent(k, v) != model.emplace(k, v).second) bad = true;
            break;
          case 2: {
            auto p = m.pop(k);
            auto it = model.find(k);
            if (p.has_value() != (it != model.end()) || (p && *p != it->second)) bad = true;
            if (it != model.end()) model.erase(it);
            break;
          }
          case 3:
            m.remove(k);
            model.erase(k);
            break;
          case 4: {
            auto g = m.get(k);
            auto it = model.find(k);
            if (g.has_value() != (it != model.end()) || (g && *g != it->second)) bad = true;
            break;
          }
          default:
            if (i % 200 == 0) (void)m.count();  // whole-map reader in the mix
            break;
        }
      }
    });
  }
  for (auto& th : ts) th.join();
  EXPECT_FALSE(bad.load());
  std::map<uint64_t, uint64_t> all;
  for (auto& mo : models) all.insert(mo.begin(), mo.end());
  auto items = m.items();
  EXPECT_EQ((std::map<uint64_t, uint64_t>(items.begin(), items.end())), all);
  EXPECT_EQ(m.count(), all.size());
}

TEST(ConcurrentMapTest, StressSharedCountersViaUpsert) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 3000;
  constexpr int kCounters = 5;
  ConcurrentMap<std::string, int64_t> m;
  std::atomic<bool> stop{false};
  std::atomic<bool> bad{false};
  std::thread reader([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      int64_t sum = 0;
      for (auto& t : m.iter()) {
        if (t.val < 0) bad = true;
        sum += t.val;
      }
      if (sum > int64_t{kThreads} * kIncrements) bad = true;
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < kIncrements; ++i) {
        const std::string k = "ctr" + std::to_string((i + t) % kCounters);
        m.upsert(k, 1, [](bool exists, const int64_t& in_map, int64_t&& d) {
          return exists ? in_map + d : d;
        });
      }
    });
  }
  for (auto& th : ts) th.join();
  stop = true;
  reader.join();
  EXPECT_FALSE(bad.load());
  int64_t total = 0;
  for (int c = 0; c < kCounters; ++c) total += *m.get("ctr" + std::to_string(c));
  EXPECT_EQ(total, int64_t{kThreads} * kIncrements);
}

}  // namespace
}  // namespace syncscope
