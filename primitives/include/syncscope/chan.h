// syncscope/chan.h — Chan<T>: Go's channel for threads.
//
// API summary:
//   Chan<T> ch;                       nil channel (like `var ch chan T`)
//   Chan<T> ch(n); make_chan<T>(n)    unbuffered (n == 0) or buffered (n > 0)
//   ch.send(v)                        ch <- v        (copy or move; blocks)
//   ch.try_send(v) -> bool            select { case ch <- v: default: }
//   ch.send_until(v, t) / send_for(v, d) -> bool     false: deadline passed
//   ch.receive() -> std::optional<T>  v, ok := <-ch  (nullopt: closed+drained)
//   ch.receive_ok() -> RecvOk<T>      {value, ok}, value = T{} when !ok
//   ch.try_receive() -> Received<T>   select { case v, ok := <-ch: default: }
//   ch.receive_until(t) / receive_for(d) -> Received<T>
//       Received<T>: .status (kValue | kClosed | kWouldBlock), .value
//       (std::optional<T>), `if (auto r = ch.try_receive()) use(*r);`
//   ch.close()                        close(ch)
//   ch.len(), ch.cap()                len(ch), cap(ch)
//   for (T v : ch) ...                for v := range ch (until closed+drained)
//   ch.is_nil(), ch1 == ch2           nil test; same channel
//   ch.waiting_receivers()/_senders() threads blocked in ch (instrumentation)
//   Signal, DoneChan = Chan<Signal>   struct{} and the usual done channel
//   select over several channels: syncscope/select.h
//   patterns (or-done, fan-in/out, pipelines...): syncscope/chan_patterns.h
//   per-thread blocking counters: chan_thread_stats() (chan_core.h)
//
// A Chan<T> is a handle: copying it is cheap (one relaxed increment) and
// every copy refers to the same channel, which is destroyed with its last
// handle — the way a Go chan value is a reference. All operations are const
// (they do not change which channel the handle refers to) and may be called
// from any thread concurrently. A default-constructed Chan<T> is the nil
// channel: `Chan<int> c;` is NOT a usable channel — write `Chan<int> c(0)`
// or `make_chan<int>()` for an unbuffered one.
//
// Flavours (crossbeam-style: separate modules, one operation set, chosen at
// construction and dispatched by one predictable branch on the capacity):
//   capacity 0   detail::UnbufferedChan<T> (syncscope/chan_unbuffered.h):
//                rendezvous; every send meets a receive.
//   capacity N   detail::BufferedChan<T> (syncscope/chan_buffered.h): a
//                preallocated lock-free ring of N slots (Vyukov's bounded
//                MPMC queue, crossbeam's array flavour); no allocation
//                per message, no lock unless a partner waits.
//   nil          no object at all; handled here.
// Both flavours share syncscope/chan_core.h: Go's hchan structure (one
// lock, recvq/sendq of Sudogs on the waiters' stacks, the invariants
// written there) and the waiting protocol (bounded spinning, then parking
// on the calling thread's Sema). A queued waiter is served by its partner
// on both flavours: its value is moved for it (into the waiting receiver's
// destination, or into the ring slot the partner frees for the waiting
// sender) before it is woken.
//
// Semantics (the seed's "特别场景" table; Go panics are ChanPanic exceptions,
// derived from std::logic_error, with Go's messages):
//              nil          empty         has values      full          closed
//   receive    blocks       blocks        value           value         values left, then
//              forever                                                  "closed" at once
//   send       blocks       value in      value in        blocks        throws "send on
//              forever                                                  closed channel"
//   close      throws       closes        closes; values  closes;       throws "close of
//              "close of    (receivers    stay readable   values stay   closed channel"
//              nil channel" get closed)                   readable
// For an unbuffered channel "empty" and "full" are the same state: a send
// blocks until a receiver takes the value, a receive until a sender comes.
// Closing wakes every blocked receiver ("closed") and every blocked sender
// (which throws). try_send on a closed channel throws too (Go's select
// panics on a send case of a closed channel). Receives on a nil channel
// with a deadline wait until the deadline; try_* on nil never succeed.
//
// Element types: T must be nothrow move-constructible and nothrow
// destructible (values are moved while the channel lock is held, or
// between a ring slot's reservation and its stamp; a throw there would
// leave the channel locked or the slot reserved forever) — true for every ordinary type,
// std::unique_ptr, std::string, containers, Chan<U>. Move-only types work:
// use send(std::move(v)). A send that did not happen (try_send false,
// deadline passed, closed channel) leaves its argument untouched. The
// const T& overloads copy into a temporary outside the lock, then move it.
//
// Fairness: per channel, values are received in the order they were sent,
// and blocked senders and blocked receivers are each served in FIFO order:
// an operation that finds waiters queued serves them before itself (Go's
// recvq/sendq discipline). Unbuffered: newcomers cannot overtake a queued
// waiter. Buffered: the oldest queued receiver gets the next value, the
// oldest queued sender the next free slot, moved for it by its partner;
// only a newcomer that has not queued and races a partner in the instant
// between its check of the ring and its operation for the waiter can take
// that value / slot first — the waiter is then woken to retry and queues
// again at the tail if it must (chan_core.h, "Hand-off").
// The channel lock itself is not fair but is held for a few dozen
// instructions.
//
// Memory ordering (Go's memory model for channels, the seed's 内存模型):
//   * the n-th send on a channel happens-before the n-th receive from it
//     completes;
//   * for capacity m, the n-th receive happens-before the (n+m)-th send
//     completes (m = 0: the receive happens-before the send completes);
//   * close happens-before a receive that returns "closed" because of it.
// So plain data written before a send is visible after the matching
// receive. Mechanism: chan_core.h ("Memory ordering").
//
// Blocking and cost: an operation that cannot complete spins for a bounded,
// per-thread adaptive budget of cpu_relax — on a buffered channel before
// queueing (polling for a value / a free slot), on an unbuffered one after
// queueing (waiting for a partner's handoff) — then parks on a Sema
// (syncscope/internal/sema.h). The budget's ceiling is calibrated at run time from
// the measured unpark latency (chan_core.cc). Fast paths never allocate or
// make a system call: on a buffered channel a free slot or a value in the
// ring costs one CAS and no lock (the lock is taken only when a partner is
// queued, to serve it); on an unbuffered one a waiting partner costs one
// lock round-trip. try_send/try_receive that would block return without
// taking the lock when nobody is queued (Go's fast path). No wait calls
// sched_yield (chan_core.cc, "No sched_yield()").

