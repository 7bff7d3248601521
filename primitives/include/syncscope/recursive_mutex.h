// syncscope/recursive_mutex.h — the seed's re-entrant mutexes: owner by
// thread id (RecursiveMutex) and owner by caller-supplied token
// (TokenRecursiveMutex).
//
// This file offers:
//   class LockMisuse           the exception thrown on misuse (a Go panic in
//                              the seed); derives from std::logic_error.
//   template <class Inner> class BasicRecursiveMutex
//   using RecursiveMutex = BasicRecursiveMutex<GoMutex>
//     Lockable: lock(), unlock(), try_lock(); plus owner(), recursion().
//   template <class Inner> class BasicTokenRecursiveMutex
//   using TokenRecursiveMutex = BasicTokenRecursiveMutex<GoMutex>
//     lock(token), unlock(token), try_lock(token); plus token(),
//     recursion(), and with_token(token): a Lockable view bound to one
//     token, for std::lock_guard / std::unique_lock / std::scoped_lock.
//   detail::current_thread_id()  the calling thread's kernel id (gettid).
//
// Source: the seed's "ReentrantLock goid" and "ReentrantLock token" slides
// (RecursiveMutex over sync.Mutex with github.com/petermattis/goid;
// TokenRecursiveMutex with an int64 token).
//
// Go names -> C++: Lock -> lock, Unlock -> unlock, goid.Get() ->
// detail::current_thread_id() (the kernel thread id from gettid(2): the
// nearest thing to a goroutine id an OS thread has — unique among live
// threads of the machine, never 0, printable as an integer like the seed's
// gid; std::thread::id would do for comparison but has no portable integer
// form for the message). The seed's panic(fmt.Sprintf(...)) -> throw
// LockMisuse(...) with the same text.
//
// Algorithm (the seed's). An inner mutex provides the exclusion; the wrapper
// adds an owner field and a recursion count:
//   lock():   if owner_ is me, ++recursion_ and return. Else lock the inner
//             mutex, then owner_ = me, recursion_ = 1.
//   unlock(): if owner_ is not me, misuse. --recursion_; at 0, clear owner_
//             and unlock the inner mutex.
// Reading owner_ without holding the inner mutex is safe: the only value a
// thread can find equal to its own id is one it stored itself (ids are
// unique among live threads), and then it is the owner; any other value —
// even a stale one — just sends it to the inner mutex.
//
// The token variant replaces the thread id by a caller-chosen int64 token:
// one logical owner (a request, a task that hops between threads) can hold
// the lock across threads. Token 0 is reserved for "not held": the seed
// accepts Lock(0) on a free mutex and then increments the recursion count
// without taking the inner mutex (0 == the zero token), handing out a lock
// that excludes nobody; here a 0 token throws LockMisuse. Calls with the same
// token must be ordered like the calls of one thread (happens-before between
// them): concurrent calls with one token are one owner racing with itself.
//
// Inner mutex: syncscope::GoMutex (go_mutex.h, Go's sync.Mutex) by default,
// as in the seed (`sync.Mutex` embedded). Any Lockable works as Inner, e.g.
// BasicRecursiveMutex<std::mutex> as a C++ baseline.
//
// Misuse (Go panics; here throws LockMisuse, state left untouched):
//   RecursiveMutex::unlock by a thread that does not hold it (including
//   unlock of an unlocked mutex): "wrong the owner(<owner>): <caller>!"
//   where owner is 0 when unlocked.
//   TokenRecursiveMutex::unlock(t) with a token that does not hold it:
//   "wrong the token(<holder token>): <t>!" (the seed prints "wrong the
//   owner" here too; "token" says which field differed). lock/try_lock/
//   unlock with token 0: "token 0 is reserved ...".
// A throwing unlock() inside std::lock_guard's destructor terminates the
// program (destructors are noexcept): misuse is only recoverable from an
// explicit unlock() call.
//
// Fairness and starvation: those of the inner mutex (GoMutex: bounded by its
// starvation mode) for threads that do not hold it; a holder re-enters
// without waiting.
//
// Memory ordering: the inner mutex orders the critical sections. owner_ /
// token_ are relaxed atomics (see above for why relaxed suffices);
// recursion_ is a plain field touched only by the holder.
//
// Legal operations (RecursiveMutex; the token variant alike per token):
//   state                lock             try_lock   unlock
//   unlocked             acquires (1)     true (1)   throws LockMisuse
//   held by caller (n)   n + 1            true, n+1  n - 1; at 0 releases
//   held by another      waits (inner)    false      throws LockMisuse
// The recursion count is an int32_t as in the seed: at most 2^31 - 1
// nested acquisitions.

