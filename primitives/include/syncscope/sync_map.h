// syncscope/sync_map.h — Map<K, V>: Go's sync.Map.
//
// This file offers:
//   template <class K, class V, class Hash = std::hash<K>,
//             class KeyEqual = std::equal_to<K>> class Map
//     load(k) -> std::optional<V>            Go: Load
//     store(k, v)                            Go: Store
//     load_or_store(k, v) -> {V, bool}       Go: LoadOrStore (actual, loaded)
//     load_and_delete(k) -> std::optional<V> Go: LoadAndDelete
//     erase(k)                               Go: Delete (`delete` is a C++ keyword)
//     swap(k, v) -> std::optional<V>         Go: Swap (previous, loaded)
//     compare_and_swap(k, old, new) -> bool  Go: CompareAndSwap (V must have ==)
//     compare_and_delete(k, old) -> bool     Go: CompareAndDelete (V must have ==)
//     range(f)                               Go: Range; f(const K&, const V&) -> bool,
//                                            false stops the iteration
//     clear()                                Go 1.23: Clear
//   Like Go's, the map has no len(): the seed's "没有Len方法，并且也不会添加".
//
// When to use it (the seed's two scenarios): a key written once and read
// many times (a cache), or goroutines reading, writing and updating
// disjoint sets of keys. For everything else a plain map under a lock, or
// ConcurrentMap (concurrent_map.h), is usually faster; the `maps` suite
// measures exactly that.
//
// Algorithm (Go's sync/map.go, Bryan C. Mills, 2017; Go 1.20's Swap and
// CompareAnd* operations; written here for C++ without a garbage collector):
//   * read_ is an atomically published, immutable snapshot: a hash map
//     key -> Entry* plus an `amended` flag that says "the dirty map holds
//     keys this snapshot lacks". Loads, and stores to keys already in the
//     snapshot, touch only read_ and the entry: no lock.
//   * dirty_ (under mu_) holds every live key: the snapshot's non-deleted
//     entries (the same Entry objects, shared) plus new keys. It is built
//     lazily (dirty_locked) the first time a new key is stored after a
//     promotion, by copying the snapshot and *expunging* deleted entries.
//   * A lookup that misses the snapshot while `amended` is set takes mu_ and
//     looks in dirty_; each such miss counts. When misses_ >= len(dirty_),
//     dirty_ is promoted wholesale to be the new snapshot (O(1): the map is
//     moved, not copied) and dirty_ becomes nil. So a key that is read often
//     after being added costs at most len(dirty) locked lookups before
//     reads become lock-free — the amortisation Go's design relies on.
//   * Entry::p is the value: nullptr (deleted, but the key is still in
//     dirty_ if dirty_ exists), expunged() (deleted, and the key is NOT in
//     dirty_), or a ValueNode*. Values are immutable boxes, replaced by CAS
//     (Go boxes values in interface{}, the seed's "装箱/拆箱"). An expunged
//     entry must be unexpunged (set to nullptr) and re-added to dirty_
//     under mu_ before it can take a value again; that is how a store
//     through the lock-free path can never write a key dirty_ does not know
//     about.
//
// Invariants (mu_ held unless stated):
//   * dirty_ == nullptr implies read_->amended == false, and no entry of
//     the snapshot is expunged.
//   * dirty_ != nullptr: every entry of the snapshot that is not expunged is
//     in dirty_ under the same key; an expunged entry is in expunged_ and
//     not in dirty_; read_->amended says whether dirty_ has keys the
//     snapshot lacks.
//   * An entry's p moves nullptr -> expunged only under mu_ (dirty_locked),
//     and expunged -> nullptr only under mu_ (unexpunge_locked).
//
// Reclamation (what Go leaves to its garbage collector). Snapshots, entries
// and value boxes are freed through the epoch-based reclamation of
// syncscope/rcu.h: every operation runs inside an EpochGuard, and whatever
// it unlinks — a replaced snapshot, a replaced value box, an entry that no
// map refers to any more (deleted from dirty_, or expunged and left behind
// by a promotion, or dropped by clear()) — is retired and freed once every
// thread that could still hold it has left its section. The trade-off, and
// why not std::atomic<std::shared_ptr<Snapshot>>: libstdc++'s
// atomic<shared_ptr> load takes a lock bit in the control-block pointer
// word and bumps the reference count, so every reader writes two shared
// cache lines and read-mostly workloads stop scaling — the opposite of what
// sync.Map is for. An epoch section costs a reader one seq_cst store to its
// own per-thread record (xchg on x86-64, stlr on ARM64) and a load of the
// global epoch; no shared line is written by readers. Its price: memory is
// held while any thread stays inside a section (a long range() callback
// delays every Rcu/AtomicValue/Pool/Map reclamation in the process), and
// freeing is batched (kReclaimBatch, kBoxBatch).
//
// Replaced value boxes (the common case: a store to a key that exists) do
// not go to the shared retire list: each thread queues them in its own slot
// of the map (box_slots_, indexed by the thread's epoch record, as Pool
// does) and, every kBoxBatch boxes, tags the whole batch with ONE
// E.fetch_add and frees, oldest first, the boxes of its slot whose grace
// period has passed. A retirement was one shared RMW on E plus an add and a
// CAS on the map's list, all bouncing between threads that store disjoint
// keys (issue 16); it is now a few plain writes to a line the thread owns,
// plus one RMW on E per kBoxBatch. Sound because delaying a tag only makes
// it larger: every box of the batch was unlinked (seq_cst RMW) before the
// fetch_add in the thread's program order, which is all rcu.h's argument
// needs. The cost: each thread's slot holds up to kBoxBatch boxes not yet
// tagged, plus the batches still in their grace period, until that thread
// (or the next thread that adopts its epoch record) retires again, or the
// map is destroyed.
//
// Memory ordering: a load that returns a value stored by store()/swap()/
// load_or_store()/compare_and_swap() sees everything the storing thread did
// before the store (the box is published by a seq_cst RMW on Entry::p and
// read by a seq_cst load; snapshots are published by a seq_cst exchange of
// read_ and loaded seq_cst). Operations that take mu_ are also ordered by
// it. This is Go's guarantee ("a write operation is synchronized before any
// read operation that observes the effect of the write"). range() sees a
// consistent snapshot of the key set only; values are read one at a time and
// may be newer than the snapshot.
//
// Fairness and progress: load, and store/swap/compare_and_* on keys present
// in the snapshot, are lock-free (a CAS loop retried only when another
// thread changed the same entry). New keys, misses while amended, and
// range()/clear() take mu_, a GoMutex (bounded unfairness: starvation mode
// after 1 ms).
//
// Legal operations: every method may be called concurrently from any
// thread, including from inside a range() callback (on the same map too;
// Go allows it). The destructor requires that no call is in progress.
// Values handed out are copies (load, swap, load_or_store,
// load_and_delete); range() passes references that are valid only during
// the callback. V must be copy-constructible; compare_and_* need
// `old == current` to be well-formed.

