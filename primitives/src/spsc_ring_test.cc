// Tests of syncscope::SpscRing: FIFO order, all N slots usable, full/empty,
// wrap-around, move-only and non-default-constructible elements, exception
// safety, destruction of queued elements, capacity rules, and a
// producer/consumer stress run whose payloads are plain memory (so
// ThreadSanitizer checks the publication). Correctness only.
#include <syncscope/spsc_ring.h>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>

namespace syncscope {
namespace {

static_assert(SpscCapacity<2> && SpscCapacity<64> && !SpscCapacity<1> && !SpscCapacity<6>,
              "capacity: a power of two >= 2");
static_assert(!std::is_copy_constructible_v<SpscRing<int, 8>> &&
              !std::is_move_constructible_v<SpscRing<int, 8>>);
static_assert(SpscRing<int, 8>::capacity() == 8);

TEST(SpscRingTest, FifoOrderAndAllSlotsUsable) {
  SpscRing<int, 8> ring;
  EXPECT_TRUE(ring.empty_approx());
  EXPECT_FALSE(ring.try_pop().has_value());
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(ring.try_push(i)) << i;
  EXPECT_FALSE(ring.try_push(8)) << "full at capacity, not capacity - 1";
  EXPECT_EQ(ring.size_approx(), 8u);
  for (int i = 0; i < 8; ++i) {
    std::optional<int> v = ring.try_pop();
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(*v, i);
  }
  int out = -1;
  EXPECT_FALSE(ring.try_pop(out));
  EXPECT_EQ(out, -1);
  EXPECT_TRUE(ring.empty_approx());
}

TEST(SpscRingTest, WrapsAroundManyTimes) {
  SpscRing<int, 4> ring;
  int next_in = 0;
  int next_out = 0;
  for (int round = 0; round < 1000; ++round) {
    const int n = 1 + round % 4;
    for (int i = 0; i < n; ++i) ASSERT_TRUE(ring.try_push(next_in++));
    for (int i = 0; i < n; ++i) {
      int v = -1;
      ASSERT_TRUE(ring.try_pop(v));
      ASSERT_EQ(v, next_out++);
    }
  }
  EXPECT_TRUE(ring.empty_approx());
}

TEST(SpscRingTest, FrontPeeksAndPopDrops) {
  SpscRing<std::string, 4> ring;
  EXPECT_EQ(ring.front(), nullptr);
  ASSERT_TRUE(ring.try_emplace(3, 'x'));
  ASSERT_TRUE(ring.try_push(std::string("yy")));
  ASSERT_NE(ring.front(), nullptr);
  EXPECT_EQ(*ring.front(), "xxx");
  ring.pop();
  EXPECT_EQ(*ring.front(), "yy");
  ring.pop();
  EXPECT_EQ(ring.front(), nullptr);
}

// Move-only and without a default constructor: slots are raw storage.
struct NoDefault {
  explicit NoDefault(int v) : value(std::make_unique<int>(v)) {}
  std::unique_ptr<int> value;
};

TEST(SpscRingTest, MoveOnlyElementsWithoutDefaultConstructor) {
  SpscRing<NoDefault, 2> ring;
  ASSERT_TRUE(ring.try_emplace(7));
  NoDefault moved(8);
  ASSERT_TRUE(ring.try_push(std::move(moved)));
  EXPECT_EQ(moved.value, nullptr);
  NoDefault rejected(9);
  EXPECT_FALSE(ring.try_push(std::move(rejected)));
  EXPECT_NE(rejected.value, nullptr) << "a rejected push leaves its argument alone";
  std::optional<NoDefault> a = ring.try_pop();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(*a->value, 7);
  std::optional<NoDefault> b = ring.try_pop();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*b->value, 8);
}

struct Counted {
  static inline std::atomic<int> alive{0};
  explicit Counted(int v, bool throw_on_construct = false) : value(v) {
    if (throw_on_construct) throw std::runtime_error("construct");
    alive.fetch_add(1);
  }
  Counted(const Counted& o) : value(o.value) { alive.fetch_add(1); }
  Counted& operator=(const Counted&) = default;
  ~Counted() { alive.fetch_sub(1); }
  int value;
};

TEST(SpscRingTest, ThrowingConstructorLeavesTheRingUnchanged) {
  {
    SpscRing<Counted, 4> ring;
    ASSERT_TRUE(ring.try_emplace(1));
    EXPECT_THROW(ring.try_emplace(2, true), std::runtime_error);
    EXPECT_EQ(ring.size_approx(), 1u);
    ASSERT_TRUE(ring.try_emplace(3));
    Counted out(0);
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out.value, 1);
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out.value, 3);
  }
  EXPECT_EQ(Counted::alive.load(), 0);
}

TEST(SpscRingTest, DestructorDestroysQueuedElements) {
  {
    SpscRing<Counted, 8> ring;
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(ring.try_emplace(i));
    ASSERT_TRUE(ring.try_pop().has_value());
    EXPECT_EQ(Counted::alive.load(), 5);
  }
  EXPECT_EQ(Counted::alive.load(), 0);
}

// Stress: one producer, one consumer. Each element is a pointer to a plain
// struct the producer filled in; the consumer reads it (ThreadSanitizer
// checks that the push happens-before the pop) and checks the sequence.
struct Payload {
  uint64_t seq;
  uint64_t check;
};

TEST(SpscRingTest, ProducerConsumerStress) {
  constexpr uint64_t kItems = 100000;
  SpscRing<Payload*, 64> ring;
  std::thread producer([&] {
    for (uint64_t i = 0; i < kItems; ++i) {
      auto* p = new Payload{i, i * 2654435761u};
      while (!ring.try_push(p)) std::this_thread::yield();
    }
  });
  uint64_t expected = 0;
  bool ok = true;
  while (expected < kItems) {
    Payload* p = nullptr;
    if (!ring.try_pop(p)) {
      std::this_thread::yield();
      continue;
    }
    if (p->seq != expected || p->check != expected * 2654435761u) ok = false;
    delete p;
    ++expected;
  }
  producer.join();
  EXPECT_TRUE(ok);
  EXPECT_TRUE(ring.empty_approx());
}

// Stress with a tiny ring: the full/empty edges on every step.
TEST(SpscRingTest, TinyRingStress) {
  constexpr int kItems = 50000;
  SpscRing<int, 2> ring;
  std::thread producer([&] {
    for (int i = 0; i < kItems; ++i) {
      while (!ring.try_push(i)) std::this_thread::yield();
    }
  });
  long long sum = 0;
  int expected = 0;
  bool in_order = true;
  while (expected < kItems) {
    if (int* v = ring.front()) {
      if (*v != expected) in_order = false;
      sum += *v;
      ring.pop();
      ++expected;
    } else {
      std::this_thread::yield();
    }
  }
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(sum, static_cast<long long>(kItems) * (kItems - 1) / 2);
}

}  // namespace
}  // namespace syncscope
