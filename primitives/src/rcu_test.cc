// Tests of syncscope::Rcu and the epoch domain: snapshots stay valid and
// unchanged across updates, locked writers lose no update, one lock-free
// writer with wait-free readers, reclamation (held while a reader is inside,
// freed after), synchronize(), exceptions in update, nested sections,
// recycling of per-thread records, and reads from thread-exit destructors.
// Correctness only.
#include <syncscope/rcu.h>

#include <gtest/gtest.h>
#include <syncscope/panic.h>

#include <atomic>
#include <latch>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace syncscope {
namespace {

static_assert(!std::is_copy_constructible_v<Rcu<int>> && !std::is_move_constructible_v<Rcu<int>>);

struct Tracked {
  static inline std::atomic<int> alive{0};
  explicit Tracked(int v) : value(v) { alive.fetch_add(1); }
  Tracked(const Tracked& o) : value(o.value) { alive.fetch_add(1); }
  Tracked& operator=(const Tracked&) = default;
  ~Tracked() { alive.fetch_sub(1); }
  int value;
};

TEST(RcuTest, ReadSeesTheLatestPublishedCopy) {
  Rcu<std::string> r("v1");
  EXPECT_EQ(r.load(), "v1");
  r.store("v2");
  EXPECT_EQ(*r.read(), "v2");
  r.update([](std::string& s) { s += "+"; });
  EXPECT_EQ(r.read([](const std::string& s) { return s.size(); }), 3u);
  r.store_single_writer("v3");
  r.update_single_writer([](std::string& s) { s += "!"; });
  EXPECT_EQ(r.load(), "v3!");
  Rcu<std::vector<int>> in_place(std::in_place, 3, 7);
  EXPECT_EQ(in_place.read()->size(), 3u);
}

// A reader's snapshot stays valid and unchanged while writers publish new
// copies; a new read sees the new copy.
TEST(RcuTest, SnapshotIsStableAcrossUpdates) {
  Rcu<std::map<std::string, int>> routes(std::map<std::string, int>{{"a", 1}});
  auto snapshot = routes.read();
  std::thread writer([&] {
    for (int i = 0; i < 10; ++i) routes.update([i](auto& m) { m["a"] = 100 + i; });
  });
  writer.join();
  EXPECT_EQ(snapshot->at("a"), 1);
  EXPECT_EQ(snapshot->size(), 1u);
  EXPECT_EQ(routes.read()->at("a"), 109);
}

TEST(RcuTest, ThrowingUpdatePublishesNothing) {
  Rcu<int> r(1);
  EXPECT_THROW(r.update([](int& v) {
    v = 99;
    throw std::runtime_error("abort");
  }),
               std::runtime_error);
  EXPECT_EQ(r.load(), 1);
  EXPECT_EQ(r.retired_count(), 0u);
}

// Several writers behind the lock: no update is lost.
TEST(RcuTest, LockedWritersLoseNoUpdate) {
  constexpr int kWriters = 4;
  constexpr int kUpdates = 300;
  Rcu<long long> counter(0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < kUpdates; ++k) counter.update([](long long& v) { ++v; });
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter.load(), static_cast<long long>(kWriters) * kUpdates);
}

// One lock-free writer, wait-free readers: every snapshot a reader sees is
// internally consistent (all entries equal) and never older than the one
// before it.
TEST(RcuTest, SingleWriterWithConcurrentReaders) {
  constexpr int kUpdates = 3000;
  constexpr int kReaders = 3;
  Rcu<std::vector<int>> data(std::vector<int>(16, 0));
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      int last = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        auto g = data.read();
        const int first = g->front();
        for (int x : *g) {
          if (x != first) bad.fetch_add(1);
        }
        if (first < last) bad.fetch_add(1);
        last = first;
      }
    });
  }
  std::thread writer([&] {
    for (int i = 1; i <= kUpdates; ++i) {
      data.update_single_writer([i](std::vector<int>& v) {
        for (int& x : v) x = i;
      });
    }
  });
  writer.join();
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(data.read()->back(), kUpdates);
}

