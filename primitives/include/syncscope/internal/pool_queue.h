// syncscope/internal/pool_queue.h — the lock-free deques behind Pool's
// shared per-thread storage (Go's sync/poolqueue.go). Machinery of
// syncscope/pool.h: not for users, no stability promised.
//
// This file offers:
//   detail::PoolDequeue<T>   fixed-size ring: one producer (push_head,
//                            pop_head), any consumers (pop_tail); T* slots
//   detail::PoolChain<T>     a list of PoolDequeues of doubling size: the
//                            same operations, unbounded; every call inside
//                            an epoch read section (rcu.h)
//
// Design (after Go's poolqueue.go, Austin Clements, Go 1.13; the code is
// this file's own). What Pool uses them for is in pool.h ("Per-thread
// state": a thread's shared chain, the owner at the head, stealers at the
// tail).
//
// The deque (PoolDequeue, Go's poolDequeue): a ring of atomic pointer slots
// (a null slot is free) and ONE 64-bit word packing head (high 32 bits:
// next slot to fill) and tail (low 32 bits: oldest element). The range
// [tail, head) belongs to consumers; the rest to the producer. Packing both
// in one word lets a consumer and the producer race for the last element
// with a single CAS each: whoever moves the word first owns it.
//   * push_head (producer): full if tail + size == head, or if the slot at
//     head is still non-null (a consumer moved tail past it but has not
//     finished reading it). Otherwise store the pointer in the slot, then
//     fetch_add(1 << 32) (release) to publish it. Adding to the high half
//     lets the head counter overflow harmlessly off the top of the word.
//   * pop_head (producer): CAS (head, tail) -> (head - 1, tail); on success
//     the slot is the producer's again; read it and clear it.
//   * pop_tail (consumer): CAS (head, tail) -> (head, tail + 1); on success
//     the slot is this consumer's: read it, then clear it with a release
//     store, which hands the slot back to the producer.
// A deque has a fixed size; PoolChain (Go's poolChain) links deques of
// doubling size (8, 16, ... up to 2^30) from oldest (tail end, where
// consumers steal) to newest (head end, where the owner pushes). When a
// consumer finds the oldest deque empty *and* a newer one exists, that
// deque can never be refilled (the owner only pushes to the newest), so the
// consumer unlinks it and retires it to epoch reclamation; the owner may
// still be walking back into it through `prev`, and other consumers may
// still be inside it, which is why it is not freed on the spot.
//
//
// Why one packed word instead of two indices: the owner's pop_head and a
// stealer's pop_tail can both target the last element; with two separate
// indices each could see the element as available and both take it (an
// ABA-style race), while one CAS on the packed word lets exactly one win.
// The single producer makes push_head a plain slot store plus one
// fetch_add, and stealers coexist with the owner without a lock.
//
// Memory ordering: push_head publishes the slot it filled with a release
// fetch_add on head_tail_ that consumers' acq_rel CAS reads, so what the
// producer wrote to the object before pushing it happens-before the
// consumer's use of it. A consumer hands a slot back to the producer with a
// release store of null that push_head's acquire load of the slot reads.
// Chain links are seq_cst pointers (see each field).

#ifndef SYNCSCOPE_INTERNAL_POOL_QUEUE_H_
#define SYNCSCOPE_INTERNAL_POOL_QUEUE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include <syncscope/rcu.h>

namespace syncscope {
namespace detail {

// PoolDequeue<T>: Go's poolDequeue — fixed-size, single producer,
// multiple consumers; slots hold T* (null = free).
template <class T>
class PoolDequeue {
 public:
  // head_tail_ layout: head in bits 32..63, tail in bits 0..31. Both are
  // indexes mod 2^32 into the ring (mod size).
  static constexpr int kDequeueBits = 32;
  static constexpr uint64_t kTailMask = (uint64_t{1} << kDequeueBits) - 1;
  static constexpr uint64_t kHeadOne = uint64_t{1} << kDequeueBits;
  // Go's dequeueLimit: the largest ring, so that head - tail never exceeds
  // a quarter of the index space.
  static constexpr uint32_t kDequeueLimit = uint32_t{1} << (kDequeueBits - 2);

