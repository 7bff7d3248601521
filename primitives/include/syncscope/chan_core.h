// syncscope/chan_core.h — the untyped core shared by every channel flavour
// and by select: Go's hchan minus the element type.
//
// This file offers (users include syncscope/chan.h; this is its engine room):
//   class ChanPanic          the exception for Go's channel panics; derives
//                            from std::logic_error and carries Go's message.
//   enum class RecvStatus    kValue | kClosed | kWouldBlock
//   struct ChanStats         this thread's blocking counters (spins, parks...)
//   chan_thread_stats(), reset_chan_thread_stats()
//   detail::Waiter           one blocked operation (a send, a receive or a
//                            whole select): Go's g + selectDone + success.
//   detail::Sudog            one queue entry of a blocked operation on one
//                            channel (Go's sudog); lives on the waiter's stack.
//   detail::WaitQueue        a channel's FIFO of Sudogs (Go's waitq).
//   detail::ChanCore         lock, queues, closed flag, count, capacity, ring
//                            pointer and reference count of a channel (Go's
//                            hchan): the part that does not depend on T.
//
// The flavours (syncscope/chan_buffered.h, syncscope/chan_unbuffered.h) add
// the element type and the transfer rules; syncscope/chan.h is the front end;
// syncscope/select.h drives several channels at once through the same
// queues.
//
// Structure (after Go's runtime/chan.go and runtime/select.go, Ken Thompson,
// Russ Cox, Dmitry Vyukov and others; written here for OS threads; the
// buffered ring after Dmitry Vyukov's bounded MPMC queue as crossbeam-
// channel's array flavour (Stjepan Glavina et al.) encodes it):
//   * Every channel has one lock (lock_word_). On an unbuffered channel all
//     state changes — the two wait queues, closed_ — happen under it. On a
//     buffered channel the ring (head_, tail_, the per-slot stamps) is
//     lock-free: a send or receive that finds room / a value completes with
//     one CAS and never takes the lock; the lock guards only the wait
//     queues and close (see "Buffered channels" below).
//   * A thread that cannot complete an operation links a Sudog (on its own
//     stack) into recvq_ or sendq_ and waits on its Waiter. On an
//     unbuffered channel the thread that later completes the operation for
//     it (the "claimer") does the whole transfer itself, under the channel
//     lock: it moves the value straight into the waiter's destination
//     (direct handoff, as Go's send() and recv() do) and then publishes
//     "done". The woken thread never takes the channel lock again.
//   * A select links one Sudog per case, all pointing to one Waiter. The
//     first claimer wins the Waiter with a CAS (Go's selectDone); later ones
//     see it claimed, drop that Sudog from their queue and try the next.
//
// Buffered channels (crossbeam's array flavour with Go's queues):
//   * The ring: cap_ slots, each a stamp and room for one T. A position is
//     lap | index (index < cap_, lap a multiple of one_lap()); head_ is the
//     next position to receive from, tail_ the next to send to, and tail_
//     carries mark_bit_ once the channel is closed. Slot i's stamp says
//     what the slot waits for: == position p: empty, for the send at p;
//     == p + 1: holds the value sent at p, for the receive at p. A send
//     CASes tail_ from p to p's successor, constructs its value, and stores
//     stamp p + 1; a receive CASes head_, moves the value out and stores
//     stamp p + one_lap() (the send one lap later). Empty: tail_ (unmarked)
//     == head_; full: head_ + one_lap() == tail_.
//   * Closing sets mark_bit_ in tail_ with an RMW, so after close() no send
//     can reserve a slot (its CAS on tail_ fails and it sees the mark); a
//     send that reserved before finishes its write, and receivers drain
//     everything reserved before the mark, then report "closed".
//   * Waiting: a send that finds the ring full (a receive: empty) spins
//     outside the queues (spin_until_ready), then queues a Sudog for its
//     value / destination under the lock, re-checks the ring, and waits.
//     The lock-free try (send_nb / recv_nb) on an OS thread also answers
//     "would block" when the slot it needs is in flight (the partner's CAS
//     done, its stamp not yet stored) and the channel is open, and leaves
//     that wait to the spin too; the operation in flight has not completed, so "would
//     block" is a true answer for a try_send / try_receive as well, and a
//     waiter's re-check (ring_ready) counts it as done, so nobody sleeps
//     on it. The locked paths, and a receive after close(), wait for it.
//   * Hand-off (Go's recvq/sendq discipline): a queued waiter is served by
//     its partner, in FIFO order, and never has to race for what it waited
//     for. Any operation that finds a waiter queued (two relaxed loads of
//     the queue heads, on the line every operation reads anyway) takes the
//     lock and first serves the queued waiters the ring allows
//     (serve_locked: pops into the oldest receiver's destination while the
//     ring holds values, pushes the oldest sender's value while it has
//     room), then does its own operation: a send finding the ring empty
//     and a receiver queued moves its value straight into that receiver's
//     destination (Go's send to a waiting receiver); a receive from a full
//     ring with a sender queued refills the slot it just emptied with the
//     oldest sender's value before any other send can see the slot free
//     (Go's receive from a full channel: the buffer stays full, the oldest
//     sender's value goes in at the tail). The served waiters are
//     published after the unlock (see "Lifetime"). With nobody queued an
//     operation is the lock-free ring operation alone, plus the handshake's
//     load of the opposite queue head between its CAS and its stamp store;
//     when that load finds a waiter (it queued during the operation), the
//     thread serves it under the lock after its own operation (a receive
//     holding its slot refills it if the lock is free at once, try_lock:
//     a thread owning an unpublished slot never waits for the lock, whose
//     holder may be waiting for that slot).
//   * The one race left: a newcomer that has not queued (spinning before
//     queueing, or a try_*) may take a value / slot between a serving
//     thread's check of the ring and its operation for the waiter. The
//     waiter is then woken to retry (Waiter::success = false; at most one
//     per serving pass) and queues again if it must. close() wakes every
//     queued operation the same way; their retry sees the mark.
//   * No lost wake-up (a Dekker handshake on seq_cst operations): the
//     waiter's enqueue stores WaitQueue::first_ (seq_cst) and then re-reads
//     head_/tail_ (seq_cst) under the lock before sleeping; the partner's
//     CAS on head_/tail_ is seq_cst and is followed by a seq_cst load of
//     first_ (before the stamp store). In the single total order of
//     seq_cst operations one of the two loads comes after the other side's
//     write: either the waiter sees the new room / value and retries, or
//     the partner sees the Sudog and serves it. Holders of the lock see
//     queued Sudogs exactly (they are linked under it), and a waiter that
//     queues after them re-checks the ring after their unlock.
//   * A waiter woken to retry retries even if its deadline passed
//     meanwhile, and a select woken so through a buffered case tries that
//     case first: the room / value is then taken by the thread it was
//     meant for, or by a newcomer, never dropped.
//
// Lifetime: the thread whose operation completes last may drop the last
// handle as soon as its call returns (the memory model says the partner's
// operation is complete by then: a send is synchronized before the receive
// that takes its value completes; the k-th receive before the (k+C)-th send
// completes; close before a receive that reports it). So no operation
// touches the channel after its effect became visible to another thread:
//   * a waiter completed under the lock (Sudog claimed, dequeued, value
//     moved) is published (kDone) and woken only after the unlock, through
//     Handoffs; publishing is the last touch (the waiter's own stack stays
//     valid until it sees kDone);
//   * a ring operation's effect is its stamp store (or, for close, the
//     mark); a thread that still has work on the channel after it — the
//     lock-free operation that saw a waiter, every locked path, close() —
//     pins the channel first (ref(), an extra handle) and unpins it as its
//     very last action (unref(), which may destroy it). Only these rare
//     paths pay the two RMWs on the cold line.
// The handles the user holds are not touched by an operation after it has
// read the channel pointer (chan.h), so the handle itself may go too.
//
// Invariants (chan.go's, restated for this code):
//   * At least one of sendq_ and recvq_ holds no claimable Sudog, except
//     for an unbuffered channel on which one select waits to both send and
//     receive (then both queues can hold that select's Sudogs; they cannot
//     be matched with each other because they share one Waiter). (Buffered:
//     transiently both may, until the next operation that sees them serves
//     them.)
//   * Buffered channel: a Sudog stays in sendq_ only while, at its re-check
//     under the lock, the ring was full, and in recvq_ only while it was
//     empty; any later ring operation that changes that serves it (or
//     wakes it to retry, if a newcomer won the race).
//   * Unbuffered channel: head_ == tail_ == 0 always (no ring).
//   * Once closed_ is set it never clears; after close() both queues are
//     empty, and no Sudog is linked into a closed channel again (a waiter
//     that queues re-checks and sees the mark).
//   * A Sudog is linked in at most one queue, and `linked` says whether it
//     is; an unclaimable (stale) Sudog may stay linked until its owner or a
//     dequeuer removes it. The owner never leaves the operation with a
//     linked Sudog.
//
// Waiting (Waiter::state, a word of flag bits; see kParked...kCancelled):
//   waiter:   links its Sudogs, unlocks, then spins watching for kDone
//             for a per-thread adaptive budget (1 microsecond up to twice
//             the measured unpark latency; see "Adaptive spinning" and
//             "Calibration" in chan_core.cc), then sets kParked with
//             a CAS and sleeps on the Waiter's Sema(0) (the analogue of
//             parking a goroutine). With a deadline it may instead set
//             kCancelled. (A buffered channel's send/receive spins before
//             queueing instead, until a batch of slots / values is there,
//             polling the batch's last slot; see spin_until_ready,
//             "Spin/park policy" and "Batching" in chan_core.cc; so does
//             a select whose channels are all buffered, without the batch,
//             polling head_/tail_ with exponential backoff.)
//   Spinning is bounded by that budget; nothing waits in a spin loop
//   without bound. ChanStats counts the spin hints, the waits that ended
//   while spinning and those that parked, so the spinning is measured.
//   claimer:  CAS sets kClaimed (fails if kClaimed or kCancelled is set),
//             transfers the value, writes fired/success/claimer_cpu, then
//             fetch_or sets kDone. If that fetch_or returns a word with
//             kParked, the waiter is asleep or about to sleep: the claimer
//             releases its Sema after dropping the channel lock (Go's
//             goready after unlock). Without kParked no Sema is touched.
//   Because kParked and kDone are both set by RMWs on the same word, exactly
//   one side sees the other: either the waiter sees kDone before parking and
//   does not sleep, or the claimer sees kParked and wakes it.
//
// Parking: the Waiter (on the waiter's stack) holds a Sema(0). Sema's
// release() publishes its unit as its last access to the object, so the
// woken thread may return and pop the Waiter at once; each unit released to
// it is taken before the operation returns, so nothing is left behind.
//
// Memory ordering:
//   * The channel lock: lock() is an acquire CAS/exchange, unlock() a
//     release exchange; everything done under one channel's lock
//     happens-before everything done under its next holder.
//   * The claimer writes the value and fired/success before its release
//     fetch_or(kDone); the waiter reads them after an acquire load that sees
//     kDone (or after its parking Sema's acquire, which synchronizes with
//     the release that follows the fetch_or).
//   * The ring (buffered): a send's value is written before its release
//     store of the slot's stamp; the receive that takes it reads the stamp
//     with acquire, so the send happens-before the receive completes. The
//     receive moves the value out before its release store of the next-lap
//     stamp; the send one lap later reads that stamp with acquire, so the
//     n-th receive happens-before the (n+cap)-th send completes. head_ and
//     tail_ are CASed seq_cst (the handshake above; the CAS itself carries
//     no data). A receive that refills its slot for a queued sender
//     (refill_or_free) CASes tail_ and stores the value's stamp with
//     release, like the send it performs; the sender's value was published
//     to it by the channel lock (the Sudog), and the sender reads nothing
//     back but kDone (acquire). close() sets the mark with a seq_cst RMW; a receive that
//     returns "closed" saw the mark through a seq_cst load (acquire).
//     qemu-aarch64 on an x86-64 host runs these with the host's (TSO)
//     ordering, so the ARM64 tests check the code paths and the LL/SC and
//     LSE instructions, not ARM's weaker reorderings: the orderings above
//     are argued, not observed.
//   * closed_ is set with a release store under the lock and may be read
//     without the lock with acquire (Go's non-blocking fast paths).
//   * Queue heads are written under the lock and read without it by the
//     fast paths (relaxed: "would block", or "take the locked path") and
//     by the handshake's check after a ring CAS (seq_cst, above).
//   Together these give Go's channel rules (the seed's 内存模型/Channel):
//   the n-th send happens-before the n-th receive completes; the n-th
//   receive happens-before the (n+m)-th send completes for capacity m; a
//   close happens-before a receive that returns because of it.
//
// Lock fairness: the channel lock is a test-and-set word with bounded
// spinning and then a Sema for sleepers; it is not fair, but it is held only
// for a few pointer updates and one element move. Operation fairness comes
// from the queues: waiters are served in FIFO order per channel, and a
// newcomer that finds a waiter queued is itself served behind it (it takes
// the lock and serves the queue first). On an unbuffered channel a
// sender hands its value to the oldest waiting receiver. On a buffered
// channel values leave the ring in the order they entered it, the oldest
// queued receiver gets the next value and the oldest queued sender the
// next slot, moved by the partner (no wake-to-retry). The one exception
// is the race above: a newcomer that has not queued, and that arrives
// while a serving thread is between its check of the ring and its
// operation, may take that value / slot; the waiter is then woken to retry
// and queues again at the tail if it must.

