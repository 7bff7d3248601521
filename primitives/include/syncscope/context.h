// syncscope/context.h — Context: Go's context.Context for threads.
//
// This file offers:
//   class Context                      a shared handle to one context node
//     Context::background(), Context::todo()   the two roots (Context() is background)
//     done() -> DoneChan                 Done(): closed when the context is done;
//                                        the nil channel for a context that can
//                                        never be done (usable in select, see
//                                        syncscope/select.h)
//     err() -> std::error_code           Err(): {} (nil), ContextErrc::kCanceled or
//                                        ContextErrc::kDeadlineExceeded
//     deadline() -> optional<time_point> Deadline()
//     value(key) -> const T*             Value(key): chained lookup, nullptr if absent
//   with_cancel(parent)      -> {Context, CancelFunc}     WithCancel
//   with_deadline(parent, t) -> {Context, CancelFunc}     WithDeadline
//   with_timeout(parent, d)  -> {Context, CancelFunc}     WithTimeout
//   with_value(parent, key, v) -> Context                 WithValue
//   after_func(ctx, f)       -> AfterFuncStop             AfterFunc (Go 1.21)
//   class CancelFunc        CancelFunc: callable, idempotent, any thread
//   template <class T> class ContextKey   a typed key, compared by address
//   enum class ContextErrc, context_category()   Canceled / DeadlineExceeded as
//                                        std::error_code ("context canceled",
//                                        "context deadline exceeded")
//
// Go names -> C++: Background/TODO -> Context::background()/todo();
// WithCancel/WithDeadline/WithTimeout/WithValue -> with_cancel/
// with_deadline/with_timeout/with_value; ctx.Done()/Err()/Deadline()/
// Value(k) -> ctx.done()/err()/deadline()/value(k); context.Canceled /
// context.DeadlineExceeded -> ContextErrc::kCanceled / kDeadlineExceeded
// (compare: `ctx.err() == ContextErrc::kCanceled`); a nil error -> an empty
// std::error_code (`if (auto e = ctx.err())`); AfterFunc -> after_func.
//
// What it is for (the seed's context.Context slides): carrying
// request-scoped values down a call chain, and cancelling the threads that
// work for a request — explicitly (a CancelFunc) or when a deadline passes.
// Conventionally the first parameter of a function; not stored in structs.
//
// Semantics (Go's):
//   * with_cancel/with_deadline/with_timeout return a child and a
//     CancelFunc. The child is done when its CancelFunc is called (err
//     kCanceled), when its deadline passes (kDeadlineExceeded), or when its
//     parent is done (the parent's err) — whichever comes first; the first
//     one sets err for good.
//   * A CancelFunc may be called any number of times, from any thread; only
//     the first call does anything ("cancelFunc只需调用一次，后续的调用不会做
//     额外的工作"). Calling it also unlinks the child from its parent, so call
//     it as soon as the work is finished ("尽早的调用cancelFunc释放资源"): until
//     then the parent keeps the child alive (Go's rule, and go vet's check).
//   * with_deadline/with_timeout compare with the parent's deadline and keep
//     the earliest: a child asking for a later deadline than its parent's
//     gets a plain cancellable child whose deadline() is the parent's
//     ("也会和parent的时间进行比较，使用最早的deadline"). A deadline already
//     past returns a context that is already done with kDeadlineExceeded.
//   * background() and todo() are never done: done() is the nil channel
//     (a select case on it never fires), err() is empty, no deadline, no
//     values. A with_value context reports its parent's done/err/deadline.
//   * value(key) walks the chain from the context towards the root and
//     returns the nearest value stored under that key (the seed's
//     "链式查找"); O(depth). Keys are ContextKey<T> objects compared by
//     address, which answers the seed's criticism of Go's untyped keys
//     ("accepts values of any types, which is easy to misuse"): two
//     packages cannot collide by picking the same string, and the value's
//     type is fixed by the key's type, so no cast can fail. Define keys as
//     namespace-scope objects: `inline const ContextKey<std::string>
//     kRequestId{"request-id"};`.
//
// Algorithm (Go's context.go, Sameer Ajmani 2014, restated for threads):
//   * Every context is a node holding a strong reference to its parent.
//     Cancellable nodes (with_cancel/with_deadline) own a done channel
//     (Chan<Signal>, created with the node), an atomic error code, a mutex,
//     the intrusive list of their cancellable children and the after_func
//     callbacks. A value node points to the nearest cancellable ancestor
//     and reports its state.
//   * Propagation: a new cancellable child links itself into the child
//     list of its nearest cancellable ancestor (Go's propagateCancel; a
//     child of background() is not linked anywhere: nothing can cancel it
//     but itself). If that ancestor is already done, the child is cancelled
//     at once with the ancestor's error.
//   * cancel(err): under the node's mutex, set err and close done (so when
//     any cancel of the node returns, done is closed), detach the whole
//     child list and the callbacks; then, without the lock, cancel the
//     children (an explicit work list, not recursion: a deep chain cannot
//     overflow the stack, and no two node locks are ever held together —
//     Go holds the parent's lock while cancelling each child), run the
//     callbacks, unlink the node from its parent and stop its timer.
//   * Deadlines: one process-wide timer thread sleeps on a Sema until the
//     earliest deadline of a min-heap (indexed: a cancelled context's timer
//     is removed in O(log n) instead of lingering until its deadline). A
//     thread per context would cost a thread creation per with_timeout and
//     thousands of sleeping threads in a wide tree; Go's runtime timers are
//     the same idea (a heap per P). The timer thread is started on first use
//     and never stopped (the service is never destroyed, so contexts work
//     during static destruction too); its heap holds the contexts it will
//     cancel (as Go's timer does), so a deadline fires even if every handle
//     was dropped.
//
// Memory ordering: err() is an acquire load of the error code, which
// cancel() stores with release before closing done; so after done() is
// seen closed, err() is not empty (Go: "If Done is closed, Err returns a
// non-nil error"), and everything the cancelling thread did before calling
// CancelFunc happens-before a receive that sees done closed (the channel's
// close/receive rule). Values are immutable once the context is built;
// publishing the Context handle to another thread (by any synchronising
// means) publishes them.
//
// Fairness: nothing waits on a lock for long here; threads waiting for a
// context wait on its done channel, and close() wakes them all at once.
//
// Cost: with_cancel/with_deadline allocate the node and the done channel and
// take the parent canceller's mutex once; with_value allocates the node and
// the value. err() is one acquire load (after following one pointer);
// done() copies the channel handle (one relaxed increment). Cancelling a
// subtree of n cancellable nodes takes n node locks (one at a time), closes
// n channels and wakes their receivers.
//
// Thread-safety: every function and method may be called concurrently from
// any thread. Context, CancelFunc and AfterFuncStop are cheap copyable
// handles (a shared_ptr inside). after_func callbacks run on the thread that
// cancels (or, if the context is already done, inside after_func itself):
// they must be short, must not block and must not throw (std::terminate).

