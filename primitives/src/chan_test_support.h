// Test-only helpers shared by the channel, select and pattern tests.
//
//   kScale            1 natively; smaller divisors under ThreadSanitizer and
//                     on aarch64 (run under qemu in CI): scaled(n) sizes
//                     loops so each test executable stays fast everywhere.
//   eventually(pred)  polls pred until it holds; false only after a generous
//                     hang guard (never a timing assertion).
//   receivers_queued(ch) / senders_queued(ch)
//                     whether a receiver / sender is linked in the channel's
//                     wait queue — lets a test wait until a thread is really
//                     blocked inside the channel before acting, so the
//                     blocking path (not a fast path) is what gets tested.
//   Threads           a vector of std::thread joined on destruction.
//   expect_woken(done, who)
//                     waits until done() holds; a worker that is never
//                     woken cannot be joined, so after the hang guard it
//                     reports the lost wake-up and aborts (never a timing
//                     assertion).
//   workers_drained() live_workers() back to 0 (patterns leak no thread);
//                     only where chan_patterns.h is included before this
//                     header. This header does not include it: its go()
//                     (a thread) clashes with goroutine.h's, and the tests
//                     that run goroutines use the rest of this header.
#ifndef SYNCSCOPE_PRIMITIVES_SRC_CHAN_TEST_SUPPORT_H_
#define SYNCSCOPE_PRIMITIVES_SRC_CHAN_TEST_SUPPORT_H_

#include <syncscope/chan.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <utility>
#include <vector>

namespace syncscope::chan_testing {

#if defined(SYNCSCOPE_TSAN) || defined(__SANITIZE_THREAD__)
inline constexpr int kScale = 4;
#elif defined(__aarch64__)
inline constexpr int kScale = 2;
#else
inline constexpr int kScale = 1;
#endif

constexpr int scaled(int n) { return n / kScale > 0 ? n / kScale : 1; }

template <class Pred>
bool eventually(Pred pred, std::chrono::seconds guard = std::chrono::seconds(60)) {
  const auto end = std::chrono::steady_clock::now() + guard;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}

template <class T>
bool receivers_queued(const Chan<T>& ch) {
  return !ch.core()->recvq_empty_hint();
}
template <class T>
bool senders_queued(const Chan<T>& ch) {
  return !ch.core()->sendq_empty_hint();
}

class Threads {
 public:
  Threads() = default;
  Threads(const Threads&) = delete;
  Threads& operator=(const Threads&) = delete;
  ~Threads() { join(); }
  template <class F>
  void spawn(F&& f) {
    threads_.emplace_back(std::forward<F>(f));
  }
  void join() {
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

 private:
  std::vector<std::thread> threads_;
};

template <class Pred>
void expect_woken(Pred done, const char* who) {
  if (!eventually(done)) {
    std::fprintf(stderr, "%s was never woken: a lost wake-up\n", who);
    std::fflush(stderr);
    std::abort();
  }
}

#if defined(SYNCSCOPE_CHAN_PATTERNS_H_)
inline bool workers_drained() {
  return eventually([] { return live_workers() == 0; });
}
#endif

}  // namespace syncscope::chan_testing

#endif  // SYNCSCOPE_PRIMITIVES_SRC_CHAN_TEST_SUPPORT_H_