#ifndef SYNCSCOPE_CHAN_CORE_H_
#define SYNCSCOPE_CHAN_CORE_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <stdexcept>

#include <syncscope/internal/scheduler.h>
#include <syncscope/internal/sema.h>

namespace syncscope {

// ChanPanic: thrown where Go panics. Messages are Go's:
//   "send on closed channel", "close of closed channel",
//   "close of nil channel", and (chan_mutex.h) "unlock of unlocked mutex".
class ChanPanic : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

inline constexpr const char* kSendOnClosedChannel = "send on closed channel";
inline constexpr const char* kCloseOfClosedChannel = "close of closed channel";
inline constexpr const char* kCloseOfNilChannel = "close of nil channel";

// Outcome of a receive that may not wait forever.
enum class RecvStatus : uint8_t {
  kValue,       // a value was received
  kClosed,      // the channel is closed and drained: Go's "zero value, ok=false"
  kWouldBlock,  // nothing now (try_receive) / nothing before the deadline
};

// ChanStats: counters of the calling thread's channel operations that did
// not complete on their fast path. Kept per thread (plain thread_local
// counters, no atomics), and only incremented on slow paths, so counting
// never adds a shared write to a fast path. A benchmark reads them in each
// worker thread at the end of a run and sums.
struct ChanStats {
  uint64_t blocked = 0;        // operations (send/receive/select) that queued
  uint64_t spin_wakeups = 0;   // ... and completed while spinning
  uint64_t late_wakeups = 0;   // ... and completed after the spin, before parking
  uint64_t parks = 0;          // ... and slept on the thread's parking Sema
  uint64_t spins = 0;          // cpu_relax() calls spent waiting (both spins below)
  uint64_t prespin_wins = 0;   // buffered: waits avoided by spinning before queueing
  uint64_t batch_slot_wins = 0;  // ... of which ended on the batch's last slot (ring_batch_ready)
  uint64_t timeouts = 0;       // ... that gave up at their deadline
  uint64_t lock_contended = 0; // channel-lock acquisitions that missed the first CAS
  uint64_t lock_parks = 0;     // ... that slept on the lock's Sema
  // Buffered ring, waits on another thread's operation in flight (its CAS
  // on head_ / tail_ done, its stamp store not yet: Vyukov's queue is not
  // lock-free in that window), or on a stale position (ring_snooze):
  uint64_t in_flight_left = 0;  // lock-free tries that left a slot in flight to the batch wait
  uint64_t ring_snoozes = 0;    // ring_snooze() pauses (each a backoff step or a yield)
  uint64_t ring_yields = 0;     // ... of which sched_yield (its thread may be preempted)
  uint64_t ring_yield_ns = 0;   // wall time spent in those sched_yield calls
};

// This thread's counters since it started or since the last reset.
ChanStats chan_thread_stats() noexcept;
void reset_chan_thread_stats() noexcept;

namespace detail {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// Result of trying to complete an operation under the channel lock.
enum class Poll : uint8_t {
  kDone,    // completed (maybe by handing off to or from a waiter)
  kBlock,   // would have to wait
  kClosed,  // the channel is closed: a send panics, a receive returns "closed"
};

// One blocked operation. Lives on the blocked thread's stack.
struct Waiter {
  // state bits. Written with RMWs only (CAS / fetch_or), by the waiter
  // (kParked, kCancelled) and by claimers (kClaimed, kDone). Transitions:
  //   0 -> kParked -> kParked|kCancelled                     (timed out)
  //   0 or kParked -> +kClaimed (-> +kParked) -> +kDone      (completed)
  // kClaimed and kCancelled exclude each other (both CAS from "neither").
  static constexpr uint32_t kParked = 1u << 0;     // waiter sleeps (or will) on parker
  static constexpr uint32_t kClaimed = 1u << 1;    // a claimer owns this operation
  static constexpr uint32_t kDone = 1u << 2;       // claimer finished writing
  static constexpr uint32_t kCancelled = 1u << 3;  // deadline passed; nobody may claim
  static_assert((kParked | kClaimed | kDone | kCancelled) == 0xF &&
                    (kParked & kClaimed) == 0 && (kDone & kCancelled) == 0,
                "Waiter::state flags are four distinct bits");

