// The bug zoo's reproductions (see zoo.h). Each one: the real-world shape it
// is modelled on, the forced interleaving, the fix. suites/bugs/go/zoo.go
// has each under the same name.
#include "zoo.h"

#include <syncscope/atomic_value.h>
#include <syncscope/blocking_detector.h>
#include <syncscope/chan.h>
#include <syncscope/context.h>
#include <syncscope/go_mutex.h>
#include <syncscope/go_rwmutex.h>
#include <syncscope/once.h>
#include <syncscope/select.h>
#include <syncscope/wait_group.h>

#include <chrono>
#include <stdexcept>
#include <utility>

namespace syncscope::bugs {

// ---- Env -----------------------------------------------------------------------

const char* runtime_name(Runtime r) noexcept {
  return r == Runtime::kThreads ? "threads" : "goroutines";
}

Env::~Env() { finish(); }

// A thread is made known to the detector before it starts (will_start: it
// counts as awake until its ThreadScope opens); a goroutine is a party from
// go() on by itself (the runtime's detector hook).
void Env::launch(std::function<void()> fn) {
  if (rt_ == Runtime::kGoroutines) {
    goroutines_live_.fetch_add(1);
    syncscope::go([this, fn = std::move(fn)] {
      fn();
      goroutines_live_.fetch_sub(1);
    });
    return;
  }
  detector::will_start();
  std::lock_guard<std::mutex> g(mu_);
  threads_.emplace_back(std::move(fn));
}

void Env::go(std::string name, std::function<void()> fn) {
  others_live_.fetch_add(1);
  launch([this, name = std::move(name), fn = std::move(fn)] {
    {
      detector::ThreadScope scope(name);
      fn();
    }
    others_live_.fetch_sub(1);
  });
}

void Env::go_main(std::function<void()> body) {
  launch([this, body = std::move(body)] {
    detector::ThreadScope scope("main");
    body();
    main_returned_.store(true);
    // Awake, as a live process: a thread yields; a goroutine sleeps on a
    // timer (Go's checkdead counts a goroutine with a pending timer awake).
    while (!finish_.load()) {
      if (on_goroutine()) {
        sleep_for(std::chrono::milliseconds(1));
      } else {
        std::this_thread::yield();
      }
    }
  });
}

void Env::finish() {
  finish_.store(true);
  std::vector<std::thread> ts;
  {
    std::lock_guard<std::mutex> g(mu_);
    ts.swap(threads_);
  }
  for (auto& t : ts) t.join();
  while (goroutines_live_.load() != 0) std::this_thread::yield();
}

namespace {

bool buggy(Variant v) { return v == Variant::kBuggy; }

// ---- Blocking: Mutex -------------------------------------------------------------
// mutex_abba: two code paths take the same two mutexes in opposite orders
// (the study's most common Mutex blocking bug, e.g. Docker's and etcd's
// lock-order inversions). Forced: t1 holds A, t2 holds B, then each asks
// for the other's. main waits for both (wg.Wait): the whole program blocks.
// Fix: one global lock order (t2 takes A before B).
class MutexAbba : public Scenario {
 public:
  explicit MutexAbba(Variant v) : v_(v) {}
  void start(Env& env) override {
    detector::label(&a_, "A");
    detector::label(&b_, "B");
    detector::label(&wg_, "wg");
    env.go_main([this, &env] {
      wg_.add(2);
      env.go("t1", [this] {
        a_.lock();
        t1_holds_a_.open();
        t2_ready_.wait();
        b_.lock();
        b_.unlock();
        a_.unlock();
        wg_.done();
      });
      env.go("t2", [this] {
        t1_holds_a_.wait();
        if (buggy(v_)) {
          b_.lock();
          t2_ready_.open();
          a_.lock();
        } else {
          t2_ready_.open();
          a_.lock();
          b_.lock();
        }
        b_.unlock();
        a_.unlock();
        wg_.done();
      });
      wg_.wait();
    });
  }
  bool stuck(const Env&) const override { return a_.waiter_count() == 1 && b_.waiter_count() == 1; }
  int parked_when_stuck() const override { return 3; }

