// syncscope/file_lock.h — FileLock: a cross-process advisory lock on a file
// (flock(2)), the seed's "FileLock" (github.com/juju/fslock).
//
// This file offers:
//   class FileLock    Lockable and TimedLockable: lock(), try_lock(),
//                     try_lock_for(d), try_lock_until(t), unlock(); plus
//                     owns_lock(), path(), native_handle(). Named limits
//                     kMinPollInterval, kMaxPollInterval.
//
// Go (juju/fslock) names -> C++:
//   New(filename)             -> FileLock(path)  (opens at construction: an
//                                open error is reported here, not at Lock)
//   Lock() error              -> lock()
//   TryLock() error           -> try_lock() -> bool (ErrLocked -> false)
//   LockWithTimeout(d) error  -> try_lock_for(d) -> bool (ErrTimeout -> false)
//   Unlock() error            -> unlock()
// Other errors, returned as `error` in Go, throw std::system_error whose
// what() names the path.
//
// Semantics. FileLock(path) opens (creating if needed, mode 0666 & ~umask)
// the file and keeps the descriptor; the lock is flock(fd, LOCK_EX) on it.
// flock locks belong to the *open file description*: two FileLock objects —
// in different processes or in the same one — exclude each other, because
// each opened the file itself. One FileLock object is one lock handle: it is
// not itself a mutex between the threads of a process (flock on a
// description that already holds the lock succeeds again), so it must not be
// used by two threads at once; give each thread its own FileLock. For the
// same reason, a child created by fork() shares its parent's descriptors:
// it must construct its own FileLock rather than use an inherited one. The
// descriptor is opened O_CLOEXEC (exec'd programs do not inherit it). The
// lock is advisory (it binds only processes that take it) and is released
// by unlock(), by the destructor, or by the kernel when the process dies —
// a crashed holder never leaves the file locked.
//
// Timeouts: try_lock_for/try_lock_until poll flock(LOCK_EX | LOCK_NB) with
// exponential backoff: sleep kMinPollInterval after the first failure,
// doubling up to kMaxPollInterval, never past the deadline, and one last
// attempt at the deadline. Not a helper thread blocked in flock(LOCK_EX) (as
// juju/fslock does with a goroutine): such a thread cannot be cancelled, so
// after a timeout it would still acquire the lock later and have to release
// it again, holding up other processes in between. The cost of polling: a
// release can go unnoticed for up to kMaxPollInterval, and a waiter that
// polls can be overtaken indefinitely by waiters blocked in lock().
//
// Fairness and starvation: the kernel's. Linux wakes all flock waiters of a
// file when it is released and the first to run takes it: no FIFO order, no
// starvation guarantee, and pollers (try_lock_for) lose to blocked waiters.
//
// Memory ordering: taking and releasing a flock are system calls that the
// kernel serializes under its own lock, so everything a process wrote before
// unlock() (to a file or to MAP_SHARED memory) is visible to the next holder
// after its lock() returns. ThreadSanitizer does not see this edge: it
// cannot be relied on for data shared between threads of one process under
// ThreadSanitizer.
//
// Legal operations (per FileLock object):
//   state           lock / try_lock / try_lock_for     unlock
//   not held        acquire (wait / fail / time out)    throws std::system_error
//                                                       (EPERM: not held)
//   held by it      throws std::system_error            releases
//                   (EDEADLK: would wait for itself)
// Errors from open/flock (EACCES, ENOLCK, EBADF, ...) throw std::system_error
// carrying errno and the path; EINTR is retried.

#ifndef SYNCSCOPE_FILE_LOCK_H_
#define SYNCSCOPE_FILE_LOCK_H_

#include <chrono>
#include <string>

namespace syncscope {

class FileLock {
 public:
  // Polling schedule of try_lock_for/try_lock_until (see "Timeouts").
  static constexpr std::chrono::microseconds kMinPollInterval{100};
  static constexpr std::chrono::microseconds kMaxPollInterval{10'000};
  static_assert(kMinPollInterval.count() > 0 && kMinPollInterval <= kMaxPollInterval,
                "poll intervals out of order");

  // Opens `path` read-write, creating it if missing. Throws std::system_error
  // (errno, message naming the path) if it cannot be opened.
  explicit FileLock(std::string path);
  // Closes the descriptor, which releases the lock if it is held.
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // lock(): blocks in flock(LOCK_EX) until this handle holds the lock.
  void lock();

  // try_lock(): flock(LOCK_EX | LOCK_NB): true if acquired, false if another
  // handle holds the lock. Never waits.
  bool try_lock();

  // try_lock_for(d): acquire within d (polling, see "Timeouts"); false on
  // timeout. d <= 0 is a try_lock().
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d) {
    using Clock = std::chrono::steady_clock;
    if (d <= d.zero()) return try_lock();
    const auto now = Clock::now();
    const std::chrono::duration<long double> left = Clock::time_point::max() - now;
    if (std::chrono::duration<long double>(d) >= left) {
      return try_lock_until_steady(Clock::time_point::max());
    }
    return try_lock_until_steady(now + std::chrono::ceil<Clock::duration>(d));
  }

  // try_lock_until(t): try_lock_for(t - Clock::now()); the deadline is
  // converted to the steady clock once (later jumps of a non-steady Clock
  // are not followed).
  template <class Clock, class Duration>
  bool try_lock_until(std::chrono::time_point<Clock, Duration> t) {
    return try_lock_for(t - Clock::now());
  }

  // unlock(): flock(LOCK_UN). Throws std::system_error (EPERM) if this
  // handle does not hold the lock.
  void unlock();

  // owns_lock(): this handle holds the lock.
  bool owns_lock() const noexcept { return held_; }
  // path(): the path given to the constructor.
  const std::string& path() const noexcept { return path_; }
  // native_handle(): the open descriptor.
  int native_handle() const noexcept { return fd_; }

 private:
  // The polling loop (file_lock.cc).
  bool try_lock_until_steady(std::chrono::steady_clock::time_point deadline);
  // Throws EDEADLK if this handle already holds the lock.
  void check_not_held(const char* operation) const;

  std::string path_;  // as given; fixed
  int fd_ = -1;       // open from construction to destruction; fixed
  // This handle holds the flock. Written and read only by the thread using
  // the handle (a FileLock is not shared between threads).
  bool held_ = false;
};

}  // namespace syncscope

#endif  // SYNCSCOPE_FILE_LOCK_H_