  std::atomic<uint32_t> state{0};
  // Index of the case (select) that completed; 0 for a single operation.
  // Written by the claimer before kDone; read by the waiter after kDone.
  int32_t fired = -1;
  // The CPU the claimer ran on (sched_getcpu), for the adaptive spinning:
  // a waiter that parked after spinning on that same CPU learns that
  // spinning could not have helped. Same writer/reader as `fired`.
  // kCpuNotWanted: set by a waiter on a goroutine before it links its Sudog
  // (it never spins, so it never reads this; its claimer skips the call).
  static constexpr int32_t kCpuNotWanted = -2;
  int32_t claimer_cpu = -1;
  // true: a value was transferred; false: the channel was closed (a receive
  // returns "closed", a send panics). Same writer/reader as `fired`.
  bool success = false;
  // steady_clock nanoseconds at which a claimer that found kParked called
  // wake(); written just before the parker's release, read by the waiter
  // after its acquire (the Sema orders them). The waiter turns "now minus
  // this" into a sample of the unpark latency, which calibrates how long
  // spinning may last (see "Calibration" in chan_core.cc).
  int64_t wake_ns = 0;
  // A goroutine that parks (wait_for_claim, with the blocking-bug detector
  // off) records itself here and sleeps on `woken` through the scheduler
  // directly (internal/scheduler.h's protocol, Go's gopark/goready with the
  // sudog): no Sema, so no wait-table bucket lock on either side. Null: the
  // waiter parks on `parker`. Written by the waiter before its CAS that
  // sets kParked; read by the claimer whose fetch_or(kDone) saw kParked,
  // before it stores `woken` (after that store the waiter may be gone).
  internal::G* g = nullptr;
  // 0 until that claimer stores 1 (release); the goroutine reads it with
  // acquire. Unused by threads.
  std::atomic<uint32_t> woken{0};
  // The waiting thread parks here (acquire); a claimer that saw kParked
  // releases it. Sema::release() does not touch the Sema after publishing
  // its unit (sema.h, "Where the queue lives"), so the waiter may return and
  // pop this frame as soon as it has the unit.
  Sema parker{0};
};

// One queue entry. Lives on the blocked thread's stack (a select keeps one
// per case). Every field is written by its owner before it is linked, under
// the lock of the channel it is linked into, and read by claimers under that
// same lock; prev/next/linked are then maintained under that lock.
struct Sudog {
  Waiter* waiter = nullptr;
  // send: the T to move from; receive: the std::optional<T> to emplace into.
  void* elem = nullptr;
  Sudog* prev = nullptr;
  Sudog* next = nullptr;
  int32_t case_index = 0;  // copied into Waiter::fired by the claimer
  bool is_send = false;    // which queue (sendq_ or recvq_) it is in
  bool linked = false;
  // The outcome its claimer will publish (Waiter::success): written by the
  // claimer after it dequeued and claimed the Sudog, read by Handoffs::
  // finish() (the same thread).
  bool ok = false;
};

// current_cpu(): the CPU the calling thread runs on (sched_getcpu, a vDSO
// call of a few ns; -1 if unknown).
int32_t current_cpu() noexcept;

// The on-stack state of one blocking send or receive (the front end builds
// it, ChanCore::block_* links it). The Waiter and the value share the first
// cache line: the claimer writes both (the received value, or it moves the
// sent value out) and the waiter polls the Waiter and then reads the value,
// so a handoff moves one line to the waiter instead of two. The Sudog, which
// only the claimer reads, has the second line.
template <class T>
struct alignas(64) WaitNode {
  Waiter w;
  std::optional<T> value;  // receive: filled by the claimer; send: moved from
  alignas(64) Sudog sg;
};

// try_claim(w): takes the right to complete w's operation. False if another
// claimer was first (a select that already fired) or the waiter gave up.
// Relaxed: the data a claimer touches (the Sudog, the destination) was
// published to it by the channel lock, not by this word.
inline bool try_claim(Waiter* w) noexcept {
  uint32_t s = w->state.load(std::memory_order_relaxed);
  do {
    if (s & (Waiter::kClaimed | Waiter::kCancelled)) return false;
  } while (!w->state.compare_exchange_weak(s, s | Waiter::kClaimed,
                                           std::memory_order_relaxed,
                                           std::memory_order_relaxed));
  return true;
}

// publish(sg, success): the claimer's last touch of a claimed operation.
// Returns the Waiter if it is parked: the caller must call wake() on it after
// dropping the channel lock; nullptr otherwise (the waiter will see kDone by
// itself and may already be gone once this returns).
inline Waiter* publish(Sudog* sg, bool success) noexcept {
  Waiter* w = sg->waiter;
  w->fired = sg->case_index;
  w->success = success;
  if (w->claimer_cpu != Waiter::kCpuNotWanted) w->claimer_cpu = current_cpu();
  const uint32_t prev = w->state.fetch_or(Waiter::kDone, std::memory_order_acq_rel);
  return (prev & Waiter::kParked) ? w : nullptr;
}

// wake(w): releases a parked waiter (see publish). Call without any channel
// lock held. The waiter cannot return before the release, so writing
// wake_ns first is safe; the clock read is paid only on this park path.
void wake_goroutine(Waiter* w) noexcept;  // chan_core.cc
inline void wake(Waiter* w) {
  if (w->g != nullptr) {
    wake_goroutine(w);
    return;
  }
  w->wake_ns = Clock::now().time_since_epoch().count();
  w->parker.release();
}

// Handoffs: the operations a thread completed for queued waiters while it
// held a channel lock (claimed, dequeued, their values moved), published
// only after it dropped every lock (see "Lifetime" above): a woken waiter
// may return and free the channel at once, so publishing is the last touch.
// Chained through the Sudogs' next (free once unlinked); lives on the
// stack of the thread that holds the lock.
class Handoffs {
 public:
  // add(sg, ok): sg (dequeued and claimed by this thread) completes with
  // Waiter::success = ok once finish() runs.
  void add(Sudog* sg, bool ok) noexcept {
    sg->ok = ok;
    sg->next = head_;
    head_ = sg;
  }
  bool empty() const noexcept { return head_ == nullptr; }
  // finish(): publishes each outcome (kDone) and wakes the waiters that
  // parked. Call with no channel lock held. Each Sudog may be gone as soon
  // as its kDone is visible, so its successor is read first.
  void finish() noexcept {
    while (Sudog* sg = head_) {
      head_ = sg->next;
      if (Waiter* w = publish(sg, sg->ok)) wake(w);
    }
  }

