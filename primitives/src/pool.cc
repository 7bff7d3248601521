// syncscope::Pool is a header-only template (see syncscope/pool.h for the
// design). This file compiles both flavours in full for one element type —
// every member, not only the ones a test calls — and pins the layouts the
// header promises.
#include <syncscope/pool.h>

#include <string>

namespace syncscope {

template class BasicPool<std::string, false>;
template class BasicPool<std::string, true>;
template class detail::PoolDequeue<std::string>;
template class detail::PoolChain<std::string>;

namespace {

using Dequeue = detail::PoolDequeue<int>;
static_assert(Dequeue::kDequeueLimit == (uint32_t{1} << 30),
              "Go's dequeueLimit: (1 << dequeueBits) / 4");
static_assert((detail::PoolChain<int>::kInitialSize & (detail::PoolChain<int>::kInitialSize - 1)) == 0,
              "deque sizes are powers of two");

// IndexedArray: segment k holds kFirstSegment << k elements; the segments
// cover [0, kFirstSegment * (2^kSegments - 1)), which must exceed any thread
// index (a uint32_t).
using Segments = detail::IndexedArray<int>;
static_assert(Segments::segment_size(0) == Segments::kFirstSegment &&
                  Segments::segment_size(1) == 2 * Segments::kFirstSegment,
              "segments double");
static_assert(static_cast<uint64_t>(Segments::kFirstSegment) *
                      ((uint64_t{1} << Segments::kSegments) - 1) >=
                  (uint64_t{1} << 29),
              "room for far more threads than a machine runs");

}  // namespace

}  // namespace syncscope
