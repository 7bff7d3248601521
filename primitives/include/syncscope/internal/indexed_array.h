// syncscope/internal/indexed_array.h — detail::IndexedArray<E>: objects by
// dense index that never move while the array grows. Machinery of
// syncscope/pool.h (its per-thread state, indexed by the thread's epoch
// record index, rcu.h): not for users, no stability promised.
//
// Why segments of doubling size: a thread index is small and dense, but
// how many threads will come is unknown; a vector would move its elements
// when it grows, while other threads hold pointers into it. Segments are
// allocated on first use (a CAS publishes each; a loser frees its copy) and
// freed only with the array, so find() is two loads and never allocates.

#ifndef SYNCSCOPE_INTERNAL_INDEXED_ARRAY_H_
#define SYNCSCOPE_INTERNAL_INDEXED_ARRAY_H_

#include <atomic>
#include <bit>
#include <cstdint>
#include <new>

namespace syncscope {
namespace detail {

// IndexedArray<E>: E objects by dense index, in segments of doubling size
// (segment k holds kFirstSegment << k elements) allocated on first use with
// a CAS and never moved or freed before the array. find() never allocates.
//
template <class E>
class IndexedArray {
 public:
  static constexpr uint32_t kFirstSegment = 8;
  static constexpr int kSegments = 27;  // room for 8 * (2^27 - 1) indices

  IndexedArray() noexcept = default;
  IndexedArray(const IndexedArray&) = delete;
  IndexedArray& operator=(const IndexedArray&) = delete;
  ~IndexedArray() {
    for (auto& s : segments_) delete[] s.load(std::memory_order_relaxed);
  }

  // find(i): element i, or nullptr if its segment does not exist yet.
  E* find(uint32_t i) const noexcept {
    const Where w = locate(i);
    E* s = segments_[w.segment].load(std::memory_order_acquire);
    return s == nullptr ? nullptr : s + w.offset;
  }

  // get(i): element i, allocating its segment if needed (may throw
  // std::bad_alloc).
  E& get(uint32_t i) {
    const Where w = locate(i);
    E* s = segments_[w.segment].load(std::memory_order_acquire);
    if (s == nullptr) s = allocate(w.segment);
    return s[w.offset];
  }

  // extent(): indices covered by allocated segments (every index below it
  // may be passed to find(); some may still return nullptr while a lower
  // segment is being allocated).
  uint32_t extent() const noexcept { return extent_.load(std::memory_order_acquire); }

  // for_each(f): f(E&) for every element of every segment installed before
  // this call's load of its pointer. Safe while other threads use the
  // array.
  template <class F>
  void for_each(F&& f) const {
    for (int k = 0; k < kSegments; ++k) {
      E* s = segments_[k].load(std::memory_order_acquire);
      if (s == nullptr) continue;
      for (uint32_t j = 0; j < segment_size(k); ++j) f(s[j]);
    }
  }

  // for_each_unsafe(f): f(E&) for every element of every allocated segment.
  // Only when no other thread can touch the array.
  template <class F>
  void for_each_unsafe(F&& f) {
    for (int k = 0; k < kSegments; ++k) {
      E* s = segments_[k].load(std::memory_order_relaxed);
      if (s == nullptr) continue;
      for (uint32_t j = 0; j < segment_size(k); ++j) f(s[j]);
    }
  }

  static constexpr uint32_t segment_size(int k) noexcept { return kFirstSegment << k; }

 private:
  struct Where {
    int segment;
    uint32_t offset;
  };
  // Segment k starts at index kFirstSegment * (2^k - 1).
  static Where locate(uint32_t i) noexcept {
    const uint64_t q = static_cast<uint64_t>(i) / kFirstSegment + 1;
    const int k = static_cast<int>(std::bit_width(q)) - 1;
    const uint64_t start = static_cast<uint64_t>(kFirstSegment) * ((uint64_t{1} << k) - 1);
    return Where{k, static_cast<uint32_t>(i - start)};
  }

  // Outlined in effect (only on a segment's first use): allocate, install
  // with a CAS, and let the loser of a race delete its copy.
  E* allocate(int k) {
    E* fresh = new E[segment_size(k)];
    E* expected = nullptr;
    if (!segments_[k].compare_exchange_strong(expected, fresh, std::memory_order_acq_rel,
                                              std::memory_order_acquire)) {
      delete[] fresh;
      return expected;
    }
    const uint32_t end = kFirstSegment * ((uint32_t{1} << (k + 1)) - 1);
    uint32_t e = extent_.load(std::memory_order_relaxed);
    while (e < end && !extent_.compare_exchange_weak(e, end, std::memory_order_release,
                                                     std::memory_order_relaxed)) {
    }
    return fresh;
  }

  // Segment k or null. Written once (CAS null -> segment, acq_rel); read
  // with acquire.
  std::atomic<E*> segments_[kSegments] = {};
  // End of the highest allocated segment. Only grows (CAS, release).
  std::atomic<uint32_t> extent_{0};
};

}  // namespace detail
}  // namespace syncscope

#endif  // SYNCSCOPE_INTERNAL_INDEXED_ARRAY_H_
