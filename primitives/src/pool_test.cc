// Tests of syncscope::Pool / InstrumentedPool and the deque underneath:
// single-thread reuse (private slot, then own deque, LIFO), New when empty,
// the victim cache surviving one trim and not two, stealing from another
// thread's deque (FIFO from its cold end), the go#23199 size cap, retained
// bytes, puts during thread exit, chain growth and retirement of drained
// deques, the PoolDequeue's owner/thief race for the last element, and a
// many-thread stress run with concurrent trims in which no object is lost
// or handed out twice. The fast path's machinery, with both fence
// flavours (membarrier where the kernel offers it, full fences): a trim
// invalidates the cached binding, bindings never leak between pools (same
// address, shared cache ways), a thread that exits leaves its slot and
// private object to the next owner of its index, and trims racing tight
// get/put loops lose or duplicate nothing. Correctness only.
#include <syncscope/pool.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
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

// ---------------------------------------------------------------- fast path

constexpr PoolFences kBothFences[] = {PoolFences::kAsymmetricIfAvailable, PoolFences::kSymmetric};

std::string fences_name(PoolFences f) {
  return f == PoolFences::kSymmetric ? "symmetric" : "asymmetric-if-available";
}

template <class P>
P make_pool(PoolFences fences, std::function<std::unique_ptr<Obj>()> new_fn = {}) {
  PoolOptions<Obj> o;
  o.new_fn = std::move(new_fn);
  o.fences = fences;
  return P(std::move(o));
}

// The flavour a pool reports follows the option and the run-time probe
// (never membarrier under ThreadSanitizer). Prints which one this machine
// (or emulator) gives, so a test log shows which path the other tests ran.
TEST(PoolFastPathTest, FenceFlavourFollowsOptionAndProbe) {
  Pool<Obj> symmetric = make_pool<Pool<Obj>>(PoolFences::kSymmetric);
  Pool<Obj> preferred = make_pool<Pool<Obj>>(PoolFences::kAsymmetricIfAvailable);
  EXPECT_FALSE(symmetric.asymmetric_fences());
  EXPECT_EQ(preferred.asymmetric_fences(), detail::pool_membarrier_available());
#if SYNCSCOPE_TSAN
  EXPECT_FALSE(detail::pool_membarrier_available()) << "TSan cannot see membarrier";
#endif
  std::printf("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED): %s\n",
              detail::pool_membarrier_available() ? "available (asymmetric fences)"
                                                  : "unavailable (symmetric fallback)");
}

// A trim changes the primary's stamp: the binding the thread cached for the
// old primary must not be used again (the object is found in the victim,
// through the slow path), and once that generation is freed a stale binding
// must not reach it.
void generation_change_invalidates_binding(PoolFences fences) {
  SCOPED_TRACE(fences_name(fences));
  const int64_t base = Obj::alive.load();
  auto pool = make_pool<InstrumentedPool<Obj>>(fences);
  auto a = std::make_unique<Obj>(1);
  Obj* pa = a.get();
  pool.put(std::move(a));              // slow path: binds the primary
  std::unique_ptr<Obj> got = pool.get();  // fast path
  EXPECT_EQ(got.get(), pa);
  EXPECT_EQ(pool.stats().private_hits, 1u);
  pool.put(std::move(got));  // fast path: private slot of the primary

  pool.trim();  // primary -> victim: the binding is stale now
  got = pool.get();
  EXPECT_EQ(got.get(), pa);
  EXPECT_EQ(pool.stats().victim_hits, 1u) << "found in the victim, not through the stale binding";
  EXPECT_EQ(pool.stats().private_hits, 1u);

  pool.put(std::move(got));  // slow path: rebinds to the new primary
  got = pool.get();
  EXPECT_EQ(got.get(), pa);
  EXPECT_EQ(pool.stats().private_hits, 2u) << "fast path again after rebinding";

  pool.put(std::move(got));  // fast path
  pool.trim();
  EXPECT_EQ(pool.trim(), 1u) << "the second trim frees the generation the binding pointed into";
  EXPECT_EQ(Obj::alive.load(), base);
  EXPECT_EQ(pool.get(), nullptr) << "nothing reached through the freed generation";
  auto b = std::make_unique<Obj>(2);
  Obj* pb = b.get();
  pool.put(std::move(b));
  EXPECT_EQ(pool.get().get(), pb);
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.trims, 3u);
  EXPECT_EQ(s.trimmed, 1u);
  EXPECT_EQ(s.gets, s.hits + 1) << "one miss (the empty pool), no New";
}

TEST(PoolFastPathTest, GenerationChangeInvalidatesCachedBinding) {
  for (PoolFences f : kBothFences) generation_change_invalidates_binding(f);
}