// Reclamation: copies replaced while a reader is inside its section are kept
// (it might hold any of them); after it leaves, synchronize() frees them.
// Without readers, writers free replaced copies immediately.
TEST(RcuTest, ReplacedCopiesAreFreedAfterTheGracePeriod) {
  const int base = Tracked::alive.load();
  {
    Rcu<Tracked> r(Tracked(0));
    for (int i = 1; i <= 5; ++i) r.store(Tracked(i));
    EXPECT_EQ(r.retired_count(), 0u);
    EXPECT_EQ(Tracked::alive.load(), base + 1);

    std::latch entered(1);
    std::latch leave(1);
    int seen = -1;
    std::thread reader([&] {
      auto g = r.read();
      seen = g->value;
      entered.count_down();
      leave.wait();
      seen += g->value;  // still valid: 5 + 5
    });
    entered.wait();
    for (int i = 6; i <= 9; ++i) r.store(Tracked(i));
    EXPECT_EQ(r.retired_count(), 4u);
    EXPECT_EQ(Tracked::alive.load(), base + 5);
    leave.count_down();
    reader.join();
    r.synchronize();
    EXPECT_EQ(r.retired_count(), 0u);
    EXPECT_EQ(Tracked::alive.load(), base + 1);
    EXPECT_EQ(seen, 10);
  }
  EXPECT_EQ(Tracked::alive.load(), base);
}

TEST(RcuTest, SynchronizeInsideAReadSectionThrows) {
  Rcu<int> r(1);
  auto g = r.read();
  EXPECT_THROW(r.synchronize(), SyncPanic);
}

TEST(RcuTest, NestedSectionsLeaveOnlyAtTheOutermost) {
  EXPECT_FALSE(in_read_section());
  {
    EpochGuard outer;
    {
      EpochGuard inner;
      EXPECT_TRUE(in_read_section());
    }
    EXPECT_TRUE(in_read_section());
  }
  EXPECT_FALSE(in_read_section());
}

// Per-thread records are recycled: threads that come and go one after the
// other do not make the record list grow.
TEST(RcuTest, ExitedThreadsRecycleTheirRecords) {
  Rcu<int> r(1);
  std::thread([&] { (void)r.load(); }).join();
  const uint32_t records = detail::epoch_record_count();
  for (int i = 0; i < 40; ++i) {
    std::thread([&] { EXPECT_EQ(r.load(), 1); }).join();
  }
  EXPECT_EQ(detail::epoch_record_count(), records);
}

// A thread_local destructor that reads an Rcu after the thread's own epoch
// record was given back (it was constructed before the thread's first read
// section, so it is destroyed after): the read borrows a record.
struct ReadAtThreadExit {
  Rcu<int>* rcu = nullptr;
  int* out = nullptr;
  ~ReadAtThreadExit() {
    if (rcu != nullptr) *out = rcu->load();
  }
};

TEST(RcuTest, ReadsDuringThreadExitBorrowARecord) {
  Rcu<int> r(42);
  int seen = 0;
  std::thread([&] {
    thread_local ReadAtThreadExit reader;  // constructed first, destroyed last
    reader.rcu = &r;
    reader.out = &seen;
    EXPECT_EQ(r.load(), 42);  // registers the thread's record afterwards
  }).join();
  EXPECT_EQ(seen, 42);
  EXPECT_FALSE(in_read_section());
}

// Stress: locked writers, lock-free readers, reclamation all the time.
TEST(RcuTest, StressWritersAndReaders) {
  const int base = Tracked::alive.load();
  {
    Rcu<Tracked> r(Tracked(0));
    std::atomic<bool> stop{false};
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
      threads.emplace_back([&] {
        int last = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          const int v = r.read([](const Tracked& t) { return t.value; });
          if (v < last) bad.fetch_add(1);
          last = v;
        }
      });
    }
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; ++w) {
      writers.emplace_back([&] {
        for (int k = 0; k < 1000; ++k) r.update([](Tracked& t) { ++t.value; });
      });
    }
    for (auto& t : writers) t.join();
    stop = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_EQ(r.load().value, 2000);
    r.synchronize();
    EXPECT_EQ(Tracked::alive.load(), base + 1);
  }
  EXPECT_EQ(Tracked::alive.load(), base);
}

}  // namespace
}  // namespace syncscope