#ifndef SYNCSCOPE_SYNC_MAP_H_
#define SYNCSCOPE_SYNC_MAP_H_

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <syncscope/go_mutex.h>
#include <syncscope/internal/indexed_array.h>
#include <syncscope/rcu.h>

namespace syncscope {

template <class K, class V, class Hash = std::hash<K>, class KeyEqual = std::equal_to<K>>
class Map {
  // A value box (Go: the *any an entry points to). Immutable once
  // published; replaced, never modified.
  struct ValueNode final : detail::Retired {
    template <class... A>
    explicit ValueNode(A&&... a) : value(std::forward<A>(a)...) {}
    V value;
    static void free(detail::Retired* r) noexcept { delete static_cast<ValueNode*>(r); }
  };

  // Go's entry: a slot for one key, shared between the snapshot and dirty_.
  struct Entry final : detail::Retired {
    explicit Entry(ValueNode* v) noexcept : p(v) {}
    // nullptr | expunged() | live box (see the header). Every change is a
    // seq_cst RMW (the "unlink" of the epoch argument for the box it
    // replaces); read with seq_cst loads. Transitions: box <-> box,
    // box -> nullptr (delete), nullptr -> box (store), nullptr -> expunged
    // and expunged -> nullptr (only under mu_).
    std::atomic<ValueNode*> p;
    // Frees the entry and the box it holds at that time (the box is owned by
    // the entry: whoever replaced an earlier box retired that one).
    static void free(detail::Retired* r) noexcept {
      auto* e = static_cast<Entry*>(r);
      ValueNode* v = e->p.load(std::memory_order_relaxed);
      if (v != nullptr && v != expunged()) delete v;
      delete e;
    }
  };

