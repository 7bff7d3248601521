// syncscope/chan_unbuffered.h — the unbuffered flavour: a rendezvous channel
// (Go's make(chan T) / make(chan T, 0)).
//
// This file offers (internal: use syncscope::Chan<T> from syncscope/chan.h,
// which dispatches to this flavour when its capacity is 0):
//   detail::UnbufferedChan<T>
//     create()            one allocation: the ChanCore alone (no ring)
//     send_locked(v, &h)  Go's chansend body, under the channel lock
//     recv_locked(o, &h)  Go's chanrecv body, under the channel lock
//     full_hint(), empty_acquire()  lock-free snapshots for try_* fast paths
//
// With no buffer every transfer is a handoff between two threads: the
// second of a sender/receiver pair to arrive finds the first queued and
// moves the value directly from the sender's variable into the receiver's
// destination, under the channel lock, and publishes the partner's
// completion only after unlocking (the partner may then free the channel:
// chan_core.h, "Lifetime"). A send therefore completes only once
// a receiver has taken its value, and vice versa: both sides of the
// rendezvous return after the transfer.
//
// Transfer rules (Go's):
//   send:    closed -> kClosed (the caller panics). A claimable receiver in
//            recvq_ -> move the value into its destination. Otherwise kBlock.
//   receive: a claimable sender in sendq_ -> move its value out. Closed ->
//            kClosed. Otherwise kBlock.
//
// Memory ordering: everything runs under the channel lock (chan_core.h).
// The lock-free snapshots read the queue heads relaxed (full_hint: "no
// receiver waits") and with acquire (empty_acquire: "no sender waits", read
// before closed_ in Chan::try_receive, as for the buffered flavour).

#ifndef SYNCSCOPE_CHAN_UNBUFFERED_H_
#define SYNCSCOPE_CHAN_UNBUFFERED_H_

#include <atomic>
#include <new>
#include <optional>
#include <utility>

#include <syncscope/chan_core.h>

namespace syncscope::detail {

template <class T>
class UnbufferedChan final : public ChanCore {
 public:
  static UnbufferedChan* create() {
    void* mem = ::operator new(sizeof(UnbufferedChan), std::align_val_t(alignof(UnbufferedChan)));
    return new (mem) UnbufferedChan();
  }

  // send_locked(v, h): the lock is held. Moves from v only on kDone; the
  // receiver it completed is in *h, to be published after unlocking.
  Poll send_locked(T& v, Handoffs* h) noexcept {
    if (closed_.load(std::memory_order_relaxed) != 0) return Poll::kClosed;
    if (Sudog* sg = recvq_.dequeue()) {
      static_cast<std::optional<T>*>(sg->elem)->emplace(std::move(v));
      h->add(sg, true);
      return Poll::kDone;
    }
    return Poll::kBlock;
  }

  // recv_locked(out, h): the lock is held; *out is empty. The sender it
  // completed is in *h, to be published after unlocking.
  Poll recv_locked(std::optional<T>* out, Handoffs* h) noexcept {
    if (Sudog* sg = sendq_.dequeue()) {
      out->emplace(std::move(*static_cast<T*>(sg->elem)));
      h->add(sg, true);
      return Poll::kDone;
    }
    if (closed_.load(std::memory_order_relaxed) != 0) return Poll::kClosed;
    return Poll::kBlock;
  }

  // "A send would block": no receiver is queued (relaxed snapshot).
  bool full_hint() const noexcept { return recvq_.empty_hint(); }
  // "A receive would block": no sender is queued. Acquire: orders the head
  // load before the caller's closed_ load (see chan_buffered.h).
  bool empty_acquire() const noexcept { return sendq_.empty_acquire(); }

 private:
  UnbufferedChan() noexcept : ChanCore(0, &destroy) {}

  static void destroy(ChanCore* core) noexcept {
    auto* c = static_cast<UnbufferedChan*>(core);
    c->~UnbufferedChan();
    ::operator delete(static_cast<void*>(c), sizeof(UnbufferedChan),
                      std::align_val_t(alignof(UnbufferedChan)));
  }
};

}  // namespace syncscope::detail

#endif  // SYNCSCOPE_CHAN_UNBUFFERED_H_
