// Adapters that give real-library locks the Lockable / SharedLockable
// interface the suites use. std::mutex, std::shared_mutex, tbb::spin_mutex,
// tbb::queuing_mutex and tbb::spin_rw_mutex need none (TBB's scoped-lock
// style mutexes also offer lock/unlock/try_lock since oneTBB 2021).
#ifndef SYNCSCOPE_SUITES_COMMON_BASELINES_H_
#define SYNCSCOPE_SUITES_COMMON_BASELINES_H_

#include <pthread.h>

#include <absl/synchronization/mutex.h>
#include <oneapi/tbb/queuing_mutex.h>

#include <cerrno>
#include <system_error>

namespace syncscope::suites {

// absl::Mutex: Lock/Unlock/TryLock and ReaderLock/ReaderUnlock.
class AbslMutex {
 public:
  void lock() { mu_.Lock(); }
  void unlock() { mu_.Unlock(); }
  bool try_lock() { return mu_.TryLock(); }
  void lock_shared() { mu_.ReaderLock(); }
  void unlock_shared() { mu_.ReaderUnlock(); }
  bool try_lock_shared() { return mu_.ReaderTryLock(); }

 private:
  absl::Mutex mu_;
};

// absl::Mutex used only exclusively (so the mutex suites do not pick the
// shared path).
class AbslExclusiveMutex {
 public:
  void lock() { mu_.Lock(); }
  void unlock() { mu_.Unlock(); }
  bool try_lock() { return mu_.TryLock(); }

 private:
  absl::Mutex mu_;
};

// glibc's adaptive mutex (PTHREAD_MUTEX_ADAPTIVE_NP): spins briefly in user
// space before sleeping on a futex.
class PthreadAdaptiveMutex {
 public:
  PthreadAdaptiveMutex() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    int rc = pthread_mutex_init(&mu_, &attr);
    pthread_mutexattr_destroy(&attr);
    if (rc != 0)
      throw std::system_error(rc, std::generic_category(), "pthread_mutex_init(adaptive)");
  }
  ~PthreadAdaptiveMutex() { pthread_mutex_destroy(&mu_); }
  PthreadAdaptiveMutex(const PthreadAdaptiveMutex&) = delete;
  PthreadAdaptiveMutex& operator=(const PthreadAdaptiveMutex&) = delete;
  void lock() { pthread_mutex_lock(&mu_); }
  void unlock() { pthread_mutex_unlock(&mu_); }
  bool try_lock() { return pthread_mutex_trylock(&mu_) == 0; }

 private:
  pthread_mutex_t mu_;
};

// tbb::queuing_mutex (an MCS-style queue lock) is scoped-lock only: the
// scoped_lock object is the waiter's queue node. The adapter keeps one node
// per thread, so a thread may hold at most one TbbQueuingMutex at a time —
// enough for the suites, which use one lock per run.
class TbbQueuingMutex {
 public:
  void lock() { node().acquire(mu_); }
  bool try_lock() { return node().try_acquire(mu_); }
  void unlock() { node().release(); }

 private:
  static tbb::queuing_mutex::scoped_lock& node() {
    thread_local tbb::queuing_mutex::scoped_lock n;
    return n;
  }
  tbb::queuing_mutex mu_;
};

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_BASELINES_H_
