// syncscope/chan_buffered.h — the buffered flavour: a channel with a ring of
// capacity N > 0 (Go's make(chan T, N)).
//
// This file offers (internal: use syncscope::Chan<T> from syncscope/chan.h,
// which dispatches to this flavour when its capacity is not 0):
//   detail::BufferedChan<T>
//     create(cap)            one allocation: the ChanCore, then cap slots
//     try_push(v), try_pop(o)          the lock-free ring operations
//     send_nb(v), recv_nb(o)           ... or, with a waiter queued, the hand-off
//     send_locked(v, &h), recv_locked(o, &h)   ... with the lock held (select)
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
// Operations (in Go's terms; lock-free unless a waiter is queued):
//   send:    tail_ marked -> kClosed (the caller panics). A waiter queued ->
//            the locked path: serve the queued waiters first; then, ring
//            empty and a receiver queued -> v straight into its
//            destination; else push. Otherwise a free slot -> CAS tail_,
//            construct the value, publish the stamp. Full -> kBlock (the
//            caller spins, then queues: ChanCore::wait_ring).
//   receive: a waiter queued -> the locked path: serve the queued waiters
//            first, pop, and refill the emptied slot with the oldest queued
//            sender's value if the ring was full. Otherwise a value -> CAS
//            head_, move it out, publish the stamp. Empty and marked ->
//            kClosed; empty -> kBlock.
//   So values leave in the order their sends reserved slots (FIFO), a
//   receive returns "closed" only after every value sent before close(),
//   and queued waiters are served oldest first (chan_core.h, "Hand-off").
//
// Why lock-free and not Go's lock-and-copy: with the lock, every operation
// of every producer and consumer serializes on one cache line and one
// critical section, and a thread preempted while holding it stalls all the
// others (on a shared machine, a preempted lock holder turns into a park
// per message). Here a send and a receive touch different lines (tail_ /
// head_, and the slot), and nobody waits for a descheduled thread except
// for the slot it reserved. (A goroutine is never switched out between its
// reservation and its stamp store — the runtime preempts only at safe
// points (goroutine.h, "Preemption") and there is none in between — so a
// goroutine that snoozes on a slot waits for another thread, never for a
// goroutine of its own P.)
//
// Memory ordering: see chan_core.h ("The ring"). The stamps are the only
// publication of slot contents: release store by the writer, acquire load
// by the next user. Where the ring is found full or empty the other
// position is read seq_cst: that answer decides whether to queue, and the
// queueing side's re-check is the seq_cst half of the handshake. The batch
// wait's poll of a slot's stamp (ChanCore::ring_batch_ready) is relaxed: it
// only decides when to retry, and the retry's acquire load of the same
// stamp is what publishes the slot.

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

