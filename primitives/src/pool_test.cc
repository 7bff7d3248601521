// Tests of syncscope::Pool / InstrumentedPool and the deque underneath:
// single-thread reuse (private slot, then own deque, LIFO), New when empty,
// the victim cache surviving one trim and not two, stealing from another
// thread's deque (FIFO from its cold end), the go#23199 size cap, retained
// bytes, puts during thread exit, chain growth and retirement of drained
// deques, the PoolDequeue's owner/thief race for the last element, and a
// many-thread stress run with concurrent trims in which no object is lost
// or handed out twice. Correctness only.
#include <syncscope/pool.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <type_traits>
#include <vector>

namespace syncscope {
namespace {

static_assert(!std::is_copy_constructible_v<Pool<int>> && !std::is_move_constructible_v<Pool<int>>,
              "Go: a Pool must not be copied after first use");

// Counts live objects; `in_use` catches an object handed out twice.
struct Obj {
  static inline std::atomic<int64_t> alive{0};
  explicit Obj(int i = 0, std::size_t bytes = 0) : id(i), buffer(bytes) { alive.fetch_add(1); }
  ~Obj() { alive.fetch_sub(1); }
  Obj(const Obj&) = delete;
  Obj& operator=(const Obj&) = delete;
  int id;
  std::vector<unsigned char> buffer;
  std::atomic<bool> in_use{false};
};

// Makes the calling thread enter the epoch domain, so it owns a thread
// index before the test starts other threads (indices are per thread).
void adopt_thread_index() { EpochGuard g; }

TEST(PoolTest, GetOnAnEmptyPoolWithoutNewReturnsNull) {
  Pool<Obj> pool;
  EXPECT_EQ(pool.get(), nullptr);
  pool.put(nullptr);  // Go: Put(nil) is a no-op
  EXPECT_EQ(pool.get(), nullptr);
  EXPECT_EQ(pool.retained_approx(), 0u);
}

TEST(PoolTest, NewIsCalledWhenEmpty) {
  int made = 0;
  InstrumentedPool<Obj> pool([&] { return std::make_unique<Obj>(++made); });
  std::unique_ptr<Obj> a = pool.get();
  std::unique_ptr<Obj> b = pool.get();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(made, 2);
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.gets, 2u);
  EXPECT_EQ(s.news, 2u);
  EXPECT_EQ(s.hits, 0u);
  EXPECT_EQ(s.misses, 2u);
}

// One thread: the first object put goes to the private slot, later ones to
// the thread's own deque; get() takes the private one first, then the most
// recently put (LIFO: the warmest).
TEST(PoolTest, SingleThreadReuseOrder) {
  InstrumentedPool<Obj> pool;
  auto a = std::make_unique<Obj>(1);
  auto b = std::make_unique<Obj>(2);
  auto c = std::make_unique<Obj>(3);
  Obj* pa = a.get();
  Obj* pb = b.get();
  Obj* pc = c.get();
  pool.put(std::move(a));
  pool.put(std::move(b));
  pool.put(std::move(c));
  EXPECT_EQ(pool.retained_approx(), 3u);
  EXPECT_EQ(pool.get().get(), pa);  // these unique_ptrs die at once: fine
  std::unique_ptr<Obj> second = pool.get();
  std::unique_ptr<Obj> third = pool.get();
  EXPECT_EQ(second.get(), pc);
  EXPECT_EQ(third.get(), pb);
  EXPECT_EQ(pool.get(), nullptr);
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.puts, 3u);
  EXPECT_EQ(s.private_hits, 1u);
  EXPECT_EQ(s.shared_hits, 2u);
  EXPECT_EQ(s.hits, 3u);
  EXPECT_EQ(s.retained_objects, 0u);
}