#ifndef SYNCSCOPE_CONTEXT_H_
#define SYNCSCOPE_CONTEXT_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include <syncscope/chan.h>
#include <syncscope/go_mutex.h>

namespace syncscope {

// Go's context.Canceled and context.DeadlineExceeded.
enum class ContextErrc : int {
  kCanceled = 1,          // "context canceled"
  kDeadlineExceeded = 2,  // "context deadline exceeded"; equivalent to std::errc::timed_out
};
inline constexpr const char* kContextCanceledMessage = "context canceled";
inline constexpr const char* kContextDeadlineExceededMessage = "context deadline exceeded";

// The category of ContextErrc: name "context", messages as Go's.
const std::error_category& context_category() noexcept;
inline std::error_code make_error_code(ContextErrc e) noexcept {
  return {static_cast<int>(e), context_category()};
}

}  // namespace syncscope

template <>
struct std::is_error_code_enum<syncscope::ContextErrc> : std::true_type {};

namespace syncscope {

using ContextClock = std::chrono::steady_clock;

// ContextKey<T>: a key for with_value/value. Identity is the object's
// address; the name is for diagnostics only. Not copyable (a copy would be
// a different key). T is the type of the values stored under it.
template <class T>
class ContextKey {
 public:
  constexpr explicit ContextKey(const char* name = "") noexcept : name_(name) {}
  ContextKey(const ContextKey&) = delete;
  ContextKey& operator=(const ContextKey&) = delete;
  const char* name() const noexcept { return name_; }

 private:
  const char* name_;
};

class Context;
class CancelFunc;
class AfterFuncStop;

namespace detail {

class TimerService;
struct CancelNode;

// One context. Immutable after construction except for the cancellation
// state of a CancelNode.
struct ContextNode {
  enum class Kind : uint8_t { kBackground, kTodo, kCancel, kTimer, kValue };

  ContextNode(Kind k, std::shared_ptr<ContextNode> p, CancelNode* c,
              std::optional<ContextClock::time_point> d, const void* key = nullptr,
              std::shared_ptr<const void> value = nullptr) noexcept
      : kind(k),
        parent(std::move(p)),
        canceler(c),
        deadline(d),
        key(key),
        value(std::move(value)) {}
  virtual ~ContextNode() = default;