  // One thread's replaced value boxes. Used only by the thread that owns
  // epoch record `index` (inside an epoch section); a record changes owner
  // with a release/acquire handoff (rcu.h), so the fields are plain. Padded
  // to its own lines: two threads' slots never share one.
  struct alignas(detail::kEpochRecordAlign) BoxSlot {
    detail::Retired* untagged = nullptr;  // stack of boxes not yet tagged
    std::size_t untagged_n = 0;           // its length
    detail::Retired* oldest = nullptr;    // tagged boxes, FIFO, tags ascending
    detail::Retired* newest = nullptr;    // the FIFO's tail
  };

  using EntryMap = std::unordered_map<K, Entry*, Hash, KeyEqual>;

  // Go's readOnly. The hash map is immutable once published. amended is set
  // false -> true (once, under mu_) when dirty_ gets its first key the
  // snapshot lacks; Go swaps in a new readOnly for that, sharing the map —
  // one atomic flag per snapshot gives the same observable states without
  // an allocation. Written with release under mu_, read with acquire.
  struct ReadOnly final : detail::Retired {
    EntryMap m;
    mutable std::atomic<bool> amended{false};
    static void free(detail::Retired* r) noexcept { delete static_cast<ReadOnly*>(r); }
  };

  // Go's `expunged = new(any)`: a unique address that is never a box and is
  // never dereferenced.
  alignas(ValueNode) static inline unsigned char expunged_tag_[1] = {0};
  static ValueNode* expunged() noexcept { return reinterpret_cast<ValueNode*>(expunged_tag_); }

 public:
  using key_type = K;
  using mapped_type = V;

  // Retired objects are freed in batches of about this many (a reclaim scans
  // every thread's epoch record).
  static constexpr std::size_t kReclaimBatch = 64;
  // A thread tags and reclaims its replaced value boxes once per this many
  // (see "Replaced value boxes" in the header comment).
  static constexpr std::size_t kBoxBatch = 32;

  Map() : read_(new ReadOnly) {}
  Map(const Map&) = delete;
  Map& operator=(const Map&) = delete;
  // Frees every entry and box. No call may be in progress.
  ~Map() {
    ReadOnly* r = read_.load(std::memory_order_relaxed);
    std::unordered_set<Entry*> all;
    for (auto& kv : r->m) all.insert(kv.second);
    if (dirty_) {
      for (auto& kv : *dirty_) all.insert(kv.second);
    }
    for (Entry* e : all) Entry::free(e);
    delete r;
    box_slots_.for_each_unsafe([](BoxSlot& s) {
      free_chain(s.untagged);
      free_chain(s.oldest);
    });
    // retired_'s destructor frees what is still waiting for a grace period.
  }

  // load(k): the value for k, or nullopt (Go: Load). Lock-free when k is in
  // the snapshot or the snapshot is complete.
  std::optional<V> load(const K& key) const {
    EpochGuard g;
    const ReadOnly* r = read_.load(std::memory_order_seq_cst);
    Entry* e = find(r, key);
    if (e == nullptr) {
      if (!r->amended.load(std::memory_order_acquire)) return std::nullopt;
      e = load_slow(key);
      if (e == nullptr) return std::nullopt;
    }
    ValueNode* p = e->p.load(std::memory_order_seq_cst);
    if (p == nullptr || p == expunged()) return std::nullopt;
    return p->value;
  }

  // store(k, v): sets the value for k (Go: Store).
  void store(const K& key, V value) {
    EpochGuard g;
    ValueNode* old = swap_box(key, std::make_unique<ValueNode>(std::move(value)));
    if (old != nullptr) retire(old);
  }

  // swap(k, v): sets the value for k and returns the previous one, or
  // nullopt if there was none (Go: Swap's previous, loaded).
  std::optional<V> swap(const K& key, V value) {
    EpochGuard g;
    ValueNode* old = swap_box(key, std::make_unique<ValueNode>(std::move(value)));
    if (old == nullptr) return std::nullopt;
    std::optional<V> prev(old->value);  // a copy: concurrent loads may still read the box
    retire(old);
    return prev;
  }