 private:
  Sudog* head_ = nullptr;
};

// A channel's FIFO of Sudogs (Go's waitq). All members require the channel
// lock, except empty_hint().
class WaitQueue {
 public:
  // empty_hint(): no Sudog linked. Any thread, without the lock: a snapshot
  // for the non-blocking fast paths (relaxed).
  bool empty_hint() const noexcept {
    return first_.load(std::memory_order_relaxed) == nullptr;
  }
  // empty_acquire(): the same with acquire, for a caller that must not let
  // a later load (closed_) be satisfied before this one.
  bool empty_acquire() const noexcept {
    return first_.load(std::memory_order_acquire) == nullptr;
  }
  // empty_sc(): the partner's check after a ring CAS (buffered
  // channels; see "No lost wake-up" above): seq_cst, paired with the
  // seq_cst store in enqueue().
  bool empty_sc() const noexcept { return first_.load(std::memory_order_seq_cst) == nullptr; }

  // enqueue(s): links s at the tail. The store of first_ is seq_cst and
  // happens even when the queue was not empty (storing the same head): it
  // is this waiter's announcement in the handshake with a lock-free
  // partner, which must not depend on an older waiter's store.
  void enqueue(Sudog* s) noexcept {
    s->next = nullptr;
    s->prev = last_;
    s->linked = true;
    Sudog* head = s;
    if (last_ != nullptr) {
      last_->next = s;
      head = first_.load(std::memory_order_relaxed);
    }
    first_.store(head, std::memory_order_seq_cst);
    last_ = s;
  }