#ifndef SYNCSCOPE_CHAN_H_
#define SYNCSCOPE_CHAN_H_

#include <chrono>
#include <cstddef>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>

#include <syncscope/chan_buffered.h>
#include <syncscope/chan_core.h>
#include <syncscope/chan_unbuffered.h>

namespace syncscope {

// Go's struct{}: the element of pure signal channels.
struct Signal {
  friend constexpr bool operator==(Signal, Signal) noexcept { return true; }
};

// Result of try_receive / receive_until / receive_for.
template <class T>
struct Received {
  std::optional<T> value;  // engaged iff status == RecvStatus::kValue
  RecvStatus status = RecvStatus::kWouldBlock;

  bool ok() const noexcept { return status == RecvStatus::kValue; }
  bool closed() const noexcept { return status == RecvStatus::kClosed; }
  explicit operator bool() const noexcept { return ok(); }
  T& operator*() & noexcept { return *value; }
  T&& operator*() && noexcept { return std::move(*value); }
  T* operator->() noexcept { return &*value; }
};

// Result of receive_ok(): Go's `v, ok := <-ch`.
template <class T>
struct RecvOk {
  T value;  // T{} (Go's zero value) when !ok
  bool ok;
};

namespace detail {

// deadline_after(d): now + d, saturating at the far future.
template <class Rep, class Period>
Deadline deadline_after(std::chrono::duration<Rep, Period> d) {
  const Deadline now = Clock::now();
  if (d <= d.zero()) return now;
  const Clock::duration left = Deadline::max() - now;
  if (std::chrono::duration<long double>(d) >= std::chrono::duration<long double>(left)) {
    return Deadline::max();
  }
  return now + std::chrono::ceil<Clock::duration>(d);
}

// to_deadline(t): a time point of any clock as a steady_clock deadline.
template <class C, class Dur>
Deadline to_deadline(const std::chrono::time_point<C, Dur>& t) {
  if constexpr (std::is_same_v<C, Clock>) {
    return std::chrono::time_point_cast<Clock::duration>(t);
  } else {
    return deadline_after(t - C::now());
  }
}

// The typed bodies select.h calls under the channel lock (lock held;
// dispatch on the flavour). elem: T* (send) / std::optional<T>* (receive).
// The waiters they complete go to *h (published by the caller after it
// unlocked); a buffered channel must be pinned (ref()) by the caller.
template <class T>
Poll poll_send(ChanCore* core, void* elem, Handoffs* h) noexcept {
  T& v = *static_cast<T*>(elem);
  if (core->cap() == 0) return static_cast<UnbufferedChan<T>*>(core)->send_locked(v, h);
  return static_cast<BufferedChan<T>*>(core)->send_locked(v, h);
}
template <class T>
Poll poll_recv(ChanCore* core, void* elem, Handoffs* h) noexcept {
  auto* out = static_cast<std::optional<T>*>(elem);
  if (core->cap() == 0) return static_cast<UnbufferedChan<T>*>(core)->recv_locked(out, h);
  return static_cast<BufferedChan<T>*>(core)->recv_locked(out, h);
}
// The same for a buffered channel from outside every lock (select's first
// pass): the ring operation, or the hand-off when a waiter is queued.
template <class T>
Poll try_send_ring(ChanCore* core, void* elem) {
  return static_cast<BufferedChan<T>*>(core)->send_nb(*static_cast<T*>(elem));
}
template <class T>
Poll try_recv_ring(ChanCore* core, void* elem) {
  return static_cast<BufferedChan<T>*>(core)->recv_nb(static_cast<std::optional<T>*>(elem));
}

}  // namespace detail

template <class T>
class Chan {
  static_assert(!std::is_reference_v<T> && !std::is_const_v<T> && !std::is_volatile_v<T>,
                "Chan<T>: T must be a plain object type");
  static_assert(std::is_nothrow_move_constructible_v<T> && std::is_nothrow_destructible_v<T>,
                "Chan<T>: T must be nothrow move-constructible and nothrow destructible "
                "(values are moved under the channel lock)");

