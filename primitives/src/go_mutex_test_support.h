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
#ifndef SYNCSCOPE_PRIMITIVES_SRC_GO_MUTEX_TEST_SUPPORT_H_
#define SYNCSCOPE_PRIMITIVES_SRC_GO_MUTEX_TEST_SUPPORT_H_

#include <pthread.h>
#include <sched.h>

#include <chrono>
#include <thread>

namespace syncscope::testing_support {

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

}  // namespace syncscope::testing_support

#endif  // SYNCSCOPE_PRIMITIVES_SRC_GO_MUTEX_TEST_SUPPORT_H_