  // dequeue(): unlinks Sudogs from the head until one can be claimed and
  // returns it (claimed), or nullptr when none is left. Unclaimable Sudogs
  // (their select fired elsewhere, or their waiter timed out) are dropped,
  // as Go's waitq.dequeue does.
  Sudog* dequeue() noexcept {
    for (;;) {
      Sudog* s = first_.load(std::memory_order_relaxed);
      if (s == nullptr) return nullptr;
      remove(s);
      if (try_claim(s->waiter)) return s;
    }
  }

  // count(): Sudogs linked (walks the list). Instrumentation only.
  std::size_t count() const noexcept {
    std::size_t n = 0;
    for (const Sudog* s = first_.load(std::memory_order_relaxed); s != nullptr; s = s->next) ++n;
    return n;
  }

  // remove(s): unlinks s (which must be linked in this queue).
  void remove(Sudog* s) noexcept {
    if (s->prev != nullptr) {
      s->prev->next = s->next;
    } else {
      first_.store(s->next, std::memory_order_relaxed);
    }
    if (s->next != nullptr) {
      s->next->prev = s->prev;
    } else {
      last_ = s->prev;
    }
    s->prev = s->next = nullptr;
    s->linked = false;
  }

 private:
  // Oldest Sudog. Written under the lock (relaxed stores: the lock orders
  // them for lock holders; seq_cst in enqueue, see there); read without it
  // by empty_hint() (relaxed) and empty_sc() (seq_cst).
  std::atomic<Sudog*> first_{nullptr};
  Sudog* last_ = nullptr;  // newest Sudog; guarded by the channel lock
};

// The untyped part of a channel. Created by a flavour's create(), owned by
// the Chan<T> handles through refs_, destroyed by destroy_ when the last
// handle goes. Laid out so that everything an uncontended send or receive
// touches (lock word, closed_, capacity and ring encoding, queue heads, buffer
// pointer in the flavour) shares the first cache line.
class alignas(64) ChanCore {
 public:
  ChanCore(const ChanCore&) = delete;
  ChanCore& operator=(const ChanCore&) = delete;

  // --- the channel lock ---------------------------------------------------
  // lock(): one CAS when free (inline); otherwise lock_slow() spins a
  // bounded number of rounds and then sleeps on lock_sema_ (outlined: it is
  // rare and large).
  void lock() noexcept {
    uint32_t expected = kUnlocked;
    if (lock_word_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                           std::memory_order_relaxed)) {
      return;
    }
    lock_slow();
  }
  // try_lock(): one CAS, no waiting. For a thread that holds a ring slot
  // it has reserved and not yet published (chan_buffered.h): such a thread
  // must never wait for the lock, whose holder may be waiting for that slot.
  bool try_lock() noexcept {
    uint32_t expected = kUnlocked;
    return lock_word_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                              std::memory_order_relaxed);
  }
  // unlock(): one exchange; a Sema release only if someone may sleep.
  void unlock() noexcept {
    if (lock_word_.exchange(kUnlocked, std::memory_order_release) == kLockedSleepers) {
      lock_sema_.release();
    }
  }

  // --- state read by the front end ----------------------------------------
  uint32_t cap() const noexcept { return cap_; }
  // len(): values in the ring (0 for unbuffered channels). A consistent
  // snapshot of head_ and tail_ (crossbeam's len: tail_ read twice around
  // head_); a slot reserved by a send still writing counts as a value.
  uint32_t len() const noexcept;
  bool closed_acquire() const noexcept {
    return closed_.load(std::memory_order_acquire) != 0;
  }
  bool sendq_empty_hint() const noexcept { return sendq_.empty_hint(); }
  bool recvq_empty_hint() const noexcept { return recvq_.empty_hint(); }

  // waiting_receivers() / waiting_senders(): Sudogs queued now (takes the
  // lock and walks the queue; a select that already fired elsewhere may
  // still be counted until it cleans up). Instrumentation: lets a test or a
  // benchmark wait until threads are really blocked in the channel.
  std::size_t waiting_receivers() noexcept;
  std::size_t waiting_senders() noexcept;

