// Tests of syncscope::Pool / InstrumentedPool and the deque underneath:
// single-thread reuse (private slot, then the private batch and own deque,
// LIFO), the batch's moves to and from the chain kBatchMove at a time and
// its objects hidden from stealers, New when empty,
// the victim cache surviving one trim and not two, stealing from another
// thread's deque (FIFO from its cold end), the go#23199 size cap, retained
// bytes, puts during thread exit, chain growth and retirement of drained
// deques, the PoolDequeue's owner/thief race for the last element, and a
// many-thread stress run with concurrent trims in which no object is lost
// or handed out twice (holding few objects, and enough to move batches).
// The fast path's machinery: a trim invalidates the cached binding,
// bindings never leak between pools (same address, shared cache ways), a
// thread that exits leaves its slot and private object to the next owner of
// its index, another thread's private object is aged by its owner (victim
// after one trim, dropped after two) and not by trim(), and trims racing
// tight get/put loops — with idle stretches that let private objects age —
// lose, duplicate or free-while-held nothing.
// Correctness only.
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

// Counts live objects; `in_use` catches an object handed out twice, and
// `freed_in_use` one destroyed (by a trim, an aging owner or the pool)
// while a holder still had it.
struct Obj {
  static inline std::atomic<int64_t> alive{0};
  static inline std::atomic<int64_t> freed_in_use{0};
  explicit Obj(int i = 0, std::size_t bytes = 0) : id(i), buffer(bytes) { alive.fetch_add(1); }
  ~Obj() {
    if (in_use.load()) freed_in_use.fetch_add(1);
    alive.fetch_sub(1);
  }
  Obj(const Obj&) = delete;
  Obj& operator=(const Obj&) = delete;
  int id;
  std::vector<unsigned char> buffer;
  std::atomic<bool> in_use{false};
};

// Makes the calling thread enter the epoch domain, so it owns a thread
// index before the test starts other threads (indices are per thread).
void adopt_thread_index() { EpochGuard g; }

using Batch = InstrumentedPool<Obj>;
constexpr int kPrivateBatch = static_cast<int>(Batch::kPrivateBatch);
constexpr int kBatchMove = static_cast<int>(Batch::kBatchMove);
static_assert(Pool<Obj>::kPrivateBatch == Batch::kPrivateBatch, "one batch size for both flavours");

// Objects in a thread's shared chain after it put n objects into a pool
// where it held none (and got none): the first goes to the private slot,
// the next kPrivateBatch to the batch, and each put that finds the batch
// full moves its oldest kBatchMove to the chain first.
int chain_after_puts(int n) {
  const int beyond = n - 1 - kPrivateBatch;  // puts that found the batch full, or less
  if (beyond <= 0) return 0;
  return ((beyond - 1) / kBatchMove + 1) * kBatchMove;
}

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
// the private batch; get() takes the private one first, then the most
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