 public:
  using value_type = T;

  // Chan(): the nil channel.
  Chan() noexcept = default;
  // Chan(capacity): a new open channel; 0 = unbuffered. Allocates once
  // (the core plus, when buffered, the ring). Throws std::length_error for
  // a capacity that cannot be allocated (Go: "makechan: size out of range").
  explicit Chan(std::size_t capacity)
      : core_(capacity == 0 ? static_cast<detail::ChanCore*>(detail::UnbufferedChan<T>::create())
                            : detail::BufferedChan<T>::create(capacity)) {}

  Chan(const Chan& o) noexcept : core_(o.core_) {
    if (core_ != nullptr) core_->ref();
  }
  Chan(Chan&& o) noexcept : core_(std::exchange(o.core_, nullptr)) {}
  Chan& operator=(const Chan& o) noexcept {
    Chan(o).swap(*this);
    return *this;
  }
  Chan& operator=(Chan&& o) noexcept {
    Chan(std::move(o)).swap(*this);
    return *this;
  }
  ~Chan() {
    if (core_ != nullptr) core_->unref();
  }
  void swap(Chan& o) noexcept { std::swap(core_, o.core_); }

  // ---- send ---------------------------------------------------------------
  // send(v): Go's `ch <- v`. Blocks while the channel is full (unbuffered:
  // until a receiver takes v); forever on the nil channel. Throws
  // ChanPanic("send on closed channel") if the channel is closed, or gets
  // closed while this send waits.
  void send(T&& v) const { send_op(v, nullptr, true); }
  void send(const T& v) const {
    T tmp(v);
    send_op(tmp, nullptr, true);
  }

  // try_send(v): sends only if that needs no waiting. Usually lock-free
  // when it fails (Go's fast path). Throws on a closed channel. v is left
  // untouched when it returns false.
  bool try_send(T&& v) const {
    if (core_ != nullptr && core_->cap() == 0 && would_block_send()) return false;
    return send_op(v, nullptr, false);
  }
  bool try_send(const T& v) const {
    if (would_block_send()) return false;
    T tmp(v);
    return send_op(tmp, nullptr, false);
  }