 private:
  Variant v_;
  GoMutex a_, b_;
  WaitGroup wg_;
  Gate t1_holds_a_, t2_ready_;
};

// mutex_relock: a method that holds the lock calls a helper that locks it
// again (Go's Mutex is not reentrant; Kubernetes and Docker had several).
// main starts the worker and goes on (a server keeps serving): only the
// worker is stuck. Fix: the helper expects the lock held (a *_locked helper).
class MutexRelock : public Scenario {
 public:
  explicit MutexRelock(Variant v) : v_(v) {}
  void start(Env& env) override {
    detector::label(&mu_, "mu");
    env.go_main([this, &env] {
      env.go("worker", [this] {
        mu_.lock();
        if (buggy(v_)) {
          mu_.lock();  // helper(): locks again
          ++state_;
          mu_.unlock();
        } else {
          ++state_;  // helper_locked()
        }
        mu_.unlock();
        worker_done_.open();
      });
      started_.open();
    });
  }
  bool stuck(const Env& env) const override {
    return env.main_returned() && mu_.waiter_count() == 1;
  }
  int parked_when_stuck() const override { return 1; }

 private:
  Variant v_;
  GoMutex mu_;
  int state_ = 0;
  Gate started_, worker_done_;
};

// ---- Blocking: RWMutex -------------------------------------------------------------
// rwmutex_recursive_rlock: a reader takes RLock, calls a helper that takes
// RLock again; a writer arrived in between. Go's RWMutex blocks new readers
// behind a pending writer, so the second RLock waits for the writer, which
// waits for the first RLock (the study's RWMutex bugs, e.g. in Kubernetes).
// Forced: the reader re-locks only once a writer is pending (try_lock_shared
// fails). Fix: the helper does not re-lock.
class RWMutexRecursiveRLock : public Scenario {
 public:
  explicit RWMutexRecursiveRLock(Variant v) : v_(v) {}
  void start(Env& env) override {
    detector::label(&rw_, "rw");
    detector::label(&wg_, "wg");
    env.go_main([this, &env] {
      wg_.add(2);
      env.go("reader", [this] {
        rw_.lock_shared();
        has_read_lock_.open();
        // Wait until the writer is pending: then a new RLock must wait.
        while (rw_.try_lock_shared()) {
          rw_.unlock_shared();
          Gate::pause();
        }
        if (buggy(v_)) {
          relocking_.open();
          rw_.lock_shared();  // helper(): RLock again
          rw_.unlock_shared();
        }
        rw_.unlock_shared();
        wg_.done();
      });
      env.go("writer", [this] {
        has_read_lock_.wait();
        rw_.lock();
        rw_.unlock();
        wg_.done();
      });
      wg_.wait();
    });
  }
  bool stuck(const Env&) const override {
    // The writer waits for the one reader, which waits behind the writer.
    // A second RLock asked for while that writer is pending cannot return.
    return relocking_.is_open() && rw_.writer_count() == 1 && rw_.reader_count() == 1;
  }
  int parked_when_stuck() const override { return 3; }

 private:
  Variant v_;
  GoRWMutex rw_;
  WaitGroup wg_;
  Gate has_read_lock_, relocking_;
};

// ---- Blocking: Wait (WaitGroup / Cond) ----------------------------------------------
// waitgroup_missing_done: a worker returns early on an error path without
// calling Done (Docker-style). main's wg.Wait never returns. Fix: defer
// Done (here: a guard object) at the top of the worker.
class WaitGroupMissingDone : public Scenario {
 public:
  explicit WaitGroupMissingDone(Variant v) : v_(v) {}
  void start(Env& env) override {
    detector::label(&wg_, "wg");
    env.go_main([this, &env] {
      wg_.add(2);
      for (int i = 0; i < 2; ++i) {
        env.go("worker" + std::to_string(i), [this, i] {
          const bool failed = i == 1;  // the second worker hits the error path
          if (buggy(v_)) {
            if (failed) return;  // forgot wg.Done()
            wg_.done();
          } else {
            struct DeferDone {
              WaitGroup& wg;
              ~DeferDone() { wg.done(); }
            } d{wg_};
            if (failed) return;
          }
        });
      }
      about_to_wait_.open();
      wg_.wait();
    });
  }
  bool stuck(const Env& env) const override {
    // Every worker has ended and the counter is still above zero: nobody is
    // left to call Done.
    return about_to_wait_.is_open() && env.others_live() == 0 && wg_.counter() > 0;
  }
  int parked_when_stuck() const override { return 1; }