  static_assert(kDequeueBits == 32 && kTailMask == 0xffff'ffffu && kHeadOne == (uint64_t{1} << 32),
                "head and tail are the two 32-bit halves of head_tail_");
  static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<T*>::is_always_lock_free,
                "the packed word and the slots must be lock-free atomics");

  // size: a power of two in [1, kDequeueLimit].
  explicit PoolDequeue(uint32_t size) : mask_(size - 1), slots_(new std::atomic<T*>[size]) {
    for (uint32_t i = 0; i < size; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
  }
  PoolDequeue(const PoolDequeue&) = delete;
  PoolDequeue& operator=(const PoolDequeue&) = delete;

  uint32_t size() const noexcept { return mask_ + 1; }

  // push_head(v): producer only. false if full (v not taken).
  bool push_head(T* v) noexcept {
    const uint64_t ptrs = head_tail_.load(std::memory_order_acquire);
    const uint32_t head = static_cast<uint32_t>(ptrs >> kDequeueBits);
    const uint32_t tail = static_cast<uint32_t>(ptrs & kTailMask);
    if (static_cast<uint32_t>(tail + size()) == head) return false;  // full
    std::atomic<T*>& slot = slots_[head & mask_];
    // A consumer that moved tail past this slot may still be reading it; the
    // slot is ours only once it cleared it (its release store).
    if (slot.load(std::memory_order_acquire) != nullptr) return false;
    slot.store(v, std::memory_order_relaxed);
    // Publishes the slot: consumers' CAS (acq_rel) reads this or a later
    // value of the word (RMWs extend the release sequence).
    head_tail_.fetch_add(kHeadOne, std::memory_order_release);
    return true;
  }

  // pop_head(): producer only. The newest element, or nullptr if empty.
  T* pop_head() noexcept {
    uint64_t ptrs = head_tail_.load(std::memory_order_acquire);
    uint32_t head;
    for (;;) {
      head = static_cast<uint32_t>(ptrs >> kDequeueBits);
      const uint32_t tail = static_cast<uint32_t>(ptrs & kTailMask);
      if (head == tail) return nullptr;
      // Take the slot back before reading it: a consumer may be racing for
      // the same (last) element, and only one CAS can win.
      --head;
      if (head_tail_.compare_exchange_weak(ptrs, pack(head, tail), std::memory_order_acq_rel,
                                           std::memory_order_acquire)) {
        break;
      }
    }
    std::atomic<T*>& slot = slots_[head & mask_];
    T* v = slot.load(std::memory_order_relaxed);  // we wrote it
    slot.store(nullptr, std::memory_order_relaxed);  // no consumer owns it
    return v;
  }

  // pop_tail(): any thread. The oldest element, or nullptr if empty.
  T* pop_tail() noexcept {
    uint64_t ptrs = head_tail_.load(std::memory_order_acquire);
    uint32_t tail;
    for (;;) {
      const uint32_t head = static_cast<uint32_t>(ptrs >> kDequeueBits);
      tail = static_cast<uint32_t>(ptrs & kTailMask);
      if (head == tail) return nullptr;
      if (head_tail_.compare_exchange_weak(ptrs, pack(head, tail + 1), std::memory_order_acq_rel,
                                           std::memory_order_acquire)) {
        break;
      }
    }
    std::atomic<T*>& slot = slots_[tail & mask_];
    T* v = slot.load(std::memory_order_relaxed);  // published by the CAS's acquire
    // Hands the slot back to the producer (pairs with push_head's acquire).
    slot.store(nullptr, std::memory_order_release);
    return v;
  }

  // push_head_some(v, n): producer only. Pushes v[0], v[1], ... (v[0]
  // first, so v[n-1] ends up newest) while there is room, and publishes
  // them all with one fetch_add: the batched form of push_head, for Pool's
  // moves from a thread's private batch (pool.h, "Private batch"). Returns
  // how many were taken (a prefix of v; 0 when full).
  uint32_t push_head_some(T* const* v, uint32_t n) noexcept {
    const uint64_t ptrs = head_tail_.load(std::memory_order_acquire);
    const uint32_t head = static_cast<uint32_t>(ptrs >> kDequeueBits);
    const uint32_t tail = static_cast<uint32_t>(ptrs & kTailMask);
    const uint32_t room = size() - (head - tail);
    uint32_t m = 0;
    for (; m < n && m < room; ++m) {
      std::atomic<T*>& slot = slots_[(head + m) & mask_];
      // As in push_head: a slot is ours once its last consumer cleared it.
      // Only the producer makes a slot non-null, so once seen null it stays
      // so until the store below.
      if (slot.load(std::memory_order_acquire) != nullptr) break;
      slot.store(v[m], std::memory_order_relaxed);
    }
    // One release RMW publishes every slot stored above.
    if (m != 0)
      head_tail_.fetch_add(static_cast<uint64_t>(m) << kDequeueBits, std::memory_order_release);
    return m;
  }

  // pop_head_some(out, n): producer only. Takes up to n of the newest
  // elements with one CAS (head -> head - m): out[0] the newest, out[m-1]
  // the oldest taken. Returns m (0 when empty). Like pop_head, the CAS
  // settles any race with consumers: after it, [head - m, head) is the
  // producer's again, since consumers only ever take from below head.
  uint32_t pop_head_some(T** out, uint32_t n) noexcept {
    uint64_t ptrs = head_tail_.load(std::memory_order_acquire);
    uint32_t head;
    uint32_t m;
    for (;;) {
      head = static_cast<uint32_t>(ptrs >> kDequeueBits);
      const uint32_t tail = static_cast<uint32_t>(ptrs & kTailMask);
      const uint32_t avail = head - tail;
      if (avail == 0) return 0;
      m = avail < n ? avail : n;
      if (head_tail_.compare_exchange_weak(ptrs, pack(head - m, tail), std::memory_order_acq_rel,
                                           std::memory_order_acquire)) {
        break;
      }
    }
    for (uint32_t i = 0; i < m; ++i) {
      std::atomic<T*>& slot = slots_[(head - 1 - i) & mask_];
      out[i] = slot.load(std::memory_order_relaxed);   // we wrote it
      slot.store(nullptr, std::memory_order_relaxed);  // no consumer owns it
    }
    return m;
  }

  // count_approx(): head - tail, a snapshot.
  uint32_t count_approx() const noexcept {
    const uint64_t ptrs = head_tail_.load(std::memory_order_acquire);
    return static_cast<uint32_t>(ptrs >> kDequeueBits) - static_cast<uint32_t>(ptrs & kTailMask);
  }

  // drain_unsafe(f): f(v) for every non-null slot, clearing it. Only when no
  // other thread can touch the deque.
  template <class F>
  void drain_unsafe(F&& f) noexcept {
    for (uint32_t i = 0; i <= mask_; ++i) {
      if (T* v = slots_[i].load(std::memory_order_relaxed); v != nullptr) {
        slots_[i].store(nullptr, std::memory_order_relaxed);
        f(v);
      }
    }
  }

 private:
  static uint64_t pack(uint32_t head, uint32_t tail) noexcept {
    return (static_cast<uint64_t>(head) << kDequeueBits) | tail;
  }

  // The packed (head, tail) word. head: +1 by push_head (fetch_add, release,
  // producer), -1 by pop_head (CAS, producer). tail: +1 by pop_tail (CAS,
  // consumers). Never decreases otherwise.
  std::atomic<uint64_t> head_tail_{0};
  const uint32_t mask_;
  // The ring. A slot is non-null while it holds an element, and stays
  // non-null after a consumer moved tail past it until that consumer has
  // read it and cleared it (release). Written by the producer (relaxed, then
  // published by head_tail_) and by the consumer that clears it.
  const std::unique_ptr<std::atomic<T*>[]> slots_;
};

// PoolChain<T>: Go's poolChain — a list of PoolDequeues of doubling size.
// One producer (push_head/pop_head), any consumers (pop_tail). Every call
// must run inside an epoch read section (EpochGuard): pop_tail retires
// drained deques.
template <class T>
class PoolChain {
  // An element of the chain. Immutable links except as noted.
  struct Elt final : Retired {
    explicit Elt(uint32_t size) : dequeue(size) {}
    PoolDequeue<T> dequeue;
    // The newer element. Written once by the producer (seq_cst store) when
    // it creates the newer one; read by consumers (seq_cst).
    std::atomic<Elt*> next{nullptr};
    // The older element. Set before publication; cleared (seq_cst) by the
    // consumer that unlinks the older one; read by the producer walking back
    // in pop_head (seq_cst).
    std::atomic<Elt*> prev{nullptr};
    static void free(Retired* r) noexcept {
      auto* e = static_cast<Elt*>(r);
      // A retired element is empty once the consumers inside it have left;
      // the drain is only a safety net.
      e->dequeue.drain_unsafe([](T* v) { delete v; });
      delete e;
    }
  };