  // send_until(v, t) / send_for(v, d): send, waiting at most until t / for
  // d. False if the deadline passed first (v untouched). A deadline in the
  // past makes it a try_send. Throws on a closed channel.
  template <class C, class Dur>
  bool send_until(T&& v, const std::chrono::time_point<C, Dur>& t) const {
    const detail::Deadline d = detail::to_deadline(t);
    return send_op(v, &d, true);
  }
  template <class C, class Dur>
  bool send_until(const T& v, const std::chrono::time_point<C, Dur>& t) const {
    T tmp(v);
    return send_until(std::move(tmp), t);
  }
  template <class Rep, class Period>
  bool send_for(T&& v, std::chrono::duration<Rep, Period> d) const {
    const detail::Deadline dl = detail::deadline_after(d);
    return send_op(v, &dl, true);
  }
  template <class Rep, class Period>
  bool send_for(const T& v, std::chrono::duration<Rep, Period> d) const {
    T tmp(v);
    return send_for(std::move(tmp), d);
  }

  // ---- receive ------------------------------------------------------------
  // receive(): Go's `v, ok := <-ch` as an optional: a value, or nullopt once
  // the channel is closed and its buffer drained. Blocks while empty;
  // forever on the nil channel.
  std::optional<T> receive() const {
    std::optional<T> out;
    recv_op(&out, nullptr, true);
    return out;
  }

  // receive_ok(): {value, ok}; value is T{} when ok is false.
  RecvOk<T> receive_ok() const
    requires std::is_default_constructible_v<T>
  {
    std::optional<T> v = receive();
    if (v) return RecvOk<T>{std::move(*v), true};
    return RecvOk<T>{T{}, false};
  }

  // try_receive(): a receive that never waits: kValue, kClosed (closed and
  // drained) or kWouldBlock. Usually lock-free when nothing is there (Go's
  // fast path, which also reports kClosed without the lock).
  Received<T> try_receive() const {
    Received<T> r;
    if (core_ == nullptr) return r;
    if (core_->cap() != 0) {
      // Buffered: the ring answers lock-free, "closed" included.
      r.status = recv_ring(static_cast<Buffered*>(core_), &r.value, nullptr, false);
      return r;
    }
    if (static_cast<Unbuffered*>(core_)->empty_acquire()) {
      // Go's argument (chanrecv): a channel that is observed empty and then
      // observed open was empty and open at the first observation. If it is
      // closed, look again: closed channels never refill, so empty now
      // means empty for good.
      if (!core_->closed_acquire()) return r;
      if (static_cast<Unbuffered*>(core_)->empty_acquire()) {
        r.status = RecvStatus::kClosed;
        return r;
      }
    }
    r.status = recv_op(&r.value, nullptr, false);
    return r;
  }

  // receive_until(t) / receive_for(d): like receive(), giving up at the
  // deadline with kWouldBlock. A past deadline makes it a try_receive.
  template <class C, class Dur>
  Received<T> receive_until(const std::chrono::time_point<C, Dur>& t) const {
    const detail::Deadline d = detail::to_deadline(t);
    Received<T> r;
    r.status = recv_op(&r.value, &d, true);
    return r;
  }
  template <class Rep, class Period>
  Received<T> receive_for(std::chrono::duration<Rep, Period> d) const {
    const detail::Deadline dl = detail::deadline_after(d);
    Received<T> r;
    r.status = recv_op(&r.value, &dl, true);
    return r;
  }

  // ---- close, len, cap ----------------------------------------------------
  // close(): Go's close(ch). Throws ChanPanic "close of nil channel" /
  // "close of closed channel".
  void close() const {
    if (core_ == nullptr) detail::throw_chan_panic(kCloseOfNilChannel);
    core_->close();
  }
  // len(): values buffered now (a snapshot; 0 for unbuffered and nil).
  std::size_t len() const noexcept { return core_ == nullptr ? 0 : core_->len(); }
  // cap(): the capacity given at construction (0 for unbuffered and nil).
  std::size_t cap() const noexcept { return core_ == nullptr ? 0 : core_->cap(); }

