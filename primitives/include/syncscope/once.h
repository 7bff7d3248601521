// syncscope/once.h — Once: Go's sync.Once.
//
// This file offers:
//   class Once
//     call(f)    runs f() if and only if no call(...) on this Once has run
//                one before (Go's Do; `do` is a C++ keyword)
//     done()     a call's f has finished (returned or thrown)
//
// Go names -> C++: Do -> call. (Go 1.21's OnceFunc/OnceValue are built on
// Do; they are not reproduced here.)
//
// Algorithm (Go's sync/once.go, the seed's "单例 正确的实现"): a done flag
// read with an acquire load on the fast path — inline, a single load once
// the Once is done — and, while it is not done, a slow path under a mutex
// (a GoMutex, so waiters park through Sema): re-check the flag under the
// mutex, run f, then set the flag (release store) *after* f returned, and
// only then unlock. Outlined: the slow path runs at most a handful of times
// per Once, and keeping it out of line keeps call()'s fast path a load and
// a branch.
//
// Why not the obvious shortcuts (both kept as fixtures in once_test.cc, with
// tests that show the failure):
//   * "CAS the flag from 0 to 1, and the winner runs f" (the seed's wrong
//     implementation 1): a second caller sees the flag already set and
//     returns while the winner is still inside f — it uses a half-built
//     singleton. The flag must mean "f has finished", so the others must
//     wait for f: hence the mutex.
//   * "check a plain `done` pointer outside the lock" (the seed's wrong
//     implementation 2): the unlocked read races with the write under the
//     lock; nothing orders the writes inside f (or the object's fields)
//     before a reader that sees the pointer non-null. It also leaves done
//     unset when f panics, so f runs again.
//
// Panics: if f throws, the Once is still done (Go: "if f panics, Do
// considers it to have returned; future calls of Do return without calling
// f"), and the exception propagates to the call() that ran f. Other callers
// that were waiting return normally, without calling their f.
//
// Recursion: Go's Do deadlocks when f calls Do on the same Once (the
// mutex is not reentrant; the seed: "Once f内不要再调用此once"). Here
// call() notices that the calling thread is the one running f and throws
// SyncPanic(kOnceRecursiveDo) instead of deadlocking. The outer f sees the
// exception; if it lets it escape, the Once is done (see Panics).
//
// Memory ordering: f's return happens-before every call() return (the
// seed's memory-model rule "once.Do(f)中f的执行 happen before 任何一个
// once.Do 的返回"): fast path — f's writes, then the release store of the
// flag, read by the acquire load; slow path — the mutex.
//
// Fairness: callers that arrive while f runs park on the GoMutex and are
// released as it allows (see go_mutex.h); each then sees the flag and
// returns.
//
// Legal operations: call() from any thread, any number of times. Not
// copyable or movable (Go: "A Once must not be copied after first use").
// The destructor requires that no call() is in progress.

#ifndef SYNCSCOPE_ONCE_H_
#define SYNCSCOPE_ONCE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <type_traits>
#include <utility>

#include <syncscope/go_mutex.h>
#include <syncscope/panic.h>

namespace syncscope {

class Once {
 public:
  Once() noexcept = default;
  Once(const Once&) = delete;
  Once& operator=(const Once&) = delete;

  // call(f): runs f() unless this Once is done; returns after f has
  // finished (here or in another thread). Throws whatever f throws (the
  // Once is then done), or SyncPanic(kOnceRecursiveDo) when called from
  // inside this Once's own f.
  template <class F>
  void call(F&& f) {
    // Fast path: done_ is set only after f finished; the acquire pairs with
    // its release store, so f's effects are visible when we return.
    if (done_.load(std::memory_order_acquire) != 0) return;
    auto thunk = [](void* ctx) { std::invoke(*static_cast<std::remove_reference_t<F>*>(ctx)); };
    call_slow(thunk, const_cast<void*>(static_cast<const void*>(std::addressof(f))));
  }

  // done(): f has finished (returned or thrown). Acquire load: when it
  // returns true, f's effects are visible.
  bool done() const noexcept { return done_.load(std::memory_order_acquire) != 0; }

 private:
  // The slow path (once.cc): type-erased so that it is compiled once, not
  // per F: lock, re-check, run, mark done, unlock.
  void call_slow(void (*thunk)(void*), void* ctx);

  // Go's `done atomic.Uint32`: 0 until f has finished, then 1 forever.
  // Written once, under mu_, with a release store after f; read by the fast
  // path (acquire) and under mu_ (relaxed). Kept first, as in Go, so the hot
  // path loads from the object's address with no offset.
  std::atomic<uint32_t> done_{0};
  // The thread running f, or a default id when nobody is. Written only by
  // that thread, under mu_ (set before f, cleared after). Read without the
  // lock (relaxed) by call_slow() to detect recursion: only the running
  // thread can ever see its own id here.
  std::atomic<std::thread::id> runner_{};
  // Serialises the slow path; waiters park on it.
  GoMutex mu_;
};

static_assert(std::atomic<std::thread::id>::is_always_lock_free,
              "recursion detection reads runner_ without a lock");

}  // namespace syncscope

#endif  // SYNCSCOPE_ONCE_H_
