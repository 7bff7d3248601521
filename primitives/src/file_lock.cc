// FileLock (see syncscope/file_lock.h): everything is a system call, so
// everything is out of line.
#include <syncscope/file_lock.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <thread>
#include <utility>

namespace syncscope {
namespace {

[[noreturn]] void throw_errno(int err, const std::string& path, const char* what) {
  throw std::system_error(err, std::generic_category(),
                          "FileLock(\"" + path + "\"): " + what);
}

// flock with EINTR retried. Returns 0 or the errno of the failure.
int flock_retry(int fd, int op) noexcept {
  for (;;) {
    if (::flock(fd, op) == 0) return 0;
    if (errno != EINTR) return errno;
  }
}

}  // namespace

FileLock::FileLock(std::string path) : path_(std::move(path)) {
  do {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  } while (fd_ < 0 && errno == EINTR);
  if (fd_ < 0) throw_errno(errno, path_, "cannot open");
}

FileLock::~FileLock() {
  // close() drops this description's flock, held or not.
  ::close(fd_);
}

void FileLock::check_not_held(const char* operation) const {
  if (held_) {
    throw_errno(EDEADLK, path_,
                (std::string(operation) + ": this FileLock already holds the lock").c_str());
  }
}

void FileLock::lock() {
  check_not_held("lock");
  if (const int err = flock_retry(fd_, LOCK_EX); err != 0) throw_errno(err, path_, "lock");
  held_ = true;
}

bool FileLock::try_lock() {
  check_not_held("try_lock");
  const int err = flock_retry(fd_, LOCK_EX | LOCK_NB);
  if (err == EWOULDBLOCK) return false;
  if (err != 0) throw_errno(err, path_, "try_lock");
  held_ = true;
  return true;
}

bool FileLock::try_lock_until_steady(std::chrono::steady_clock::time_point deadline) {
  using Clock = std::chrono::steady_clock;
  Clock::duration interval = kMinPollInterval;
  for (;;) {
    if (try_lock()) return true;
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return false;
    // Sleep the interval, but wake at the deadline for one last attempt.
    std::this_thread::sleep_for(std::min<Clock::duration>(interval, deadline - now));
    interval = std::min<Clock::duration>(interval * 2, kMaxPollInterval);
  }
}

void FileLock::unlock() {
  if (!held_) throw_errno(EPERM, path_, "unlock: this FileLock does not hold the lock");
  if (const int err = flock_retry(fd_, LOCK_UN); err != 0) throw_errno(err, path_, "unlock");
  held_ = false;
}

}  // namespace syncscope