 public:
  static constexpr uint32_t kInitialSize = 8;  // Go's initSize; a power of two

  PoolChain() noexcept = default;
  PoolChain(const PoolChain&) = delete;
  PoolChain& operator=(const PoolChain&) = delete;
  // Frees the elements still linked (not their objects: drain_unsafe first).
  ~PoolChain() {
    Elt* e = tail_.load(std::memory_order_relaxed);
    while (e != nullptr) {
      Elt* next = e->next.load(std::memory_order_relaxed);
      delete e;
      e = next;
    }
  }

  // push_head(v): producer only. May throw std::bad_alloc (growing the
  // chain); v is then not taken.
  void push_head(T* v) {
    Elt* d = head_;
    if (d == nullptr) {
      d = new Elt(kInitialSize);
      link_newest(nullptr, d);
    }
    if (d->dequeue.push_head(v)) return;
    // The newest deque is full: link a new one of twice the size.
    uint32_t size = d->dequeue.size() * 2;
    if (size > PoolDequeue<T>::kDequeueLimit) size = PoolDequeue<T>::kDequeueLimit;
    Elt* d2 = new Elt(size);
    d2->dequeue.push_head(v);  // empty: cannot fail
    link_newest(d, d2);
  }

  // push_head_batch(v, n): producer only. push_head of v[0], ..., v[n-1]
  // (v[n-1] ends up newest), one fetch_add per deque filled instead of one
  // per element. Returns how many were taken: n, or a prefix of v when a
  // new deque could not be allocated (the rest is not taken; no throw).
  uint32_t push_head_batch(T* const* v, uint32_t n) noexcept {
    Elt* d = head_;
    uint32_t k = 0;
    if (d != nullptr) k = d->dequeue.push_head_some(v, n);
    while (k < n) {
      // No deque yet, or the newest is full: link a new one, at least twice
      // the size (as push_head) and large enough for the rest.
      uint32_t size = d == nullptr ? kInitialSize : d->dequeue.size() * 2;
      while (size < n - k && size < PoolDequeue<T>::kDequeueLimit) size *= 2;
      if (size > PoolDequeue<T>::kDequeueLimit) size = PoolDequeue<T>::kDequeueLimit;
      Elt* d2;
      try {
        d2 = new Elt(size);  // the element and its ring: either may throw
      } catch (const std::bad_alloc&) {
        return k;
      }
      k += d2->dequeue.push_head_some(v + k, n - k);  // empty: takes min(size, n - k)
      link_newest(d, d2);
      d = d2;
    }
    return k;
  }