  // load_or_store(k, v): the existing value and true if k is present;
  // otherwise stores v and returns {v, false} (Go: LoadOrStore's actual,
  // loaded).
  std::pair<V, bool> load_or_store(const K& key, V value) {
    EpochGuard g;
    std::unique_ptr<ValueNode> box;  // allocated only if we try to store
    const ReadOnly* r = read_.load(std::memory_order_seq_cst);
    if (Entry* e = find(r, key)) {
      std::optional<std::pair<V, bool>> res = try_load_or_store(e, value, box);
      if (res) return std::move(*res);
    }
    return load_or_store_slow(key, std::move(value), box);
  }

  // load_and_delete(k): removes k and returns its value, or nullopt if it
  // was absent (Go: LoadAndDelete).
  std::optional<V> load_and_delete(const K& key) {
    EpochGuard g;
    const ReadOnly* r = read_.load(std::memory_order_seq_cst);
    Entry* e = find(r, key);
    if (e == nullptr) {
      if (!r->amended.load(std::memory_order_acquire)) return std::nullopt;
      e = load_and_delete_slow(key);
      if (e == nullptr) return std::nullopt;
    }
    return delete_entry(e);
  }

  // erase(k): removes k (Go: Delete).
  void erase(const K& key) { (void)load_and_delete(key); }

  // compare_and_swap(k, old, new): replaces k's value by new if it is
  // present and equal to old (Go: CompareAndSwap).
  bool compare_and_swap(const K& key, const V& old, V new_value)
    requires std::equality_comparable<V>
  {
    EpochGuard g;
    std::unique_ptr<ValueNode> box;
    const ReadOnly* r = read_.load(std::memory_order_seq_cst);
    if (Entry* e = find(r, key)) return try_compare_and_swap(e, old, new_value, box);
    if (!r->amended.load(std::memory_order_acquire)) return false;
    return compare_and_swap_slow(key, old, new_value, box);
  }

  // compare_and_delete(k, old): removes k if its value equals old (Go:
  // CompareAndDelete). A key that lives only in dirty_ keeps its (now
  // empty) entry there until the next promotion expunges it, as in Go.
  bool compare_and_delete(const K& key, const V& old)
    requires std::equality_comparable<V>
  {
    EpochGuard g;
    const ReadOnly* r = read_.load(std::memory_order_seq_cst);
    Entry* e = find(r, key);
    if (e == nullptr) {
      if (!r->amended.load(std::memory_order_acquire)) return false;
      e = compare_and_delete_slow(key);
      if (e == nullptr) return false;
    }
    ValueNode* p = e->p.load(std::memory_order_seq_cst);
    while (p != nullptr && p != expunged() && p->value == old) {
      if (e->p.compare_exchange_weak(p, nullptr, std::memory_order_seq_cst)) {
        retire(p);
        return true;
      }
    }
    return false;
  }

  // range(f): calls f(key, value) for each key, in unspecified order, until
  // f returns false (Go: Range). Promotes dirty_ first if the snapshot is
  // incomplete (O(1), under mu_), then iterates the snapshot without any
  // lock: no key is visited twice; a key stored or deleted concurrently may
  // or may not be visited; each value is the one current when it is read.
  // f may call any method of this map. The references are valid during the
  // call only. f may return void (never stops) or something convertible to
  // bool.
  template <class F>
  void range(F&& f) const {
    EpochGuard g;
    const ReadOnly* r = read_.load(std::memory_order_seq_cst);
    if (r->amended.load(std::memory_order_acquire)) r = range_promote();
    for (const auto& kv : r->m) {
      ValueNode* p = kv.second->p.load(std::memory_order_seq_cst);
      if (p == nullptr || p == expunged()) continue;
      if constexpr (std::is_void_v<std::invoke_result_t<F&, const K&, const V&>>) {
        f(kv.first, p->value);
      } else {
        if (!static_cast<bool>(f(kv.first, p->value))) break;
      }
    }
  }

  // clear(): removes every key (Go 1.23: Clear). A store that overlaps
  // clear() may take effect before it (the key ends up absent) or after it
  // (present): a lock-free store that loaded the old snapshot writes into an
  // entry clear() has already dropped, exactly as in Go.
  void clear() {
    EpochGuard g;
    const ReadOnly* cur = read_.load(std::memory_order_seq_cst);
    if (cur->m.empty() && !cur->amended.load(std::memory_order_acquire)) return;
    clear_slow();
  }

 private:
  static Entry* find(const ReadOnly* r, const K& key) {
    auto it = r->m.find(key);
    return it == r->m.end() ? nullptr : it->second;
  }

