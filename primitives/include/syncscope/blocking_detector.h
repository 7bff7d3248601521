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
//   chan_parties(ch, a, b) the channel is used by parties a and b only: its
//                          waits become wait-for edges (channel/lock cycles)
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
//               writer; with chan_parties(), a party holding a mutex and
//               blocked sending to the one receiver that waits for that
//               mutex). Reported when the party that closes it parks.
//   kAllAsleep  Go's "fatal error: all goroutines are asleep - deadlock!":
//               every participant is parked with no deadline (Go's
//               checkdead: no goroutine runnable, no timer pending — a
//               sleeping goroutine or a wait with a deadline is awake).
//               Reported when the last one parks or the last awake one
//               leaves (a thread's ThreadScope ends, a goroutine returns).
//   kLeak       from leaks(): threads parked forever when the caller thinks
//               the work is over (the goroutine-leak check of goleak).
// A wait with a deadline (acquire_until, a timed receive) is never part of
// a finding: it ends by itself.
//
// Who takes part (the parties): every goroutine (goroutine.h) from the
// moment go() makes it runnable while the detector is on until it returns,
// as in Go; it is named "goroutine <goid>" unless it opens a ThreadScope,
// and it stays one party whatever OS thread runs it. A plain thread that
// has parked or held a GoMutex / GoRWMutex while the detector was on, or
// that opened a ThreadScope. A thread that never touched a primitive (a
// test's observer) is not counted, so it can watch a deadlock without
// "being awake" in it; a program's main thread that should count as Go's
// main goroutine opens a ThreadScope. The goroutine runtime's own threads
// (an idle M sleeping) are never parties. Goroutines started while the
// detector was off are counted from their first park or lock.
//
// What it cannot see: who will send on a channel or signal a Cond (Go's
// runtime cannot either): in general a channel wait has no wait-for edge
// (any party, even one not started yet, may receive, send or close), so a
// circle through a channel is found only as kAllAsleep or by leaks(). The
// one sound exception is a channel declared with chan_parties(): its users
// are known, so its waits are edges. A select, a WaitGroup or Cond wait
// never has an edge (any party may call Done / Signal). Data races and
// other non-blocking bugs are out of its scope (ThreadSanitizer's).
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

// One party (a thread or a goroutine) in a finding.
struct Party {
  uint64_t thread_id = 0;          // the detector's id (1, 2, ... in order seen)
  int64_t goroutine_id = 0;        // a goroutine's id (goroutine.h; Go's goid), 0: a thread
  std::string thread;              // ThreadScope name, "thread#<id>" or "goroutine <goid>"
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

// Declares that the channel whose core is `chan` is used (send, receive,
// close) by the two parties named a and b only (ThreadScope names, or
// "goroutine <goid>"). Then a party parked on that channel waits for the
// other one: a wait-for edge, so a circle through the channel and locks is
// reported as a kCycle (e.g. a holds mutex mu and blocks sending to b, b
// waits for mu). The declaration is the caller's promise; the detector
// draws the edge only while exactly one live participant bears the other
// name, and never for a select (its cases have several partners).
// Dropped by disable().
void chan_parties(const void* chan, std::string a, std::string b);

std::vector<Finding> findings();
Finding leaks();
std::size_t parked();

}  // namespace syncscope::detector

#endif  // SYNCSCOPE_BLOCKING_DETECTOR_H_