  // waiting_receivers() / waiting_senders(): threads blocked in this
  // channel right now (0 for nil). Instrumentation, not Go: a snapshot that
  // takes the channel lock; lets tests and benchmarks wait until threads are
  // really blocked (see ChanCore::waiting_receivers).
  std::size_t waiting_receivers() const noexcept {
    return core_ == nullptr ? 0 : core_->waiting_receivers();
  }
  std::size_t waiting_senders() const noexcept {
    return core_ == nullptr ? 0 : core_->waiting_senders();
  }

  bool is_nil() const noexcept { return core_ == nullptr; }
  explicit operator bool() const noexcept { return core_ != nullptr; }
  friend bool operator==(const Chan& a, const Chan& b) noexcept { return a.core_ == b.core_; }

  // ---- range-for ----------------------------------------------------------
  // for (T v : ch): Go's `for v := range ch`: receives until the channel is
  // closed and drained (forever on the nil channel). An input iterator.
  class Iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::input_iterator_tag;

    Iterator() = default;
    T& operator*() const noexcept { return *cur_; }
    T* operator->() const noexcept { return &*cur_; }
    Iterator& operator++() {
      cur_ = ch_->receive();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const Iterator& it, std::default_sentinel_t) noexcept {
      return !it.cur_.has_value();
    }

   private:
    friend class Chan;
    explicit Iterator(const Chan* ch) : ch_(ch) {}
    const Chan* ch_ = nullptr;
    mutable std::optional<T> cur_;
  };
  Iterator begin() const {
    Iterator it(this);
    ++it;
    return it;
  }
  std::default_sentinel_t end() const noexcept { return {}; }

  // core(): the channel's untyped core (nullptr for nil). For select.h and
  // tests; not part of the Go-level API.
  detail::ChanCore* core() const noexcept { return core_; }

 private:
  using Buffered = detail::BufferedChan<T>;
  using Unbuffered = detail::UnbufferedChan<T>;

  // Calls f with the flavour object: one predictable branch.
  template <class F>
  decltype(auto) visit(F&& f) const {
    if (core_->cap() == 0) return f(static_cast<Unbuffered*>(core_));
    return f(static_cast<Buffered*>(core_));
  }

  // Go's chansend fast path for non-blocking sends: nil, or open and full
  // (unbuffered: no receiver queued). Relaxed: see chan_buffered.h.
  bool would_block_send() const noexcept {
    if (core_ == nullptr) return true;
    if (core_->closed_acquire()) return false;  // go on: send_op throws
    return visit([](auto* c) { return c->full_hint(); });
  }

  // Waiting on the nil channel: forever, or until the deadline.
  static bool nil_wait(const detail::Deadline* d, bool block) {
    if (block) {
      if (d == nullptr) detail::block_forever();
      detail::sleep_until(*d);
    }
    return false;
  }

  // send_op: the whole send. Buffered: the lock-free ring (send_ring).
  // Unbuffered, inline: lock, try, unlock; outlined: waiting
  // (ChanCore::block_send), throwing.
  bool send_op(T& v, const detail::Deadline* d, bool block) const {
    if (core_ == nullptr) return nil_wait(d, block);
    if (core_->cap() != 0) return send_ring(static_cast<Buffered*>(core_), v, d, block);
    auto* c = static_cast<Unbuffered*>(core_);
    detail::Handoffs h;
    c->lock();
    const detail::Poll p = c->send_locked(v, &h);
    if (p == detail::Poll::kDone) {
      c->unlock();
      h.finish();  // the last touch: the receiver may free the channel now
      return true;
    }
    if (p == detail::Poll::kClosed) {
      c->unlock();
      detail::throw_chan_panic(kSendOnClosedChannel);
    }
    if (!block) {
      c->unlock();
      return false;
    }
    return block_send(c, v, d);
  }

  // recv_op: the whole receive into *out (empty on entry).
  RecvStatus recv_op(std::optional<T>* out, const detail::Deadline* d, bool block) const {
    if (core_ == nullptr) {
      nil_wait(d, block);
      return RecvStatus::kWouldBlock;
    }
    if (core_->cap() != 0) return recv_ring(static_cast<Buffered*>(core_), out, d, block);
    auto* c = static_cast<Unbuffered*>(core_);
    detail::Handoffs h;
    c->lock();
    const detail::Poll p = c->recv_locked(out, &h);
    if (p == detail::Poll::kDone) {
      c->unlock();
      h.finish();  // the last touch: the sender may free the channel now
      return RecvStatus::kValue;
    }
    if (p == detail::Poll::kClosed) {
      c->unlock();
      return RecvStatus::kClosed;
    }
    if (!block) {
      c->unlock();
      return RecvStatus::kWouldBlock;
    }
    return block_recv(c, out, d);
  }

