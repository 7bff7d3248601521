// Tests of syncscope::AtomicValue: Go's Value semantics (load of a never
// stored Value, Store/Load/Swap/CompareAndSwap including CAS from nil),
// reclamation (replaced values freed once no reader holds them, and only
// then), synchronize(), and stress runs under which ThreadSanitizer checks
// publication and reclamation. Correctness only.
#include <syncscope/atomic_value.h>

#include <gtest/gtest.h>

#include "go_mutex_test_support.h"

#include <atomic>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace syncscope {
namespace {

using testing_support::eventually;

static_assert(!std::is_copy_constructible_v<AtomicValue<int>> &&
                  !std::is_move_constructible_v<AtomicValue<int>>,
              "Go: a Value must not be copied after first use");

// Counts live instances; immutable payload once constructed.
struct Tracked {
  static inline std::atomic<int> alive{0};
  explicit Tracked(int v) : value(v), twice(2 * v) { alive.fetch_add(1); }
  Tracked(const Tracked& o) : value(o.value), twice(o.twice) { alive.fetch_add(1); }
  ~Tracked() { alive.fetch_sub(1); }
  bool operator==(const Tracked& o) const { return value == o.value; }
  int value;
  int twice;
};

// Go: "Load returns the value set by the most recent Store. It returns nil
// if there has been no call to Store for this Value."
TEST(AtomicValueTest, LoadOfANeverStoredValueIsEmpty) {
  AtomicValue<std::string> v;
  EXPECT_FALSE(v.has_value());
  EXPECT_EQ(v.load(), std::nullopt);
  EXPECT_TRUE(v.visit([](const std::string* p) { return p == nullptr; }));
  EXPECT_FALSE(v.compare_and_swap(std::string("x"), "y")) << "an empty Value equals no T";
  EXPECT_FALSE(v.has_value());
}

TEST(AtomicValueTest, StoreLoadSwap) {
  AtomicValue<std::string> v;
  v.store("config-1");
  EXPECT_TRUE(v.has_value());
  EXPECT_EQ(v.load(), "config-1");
  EXPECT_EQ(v.swap("config-2"), "config-1");
  EXPECT_EQ(v.load(), "config-2");
  AtomicValue<std::string> fresh;
  EXPECT_EQ(fresh.swap("first"), std::nullopt) << "Go: Swap on a new Value returns nil";
  EXPECT_EQ(fresh.load(), "first");
  AtomicValue<int> initialised(5);
  EXPECT_EQ(initialised.load(), 5);
}

TEST(AtomicValueTest, CompareAndSwap) {
  AtomicValue<int> v;
  EXPECT_TRUE(v.compare_and_swap(std::nullopt, 1)) << "Go: CompareAndSwap(nil, new) on a new Value";
  EXPECT_FALSE(v.compare_and_swap(std::nullopt, 2)) << "no longer empty";
  EXPECT_EQ(v.load(), 1);
  EXPECT_FALSE(v.compare_and_swap(7, 3));
  EXPECT_EQ(v.load(), 1);
  EXPECT_TRUE(v.compare_and_swap(1, 3));
  EXPECT_EQ(v.load(), 3);
}

TEST(AtomicValueTest, VisitSeesTheValueWithoutCopying) {
  AtomicValue<Tracked> v(Tracked(4));
  const int before = Tracked::alive.load();
  const int twice = v.visit([](const Tracked* t) { return t->twice; });
  EXPECT_EQ(twice, 8);
  EXPECT_EQ(Tracked::alive.load(), before) << "visit made no copy";
}

// Replaced values are freed once nobody can read them — at once here, since
// no reader is inside a read section — and the destructor frees the rest.
TEST(AtomicValueTest, ReplacedValuesAreFreed) {
  const int base = Tracked::alive.load();
  {
    AtomicValue<Tracked> v;
    for (int i = 0; i < 100; ++i) v.store(Tracked(i));
    EXPECT_EQ(v.retired_count(), 0u);
    EXPECT_EQ(Tracked::alive.load(), base + 1);
    EXPECT_TRUE(v.compare_and_swap(Tracked(99), Tracked(100)));
    EXPECT_EQ(Tracked::alive.load(), base + 1);
  }
  EXPECT_EQ(Tracked::alive.load(), base);
}

// A reader inside a read section keeps every value replaced after it entered
// alive; when it leaves, they can be freed (reclaim/synchronize).
TEST(AtomicValueTest, AReaderInsideASectionHoldsReplacedValues) {
  const int base = Tracked::alive.load();
  AtomicValue<Tracked> v(Tracked(0));
  std::latch entered(1);
  std::latch leave(1);
  int seen = -1;
  std::thread reader([&] {
    EpochGuard section;
    v.visit([&](const Tracked* t) { seen = t->value; });
    entered.count_down();
    leave.wait();
  });
  entered.wait();
  for (int i = 1; i <= 10; ++i) v.store(Tracked(i));
  EXPECT_EQ(v.retired_count(), 10u) << "the reader may still hold any of them";
  EXPECT_EQ(Tracked::alive.load(), base + 11);
  leave.count_down();
  reader.join();
  v.synchronize();
  EXPECT_EQ(v.retired_count(), 0u);
  EXPECT_EQ(Tracked::alive.load(), base + 1);
  EXPECT_EQ(seen, 0);
  EXPECT_EQ(v.load()->value, 10);
}

TEST(AtomicValueTest, SynchronizeInsideAReadSectionThrows) {
  AtomicValue<int> v(1);
  EpochGuard section;
  EXPECT_TRUE(in_read_section());
  try {
    v.synchronize();
    FAIL() << "no exception";
  } catch (const SyncPanic& e) {
    EXPECT_STREQ(e.what(), kSynchronizeInReadSection);
  }
}

// synchronize() waits for a reader that is inside a section, and returns
// once it left.
TEST(AtomicValueTest, SynchronizeWaitsForTheReader) {
  AtomicValue<Tracked> v(Tracked(1));
  std::latch entered(1);
  std::atomic<bool> leave{false};
  std::atomic<bool> left{false};
  std::thread reader([&] {
    {
      EpochGuard section;
      entered.count_down();
      while (!leave.load()) std::this_thread::yield();
      left = true;
    }
  });
  entered.wait();
  v.store(Tracked(2));
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    leave = true;
  });
  v.synchronize();
  EXPECT_TRUE(left.load()) << "synchronize returned while the reader was inside";
  EXPECT_EQ(v.retired_count(), 0u);
  releaser.join();
  reader.join();
}

