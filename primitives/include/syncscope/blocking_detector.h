// syncscope/blocking_detector.h — an opt-in blocking-bug detector.
//
// This file offers (namespace syncscope::detector):
//   compiled_in()          the detector is in this build (CMake option
//                          SYNCSCOPE_BLOCKING_DETECTOR, default ON)
//   enable(handler)        turn it on; findings go to handler (default:
//                          one text block on stderr each)
//   disable()              turn it off (the state it learnt is dropped)
//   enabled()
//   ThreadScope            RAII: the calling thread takes part, under a name
//   will_start(n)          n threads are being started and will open a
//                          ThreadScope: until they do, nobody is "all asleep"
//                          (Go: a goroutine just created is runnable)
//   label(obj, name)       name a primitive in findings ("resultCh")
//   findings()             every finding so far, oldest first
//   leaks()                a kLeak finding listing the threads still parked
//                          in a wait that has no deadline (call it where the
//                          test or program ends), empty parties when none
//   parked()               participants parked with no deadline right now
//
// What it knows. Every blocking primitive parks through the one parking
// layer (internal/sema.h); with the detector on, a thread that parks says on
// what (Chan send / receive, select, GoMutex, GoRWMutex read / write,
// WaitGroup, Cond, a bare Sema), and GoMutex / GoRWMutex record their
// holders. From that it reports three kinds of finding:
//   kCycle      a wait-for cycle: T1 waits for a lock T2 holds, T2 waits for
//               a lock T1 holds (lock-order inversion; a thread re-locking a
//               mutex it holds is a cycle of one; a reader re-entering
//               RLock while a writer waits for it is a cycle through the
//               writer). Reported when the thread that closes it parks.
//   kAllAsleep  Go's "fatal error: all goroutines are asleep - deadlock!":
//               every participant is parked with no deadline. Reported when
//               the last one parks or the last awake one leaves.
//   kLeak       from leaks(): threads parked forever when the caller thinks
//               the work is over (the goroutine-leak check of goleak).
// A wait with a deadline (acquire_until, a timed receive) is never part of
// a finding: it ends by itself.
//
// Who takes part: a thread that has parked or held a GoMutex / GoRWMutex
// while the detector was on, or that opened a ThreadScope. A thread that
// never touched a primitive (a test's observer) is not counted, so it can
// watch a deadlock without "being awake" in it; a program's main thread
// that should count as Go's main goroutine opens a ThreadScope.
//
// What it cannot see: who will send on a channel or signal a Cond (Go's
// runtime cannot either): a channel wait has no wait-for edge, so a circle
// through a channel is found only as kAllAsleep or by leaks(). Data races
// and other non-blocking bugs are out of its scope (ThreadSanitizer's).
//
// Cost: see internal/wait_registry.h; compiled out, the hooks vanish. On, a
// park and every lock/unlock take one process-wide mutex: a debug mode.
//
// Environment: SYNCSCOPE_DETECT=1 turns it on at start-up with the default
// handler and prints leaks() at exit. Any other value than 0/1 prints one
// line on stderr and exits 2.

#ifndef SYNCSCOPE_BLOCKING_DETECTOR_H_
#define SYNCSCOPE_BLOCKING_DETECTOR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace syncscope::detector {

enum class FindingKind : uint8_t { kCycle, kAllAsleep, kLeak };
const char* kind_name(FindingKind k) noexcept;  // "cycle", "all-asleep", "leak"

// One thread in a finding.
struct Party {
  uint64_t thread_id = 0;          // the detector's id (1, 2, ... in order seen)
  std::string thread;              // ThreadScope name or "thread#<id>"
  std::string waits_on;            // e.g. "Chan.send on resultCh"; "" if running
  std::vector<std::string> holds;  // e.g. "GoMutex mu (exclusive)"
};

struct Finding {
  FindingKind kind = FindingKind::kLeak;
  std::vector<Party> parties;  // for kCycle in cycle order
  // Multi-line, human-readable; first line names the kind, as Go's
  // "fatal error: all goroutines are asleep - deadlock!".
  std::string text() const;
};

using Handler = std::function<void(const Finding&)>;

bool compiled_in() noexcept;
// Returns false (and does nothing) when compiled out. Clears earlier state.
bool enable(Handler handler = {});
void disable();
bool enabled() noexcept;

// The calling thread takes part under `name` while the scope lives; a
// nested scope renames it. No effect when the detector is off or compiled
// out.
class ThreadScope {
 public:
  explicit ThreadScope(std::string name);
  ~ThreadScope();
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  bool active_ = false;
};

// Called by the thread that starts n threads which will each open a
// ThreadScope, before it starts them: kAllAsleep is not reported while
// such a start is pending.
void will_start(std::size_t n = 1);

// Names obj (a Chan's core(), a GoMutex, ...) in findings. Labels are
// dropped by disable(). Chan: label(ch.core(), "name").
void label(const void* obj, std::string name);

std::vector<Finding> findings();
Finding leaks();
std::size_t parked();

}  // namespace syncscope::detector

#endif  // SYNCSCOPE_BLOCKING_DETECTOR_H_
