// Tests of Map (Go's sync.Map): each operation's Go semantics, the
// dirty-map life cycle (promotion, expunging, unexpunging) checked against
// a reference model, range() and clear(), reclamation of every box, entry
// and snapshot (no leak, no double free), and stress runs: disjoint keys
// per thread compared with per-thread models, shared keys updated by CAS
// (no lost update), readers checking that every value they see is intact.
#include <gtest/gtest.h>
#include <syncscope/sync_map.h>

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

// A value that counts its live instances, to check that every box the map
// allocated is freed exactly once.
struct Tracked {
  static std::atomic<int64_t> live;
  explicit Tracked(int v = 0) : v(v) { live.fetch_add(1, std::memory_order_relaxed); }
  Tracked(const Tracked& o) : v(o.v) { live.fetch_add(1, std::memory_order_relaxed); }
  Tracked& operator=(const Tracked&) = default;
  ~Tracked() { live.fetch_sub(1, std::memory_order_relaxed); }
  friend bool operator==(const Tracked& a, const Tracked& b) { return a.v == b.v; }
  int v;
};
std::atomic<int64_t> Tracked::live{0};

// A value with a self-check: b == ~a unless the box was torn or freed.
struct Val {
  uint64_t a = 0, b = ~uint64_t{0};
  friend bool operator==(const Val& x, const Val& y) { return x.a == y.a && x.b == y.b; }
};

TEST(SyncMapTest, LoadStoreDelete) {
  Map<std::string, std::string> m;
  EXPECT_FALSE(m.load("a").has_value());
  m.store("a", "1");
  ASSERT_TRUE(m.load("a").has_value());
  EXPECT_EQ(*m.load("a"), "1");
  m.store("a", "2");
  EXPECT_EQ(*m.load("a"), "2");
  m.erase("a");
  EXPECT_FALSE(m.load("a").has_value());
  m.erase("a");  // deleting an absent key is a no-op (Go)
  m.erase("never");
  EXPECT_FALSE(m.load("never").has_value());
}

TEST(SyncMapTest, LoadOrStore) {
  Map<std::string, int> m;
  auto [v1, loaded1] = m.load_or_store("k", 1);
  EXPECT_EQ(v1, 1);
  EXPECT_FALSE(loaded1);
  auto [v2, loaded2] = m.load_or_store("k", 2);
  EXPECT_EQ(v2, 1);
  EXPECT_TRUE(loaded2);
  m.erase("k");
  auto [v3, loaded3] = m.load_or_store("k", 3);  // deleted entry takes a value again
  EXPECT_EQ(v3, 3);
  EXPECT_FALSE(loaded3);
  EXPECT_EQ(*m.load("k"), 3);
}

TEST(SyncMapTest, LoadAndDeleteAndSwap) {
  Map<int, int> m;
  EXPECT_FALSE(m.load_and_delete(1).has_value());
  EXPECT_FALSE(m.swap(1, 10).has_value());  // Go: previous=nil, loaded=false
  EXPECT_EQ(*m.swap(1, 11), 10);
  EXPECT_EQ(*m.load(1), 11);
  EXPECT_EQ(*m.load_and_delete(1), 11);
  EXPECT_FALSE(m.load_and_delete(1).has_value());
  EXPECT_FALSE(m.load(1).has_value());
}

TEST(SyncMapTest, CompareAndSwapAndDelete) {
  Map<int, std::string> m;
  EXPECT_FALSE(m.compare_and_swap(1, "x", "y"));  // absent
  EXPECT_FALSE(m.compare_and_delete(1, "x"));
  m.store(1, "x");
  EXPECT_FALSE(m.compare_and_swap(1, "nope", "y"));
  EXPECT_EQ(*m.load(1), "x");
  EXPECT_TRUE(m.compare_and_swap(1, "x", "y"));
  EXPECT_EQ(*m.load(1), "y");
  EXPECT_FALSE(m.compare_and_delete(1, "x"));
  EXPECT_TRUE(m.compare_and_delete(1, "y"));
  EXPECT_FALSE(m.load(1).has_value());
  EXPECT_FALSE(m.compare_and_swap(1, "y", "z"));  // deleted
}