  // Retires x; every kReclaimBatch retirements, frees what is safe. The
  // threshold moves past what a reclaim could not free, so a reader parked
  // in a section does not turn every later retire into a full scan.
  void retire(detail::Retired* x, void (*fn)(detail::Retired*) noexcept) const noexcept {
    retired_.retire(x, fn);
    if (retired_.pending() >= reclaim_at_.load(std::memory_order_relaxed)) {
      retired_.reclaim();
      reclaim_at_.store(retired_.pending() + kReclaimBatch, std::memory_order_relaxed);
    }
  }
  // A replaced value box goes to the calling thread's slot; a thread with
  // no durable epoch record (it is exiting) or no slot (allocation failed)
  // uses the shared list.
  void retire(ValueNode* v) const noexcept {
    BoxSlot* s = nullptr;
    if (const int64_t id = detail::epoch_thread_index(); id >= 0) {
      s = box_slots_.find(static_cast<uint32_t>(id));
      if (s == nullptr) {
        try {
          s = &box_slots_.get(static_cast<uint32_t>(id));
        } catch (const std::bad_alloc&) {
          s = nullptr;
        }
      }
    }
    if (s == nullptr) {
      retire(v, &ValueNode::free);
      return;
    }
    v->reclaim_fn = &ValueNode::free;
    v->retired_next = s->untagged;
    s->untagged = v;
    if (++s->untagged_n >= kBoxBatch) flush_boxes(*s);
  }

  // Tags the slot's untagged boxes with one E.fetch_add (seq_cst, after
  // their unlinks in program order: the order rcu.h's proof needs), moves
  // them to the tail of the tagged FIFO, then frees from its head every box
  // whose tag is below the oldest active section. Tags only grow along the
  // FIFO, so the loop stops at the first box still in its grace period:
  // O(freed + 1) even while a reader holds everything back. The scan's
  // seq_cst loads read each reader's leave (release), so its uses of a box
  // happen-before the free.
  static void flush_boxes(BoxSlot& s) noexcept {
    const uint64_t x = detail::g_epoch.value.fetch_add(1, std::memory_order_seq_cst);
    for (detail::Retired* r = s.untagged; r != nullptr;) {
      detail::Retired* next = r->retired_next;
      r->retired_epoch = x;
      r->retired_next = nullptr;
      if (s.newest != nullptr) {
        s.newest->retired_next = r;
      } else {
        s.oldest = r;
      }
      s.newest = r;
      r = next;
    }
    s.untagged = nullptr;
    s.untagged_n = 0;
    const uint64_t min_active = detail::epoch_min_active();
    while (s.oldest != nullptr && s.oldest->retired_epoch < min_active) {
      detail::Retired* d = s.oldest;
      s.oldest = d->retired_next;
      d->reclaim_fn(d);
    }
    if (s.oldest == nullptr) s.newest = nullptr;
  }

  static void free_chain(detail::Retired* r) noexcept {
    while (r != nullptr) {
      detail::Retired* next = r->retired_next;
      r->reclaim_fn(r);
      r = next;
    }
  }

  // ---- slow paths -----------------------------------------------------
  // Outlined (noinline): they take mu_, may build or promote dirty_ and
  // allocate; inlining them would bloat every caller's lock-free fast path.

  // Go's Load under the lock: k is not in the snapshot and the snapshot is
  // amended.
  [[gnu::noinline]] Entry* load_slow(const K& key) const {
    std::lock_guard<GoMutex> lk(mu_);
    const ReadOnly* r = read_.load(std::memory_order_relaxed);  // only written under mu_
    if (Entry* e = find(r, key)) return e;
    if (!r->amended.load(std::memory_order_relaxed)) return nullptr;
    Entry* e = nullptr;
    if (auto it = dirty_->find(key); it != dirty_->end()) e = it->second;
    // Regardless of whether the key was there, record a miss: it takes this
    // slow path until dirty_ is promoted.
    miss_locked();
    return e;
  }