  // close(): Go's closechan. Throws ChanPanic("close of closed channel").
  // Wakes every queued receiver ("closed") and every queued sender (which
  // then throws "send on closed channel"). Outlined: rare, loops over queues.
  void close();

  // block_send / block_recv: the lock is held and the operation cannot
  // complete now. Links a Sudog on the caller's stack, unlocks, waits
  // (spin unless `spin` is false, then park) until claimed or until
  // *deadline (nullptr: forever), and returns with the lock released.
  // Outlined: the waiting slow path.
  //   block_send: true = sent; false = deadline passed (the value was not
  //               taken). Throws ChanPanic if the channel was closed.
  //   block_recv: kValue (*out emplaced), kClosed, or kWouldBlock (deadline).
  //   w/sg: the caller's WaitNode (sg.elem already points at the value).
  bool block_send(Waiter& w, Sudog& sg, const Deadline* deadline, bool spin);
  RecvStatus block_recv(Waiter& w, Sudog& sg, const Deadline* deadline, bool spin);

  // ready_hint(for_send): a lock-free guess (relaxed loads) that a send /
  // receive could proceed now: the channel is closed, or (buffered) there
  // is room / a value, or (unbuffered) a partner is queued. Used by select
  // to pick the cases worth trying and to spin before queueing; the caller
  // always re-checks (the ring try, or under the lock).
  //
  // Buffered receive, own side first: head_ and the stamp of the slot it
  // names, which says "a value is here" when one is; only when it does not
  // are tail_ and the mark read (ring_ready). The senders write tail_ at
  // every send, so reading it costs the receiver a miss and the next
  // sender's CAS another, where the slot is the line the receive that
  // follows touches anyway. (A select_rx consumer over four busy channels
  // read each ready channel's tail_ once per message.) A send keeps
  // ring_ready: tried on the send side too (tail_ and its slot first),
  // select_both read 1.23x slower at caps 16/1024 — its four senders share
  // tail_, and a sender's look at the slot at tail_ pulls the line another
  // sender is about to write (alternating A/B, 6 rounds, threads at
  // SCHED_FIFO, load 4-13; the receive side alone: select_rx 16/1024
  // 0.92/0.85x, select_both 16/1024 0.79/0.70x, caps 1 0.87/1.01x).
  // Relaxed, as the rest: a hint; the try that follows loads the stamp
  // with acquire (chan_buffered.h, reserve_head).
  bool ready_hint(bool for_send) const noexcept {
    if (cap_ == 0) {
      if (closed_.load(std::memory_order_relaxed) != 0) return true;
      return for_send ? !recvq_.empty_hint() : !sendq_.empty_hint();
    }
    if (!for_send) {
      const uint64_t head = head_.load(std::memory_order_relaxed);
      if (stamp_at(head & (mark_bit_ - 1)).load(std::memory_order_relaxed) == head + 1) {
        return true;
      }
    }
    return ring_ready(for_send, std::memory_order_relaxed);
  }

  // ring_ready(for_send, order): buffered only, lock-free: the channel is
  // closed, or (for_send) the ring is not full / (receive) not empty, read
  // from head_ and tail_ with `order` (seq_cst for the waiter's re-check in
  // the handshake, relaxed for hints). A slot reserved by an operation still
  // in flight counts as done: the caller's retry waits for it in the ring.
  bool ring_ready(bool for_send, std::memory_order order) const noexcept {
    const uint64_t t = tail_.load(order);
    if (t & mark_bit_) return true;
    const uint64_t h = head_.load(order);
    return for_send ? h + one_lap() != t : h != t;
  }

  // ring_room(for_send): buffered only, lock-free, relaxed: how many
  // operations could proceed now — free slots (for_send) or values (a
  // receive) — between 0 and cap_; kRingClosed once tail_ is marked. A
  // hint for spin_until_ready's batching (chan_core.cc, "Batching"; read
  // rarely there: it reads both positions, the partner's busiest line): the
  // two positions are read at different moments, so the count is clamped
  // into [0, cap_], and the caller's retry decides for real.
  static constexpr uint32_t kRingClosed = UINT32_MAX;
  uint32_t ring_room(bool for_send) const noexcept {
    // Receiver: head_ first, then tail_ (tail_ only grows, so a late tail_
    // can only overstate the values already there); sender: tail_ first.
    uint64_t h;
    uint64_t t;
    if (for_send) {
      t = tail_.load(std::memory_order_relaxed);
      h = head_.load(std::memory_order_relaxed);
    } else {
      h = head_.load(std::memory_order_relaxed);
      t = tail_.load(std::memory_order_relaxed);
    }
    if (t & mark_bit_) return kRingClosed;
    // Positions as plain counts of operations: lap number * cap_ + index.
    const auto linear = [this](uint64_t p) {
      return (p / one_lap()) * cap_ + (p & (mark_bit_ - 1));
    };
    const int64_t len = static_cast<int64_t>(linear(t) - linear(h));
    const uint32_t values =
        len <= 0 ? 0 : (len >= static_cast<int64_t>(cap_) ? cap_ : static_cast<uint32_t>(len));
    return for_send ? cap_ - values : values;
  }

  // ring_wait_start(for_send): buffered only, relaxed: where a batch wait
  // starts, tail_ for a sender (with the mark once closed) and head_ for a
  // receiver: the position its operation just found full / empty.
  uint64_t ring_wait_start(bool for_send) const noexcept {
    return for_send ? tail_.load(std::memory_order_relaxed)
                    : head_.load(std::memory_order_relaxed);
  }
  bool ring_position_marked(uint64_t pos) const noexcept { return (pos & mark_bit_) != 0; }