// Stamps are unique per process: a pool built where a destroyed one lived
// (same address, same cache way) does not inherit the old pool's bindings.
TEST(PoolFastPathTest, PoolAtAReusedAddressDoesNotSeeOldBindings) {
  const int64_t base = Obj::alive.load();
  std::optional<Pool<Obj>> pool;
  pool.emplace();
  const void* first_address = &*pool;
  pool->put(std::make_unique<Obj>(1));
  pool->put(std::make_unique<Obj>(2));
  std::unique_ptr<Obj> x = pool->get();  // fast path: the binding is live
  pool->put(std::move(x));
  pool.reset();  // frees both objects; the thread's binding stays behind
  EXPECT_EQ(Obj::alive.load(), base);
  pool.emplace();
  EXPECT_EQ(static_cast<const void*>(&*pool), first_address) << "std::optional reuses its storage";
  EXPECT_EQ(pool->get(), nullptr) << "an empty pool: no object of the old one";
  EXPECT_EQ(pool->retained_approx(), 0u);
  pool->put(std::make_unique<Obj>(3));
  EXPECT_EQ(pool->get()->id, 3);
}

// More pools than cache ways, used in turn by one thread: pools that share a
// way evict each other's binding (slow path), and no object ever crosses
// to another pool.
TEST(PoolFastPathTest, PoolsSharingCacheWaysKeepTheirOwnObjects) {
  constexpr int kPools = 3 * static_cast<int>(detail::kPoolCacheWays) + 1;
  std::vector<std::unique_ptr<Pool<Obj>>> pools;
  for (int i = 0; i < kPools; ++i) pools.push_back(std::make_unique<Pool<Obj>>());
  for (int i = 0; i < kPools; ++i) pools[i]->put(std::make_unique<Obj>(i));
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < kPools; ++i) {
      std::unique_ptr<Obj> o = pools[i]->get();
      ASSERT_NE(o, nullptr) << "pool " << i << " round " << round;
      EXPECT_EQ(o->id, i) << "round " << round;
      pools[i]->put(std::move(o));
    }
    if (round == 2) {
      for (int i = 0; i < kPools; i += 2) pools[i]->trim();  // half of them change stamp
    }
  }
  for (int i = 0; i < kPools; ++i) EXPECT_EQ(pools[i]->retained_approx(), 1u) << "pool " << i;
}

// A thread that exits releases its slot: trim() does not wait for it, and
// its private object (now in the victim) goes to the next thread that
// adopts the same thread index — through that thread's own, fresh binding.
void exited_thread_releases_slot(PoolFences fences) {
  SCOPED_TRACE(fences_name(fences));
  adopt_thread_index();
  auto pool = make_pool<InstrumentedPool<Obj>>(fences);
  auto x = std::make_unique<Obj>(42);
  Obj* px = x.get();
  int64_t exited_index = -1;
  std::thread([&] {
    {
      EpochGuard g;
      exited_index = detail::epoch_thread_index();
    }
    pool.put(std::move(x));        // slow path: binds, private slot
    std::unique_ptr<Obj> o = pool.get();  // fast path
    pool.put(std::move(o));        // fast path: private slot again
  }).join();
  ASSERT_GE(exited_index, 0);
  pool.trim();  // must not wait for the exited thread
  EXPECT_EQ(pool.retained_approx(), 1u) << "the object is in the victim";

  // Start threads (each holding its index) until one adopts the exited
  // thread's index: records are taken first-free from the list head, so
  // this ends within epoch_record_count() threads.
  std::atomic<bool> release{false};
  std::vector<std::thread> holders;
  Obj* inherited = nullptr;
  uint64_t private_after = 0;
  const uint32_t limit = detail::epoch_record_count() + 2;
  bool found = false;
  for (uint32_t i = 0; i < limit && !found; ++i) {
    std::atomic<int> state{0};  // 1: other index, 2: done with the inherited local
    holders.emplace_back([&] {
      int64_t mine;
      {
        EpochGuard g;
        mine = detail::epoch_thread_index();
      }
      if (mine == exited_index) {
        std::unique_ptr<Obj> o = pool.get();  // slow path: the victim's private slot for this index
        inherited = o.get();
        pool.put(std::move(o));            // slow path: binds
        o = pool.get();                    // fast path
        pool.put(std::move(o));
        private_after = pool.stats().private_hits;
        state.store(2);
      } else {
        state.store(1);
      }
      while (!release.load()) std::this_thread::yield();
    });
    while (state.load() == 0) std::this_thread::yield();
    found = state.load() == 2;
  }
  release.store(true);
  for (auto& t : holders) t.join();
  ASSERT_TRUE(found) << "no thread adopted index " << exited_index;
  EXPECT_EQ(inherited, px) << "the new owner of the index found the exited thread's object";
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.victim_hits, 1u);
  EXPECT_EQ(private_after, 2u) << "one fast-path hit per owner";
  EXPECT_EQ(pool.retained_approx(), 1u);
}

