// syncscope/internal/scheduler.h — what the parking layer (sema.cc) needs
// from the goroutine scheduler (primitives/src/scheduler.cc; the user's
// manual is syncscope/goroutine.h).
//
// The parking protocol for a goroutine mirrors a futex word:
//   waiter:  g = parkable_goroutine(); publish g where the waker finds it;
//            while (word == expected) goroutine_wait(g, &word, expected, ...);
//   waker:   read g (before the store: the waiter may return at once),
//            store the word, then goroutine_wake(g).
// Each G carries a one-permit token (Java's LockSupport park/unpark):
// goroutine_wake() sets it and, if the goroutine is parked, makes it
// runnable (in the waker's P's runnext when the waker runs on a P, Go's
// goready; else on the global queue); goroutine_wait() consumes it and parks
// only while it is absent. A wake that comes before the park is therefore
// never lost, and a stray wake (to a G whose wait ended, or whose G was
// reused) is a spurious return that the waiter's loop absorbs. G's are
// never freed, so a late goroutine_wake() never touches freed memory.

#ifndef SYNCSCOPE_INTERNAL_SCHEDULER_H_
#define SYNCSCOPE_INTERNAL_SCHEDULER_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace syncscope::internal {

struct G;

// The goroutine running on this thread if it may park (it holds a P: not
// inside a SyscallGuard), else nullptr (a plain thread, an M's scheduler
// loop, a goroutine in a syscall): the caller then blocks the thread.
G* parkable_goroutine() noexcept;

// True on an M's own scheduler code (its g0: the schedule loop, an idle M
// sleeping on its note), which is never a party of the blocking-bug
// detector (wait_registry.cc); false on a goroutine and on a plain thread.
bool on_scheduler() noexcept;

// Parks g (the caller itself) while *word == expected, until woken by
// goroutine_wake(g) or until *deadline (nullptr: none). Returns false only
// when the deadline has passed; like FUTEX_WAIT, it may return spuriously.
bool goroutine_wait(G* g, const std::atomic<uint32_t>* word, uint32_t expected,
                    const std::chrono::steady_clock::time_point* deadline);

// Makes g runnable if it is parked, else leaves it a permit. Any thread.
void goroutine_wake(G* g) noexcept;

}  // namespace syncscope::internal

#endif  // SYNCSCOPE_INTERNAL_SCHEDULER_H_
