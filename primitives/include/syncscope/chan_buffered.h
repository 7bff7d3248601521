// syncscope/chan_buffered.h — the buffered flavour: a channel with a ring of
// capacity N > 0 (Go's make(chan T, N)).
//
// This file offers (internal: use syncscope::Chan<T> from syncscope/chan.h,
// which dispatches to this flavour when its capacity is not 0):
//   detail::BufferedChan<T>
//     create(cap)            one allocation: the ChanCore, then cap slots
//     try_push(v), try_pop(o)          the lock-free ring operations
//     send_nb(v), recv_nb(o)           ... plus the notification of a waiter
//     send_locked(v, &w), recv_locked(o, &w)   ... with the lock held (select)
//     full_hint()            a relaxed snapshot for try_send's copy
//
// The ring: cap_ slots preallocated with the channel, each a stamp and raw
// storage for one T, so a send or receive never allocates. The algorithm is
// Dmitry Vyukov's bounded MPMC queue (1024cores.net, "Bounded MPMC queue")
// with the position encoding of crossbeam-channel's array flavour
// (crossbeam-channel/src/flavors/array.rs: lap | mark | index, so that any
// capacity works without a division and close() is one RMW on tail_); see
// "Buffered channels" in chan_core.h for the encoding and the waiting
// protocol. A value is constructed in its slot by the send that reserved it
// and destroyed by the receive that takes it (T need not be default-
// constructible). Between head_ and tail_ every slot holds a value or is
// being written.
//
// Operations (in Go's terms; all lock-free unless they must wait or wake):
//   send:    tail_ marked -> kClosed (the caller panics). A free slot -> CAS
//            tail_, construct the value, publish the stamp, then notify one
//            queued receiver if any. Full -> kBlock (the caller spins, then
//            queues and parks: ChanCore::wait_ring).
//   receive: a value -> CAS head_, move it out, publish the stamp, then
//            notify one queued sender if any. Empty and marked -> kClosed;
//            empty -> kBlock.
//   So values leave in the order their sends reserved slots (FIFO), and a
//   receive returns "closed" only after every value sent before close().
//
// Why lock-free and not Go's lock-and-copy: with the lock, every operation
// of every producer and consumer serializes on one cache line and one
// critical section, and a thread preempted while holding it stalls all the
// others (on a shared machine, a preempted lock holder turns into a park
// per message). Here a send and a receive touch different lines (tail_ /
// head_, and the slot), and nobody waits for a descheduled thread except
// for the slot it reserved. (A goroutine is never switched out between its
// reservation and its stamp store — the runtime does not preempt,
// goroutine.h — so a goroutine that snoozes on a slot waits for another
// thread, never for a goroutine of its own P.)
//
// Memory ordering: see chan_core.h ("The ring"). The stamps are the only
// publication of slot contents: release store by the writer, acquire load
// by the next user. Where the ring is found full or empty the other
// position is read seq_cst: that answer decides whether to queue, and the
// queueing side's re-check is the seq_cst half of the handshake.

#ifndef SYNCSCOPE_CHAN_BUFFERED_H_
#define SYNCSCOPE_CHAN_BUFFERED_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <optional>
#include <stdexcept>
#include <utility>

#include <syncscope/chan_core.h>

namespace syncscope::detail {

template <class T>
class BufferedChan final : public ChanCore {
 public:
  // One slot of the ring. stamp: see "Buffered channels" (chan_core.h);
  // written by the operation that reserved the slot (release), read by
  // the next operation at that index (acquire).
  struct Slot {
    std::atomic<uint64_t> stamp;
    alignas(T) unsigned char storage[sizeof(T)];
  };

  // create(cap): cap >= 1. Throws std::length_error("makechan: size out of
  // range") when the ring would not fit in memory (Go's panic).
  static BufferedChan* create(std::size_t cap) {
    if (cap == 0 || cap > kMaxCap || cap > (kMaxBytes - kSlotsOffset) / sizeof(Slot)) {
      throw std::length_error("makechan: size out of range");
    }
    void* mem = ::operator new(kSlotsOffset + cap * sizeof(Slot), std::align_val_t(kAlign));
    auto* c = new (mem) BufferedChan(static_cast<uint32_t>(cap));
    c->buf_ = static_cast<unsigned char*>(mem) + kSlotsOffset;
    for (uint32_t i = 0; i < cap; ++i) {
      ::new (static_cast<void*>(c->slot(i))) Slot;
      c->slot(i)->stamp.store(i, std::memory_order_relaxed);  // published by `new`'s return
    }
    return c;
  }