#ifndef SYNCSCOPE_RECURSIVE_MUTEX_H_
#define SYNCSCOPE_RECURSIVE_MUTEX_H_

#include <atomic>
#include <cstdint>
#include <stdexcept>

#include <syncscope/go_mutex.h>

namespace syncscope {

// Misuse of a syncscope lock that Go reports with a panic (recoverable):
// what() carries the seed's message.
class LockMisuse : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace detail {

// The calling thread's cached kernel thread id; 0 until first use.
// Constant-initialised so the fast path is a plain TLS load. On a goroutine
// the owner must be the goroutine, not the M that happens to run it: the
// scheduler stores minus the goroutine's id here while it runs one (and 0
// after), so kernel ids (> 0) and goroutine ids (< 0) never collide.
inline thread_local int64_t tls_thread_id = 0;

// Outlined (recursive_mutex.cc): one gettid(2) per thread; also registers a
// fork handler that makes a forked child re-read its own id.
int64_t fetch_thread_id() noexcept;

// The calling thread's kernel thread id (gettid(2)); never 0.
inline int64_t current_thread_id() noexcept {
  const int64_t id = tls_thread_id;
  return id != 0 ? id : fetch_thread_id();
}

// Outlined throw helpers (recursive_mutex.cc): they format the message, which
// allocates, and keep that code out of every inlined unlock().
[[noreturn]] void throw_wrong_owner(int64_t owner, int64_t caller);
[[noreturn]] void throw_wrong_token(int64_t holder, int64_t caller);
[[noreturn]] void throw_reserved_token(const char* operation);

}  // namespace detail

template <class Inner>
class BasicRecursiveMutex {
 public:
  // owner() when nobody holds the mutex.
  static constexpr int64_t kNoOwner = 0;

  BasicRecursiveMutex() = default;
  BasicRecursiveMutex(const BasicRecursiveMutex&) = delete;
  BasicRecursiveMutex& operator=(const BasicRecursiveMutex&) = delete;

  // lock(): re-enters if the calling thread holds the mutex, else acquires
  // the inner mutex (waiting as it does).
  void lock() {
    const int64_t me = detail::current_thread_id();
    if (owner_.load(std::memory_order_relaxed) == me) {
      ++recursion_;
      return;
    }
    inner_.lock();
    owner_.store(me, std::memory_order_relaxed);
    recursion_ = 1;
  }

  // try_lock(): re-enters if the calling thread holds the mutex, else
  // inner.try_lock(). Never waits.
  bool try_lock() {
    const int64_t me = detail::current_thread_id();
    if (owner_.load(std::memory_order_relaxed) == me) {
      ++recursion_;
      return true;
    }
    if (!inner_.try_lock()) return false;
    owner_.store(me, std::memory_order_relaxed);
    recursion_ = 1;
    return true;
  }

  // unlock(): undoes one lock(); the last one releases the inner mutex.
  // Throws LockMisuse ("wrong the owner(o): c!") if the calling thread does
  // not hold the mutex, changing nothing.
  void unlock() {
    const int64_t me = detail::current_thread_id();
    const int64_t owner = owner_.load(std::memory_order_relaxed);
    if (owner != me) detail::throw_wrong_owner(owner, me);
    if (--recursion_ != 0) return;
    owner_.store(kNoOwner, std::memory_order_relaxed);
    inner_.unlock();
  }

  // owner(): the holder's thread id, or kNoOwner. Relaxed snapshot.
  int64_t owner() const noexcept { return owner_.load(std::memory_order_relaxed); }

  // recursion(): the holder's nesting depth. Only the holder may call it.
  int32_t recursion() const noexcept { return recursion_; }