// The overflow path (get_shared/put_shared: the owner's chain reached
// through the Local cached in its slot): many objects beyond the private
// slot come back newest first, each counted once, then New; after a trim
// the cached Local is the old generation's and is not used — what is put
// then lands in the new primary (the next trim frees the first batch but
// not the second).
TEST(PoolTest, OverflowGoesThroughTheCurrentGenerationsChain) {
  const int64_t base = Obj::alive.load();
  InstrumentedPool<Obj> pool([] { return std::make_unique<Obj>(-1); });
  constexpr int kBatch = 100;
  std::vector<Obj*> first;
  for (int i = 0; i < kBatch; ++i) {
    auto o = std::make_unique<Obj>(i);
    first.push_back(o.get());
    pool.put(std::move(o));
  }
  EXPECT_EQ(pool.retained_approx(), static_cast<std::size_t>(kBatch));
  // Private holds the first; the rest come back from the batch and the
  // chain, newest first.
  std::vector<std::unique_ptr<Obj>> got;
  for (int i = 0; i < kBatch; ++i) got.push_back(pool.get());
  EXPECT_EQ(got[0].get(), first[0]);
  for (int i = 1; i < kBatch; ++i) EXPECT_EQ(got[i].get(), first[kBatch - i]) << i;
  EXPECT_EQ(pool.get()->id, -1) << "drained: New (this get found the chain empty)";
  PoolStats s = pool.stats();
  EXPECT_EQ(s.news, 1u);
  EXPECT_EQ(s.private_hits, 1u);
  EXPECT_EQ(s.shared_hits, static_cast<uint64_t>(kBatch - 1));
  EXPECT_EQ(s.puts, static_cast<uint64_t>(kBatch));

  for (auto& o : got) pool.put(std::move(o));  // generation 1
  pool.trim();                                 // 1 -> victim
  std::vector<Obj*> second;
  for (int i = 0; i < kBatch; ++i) {  // generation 2: not into 1's chain
    auto o = std::make_unique<Obj>(1000 + i);
    second.push_back(o.get());
    pool.put(std::move(o));
  }
  EXPECT_EQ(Obj::alive.load(), base + 2 * kBatch);
  EXPECT_EQ(pool.trim(), static_cast<std::size_t>(kBatch)) << "generation 1 freed, 2 kept";
  EXPECT_EQ(Obj::alive.load(), base + kBatch);
  std::set<Obj*> left;
  for (int i = 0; i < kBatch; ++i) {
    std::unique_ptr<Obj> o = pool.get();
    ASSERT_NE(o, nullptr) << i;
    left.insert(o.get());
    o.release();  // identity only; freed below through `second`
  }
  EXPECT_EQ(left, std::set<Obj*>(second.begin(), second.end()));
  for (Obj* p : second) delete p;
  EXPECT_EQ(Obj::alive.load(), base);
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
// its private slot (Go's rule) and its private batch are not stealable. The
// stealer's own local is empty.
TEST(PoolTest, StealsFromAnotherThreadsDequeOldestFirst) {
  adopt_thread_index();
  InstrumentedPool<Obj> pool;
  std::vector<Obj*> put_order;
  constexpr int kPuts = 1 + kPrivateBatch + 3;  // the batch moved once
  std::thread owner([&] {
    for (int i = 0; i < kPuts; ++i) {
      auto o = std::make_unique<Obj>(i);
      put_order.push_back(o.get());
      pool.put(std::move(o));
    }
  });
  owner.join();
  ASSERT_EQ(chain_after_puts(kPuts), kBatchMove);
  // put_order[0] sits in the owner's private slot; 1 .. kBatchMove were
  // moved to its deque, the rest are in its batch.
  for (int i = 1; i <= kBatchMove; ++i) EXPECT_EQ(pool.get().release(), put_order[i]) << i;
  EXPECT_EQ(pool.get(), nullptr) << "the private slot and batch are not stolen";
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.steals, static_cast<uint64_t>(kBatchMove));
  EXPECT_EQ(s.retained_objects, static_cast<uint64_t>(kPuts - kBatchMove));
  EXPECT_EQ(pool.retained_approx(), static_cast<std::size_t>(kPuts - kBatchMove));
  for (int i = 1; i <= kBatchMove; ++i) delete put_order[i];
}

