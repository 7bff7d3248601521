// syncscope/rcu.h — read-copy-update, and the epoch-based reclamation it
// (and AtomicValue, and Pool) stands on.
//
// This file offers:
//   template <class T> class Rcu
//       A value T that readers see as an immutable snapshot and writers
//       replace by publishing a new copy. The seed's two lock-free rows
//       ("Lock-free算法"):
//         read-copy-write: single writer (lock-free), n readers (wait-free)
//           -> store_single_writer(v), update_single_writer(fn), read()
//         read-copy-write: m writers (with lock), n readers (lock-free)
//           -> store(v), update(fn) (serialised behind a GoMutex), read()
//       Readers never block, never retry and never write shared data other
//       than their own epoch slot. Old copies are freed once no reader can
//       still hold them (a grace period), without making any writer wait:
//       synchronize() is the optional blocking wait.
//   class EpochGuard
//       RAII read-side section ("rcu_read_lock ... rcu_read_unlock"): while
//       one is alive on a thread, nothing retired after it began is freed.
//       Nestable. Wait-free.
//   bool in_read_section()     the calling thread is inside an EpochGuard.
//   namespace detail: the epoch domain (EpochRecord, epoch_pin/unpin,
//       epoch_min_active, epoch_thread_index) and RetireList, shared with
//       atomic_value.h and pool.h.
//
// Go names -> C++: Go has no RCU type; the seed names the pattern and
// atomic.Value is Go's tool for it (sync.Map's `read atomic.Value` is an RCU
// read side). Load -> read() / load(); Store -> store().
//
// Reclamation: epoch-based (EBR), after K. Fraser, "Practical lock-freedom"
// (PhD thesis, Cambridge, 2004) and the grace periods of P. McKenney's RCU;
// the reader/reclaimer handshake below is written for this file rather than
// copied from crossbeam-epoch or liburcu.
//
//   * One process-wide epoch counter E (starts at 1, only grows).
//   * Each thread owns an EpochRecord (allocated on its first read section,
//     recycled when the thread exits, never freed) whose `local` word is 0
//     while the thread is outside any read section and otherwise the value
//     of E it read when it entered.
//   * Entering: e = E (seq_cst load); local = e (seq_cst store). Leaving:
//     local = 0 (release store). Both O(1): readers are wait-free.
//   * A writer first unlinks the old object (a seq_cst exchange/CAS of the
//     pointer readers load), then tags it x = E.fetch_add(1) (seq_cst) and
//     pushes it on a RetireList.
//   * Reclaim: m = min over all records of the non-zero `local` (seq_cst
//     loads); every retired object with x < m is freed.
//
// Why it is safe: take a reader that obtained the old pointer. All the
// operations named above are seq_cst, so they sit in one total order S that
// respects each thread's program order. The reader's pointer load read the
// old value, so it precedes the unlink in S; hence in S:
//     reader: E load (e) < local store < pointer load
//                                          < unlink < E.fetch_add (x) < scan
// The E load precedes the fetch_add, so e <= x; the scan (a seq_cst load
// after the store in S) sees local == e, or a later value: 0 once the reader
// left (it no longer holds the pointer), or a newer entry value. A newer
// entry whose pointer load comes after the unlink cannot see the old
// object; one that comes before it is again <= x by the same argument. So
// while the reader can hold the object, m <= x and the object is kept. The
// leave is a release store and the scan loads acquire, so everything the
// reader did with the object happens-before the free (ThreadSanitizer sees
// this edge). Objects reached *through* a protected object (a chain of
// links) need their own unlink to come after the first one in S; pool.h
// states it where it relies on it.
//
// What it trades: the reader's entry costs one seq_cst store (xchg on
// x86-64, stlr on ARM64) — the price of wait-free readers without an
// asymmetric barrier (sys_membarrier), which would make it a plain store at
// the cost of a system call per grace period. A reader that stays inside a
// section holds back every object retired after it entered, in every Rcu,
// AtomicValue and Pool of the process (one global domain, like liburcu's
// default flavour): memory grows while it stays, nothing else blocks.
// Writers never wait for readers (reclaim only frees what is already safe);
// synchronize() is the one blocking call, and it waits only for the
// readers that are inside a section when it is called: readers entering
// later read an epoch it does not wait for, so a stream of new readers
// cannot starve it.
//
// Memory ordering (Rcu): a read() that returns a copy published by
// store()/update() sees everything the writer did before publishing
// (publication is a seq_cst exchange, the read a seq_cst load). Writers
// behind the lock are ordered by the GoMutex. Readers see some copy that
// was current at some point during read(); two reads in a row never see an
// older copy after a newer one (single pointer, coherence).
//
// Legal operations (Rcu):
//   read(), load()                       any thread, any time (wait-free)
//   store(v), update(fn)                 any thread (serialised by the lock)
//   store_single_writer, update_single_writer
//                                        only while no other writer of any
//                                        kind runs (not checked)
//   synchronize()                        any thread outside a read section;
//                                        inside one it throws SyncPanic
//   destructor                           no read or write in progress
// A ReadGuard (like an EpochGuard) must be destroyed on the thread that made
// it, in reverse order of creation (it is a scope, not a handle).

