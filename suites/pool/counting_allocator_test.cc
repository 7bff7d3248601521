// Tests of the counting allocator (counting_allocator.h): every form of the
// global operator new / delete is counted on the calling thread only, and
// the standard's failure behaviour (new-handler, bad_alloc, nullptr for
// nothrow) is kept.
#include "pool/counting_allocator.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <thread>
#include <vector>

// Under AddressSanitizer or ThreadSanitizer an impossible request would be
// reported as an error instead of failing: let it fail the way malloc does.
// (Unused symbols in a build without sanitizers.)
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
extern "C" const char* __tsan_default_options() { return "allocator_may_return_null=1"; }

namespace syncscope::suites {
namespace {

struct alignas(128) OverAligned {
  char bytes[128];
};

TEST(CountingAllocator, CountsPlainNewAndDelete) {
  const AllocCounts a = thread_alloc_counts();
  void* p = ::operator new(40);
  const AllocCounts b = thread_alloc_counts();
  ::operator delete(p);
  const AllocCounts c = thread_alloc_counts();
  EXPECT_EQ((b - a).allocs, 1u);
  EXPECT_EQ((b - a).bytes, 40u);
  EXPECT_EQ((b - a).frees, 0u);
  EXPECT_EQ((c - b).frees, 1u);
  EXPECT_EQ((c - b).allocs, 0u);
}

TEST(CountingAllocator, CountsEveryForm) {
  const AllocCounts a = thread_alloc_counts();
  void* arr = ::operator new[](16);
  void* nt = ::operator new(8, std::nothrow);
  void* ntarr = ::operator new[](8, std::nothrow);
  void* al = ::operator new(128, std::align_val_t{128});
  void* alarr = ::operator new[](256, std::align_val_t{64});
  void* alnt = ::operator new(64, std::align_val_t{256}, std::nothrow);
  ASSERT_NE(nt, nullptr);
  ASSERT_NE(ntarr, nullptr);
  ASSERT_NE(alnt, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(al) % 128, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(alarr) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(alnt) % 256, 0u);
  const AllocCounts b = thread_alloc_counts();
  EXPECT_EQ((b - a).allocs, 6u);
  EXPECT_EQ((b - a).bytes, 16u + 8 + 8 + 128 + 256 + 64);
  ::operator delete[](arr);
  ::operator delete(nt, std::nothrow);
  ::operator delete[](ntarr, std::nothrow);
  ::operator delete(al, 128, std::align_val_t{128});
  ::operator delete[](alarr, std::align_val_t{64});
  ::operator delete(alnt, std::align_val_t{256}, std::nothrow);
  EXPECT_EQ((thread_alloc_counts() - b).frees, 6u);
}

TEST(CountingAllocator, CountsNewExpressionsOfOverAlignedTypes) {
  const AllocCounts a = thread_alloc_counts();
  auto* o = new OverAligned;
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(o) % alignof(OverAligned), 0u);
  delete o;
  const AllocCounts d = thread_alloc_counts() - a;
  EXPECT_EQ(d.allocs, 1u);
  EXPECT_EQ(d.frees, 1u);
  EXPECT_EQ(d.bytes, sizeof(OverAligned));
}

TEST(CountingAllocator, DeletingNullIsNotAFree) {
  const AllocCounts a = thread_alloc_counts();
  ::operator delete(nullptr);
  ::operator delete[](nullptr);
  EXPECT_EQ((thread_alloc_counts() - a).frees, 0u);
}

TEST(CountingAllocator, ZeroBytesGivesDistinctPointers) {
  void* p = ::operator new(0);
  void* q = ::operator new(0);
  EXPECT_NE(p, nullptr);
  EXPECT_NE(p, q);
  ::operator delete(p);
  ::operator delete(q);
}

TEST(CountingAllocator, OtherThreadsAreNotCountedHere) {
  const AllocCounts a = thread_alloc_counts();
  AllocCounts theirs{};
  std::thread t([&] {
    const AllocCounts t0 = thread_alloc_counts();
    std::vector<void*> ps;
    for (int i = 0; i < 10; ++i) ps.push_back(::operator new(24));  // the vector allocates too
    for (void* p : ps) ::operator delete(p);
    theirs = thread_alloc_counts() - t0;
  });
  const AllocCounts after_start = thread_alloc_counts();  // std::thread's own state
  t.join();
  EXPECT_GE(theirs.allocs, 10u);
  EXPECT_GE(theirs.frees, 10u);
  // This thread allocated only the thread's shared state (and nothing in
  // the other thread's loop shows here).
  EXPECT_EQ((thread_alloc_counts() - after_start).allocs, 0u);
  EXPECT_LT((after_start - a).allocs, 10u);
}

TEST(CountingAllocator, FailureThrowsBadAllocAfterTheNewHandler) {
  static int calls = 0;
  calls = 0;
  std::set_new_handler([] {
    ++calls;
    std::set_new_handler(nullptr);  // give up on the next failure
  });
  const AllocCounts a = thread_alloc_counts();
  const std::size_t impossible = std::numeric_limits<std::size_t>::max() / 2;
  EXPECT_THROW(static_cast<void>(::operator new(impossible)), std::bad_alloc);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(::operator new(impossible, std::nothrow), nullptr);
  EXPECT_EQ(::operator new(impossible, std::align_val_t{64}, std::nothrow), nullptr);
  EXPECT_EQ((thread_alloc_counts() - a).allocs, 0u);
  std::set_new_handler(nullptr);
}

}  // namespace
}  // namespace syncscope::suites
