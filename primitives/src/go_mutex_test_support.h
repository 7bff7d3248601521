// Test-only helpers shared by sema_test.cc and the go_mutex*_test.cc files.
//
//   eventually(pred)        polls pred until it holds; false only after a
//                           generous hang guard (never a timing assertion).
//   SchedulingControl       puts test threads on one CPU, the "victim" at
//                           SCHED_IDLE, so that a running thread
//                           deterministically wins a race against a thread it
//                           has just woken (the woken one cannot preempt it,
//                           and cannot run elsewhere). Used to reach states
//                           such as "the woken waiter finds the lock taken
//                           again" without depending on wake-up latency,
//                           which in a VM often lets the woken thread win.
//   current_tid()           the calling thread's kernel id.
//   SleepProbe              lets a test wait until another thread is asleep
//                           in the kernel, i.e. really parked, not merely
//                           counted: see "Counted is not queued" below.
//   use_safe_death_test_style()
//                           under ThreadSanitizer, death tests re-execute the
//                           binary ("threadsafe") instead of forking.
//
// Counted is not queued. Sema::waiters() (so every parked_count() built on
// it) is incremented when a thread enters the slow path, before it links
// itself into the wait queue and parks; a thread can be descheduled between
// the two for as long as the scheduler likes. A test that needs the queue
// order (who gets a hand-off, FIFO among waiters) must therefore wait until
// each waiter is asleep before it starts the next one or releases.
#ifndef SYNCSCOPE_PRIMITIVES_SRC_GO_MUTEX_TEST_SUPPORT_H_
#define SYNCSCOPE_PRIMITIVES_SRC_GO_MUTEX_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace syncscope::testing_support {

// ThreadSanitizer runs a background thread, and forking a multi-threaded
// process (gtest's default "fast" death-test style) is unsafe: re-execute
// the test binary instead ("threadsafe") there. Call first in a death test.
inline void use_safe_death_test_style() {
#if defined(SYNCSCOPE_TSAN)
  GTEST_FLAG_SET(death_test_style, "threadsafe");
#endif
}

template <class Pred>
bool eventually(Pred pred, std::chrono::seconds guard = std::chrono::seconds(60)) {
  const auto end = std::chrono::steady_clock::now() + guard;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return true;
}

class SchedulingControl {
 public:
  // Remembers the calling thread's CPU mask and picks its first CPU.
  SchedulingControl() {
    CPU_ZERO(&original_);
    if (pthread_getaffinity_np(pthread_self(), sizeof original_, &original_) != 0) return;
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &original_)) {
        cpu_ = c;
        break;
      }
    }
  }
  // Restores the calling thread's mask (the constructing thread's).
  ~SchedulingControl() {
    if (pinned_self_) pthread_setaffinity_np(pthread_self(), sizeof original_, &original_);
  }
  SchedulingControl(const SchedulingControl&) = delete;
  SchedulingControl& operator=(const SchedulingControl&) = delete;

  // Pins the calling thread to the chosen CPU (call from the constructing
  // thread: the destructor restores it). False if the OS refused.
  bool pin_self() {
    pinned_self_ = pin_current_thread();
    return pinned_self_;
  }
  // For a victim thread: same CPU and SCHED_IDLE, so it runs only when the
  // pinned normal-priority threads sleep.
  bool pin_as_idle_victim() const {
    sched_param p{};
    const bool idle = pthread_setschedparam(pthread_self(), SCHED_IDLE, &p) == 0;
    return pin_current_thread() && idle;
  }
  // Pins the calling thread (one that will end: nothing is restored).
  bool pin_current_thread() const {
    if (cpu_ < 0) return false;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu_, &one);
    return pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
  }

 private:
  cpu_set_t original_;
  int cpu_ = -1;
  bool pinned_self_ = false;
};

// The kernel's id of the calling thread: its /proc/self/task/ entry. Under
// qemu-user, guest threads are host threads and this is the host id.
inline pid_t current_tid() noexcept { return static_cast<pid_t>(::syscall(SYS_gettid)); }

// Watches one thread until it is asleep in the kernel.
//
// The watched thread calls arm() just before the call that may block. The
// watcher calls wait_asleep() (or asleep() inside its own `eventually`): true
// once the thread is seen in state S twice, kPause apart, with its count of
// voluntary context switches unchanged — one and the same sleep, not a
// thread that happened to be between two short sleeps. still_in_same_sleep()
// then tells whether it has slept on since (e.g. a timed waiter that has not
// timed out yet).
//
// Why this means "parked": between "counted" and "queued" a waiter can only
// sleep on a lock held by another thread of the same primitive; the tests
// that use this start waiters one at a time, each after the previous one is
// asleep in its wait (where it holds nothing), so the only sleep left is the
// wait itself. (A runtime's internal lock — ThreadSanitizer's, qemu's — is
// not held across kPause by a thread that is itself waiting here.)
class SleepProbe {
 public:
  static constexpr std::chrono::milliseconds kPause{2};

  // From the watched thread, before the blocking call.
  void arm() noexcept { tid_.store(current_tid(), std::memory_order_release); }

  // From the watcher: one check (takes kPause). Remembers the sleep seen.
  bool asleep() {
    const pid_t tid = tid_.load(std::memory_order_acquire);
    if (tid == 0) return false;
    Status a;
    if (!read(tid, a) || !a.sleeping) return false;
    std::this_thread::sleep_for(kPause);
    Status b;
    if (!read(tid, b) || !b.sleeping || b.voluntary_switches != a.voluntary_switches) return false;
    sleep_id_ = b.voluntary_switches;
    seen_ = true;
    return true;
  }

  // From the watcher: polls asleep() under the usual hang guard.
  bool wait_asleep() {
    return eventually([&] { return asleep(); });
  }

  // From the watcher, after asleep() returned true: the thread has not
  // woken since (it is still in the sleep asleep() saw).
  bool still_in_same_sleep() const {
    const pid_t tid = tid_.load(std::memory_order_acquire);
    Status now;
    return seen_ && read(tid, now) && now.sleeping && now.voluntary_switches == sleep_id_;
  }

 private:
  struct Status {
    bool sleeping = false;               // "State:\tS (sleeping)"
    unsigned long long voluntary_switches = 0;  // +1 each time it goes to sleep
  };

  // Parses /proc/self/task/<tid>/status; false if unreadable (thread gone).
  static bool read(pid_t tid, Status& out) {
    std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/status");
    if (!in) return false;
    bool have_state = false;
    bool have_switches = false;
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("State:", 0) == 0) {
        const std::size_t c = line.find_first_not_of(" \t", 6);
        out.sleeping = c != std::string::npos && line[c] == 'S';
        have_state = true;
      } else if (line.rfind("voluntary_ctxt_switches:", 0) == 0) {
        out.voluntary_switches = std::stoull(line.substr(24));
        have_switches = true;
      }
    }
    return have_state && have_switches;
  }

  std::atomic<pid_t> tid_{0};        // written once by the watched thread
  unsigned long long sleep_id_ = 0;  // watcher only: the sleep asleep() saw
  bool seen_ = false;                // watcher only
};

}  // namespace syncscope::testing_support

#endif  // SYNCSCOPE_PRIMITIVES_SRC_GO_MUTEX_TEST_SUPPORT_H_