#ifndef SYNCSCOPE_RCU_H_
#define SYNCSCOPE_RCU_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <type_traits>
#include <utility>

#include <syncscope/go_mutex.h>
#include <syncscope/panic.h>

namespace syncscope {
namespace detail {

// Distance that keeps two records on different cache lines, including the
// adjacent-line prefetcher of x86 (Go pads poolLocal to 128 bytes too).
inline constexpr std::size_t kEpochRecordAlign = 128;

// One per thread (recycled across threads, never freed: a reclaimer may be
// scanning it at any time).
struct alignas(kEpochRecordAlign) EpochRecord {
  // 0 while the owner is outside any read section, else the epoch it read on
  // entry. Written only by the owner: seq_cst store on entry, release store
  // on exit. Read by reclaimers with seq_cst loads. Direction: 0 -> e -> 0.
  std::atomic<uint64_t> local{0};
  // True while a thread owns the record. Set by a CAS (acquire) when a
  // thread adopts it, cleared by a release store when the thread exits, so
  // the next owner happens-after everything the previous owner did.
  std::atomic<bool> in_use{false};
  // Next record of the global list; written before the record is published
  // (release CAS on the list head) and never again.
  EpochRecord* next = nullptr;
  // Dense index of the record (0, 1, 2, ... in creation order), immutable.
  // Pool uses it as the "P id" of the owning thread.
  uint32_t index = 0;
};

// The global epoch E. Only grows (fetch_add by retirers); starts at 1 so
// that 0 can mean "not in a section". Alone on its cache line: every retire
// writes it.
struct alignas(kEpochRecordAlign) EpochCounter {
  std::atomic<uint64_t> value{1};
};
inline EpochCounter g_epoch;

// Per-thread state of the epoch domain. Trivially destructible and
// constant-initialised, so it stays usable while the thread's thread_local
// destructors run (a destructor may still read an Rcu).
struct EpochThreadState {
  EpochRecord* record = nullptr;  // the record in use, or null
  uint32_t depth = 0;             // nesting of read sections
  bool temporary = false;         // record borrowed for one section (thread exiting)
  bool exited = false;            // the thread's record was given back
};
inline constinit thread_local EpochThreadState t_epoch{};

// Outlined (rcu.cc): runs once per thread (plus once per section during
// thread exit). Finds a free record or allocates one (may throw
// std::bad_alloc; the state is then unchanged).
void epoch_attach_slow();
// Gives back a temporary record after the section that borrowed it.
void epoch_detach_temporary() noexcept;

// epoch_pin(): enters a read section (nestable). Wait-free after the first
// call on a thread.
inline void epoch_pin() {
  EpochThreadState& s = t_epoch;
  if (s.depth == 0) {
    if (s.record == nullptr) epoch_attach_slow();
    s.record->local.store(g_epoch.value.load(std::memory_order_seq_cst),
                          std::memory_order_seq_cst);
  }
  ++s.depth;
}

// epoch_unpin(): leaves a read section; the outermost leave publishes
// "outside" with a release store.
inline void epoch_unpin() noexcept {
  EpochThreadState& s = t_epoch;
  if (--s.depth != 0) return;
  s.record->local.store(0, std::memory_order_release);
  if (s.temporary) epoch_detach_temporary();
}

// epoch_thread_index(): the dense index of the calling thread's record, or
// -1 when the thread has no durable record (it is exiting and runs on a
// borrowed one). Only meaningful inside a read section.
inline int64_t epoch_thread_index() noexcept {
  const EpochThreadState& s = t_epoch;
  return (s.record == nullptr || s.temporary) ? -1 : static_cast<int64_t>(s.record->index);
}

// epoch_min_active(): the smallest non-zero `local` of all records (seq_cst
// loads), or UINT64_MAX when no thread is in a read section.
uint64_t epoch_min_active() noexcept;

// epoch_record_count(): records ever created (an upper bound of the thread
// indices in use + 1).
uint32_t epoch_record_count() noexcept;

// An object waiting for its grace period. Embedded (as a base) in the nodes
// of Rcu, AtomicValue and Pool. All fields are written by the retiring
// thread before the push (release) and read by the reclaimer after its
// exchange (acquire).
struct Retired {
  Retired* retired_next = nullptr;
  uint64_t retired_epoch = 0;            // x: E.fetch_add at retirement
  void (*reclaim_fn)(Retired*) noexcept = nullptr;  // frees the object
};

// RetireList: the objects one owner (an Rcu, AtomicValue or Pool) has
// retired and not yet freed. A Treiber stack with push and take-all only (no
// single pop, hence no ABA). Lock-free: any thread may retire() and
// reclaim() concurrently; each reclaim() takes the whole list, frees what is
// safe and pushes the rest back.
class RetireList {
 public:
  RetireList() noexcept = default;
  RetireList(const RetireList&) = delete;
  RetireList& operator=(const RetireList&) = delete;
  // Frees everything left (reclaim_all()); the owner guarantees that no
  // operation is in progress.
  ~RetireList() { reclaim_all(); }