  const Kind kind;
  // Strong reference to the parent (nullptr for the roots): a context keeps
  // its whole chain alive, so the raw pointers below stay valid.
  const std::shared_ptr<ContextNode> parent;
  // The node whose done/err this context reports: itself for kCancel and
  // kTimer, the nearest cancellable ancestor otherwise, nullptr if none.
  CancelNode* const canceler;
  // The effective deadline: its own (kTimer), else the parent's.
  const std::optional<ContextClock::time_point> deadline;
  // kValue only: the ContextKey's address and the value (a const T).
  const void* const key;
  const std::shared_ptr<const void> value;
};

// A cancellable context (Go's cancelCtx, and timerCtx when kind == kTimer).
struct CancelNode final : ContextNode {
  static constexpr std::size_t kNoTimer = static_cast<std::size_t>(-1);

  CancelNode(Kind k, std::shared_ptr<ContextNode> p, std::optional<ContextClock::time_point> d)
      : ContextNode(k, p, this, d), parent_canceler(p ? p->canceler : nullptr), done(0) {}

  // Go's cancel(removeFromParent, err): see the header. Idempotent.
  void cancel(bool remove_from_parent, ContextErrc e);

  // 0 while not done, else a ContextErrc value. Written once (0 -> e) under
  // mu with release; read lock-free with acquire by err().
  std::atomic<int> err{0};
  // The nearest cancellable ancestor, whose child list this node is linked
  // into while `linked` (nullptr: never linked). Immutable.
  CancelNode* const parent_canceler;
  // Done(): closed exactly once, under mu, right after err is set.
  const DoneChan done;

  // Guards err's transition, the child list (first_child) and after_funcs.
  GoMutex mu;
  CancelNode* first_child = nullptr;                             // guarded by mu
  std::unordered_map<uint64_t, std::function<void()>> after_funcs;  // guarded by mu
  uint64_t next_after_id = 1;                                    // guarded by mu

  // This node's links in parent_canceler's child list, guarded by
  // parent_canceler->mu. self_in_parent is the strong reference the parent
  // holds while the node is linked (Go's children map entry).
  CancelNode* prev_sibling = nullptr;
  CancelNode* next_sibling = nullptr;
  std::shared_ptr<CancelNode> self_in_parent;
  bool linked = false;

  // Position in the timer heap, or kNoTimer; guarded by the timer
  // service's lock.
  std::size_t timer_index = kNoTimer;
};

// Value lookup (outlined: a loop over the chain).
const void* context_value(const ContextNode* n, const void* key) noexcept;

// Timers currently armed in the process-wide timer heap (tests check that
// cancelling a deadline context disarms its timer).
std::size_t armed_timers_for_testing();

// Makes a deadline context (see with_deadline).
std::pair<Context, CancelFunc> make_deadline_context(const Context& parent,
                                                     ContextClock::time_point d);

}  // namespace detail

class Context {
 public:
  // Context(): background().
  Context() noexcept;
  // Copies share the node (one atomic increment). There is no moved-from
  // state: moving copies, so a Context is never "nil".
  Context(const Context&) noexcept = default;
  Context& operator=(const Context&) noexcept = default;

  // background(): Go's context.Background(): never done, no deadline, no
  // values; the root of every tree.
  static Context background() noexcept;
  // todo(): Go's context.TODO(): the same as background(), named to say
  // "no context was plumbed through here yet".
  static Context todo() noexcept;

  // done(): Go's Done(): a channel closed when the context is done (receive
  // on it returns "closed"), for use in select. The nil channel when the
  // context can never be done (background, todo, values over them).
  DoneChan done() const noexcept {
    const detail::CancelNode* c = node_->canceler;
    return c == nullptr ? DoneChan() : c->done;
  }

  // err(): Go's Err(): {} while not done; kCanceled or kDeadlineExceeded
  // after. Lock-free (one acquire load).
  std::error_code err() const noexcept {
    const detail::CancelNode* c = node_->canceler;
    if (c == nullptr) return {};
    const int e = c->err.load(std::memory_order_acquire);
    return e == 0 ? std::error_code() : make_error_code(static_cast<ContextErrc>(e));
  }

  // deadline(): Go's Deadline(): the time the context will be cancelled by
  // its own or an ancestor's deadline, if any.
  std::optional<ContextClock::time_point> deadline() const noexcept { return node_->deadline; }

  // value(key): Go's Value(key): the nearest value stored under key on the
  // chain to the root, or nullptr. The pointer is valid while any Context
  // of the chain that holds it lives.
  template <class T>
  const T* value(const ContextKey<T>& key) const noexcept {
    return static_cast<const T*>(detail::context_value(node_.get(), &key));
  }

  // name(): "context.Background", "context.TODO", "WithCancel",
  // "WithDeadline" or "WithValue" (the node's kind; Go's String() prefix).
  const char* name() const noexcept;