TEST(PoolFastPathTest, ExitedThreadReleasesItsSlot) {
  for (PoolFences f : kBothFences) exited_thread_releases_slot(f);
}

// A put() from a thread_local destructor that runs *before* the pool's
// exit hook (it was constructed after the thread's first pool call): the
// thread still holds its index, so the object is kept.
struct PutEarlyAtThreadExit {
  InstrumentedPool<Obj>* pool = nullptr;
  ~PutEarlyAtThreadExit() {
    if (pool != nullptr) pool->put(std::make_unique<Obj>(98));
  }
};

TEST(PoolFastPathTest, PutFromAnEarlierThreadExitDestructorIsKept) {
  const int64_t base = Obj::alive.load();
  InstrumentedPool<Obj> pool;
  std::thread([&] {
    pool.put(std::make_unique<Obj>(1));  // binds: constructs the exit hook
    thread_local PutEarlyAtThreadExit at_exit;  // destroyed before the hook
    at_exit.pool = &pool;
  }).join();
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.dropped_exiting, 0u);
  EXPECT_EQ(s.puts, 2u);
  EXPECT_EQ(pool.retained_approx(), 2u);
  EXPECT_EQ(Obj::alive.load(), base + 2);
}

// Rotation while other threads get/put: each worker runs tight put/get
// pairs on the fast path (plus an occasional second object through the
// slow path) while a trimmer rotates generations as fast as it can; the
// workers keep going until they have done kPairs pairs each and seen
// kMinTrims trims, so the two really overlap. No object is ever held twice,
// none is lost: at the end every live object is in the pool or was freed,
// and the destructor frees the rest.
template <class P>
void rotation_stress(PoolFences fences) {
  SCOPED_TRACE(fences_name(fences));
  constexpr int kThreads = 3;
  constexpr int kPairs = 20000;
  constexpr int64_t kMinTrims = 200;
  const int64_t base = Obj::alive.load();
  std::atomic<int64_t> made{0};
  std::atomic<int> duplicates{0};
  std::atomic<int> nulls{0};
  {
    P pool = make_pool<P>(fences, [&] {
      made.fetch_add(1);
      return std::make_unique<Obj>();
    });
    std::atomic<bool> stop{false};
    std::atomic<int64_t> trims{0};
    std::thread trimmer([&] {
      while (!stop.load()) {
        pool.trim();
        trims.fetch_add(1);
      }
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::unique_ptr<Obj> o = pool.get();
        for (int i = 0; i < kPairs || trims.load(std::memory_order_relaxed) < kMinTrims; ++i) {
          o->in_use.store(false);
          pool.put(std::move(o));
          o = pool.get();
          if (o == nullptr) {
            nulls.fetch_add(1);
            return;
          }
          if (o->in_use.exchange(true)) duplicates.fetch_add(1);
          if ((i + t) % 64 == 0) {  // a second object: the deque and the slow path
            std::unique_ptr<Obj> extra = pool.get();
            if (extra->in_use.exchange(true)) duplicates.fetch_add(1);
            extra->in_use.store(false);
            pool.put(std::move(extra));
          }
        }
        o->in_use.store(false);
        pool.put(std::move(o));
      });
    }
    for (auto& th : threads) th.join();
    stop = true;
    trimmer.join();
    pool.synchronize();
    EXPECT_EQ(nulls.load(), 0);
    EXPECT_EQ(duplicates.load(), 0);
    EXPECT_GE(trims.load(), kMinTrims);
    EXPECT_EQ(static_cast<int64_t>(pool.retained_approx()), Obj::alive.load() - base)
        << "every live object is in the pool";
    if constexpr (std::is_same_v<P, InstrumentedPool<Obj>>) {
      const PoolStats s = pool.stats();
      EXPECT_EQ(s.news, static_cast<uint64_t>(made.load()));
      EXPECT_EQ(s.gets, s.hits + s.news);
      EXPECT_EQ(static_cast<int64_t>(s.trimmed + s.retained_objects), made.load());
      EXPECT_GT(s.private_hits, 0u);
    }
  }
  EXPECT_EQ(Obj::alive.load(), base) << "the destructor freed everything";
}

TEST(PoolFastPathTest, RotationWhileThreadsGetAndPutPlain) {
  for (PoolFences f : kBothFences) rotation_stress<Pool<Obj>>(f);
}

TEST(PoolFastPathTest, RotationWhileThreadsGetAndPutInstrumented) {
  for (PoolFences f : kBothFences) rotation_stress<InstrumentedPool<Obj>>(f);
}

}  // namespace
}  // namespace syncscope