// The private batch: it fills without anything reaching the chain, the put
// that finds it full moves exactly its kBatchMove oldest objects there (now
// stealable), and a get that finds it empty takes kBatchMove of the chain's
// newest objects back at once (the thief then finds fewer to steal).
TEST(PoolTest, PrivateBatchMovesToAndFromTheChainInBatches) {
  adopt_thread_index();
  InstrumentedPool<Obj> pool;
  std::vector<Obj*> order;
  auto put_one = [&] {
    auto o = std::make_unique<Obj>(static_cast<int>(order.size()));
    order.push_back(o.get());
    pool.put(std::move(o));
  };
  std::vector<std::unique_ptr<Obj>> stolen;
  auto steal_all = [&] {  // on another thread: only the owner's chain is reachable
    std::thread thief([&] {
      while (std::unique_ptr<Obj> o = pool.get()) stolen.push_back(std::move(o));
    });
    thief.join();
  };
  std::vector<std::unique_ptr<Obj>> mine;
  std::thread owner([&] {
    for (int i = 0; i < 1 + kPrivateBatch; ++i) put_one();  // private + full batch
    steal_all();
    EXPECT_TRUE(stolen.empty()) << "nothing reached the chain yet";
    put_one();  // finds the batch full: moves order[1 .. kBatchMove]
    for (int i = 0; i < kBatchMove - 1; ++i) put_one();  // fills it again: no move
    // Own gets: private, then the batch newest first, then the chain in
    // one move of kBatchMove (the newest of the chain first).
    const int in_batch = kPrivateBatch;
    mine.push_back(pool.get());
    EXPECT_EQ(mine.back().get(), order[0]);
    for (int i = 0; i < in_batch; ++i) {
      mine.push_back(pool.get());
      EXPECT_EQ(mine.back().get(), order[order.size() - 1 - i]) << i;
    }
    mine.push_back(pool.get());  // the batch is empty: refill from the chain
    EXPECT_EQ(mine.back().get(), order[kBatchMove]) << "the chain's newest";
    steal_all();
    EXPECT_TRUE(stolen.empty()) << "the refill took the whole chain into the batch";
    for (int i = kBatchMove - 1; i >= 1; --i) {
      mine.push_back(pool.get());
      EXPECT_EQ(mine.back().get(), order[i]) << i;
    }
  });
  owner.join();
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.puts, order.size());
  EXPECT_EQ(s.private_hits, 1u);
  EXPECT_EQ(s.shared_hits, order.size() - 1);
  EXPECT_EQ(s.steals, 0u);
  EXPECT_EQ(pool.retained_approx(), 0u);
}

// A trim ages the private batch with the private object: the thread that
// trims moves both to the victim (found there, then freed by the next
// trim); another thread's batch is aged by its owner's next get().
TEST(PoolTest, TrimAgesThePrivateBatch) {
  const int64_t base = Obj::alive.load();
  InstrumentedPool<Obj> pool;
  constexpr int kHeld = 1 + kPrivateBatch;  // private + a full batch, nothing in the chain
  for (int i = 0; i < kHeld; ++i) pool.put(std::make_unique<Obj>(i));
  EXPECT_EQ(pool.trim(), 0u);
  EXPECT_EQ(pool.retained_approx(), static_cast<std::size_t>(kHeld)) << "moved to the victim";
  EXPECT_EQ(pool.trim(), static_cast<std::size_t>(kHeld)) << "freed by the second trim";
  EXPECT_EQ(Obj::alive.load(), base);

  std::atomic<int> step{0};  // 1: owner has put; 2: main has trimmed
  std::thread owner([&] {
    for (int i = 0; i < kHeld; ++i) pool.put(std::make_unique<Obj>(i));
    step.store(1);
    while (step.load() != 2) std::this_thread::yield();
    // Its first get ages what it holds, one trim old: victim objects.
    std::set<int> ids;
    while (std::unique_ptr<Obj> o = pool.get()) ids.insert(o->id);
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kHeld)) << "every aged object is a victim hit";
  });
  while (step.load() != 1) std::this_thread::yield();
  EXPECT_EQ(pool.trim(), 0u) << "another thread's private objects are not trim()'s";
  EXPECT_EQ(Obj::alive.load(), base + kHeld);
  step.store(2);
  owner.join();
  EXPECT_EQ(pool.stats().victim_hits, static_cast<uint64_t>(kHeld));
  EXPECT_EQ(Obj::alive.load(), base);
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
    // Object 0 sits in the owner's private slot, the newest ones in its
    // batch; the chain holds 1 .. chain, oldest first.
    const int chain = chain_after_puts(kObjects);
    std::set<int> expected;
    for (int i = 1; i <= chain; ++i) expected.insert(i);
    EXPECT_EQ(ids, expected) << "all but the private slot and batch";
    EXPECT_EQ(pool.stats().steals, static_cast<uint64_t>(chain));
    EXPECT_EQ(Obj::alive.load(), base + kObjects - chain);
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

