// syncscope/spsc_ring.h — SpscRing<T, N>: a bounded single-producer,
// single-consumer ring buffer without read-modify-write instructions.
//
// This file offers:
//   concept SpscCapacity<N>        N is a power of two >= 2
//   template <class T, std::size_t N> class SpscRing
//     producer side: try_push(const T&), try_push(T&&), try_emplace(args...)
//     consumer side: try_pop(T&), try_pop() -> std::optional<T>,
//                    front() -> T* (peek), pop() (drop the front)
//     either side:   size_approx(), empty_approx(), capacity()
//
// Source: the seed's lock-free slide lists "ringbuffer: single reader single
// writer" as the exception that needs no CAS. The algorithm is L. Lamport's
// "Specifying Concurrent Program Modules" (TOPLAS 5(2), 1983) wait-free
// bounded queue, with acquire/release in place of sequential consistency,
// and with cached copies of the opposite index as in E. Rigtorp's
// SPSCQueue (and the FastForward / MCRingBuffer line of work). Written for
// this file.
//
// Go names -> C++: Go has no such type (the seed names the technique; a
// buffered channel is Go's bounded queue, with locks). The operations follow
// the usual C++ queue vocabulary: push/pop, try_ when they may fail.
//
// Algorithm:
//   * tail_ counts pushes (written only by the producer), head_ counts pops
//     (written only by the consumer); both only grow, as 64-bit counters
//     that never wrap in practice. Slot of index i: i & (N - 1).
//     Occupancy = tail_ - head_, in [0, N]: all N slots are usable (no
//     "one slot always empty" rule, because the counters are not reduced
//     mod N).
//   * push: if tail - head == N the ring is full; otherwise construct the
//     element in slot tail, then publish it with a release store of
//     tail + 1. pop: if head == tail it is empty; otherwise move the element
//     out of slot head, destroy it, then hand the slot back with a release
//     store of head + 1.
//   * Cached indices: the producer keeps head_cache_, its last view of
//     head_, and re-reads head_ (a cache miss: the consumer's line) only
//     when the cached view says "full". Symmetrically for the consumer and
//     tail_. In steady state each side touches the other's line once per
//     ring-full of elements instead of once per element.
//   * Layout: tail_ with head_cache_ on the producer's cache line, head_ with
//     tail_cache_ on the consumer's, the slots after them: the two sides
//     never write a line the other side writes (no false sharing), except
//     the slots themselves, which pass from one to the other by design.
//
// Progress: both sides wait-free (a bounded number of steps, no RMW).
// try_push fails only when the ring is full, try_pop only when empty.
//
// Memory ordering: the producer's release store of tail_ publishes the
// element constructed before it; the consumer's acquire load of tail_ sees
// it. The consumer's release store of head_ publishes "I am done with that
// slot" (the element moved out and destroyed); the producer's acquire load
// of head_ sees it before reusing the slot. So a push happens-before the
// pop that returns its element, and a pop happens-before the push that
// reuses its slot.
//
// Exceptions: if T's constructor throws in try_push/try_emplace, or T's move
// throws in try_pop, the ring is unchanged and the exception propagates.
//
// Legal operations: one producer thread calls the producer side, one
// consumer thread the consumer side (the roles may move to other threads if
// the hand-over is synchronised). Not checked: two producers or two
// consumers are a data race. size_approx()/empty_approx() may be called by
// anyone (snapshots). Not copyable or movable. The destructor destroys the
// elements still queued; no operation may be in progress then.

#ifndef SYNCSCOPE_SPSC_RING_H_
#define SYNCSCOPE_SPSC_RING_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace syncscope {

// N is a valid SpscRing capacity: a power of two, at least 2 (index ->
// slot is a mask).
template <std::size_t N>
concept SpscCapacity = N >= 2 && (N & (N - 1)) == 0;

template <class T, std::size_t N>
  requires SpscCapacity<N>
class SpscRing {
 public:
  // Cache-line distance that keeps the producer's and the consumer's fields
  // apart (128: two 64-byte lines, for x86's adjacent-line prefetcher; one
  // line of the 128-byte-line ARM64 cores, e.g. Apple's).
  static constexpr std::size_t kLineSize = 128;
  static constexpr std::size_t kMask = N - 1;