#include <syncscope/arch/atomic.h>
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
  // ChanCore::stamp_at reads a slot's stamp without knowing T.
  static_assert(offsetof(Slot, stamp) == 0, "a slot begins with its stamp");
  static_assert(sizeof(Slot) <= std::numeric_limits<uint32_t>::max(), "slot stride fits 32 bits");

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

  // ---- the ring alone (no queues, no lock needed) ----------------------------
  // try_push(v): the ring part of a send. Moves from v only on kDone.
  // kBlock: full. kClosed: tail_ is marked. A thread that has reserved a
  // slot (the CAS) owns it until its stamp store; see push_nb for the
  // handshake between the two.
  Poll try_push(T& v) noexcept {
    uint64_t pos = 0;
    Slot* s = nullptr;
    const Poll p = reserve_tail(&pos, &s);
    if (p == Poll::kDone) commit_push(s, pos, v);
    return p;
  }

  // try_pop(out): the ring part of a receive; *out is empty. kDone: *out
  // holds the value. kClosed: closed and drained. kBlock: empty.
  Poll try_pop(std::optional<T>* out) noexcept {
    uint64_t pos = 0;
    Slot* s = nullptr;
    const Poll p = reserve_head(&pos, &s);
    if (p == Poll::kDone) {
      take(s, out);
      s->stamp.store(pos + one_lap(), std::memory_order_release);
    }
    return p;
  }

  // ---- whole operations ---------------------------------------------------------
  // send_nb(v) / recv_nb(out): a whole non-waiting send / receive from
  // outside any lock (the front end's fast path, select's first pass). With
  // no waiter queued on either side: the lock-free ring operation, plus one
  // seq_cst load (the handshake) between its CAS and its stamp store.
  // With a waiter queued: the locked path, which serves the oldest waiters
  // first (Go's recvq/sendq discipline; see "Hand-off" above).
  Poll send_nb(T& v) {
    if (!recvq_.empty_hint() || !sendq_.empty_hint()) return send_slow(v);
    uint64_t pos = 0;
    Slot* s = nullptr;
    const Poll p = reserve_tail(&pos, &s, /*wait_in_flight=*/false);
    if (p != Poll::kDone) return p;
    // The handshake (chan_core.h, "No lost wake-up"): our seq_cst CAS on
    // tail_, then this seq_cst load; a receiver that queued before it is
    // seen here, one that queues after it sees tail_ moved. Read before the
    // stamp store: once the value is published, a receiver may take it and
    // free the channel, so a thread that must serve a waiter pins the
    // channel first ("Lifetime").
    const bool waiters = !recvq_.empty_sc();
    if (waiters) ref();
    commit_push(s, pos, v);
    if (waiters) serve_pinned();
    return Poll::kDone;
  }
  Poll recv_nb(std::optional<T>* out) {
    if (!sendq_.empty_hint() || !recvq_.empty_hint()) return recv_slow(out);
    uint64_t pos = 0;
    Slot* s = nullptr;
    const Poll p = reserve_head(&pos, &s, /*wait_in_flight=*/false);
    if (p != Poll::kDone) return p;
    take(s, out);
    const bool waiters = !sendq_.empty_sc();  // the handshake, as in send_nb
    if (!waiters) {
      s->stamp.store(pos + one_lap(), std::memory_order_release);
      return Poll::kDone;
    }
    ref();
    // A sender queued while we held the slot. If the lock is free, refill
    // the slot with the oldest sender's value (no newcomer can take it);
    // never wait for the lock while owning a slot (its holder may be
    // waiting for this very slot): then free it and serve afterwards.
    if (try_lock()) {
      Handoffs h;
      refill_or_free(s, pos, &h);
      serve_locked(&h);
      unlock();
      h.finish();
      unref();
      return Poll::kDone;
    }
    s->stamp.store(pos + one_lap(), std::memory_order_release);
    serve_pinned();
    return Poll::kDone;
  }

  // send_locked(v, h) / recv_locked(out, h): the same with this channel's
  // lock held and the channel pinned by the caller (send_slow/recv_slow,
  // select's pass over every locked channel). Older waiters are served
  // first; the waiters this completes are added to *h, to be published by
  // the caller after it unlocked.
  Poll send_locked(T& v, Handoffs* h) noexcept {
    if (tail_.load(std::memory_order_seq_cst) & mark_bit_) return Poll::kClosed;
    serve_locked(h);
    // Go's send to a waiting receiver: with the ring empty, the oldest
    // queued receiver gets v directly (a value already in the ring, or one
    // a sender is still writing, goes first: then v joins the ring).
    if (!recvq_.empty_hint() && ring_empty()) {
      if (Sudog* sg = recvq_.dequeue()) {
        static_cast<std::optional<T>*>(sg->elem)->emplace(std::move(v));
        h->add(sg, true);
        return Poll::kDone;
      }
    }
    const Poll p = try_push(v);
    if (p == Poll::kDone) serve_locked(h);
    return p;
  }
  Poll recv_locked(std::optional<T>* out, Handoffs* h) noexcept {
    serve_locked(h);
    uint64_t pos = 0;
    Slot* s = nullptr;
    const Poll p = reserve_head(&pos, &s);
    if (p != Poll::kDone) return p;
    take(s, out);
    // Go's receive from a full channel with a waiting sender: the oldest
    // sender's value takes the freed slot at once.
    refill_or_free(s, pos, h);
    serve_locked(h);
    return Poll::kDone;
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

  explicit BufferedChan(uint32_t cap) noexcept
      : ChanCore(cap, &destroy, static_cast<uint32_t>(sizeof(Slot))) {}

  // reserve_tail(&pos, &s, wait_in_flight): claims the slot for the next
  // send (the CAS on tail_); kDone: *pos / *s are that position and slot,
  // which this thread owns until commit_push. kBlock: full. kClosed:
  // marked. A slot whose receive has moved head_ but not yet stored the
  // stamp (in flight) is waited for (ring_snooze) when wait_in_flight, and
  // is kBlock otherwise: the lock-free send_nb then leaves the wait to its
  // caller's batch wait (spin_until_ready), which polls a line the partner
  // is not writing instead of re-reading the slot the partner is emptying;
  // the locked paths wait, as a queued waiter's re-check (ring_ready)
  // counts an operation in flight as done. A goroutine waits too: it does
  // not spin before queueing, so "would block" would send it through the
  // lock and the queue (and back, as the re-check counts the slot as done)
  // for a wait of a few instructions.
  Poll reserve_tail(uint64_t* pos, Slot** out_slot, bool wait_in_flight = true) noexcept {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    uint32_t step = 0;
    uint32_t cas_fails = 0;
    for (;;) {
      if (tail & mark_bit_) return Poll::kClosed;
      Slot* s = slot(tail & (mark_bit_ - 1));
      const uint64_t stamp = s->stamp.load(std::memory_order_acquire);
      if (tail == stamp) {
        // Free for this position: reserve it. (On failure `tail` is reloaded.)
        if (tail_.compare_exchange_weak(tail, successor(tail), std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
          *pos = tail;
          *out_slot = s;
          return Poll::kDone;
        }
        cas_backoff(cas_fails);
      } else if (stamp + one_lap() == tail + 1) {
        // The slot still holds the value sent one lap ago: the ring is full,
        // unless its receive has moved head_ and not yet the stamp.
        const uint64_t head = head_.load(std::memory_order_seq_cst);
        if (head + one_lap() == tail) return Poll::kBlock;
        if (step == 0 && leave_in_flight(wait_in_flight, tail)) return Poll::kBlock;
        ring_snooze(step);
        tail = tail_.load(std::memory_order_relaxed);
      } else {
        // Our tail is stale, or a send one lap behind is mid-write.
        ring_snooze(step);
        tail = tail_.load(std::memory_order_relaxed);
      }
    }
  }
  void commit_push(Slot* s, uint64_t pos, T& v) noexcept {
    ::new (static_cast<void*>(s->storage)) T(std::move(v));
    s->stamp.store(pos + 1, std::memory_order_release);
  }

  // reserve_head(&pos, &s, wait_in_flight): claims the value of the next
  // receive (the CAS on head_); kDone: this thread owns the slot until it
  // stores its stamp (after take()). kClosed: closed and drained. kBlock:
  // empty, or (!wait_in_flight, channel open) a send has reserved the slot
  // and not yet stored its stamp (see reserve_tail). After close() a send
  // in flight is always waited for: "closed" comes only after its value.
  Poll reserve_head(uint64_t* pos, Slot** out_slot, bool wait_in_flight = true) noexcept {
    uint64_t head = head_.load(std::memory_order_relaxed);
    uint32_t step = 0;
    uint32_t cas_fails = 0;
    for (;;) {
      Slot* s = slot(head & (mark_bit_ - 1));
      const uint64_t stamp = s->stamp.load(std::memory_order_acquire);
      if (head + 1 == stamp) {
        // Holds the value for this position: take it.
        if (head_.compare_exchange_weak(head, successor(head), std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
          *pos = head;
          *out_slot = s;
          return Poll::kDone;
        }
        cas_backoff(cas_fails);
      } else if (stamp == head) {
        // Not written for this position: empty, unless a send has reserved
        // it (tail_ moved) and is still writing. seq_cst (at least acquire):
        // a "closed" answer must synchronize with close()'s RMW.
        const uint64_t tail = tail_.load(std::memory_order_seq_cst);
        if ((tail & ~mark_bit_) == head) {
          return (tail & mark_bit_) != 0 ? Poll::kClosed : Poll::kBlock;
        }
        if (step == 0 && (tail & mark_bit_) == 0 && leave_in_flight(wait_in_flight, head)) {
          return Poll::kBlock;
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
  // leave_in_flight(wait_in_flight, pos): the operation in flight at pos
  // is kBlock (see reserve_tail): not asked to wait, on an OS thread, and
  // the first time this thread meets pos in flight. Met again (the batch
  // wait that followed did not see it finish: its thread may have been
  // preempted between its CAS and its stamp store), it is waited for,
  // with ring_snooze's yield, as the locked paths do.
  bool leave_in_flight(bool wait_in_flight, uint64_t pos) const noexcept {
    return !wait_in_flight && internal::parkable_goroutine() == nullptr &&
           first_in_flight_meeting(this, pos);
  }
  // cas_backoff(fails): a goroutine that lost a CAS on a ring position
  // pauses 2^min(fails, 6) spin hints before its retry (crossbeam-channel's
  // array flavour spins its Backoff after every failed CAS on head / tail).
  // Parties on the two P's racing for one position otherwise retry back to
  // back, and each retry pulls the position's line across: measured (issue
  // 11, 2-vCPU guest in the slow line hand-off state, one binary with and
  // without it, two sets of 6 alternating rounds, 2026-12-07 21:40-21:44,
  // load 0.9-3.5 and 4.7-10.6 from the runs' own threads — the second set
  // has the 129-party case — nothing else running) Chan on goroutines,
  // mpmc cap 1024, 4 / 8 / 32 parties: 0.68x / 0.41x / 0.37x the ns per
  // message (61 -> 40, 163 -> 62, 227-240 -> 82-83), every other goroutine
  // row 0.92-1.03x. On OS threads it gained nothing (0.92-1.09x; mpsc
  // cap 16 1.06x / 1.09x, the only medians above 1.05), so a thread
  // retries at once, as before.
  static void cas_backoff(uint32_t& fails) noexcept {
    if (internal::parkable_goroutine() == nullptr) return;
    const uint32_t n = 1u << (fails < kCasBackoffMaxStep ? fails : kCasBackoffMaxStep);
    for (uint32_t i = 0; i < n; ++i) ::syncscope::arch::cpu_relax();
    ++fails;
  }
  static constexpr uint32_t kCasBackoffMaxStep = 6;
  static void take(Slot* s, std::optional<T>* out) noexcept {
    T* p = value(s);
    out->emplace(std::move(*p));
    p->~T();
  }

  // The position after pos (crossbeam's: next index, or index 0 of the
  // next lap).
  uint64_t successor(uint64_t pos) const noexcept {
    return (pos & (mark_bit_ - 1)) + 1 < cap_ ? pos + 1 : (pos & ~(one_lap() - 1)) + one_lap();
  }
  // No value in the ring and none being written (seq_cst: see send_locked).
  bool ring_empty() const noexcept {
    return (tail_.load(std::memory_order_seq_cst) & ~mark_bit_) ==
           head_.load(std::memory_order_seq_cst);
  }

  // refill_or_free(s, pos, h): the lock is held, and this thread has just
  // taken the value at pos out of slot s (its stamp not yet stored). If the
  // ring was full — tail_ is pos one lap on, the position this slot serves
  // next — and a sender is queued, the oldest one's value goes straight
  // into s as the send at tail_ (Go's recv on a full channel with a waiting
  // sender): no send can reserve that position meanwhile (the stamp still
  // says "full") and close() needs the lock, so the CAS cannot fail, and
  // no newcomer overtakes the queued sender. Otherwise s is freed.
  void refill_or_free(Slot* s, uint64_t pos, Handoffs* h) noexcept {
    const uint64_t next = pos + one_lap();
    if (!sendq_.empty_hint() && tail_.load(std::memory_order_seq_cst) == next) {
      if (Sudog* sg = sendq_.dequeue()) {
        uint64_t expected = next;
        const bool reserved = tail_.compare_exchange_strong(
            expected, successor(next), std::memory_order_seq_cst, std::memory_order_relaxed);
        (void)reserved;  // true: see above
        commit_push(s, next, *static_cast<T*>(sg->elem));
        h->add(sg, true);
        return;
      }
    }
    s->stamp.store(next, std::memory_order_release);
  }

  // serve_locked(h): the lock is held. While the oldest queued receiver can
  // have a value (the ring is not empty) or the oldest queued sender a slot
  // (not full), claims it and does its ring operation for it (into its
  // destination / from its value), adding it to *h. A newcomer may still
  // win the value or slot between the check and the operation (it did not
  // queue, so it races on the ring): that waiter is then woken to retry
  // (ok = false), at most one per call. Each served receive frees a slot
  // and each served send fills one, so both queues are looked at again.
  void serve_locked(Handoffs* h) noexcept {
    for (bool progress = true; progress;) {
      progress = false;
      if (!recvq_.empty_hint() && ring_ready(false, std::memory_order_seq_cst)) {
        if (Sudog* sg = recvq_.dequeue()) {
          const bool ok = try_pop(static_cast<std::optional<T>*>(sg->elem)) == Poll::kDone;
          h->add(sg, ok);
          if (!ok) return;
          progress = true;
        }
      }
      if (!sendq_.empty_hint() && ring_ready(true, std::memory_order_seq_cst)) {
        if (Sudog* sg = sendq_.dequeue()) {
          const bool ok = try_push(*static_cast<T*>(sg->elem)) == Poll::kDone;
          h->add(sg, ok);
          if (!ok) return;
          progress = true;
        }
      }
    }
  }

  // serve_pinned(): after a lock-free ring operation that saw a waiter (the
  // caller pinned the channel with ref()): serve under the lock, publish,
  // unpin. Outlined: the rare path.
  __attribute__((noinline)) void serve_pinned() {
    locked_then_unpin([this](Handoffs* h) {
      serve_locked(h);
      return true;
    });
  }

  // send_slow(v) / recv_slow(out): a waiter is queued: the operation under
  // the lock, pinned (its ring effects are visible before the unlock, and
  // a partner that sees them may free the channel). Outlined.
  __attribute__((noinline)) Poll send_slow(T& v) {
    return pinned_locked([this, &v](Handoffs* h) { return send_locked(v, h); });
  }
  __attribute__((noinline)) Poll recv_slow(std::optional<T>* out) {
    return pinned_locked([this, out](Handoffs* h) { return recv_locked(out, h); });
  }

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