  // ring_batch_ready(for_send, start, n): buffered only, lock-free, relaxed;
  // 1 <= n <= cap_. start is a position with no mark (head_ for a receive,
  // tail_ for a send, read when the wait began). True once the slot of the
  // n-th operation from start, position p = ring_advance(start, n - 1), is
  // done for it: holds the value sent at p (a receive: stamp >= p + 1; the
  // stamps of a slot only grow: p - lap + 1, p, p + 1, p + lap, ...) or is
  // free for the send at p (a send: stamp >= p). A hint for
  // spin_until_ready's batch wait ("Batching" in chan_core.cc): it reads
  // one slot's stamp, a line the partner writes once when it gets there,
  // instead of head_ / tail_, which it writes at every operation. With
  // several partners it may say true for a batch others took (stale start);
  // the caller's retry decides.
  bool ring_batch_ready(bool for_send, uint64_t start, uint32_t n) const noexcept {
    const uint64_t p = ring_advance(start, n - 1);
    const uint64_t stamp = stamp_at(p & (mark_bit_ - 1)).load(std::memory_order_relaxed);
    return stamp >= (for_send ? p : p + 1);
  }
  // ring_advance(pos, k): the position k operations after pos (no mark;
  // k < cap_): the same lap while the index stays below cap_, else index
  // (index + k - cap_) of the next lap.
  uint64_t ring_advance(uint64_t pos, uint32_t k) const noexcept {
    const uint64_t index = pos & (mark_bit_ - 1);
    if (index + k < cap_) return pos + k;
    return (pos & ~(one_lap() - 1)) + one_lap() + (index + k - cap_);
  }

  // wait_ring(for_send, elem, deadline): buffered only; the lock is NOT
  // held. Queues a Sudog for elem (send: the T to move from; receive: the
  // empty std::optional<T> to fill) in sendq_ / recvq_, re-checks the ring
  // (the handshake), and, if it still cannot proceed, waits (spin, then
  // park) until a partner completes the operation for it (kTransferred:
  // the value was moved), until it is woken to retry (kRetry: closed, or a
  // newcomer raced the partner for the value / slot, or the re-check found
  // the ring ready), or until *deadline (kTimedOut; nullptr: none).
  // Outlined: the waiting slow path.
  enum class RingWait : uint8_t { kTransferred, kRetry, kTimedOut };
  RingWait wait_ring(bool for_send, void* elem, const Deadline* deadline);

  // spin_until_ready(for_send, deadline): buffered channels only; the lock
  // is NOT held. Polls, without the lock, for a moment when the operation
  // could proceed (for_send: a free slot; else: a value), or the channel is
  // closed, spinning for at most this thread's adaptive spin budget; with
  // cap >= 4 it waits for a batch (ring_batch_ready above, ring_spin_done
  // below; "Batching" in chan_core.cc). True if that moment came (the
  // caller then retries, and may still lose the race). Outlined: a slow
  // path.
  //
  // Why spin here, before queueing, and not only after: a receiver that
  // queues on an empty buffered channel turns every later send into a
  // direct handoff to it, which costs both threads a cache miss on the
  // waiter's state on top of the lock. Spinning outside the queue lets the
  // sender drop values into the ring as usual and the receiver take them
  // with one lock round-trip each; the same holds for a sender waiting for
  // room. Only threads outside the queues spin, so FIFO service of queued
  // waiters is unchanged (a queued receiver means an empty ring: nothing
  // for a spinner to take).
  bool spin_until_ready(bool for_send, const Deadline* deadline) noexcept;

  // --- handle ownership -----------------------------------------------------
  void ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  // unref(): destroys the channel when the last handle lets go. acq_rel:
  // every handle's use happens-before the destruction.
  void unref() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy_(this);
  }

 protected:
  using DestroyFn = void (*)(ChanCore*) noexcept;
  // slot_bytes: the size of one ring slot (buffered flavours; 0 without a
  // ring), whose first member is its stamp (see stamp_at).
  ChanCore(uint32_t cap, DestroyFn destroy, uint32_t slot_bytes = 0) noexcept
      : cap_(cap), slot_bytes_(slot_bytes), mark_bit_(lap_bit(cap)), destroy_(destroy) {}
  // pinned_locked(op) / locked_then_unpin(op): the locked operation of a
  // thread that must not let the channel go before it is done with it (see
  // "Lifetime"): pin (ref; locked_then_unpin: the caller pinned already),
  // lock, op(&handoffs), unlock, publish the handoffs (the woken waiters may
  // free the channel from then on, but it is still pinned), unpin (unref,
  // the last touch). op must not throw; what it returns is returned.
  template <class Op>
  auto pinned_locked(Op&& op) {
    ref();
    return locked_then_unpin(static_cast<Op&&>(op));
  }
  template <class Op>
  auto locked_then_unpin(Op&& op) {
    lock();
    Handoffs h;
    auto result = op(&h);
    unlock();
    h.finish();
    unref();
    return result;
  }

  // One lap of positions (crossbeam's one_lap): twice the mark bit.
  uint64_t one_lap() const noexcept { return mark_bit_ << 1; }
  // stamp_at(index): the stamp of ring slot `index` (buffered only). Every
  // buffered flavour's slot begins with its stamp, slot_bytes_ apart
  // (chan_buffered.h asserts the layout).
  const std::atomic<uint64_t>& stamp_at(uint64_t index) const noexcept {
    return *std::launder(reinterpret_cast<const std::atomic<uint64_t>*>(
        buf_ + static_cast<std::size_t>(index) * slot_bytes_));
  }

  // The smallest power of two above cap (crossbeam's mark_bit): positions
  // keep their index below it, the mark above it, the lap above that.
  static constexpr uint64_t lap_bit(uint32_t cap) noexcept {
    uint64_t b = 1;
    while (b <= cap) b <<= 1;
    return b;
  }
  ~ChanCore() = default;

  // Lock word values (Drepper's "Futexes Are Tricky" mutex #2, sleeping on a
  // Sema instead of a raw futex so that all parking goes through Sema).
  static constexpr uint32_t kUnlocked = 0;
  static constexpr uint32_t kLocked = 1;
  static constexpr uint32_t kLockedSleepers = 2;

  // --- first cache line: state every operation reads ------------------------
  // The lock. Written by lock()/unlock() with RMWs (acquire / release).
  std::atomic<uint32_t> lock_word_{kUnlocked};
  // 0 open, 1 closed; only 0 -> 1. Written under the lock (release store);
  // read under it (relaxed) or without it (acquire, fast paths). On a
  // buffered channel the ring's authority is tail_'s mark bit, set just
  // before closed_ under the same lock.
  std::atomic<uint32_t> closed_{0};
  // Buffer size (Go's dataqsiz); 0 = unbuffered. Immutable.
  const uint32_t cap_;
  // Bytes from one ring slot to the next (the flavour's sizeof(Slot); 0
  // when unbuffered). Immutable. Lets this untyped core read a slot's
  // stamp (stamp_at) for spin_until_ready's batch wait.
  const uint32_t slot_bytes_;
  // Position encoding of the ring (see "Buffered channels"); immutable.
  const uint64_t mark_bit_;
  // Blocked receivers and senders (Go's recvq / sendq); guarded by the lock
  // (their heads are also read without it: empty_hint, empty_sc).
  WaitQueue recvq_;
  WaitQueue sendq_;
  // The ring (Go's buf): cap_ slots (a stamp and a T each), right after the
  // flavour object in the same allocation; nullptr when cap_ == 0.
  unsigned char* buf_ = nullptr;

  // --- the ring's two positions, each on its own line (receivers write
  // head_, senders tail_; crossbeam pads them the same way) -----------------
  // Next position to receive from. Written by receivers' CAS (seq_cst);
  // read relaxed as a start or a hint, seq_cst in the full / ready checks.
  // Only moves forward.
  alignas(64) std::atomic<uint64_t> head_{0};
  // Next position to send to, | mark_bit_ once closed. Written by senders'
  // CAS (seq_cst) and close()'s fetch_or (seq_cst); read like head_. Only
  // moves forward; the mark never clears.
  alignas(64) std::atomic<uint64_t> tail_{0};

  // --- second cache line: cold state --------------------------------------
  // Sleepers on the lock (kLockedSleepers). Released by unlock().
  alignas(64) Sema lock_sema_{0};
  // Handles alive. Relaxed increments, acq_rel decrements (see unref()).
  std::atomic<uint32_t> refs_{1};
  const DestroyFn destroy_;

 private:
  void lock_slow() noexcept;
  RingWait wait_ring_queued(WaitQueue& q, bool for_send, void* elem, const Deadline* deadline);
  bool block(WaitQueue& q, Waiter& w, Sudog& sg, const Deadline* deadline, bool spin,
             bool* success);

  friend struct SelectEngine;
};

