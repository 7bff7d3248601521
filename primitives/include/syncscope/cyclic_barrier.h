// syncscope/cyclic_barrier.h — CyclicBarrier: n parties meet, repeatedly.
//
// This file offers:
//   class CyclicBarrier
//     CyclicBarrier(parties, action = {})
//     arrive_and_wait()   waits until `parties` threads have arrived in this
//                         generation; returns the arrival index
//                         (parties-1 for the first to arrive, 0 for the
//                         last, as Java's await())
//     parties(), generation(), waiting()
//
// Source: the seed's WaitGroup slide names Java's CountDownLatch and
// CyclicBarrier as its relatives (the seed's distributed "Barrier /
// DoubleBarrier" are etcd's); the API follows java.util.concurrent.
// CyclicBarrier (Doug Lea): reusable across generations, with an optional
// barrier action run by the last arriving thread before any party of that
// generation is released. Go's standard library has no barrier.
//
// Go names -> C++: none in Go's sync package. Java -> C++: await() ->
// arrive_and_wait() (std::barrier's name), getParties() -> parties(),
// getNumberWaiting() -> waiting().
//
// Algorithm: a generation is a count of parties still expected plus a list
// of parked parties, both under a small list lock (a TtasLock). An arriving
// thread decrements the count; if others are still expected it links its
// own Parker (cond.h: a per-thread Sema, the parking layer) and parks. The
// last arriver runs the action (holding the list lock, so actions of
// successive generations never overlap), starts the next generation
// (count = parties, empty list, generation + 1), drops the lock and then
// releases every parked party of its generation, one Sema release each.
// The releaser touches only the immortal parkers after dropping the lock,
// so the barrier may be destroyed as soon as the parties have returned.
//
// The action: if it throws, the generation still completes — the other
// parties are released normally — and the exception propagates from the
// last arriver's arrive_and_wait() (Java instead breaks the barrier; here
// there is no broken state to reason about). While the action runs, a
// thread arriving for the next generation spins/yields on the list lock:
// keep actions short.
//
// Fairness and starvation: within a generation, all parties are released
// together (in reverse arrival order, by the last arriver). With more
// threads than parties, a generation is formed by whichever threads take
// the list lock first; a thread can keep missing generations only if others
// keep arriving ahead of it.
//
// Memory ordering: everything each party did before arrive_and_wait()
// happens-before the action, and the action (and all of that) happens-before
// every party's return from that generation's arrive_and_wait() (list lock,
// then each Parker's Sema release/acquire).
//
// Misuse: parties == 0 throws std::invalid_argument. The destructor requires
// that no thread is parked in it.

#ifndef SYNCSCOPE_CYCLIC_BARRIER_H_
#define SYNCSCOPE_CYCLIC_BARRIER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>

#include <syncscope/cond.h>
#include <syncscope/ttas_lock.h>

namespace syncscope {

class CyclicBarrier {
 public:
  // CyclicBarrier(parties, action): `parties` >= 1 threads per generation;
  // `action` (may be empty) runs once per generation on the last arriver.
  // Throws std::invalid_argument if parties == 0.
  explicit CyclicBarrier(std::size_t parties, std::function<void()> action = {});
  CyclicBarrier(const CyclicBarrier&) = delete;
  CyclicBarrier& operator=(const CyclicBarrier&) = delete;

  // arrive_and_wait(): arrives and waits for the generation to complete.
  // Returns the arrival index: parties()-1 for the first arriver of the
  // generation, 0 for the last (which ran the action). Rethrows the action's
  // exception on the last arriver only.
  std::size_t arrive_and_wait();

  // parties(): threads per generation.
  std::size_t parties() const noexcept { return parties_; }
  // generation(): completed generations so far. Snapshot.
  uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }
  // waiting(): threads arrived in the current generation. Snapshot.
  std::size_t waiting() const noexcept { return arrived_.load(std::memory_order_relaxed); }

 private:
  const std::size_t parties_;
  const std::function<void()> action_;
  // Guards remaining_ and head_, and serialises the action.
  TtasLock lock_;
  // Parties still expected in the current generation; guarded by lock_.
  std::size_t remaining_;
  // Parked parties of the current generation (LIFO list); guarded by lock_.
  detail::Parker* head_ = nullptr;
  // Completed generations. Written under lock_ (release), read anywhere.
  std::atomic<uint64_t> generation_{0};
  // parties_ - remaining_, for waiting(). Written under lock_, read anywhere
  // (relaxed gauge).
  std::atomic<std::size_t> arrived_{0};
};

}  // namespace syncscope

#endif  // SYNCSCOPE_CYCLIC_BARRIER_H_