  // send_ring / recv_ring: a buffered channel's operation. The ring try is
  // inline and lock-free when nobody waits (two relaxed loads of the queue
  // heads, and the handshake's load). Would block: spin outside the queues
  // for the adaptive budget (ChanCore::spin_until_ready), then queue and
  // wait (ChanCore::wait_ring) until a partner completes the operation
  // (its value moved: done), or wakes it to retry (closed, or a race lost
  // to a newcomer: try again, even past the deadline, so that nothing
  // handed to it is lost).
  static bool send_ring(Buffered* c, T& v, const detail::Deadline* d, bool block) {
    using W = detail::ChanCore::RingWait;
    for (;;) {
      const detail::Poll p = c->send_nb(v);
      if (p == detail::Poll::kDone) return true;
      if (p == detail::Poll::kClosed) detail::throw_chan_panic(kSendOnClosedChannel);
      if (!block) return false;
      if (c->spin_until_ready(true, d)) continue;
      const W w = c->wait_ring(true, &v, d);
      if (w == W::kTransferred) return true;  // the partner moved v into the ring
      if (w == W::kTimedOut) return false;
    }
  }
  static RecvStatus recv_ring(Buffered* c, std::optional<T>* out, const detail::Deadline* d,
                              bool block) {
    using W = detail::ChanCore::RingWait;
    for (;;) {
      const detail::Poll p = c->recv_nb(out);
      if (p == detail::Poll::kDone) return RecvStatus::kValue;
      if (p == detail::Poll::kClosed) return RecvStatus::kClosed;
      if (!block) return RecvStatus::kWouldBlock;
      if (c->spin_until_ready(false, d)) continue;
      const W w = c->wait_ring(false, out, d);
      if (w == W::kTransferred) return RecvStatus::kValue;  // the partner filled *out
      if (w == W::kTimedOut) return RecvStatus::kWouldBlock;
    }
  }

  // block_send / block_recv: an unbuffered channel's waiting slow path
  // (lock held on entry, released inside ChanCore::block_*). The value
  // travels in the WaitNode's first cache line, next to the Waiter (see
  // WaitNode). Spins after queueing, then parks.
  static bool block_send(detail::ChanCore* c, T& v, const detail::Deadline* d) {
    detail::WaitNode<T> node;
    if constexpr (std::is_nothrow_move_assignable_v<T>) {
      node.value.emplace(std::move(v));
      node.sg.elem = &*node.value;
      struct Restore {  // v untouched unless sent: move it back otherwise
        detail::WaitNode<T>& n;
        T& v;
        bool sent = false;
        ~Restore() {
          if (!sent) v = std::move(*n.value);
        }
      } restore{node, v};
      restore.sent = c->block_send(node.w, node.sg, d, /*spin=*/true);
      return restore.sent;
    } else {
      node.sg.elem = &v;
      return c->block_send(node.w, node.sg, d, /*spin=*/true);
    }
  }
  static RecvStatus block_recv(detail::ChanCore* c, std::optional<T>* out,
                               const detail::Deadline* d) {
    detail::WaitNode<T> node;
    node.sg.elem = &node.value;
    const RecvStatus st = c->block_recv(node.w, node.sg, d, /*spin=*/true);
    if (st == RecvStatus::kValue) out->emplace(std::move(*node.value));
    return st;
  }

  // The channel, or nullptr (nil). Owns one reference.
  detail::ChanCore* core_ = nullptr;
};

// make_chan<T>(capacity): Go's make(chan T, capacity); 0 = unbuffered.
template <class T>
Chan<T> make_chan(std::size_t capacity = 0) {
  return Chan<T>(capacity);
}

// The usual cancellation channel: closed to tell workers to stop. A nil
// DoneChan never fires (a worker given one stops only when its input ends).
using DoneChan = Chan<Signal>;

}  // namespace syncscope

#endif  // SYNCSCOPE_CHAN_H_