// Go's victim cache: an object survives one trim (found in the victim) and
// is freed by the second.
TEST(PoolTest, VictimSurvivesOneTrimButNotTwo) {
  const int64_t base = Obj::alive.load();
  InstrumentedPool<Obj> pool([] { return std::make_unique<Obj>(-1); });
  auto x = std::make_unique<Obj>(7);
  Obj* px = x.get();
  pool.put(std::move(x));
  EXPECT_EQ(pool.trim(), 0u) << "nothing freed by the first trim";
  std::unique_ptr<Obj> got = pool.get();
  EXPECT_EQ(got.get(), px) << "found in the victim cache";
  EXPECT_EQ(pool.stats().victim_hits, 1u);

  pool.put(std::move(got));
  EXPECT_EQ(pool.trim(), 0u);
  EXPECT_EQ(Obj::alive.load(), base + 1) << "survives one trim";
  EXPECT_EQ(pool.trim(), 1u) << "freed by the second";
  EXPECT_EQ(Obj::alive.load(), base);
  std::unique_ptr<Obj> fresh = pool.get();
  EXPECT_EQ(fresh->id, -1) << "New, since the pool is empty";
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.trims, 3u);
  EXPECT_EQ(s.trimmed, 1u);
  EXPECT_EQ(s.news, 1u);
}

// A steady user keeps its objects across trims: what it gets from the
// victim, it puts back into the primary.
TEST(PoolTest, SteadyUseKeepsObjectsAcrossTrims) {
  const int64_t base = Obj::alive.load();
  int made = 0;
  InstrumentedPool<Obj> pool([&] { return std::make_unique<Obj>(++made); });
  for (int round = 0; round < 10; ++round) {
    std::unique_ptr<Obj> o = pool.get();
    pool.put(std::move(o));
    pool.trim();
  }
  EXPECT_EQ(made, 1);
  EXPECT_EQ(Obj::alive.load(), base + 1);
}

// Stealing: another thread's deque is emptied from its tail (oldest first);
// its private slot is not stealable (Go's rule). The stealer's own local is
// empty.
TEST(PoolTest, StealsFromAnotherThreadsDequeOldestFirst) {
  adopt_thread_index();
  InstrumentedPool<Obj> pool;
  std::vector<Obj*> put_order;
  std::thread owner([&] {
    for (int i = 0; i < 4; ++i) {
      auto o = std::make_unique<Obj>(i);
      put_order.push_back(o.get());
      pool.put(std::move(o));
    }
  });
  owner.join();
  // put_order[0] sits in the owner's private slot; 1, 2, 3 in its deque.
  std::unique_ptr<Obj> s1 = pool.get();
  std::unique_ptr<Obj> s2 = pool.get();
  std::unique_ptr<Obj> s3 = pool.get();
  EXPECT_EQ(s1.get(), put_order[1]);
  EXPECT_EQ(s2.get(), put_order[2]);
  EXPECT_EQ(s3.get(), put_order[3]);
  EXPECT_EQ(pool.get(), nullptr) << "the private slot is not stolen";
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.steals, 3u);
  EXPECT_EQ(s.retained_objects, 1u);
  EXPECT_EQ(pool.retained_approx(), 1u);
}

// The go#23199 cap: objects above max_size are dropped on put(), smaller
// ones are kept; retained_bytes counts what is kept.
TEST(PoolTest, SizeCapDropsOversizedObjects) {
  const int64_t base = Obj::alive.load();
  PoolOptions<Obj> opts;
  opts.new_fn = [] { return std::make_unique<Obj>(0, 16); };
  opts.size_of = [](const Obj& o) { return o.buffer.capacity(); };
  opts.max_size = 1024;
  InstrumentedPool<Obj> pool(opts);
  EXPECT_EQ(pool.max_size(), 1024u);
  pool.put(std::make_unique<Obj>(1, 64 * 1024));  // a huge request's buffer
  EXPECT_EQ(Obj::alive.load(), base) << "dropped, not retained";
  pool.put(std::make_unique<Obj>(2, 512));
  pool.put(std::make_unique<Obj>(3, 1024));
  EXPECT_EQ(Obj::alive.load(), base + 2);
  PoolStats s = pool.stats();
  EXPECT_EQ(s.dropped_oversize, 1u);
  EXPECT_EQ(s.puts, 2u);
  EXPECT_EQ(s.retained_objects, 2u);
  EXPECT_EQ(s.retained_bytes, 512u + 1024u);

  std::unique_ptr<Obj> got = pool.get();
  s = pool.stats();
  EXPECT_EQ(s.retained_bytes, 1024u + 512u - got->buffer.capacity());
  pool.trim();
  pool.trim();
  s = pool.stats();
  EXPECT_EQ(s.retained_objects, 0u);
  EXPECT_EQ(s.retained_bytes, 0u);
}