TEST(SyncMapTest, RangeVisitsEachKeyOnceAndStops) {
  Map<int, int> m;
  for (int i = 0; i < 100; ++i) m.store(i, i * i);
  for (int i = 0; i < 100; i += 3) m.erase(i);
  std::map<int, int> seen;
  m.range([&](const int& k, const int& v) {
    EXPECT_TRUE(seen.emplace(k, v).second) << "key visited twice: " << k;
    return true;
  });
  for (int i = 0; i < 100; ++i) {
    if (i % 3 == 0) {
      EXPECT_EQ(seen.count(i), 0u) << i;
    } else {
      EXPECT_EQ(seen.at(i), i * i);
    }
  }
  int calls = 0;
  m.range([&](const int&, const int&) { return ++calls < 5; });
  EXPECT_EQ(calls, 5);
}

TEST(SyncMapTest, RangeCallbackMayUseTheMap) {
  Map<int, int> m;
  for (int i = 0; i < 50; ++i) m.store(i, i);
  // Go allows any method inside Range's f; new keys may or may not be seen.
  std::set<int> seen;
  m.range([&](const int& k, const int& v) {
    EXPECT_TRUE(seen.insert(k).second);
    m.store(k, v + 1000);
    m.store(k + 1000, v);
    if (k % 2 == 0) m.erase(k);
    EXPECT_EQ(m.load(k + 1000).value_or(-1), v);
  });
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(seen.count(i)) << i;
    EXPECT_EQ(*m.load(i + 1000), i);
    if (i % 2 == 0) {
      EXPECT_FALSE(m.load(i).has_value());
    } else {
      EXPECT_EQ(*m.load(i), i + 1000);
    }
  }
}

TEST(SyncMapTest, Clear) {
  Map<int, int> m;
  m.clear();  // empty: no-op
  for (int i = 0; i < 20; ++i) m.store(i, i);
  for (int i = 0; i < 20; ++i) (void)m.load(i);  // promotes
  for (int i = 20; i < 30; ++i) m.store(i, i);   // dirty again, amended
  m.erase(3);
  m.clear();
  int n = 0;
  m.range([&](const int&, const int&) { ++n; });
  EXPECT_EQ(n, 0);
  for (int i = 0; i < 30; ++i) EXPECT_FALSE(m.load(i).has_value()) << i;
  m.store(5, 50);
  EXPECT_EQ(*m.load(5), 50);
  EXPECT_FALSE(m.load(6).has_value());
}

// Drives the dirty-map life cycle with one thread and checks every step
// against std::map: new keys (amended snapshot), locked misses until
// promotion, deletes that leave nullptr entries, a new key that rebuilds
// dirty_ and expunges them, stores that unexpunge them, range promotion.
TEST(SyncMapTest, LifeCycleMatchesModel) {
  Map<int, int> m;
  std::map<int, int> model;
  auto check = [&] {
    for (int k = 0; k < 64; ++k) {
      auto it = model.find(k);
      auto v = m.load(k);
      if (it == model.end()) {
        EXPECT_FALSE(v.has_value()) << k;
      } else {
        ASSERT_TRUE(v.has_value()) << k;
        EXPECT_EQ(*v, it->second) << k;
      }
    }
    std::map<int, int> ranged;
    m.range([&](const int& k, const int& v) { ranged.emplace(k, v); });
    EXPECT_EQ(ranged, model);
  };
  uint32_t x = 12345;
  auto rnd = [&] { return x = x * 1103515245u + 12345u, (x >> 16) & 0x7fff; };
  for (int round = 0; round < 3000; ++round) {
    const int k = static_cast<int>(rnd() % 64);
    const int v = static_cast<int>(rnd());
    switch (rnd() % 7) {
      case 0:
        m.store(k, v);
        model[k] = v;
        break;
      case 1: {
        auto [actual, loaded] = m.load_or_store(k, v);
        auto it = model.find(k);
        EXPECT_EQ(loaded, it != model.end());
        if (it == model.end()) model[k] = v;
        EXPECT_EQ(actual, model[k]);
        break;
      }
      case 2: {
        auto old = m.load_and_delete(k);
        auto it = model.find(k);
        EXPECT_EQ(old.has_value(), it != model.end());
        if (it != model.end()) {
          EXPECT_EQ(*old, it->second);
          model.erase(it);
        }
        break;
      }
      case 3: {
        auto prev = m.swap(k, v);
        auto it = model.find(k);
        EXPECT_EQ(prev.has_value(), it != model.end());
        if (it != model.end()) {
          EXPECT_EQ(*prev, it->second);
        }
        model[k] = v;
        break;
      }
      case 4: {
        auto it = model.find(k);
        const int old = it != model.end() && rnd() % 2 ? it->second : -1;
        const bool swapped = m.compare_and_swap(k, old, v);
        EXPECT_EQ(swapped, it != model.end() && it->second == old);
        if (swapped) model[k] = v;
        break;
      }
      case 5: {
        auto it = model.find(k);
        const int old = it != model.end() && rnd() % 2 ? it->second : -1;
        const bool deleted = m.compare_and_delete(k, old);
        EXPECT_EQ(deleted, it != model.end() && it->second == old);
        if (deleted) model.erase(it);
        break;
      }
      default: {
        // Repeated loads: enough misses to promote the dirty map.
        for (int i = 0; i < 8; ++i) {
          auto got = m.load(static_cast<int>(rnd() % 64));
          (void)got;
        }
        break;
      }
    }
    if (round % 97 == 0) check();
  }
  check();
}