  // Store/Swap: installs box for k; returns the box it replaced (nullptr if
  // none). The caller retires it. Go's Swap.
  ValueNode* swap_box(const K& key, std::unique_ptr<ValueNode> box) {
    const ReadOnly* r = read_.load(std::memory_order_seq_cst);
    if (Entry* e = find(r, key)) {
      // trySwap: fails only if the entry is expunged (then k must be
      // re-added to dirty_ under the lock).
      ValueNode* p = e->p.load(std::memory_order_seq_cst);
      while (p != expunged()) {
        if (e->p.compare_exchange_weak(p, box.get(), std::memory_order_seq_cst)) {
          box.release();
          return p;
        }
      }
    }
    return swap_slow(key, std::move(box));
  }

  [[gnu::noinline]] ValueNode* swap_slow(const K& key, std::unique_ptr<ValueNode> box) {
    std::lock_guard<GoMutex> lk(mu_);
    const ReadOnly* r = read_.load(std::memory_order_relaxed);
    if (Entry* e = find(r, key)) {
      unexpunge_locked(key, e);
      return e->p.exchange(box.release(), std::memory_order_seq_cst);
    }
    if (dirty_) {
      if (auto it = dirty_->find(key); it != dirty_->end()) {
        return it->second->p.exchange(box.release(), std::memory_order_seq_cst);
      }
    }
    add_new_key_locked(r, key, box);
    return nullptr;
  }

  // The first store of a key that neither map holds. Builds dirty_ (and
  // marks the snapshot amended) if needed, then inserts a new entry owning
  // box. Allocates before publishing anything.
  void add_new_key_locked(const ReadOnly* r, const K& key, std::unique_ptr<ValueNode>& box) {
    if (!r->amended.load(std::memory_order_relaxed)) {
      // We're adding the first new key to the dirty map (Go's comment).
      dirty_locked();
      r->amended.store(true, std::memory_order_release);
    }
    auto e = std::make_unique<Entry>(box.get());
    dirty_->emplace(key, e.get());
    e.release();
    box.release();
  }

  // Go's dirtyLocked: builds dirty_ from the snapshot, expunging deleted
  // entries (they are not copied, and recorded in expunged_ so that the
  // next promotion can retire them). O(len(snapshot)), once per promotion
  // cycle. If an allocation throws midway, the entries expunged so far are
  // already in expunged_ and a retry skips them (try_expunge_locked reports
  // kAlreadyExpunged).
  void dirty_locked() {
    if (dirty_) return;
    const ReadOnly* r = read_.load(std::memory_order_relaxed);
    auto d = std::make_unique<EntryMap>();
    d->reserve(r->m.size());
    expunged_.reserve(expunged_.size() + r->m.size());
    for (const auto& kv : r->m) {
      switch (try_expunge_locked(kv.second)) {
        case Expunge::kLive:
          d->emplace(kv.first, kv.second);
          break;
        case Expunge::kNewlyExpunged:
          expunged_.push_back(kv.second);  // capacity reserved: no throw
          break;
        case Expunge::kAlreadyExpunged:
          break;
      }
    }
    dirty_ = std::move(d);
  }

  enum class Expunge { kLive, kNewlyExpunged, kAlreadyExpunged };
  // Go's tryExpungeLocked: a deleted (nullptr) entry becomes expunged.
  static Expunge try_expunge_locked(Entry* e) noexcept {
    ValueNode* p = e->p.load(std::memory_order_seq_cst);
    while (p == nullptr) {
      if (e->p.compare_exchange_weak(p, expunged(), std::memory_order_seq_cst)) {
        return Expunge::kNewlyExpunged;
      }
    }
    return p == expunged() ? Expunge::kAlreadyExpunged : Expunge::kLive;
  }

  // Go's unexpungeLocked followed by `m.dirty[key] = e`: if e (the
  // snapshot's entry for key) is expunged, puts it back into dirty_ (which
  // exists: an expunged entry implies a dirty map that lacks the key) and
  // makes it nullptr. Inserts first, so a throwing insertion leaves e
  // expunged and the invariants intact. Only mu_ holders move an entry out
  // of expunged, so the check and the exchange cannot be separated by
  // another change.
  void unexpunge_locked(const K& key, Entry* e) {
    if (e->p.load(std::memory_order_seq_cst) != expunged()) return;
    dirty_->insert_or_assign(key, e);
    e->p.exchange(nullptr, std::memory_order_seq_cst);
  }

  // Go's missLocked: counts a locked lookup; promotes dirty_ once the
  // misses have paid for the copy dirty_locked made.
  void miss_locked() const {
    ++misses_;
    if (misses_ < dirty_->size()) return;
    promote_locked();
  }

