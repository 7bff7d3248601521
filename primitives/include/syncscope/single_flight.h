// syncscope/single_flight.h — SingleFlight<K, V>:
// golang.org/x/sync/singleflight's Group: duplicate suppression for calls
// that overlap in time.
//
// This file offers:
//   template <class V> struct FlightResult   Go's Result{Val, Err, Shared} (+ panic)
//   template <class K, class V, class Hash = std::hash<K>,
//             class KeyEqual = std::equal_to<K>> class SingleFlight
//     do_call(key, fn) -> FlightResult<V>   Do(key, fn) (v, err, shared)
//     do_chan(key, fn) -> Chan<FlightResult<V>>   DoChan(key, fn)
//     forget(key)                           Forget(key)
//     in_flight() -> size_t                 keys with a call in progress (snapshot)
//     duplicates(key) -> int                callers that joined key's call in flight
//                                           (snapshot; 0 if none in flight)
//
// Go names -> C++: Do -> do_call (`do` is a C++ keyword); DoChan ->
// do_chan; Forget -> forget; Result{Val, Err, Shared} ->
// FlightResult{val, err, shared, panic}; Go's `error` -> std::error_code
// (empty = nil); Go's panic in fn -> an exception thrown by fn.
//
// fn's convention: fn() returns V, or std::pair<V, std::error_code> to
// report an error the way Go's `(interface{}, error)` does (the value is
// delivered with the error, as Go delivers both). An exception thrown by
// fn is Go's panic: it is captured and rethrown in the caller of
// do_call() and in every do_call() waiting for the same call (Go re-panics
// in all of them); a do_chan() receiver gets a FlightResult whose `panic`
// holds it (Go would crash the process — a panic in a DoChan call cannot be
// recovered — here the receiver decides: FlightResult::get() rethrows).
// V must be default-constructible (the value delivered with a panic, Go's
// nil), copy-constructible (every caller gets its own copy) and
// nothrow-move-constructible (results travel through Chan, whose element
// rule it is).
//
// What it is for (the seed's SingleFlight slides): merging concurrent
// requests for the same key into one call — the standard library's DNS
// lookupGroup, groupcache's load() that must not load a key twice. It only
// de-duplicates calls that overlap: once a call has returned, the next
// do_call for the key runs fn again (groupcache re-checks its cache inside
// fn for that reason).
//
// Algorithm (golang.org/x/sync/singleflight, Brad Fitzpatrick et al.,
// 2013): a mutex guards a map key -> in-flight call. do_call on an absent
// key inserts a call and runs fn on the calling thread; on a present key it
// counts itself as a duplicate and waits for that call. When fn returns,
// the call is removed from the map (unless forget() already did, or a new
// call replaced it) and every waiter is released. forget(key) only removes
// the map entry: the running call still completes for the callers already
// waiting on it, and the next do_call starts a new one.
//
// Waiting: a duplicate parks on the call's Sema (the parking layer); the
// leader releases it once per registered duplicate after dropping the lock.
// Calls are reference-counted, so a waiter that returns early cannot free a
// Sema the leader is still releasing. do_chan's fn runs on a new thread
// (Go: a new goroutine); its result goes to a channel of capacity 1 per
// caller, so delivering never blocks.
//
// Memory ordering: everything fn did happens-before every caller's return
// from do_call (or the receive of its do_chan result): fn's result is
// written before the leader takes the mutex to complete the call, and each
// waiter synchronizes with the leader through the Sema release/acquire (a
// do_chan receiver through the channel).
//
// Fairness: not applicable — every caller for a key waits for the same
// single call; calls for different keys are independent (they contend only
// briefly on the group's mutex, a GoMutex).
//
// Legal operations: all methods may be called concurrently from any thread.
// fn must not call do_call with its own key (it would wait for itself, a
// deadlock in Go too). A SingleFlight may be destroyed while do_chan calls
// are still running (their threads keep the shared state alive); do_call
// callers must have returned.

#ifndef SYNCSCOPE_SINGLE_FLIGHT_H_
#define SYNCSCOPE_SINGLE_FLIGHT_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <syncscope/chan.h>
#include <syncscope/go_mutex.h>
#include <syncscope/internal/sema.h>

namespace syncscope {

// Go's singleflight.Result, plus the panic (an exception fn threw).
template <class V>
struct FlightResult {
  V val{};               // fn's value (V{} if fn threw)
  std::error_code err;   // fn's error ({} = nil)
  bool shared = false;   // the value was given to more than one caller
  std::exception_ptr panic;  // non-null if fn threw (do_chan only: do_call rethrows)

  // get(): rethrows the panic if any, else returns val.
  const V& get() const {
    if (panic) std::rethrow_exception(panic);
    return val;
  }
};

template <class K, class V, class Hash = std::hash<K>, class KeyEqual = std::equal_to<K>>
class SingleFlight {
  static_assert(std::is_default_constructible_v<V> && std::is_copy_constructible_v<V> &&
                    std::is_nothrow_move_constructible_v<V>,
                "SingleFlight<K, V>: V must be default-constructible, copy-constructible and "
                "nothrow-move-constructible");

 public:
  using Result = FlightResult<V>;

  SingleFlight() : st_(std::make_shared<State>()) {}
  SingleFlight(const SingleFlight&) = delete;
  SingleFlight& operator=(const SingleFlight&) = delete;