 private:
  // The exclusion itself.
  Inner inner_;
  // The holder's thread id, kNoOwner when free. Written (relaxed) only by
  // the holder: set right after it acquires inner_, cleared right before it
  // releases inner_. Read (relaxed) by every lock/try_lock/unlock.
  std::atomic<int64_t> owner_{kNoOwner};
  // Nesting depth of the holder; 0 when free. Read and written only by the
  // holder (ordered across holders by inner_).
  int32_t recursion_ = 0;
};

template <class Inner>
class BasicTokenRecursiveMutex {
 public:
  // token() when nobody holds the mutex; not a valid caller token.
  static constexpr int64_t kNoToken = 0;

  BasicTokenRecursiveMutex() = default;
  BasicTokenRecursiveMutex(const BasicTokenRecursiveMutex&) = delete;
  BasicTokenRecursiveMutex& operator=(const BasicTokenRecursiveMutex&) = delete;

  // lock(token): re-enters if `token` holds the mutex, else acquires the
  // inner mutex for `token`. Throws LockMisuse if token == kNoToken.
  void lock(int64_t token) {
    if (token == kNoToken) detail::throw_reserved_token("lock");
    if (token_.load(std::memory_order_relaxed) == token) {
      ++recursion_;
      return;
    }
    inner_.lock();
    token_.store(token, std::memory_order_relaxed);
    recursion_ = 1;
  }

  // try_lock(token): as lock(token) but never waits: false if another token
  // holds the mutex. Throws LockMisuse if token == kNoToken.
  bool try_lock(int64_t token) {
    if (token == kNoToken) detail::throw_reserved_token("try_lock");
    if (token_.load(std::memory_order_relaxed) == token) {
      ++recursion_;
      return true;
    }
    if (!inner_.try_lock()) return false;
    token_.store(token, std::memory_order_relaxed);
    recursion_ = 1;
    return true;
  }

  // unlock(token): undoes one lock(token); the last one releases. Throws
  // LockMisuse ("wrong the token(h): t!") if `token` does not hold the
  // mutex, or if token == kNoToken, changing nothing.
  void unlock(int64_t token) {
    if (token == kNoToken) detail::throw_reserved_token("unlock");
    const int64_t holder = token_.load(std::memory_order_relaxed);
    if (holder != token) detail::throw_wrong_token(holder, token);
    if (--recursion_ != 0) return;
    token_.store(kNoToken, std::memory_order_relaxed);
    inner_.unlock();
  }

  // token(): the holding token, or kNoToken. Relaxed snapshot.
  int64_t token() const noexcept { return token_.load(std::memory_order_relaxed); }

  // recursion(): the holder's nesting depth. Only the holder may call it.
  int32_t recursion() const noexcept { return recursion_; }

  // A Lockable view of the mutex bound to one token: lock() is
  // lock(token), and so on. Cheap to copy; refers to the mutex.
  class WithToken {
   public:
    WithToken(BasicTokenRecursiveMutex& m, int64_t token) noexcept : m_(&m), token_(token) {}
    void lock() { m_->lock(token_); }
    bool try_lock() { return m_->try_lock(token_); }
    void unlock() { m_->unlock(token_); }
    int64_t token() const noexcept { return token_; }

   private:
    BasicTokenRecursiveMutex* m_;  // the mutex; outlives the view
    int64_t token_;                // the bound token
  };

  // with_token(token): the Lockable view for `token`, e.g.
  //   auto h = m.with_token(request_id); std::scoped_lock lk(h, other);
  WithToken with_token(int64_t token) noexcept { return WithToken(*this, token); }

 private:
  // The exclusion itself.
  Inner inner_;
  // The holding token, kNoToken when free. Written (relaxed) only by the
  // holder: set right after acquiring inner_, cleared right before
  // releasing it. Read (relaxed) by every call.
  std::atomic<int64_t> token_{kNoToken};
  // Nesting depth; 0 when free. Touched only by the holder.
  int32_t recursion_ = 0;
};

using RecursiveMutex = BasicRecursiveMutex<GoMutex>;
using TokenRecursiveMutex = BasicTokenRecursiveMutex<GoMutex>;

}  // namespace syncscope

#endif  // SYNCSCOPE_RECURSIVE_MUTEX_H_