// The batched operations: push_head_some takes what fits (a prefix) with
// one publication, pop_head_some the newest first; both interleave with
// single pushes and steals in one order.
TEST(PoolDequeueTest, BatchedPushAndPop) {
  detail::PoolDequeue<int> d(8);
  int v[12];
  int* p[12];
  for (int i = 0; i < 12; ++i) p[i] = &v[i];
  EXPECT_EQ(d.push_head_some(p, 5), 5u);
  EXPECT_EQ(d.pop_tail(), p[0]) << "tail: oldest";
  EXPECT_EQ(d.push_head_some(p + 5, 7), 4u) << "4 free slots";
  EXPECT_EQ(d.push_head_some(p + 9, 1), 0u) << "full";
  EXPECT_EQ(d.count_approx(), 8u);
  int* out[8];
  ASSERT_EQ(d.pop_head_some(out, 3), 3u);
  EXPECT_EQ(out[0], p[8]);
  EXPECT_EQ(out[1], p[7]);
  EXPECT_EQ(out[2], p[6]);
  EXPECT_EQ(d.pop_tail(), p[1]);
  ASSERT_EQ(d.pop_head_some(out, 8), 4u) << "only 4 left";
  EXPECT_EQ(out[0], p[5]);
  EXPECT_EQ(out[3], p[2]);
  EXPECT_EQ(d.pop_head_some(out, 8), 0u);
  EXPECT_EQ(d.pop_tail(), nullptr);
}