  // dirty_ becomes the snapshot (the map is moved, O(1)); the old snapshot,
  // and the entries that were expunged and so are referenced by nothing
  // else, are retired.
  void promote_locked() const {
    auto n = std::make_unique<ReadOnly>();
    n->m = std::move(*dirty_);
    dirty_.reset();
    misses_ = 0;
    ReadOnly* old = read_.exchange(n.release(), std::memory_order_seq_cst);
    retire(old, &ReadOnly::free);
    for (Entry* e : expunged_) {
      // Still expunged: not in the new snapshot. Otherwise it was
      // unexpunged into dirty_ and lives on in the new snapshot.
      if (e->p.load(std::memory_order_relaxed) == expunged()) retire(e, &Entry::free);
    }
    expunged_.clear();
  }

  [[gnu::noinline]] const ReadOnly* range_promote() const {
    std::lock_guard<GoMutex> lk(mu_);
    const ReadOnly* r = read_.load(std::memory_order_relaxed);
    if (r->amended.load(std::memory_order_relaxed)) {
      promote_locked();
      r = read_.load(std::memory_order_relaxed);
    }
    return r;
  }

  // Go's tryLoadOrStore on a snapshot entry: nullopt if it is expunged (the
  // caller goes to the locked path).
  std::optional<std::pair<V, bool>> try_load_or_store(Entry* e, const V& value,
                                                      std::unique_ptr<ValueNode>& box) {
    ValueNode* p = e->p.load(std::memory_order_seq_cst);
    for (;;) {
      if (p == expunged()) return std::nullopt;
      if (p != nullptr) return std::pair<V, bool>(p->value, true);
      if (!box) box = std::make_unique<ValueNode>(value);
      if (e->p.compare_exchange_weak(p, box.get(), std::memory_order_seq_cst)) {
        box.release();
        return std::pair<V, bool>(value, false);
      }
    }
  }

  [[gnu::noinline]] std::pair<V, bool> load_or_store_slow(const K& key, V value,
                                                          std::unique_ptr<ValueNode>& box) {
    std::lock_guard<GoMutex> lk(mu_);
    const ReadOnly* r = read_.load(std::memory_order_relaxed);
    if (Entry* e = find(r, key)) {
      unexpunge_locked(key, e);
      // Not expunged any more, and only mu_ holders expunge: this succeeds.
      return *try_load_or_store(e, value, box);
    }
    if (dirty_) {
      if (auto it = dirty_->find(key); it != dirty_->end()) {
        std::pair<V, bool> res = *try_load_or_store(it->second, value, box);
        miss_locked();
        return res;
      }
    }
    if (!box) box = std::make_unique<ValueNode>(value);
    add_new_key_locked(r, key, box);
    return {std::move(value), false};
  }

  // Go's LoadAndDelete under the lock: a key only dirty_ holds is removed
  // from dirty_ here (its entry is then referenced by nothing and is
  // retired; the caller still empties it inside its epoch section).
  [[gnu::noinline]] Entry* load_and_delete_slow(const K& key) {
    std::lock_guard<GoMutex> lk(mu_);
    const ReadOnly* r = read_.load(std::memory_order_relaxed);
    if (Entry* e = find(r, key)) return e;
    if (!r->amended.load(std::memory_order_relaxed)) return nullptr;
    Entry* e = nullptr;
    if (auto it = dirty_->find(key); it != dirty_->end()) {
      e = it->second;
      dirty_->erase(it);
      retire(e, &Entry::free);
    }
    miss_locked();
    return e;
  }

  // Go's entry.delete: empties e, returning the value it held.
  std::optional<V> delete_entry(Entry* e) {
    ValueNode* p = e->p.load(std::memory_order_seq_cst);
    while (p != nullptr && p != expunged()) {
      if (e->p.compare_exchange_weak(p, nullptr, std::memory_order_seq_cst)) {
        std::optional<V> v(p->value);
        retire(p);
        return v;
      }
    }
    return std::nullopt;
  }

  bool try_compare_and_swap(Entry* e, const V& old, V& new_value, std::unique_ptr<ValueNode>& box)
    requires std::equality_comparable<V>
  {
    ValueNode* p = e->p.load(std::memory_order_seq_cst);
    for (;;) {
      if (p == nullptr || p == expunged() || !(p->value == old)) return false;
      if (!box) box = std::make_unique<ValueNode>(std::move(new_value));
      if (e->p.compare_exchange_weak(p, box.get(), std::memory_order_seq_cst)) {
        box.release();
        retire(p);
        return true;
      }
    }
  }