  // try_push(v): the ring part of a send; no notification. Moves from v only
  // on kDone. kBlock: full. kClosed: tail_ is marked.
  Poll try_push(T& v) noexcept {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    uint32_t step = 0;
    for (;;) {
      if (tail & mark_bit_) return Poll::kClosed;
      const uint64_t index = tail & (mark_bit_ - 1);
      const uint64_t lap = tail & ~(one_lap() - 1);
      Slot* s = slot(index);
      const uint64_t stamp = s->stamp.load(std::memory_order_acquire);
      if (tail == stamp) {
        // Free for this position: reserve it. (On failure `tail` is reloaded.)
        const uint64_t next = index + 1 < cap_ ? tail + 1 : lap + one_lap();
        if (tail_.compare_exchange_weak(tail, next, std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
          ::new (static_cast<void*>(s->storage)) T(std::move(v));
          s->stamp.store(tail + 1, std::memory_order_release);
          return Poll::kDone;
        }
      } else if (stamp + one_lap() == tail + 1) {
        // The slot still holds the value sent one lap ago: the ring is full,
        // unless its receive has moved head_ and not yet the stamp.
        const uint64_t head = head_.load(std::memory_order_seq_cst);
        if (head + one_lap() == tail) return Poll::kBlock;
        ring_snooze(step);
        tail = tail_.load(std::memory_order_relaxed);
      } else {
        // Our tail is stale, or a send one lap behind is mid-write.
        ring_snooze(step);
        tail = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  // try_pop(out): the ring part of a receive; *out is empty; no
  // notification. kDone: *out holds the value. kClosed: closed and drained.
  // kBlock: empty.
  Poll try_pop(std::optional<T>* out) noexcept {
    uint64_t head = head_.load(std::memory_order_relaxed);
    uint32_t step = 0;
    for (;;) {
      const uint64_t index = head & (mark_bit_ - 1);
      const uint64_t lap = head & ~(one_lap() - 1);
      Slot* s = slot(index);
      const uint64_t stamp = s->stamp.load(std::memory_order_acquire);
      if (head + 1 == stamp) {
        // Holds the value for this position: take it.
        const uint64_t next = index + 1 < cap_ ? head + 1 : lap + one_lap();
        if (head_.compare_exchange_weak(head, next, std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
          T* p = value(s);
          out->emplace(std::move(*p));
          p->~T();
          s->stamp.store(head + one_lap(), std::memory_order_release);
          return Poll::kDone;
        }
      } else if (stamp == head) {
        // Not written for this position: empty, unless a send has reserved
        // it (tail_ moved) and is still writing. seq_cst (at least acquire):
        // a "closed" answer must synchronize with close()'s RMW.
        const uint64_t tail = tail_.load(std::memory_order_seq_cst);
        if ((tail & ~mark_bit_) == head) {
          return (tail & mark_bit_) != 0 ? Poll::kClosed : Poll::kBlock;
        }
        ring_snooze(step);
        head = head_.load(std::memory_order_relaxed);
      } else {
        // Our head is stale.
        ring_snooze(step);
        head = head_.load(std::memory_order_relaxed);
      }
    }
  }

  // send_nb(v) / recv_nb(out): a whole non-waiting send / receive from
  // outside any lock: the ring operation, then the notification (which may
  // take the lock). The front end's fast path and select's first pass.
  Poll send_nb(T& v) {
    const Poll p = try_push(v);
    if (p == Poll::kDone) notify_receivers();
    return p;
  }
  Poll recv_nb(std::optional<T>* out) {
    const Poll p = try_pop(out);
    if (p == Poll::kDone) notify_senders();
    return p;
  }

  // send_locked(v, wake) / recv_locked(out, wake): the same with this
  // channel's lock held (select's pass over every locked channel): the
  // notified waiter, if any, is claimed here and returned in *wake for the
  // caller to wake after unlocking (nullptr: none).
  Poll send_locked(T& v, Waiter** wake) noexcept {
    const Poll p = try_push(v);
    if (p == Poll::kDone && !recvq_.empty_sc()) {
      if (Sudog* sg = recvq_.dequeue()) *wake = publish(sg, true);
    }
    return p;
  }
  Poll recv_locked(std::optional<T>* out, Waiter** wake) noexcept {
    const Poll p = try_pop(out);
    if (p == Poll::kDone && !sendq_.empty_sc()) {
      if (Sudog* sg = sendq_.dequeue()) *wake = publish(sg, true);
    }
    return p;
  }

  // full_hint(): a relaxed guess that a send would block (open and full);
  // lets try_send(const T&) skip its copy. try_push decides for real.
  bool full_hint() const noexcept { return !ring_ready(true, std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kAlign = alignof(Slot) > 64 ? alignof(Slot) : 64;
  static constexpr std::size_t kSlotsOffset =
      (sizeof(ChanCore) + alignof(Slot) - 1) / alignof(Slot) * alignof(Slot);
  // The mark bit must stay below bit 63 with a lap above it.
  static constexpr std::size_t kMaxCap = std::numeric_limits<uint32_t>::max() - 1;
  static constexpr std::size_t kMaxBytes = std::numeric_limits<std::ptrdiff_t>::max() / 2;
  static_assert(kSlotsOffset >= sizeof(ChanCore) && kSlotsOffset % alignof(Slot) == 0,
                "the ring starts after the core, aligned for a slot");

  explicit BufferedChan(uint32_t cap) noexcept : ChanCore(cap, &destroy) {}

  // Destroys the values still buffered (between head_ and tail_: with the
  // last handle gone no operation is in flight), then the channel.
  static void destroy(ChanCore* core) noexcept {
    auto* c = static_cast<BufferedChan*>(core);
    const uint64_t tail = c->tail_.load(std::memory_order_relaxed) & ~c->mark_bit_;
    for (uint64_t pos = c->head_.load(std::memory_order_relaxed); pos != tail;) {
      const uint64_t index = pos & (c->mark_bit_ - 1);
      value(c->slot(index))->~T();
      pos = index + 1 < c->cap_ ? pos + 1 : (pos & ~(c->one_lap() - 1)) + c->one_lap();
    }
    const std::size_t bytes = kSlotsOffset + std::size_t{c->cap_} * sizeof(Slot);
    c->~BufferedChan();
    ::operator delete(static_cast<void*>(c), bytes, std::align_val_t(kAlign));
  }

  Slot* slot(uint64_t i) const noexcept {
    return std::launder(reinterpret_cast<Slot*>(buf_ + static_cast<std::size_t>(i) * sizeof(Slot)));
  }
  static T* value(Slot* s) noexcept { return std::launder(reinterpret_cast<T*>(s->storage)); }
};

}  // namespace syncscope::detail

#endif  // SYNCSCOPE_CHAN_BUFFERED_H_