// Without the cap, the same pool keeps the huge object (the leak go#23199
// describes).
TEST(PoolTest, WithoutTheCapHugeObjectsAreRetained) {
  PoolOptions<Obj> opts;
  opts.size_of = [](const Obj& o) { return o.buffer.capacity(); };
  InstrumentedPool<Obj> pool(opts);
  pool.put(std::make_unique<Obj>(1, 64 * 1024));
  EXPECT_EQ(pool.stats().retained_bytes, 64u * 1024u);
  EXPECT_EQ(pool.stats().dropped_oversize, 0u);
}

// A put() from a thread_local destructor after the thread's index was given
// back: there is no local to keep it in, so the object is destroyed (not
// leaked).
struct PutAtThreadExit {
  InstrumentedPool<Obj>* pool = nullptr;
  ~PutAtThreadExit() {
    if (pool != nullptr) pool->put(std::make_unique<Obj>(99));
  }
};

TEST(PoolTest, PutDuringThreadExitDestroysTheObject) {
  const int64_t base = Obj::alive.load();
  InstrumentedPool<Obj> pool;
  std::thread([&] {
    thread_local PutAtThreadExit at_exit;  // destroyed after the thread's index is released
    at_exit.pool = &pool;
    pool.put(std::make_unique<Obj>(1));  // the thread's first section
  }).join();
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.dropped_exiting, 1u);
  EXPECT_EQ(s.puts, 1u);
  EXPECT_EQ(Obj::alive.load(), base + 1);
}

// Chain growth: one thread puts enough objects to grow its chain through
// several deques (8, 16, 32, ...); another thread steals them all, which
// unlinks and retires the drained deques. Every object comes out once.
TEST(PoolTest, ChainGrowsAndDrainedDequesAreRetired) {
  constexpr int kObjects = 1000;
  const int64_t base = Obj::alive.load();
  adopt_thread_index();
  {
    InstrumentedPool<Obj> pool;
    std::thread owner([&] {
      for (int i = 0; i < kObjects; ++i) pool.put(std::make_unique<Obj>(i));
    });
    owner.join();
    EXPECT_EQ(pool.retained_approx(), static_cast<std::size_t>(kObjects));
    std::set<int> ids;
    while (std::unique_ptr<Obj> o = pool.get()) ids.insert(o->id);
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kObjects - 1)) << "all but the private one";
    EXPECT_EQ(ids.count(0), 0u) << "object 0 sits in the owner's private slot";
    EXPECT_EQ(pool.stats().steals, static_cast<uint64_t>(kObjects - 1));
    EXPECT_EQ(Obj::alive.load(), base + 1);
  }
  EXPECT_EQ(Obj::alive.load(), base) << "the destructor frees the rest";
}

// The packed head/tail word: the owner's pop_head and a thief's pop_tail
// racing for the last element — exactly one of them gets it.
TEST(PoolDequeueTest, OwnerAndThiefRaceForTheLastElement) {
  for (int round = 0; round < 2000; ++round) {
    detail::PoolDequeue<int> d(8);
    int value = round;
    ASSERT_TRUE(d.push_head(&value));
    std::atomic<int*> thief_got{nullptr};
    std::thread thief([&] { thief_got = d.pop_tail(); });
    int* owner_got = d.pop_head();
    thief.join();
    EXPECT_NE(owner_got == nullptr, thief_got.load() == nullptr) << "round " << round;
    EXPECT_EQ(owner_got != nullptr ? owner_got : thief_got.load(), &value);
    EXPECT_EQ(d.count_approx(), 0u);
  }
}

