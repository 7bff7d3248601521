// syncscope/chan_buffered.h — the buffered flavour: a channel with a ring of
// capacity N > 0 (Go's make(chan T, N)).
//
// This file offers (internal: use syncscope::Chan<T> from syncscope/chan.h,
// which dispatches to this flavour when its capacity is not 0):
//   detail::BufferedChan<T>
//     create(cap)         one allocation: the ChanCore, then cap slots of T
//     send_locked(v, &w)  Go's chansend body, under the channel lock
//     recv_locked(o, &w)  Go's chanrecv body, under the channel lock
//     full_hint(), empty_acquire()  lock-free snapshots for try_* fast paths
//
// The ring (Go's buf/sendx/recvx/qcount): cap_ slots of raw storage for T,
// preallocated with the channel, so a send or receive never allocates. A
// value is constructed in slot sendx_ by a send and destroyed from slot
// recvx_ by the receive that takes it (T need not be default-constructible).
// The slots holding values are recvx_, recvx_+1, ... (mod cap_), qcount_ of
// them; the rest hold no object.
//
// Transfer rules (Go's, in order):
//   send:    closed -> kClosed (the caller panics). A claimable receiver in
//            recvq_ (so the buffer is empty) -> move the value straight into
//            its destination. Room in the ring -> construct at sendx_.
//            Otherwise kBlock.
//   receive: a value in the ring -> move it out of recvx_. If a claimable
//            sender waits (so the ring was full), move its value into the
//            slot just freed, which is the tail: recvx_ and sendx_ advance
//            together and qcount_ stays cap_ (Go's recv() for a full
//            buffer). Empty and closed -> kClosed. Otherwise kBlock.
//   So values leave in the order they were sent (FIFO), and a waiting
//   sender's value goes behind every value already buffered.
//
// Memory ordering: everything here runs under the channel lock, which
// orders it (see chan_core.h). qcount_ is also read without the lock:
// full_hint() relaxed (try_send may report "full" only; Go's argument: a
// channel cannot go from "not full" back to "full" while observed closed-
// free, and reporting "would block" needs no data), and empty_acquire()
// with acquire so that the closed_ load that follows it in
// Chan::try_receive cannot be satisfied before it (Go's empty-then-closed
// order in chanrecv's fast path).

#ifndef SYNCSCOPE_CHAN_BUFFERED_H_
#define SYNCSCOPE_CHAN_BUFFERED_H_

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
  // create(cap): cap >= 1. Throws std::length_error("makechan: size out of
  // range") when the ring would not fit in memory (Go's panic).
  static BufferedChan* create(std::size_t cap) {
    if (cap == 0 || cap > kMaxCap || cap > (kMaxBytes - kSlotsOffset) / sizeof(T)) {
      throw std::length_error("makechan: size out of range");
    }
    void* mem = ::operator new(kSlotsOffset + cap * sizeof(T), std::align_val_t(kAlign));
    auto* c = new (mem) BufferedChan(static_cast<uint32_t>(cap));
    c->buf_ = static_cast<unsigned char*>(mem) + kSlotsOffset;
    return c;
  }

  // send_locked(v, wake): the lock is held. Moves from v only when it
  // returns kDone. *wake: a parked waiter to wake after unlocking, or
  // unchanged.
  Poll send_locked(T& v, Waiter** wake) noexcept {
    if (closed_.load(std::memory_order_relaxed) != 0) return Poll::kClosed;
    if (Sudog* sg = recvq_.dequeue()) {
      // A receiver waits, so the ring is empty: hand the value over directly
      // (no copy through the ring, and the receiver need not lock again).
      static_cast<std::optional<T>*>(sg->elem)->emplace(std::move(v));
      *wake = publish(sg, true);
      return Poll::kDone;
    }
    const uint32_t q = qcount_.load(std::memory_order_relaxed);
    if (q < cap_) {
      ::new (static_cast<void*>(slot_addr(sendx_))) T(std::move(v));
      sendx_ = next(sendx_);
      qcount_.store(q + 1, std::memory_order_relaxed);
      return Poll::kDone;
    }
    return Poll::kBlock;
  }

  // recv_locked(out, wake): the lock is held; *out is empty. kDone: *out
  // holds the value. kClosed: closed and drained. kBlock: empty, open.
  Poll recv_locked(std::optional<T>* out, Waiter** wake) noexcept {
    const uint32_t q = qcount_.load(std::memory_order_relaxed);
    if (q > 0) {
      T* s = slot(recvx_);
      out->emplace(std::move(*s));
      s->~T();
      if (Sudog* sg = sendq_.dequeue()) {
        // The ring was full (a sender waits): its value takes the slot just
        // freed, which is the tail of the queue. Count unchanged.
        ::new (static_cast<void*>(s)) T(std::move(*static_cast<T*>(sg->elem)));
        recvx_ = next(recvx_);
        sendx_ = recvx_;
        *wake = publish(sg, true);
      } else {
        recvx_ = next(recvx_);
        qcount_.store(q - 1, std::memory_order_relaxed);
      }
      return Poll::kDone;
    }
    if (closed_.load(std::memory_order_relaxed) != 0) return Poll::kClosed;
    return Poll::kBlock;
  }

  // Lock-free snapshots (see "Memory ordering" above).
  bool full_hint() const noexcept {
    return qcount_.load(std::memory_order_relaxed) == cap_;
  }
  bool empty_acquire() const noexcept {
    return qcount_.load(std::memory_order_acquire) == 0;
  }

 private:
  static constexpr std::size_t kAlign = alignof(T) > 64 ? alignof(T) : 64;
  static constexpr std::size_t kSlotsOffset =
      (sizeof(ChanCore) + alignof(T) - 1) / alignof(T) * alignof(T);
  static constexpr std::size_t kMaxCap = std::numeric_limits<uint32_t>::max() - 1;
  static constexpr std::size_t kMaxBytes = std::numeric_limits<std::ptrdiff_t>::max() / 2;
  static_assert(kSlotsOffset >= sizeof(ChanCore) && kSlotsOffset % alignof(T) == 0,
                "the ring starts after the core, aligned for T");

  explicit BufferedChan(uint32_t cap) noexcept : ChanCore(cap, &destroy) {}

  // Destroys the values still buffered, then the channel (last handle gone).
  static void destroy(ChanCore* core) noexcept {
    auto* c = static_cast<BufferedChan*>(core);
    uint32_t i = c->recvx_;
    for (uint32_t n = c->qcount_.load(std::memory_order_relaxed); n > 0; --n) {
      c->slot(i)->~T();
      i = c->next(i);
    }
    const std::size_t bytes = kSlotsOffset + std::size_t{c->cap_} * sizeof(T);
    c->~BufferedChan();
    ::operator delete(static_cast<void*>(c), bytes, std::align_val_t(kAlign));
  }

  unsigned char* slot_addr(uint32_t i) const noexcept { return buf_ + std::size_t{i} * sizeof(T); }
  T* slot(uint32_t i) const noexcept { return std::launder(reinterpret_cast<T*>(slot_addr(i))); }
  uint32_t next(uint32_t i) const noexcept { return ++i == cap_ ? 0 : i; }
};

}  // namespace syncscope::detail

#endif  // SYNCSCOPE_CHAN_BUFFERED_H_