  // retire(r, fn): r has been unlinked (by a seq_cst RMW, sequenced before
  // this call); tags it with E.fetch_add(1) and queues it. fn(r) frees it
  // later, on whichever thread reclaims.
  void retire(Retired* r, void (*fn)(Retired*) noexcept) noexcept;

  // reclaim(): frees every queued object whose grace period has passed;
  // returns how many. Never waits.
  std::size_t reclaim() noexcept;

  // reclaim_all(): frees everything queued, ignoring readers. Only for an
  // owner that knows no reader can hold them (its destructor).
  std::size_t reclaim_all() noexcept;

  // pending(): objects queued (relaxed; exact when quiescent).
  std::size_t pending() const noexcept { return count_.load(std::memory_order_relaxed); }

 private:
  void push_chain(Retired* first, Retired* last) noexcept;

  // Top of the stack. Pushed by a CAS loop (release), taken whole by
  // exchange(nullptr) (acquire).
  std::atomic<Retired*> head_{nullptr};
  // Number of queued objects; +1 per retire, -n per reclaim. Relaxed: a
  // gauge, it orders nothing.
  std::atomic<std::size_t> count_{0};
};

// Blocks (yielding) until `list` is empty, reclaiming as readers leave.
// Throws SyncPanic(kSynchronizeInReadSection) inside a read section.
void wait_for_grace_period(RetireList& list);

}  // namespace detail

// EpochGuard: a read-side section. While it lives, objects retired after its
// construction are not freed. Wait-free; nestable; must be destroyed on the
// constructing thread, innermost first. Its constructor may throw
// std::bad_alloc only the first time a thread enters a section.
class EpochGuard {
 public:
  EpochGuard() { detail::epoch_pin(); }
  ~EpochGuard() { detail::epoch_unpin(); }
  EpochGuard(const EpochGuard&) = delete;
  EpochGuard& operator=(const EpochGuard&) = delete;
};

// in_read_section(): the calling thread is inside at least one EpochGuard.
inline bool in_read_section() noexcept { return detail::t_epoch.depth != 0; }

template <class T>
class Rcu {
  // A published copy. Immutable from publication until it is freed.
  struct Node final : detail::Retired {
    template <class... A>
    explicit Node(std::in_place_t, A&&... a) : value(std::forward<A>(a)...) {}
    T value;
    static void free(detail::Retired* r) noexcept { delete static_cast<Node*>(r); }
  };

 public:
  // ReadGuard: a snapshot. Holds a read section open and points at the copy
  // that was current when it was made; the copy stays valid (and unchanged)
  // until the guard is destroyed, whatever writers do meanwhile. Not
  // copyable or movable (it is a scope); returned by value thanks to
  // guaranteed copy elision.
  class ReadGuard {
   public:
    ReadGuard(const ReadGuard&) = delete;
    ReadGuard& operator=(const ReadGuard&) = delete;
    const T& operator*() const noexcept { return node_->value; }
    const T* operator->() const noexcept { return &node_->value; }
    const T* get() const noexcept { return &node_->value; }