// Stress: writers store pairs (v, 2v); readers check every value they load
// is consistent (a torn or freed value would fail, and ThreadSanitizer would
// report the race or the use after free). The overlap is enforced, not
// hoped for: the writers start only after every reader has loaded once, and
// keep storing until the readers have done kReaders more loads since then
// (a reader may be descheduled for the writers' whole run otherwise).
TEST(AtomicValueTest, StressStoresAndLoads) {
  constexpr int kWriters = 2;
  constexpr int kReaders = 3;
  constexpr int kStores = 3000;
  AtomicValue<Tracked> v(Tracked(0));
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::atomic<long long> loads{0};
  std::latch readers_started(kReaders);
  std::vector<std::thread> threads;
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&] {
      bool first = true;
      do {
        std::optional<Tracked> t = v.load();
        if (!t || t->twice != 2 * t->value) bad.fetch_add(1);
        v.visit([&](const Tracked* p) {
          if (p == nullptr || p->twice != 2 * p->value) bad.fetch_add(1);
        });
        loads.fetch_add(1, std::memory_order_relaxed);
        if (first) {
          readers_started.count_down();
          first = false;
        }
      } while (!stop.load(std::memory_order_relaxed));
    });
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      readers_started.wait();
      const long long loads_at_start = loads.load(std::memory_order_relaxed);
      for (int i = 0;
           i < kStores || loads.load(std::memory_order_relaxed) < loads_at_start + kReaders; ++i) {
        if (i % 3 == 0) {
          v.swap(Tracked(w * kStores + i));
        } else {
          v.store(Tracked(w * kStores + i));
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GE(loads.load(), 2 * kReaders)
      << "one load per reader before the writers, kReaders during";
}

// Stress: compare_and_swap as an atomic increment; no increment is lost.
TEST(AtomicValueTest, StressCompareAndSwapIncrements) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 500;
  AtomicValue<long long> v(0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < kIncrements; ++k) {
        for (;;) {
          const long long cur = *v.load();
          if (v.compare_and_swap(cur, cur + 1)) break;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(v.load(), static_cast<long long>(kThreads) * kIncrements);
  v.synchronize();
  EXPECT_EQ(v.retired_count(), 0u);
}

}  // namespace
}  // namespace syncscope
