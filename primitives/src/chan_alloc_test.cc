// Allocation test of the channels: a buffered channel allocates once, when
// it is made (its ring is preallocated), and never per message — on the
// fast path, on a blocking handoff, or in a select. This executable
// replaces the global operator new with one that counts allocations per
// thread, so each thread measures only its own.
#include <syncscope/chan.h>
#include <syncscope/select.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <thread>

#include "chan_test_support.h"

namespace {
thread_local long t_allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  ++t_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void* operator new(std::size_t n, std::align_val_t a) {
  ++t_allocations;
  const std::size_t align = static_cast<std::size_t>(a);
  const std::size_t size = (n + align - 1) / align * align;  // aligned_alloc wants a multiple
  if (void* p = std::aligned_alloc(align, size == 0 ? align : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace syncscope {
namespace {

using chan_testing::scaled;

TEST(ChanAllocTest, MakingAChannelAllocatesOnce) {
  // One allocation holds the core and, when buffered, the whole ring.
  long before = t_allocations;
  Chan<int> buffered(1024);
  EXPECT_EQ(t_allocations - before, 1);
  before = t_allocations;
  Chan<int> unbuffered(0);
  EXPECT_EQ(t_allocations - before, 1);
  before = t_allocations;
  Chan<int> copy = buffered;  // a handle copy allocates nothing
  Chan<int> nil;
  EXPECT_EQ(t_allocations - before, 0);
}

TEST(ChanAllocTest, BufferedSendAndReceiveAllocateNothing) {
  Chan<int> c(16);
  const long before = t_allocations;
  for (int i = 0; i < 1000; ++i) {
    c.send(i);
    EXPECT_EQ(c.receive(), i);
    c.try_send(i);
    c.try_receive();
  }
  EXPECT_EQ(t_allocations - before, 0);
}

// Runs produce() on a second thread and consume() here, n steps each, and
// checks that neither thread allocated inside its loop.
template <class Produce, class Consume>
void expect_no_allocations(int n, Produce produce, Consume consume) {
  long producer_allocations = -1;
  std::thread producer([&] {
    const long before = t_allocations;
    for (int i = 0; i < n; ++i) produce(i);
    producer_allocations = t_allocations - before;
  });
  const long before = t_allocations;
  for (int i = 0; i < n; ++i) consume(i);
  const long consumer_allocations = t_allocations - before;
  producer.join();
  EXPECT_EQ(consumer_allocations, 0);
  EXPECT_EQ(producer_allocations, 0);
}

// Each phase pairs every send with exactly one receive (a select fires one
// case), so the two loops always finish together. (An earlier version mixed
// plain and select operations on the same channels in one loop: how many
// values each select moved through which channel then differed between the
// two sides, and the last receive could wait forever.)
TEST(ChanAllocTest, BlockingHandoffsAllocateNothing) {
  const int n = scaled(4000);
  for (std::size_t cap : {std::size_t{0}, std::size_t{4}}) {
    Chan<int> c(cap);  // the consumer often finds it empty and waits
    long sum = 0;
    expect_no_allocations(
        n, [&](int i) { c.send(i); }, [&](int i) { sum += i - *c.receive(); });
    EXPECT_EQ(sum, 0) << "cap " << cap;
  }
}

TEST(ChanAllocTest, BlockingSelectsAllocateNothing) {
  const int n = scaled(2000);
  for (std::size_t cap : {std::size_t{0}, std::size_t{4}}) {
    Chan<int> a(cap), b(cap);
    long sum = 0;
    expect_no_allocations(
        n, [&](int i) { Select().send(a, i).send(b, i).run(); },
        [&](int) {
          Select()
              .recv(a, [&](std::optional<int> v) { sum += *v; })
              .recv(b, [&](std::optional<int> v) { sum += *v; })
              .run();
        });
    EXPECT_EQ(sum, static_cast<long>(n) * (n - 1) / 2) << "cap " << cap;
  }
}

}  // namespace
}  // namespace syncscope