  // Same node (the same context, not merely equal state).
  friend bool operator==(const Context& a, const Context& b) noexcept {
    return a.node_ == b.node_;
  }

 private:
  friend class AfterFuncStop;
  friend AfterFuncStop after_func(const Context& ctx, std::function<void()> f);
  friend std::pair<Context, CancelFunc> with_cancel(const Context& parent);
  friend std::pair<Context, CancelFunc> detail::make_deadline_context(const Context& parent,
                                                                      ContextClock::time_point d);
  template <class T, class U>
  friend Context with_value(const Context& parent, const ContextKey<T>& key, U&& value);

  explicit Context(std::shared_ptr<detail::ContextNode> n) noexcept : node_(std::move(n)) {}

  // Never null.
  std::shared_ptr<detail::ContextNode> node_;
};

// CancelFunc: Go's CancelFunc. Calling it cancels its context with
// kCanceled (if not done yet), cancels the context's descendants, unlinks it
// from its parent and stops its timer. Idempotent; callable from any thread;
// copies share the context. A default-constructed CancelFunc does nothing.
class CancelFunc {
 public:
  CancelFunc() noexcept = default;
  void operator()() const {
    if (node_) node_->cancel(true, ContextErrc::kCanceled);
  }

 private:
  friend std::pair<Context, CancelFunc> with_cancel(const Context& parent);
  friend std::pair<Context, CancelFunc> detail::make_deadline_context(const Context& parent,
                                                                      ContextClock::time_point d);
  explicit CancelFunc(std::shared_ptr<detail::CancelNode> n) noexcept : node_(std::move(n)) {}
  std::shared_ptr<detail::CancelNode> node_;
};

// with_cancel(parent): Go's WithCancel.
std::pair<Context, CancelFunc> with_cancel(const Context& parent);

// with_deadline(parent, t): Go's WithDeadline. t may be of any clock; it is
// converted to steady_clock (system_clock times are measured from now, so a
// later wall-clock step does not move them).
template <class C, class Dur>
std::pair<Context, CancelFunc> with_deadline(const Context& parent,
                                             const std::chrono::time_point<C, Dur>& t) {
  return detail::make_deadline_context(parent, detail::to_deadline(t));
}

// with_timeout(parent, d): Go's WithTimeout: with_deadline(parent, now + d).
// Durations too large for steady_clock saturate (never fire).
template <class Rep, class Period>
std::pair<Context, CancelFunc> with_timeout(const Context& parent,
                                            std::chrono::duration<Rep, Period> d) {
  return detail::make_deadline_context(parent, detail::deadline_after(d));
}

// with_value(parent, key, v): Go's WithValue: a child carrying v under key
// (v is converted to T and stored immutable; done/err/deadline are the
// parent's).
template <class T, class U>
Context with_value(const Context& parent, const ContextKey<T>& key, U&& value) {
  auto v = std::make_shared<const T>(std::forward<U>(value));
  const detail::ContextNode* p = parent.node_.get();
  return Context(std::make_shared<detail::ContextNode>(detail::ContextNode::Kind::kValue,
                                                       parent.node_, p->canceler, p->deadline,
                                                       &key, std::move(v)));
}

// AfterFuncStop: Go's `stop func() bool` returned by AfterFunc. stop()
// returns true if it prevented f from running; false if f has already been
// started (the context is done) or stop was already called.
class AfterFuncStop {
 public:
  AfterFuncStop() noexcept = default;
  bool operator()() const;

 private:
  friend AfterFuncStop after_func(const Context& ctx, std::function<void()> f);
  // Keeps the chain (and so `canceler_`) alive.
  std::shared_ptr<detail::ContextNode> node_;
  detail::CancelNode* canceler_ = nullptr;
  // Registration id in canceler_->after_funcs; 0: f already ran.
  uint64_t id_ = 0;
  // A context that is never done: f never runs; stop() is true once.
  std::shared_ptr<std::atomic<bool>> never_;
};

// after_func(ctx, f): Go 1.21's AfterFunc: arranges for f to run once ctx is
// done. Unlike Go, f runs on the thread that cancels ctx (or the timer
// thread), right after ctx and its descendants are marked done — or
// immediately, on this thread, if ctx is already done — rather than in a
// new goroutine: so f must be short, must not block and must not throw.
// As in Go, f is not ordered with receivers of ctx.done(): done is closed
// first, and a receiver may return before f has run.
// syncscope's Semaphore uses it to wake acquirers whose context is done.
AfterFuncStop after_func(const Context& ctx, std::function<void()> f);

}  // namespace syncscope

#endif  // SYNCSCOPE_CONTEXT_H_