// ring_snooze(step): a ring operation found another thread between its CAS
// and its stamp store (a slot reserved but not yet written / emptied): wait
// a little (cpu_relax with exponential backoff, then sched_yield, as
// crossbeam's Backoff::snooze). Outlined: rare, and keeps the header light.
void ring_snooze(uint32_t& step) noexcept;

// first_in_flight_meeting(ch, pos): records that this thread's lock-free
// try met the operation at position pos of channel ch in flight, and says
// whether that is new (false: its previous meeting was the same ch and
// pos). Thread-local; outlined: a rare path (chan_buffered.h,
// leave_in_flight).
bool first_in_flight_meeting(const void* ch, uint64_t pos) noexcept;

// Batching of a buffered wait's spin before queueing (see "Batching" in
// chan_core.cc). ring_batch_target(cap): how much room (free slots for a
// sender, values for a receiver) a spinner waits for before it retries:
// half the ring, at most kRingBatchMax, at least 1.
// ring_spin_done(room, prev, target): the rule, applied at each poll to
// the room seen now (ChanCore::ring_room) and at the previous poll (0 at
// the first): retry once the room reaches the target, the channel is
// closed, or there is some room and it stopped growing since the previous
// poll (the partner paused, or other spinners take it: waiting longer
// would only cost latency).
constexpr uint32_t kRingBatchMax = 32;
constexpr uint32_t ring_batch_target(uint32_t cap) noexcept {
  return cap / 2 == 0 ? 1 : (cap / 2 < kRingBatchMax ? cap / 2 : kRingBatchMax);
}
constexpr bool ring_spin_done(uint32_t room, uint32_t prev, uint32_t target) noexcept {
  return room == ChanCore::kRingClosed || room >= target || (room > 0 && room <= prev);
}

// spin_until(ready, ctx, deadline): polls ready(ctx) with exponential
// backoff for at most the calling thread's adaptive spin budget (see
// chan_core.cc); true as soon as it holds, false when the budget or the
// deadline runs out. The spinning-before-queueing of buffered channels and
// of select.
bool spin_until(bool (*ready)(const void*), const void* ctx, const Deadline* deadline) noexcept;

// The waiting half of the protocol above: spins (unless `spin` is false),
// then parks. Returns true once a claimer has published kDone, false if the
// deadline (nullptr: none) passed first and the operation was cancelled
// (then no claimer can take it any more). Used by the channels and select.
bool wait_for_claim(Waiter& w, const Deadline* deadline, bool spin = true);

// Operations on the nil channel: block forever (Go's "block()"), or until
// a deadline. Parks on a semaphore nobody releases.
[[noreturn]] void block_forever();
void sleep_until(const Deadline& deadline);

// Thrown from outlined code so that the message and the exception
// machinery stay out of every inlined send.
[[noreturn]] void throw_chan_panic(const char* msg);

// uniform_below(n): a fast thread-local pseudo-random number in [0, n)
// (Lemire's multiply-shift on a wyrand stream).
uint32_t uniform_below(uint32_t n) noexcept;
// random_u64(): the next 64 bits of the same per-thread stream (select's
// poll order draws one word for a whole permutation: select.cc).
uint64_t random_u64() noexcept;
// seed_thread_random(s): restarts the calling thread's stream from s (tests
// that need a reproducible poll order; 0 is replaced by a fixed odd seed).
void seed_thread_random(uint64_t s) noexcept;

}  // namespace detail
}  // namespace syncscope

#endif  // SYNCSCOPE_CHAN_CORE_H_