 private:
  Variant v_;
  WaitGroup wg_;
  Gate about_to_wait_;
};

// ---- Blocking: Chan ------------------------------------------------------------------
// chan_timeout_leak: the study's canonical channel bug (Kubernetes' finishReq,
// the paper's Figure 1): a worker sends its result on an unbuffered channel;
// the caller selects on the result and on a timeout/cancellation, gives up,
// returns — the worker blocks on the send forever. Forced: the context is
// cancelled before the select and the worker sends only after the caller
// gave up. Fix: a buffer of one, so the send never waits.
class ChanTimeoutLeak : public Scenario {
 public:
  explicit ChanTimeoutLeak(Variant v) : v_(v), result_(buggy(v) ? 0 : 1) {}
  void start(Env& env) override {
    detector::label(result_.core(), "result");
    env.go_main([this, &env] {
      auto [ctx, cancel] = with_cancel(Context::background());
      env.go("worker", [this] {
        caller_gave_up_.wait();
        result_.send(42);
      });
      cancel();  // the timeout fired (forced: before the result exists)
      Select().recv(result_).recv(ctx.done()).run();
      caller_gave_up_.open();
    });
  }
  bool stuck(const Env& env) const override {
    return env.main_returned() && result_.waiting_senders() == 1;
  }
  int parked_when_stuck() const override { return 1; }

 private:
  Variant v_;
  Chan<int> result_;
  Gate caller_gave_up_;
};

// ---- Blocking: Chan w/ (channel with a lock) -----------------------------------------
// chan_mutex_inversion: a goroutine sends on an unbuffered channel while
// holding a mutex; the receiver must take that mutex before it receives
// (the study's "Chan w/" bugs, e.g. etcd). Forced: the sender holds mu
// before the receiver asks for it. Fix: unlock before sending.
class ChanMutexInversion : public Scenario {
 public:
  explicit ChanMutexInversion(Variant v) : v_(v), ch_(0) {}
  void start(Env& env) override {
    detector::label(&mu_, "mu");
    detector::label(ch_.core(), "ch");
    detector::label(&wg_, "wg");
    // Only these two use ch: the detector may draw the wait-for edge
    // through it (sender -> receiver) and see the circle with mu.
    detector::chan_parties(ch_.core(), "sender", "receiver");
    env.go_main([this, &env] {
      wg_.add(2);
      env.go("sender", [this] {
        mu_.lock();
        holds_mu_.open();
        receiver_ready_.wait();
        if (buggy(v_)) {
          ch_.send(1);
          mu_.unlock();
        } else {
          mu_.unlock();
          ch_.send(1);
        }
        wg_.done();
      });
      env.go("receiver", [this] {
        holds_mu_.wait();
        receiver_ready_.open();
        mu_.lock();
        mu_.unlock();
        (void)ch_.receive();
        wg_.done();
      });
      wg_.wait();
    });
  }
  bool stuck(const Env&) const override {
    return mu_.waiter_count() == 1 && ch_.waiting_senders() == 1;
  }
  int parked_when_stuck() const override { return 3; }

 private:
  Variant v_;
  GoMutex mu_;
  Chan<int> ch_;
  WaitGroup wg_;
  Gate holds_mu_, receiver_ready_;
};

// ---- Blocking: Lib (messaging library) ------------------------------------------------
// context_never_cancelled: a watcher goroutine waits on ctx.Done() to clean
// up; the function that made the context with WithCancel returns without
// calling cancel (go vet's "lostcancel"), so the watcher waits forever.
// Fix: defer cancel().
class ContextNeverCancelled : public Scenario {
 public:
  explicit ContextNeverCancelled(Variant v) : v_(v) {}
  void start(Env& env) override {
    env.go_main([this, &env] {
      auto [ctx, cancel] = with_cancel(Context::background());
      done_ = ctx.done();
      detector::label(done_.core(), "ctx.Done()");
      env.go("watcher", [ctx = ctx] { (void)ctx.done().receive(); });
      if (!buggy(v_)) cancel();  // defer cancel()
    });
  }
  bool stuck(const Env& env) const override {
    return env.main_returned() && done_.waiting_receivers() == 1;
  }
  int parked_when_stuck() const override { return 1; }

 private:
  Variant v_;
  DoneChan done_;
};

// ---- Non-blocking: traditional --------------------------------------------------------
// lost_update: two goroutines do `n++` on shared memory without a lock (the
// study's largest class: atomicity violations). Forced: both read before
// either writes. Fix: a Mutex.
class LostUpdate : public Scenario {
 public:
  explicit LostUpdate(Variant v) : v_(v) {}
  void start(Env& env) override {
    env.go_main([this, &env] {
      env.go("inc1", [this] { increment(&first_read_, nullptr); });
      env.go("inc2", [this] { increment(nullptr, &first_read_); });
    });
  }
  bool stuck(const Env&) const override { return false; }
  int parked_when_stuck() const override { return 0; }
  std::string wrong() const override {
    return n_ == 2 ? "" : "n == " + std::to_string(n_) + " after two increments (lost update)";
  }