// The chain's batched push grows the chain as needed (a batch larger than
// the newest deque's room spills into a new, larger one); the batched pop
// walks back through older deques, newest first.
TEST(PoolChainTest, BatchedPushGrowsAndBatchedPopWalksBack) {
  adopt_thread_index();
  EpochGuard pin;
  detail::RetireList retired;
  {
    detail::PoolChain<int> chain;
    std::vector<int> v(40);
    std::vector<int*> p;
    for (int& x : v) p.push_back(&x);
    EXPECT_EQ(chain.push_head_batch(p.data(), 5), 5u);
    EXPECT_EQ(chain.push_head_batch(p.data() + 5, 35), 35u) << "spills over into new deques";
    EXPECT_EQ(chain.count_approx(), 40u);
    EXPECT_EQ(chain.pop_tail(retired), p[0]);
    int* out[40];
    ASSERT_EQ(chain.pop_head_batch(out, 30), 30u);
    for (int i = 0; i < 30; ++i) EXPECT_EQ(out[i], p[39 - i]) << i;
    ASSERT_EQ(chain.pop_head_batch(out, 40), 9u) << "walks back to the oldest deque";
    for (int i = 0; i < 9; ++i) EXPECT_EQ(out[i], p[9 - i]) << i;
    EXPECT_EQ(chain.pop_tail(retired), nullptr);
  }
  retired.reclaim_all();
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
void stress_pool(std::size_t max_held) {
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
          if (held.empty() || (held.size() < max_held && rng() % 2 == 0)) {
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

TEST(PoolTest, StressNoObjectLostOrDuplicatedInstrumented) {
  stress_pool<InstrumentedPool<Obj>>(8);
}

TEST(PoolTest, StressNoObjectLostOrDuplicatedPlain) { stress_pool<Pool<Obj>>(8); }

// Each thread holds up to three batches' worth at times, so puts move
// batches to the chains, gets take them back, and threads steal from one
// another while the trimmer rotates generations.
TEST(PoolTest, StressWithBatchMovesInstrumented) {
  stress_pool<InstrumentedPool<Obj>>(3 * Batch::kPrivateBatch);
}

TEST(PoolTest, StressWithBatchMovesPlain) { stress_pool<Pool<Obj>>(3 * Batch::kPrivateBatch); }

// ---------------------------------------------------------------- fast path

template <class P>
P make_pool(std::function<std::unique_ptr<Obj>()> new_fn = {}) {
  PoolOptions<Obj> o;
  o.new_fn = std::move(new_fn);
  return P(std::move(o));
}

// A trim changes the primary's stamp: the binding the thread cached for the
// old primary must not be used again (the object is found in the victim,
// through the slow path), and once that generation is freed a stale binding
// must not reach it.
TEST(PoolFastPathTest, GenerationChangeInvalidatesCachedBinding) {
  const int64_t base = Obj::alive.load();
  auto pool = make_pool<InstrumentedPool<Obj>>();
  auto a = std::make_unique<Obj>(1);
  Obj* pa = a.get();
  pool.put(std::move(a));              // slow path: binds the primary
  std::unique_ptr<Obj> got = pool.get();  // fast path
  EXPECT_EQ(got.get(), pa);
  EXPECT_EQ(pool.stats().private_hits, 1u);
  pool.put(std::move(got));  // fast path: private slot of the primary

  pool.trim();  // primary -> victim (with this thread's private object): the binding is stale now
  got = pool.get();
  EXPECT_EQ(got.get(), pa);
  EXPECT_EQ(pool.stats().victim_hits, 1u) << "found in the victim, not through the stale binding";
  EXPECT_EQ(pool.stats().private_hits, 1u);

  pool.put(std::move(got));  // the get's slow path rebound to the new primary: fast path
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

// A thread that exits leaves its slot behind: trim() does not touch it,
// and its private object (one trim old: a victim object) goes to the next
// thread that adopts the same thread index — through that thread's own,
// fresh binding.
TEST(PoolFastPathTest, ExitedThreadLeavesItsSlotToTheNextOwner) {
  adopt_thread_index();
  auto pool = make_pool<InstrumentedPool<Obj>>();
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
  pool.trim();  // does not touch the exited thread's private slot
  EXPECT_EQ(pool.retained_approx(), 1u) << "the object is still in that slot";

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
        std::unique_ptr<Obj> o = pool.get();  // slow path: ages the inherited private object
        inherited = o.get();
        pool.put(std::move(o));            // fast path: the get bound the primary
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
// slow path, and an occasional idle stretch: it leaves its object in its
// private slot until the trimmer has done two more trims, so that its next
// get() finds it two trims old and drops it) while a trimmer rotates
// generations as fast as it can; the workers keep going until they have
// done kPairs pairs each and seen kMinTrims trims, so the two really
// overlap. No object is ever held twice or freed while held, none is lost:
// at the end every live object is in the pool or was freed, and the
// destructor frees the rest.
template <class P>
void rotation_stress() {
  constexpr int kThreads = 3;
  constexpr int kPairs = 20000;
  constexpr int64_t kMinTrims = 200;
  constexpr int kIdleEvery = 2500;  // pairs between idle stretches
  const int64_t base = Obj::alive.load();
  const int64_t freed_in_use_before = Obj::freed_in_use.load();
  std::atomic<int64_t> made{0};
  std::atomic<int> duplicates{0};
  std::atomic<int> nulls{0};
  std::atomic<int64_t> idle_stretches{0};
  {
    P pool = make_pool<P>([&] {
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
        if (o->in_use.exchange(true)) duplicates.fetch_add(1);
        for (int i = 0; i < kPairs || trims.load(std::memory_order_relaxed) < kMinTrims; ++i) {
          o->in_use.store(false);
          pool.put(std::move(o));  // into the private slot (fast or slow path)
          if ((i + 1) % kIdleEvery == 0) {
            const int64_t seen = trims.load();
            while (trims.load() < seen + 3) std::this_thread::yield();
            idle_stretches.fetch_add(1);
          }
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
    EXPECT_EQ(Obj::freed_in_use.load(), freed_in_use_before) << "an object was freed while held";
    EXPECT_GE(trims.load(), kMinTrims);
    EXPECT_GT(idle_stretches.load(), 0);
    EXPECT_EQ(static_cast<int64_t>(pool.retained_approx()), Obj::alive.load() - base)
        << "every live object is in the pool";
    if constexpr (std::is_same_v<P, InstrumentedPool<Obj>>) {
      const PoolStats s = pool.stats();
      EXPECT_EQ(s.news, static_cast<uint64_t>(made.load()));
      EXPECT_EQ(s.gets, s.hits + s.news);
      EXPECT_EQ(static_cast<int64_t>(s.trimmed + s.retained_objects), made.load());
      EXPECT_GT(s.private_hits, 0u);
      // Each idle stretch left a private object for two trims or more: its
      // owner's next get() dropped it.
      EXPECT_GE(static_cast<int64_t>(s.trimmed), idle_stretches.load());
    }
  }
  EXPECT_EQ(Obj::alive.load(), base) << "the destructor freed everything";
}

TEST(PoolFastPathTest, RotationWhileThreadsGetAndPutPlain) { rotation_stress<Pool<Obj>>(); }

TEST(PoolFastPathTest, RotationWhileThreadsGetAndPutInstrumented) {
  rotation_stress<InstrumentedPool<Obj>>();
}

// The documented departure from Go: trim() never touches another thread's
// private slot. An idle thread's private object outlives trims; its owner
// ages it when it next uses the pool — one trim old: a victim hit; two
// trims old: dropped (counted as trimmed), and get() goes on as if the
// slot were empty.
TEST(PoolFastPathTest, AnotherThreadsPrivateObjectIsAgedByItsOwner) {
  const int64_t base = Obj::alive.load();
  InstrumentedPool<Obj> pool;  // no New: an empty pool's get() is null
  auto x = std::make_unique<Obj>(5);
  Obj* px = x.get();
  std::atomic<int> step{0};  // odd: the owner's turn is over
  auto wait_for = [&](int s) {
    while (step.load() != s) std::this_thread::yield();
  };
  Obj* after_one_trim = nullptr;
  bool null_after_two = false;
  std::thread owner([&] {
    pool.put(std::move(x));  // private slot
    step.store(1);
    wait_for(2);
    std::unique_ptr<Obj> o = pool.get();  // one trim later
    after_one_trim = o.get();
    pool.put(std::move(o));  // private slot of the new primary
    step.store(3);
    wait_for(4);
    null_after_two = pool.get() == nullptr;  // two trims later
    step.store(5);
  });
  wait_for(1);
  EXPECT_EQ(pool.trim(), 0u);
  EXPECT_EQ(pool.retained_approx(), 1u);
  step.store(2);
  wait_for(3);
  EXPECT_EQ(after_one_trim, px) << "one trim old: found, as a victim object";
  EXPECT_EQ(pool.stats().victim_hits, 1u);
  EXPECT_EQ(pool.trim(), 0u);
  EXPECT_EQ(pool.trim(), 0u) << "the idle owner's private object is not trim()'s to free";
  EXPECT_EQ(pool.retained_approx(), 1u);
  EXPECT_EQ(Obj::alive.load(), base + 1);
  step.store(4);
  wait_for(5);
  owner.join();
  EXPECT_TRUE(null_after_two) << "two trims old: dropped by its owner, not handed out";
  EXPECT_EQ(Obj::alive.load(), base);
  EXPECT_EQ(pool.retained_approx(), 0u);
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.trimmed, 1u);
  EXPECT_EQ(s.retained_objects, 0u);
  EXPECT_EQ(s.gets, 2u);
  EXPECT_EQ(s.hits, 1u);
}

// A put() that finds its private object one trim old moves it to the
// victim (its own chain there), where other threads find it; the next trim
// frees it with the victim.
TEST(PoolFastPathTest, AgedPrivateObjectMovesToTheVictimOnPut) {
  const int64_t base = Obj::alive.load();
  adopt_thread_index();
  InstrumentedPool<Obj> pool;
  auto a = std::make_unique<Obj>(1);
  Obj* pa = a.get();
  std::atomic<int> step{0};
  std::thread owner([&] {
    pool.put(std::move(a));
    step.store(1);
    while (step.load() != 2) std::this_thread::yield();
    pool.put(std::make_unique<Obj>(2));  // ages object 1: to the victim
    step.store(3);
  });
  while (step.load() != 1) std::this_thread::yield();
  pool.trim();
  step.store(2);
  while (step.load() != 3) std::this_thread::yield();
  owner.join();
  EXPECT_EQ(pool.retained_approx(), 2u);
  std::unique_ptr<Obj> got = pool.get();  // this thread: nothing of its own, nothing to steal
  EXPECT_EQ(got.get(), pa) << "found in the victim";
  EXPECT_EQ(pool.stats().victim_hits, 1u);
  pool.put(std::move(got));  // this thread's private slot, current primary
  EXPECT_EQ(pool.trim(), 0u) << "object 1 moves to the victim again; object 2 is the owner's";
  EXPECT_EQ(pool.trim(), 1u) << "object 1 freed with the victim";
  EXPECT_EQ(Obj::alive.load(), base + 1) << "object 2 waits in the exited owner's slot";
}

}  // namespace
}  // namespace syncscope