   private:
    friend class Rcu;
    // pin_ is declared first, so it is entered before node_ is loaded.
    explicit ReadGuard(const std::atomic<Node*>& current)
        : node_(current.load(std::memory_order_seq_cst)) {}
    EpochGuard pin_;
    const Node* node_;
  };

  // Rcu(v): the first copy is v.
  explicit Rcu(T initial) : current_(new Node(std::in_place, std::move(initial))) {}
  // Rcu(std::in_place, args...): the first copy is T(args...).
  template <class... A>
  explicit Rcu(std::in_place_t, A&&... a)
      : current_(new Node(std::in_place, std::forward<A>(a)...)) {}
  Rcu(const Rcu&) = delete;
  Rcu& operator=(const Rcu&) = delete;
  // Frees the current copy and every retired one. No read or write may be
  // in progress (the RetireList member frees the retired ones).
  ~Rcu() { delete current_.load(std::memory_order_relaxed); }

  // read(): a snapshot guard. Wait-free.
  ReadGuard read() const { return ReadGuard(current_); }

  // read(f): calls f(const T&) on the current copy inside a read section and
  // returns what f returns. Wait-free apart from f.
  template <class F>
  decltype(auto) read(F&& f) const {
    ReadGuard g = read();
    return std::forward<F>(f)(*g);
  }

  // load(): a copy of the current value (T's copy constructor inside a read
  // section).
  T load() const {
    ReadGuard g = read();
    return *g;
  }

  // store(v): publishes v. Takes the writer lock (any number of writers).
  void store(T v) {
    Node* n = new Node(std::in_place, std::move(v));
    std::lock_guard<GoMutex> lk(writer_);
    publish(n);
  }

  // update(fn): read-copy-update: copies the current value, calls fn(T&) on
  // the copy, publishes it. Writers are serialised by the writer lock, so no
  // update is lost. If fn throws, nothing is published and the exception
  // propagates.
  template <class F>
  void update(F&& fn) {
    std::lock_guard<GoMutex> lk(writer_);
    update_single_writer(std::forward<F>(fn));
  }

  // store_single_writer(v): publishes v without the lock. Lock-free (one
  // exchange). Precondition: no other writer (of any kind) runs meanwhile.
  void store_single_writer(T v) { publish(new Node(std::in_place, std::move(v))); }

  // update_single_writer(fn): update(fn) without the lock. Lock-free.
  // Precondition: no other writer (of any kind) runs meanwhile. The current
  // copy is read without a read section: only writers free copies, and the
  // caller is the only writer.
  template <class F>
  void update_single_writer(F&& fn) {
    const Node* cur = current_.load(std::memory_order_acquire);
    Node* n = new Node(std::in_place, cur->value);
    try {
      std::forward<F>(fn)(n->value);
    } catch (...) {
      delete n;
      throw;
    }
    publish(n);
  }

  // synchronize(): waits until every copy replaced before the call has been
  // freed, i.e. until each reader that was inside a section at the call has
  // left it. Blocks (spins, then yields); throws SyncPanic(kSynchronizeInReadSection) if the
  // calling thread is inside a read section (it would wait for itself).
  void synchronize() { detail::wait_for_grace_period(retired_); }

  // retired_count(): replaced copies not yet freed (relaxed gauge).
  std::size_t retired_count() const noexcept { return retired_.pending(); }

 private:
  // Swaps in n, retires the old copy and frees whatever is already safe.
  // Never waits for readers.
  void publish(Node* n) noexcept {
    Node* old = current_.exchange(n, std::memory_order_seq_cst);
    retired_.retire(old, &Node::free);
    retired_.reclaim();
  }

  // The current copy; never null. Replaced by writers with a seq_cst
  // exchange (the unlink of the epoch argument); loaded by readers with a
  // seq_cst load inside a read section.
  std::atomic<Node*> current_;
  // Serialises store()/update(); not taken by readers or by the
  // *_single_writer calls.
  GoMutex writer_;
  // Replaced copies waiting for their grace period.
  detail::RetireList retired_;
};

}  // namespace syncscope

#endif  // SYNCSCOPE_RCU_H_
