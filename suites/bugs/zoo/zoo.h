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
// Runtimes: each reproduction starts its "goroutines" through Env::go, one
// launcher with two runtimes. Runtime::kThreads: one std::thread each
// (registered with the blocking-bug detector as Go registers a goroutine at
// `go`). Runtime::kGoroutines: syncscope's goroutines (syncscope/goroutine.h,
// M:N on a few OS threads), which the detector counts as parties by
// themselves; the reproductions are unchanged (a Gate lets the other
// goroutines run while it waits: there is no preemption). The channel bugs
// (Bug::on_goroutines) run on both; their goroutine verdicts are separate
// rows of the suite.
#ifndef SYNCSCOPE_SUITES_BUGS_ZOO_ZOO_H_
#define SYNCSCOPE_SUITES_BUGS_ZOO_ZOO_H_

#include <syncscope/goroutine.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace syncscope::bugs {

enum class Variant { kBuggy, kFixed };
enum class Runtime { kThreads, kGoroutines };
const char* runtime_name(Runtime r) noexcept;  // "threads", "goroutines"
enum class Category { kBlocking, kNonBlocking };

// A one-way step signal without synchronization (see "Determinism").
class Gate {
 public:
  void open() noexcept { open_.store(true, std::memory_order_relaxed); }
  void wait() const noexcept {
    while (!open_.load(std::memory_order_relaxed)) pause();
  }
  // One step of a wait loop: on a goroutine, lets the others of its P run
  // (no preemption); on a thread, yields the CPU.
  static void pause() noexcept {
    if (on_goroutine()) {
      gosched();
    } else {
      std::this_thread::yield();
    }
  }
  bool is_open() const noexcept { return open_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> open_{false};
};

// The launcher and bookkeeping of one run.
class Env {
 public:
  explicit Env(Runtime rt = Runtime::kThreads) : rt_(rt) {}
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  Runtime runtime() const noexcept { return rt_; }
  // Go's `go f()`: starts fn on a new thread or goroutine named `name` (for
  // findings).
  void go(std::string name, std::function<void()> fn);
  // Runs body as the program's main goroutine. When body returns the
  // thread stays alive and awake (the process "goes on", as a server
  // would) until finish(): the detector does not see a program that ended.
  void go_main(std::function<void()> body);

  bool main_returned() const noexcept { return main_returned_.load(); }
  // Threads started by go() that have not returned yet.
  int others_live() const noexcept { return others_live_.load(); }
  // Lets the lingering main thread end, then joins every thread (waits for
  // every goroutine to return). Only when nothing is blocked.
  void finish();

 private:
  void launch(std::function<void()> fn);
  Runtime rt_;
  std::atomic<int> goroutines_live_{0};  // kGoroutines: started, not returned
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
  // A channel bug: also run on goroutines (Runtime::kGoroutines), with the
  // same expected verdict of syncscope's detector.
  bool on_goroutines;
};

const std::vector<Bug>& zoo();
const Bug* find_bug(const std::string& name);
// The names of the bugs with a goroutine version, comma-separated.
std::string goroutine_bug_names();

}  // namespace syncscope::bugs

#endif  // SYNCSCOPE_SUITES_BUGS_ZOO_ZOO_H_