 private:
  void increment(Gate* after_read, Gate* before_read) {
    if (before_read != nullptr) before_read->wait();
    if (!buggy(v_)) mu_.lock();
    const int seen = n_;
    if (after_read != nullptr) {
      after_read->open();
      if (buggy(v_)) second_wrote_.wait();  // the other reads and writes meanwhile
    }
    n_ = seen + 1;
    if (before_read != nullptr) second_wrote_.open();
    if (!buggy(v_)) mu_.unlock();
  }
  Variant v_;
  GoMutex mu_;
  int n_ = 0;
  Gate first_read_, second_wrote_;
};

// ---- Non-blocking: anonymous function ---------------------------------------------------
// loop_var_capture: `for i := 0; i < 3; i++ { go func() { use(i) }() }` —
// before Go 1.22 every closure shares the one loop variable, so they see
// its later values (the study's anonymous-function bugs). C++ spelling: a
// lambda capturing the loop variable by reference. Forced: the closures
// read after the loop ended. Fix: pass i as an argument (capture by value).
class LoopVarCapture : public Scenario {
 public:
  explicit LoopVarCapture(Variant v) : v_(v) {}
  void start(Env& env) override {
    env.go_main([this, &env] {
      int i;  // one variable for the whole loop, as in Go < 1.22
      for (i = 0; i < 3; ++i) {
        if (buggy(v_)) {
          env.go("closure", [this, &i] {
            loop_done_.wait();
            record(i);
          });
        } else {
          env.go("closure", [this, i] {
            loop_done_.wait();
            record(i);
          });
        }
      }
      loop_done_.open();
      // main must not return (its frame holds i) before the closures read.
      while (recorded_.load() != 3) Gate::pause();
    });
  }
  bool stuck(const Env&) const override { return false; }
  int parked_when_stuck() const override { return 0; }
  std::string wrong() const override {
    std::lock_guard<std::mutex> g(mu_);
    int sum = 0, mask = 0;
    for (int s : seen_) {
      sum += s;
      if (s >= 0 && s < 3) mask |= 1 << s;
    }
    if (mask == 7) return "";
    std::string r = "closures saw";
    for (int s : seen_) r += " " + std::to_string(s);
    (void)sum;
    return r + " (want 0 1 2 in any order)";
  }

 private:
  void record(int x) {
    std::lock_guard<std::mutex> g(mu_);
    seen_.push_back(x);
    recorded_.fetch_add(1);
  }
  Variant v_;
  mutable std::mutex mu_;  // the zoo's own bookkeeping, not part of the bug
  std::vector<int> seen_;
  std::atomic<int> recorded_{0};
  Gate loop_done_;
};

// ---- Non-blocking: WaitGroup ------------------------------------------------------------
// waitgroup_add_in_goroutine: wg.Add(1) inside the goroutine instead of
// before `go` (etcd, CockroachDB): Wait may run while the counter is still
// 0 and return before the work is done. Forced: the worker's Add comes after
// main's Wait returned. Fix: Add before starting the goroutine.
class WaitGroupAddInGoroutine : public Scenario {
 public:
  explicit WaitGroupAddInGoroutine(Variant v) : v_(v) {}
  void start(Env& env) override {
    env.go_main([this, &env] {
      if (!buggy(v_)) wg_.add(1);
      env.go("worker", [this] {
        may_start_.wait();
        if (buggy(v_)) wg_.add(1);
        result_ = 42;
        wg_.done();
      });
      if (!buggy(v_)) may_start_.open();  // fixed: Wait really waits
      wg_.wait();
      seen_ = result_;
      may_start_.open();  // buggy: the worker only now gets going
    });
  }
  bool stuck(const Env&) const override { return false; }
  int parked_when_stuck() const override { return 0; }
  std::string wrong() const override {
    return seen_ == 42 ? "" : "main read result == " + std::to_string(seen_) + " after Wait";
  }

