// The noisy neighbour of the channels suite: the suite's own low-priority
// busy threads, one pinned to every usable CPU, for the cases named
// .../neighbour:busy (channels.cc).
//
// Why: a channel whose blocked side parks in the kernel hands off fast only
// while its partner is on a CPU. As soon as anything else wants the CPUs —
// even a `nice -n 19` compile — a parked thread may wait a time slice for
// its wake-up, and a design that spins and parks per message collapses
// (issue 11 measured 30x). The neighbour reproduces that condition on
// purpose, in every run the same way, instead of leaving it to chance.
//
// Offers:
//   Neighbour              start() / stop(): one busy thread per CPU of the
//                          process's affinity mask, each pinned there, under
//                          SCHED_IDLE (the lowest class Linux has: it runs
//                          only when nothing else wants the CPU, and the
//                          kernel preempts it at once for a woken task) and
//                          nice 19 (what is left when SCHED_IDLE is refused);
//   Neighbour::policy()    "sched_idle" or "nice19": what the threads got;
//   Neighbour::usage()     CPU seconds and context switches of the busy
//                          threads so far (per-thread CPU clocks and
//                          /proc/self/task/TID/status): the cases subtract
//                          them from their getrusage(RUSAGE_SELF) deltas,
//                          so cpu_ns_per_msg and ctx_switches_per_msg stay
//                          the channel's own.
//
// The Go peer (go/neighbour.go) starts the same neighbour as a child
// process (Go cannot run a busy OS thread outside its P's): same count,
// same pinning, same policy.
//
// A Neighbour is started and stopped by the benchmark thread, outside
// measured loops; stop() (and the destructor) joins every busy thread, so
// nothing outlives a benchmark.
#ifndef SYNCSCOPE_SUITES_CHANNELS_NEIGHBOUR_H_
#define SYNCSCOPE_SUITES_CHANNELS_NEIGHBOUR_H_

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/harness.h"

namespace syncscope::suites::channels {

class Neighbour {
 public:
  struct Usage {
    double cpu_s = 0;
    double ctx_switches = 0;
  };

  Neighbour() = default;
  Neighbour(const Neighbour&) = delete;
  Neighbour& operator=(const Neighbour&) = delete;
  ~Neighbour() { stop(); }

  // Starts one busy thread per usable CPU; returns once every one of them
  // runs pinned with its policy set (so a run starts with the neighbour on).
  void start() {
    stop();
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
      for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
    if (cpus.empty()) cpus.push_back(-1);
    stop_.store(false, std::memory_order_relaxed);
    idle_refused_.store(false, std::memory_order_relaxed);
    slots_.clear();
    for (size_t i = 0; i < cpus.size(); ++i) slots_.push_back(std::make_unique<Slot>());
    for (size_t i = 0; i < cpus.size(); ++i) {
      Slot* s = slots_[i].get();
      const int cpu = cpus[i];
      s->thread = std::thread([this, s, cpu] { spin(*s, cpu); });
    }
    for (auto& s : slots_)
      while (!s->ready.load(std::memory_order_acquire)) std::this_thread::yield();
  }

  // Stops and joins every busy thread. Each is first put back to
  // SCHED_OTHER at nice 0: on a loaded machine a SCHED_IDLE thread may not
  // run for seconds, and it must run once to see the stop flag.
  void stop() {
    for (auto& s : slots_) {
      sched_param p{};
      pthread_setschedparam(s->thread.native_handle(), SCHED_OTHER, &p);
      setpriority(PRIO_PROCESS, static_cast<id_t>(s->tid.load(std::memory_order_acquire)), 0);
    }
    stop_.store(true, std::memory_order_relaxed);
    for (auto& s : slots_)
      if (s->thread.joinable()) s->thread.join();
    slots_.clear();
  }

  bool running() const noexcept { return !slots_.empty(); }
  // The busy threads' ids (left out of the cases' run delay).
  std::vector<pid_t> tids() const {
    std::vector<pid_t> v;
    for (const auto& s : slots_) v.push_back(s->tid.load(std::memory_order_acquire));
    return v;
  }
  int threads() const noexcept { return static_cast<int>(slots_.size()); }
  const char* policy() const noexcept {
    return idle_refused_.load(std::memory_order_relaxed) ? "nice19" : "sched_idle";
  }

  Usage usage() const {
    Usage u;
    for (const auto& s : slots_) {
      timespec ts{};
      clockid_t id;
      if (pthread_getcpuclockid(s->thread.native_handle(), &id) == 0 && clock_gettime(id, &ts) == 0)
        u.cpu_s += static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
      u.ctx_switches += switches_of(s->tid.load(std::memory_order_acquire));
    }
    return u;
  }

 private:
  struct alignas(128) Slot {
    std::thread thread;
    std::atomic<bool> ready{false};
    std::atomic<pid_t> tid{0};
  };

  void spin(Slot& s, int cpu) {
    s.tid.store(static_cast<pid_t>(syscall(SYS_gettid)), std::memory_order_release);
    if (cpu >= 0) pin_to(cpu);
    sched_param p{};
    if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &p) != 0)
      idle_refused_.store(true, std::memory_order_relaxed);
    setpriority(PRIO_PROCESS, static_cast<id_t>(s.tid.load(std::memory_order_relaxed)), 19);
    s.ready.store(true, std::memory_order_release);
    uint64_t n = 0;
    while (!stop_.load(std::memory_order_relaxed)) ++n;
    sink_.fetch_add(n, std::memory_order_relaxed);
  }

  // voluntary + nonvoluntary context switches of one thread of this process.
  static double switches_of(pid_t tid) {
    if (tid == 0) return 0;
    std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/status");
    std::string key;
    double total = 0;
    while (f >> key) {
      if (key == "voluntary_ctxt_switches:" || key == "nonvoluntary_ctxt_switches:") {
        double v = 0;
        f >> v;
        total += v;
      }
    }
    return total;
  }

  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> idle_refused_{false};
  std::atomic<uint64_t> sink_{0};
};

}  // namespace syncscope::suites::channels

#endif  // SYNCSCOPE_SUITES_CHANNELS_NEIGHBOUR_H_
