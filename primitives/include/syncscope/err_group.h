// syncscope/err_group.h — ErrGroup: golang.org/x/sync/errgroup's Group:
// run functions on their own threads, wait for all, keep the first error,
// optionally cancel a Context on it and bound how many run at once.
//
// This file offers:
//   class ErrGroup
//     ErrGroup()                            the zero Group: no context, no limit
//     with_context(parent) -> {ErrGroup, Context}   WithContext(ctx)
//     go(f)                                 Go(f): runs f on a new thread
//     try_go(f) -> bool                     TryGo(f)
//     wait() -> std::error_code             Wait(): the first error ({} = nil)
//     set_limit(n)                          SetLimit(n)
//     active() -> int                       goroutines started and not finished
//   kErrGroupModifyLimit                    Go's panic message prefix
//
// Go names -> C++: Go/TryGo/Wait/SetLimit/WithContext -> go/try_go/wait/
// set_limit/with_context; a goroutine -> a std::thread (detached; the group
// tracks its end); Go's `error` -> std::error_code.
//
// The error convention: f returns std::error_code (Go's `func() error`;
// anything convertible, such as a ContextErrc, works) or void (never fails
// by returning). An exception thrown by f also counts as an error: it
// competes for "first error" like a returned one (and cancels the context
// if it wins). wait() returns the first error; if the first error was an
// exception, wait() rethrows that exception instead (after every f has
// finished and the context has been cancelled) — the behaviour newer
// x/sync versions give to a panic, which they propagate to Wait. Errors
// after the first are dropped, as in Go.
//
// What it is for (the seed's ErrGroup slide): a WaitGroup that also
// collects an error — "Wait会等待所有的goroutine执行完后才释放" (wait returns
// only after every function finished, even after an error) — and, with a
// context, stops the others early: "如果想遇到第一个err就返回，使用Context"
// (the functions must watch ctx.done()/ctx.err() themselves).
//
// Algorithm (golang.org/x/sync/errgroup, Bryan C. Mills et al.):
//   * a WaitGroup (syncscope/wait_group.h) counts running functions;
//   * the first error is recorded once (under a mutex here, sync.Once in Go)
//     and cancels the context made by with_context;
//   * wait() waits on the WaitGroup, cancels the context (always, as Go
//     does: the derived context is done once wait returns), and returns the
//     error;
//   * set_limit(n) makes a channel of capacity n (Chan<Signal>, as Go's
//     `sem chan token`): go() sends a token before starting (blocking while
//     n are active), the function's thread receives it back when it ends;
//     try_go() sends without blocking and returns false when full. A limit
//     of 0 is an unbuffered channel: go() then blocks forever and try_go()
//     always fails, exactly as in Go. Each thread returns its token to the
//     channel it took it from (Go reads the field again; here a limit change
//     can never make a running thread block on a new channel).
//
// Memory ordering: everything a function did happens-before wait() returns
// (WaitGroup: done() -> wait()), its function object's destruction (and
// so that of everything it captured) included; the first error is written
// under the group's mutex and read under it by wait().
//
// Fairness: go() calls blocked on the limit are admitted in FIFO order (the
// channel's blocked senders are served FIFO); try_go may take a token ahead
// of them when one is free (Go: "this allows barging iff channels in
// general allow barging").
//
// Misuse (Go's panic, thrown as SyncPanic with Go's message):
//   set_limit(n >= 0) while goroutines started under the current limit are
//   still active -> "errgroup: modify limit while <k> goroutines in the
//   group are still active" (the group is left unchanged).
// Legal operations: go/try_go/wait from any threads; set_limit not
// concurrently with go/try_go (Go has the same data race). A group may be
// reused after wait() returns (Go allows it; the first error is kept). The
// ErrGroup may be destroyed while functions still run: their threads hold
// the shared state. Movable, not copyable (Go: a Group must not be copied);
// a moved-from ErrGroup may only be destroyed or assigned to.

#ifndef SYNCSCOPE_ERR_GROUP_H_
#define SYNCSCOPE_ERR_GROUP_H_

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>

#include <syncscope/chan.h>
#include <syncscope/context.h>
#include <syncscope/go_mutex.h>
#include <syncscope/panic.h>
#include <syncscope/wait_group.h>

namespace syncscope {

inline constexpr const char* kErrGroupModifyLimit = "errgroup: modify limit while ";

namespace detail {
// Tests only: the next this-many thread creations of any ErrGroup fail with
// EAGAIN before trying (ErrGroup::spawn_detached's retry is the subject).
inline std::atomic<int> errgroup_failed_spawns_to_inject{0};
}  // namespace detail

class ErrGroup {
 public:
  // ErrGroup(): Go's zero Group: no limit, cancels nothing on error.
  ErrGroup() : st_(std::make_shared<State>()) {}
  ErrGroup(ErrGroup&&) noexcept = default;
  ErrGroup& operator=(ErrGroup&&) noexcept = default;
  ErrGroup(const ErrGroup&) = delete;
  ErrGroup& operator=(const ErrGroup&) = delete;

  // with_context(parent): Go's WithContext: a new group and a context
  // derived from parent that is cancelled the first time a function fails
  // or the first time wait() returns, whichever occurs first.
  static std::pair<ErrGroup, Context> with_context(const Context& parent);