TEST(SyncMapTest, EveryBoxAndEntryIsFreedExactlyOnce) {
  const int64_t before = Tracked::live.load();
  {
    Map<int, Tracked> m;
    for (int round = 0; round < 20; ++round) {
      for (int k = 0; k < 50; ++k) m.store(k + round, Tracked(k));
      for (int k = 0; k < 50; k += 2) (void)m.load(k);
      for (int k = 0; k < 50; k += 5) m.erase(k + round);
      (void)m.swap(round, Tracked(-1));
      (void)m.compare_and_swap(round + 1, Tracked(1), Tracked(2));
      (void)m.compare_and_delete(round + 2, Tracked(2));
      (void)m.load_or_store(1000 + round, Tracked(round));
      m.range([](const int&, const Tracked&) { return true; });
      if (round == 10) m.clear();
    }
  }
  EXPECT_EQ(Tracked::live.load(), before);
}

// Replaced boxes go to the storing thread's slot and are freed in batches
// while the map lives: with no other thread inside an epoch section, one
// thread replacing one key many times never holds more than the untagged
// batch plus the batch still in its grace period (its own section), plus
// the live value. Then threads that exit with boxes still queued: the map's
// destructor frees them.
TEST(SyncMapTest, ReplacedBoxesAreFreedInBatchesWhileTheMapLives) {
  using M = Map<int, Tracked>;
  const int64_t before = Tracked::live.load();
  {
    M m;
    int64_t peak = 0;
    for (int i = 0; i < 20 * static_cast<int>(M::kBoxBatch); ++i) {
      m.store(7, Tracked(i));
      peak = std::max(peak, Tracked::live.load() - before);
    }
    EXPECT_LE(peak, static_cast<int64_t>(2 * M::kBoxBatch + 1));
    EXPECT_EQ(m.load(7)->v, 20 * static_cast<int>(M::kBoxBatch) - 1);
    for (int t = 0; t < 3; ++t) {
      std::thread([&m, t] {
        for (int i = 0; i < 5; ++i) (void)m.swap(100 + t, Tracked(i));
      }).join();
    }
    EXPECT_EQ(m.load(101)->v, 4);
  }
  EXPECT_EQ(Tracked::live.load(), before);
}