TEST(PoolDequeueTest, FullEmptyAndOrder) {
  detail::PoolDequeue<int> d(4);
  int v[5] = {0, 1, 2, 3, 4};
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(d.push_head(&v[i]));
  EXPECT_FALSE(d.push_head(&v[4])) << "full";
  EXPECT_EQ(d.pop_tail(), &v[0]) << "tail: oldest";
  EXPECT_EQ(d.pop_head(), &v[3]) << "head: newest";
  ASSERT_TRUE(d.push_head(&v[4]));
  EXPECT_EQ(d.pop_tail(), &v[1]);
  EXPECT_EQ(d.pop_tail(), &v[2]);
  EXPECT_EQ(d.pop_tail(), &v[4]);
  EXPECT_EQ(d.pop_tail(), nullptr);
  EXPECT_EQ(d.pop_head(), nullptr);
}

// Stress: threads get and put at random, hold objects for a while, and a
// trimmer trims concurrently. No object is ever handed to two holders at
// once (in_use), none is lost or leaked: at the end every object made is
// either freed by a trim or still in the pool, and the destructor frees the
// rest.
template <class P>
void stress_pool() {
  constexpr int kThreads = 4;
  constexpr int kOps = 4000;
  const int64_t base = Obj::alive.load();
  std::atomic<int64_t> made{0};
  std::atomic<int> duplicates{0};
  {
    P pool([&] {
      made.fetch_add(1);
      return std::make_unique<Obj>();
    });
    std::atomic<bool> stop{false};
    std::thread trimmer([&] {
      while (!stop.load()) {
        pool.trim();
        std::this_thread::yield();
      }
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937 rng(1234 + t);
        std::vector<std::unique_ptr<Obj>> held;
        for (int i = 0; i < kOps; ++i) {
          if (held.empty() || (held.size() < 8 && rng() % 2 == 0)) {
            std::unique_ptr<Obj> o = pool.get();
            if (o->in_use.exchange(true)) duplicates.fetch_add(1);
            held.push_back(std::move(o));
          } else {
            std::unique_ptr<Obj> o = std::move(held.back());
            held.pop_back();
            o->in_use.store(false);
            pool.put(std::move(o));
          }
        }
        for (auto& o : held) {
          o->in_use.store(false);
          pool.put(std::move(o));
        }
      });
    }
    for (auto& t : threads) t.join();
    stop = true;
    trimmer.join();
    pool.synchronize();  // frees a generation a trim had to leave retired
    EXPECT_EQ(duplicates.load(), 0);
    EXPECT_EQ(static_cast<int64_t>(pool.retained_approx()), Obj::alive.load() - base)
        << "every live object is in the pool";
    if constexpr (std::is_same_v<P, InstrumentedPool<Obj>>) {
      const PoolStats s = pool.stats();
      EXPECT_EQ(s.news, static_cast<uint64_t>(made.load()));
      EXPECT_EQ(static_cast<int64_t>(s.retained_objects), Obj::alive.load() - base);
      EXPECT_EQ(s.gets, s.hits + s.news);
      EXPECT_EQ(static_cast<int64_t>(s.trimmed + s.retained_objects), made.load());
    }
  }
  EXPECT_EQ(Obj::alive.load(), base) << "the destructor freed everything";
}

TEST(PoolTest, StressNoObjectLostOrDuplicatedInstrumented) { stress_pool<InstrumentedPool<Obj>>(); }

TEST(PoolTest, StressNoObjectLostOrDuplicatedPlain) { stress_pool<Pool<Obj>>(); }

}  // namespace
}  // namespace syncscope