 private:
  Variant v_;
  WaitGroup wg_;
  int result_ = 0;
  int seen_ = -1;
  Gate may_start_;
};

// ---- Non-blocking: shared-memory library ---------------------------------------------
// atomic_value_lost_update: a library type that is safe per call
// (atomic.Value: Load and Store are atomic) used for a read-modify-write: two
// goroutines Load a config, change it, Store it; one change is lost. No data
// race exists, so race detectors are silent (the study's "lib" bugs were all
// missed by Go's race detector). Forced: both Load before either Stores.
// Fix: CompareAndSwap in a loop.
class AtomicValueLostUpdate : public Scenario {
 public:
  explicit AtomicValueLostUpdate(Variant v) : v_(v) { cfg_.store(0); }
  void start(Env& env) override {
    env.go_main([this, &env] {
      env.go("setA", [this] { add_flag(1, &first_loaded_, nullptr); });
      env.go("setB", [this] { add_flag(2, nullptr, &first_loaded_); });
    });
  }
  bool stuck(const Env&) const override { return false; }
  int parked_when_stuck() const override { return 0; }
  std::string wrong() const override {
    const int f = cfg_.load().value_or(-1);
    return f == 3 ? "" : "flags == " + std::to_string(f) + " after setting 1 and 2 (lost update)";
  }

 private:
  void add_flag(int flag, Gate* after_load, Gate* before_load) {
    if (before_load != nullptr) before_load->wait();
    for (;;) {
      const int old = *cfg_.load();
      if (after_load != nullptr && !after_load->is_open()) {
        after_load->open();
        other_stored_.wait();  // the other loads and stores meanwhile
      }
      if (buggy(v_)) {
        cfg_.store(old | flag);
        break;
      }
      if (cfg_.compare_and_swap(old, old | flag)) break;
    }
    if (before_load != nullptr) other_stored_.open();
  }
  Variant v_;
  AtomicValue<int> cfg_;
  Gate first_loaded_, other_stored_;
};

// ---- Non-blocking: channel misuse -------------------------------------------------------
// chan_double_close: two paths close the same channel (Docker, Kubernetes):
// `select { case <-stop: default: close(stop) }` is check-then-act, both
// pass the check, the second close panics. Forced: both checked before
// either closed. Fix: sync.Once around the close.
class ChanDoubleClose : public Scenario {
 public:
  explicit ChanDoubleClose(Variant v) : v_(v), stop_(0) {}
  void start(Env& env) override {
    env.go_main([this, &env] {
      env.go("stopper1", [this] { stop(&checked1_, &checked2_); });
      env.go("stopper2", [this] { stop(&checked2_, &checked1_); });
    });
  }
  bool stuck(const Env&) const override { return false; }
  int parked_when_stuck() const override { return 0; }
  std::string wrong() const override {
    std::lock_guard<std::mutex> g(mu_);
    return panic_.empty() ? "" : "panic: " + panic_;
  }

 private:
  void stop(Gate* mine, Gate* other) {
    try {
      if (buggy(v_)) {
        const bool already = stop_.try_receive().status == RecvStatus::kClosed;
        mine->open();
        other->wait();  // both have checked
        if (!already) stop_.close();
      } else {
        mine->open();
        other->wait();
        once_.call([this] { stop_.close(); });
      }
    } catch (const ChanPanic& e) {
      std::lock_guard<std::mutex> g(mu_);
      panic_ = e.what();
    }
  }
  Variant v_;
  Chan<int> stop_;
  Once once_;
  mutable std::mutex mu_;  // the zoo's own bookkeeping
  std::string panic_;
  Gate checked1_, checked2_;
};

// ---- Non-blocking: messaging library ------------------------------------------------------
// timeout_zero_fires_at_once: the study's Docker timer bug (its Figure 10
// family): "timeout 0 means no timeout", but the code builds the timer
// anyway — time.NewTimer(0) / WithTimeout(0) is done at once, so the select
// reports a timeout for work that would have succeeded. Fix: no timer (a
// never-done context) when the timeout is 0.
class TimeoutZeroFiresAtOnce : public Scenario {
 public:
  explicit TimeoutZeroFiresAtOnce(Variant v) : v_(v), result_(1) {}
  void start(Env& env) override {
    env.go_main([this, &env] {
      const std::chrono::milliseconds timeout{0};  // configured: 0 = none
      Context ctx = Context::background();
      CancelFunc cancel;
      if (buggy(v_) || timeout.count() > 0) {
        std::tie(ctx, cancel) = with_timeout(Context::background(), timeout);
      }
      env.go("worker", [this] {
        caller_waiting_.wait();
        result_.send(42);
      });
      if (!buggy(v_)) caller_waiting_.open();
      const int fired = Select().recv(result_).recv(ctx.done()).run();
      outcome_ = fired == 0 ? "result" : "timed out";
      caller_waiting_.open();
      cancel();
    });
  }
  bool stuck(const Env&) const override { return false; }
  int parked_when_stuck() const override { return 0; }
  std::string wrong() const override {
    return outcome_ == "result" ? "" : "the call " + outcome_ + " with no timeout configured";
  }