  // pop_head_batch(out, n): producer only. Up to n of the newest elements,
  // newest first (out[0]); walks back into older deques as pop_head does.
  // Returns how many.
  uint32_t pop_head_batch(T** out, uint32_t n) noexcept {
    uint32_t k = 0;
    for (Elt* d = head_; d != nullptr && k < n; d = d->prev.load(std::memory_order_seq_cst)) {
      k += d->dequeue.pop_head_some(out + k, n - k);
    }
    return k;
  }

  // pop_head(): producer only. The newest element, or nullptr.
  T* pop_head() noexcept {
    for (Elt* d = head_; d != nullptr; d = d->prev.load(std::memory_order_seq_cst)) {
      if (T* v = d->dequeue.pop_head(); v != nullptr) return v;
      // Older deques may still hold elements: walk back.
    }
    return nullptr;
  }

  // pop_tail(retired): any thread. The oldest element, or nullptr. Unlinks
  // the oldest deque when it is drained for good and retires it to
  // `retired`.
  T* pop_tail(RetireList& retired) noexcept {
    Elt* d = tail_.load(std::memory_order_seq_cst);
    if (d == nullptr) return nullptr;
    for (;;) {
      // Load next *before* popping (Go's comment): if next was non-null
      // before the pop and the pop fails, d is empty for good — the owner
      // has moved on to a newer deque — and only then may d be dropped.
      Elt* d2 = d->next.load(std::memory_order_seq_cst);
      if (T* v = d->dequeue.pop_tail(); v != nullptr) return v;
      if (d2 == nullptr) return nullptr;  // the only deque; empty for now
      Elt* expected = d;
      if (tail_.compare_exchange_strong(expected, d2, std::memory_order_seq_cst,
                                        std::memory_order_seq_cst)) {
        // We unlinked d. Clear the back link so pop_head stops walking into
        // it, then retire it: threads already inside it (the owner walking
        // back, other consumers) keep it alive through their read sections.
        // Epoch argument (rcu.h): a thread can reach d only by loading
        // tail_ or d2->prev, both seq_cst, and both loads precede (in S) the
        // two seq_cst writes above, which precede retire's tag.
        d2->prev.store(nullptr, std::memory_order_seq_cst);
        retired.retire(d, &Elt::free);
      }
      d = d2;
    }
  }

