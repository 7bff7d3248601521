// syncscope/atomic_value.h — AtomicValue<T>: Go's sync/atomic.Value.
//
// This file offers:
//   template <class T> class AtomicValue
//     load()                    std::optional<T>: a copy, or nullopt if
//                               nothing was ever stored (Go: nil)
//     store(v)                  replaces the value
//     swap(v)                   replaces it and returns the previous one
//                               (nullopt if none)
//     compare_and_swap(old, v)  replaces it with v iff it currently equals
//                               old (T's operator==)
//     compare_and_swap(std::nullopt, v)
//                               stores v iff nothing was ever stored (Go's
//                               CompareAndSwap(nil, new))
//     visit(f)                  f(const T*) on the current value (nullptr if
//                               none) without copying it
//     has_value()               something was stored
//     reclaim(), synchronize(), retired_count()
//                               memory of replaced values (see below)
//
// Go names -> C++: Load -> load, Store -> store, Swap -> swap,
// CompareAndSwap -> compare_and_swap.
//
// The dynamic-type rules of Go's Value, mapped: Go's Value holds an
// interface{}; all stores must use one concrete type ("sync/atomic: store of
// inconsistently typed value into Value" panics otherwise) and storing nil
// panics ("sync/atomic: store of nil value into Value"). Here the type is the
// template argument, so a store of another type does not compile and there
// is no nil to store: both panics are impossible by construction. Go's
// "load of a Value never stored" returns nil; here load() returns
// std::nullopt and visit() passes nullptr. A T that is itself a pointer or
// an std::optional is stored as a value like any other.
//
// Algorithm: an atomic pointer to immutable heap nodes (Go's Value does the
// same: it stores a pointer to the interface's data and never mutates the
// pointee). store/swap allocate a node and exchange the pointer;
// compare_and_swap compares the current node's value with `old` and CASes
// the pointer, retrying while the value still equals `old` (so it fails only
// if, at some instant, the value differed — Go's single CAS can also fail
// when another thread concurrently stored an equal value). Replaced nodes go
// to epoch-based reclamation (rcu.h): a load enters a read section, loads
// the pointer and copies the value, so a node is freed only after every
// load that could be reading it has finished.
//
// Why not std::atomic<std::shared_ptr<T>>: libstdc++ 12 implements it with a
// lock (a spin bit in the control-block pointer, and a wait on contention),
// so its loads are neither lock-free nor wait-free, and every load writes
// the shared reference count — the cache-line ping-pong a read-mostly
// Value is meant to avoid. Here a load writes only the reader's own epoch
// slot.
//
// Progress: load() and visit() are wait-free apart from T's copy / f.
// store() and swap() are lock-free (one exchange, plus the allocation).
// compare_and_swap is lock-free. Every write frees what is already safe
// (never waits); a value replaced while a reader sits in a long read section
// stays allocated until that reader leaves.
//
// Memory ordering: every pointer operation is seq_cst (Go's atomics are
// sequentially consistent), so the stores, swaps and successful CASes of one
// AtomicValue form a single order that all loads agree with, and a load that
// returns a value sees everything its writer did before storing it.
//
// Not copyable or movable (Go: "A Value must not be copied after first
// use"). Destroying it frees the value and the replaced ones; no operation
// may be in progress then.

#ifndef SYNCSCOPE_ATOMIC_VALUE_H_
#define SYNCSCOPE_ATOMIC_VALUE_H_

#include <atomic>
#include <concepts>
#include <cstddef>
#include <optional>
#include <utility>

#include <syncscope/rcu.h>

namespace syncscope {

template <class T>
class AtomicValue {
  // A stored value. Immutable from publication until freed.
  struct Node final : detail::Retired {
    template <class... A>
    explicit Node(std::in_place_t, A&&... a) : value(std::forward<A>(a)...) {}
    T value;
    static void free(detail::Retired* r) noexcept { delete static_cast<Node*>(r); }
  };

 public:
  // Empty, like Go's zero Value: load() returns nullopt until a store.
  AtomicValue() noexcept = default;
  // Holding v from the start.
  explicit AtomicValue(T v) : current_(new Node(std::in_place, std::move(v))) {}
  AtomicValue(const AtomicValue&) = delete;
  AtomicValue& operator=(const AtomicValue&) = delete;
  ~AtomicValue() { delete current_.load(std::memory_order_relaxed); }

