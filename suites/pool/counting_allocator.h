// Counting allocator — the global operator new / operator delete of the
// `pool` suite executable (and of its test), replaced by versions that
// count what the calling thread allocates.
//
// This file offers:
//   struct AllocCounts          allocations, frees and bytes requested
//   thread_alloc_counts()       the calling thread's totals since it started
//   AllocCounts::operator-      the difference of two snapshots
//
// What is counted: every call of any replaceable global allocation function
// (plain, array, nothrow, aligned — C++17 align_val_t — and their deletes)
// made by the calling thread: the suite's own objects, the containers the
// primitives use internally, the standard library. Not counted: malloc()
// called directly (TBB's scalable_malloc has its own allocator and is not
// seen at all — which is the point of that peer), and memory freed by
// another thread counts as that thread's free.
//
// Cost and hygiene: the counters are a constant-initialised, trivially
// destructible thread_local struct (no TLS constructor, so usable during
// thread start-up and exit), updated with plain increments: no atomics, no
// locks, no allocation. A snapshot is three loads by the owning thread;
// the suites take one before and one after a measured loop (outside it)
// and report the difference per operation. Memory comes from malloc /
// posix_memalign and goes back with free; std::get_new_handler() is honoured
// as the standard requires (a failed allocation calls it and retries, or
// throws std::bad_alloc / returns null for the nothrow forms).
//
// Linking: the replacements live in counting_allocator.cc, which must be
// listed in the executable's own SOURCES (a replacement inside a static
// library is only linked if something else pulls its object file in).
#ifndef SYNCSCOPE_SUITES_POOL_COUNTING_ALLOCATOR_H_
#define SYNCSCOPE_SUITES_POOL_COUNTING_ALLOCATOR_H_

#include <cstdint>

namespace syncscope::suites {

struct AllocCounts {
  uint64_t allocs = 0;  // successful calls of a global operator new (any form)
  uint64_t frees = 0;   // calls of a global operator delete with a non-null pointer
  uint64_t bytes = 0;   // bytes requested from operator new (not the allocator's rounding)

  friend AllocCounts operator-(const AllocCounts& a, const AllocCounts& b) noexcept {
    return {a.allocs - b.allocs, a.frees - b.frees, a.bytes - b.bytes};
  }
};

// thread_alloc_counts(): the calling thread's counts since it started.
// Read by the thread itself only (the counters are its own, unsynchronised).
AllocCounts thread_alloc_counts() noexcept;

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_POOL_COUNTING_ALLOCATOR_H_