  // count_approx(): elements in the chain (a snapshot; inside a read
  // section).
  std::size_t count_approx() const noexcept {
    std::size_t n = 0;
    for (Elt* e = tail_.load(std::memory_order_seq_cst); e != nullptr;
         e = e->next.load(std::memory_order_seq_cst)) {
      n += e->dequeue.count_approx();
    }
    return n;
  }

  // drain_unsafe(f): f(v) for every element, leaving the chain empty. Only
  // when no other thread can touch it.
  template <class F>
  void drain_unsafe(F&& f) noexcept {
    for (Elt* e = tail_.load(std::memory_order_relaxed); e != nullptr;
         e = e->next.load(std::memory_order_relaxed)) {
      e->dequeue.drain_unsafe(f);
    }
  }

 private:
  // link_newest(d, d2): producer only. Makes d2 (filled or not) the newest
  // element after d (null: the chain was empty). d2 is published to
  // consumers by the seq_cst store of d->next (or of tail_ for the first),
  // after everything pushed into it.
  void link_newest(Elt* d, Elt* d2) noexcept {
    head_ = d2;
    if (d == nullptr) {
      tail_.store(d2, std::memory_order_seq_cst);
      return;
    }
    d2->prev.store(d, std::memory_order_relaxed);
    d->next.store(d2, std::memory_order_seq_cst);  // publishes d2 to consumers
  }

  // The newest element; the producer's alone (plain).
  Elt* head_ = nullptr;
  // The oldest element still linked. Set by the producer's first push
  // (seq_cst), advanced by consumers' CAS (seq_cst); read by everyone.
  std::atomic<Elt*> tail_{nullptr};
};

}  // namespace detail
}  // namespace syncscope

#endif  // SYNCSCOPE_INTERNAL_POOL_QUEUE_H_
