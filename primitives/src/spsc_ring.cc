// syncscope::SpscRing is a header-only template. This file compiles one
// instantiation in full (every member, not only the ones a test happens to
// call) and pins the layout the header promises.
#include <syncscope/spsc_ring.h>

#include <cstddef>

namespace syncscope {

template class SpscRing<void*, 1024>;

namespace {

// The producer's and the consumer's fields sit kLineSize apart, so neither
// side writes a line the other side writes.
struct LayoutProbe {
  static constexpr std::size_t kLine = SpscRing<int, 8>::kLineSize;
  static_assert(kLine >= 64 && (kLine & (kLine - 1)) == 0, "a power-of-two line size");
  static_assert(alignof(SpscRing<int, 8>) >= kLine, "indices are line-aligned");
  static_assert(sizeof(SpscRing<int, 8>) >= 3 * kLine,
                "producer line, consumer line and slot pointer are separate");
};

static_assert(SpscCapacity<2> && SpscCapacity<1024> && !SpscCapacity<0> && !SpscCapacity<1> &&
                  !SpscCapacity<3> && !SpscCapacity<1000>,
              "capacity must be a power of two >= 2");

}  // namespace

}  // namespace syncscope
