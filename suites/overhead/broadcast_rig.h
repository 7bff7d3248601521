// BroadcastRig — K waiter threads on one condition variable, woken by
// broadcasts, with the time each one woke (the `overhead` suite's Cond
// benchmark).
//
// This file offers:
//   struct GoCondPeer       syncscope::BasicCond<GoMutex> (Go's sync.Cond on a
//                           sync.Mutex)
//   struct StdCondPeer      std::condition_variable on a std::mutex
//   template <class C> class BroadcastRig
//     BroadcastRig(k)       starts k waiter threads (each waits at once)
//     round() -> RoundTimes waits until all k are waiting, broadcasts, waits
//                           until all k woke; returns the time from just
//                           before broadcast() to the first and to the last
//                           waiter's wake-up (steady clock, ns)
//     ~BroadcastRig         stops and joins the waiters
//
// Protocol (all under the peer's lock except the broadcast itself):
//   waiter: count itself waiting; wait while the generation is the one it
//           saw (a loop: std::condition_variable may wake spuriously);
//           record its wake time; announce it (release) after unlocking.
//   round:  once `waiting == k` is seen under the lock, every waiter is
//           inside wait(): the lock is only released by wait() itself
//           (std::condition_variable atomically; Cond after taking its
//           ticket, which is what makes a later broadcast count it). Stamp
//           t0, bump the generation, unlock, broadcast(), then wait for
//           the k announcements (acquire) and read the wake times.
// Waking includes re-acquiring the lock, one waiter after another: for k
// waiters the last wake-up measures the whole herd, as a user would see it.
#ifndef SYNCSCOPE_SUITES_OVERHEAD_BROADCAST_RIG_H_
#define SYNCSCOPE_SUITES_OVERHEAD_BROADCAST_RIG_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <syncscope/cond.h>
#include <syncscope/go_mutex.h>

namespace syncscope::suites {

struct GoCondPeer {
  static constexpr const char* kName = "Cond";
  GoMutex mu;
  BasicCond<GoMutex> cond{mu};
  void lock() { mu.lock(); }
  void unlock() { mu.unlock(); }
  void wait_locked() { cond.wait(); }
  void broadcast() { cond.broadcast(); }
};

struct StdCondPeer {
  static constexpr const char* kName = "std_condition_variable";
  std::mutex mu;
  std::condition_variable cv;
  void lock() { mu.lock(); }
  void unlock() { mu.unlock(); }
  void wait_locked() {
    std::unique_lock<std::mutex> lk(mu, std::adopt_lock);
    cv.wait(lk);
    lk.release();  // still locked: the caller unlocks
  }
  void broadcast() { cv.notify_all(); }
};

struct RoundTimes {
  int64_t first_ns = 0;
  int64_t last_ns = 0;
};

template <class C>
class BroadcastRig {
 public:
  explicit BroadcastRig(int k) : k_(k), wake_ns_(static_cast<std::size_t>(k)) {
    threads_.reserve(static_cast<std::size_t>(k));
    for (int w = 0; w < k; ++w) threads_.emplace_back([this, w] { waiter(w); });
  }
  ~BroadcastRig() {
    peer_.lock();
    stop_ = true;
    ++generation_;
    peer_.unlock();
    peer_.broadcast();
    for (auto& t : threads_) t.join();
  }
  BroadcastRig(const BroadcastRig&) = delete;
  BroadcastRig& operator=(const BroadcastRig&) = delete;

  RoundTimes round() {
    for (;;) {
      peer_.lock();
      if (waiting_ == k_) break;
      peer_.unlock();
      std::this_thread::yield();
    }
    waiting_ = 0;
    // Stamped under the lock, before the new generation is visible: a
    // std::condition_variable waiter that returns spuriously needs the lock
    // to see it, so no wake time can precede t0 (the unlock is measured).
    const int64_t t0 = now_ns();
    ++generation_;
    woke_.store(0, std::memory_order_relaxed);
    peer_.unlock();
    peer_.broadcast();
    while (woke_.load(std::memory_order_acquire) != k_) std::this_thread::yield();
    RoundTimes r{std::numeric_limits<int64_t>::max(), 0};
    for (const Slot& s : wake_ns_) {
      r.first_ns = std::min(r.first_ns, s.ns - t0);
      r.last_ns = std::max(r.last_ns, s.ns - t0);
    }
    return r;
  }

 private:
  struct alignas(64) Slot {
    int64_t ns = 0;  // written by its waiter before announcing; read after
  };

  static int64_t now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  void waiter(int w) {
    peer_.lock();
    uint64_t seen = generation_;
    for (;;) {
      ++waiting_;
      while (generation_ == seen && !stop_) peer_.wait_locked();
      if (stop_) break;
      seen = generation_;
      wake_ns_[static_cast<std::size_t>(w)].ns = now_ns();
      peer_.unlock();
      woke_.fetch_add(1, std::memory_order_acq_rel);
      peer_.lock();
    }
    peer_.unlock();
  }

  const int k_;
  C peer_;
  // Guarded by peer_'s lock.
  uint64_t generation_ = 0;
  int waiting_ = 0;
  bool stop_ = false;
  // Waiters that woke this round (release by each waiter, acquire by round()).
  std::atomic<int> woke_{0};
  std::vector<Slot> wake_ns_;
  std::vector<std::thread> threads_;
};

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_OVERHEAD_BROADCAST_RIG_H_
