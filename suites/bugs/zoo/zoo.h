// suites/bugs/zoo/zoo.h — the bug zoo: reproductions of the kinds of
// concurrency bugs that Tu, Liu, Song and Zhang found in Go programs
// ("Understanding Real-World Concurrency Bugs in Go", ASPLOS 2019), written
// with syncscope's primitives, each as a buggy and a fixed version.
//
// One reproduction per cause row of the study's Table 6 (blocking bugs:
// Mutex, RWMutex, Wait, Chan, Chan w/ other primitives, messaging Lib) and
// Table 9 (non-blocking bugs: traditional, anonymous function, WaitGroup,
// shared-memory lib, channel misuse, messaging lib); suites/bugs/go/ has the
// same zoo, same names, in Go.
//
// Determinism: the bad interleaving is forced by Gates (below), never left to
// luck: the buggy version misbehaves on every run, the fixed one never. The
// gates use relaxed atomics on purpose: they order the threads' steps
// without creating a happens-before edge, so that ThreadSanitizer (and Go's
// race detector, in the Go zoo) sees the unsynchronized accesses of a
// buggy version as the race they are.
//
// Threads: each reproduction starts its "goroutines" through Env::go, one
// launcher: today std::thread (registered with the blocking-bug detector as
// Go registers a goroutine at `go`); the goroutine runtime can provide a
// second launcher with the same signature and run the channel bugs on
// goroutines unchanged.
#ifndef SYNCSCOPE_SUITES_BUGS_ZOO_ZOO_H_
#define SYNCSCOPE_SUITES_BUGS_ZOO_ZOO_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace syncscope::bugs {

enum class Variant { kBuggy, kFixed };
enum class Category { kBlocking, kNonBlocking };

// A one-way step signal without synchronization (see "Determinism").
class Gate {
 public:
  void open() noexcept { open_.store(true, std::memory_order_relaxed); }
  void wait() const noexcept {
    while (!open_.load(std::memory_order_relaxed)) std::this_thread::yield();
  }
  bool is_open() const noexcept { return open_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> open_{false};
};

// The launcher and bookkeeping of one run.
class Env {
 public:
  Env() = default;
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  // Go's `go f()`: starts fn on a new thread named `name` (for findings).
  void go(std::string name, std::function<void()> fn);
  // Runs body as the program's main goroutine. When body returns the
  // thread stays alive and awake (the process "goes on", as a server
  // would) until finish(): the detector does not see a program that ended.
  void go_main(std::function<void()> body);

  bool main_returned() const noexcept { return main_returned_.load(); }
  // Threads started by go() that have not returned yet.
  int others_live() const noexcept { return others_live_.load(); }
  // Lets the lingering main thread end, then joins every thread. Only when
  // nothing is blocked.
  void finish();

 private:
  std::mutex mu_;
  std::vector<std::thread> threads_;
  std::atomic<int> others_live_{0};
  std::atomic<bool> main_returned_{false};
  std::atomic<bool> finish_{false};
};

// One reproduction (one variant of it, for one run).
class Scenario {
 public:
  virtual ~Scenario() = default;
  // Starts the program (env.go_main(...)).
  virtual void start(Env& env) = 0;
  // Blocking bugs: the exact state in which the program can never finish
  // (e.g. "both mutexes have one waiter each, held by each other's waiter").
  virtual bool stuck(const Env& env) const = 0;
  // Threads parked with no deadline in that state (what the detector sees).
  virtual int parked_when_stuck() const = 0;
  // After a normal end: "" when the result is right, else what went wrong.
  virtual std::string wrong() const { return ""; }
};

struct Bug {
  const char* name;
  Category category;
  const char* cause;    // the study's row: "Mutex", "Chan w/", "anonymous", ...
  const char* summary;  // what goes wrong and what the fix is
  std::unique_ptr<Scenario> (*make)(Variant);
  // Expected verdicts of the detectors on the buggy version (the tests check
  // them; each fixed version must be clean everywhere).
  bool syncscope_detector;
  bool thread_sanitizer;
  bool go_deadlock;
  bool go_race;
};

const std::vector<Bug>& zoo();
const Bug* find_bug(const std::string& name);

}  // namespace syncscope::bugs

#endif  // SYNCSCOPE_SUITES_BUGS_ZOO_ZOO_H_