// Disjoint keys: each thread owns keys t, t+T, t+2T, ... and keeps its own
// model; the final map must equal the union. Readers of other threads' keys
// run at the same time (they only check that what they see is intact).
TEST(SyncMapTest, StressDisjointKeysMatchModels) {
  constexpr int kThreads = 4;
  constexpr int kKeysPerThread = 64;
  constexpr int kOps = 15000;
  auto make = [](uint64_t a) { return Val{a, ~a}; };
  Map<uint64_t, Val> m;
  std::vector<std::map<uint64_t, uint64_t>> models(kThreads);
  std::atomic<bool> corrupt{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      auto& model = models[t];
      uint64_t x = 0x9e3779b97f4a7c15ull * (t + 1);
      auto rnd = [&] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
      };
      for (int i = 0; i < kOps; ++i) {
        const uint64_t k = static_cast<uint64_t>(t) + kThreads * (rnd() % kKeysPerThread);
        const uint64_t v = rnd() >> 8;
        switch (rnd() % 6) {
          case 0:
            m.store(k, make(v));
            model[k] = v;
            break;
          case 1:
            if (m.load_and_delete(k).has_value() != (model.erase(k) == 1)) corrupt = true;
            break;
          case 2: {
            auto [got, loaded] = m.load_or_store(k, make(v));
            if (!loaded) model[k] = v;
            if (!(got == make(model[k]))) corrupt = true;
            break;
          }
          case 3: {
            auto it = model.find(k);
            if (it != model.end() && m.compare_and_swap(k, make(it->second), make(v))) {
              it->second = v;
            } else if (it != model.end()) {
              corrupt = true;
            }
            break;
          }
          default: {
            // Read anybody's key: the box must be intact.
            const uint64_t any = rnd() % (kThreads * kKeysPerThread);
            if (auto got = m.load(any); got && got->b != ~got->a) corrupt = true;
            break;
          }
        }
      }
    });
  }
  for (auto& th : ts) th.join();
  EXPECT_FALSE(corrupt.load());
  std::map<uint64_t, uint64_t> all;
  for (auto& mo : models) all.insert(mo.begin(), mo.end());
  std::map<uint64_t, uint64_t> got;
  m.range([&](const uint64_t& k, const Val& v) {
    EXPECT_EQ(v.b, ~v.a);
    got.emplace(k, v.a);
  });
  EXPECT_EQ(got, all);
}

// Shared keys: every thread increments every counter with a load +
// compare_and_swap loop; also deletes and re-creates a scratch key range.
// No increment may be lost.
TEST(SyncMapTest, StressSharedKeysCasIncrementsAreNotLost) {
  constexpr int kThreads = 4;
  constexpr int kCounters = 8;
  constexpr int kIncrements = 3000;
  Map<int, uint64_t> m;
  for (int c = 0; c < kCounters; ++c) m.store(c, 0);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < kIncrements; ++i) {
        const int c = (i + t) % kCounters;
        for (;;) {
          const uint64_t cur = *m.load(c);
          if (m.compare_and_swap(c, cur, cur + 1)) break;
        }
        // Churn on shared scratch keys: new keys rebuild dirty_, deletes
        // get expunged, loads promote.
        const int s = 100 + (i * 7 + t) % 32;
        if (i % 3 == 0) {
          m.store(s, i);
        } else if (i % 3 == 1) {
          m.erase(s);
        } else {
          (void)m.load_or_store(s, i);
        }
      }
    });
  }
  for (auto& th : ts) th.join();
  uint64_t total = 0;
  for (int c = 0; c < kCounters; ++c) total += *m.load(c);
  EXPECT_EQ(total, static_cast<uint64_t>(kThreads) * kIncrements);
}

// Readers of a read-mostly map (the seed's cache scenario) while one writer
// keeps replacing values and adding/removing keys; then range() under
// concurrent mutation never reports a key twice.
TEST(SyncMapTest, StressReadMostlyAndRangeUnderMutation) {
  constexpr int kReaders = 3;
  constexpr int kKeys = 128;
  Map<int, std::string> m;
  for (int k = 0; k < kKeys; ++k) m.store(k, std::to_string(k));
  std::atomic<bool> stop{false};
  std::atomic<bool> bad{false};
  std::vector<std::thread> ts;
  for (int r = 0; r < kReaders; ++r) {
    ts.emplace_back([&, r] {
      int i = r;
      while (!stop.load(std::memory_order_relaxed)) {
        const int k = i++ % kKeys;
        if (auto v = m.load(k)) {
          // Values are "k" or "k:gen".
          if (v->compare(0, std::to_string(k).size(), std::to_string(k)) != 0) bad = true;
        }
        if (i % 64 == 0) {
          std::set<int> seen;
          m.range([&](const int& key, const std::string&) {
            if (!seen.insert(key).second) bad = true;
          });
        }
      }
    });
  }
  for (int gen = 0; gen < 3000; ++gen) {
    const int k = gen % kKeys;
    m.store(k, std::to_string(k) + ":" + std::to_string(gen));
    if (gen % 5 == 0) m.erase((k + 1) % kKeys);
    if (gen % 5 == 1) m.store((k + kKeys / 2) % kKeys, std::to_string((k + kKeys / 2) % kKeys));
  }
  stop = true;
  for (auto& th : ts) th.join();
  EXPECT_FALSE(bad.load());
}

}  // namespace
}  // namespace syncscope