  // load(): a copy of the value, or nullopt if nothing was ever stored.
  std::optional<T> load() const {
    EpochGuard g;
    const Node* n = current_.load(std::memory_order_seq_cst);
    if (n == nullptr) return std::nullopt;
    return std::optional<T>(n->value);
  }

  // has_value(): something was stored (it stays true forever after).
  bool has_value() const noexcept {
    return current_.load(std::memory_order_seq_cst) != nullptr;
  }

  // visit(f): calls f(const T*) with the current value, or with nullptr if
  // nothing was stored, inside a read section (the pointee is valid and
  // unchanged during f); returns f's result.
  template <class F>
  decltype(auto) visit(F&& f) const {
    EpochGuard g;
    const Node* n = current_.load(std::memory_order_seq_cst);
    return std::forward<F>(f)(n == nullptr ? static_cast<const T*>(nullptr) : &n->value);
  }

  // store(v): replaces the value. Lock-free.
  void store(T v) {
    Node* n = new Node(std::in_place, std::move(v));
    Node* old = current_.exchange(n, std::memory_order_seq_cst);
    retire(old);
  }

  // swap(v): replaces the value and returns the previous one (nullopt if
  // none). The previous value is copied, not moved: loads that started
  // before the swap may still be reading it.
  std::optional<T> swap(T v) {
    Node* n = new Node(std::in_place, std::move(v));
    Node* old = current_.exchange(n, std::memory_order_seq_cst);
    if (old == nullptr) return std::nullopt;
    // `old` is ours to retire: nobody frees it before retire() below.
    std::optional<T> prev;
    try {
      prev.emplace(old->value);
    } catch (...) {
      retire(old);
      throw;
    }
    retire(old);
    return prev;
  }

  // compare_and_swap(old, v): if the value equals `old`, replaces it with v
  // and returns true; otherwise returns false and changes nothing (v is
  // dropped). An empty AtomicValue equals no T.
  bool compare_and_swap(const T& old, T v)
    requires std::equality_comparable<T>
  {
    Node* n = nullptr;
    Node* replaced = nullptr;
    {
      EpochGuard g;  // keeps `cur` alive while its value is compared
      Node* cur = current_.load(std::memory_order_seq_cst);
      for (;;) {
        if (cur == nullptr || !(cur->value == old)) break;
        if (n == nullptr) n = new Node(std::in_place, std::move(v));
        if (current_.compare_exchange_weak(cur, n, std::memory_order_seq_cst,
                                           std::memory_order_seq_cst)) {
          replaced = cur;
          break;
        }
      }
    }
    if (replaced == nullptr) {
      delete n;
      return false;
    }
    retire(replaced);
    return true;
  }

  // compare_and_swap(std::nullopt, v): stores v iff nothing was ever stored
  // (Go's CompareAndSwap(nil, new) on a fresh Value).
  bool compare_and_swap(std::nullopt_t, T v) {
    Node* n = new Node(std::in_place, std::move(v));
    Node* expected = nullptr;
    if (current_.compare_exchange_strong(expected, n, std::memory_order_seq_cst,
                                         std::memory_order_seq_cst)) {
      return true;
    }
    delete n;
    return false;
  }

  // reclaim(): frees replaced values whose readers have all finished;
  // returns how many. Writes already do this; exposed for tests and for
  // benchmarks that want the memory back at a chosen point. Never waits.
  std::size_t reclaim() noexcept { return retired_.reclaim(); }

  // synchronize(): waits for the readers inside a read section at the call
  // to leave, then frees what they held back. Throws
  // SyncPanic(kSynchronizeInReadSection) inside a read section.
  void synchronize() { detail::wait_for_grace_period(retired_); }

  // retired_count(): replaced values not yet freed (relaxed gauge).
  std::size_t retired_count() const noexcept { return retired_.pending(); }

 private:
  // Queues a replaced node (unlinked by the caller's seq_cst RMW) and frees
  // what is already safe.
  void retire(Node* old) noexcept {
    if (old == nullptr) return;
    retired_.retire(old, &Node::free);
    retired_.reclaim();
  }

  // The current node, null until the first store. Written by seq_cst
  // exchange/CAS (writers), read by seq_cst loads inside a read section.
  // Direction: null -> node -> node ... (never back to null).
  std::atomic<Node*> current_{nullptr};
  // Replaced nodes waiting for their grace period.
  detail::RetireList retired_;
};

}  // namespace syncscope

#endif  // SYNCSCOPE_ATOMIC_VALUE_H_