  [[gnu::noinline]] bool compare_and_swap_slow(const K& key, const V& old, V& new_value,
                                               std::unique_ptr<ValueNode>& box)
    requires std::equality_comparable<V>
  {
    std::lock_guard<GoMutex> lk(mu_);
    const ReadOnly* r = read_.load(std::memory_order_relaxed);
    if (Entry* e = find(r, key)) return try_compare_and_swap(e, old, new_value, box);
    if (dirty_) {
      if (auto it = dirty_->find(key); it != dirty_->end()) {
        const bool swapped = try_compare_and_swap(it->second, old, new_value, box);
        // The set of keys did not change, but the lookup needed the lock:
        // count a miss so that dirty_ gets promoted (Go's comment).
        miss_locked();
        return swapped;
      }
    }
    return false;
  }

  [[gnu::noinline]] Entry* compare_and_delete_slow(const K& key) {
    std::lock_guard<GoMutex> lk(mu_);
    const ReadOnly* r = read_.load(std::memory_order_relaxed);
    if (Entry* e = find(r, key)) return e;
    if (!r->amended.load(std::memory_order_relaxed)) return nullptr;
    Entry* e = nullptr;
    if (auto it = dirty_->find(key); it != dirty_->end()) e = it->second;
    miss_locked();
    return e;
  }

  [[gnu::noinline]] void clear_slow() {
    auto fresh = std::make_unique<ReadOnly>();
    std::lock_guard<GoMutex> lk(mu_);
    const ReadOnly* r = read_.load(std::memory_order_relaxed);
    if (r->m.empty() && !r->amended.load(std::memory_order_relaxed)) return;
    std::unordered_set<Entry*> dead;
    dead.reserve(r->m.size() + (dirty_ ? dirty_->size() : 0));
    for (const auto& kv : r->m) dead.insert(kv.second);
    if (dirty_) {
      for (const auto& kv : *dirty_) dead.insert(kv.second);
    }
    // Go keeps an empty, non-nil dirty map; so do we (the snapshot is then
    // complete, which the invariants allow).
    if (dirty_) dirty_->clear();
    misses_ = 0;
    expunged_.clear();  // they are in `dead` (they are in the snapshot)
    ReadOnly* old = read_.exchange(fresh.release(), std::memory_order_seq_cst);
    retire(old, &ReadOnly::free);
    for (Entry* e : dead) retire(e, &Entry::free);
  }

  // The current snapshot; never null. Replaced only under mu_ by a seq_cst
  // exchange (promotion, clear); loaded seq_cst inside an epoch section by
  // every operation. The pointee's map never changes after publication.
  mutable std::atomic<ReadOnly*> read_;
  // Guards dirty_, misses_, expunged_, the amended flag's false -> true
  // transition and the expunged <-> nullptr transitions of entries.
  mutable GoMutex mu_;
  // Go's dirty map; nullptr is Go's nil (after a promotion, before the next
  // new key). Entries are shared with the snapshot.
  mutable std::unique_ptr<EntryMap> dirty_;
  // Locked lookups since the last promotion.
  mutable std::size_t misses_ = 0;
  // Entries expunged by the current dirty_locked round: they are in the
  // snapshot but not in dirty_, so the next promotion leaves them behind and
  // must retire those still expunged.
  mutable std::vector<Entry*> expunged_;
  // Unlinked snapshots and entries (and the boxes of threads without a
  // slot) waiting for their grace period.
  mutable detail::RetireList retired_;
  // Per-thread slots by epoch record index (segments allocated on first use,
  // freed with the map).
  mutable detail::IndexedArray<BoxSlot> box_slots_;
  // Pending count at which the next reclaim runs. Relaxed: a heuristic,
  // written by whichever thread reclaimed last.
  mutable std::atomic<std::size_t> reclaim_at_{kReclaimBatch};
};

// Compiled once in sync_map.cc (the `maps` suite's key/value types).
extern template class Map<uint64_t, uint64_t>;
extern template class Map<std::string, std::string>;

}  // namespace syncscope

#endif  // SYNCSCOPE_SYNC_MAP_H_