 private:
  Variant v_;
  Chan<int> result_;
  std::string outcome_;
  Gate caller_waiting_;
};

template <class S>
std::unique_ptr<Scenario> make(Variant v) {
  return std::make_unique<S>(v);
}

}  // namespace

const std::vector<Bug>& zoo() {
  static const std::vector<Bug> bugs = {
      // name, category, cause, summary, make, syncscope, tsan, go deadlock, go race,
      // on goroutines (the channel bugs)
      {"mutex_abba", Category::kBlocking, "Mutex",
       "two paths lock A,B and B,A; main waits for both. Fix: one lock order", make<MutexAbba>,
       true, false, true, false, false},
      {"mutex_relock", Category::kBlocking, "Mutex",
       "a helper re-locks the Mutex its caller holds; main goes on. Fix: a *_locked helper",
       make<MutexRelock>, true, false, false, false, false},
      {"rwmutex_recursive_rlock", Category::kBlocking, "RWMutex",
       "RLock twice with a writer pending in between. Fix: no recursive RLock",
       make<RWMutexRecursiveRLock>, true, false, true, false, false},
      {"waitgroup_missing_done", Category::kBlocking, "Wait",
       "an error path returns without wg.Done; Wait never returns. Fix: defer wg.Done",
       make<WaitGroupMissingDone>, true, false, true, false, false},
      {"chan_timeout_leak", Category::kBlocking, "Chan",
       "the receiver gives up on a timeout; the sender blocks on an unbuffered send forever. "
       "Fix: buffer of 1",
       make<ChanTimeoutLeak>, true, false, false, false, true},
      {"chan_mutex_inversion", Category::kBlocking, "Chan w/",
       "send while holding a Mutex the receiver needs first. Fix: unlock before send",
       make<ChanMutexInversion>, true, false, true, false, true},
      {"context_never_cancelled", Category::kBlocking, "Lib",
       "WithCancel without cancel: a goroutine waits on ctx.Done forever. Fix: defer cancel",
       make<ContextNeverCancelled>, true, false, false, false, true},
      {"lost_update", Category::kNonBlocking, "traditional",
       "n++ from two goroutines without a lock. Fix: Mutex", make<LostUpdate>, false, true, false,
       true, false},
      {"loop_var_capture", Category::kNonBlocking, "anonymous",
       "closures capture the loop variable by reference. Fix: pass it by value",
       make<LoopVarCapture>, false, true, false, true, false},
      {"waitgroup_add_in_goroutine", Category::kNonBlocking, "waitgroup",
       "wg.Add inside the goroutine: Wait returns before the work. Fix: Add before go",
       make<WaitGroupAddInGoroutine>, false, true, false, true, false},
      {"atomic_value_lost_update", Category::kNonBlocking, "lib",
       "Load-modify-Store on atomic.Value loses a concurrent Store. Fix: CompareAndSwap loop",
       make<AtomicValueLostUpdate>, false, false, false, false, false},
      {"chan_double_close", Category::kNonBlocking, "chan",
       "check-then-close from two paths: close of closed channel. Fix: sync.Once",
       make<ChanDoubleClose>, false, false, false, false, true},
      {"timeout_zero_fires_at_once", Category::kNonBlocking, "msg lib",
       "timeout 0 meant 'none' but builds a timer that fires at once. Fix: no timer for 0",
       make<TimeoutZeroFiresAtOnce>, false, false, false, false, true},
  };
  return bugs;
}

std::string goroutine_bug_names() {
  std::string s;
  for (const Bug& b : zoo())
    if (b.on_goroutines) s += (s.empty() ? "" : ", ") + std::string(b.name);
  return s;
}

const Bug* find_bug(const std::string& name) {
  for (const Bug& b : zoo())
    if (name == b.name) return &b;
  return nullptr;
}

}  // namespace syncscope::bugs