  SpscRing() : slots_(new Slot[N]) {}
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;
  ~SpscRing() {
    const uint64_t t = tail_.load(std::memory_order_acquire);
    for (uint64_t h = head_.load(std::memory_order_relaxed); h != t; ++h) {
      element(h)->~T();
    }
  }

  // capacity(): N; all N slots can hold an element at once.
  static constexpr std::size_t capacity() noexcept { return N; }

  // --- producer side -----------------------------------------------------

  // try_emplace(args...): constructs T(args...) at the back; false (and
  // nothing constructed) if the ring is full.
  template <class... A>
  bool try_emplace(A&&... args) noexcept(std::is_nothrow_constructible_v<T, A&&...>) {
    const uint64_t t = tail_.load(std::memory_order_relaxed);  // our own index
    if (t - head_cache_ == N) {
      head_cache_ = head_.load(std::memory_order_acquire);  // the consumer's line
      if (t - head_cache_ == N) return false;
    }
    ::new (static_cast<void*>(slots_[t & kMask].bytes)) T(std::forward<A>(args)...);
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }
  // try_push(v): copies v to the back; false if full.
  bool try_push(const T& v) noexcept(std::is_nothrow_copy_constructible_v<T>) {
    return try_emplace(v);
  }
  // try_push(std::move(v)): moves v to the back; false (v untouched) if full.
  bool try_push(T&& v) noexcept(std::is_nothrow_move_constructible_v<T>) {
    return try_emplace(std::move(v));
  }

  // --- consumer side -----------------------------------------------------

  // front(): the oldest element, or nullptr if the ring is empty. Valid
  // until pop().
  T* front() noexcept {
    const uint64_t h = head_.load(std::memory_order_relaxed);  // our own index
    if (h == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);  // the producer's line
      if (h == tail_cache_) return nullptr;
    }
    return element(h);
  }

  // pop(): destroys the oldest element. Precondition: front() != nullptr.
  void pop() noexcept {
    const uint64_t h = head_.load(std::memory_order_relaxed);
    element(h)->~T();
    head_.store(h + 1, std::memory_order_release);
  }

  // try_pop(out): moves the oldest element into `out` and removes it; false
  // if the ring is empty.
  bool try_pop(T& out) noexcept(std::is_nothrow_move_assignable_v<T>) {
    T* p = front();
    if (p == nullptr) return false;
    out = std::move(*p);
    pop();
    return true;
  }

  // try_pop(): the oldest element, removed, or nullopt if the ring is empty.
  std::optional<T> try_pop() noexcept(std::is_nothrow_move_constructible_v<T>) {
    T* p = front();
    if (p == nullptr) return std::nullopt;
    std::optional<T> out(std::move(*p));
    pop();
    return out;
  }

  // --- either side -------------------------------------------------------

  // size_approx(): elements queued at some instant during the call.
  std::size_t size_approx() const noexcept {
    // Read head first: tail only grows, so tail - head cannot underflow.
    const uint64_t h = head_.load(std::memory_order_acquire);
    const uint64_t t = tail_.load(std::memory_order_acquire);
    return static_cast<std::size_t>(t - h);
  }
  // empty_approx(): size_approx() == 0.
  bool empty_approx() const noexcept { return size_approx() == 0; }

 private:
  struct Slot {
    alignas(T) unsigned char bytes[sizeof(T)];
  };

  T* element(uint64_t i) noexcept {
    return std::launder(reinterpret_cast<T*>(slots_[i & kMask].bytes));
  }

  // Producer's line. tail_: pushes so far; written by the producer
  // (release), read by the consumer (acquire). Only grows.
  alignas(kLineSize) std::atomic<uint64_t> tail_{0};
  // The producer's last view of head_; producer only. <= head_.
  uint64_t head_cache_ = 0;

  // Consumer's line. head_: pops so far; written by the consumer (release),
  // read by the producer (acquire). Only grows; head_ <= tail_.
  alignas(kLineSize) std::atomic<uint64_t> head_{0};
  // The consumer's last view of tail_; consumer only. <= tail_.
  uint64_t tail_cache_ = 0;

  // The slots (heap, so a large ring is not a large object). Slot i & kMask
  // holds element i for head_ <= i < tail_; owned by the producer outside
  // that range.
  alignas(kLineSize) const std::unique_ptr<Slot[]> slots_;
};

}  // namespace syncscope

#endif  // SYNCSCOPE_SPSC_RING_H_