  // do_call(key, fn): Go's Do: runs fn unless a call for key is in flight,
  // in which case it waits for that call; either way returns its result.
  // shared is true if the result went to more than one caller. If fn threw,
  // rethrows that exception (in the caller that ran fn and in every
  // duplicate).
  template <class F>
  Result do_call(const K& key, F&& fn) {
    std::unique_lock<GoMutex> lk(st_->mu);
    if (auto it = st_->calls.find(key); it != st_->calls.end()) {
      std::shared_ptr<Call> c = it->second;
      ++c->dups;
      ++c->waiters;
      lk.unlock();
      c->done.acquire();  // the leader releases one unit per waiter
      if (c->panic) std::rethrow_exception(c->panic);
      return Result{c->val, c->err, true, nullptr};
    }
    auto c = std::make_shared<Call>();
    st_->calls.emplace(key, c);
    lk.unlock();
    run_call(*st_, c, key, fn);
    if (c->panic) std::rethrow_exception(c->panic);
    // dups cannot change any more: the call left the map when it completed.
    return Result{c->val, c->err, c->dups > 0, nullptr};
  }

  // do_chan(key, fn): Go's DoChan: like do_call but returns at once; the
  // result arrives on the returned channel (capacity 1, one result). A new
  // call runs fn on a new thread. If fn throws, the result's `panic` holds
  // the exception (see the header).
  template <class F>
  Chan<Result> do_chan(const K& key, F&& fn) {
    Chan<Result> ch(1);
    std::unique_lock<GoMutex> lk(st_->mu);
    if (auto it = st_->calls.find(key); it != st_->calls.end()) {
      ++it->second->dups;
      it->second->chans.push_back(ch);
      return ch;
    }
    auto c = std::make_shared<Call>();
    c->chans.push_back(ch);
    auto ins = st_->calls.emplace(key, c);
    try {
      std::thread([st = st_, c, key, f = std::decay_t<F>(std::forward<F>(fn))]() mutable {
        run_call(*st, c, key, f);
      }).detach();
    } catch (...) {
      st_->calls.erase(ins.first);  // no thread: undo the registration
      throw;
    }
    return ch;
  }

  // forget(key): Go's Forget: the next do_call/do_chan for key starts a new
  // call instead of joining the one in flight (which still completes for
  // its current waiters).
  void forget(const K& key) {
    std::lock_guard<GoMutex> lk(st_->mu);
    st_->calls.erase(key);
  }

  // in_flight(): keys with a call in flight (snapshot; instrumentation).
  std::size_t in_flight() const {
    std::lock_guard<GoMutex> lk(st_->mu);
    return st_->calls.size();
  }

  // duplicates(key): callers (do_call and do_chan) that joined the call in
  // flight for key, not counting the one that started it; 0 if none is in
  // flight. Snapshot, for instrumentation (the de-duplication ratio) and
  // tests.
  int duplicates(const K& key) const {
    std::lock_guard<GoMutex> lk(st_->mu);
    auto it = st_->calls.find(key);
    return it == st_->calls.end() ? 0 : it->second->dups;
  }

 private:
  // One call in flight (Go's call).
  struct Call {
    // fn's results: written by the leader before completion (before it
    // takes the mutex), read by everyone after.
    V val{};
    std::error_code err;
    std::exception_ptr panic;
    // Guarded by State::mu.
    int dups = 0;                      // callers that joined (do_call and do_chan)
    uint32_t waiters = 0;              // do_call duplicates parked on `done`
    std::vector<Chan<Result>> chans;   // do_chan callers
    // Released once per waiter when the call completes.
    Sema done;
  };

  // Shared with do_chan threads (a SingleFlight may go away before they end).
  struct State {
    mutable GoMutex mu;  // guards calls and every Call's dups/waiters/chans
    std::unordered_map<K, std::shared_ptr<Call>, Hash, KeyEqual> calls;
  };

  // Go's doCall: runs fn (catching its exception as the panic), then
  // completes the call: removes it from the map if it is still the one
  // there, and wakes everyone. Outlined from the callers' paths as a
  // static function because do_chan runs it on another thread.
  template <class F>
  static void run_call(State& st, const std::shared_ptr<Call>& c, const K& key, F& fn) {
    try {
      using R = std::invoke_result_t<F&>;
      if constexpr (std::is_same_v<std::decay_t<R>, std::pair<V, std::error_code>>) {
        std::pair<V, std::error_code> r = fn();
        c->val = std::move(r.first);
        c->err = r.second;
      } else {
        static_assert(std::is_convertible_v<R, V>,
                      "fn must return V or std::pair<V, std::error_code>");
        c->val = fn();
      }
    } catch (...) {
      c->panic = std::current_exception();
    }
    uint32_t waiters;
    std::vector<Chan<Result>> chans;
    bool shared;
    {
      std::lock_guard<GoMutex> lk(st.mu);
      if (auto it = st.calls.find(key); it != st.calls.end() && it->second == c) {
        st.calls.erase(it);
      }
      waiters = c->waiters;
      chans = std::move(c->chans);
      shared = c->dups > 0;
    }
    for (uint32_t i = 0; i < waiters; ++i) c->done.release();
    for (Chan<Result>& ch : chans) {
      // Capacity 1 and one send per channel: never blocks.
      ch.send(Result{c->val, c->err, shared, c->panic});
    }
  }

  std::shared_ptr<State> st_;
};

// Compiled once in single_flight.cc (the `overhead` suite's types).
extern template class SingleFlight<std::string, std::string>;
extern template class SingleFlight<uint64_t, uint64_t>;

}  // namespace syncscope

#endif  // SYNCSCOPE_SINGLE_FLIGHT_H_