  // go(f): Go's Go: calls f on a new thread. With a limit, first blocks
  // until fewer than the limit are active. Rethrows (after undoing its
  // bookkeeping) if the thread cannot be created (a transient EAGAIN is
  // retried first: spawn_detached).
  template <class F>
  void go(F&& f) {
    Chan<Signal> sem = st_->sem;
    if (!sem.is_nil()) sem.send(Signal{});
    start(std::move(sem), std::forward<F>(f));
  }

  // try_go(f): Go's TryGo: calls f on a new thread only if that does not
  // exceed the limit; returns whether it did.
  template <class F>
  bool try_go(F&& f) {
    Chan<Signal> sem = st_->sem;
    if (!sem.is_nil() && !sem.try_send(Signal{})) return false;
    start(std::move(sem), std::forward<F>(f));
    return true;
  }

  // wait(): Go's Wait: blocks until every function started by go/try_go
  // has returned, cancels the with_context context, then returns the first
  // error — or rethrows it if it was an exception.
  std::error_code wait();

  // set_limit(n): Go's SetLimit: at most n functions active at once; n < 0
  // removes the limit. Throws SyncPanic ("errgroup: modify limit while <k>
  // goroutines in the group are still active") if functions started under
  // the current limit are still active.
  void set_limit(int n);

  // active(): functions started and not yet finished (snapshot; Go's
  // len(g.sem) when limited, the WaitGroup's counter here in all cases).
  int active() const noexcept { return st_->wg.counter(); }

 private:
  struct State {
    WaitGroup wg;
    // Go's sem: nil = no limit. Replaced only by set_limit (not concurrently
    // with go/try_go); copied by go/try_go before use.
    Chan<Signal> sem;
    // Cancels the with_context context; a no-op CancelFunc for a zero
    // group. Immutable after with_context.
    CancelFunc cancel;
    GoMutex mu;                 // guards the three fields below
    bool failed = false;        // the first error is recorded
    std::error_code err;        // the first error, if returned
    std::exception_ptr thrown;  // the first error, if thrown
  };

  // Records a failure; the first one wins and cancels the context.
  static void fail(State& st, std::error_code ec, std::exception_ptr ex);

  // Runs f and records its error; the body of every thread.
  template <class F>
  static void run(State& st, F& f) {
    std::error_code ec;
    std::exception_ptr ex;
    try {
      if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
        f();
      } else {
        static_assert(std::is_convertible_v<std::invoke_result_t<F&>, std::error_code>,
                      "ErrGroup: f must return void or something convertible to "
                      "std::error_code");
        ec = f();
      }
    } catch (...) {
      ex = std::current_exception();
    }
    if (ec || ex) fail(st, ec, std::move(ex));
  }

  // Starts the thread that runs f, destroys f (and so everything it
  // captured), gives its token back to `sem` (the channel it was taken
  // from; nil = no limit), drops its handle on that channel and calls
  // done(). done() is the thread's last use of anything but its reference
  // to the shared state: once wait() returns, no function object of the
  // group is still alive and no thread of the group touches the caller's
  // objects (a captured Context, a resource whose destructor must have run)
  // while the caller goes on — or while its process exits.
  template <class F>
  void start(Chan<Signal> sem, F&& f) {
    st_->wg.add(1);
    try {
      auto task = [st = st_, sem,
                   f = std::optional<std::decay_t<F>>(std::in_place,
                                                      std::forward<F>(f))]() mutable {
        run(*st, *f);
        f.reset();
        if (!sem.is_nil()) (void)sem.receive();
        sem = Chan<Signal>();
        st->wg.done();
      };
      // Shared, so that a thread creation that fails (and destroys what it
      // was given) leaves the task here for the next attempt.
      auto shared = std::make_shared<decltype(task)>(std::move(task));
      spawn_detached([shared] { (*shared)(); });
    } catch (...) {
      if (!sem.is_nil()) (void)sem.receive();
      st_->wg.done();
      throw;
    }
  }

  // Starts fn on a detached thread. A creation that fails with EAGAIN
  // (resource_unavailable_try_again: the process is at a thread or memory
  // limit for a moment, as under qemu-user while the group's finished
  // threads are still exiting) is retried after a short sleep (1 ms,
  // doubling up to 50 ms) for up to kSpawnRetryMs in all, as Go never fails
  // to start a goroutine; any other failure, or EAGAIN after that, is
  // thrown.
  static constexpr int kSpawnRetryMs = 5000;
  template <class Fn>
  static void spawn_detached(const Fn& fn) {
    int slept_ms = 0;
    for (int pause_ms = 1;; pause_ms = pause_ms < 25 ? 2 * pause_ms : 50) {
      try {
        if (detail::errgroup_failed_spawns_to_inject.load() > 0 &&
            detail::errgroup_failed_spawns_to_inject.fetch_sub(1) > 0) {
          throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
        }
        std::thread(fn).detach();
        return;
      } catch (const std::system_error& e) {
        if (e.code() != std::errc::resource_unavailable_try_again || slept_ms >= kSpawnRetryMs) throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
      slept_ms += pause_ms;
    }
  }

  // Shared with the threads (they may outlive the ErrGroup object).
  std::shared_ptr<State> st_;
};

}  // namespace syncscope

#endif  // SYNCSCOPE_ERR_GROUP_H_
