// Tests of FileLock (syncscope/file_lock.h): errors, handles in one process,
// and two processes (fork). Fork notes: every test that forks does so before
// starting any thread of its own; the child only makes system calls and
// FileLock calls (no gtest assertions) and ends with _exit, reporting
// failure through its exit status; a child builds its own FileLock (an
// inherited descriptor would share the parent's lock).

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <syncscope/file_lock.h>

namespace syncscope {
namespace {

using namespace std::chrono_literals;

// A fresh path in the test temp directory, removed at scope exit.
class TempPath {
 public:
  explicit TempPath(const char* tag)
      : path_(::testing::TempDir() + "syncscope_file_lock_" + std::to_string(getpid()) + "_" +
              tag) {
    ::unlink(path_.c_str());
  }
  ~TempPath() { ::unlink(path_.c_str()); }
  const std::string& str() const { return path_; }

 private:
  std::string path_;
};

// Pipe helpers for parent/child hand-shakes (EINTR retried).
struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (::pipe(fd) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  }
  ~Pipe() {
    for (int f : fd) {
      if (f >= 0) ::close(f);
    }
  }
  bool send() const {
    const char c = 'x';
    ssize_t n;
    do n = ::write(fd[1], &c, 1);
    while (n < 0 && errno == EINTR);
    return n == 1;
  }
  bool receive() const {
    char c;
    ssize_t n;
    do n = ::read(fd[0], &c, 1);
    while (n < 0 && errno == EINTR);
    return n == 1;
  }
};

// Exit status of a child, or -1 if it did not exit normally.
int wait_child(pid_t child) {
  int status = 0;
  pid_t r;
  do r = ::waitpid(child, &status, 0);
  while (r < 0 && errno == EINTR);
  if (r != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// The counter stored in a file as a binary int64 at offset 0 (0 if empty).
int64_t read_counter(int fd) {
  int64_t v = 0;
  const ssize_t n = ::pread(fd, &v, sizeof v, 0);
  return n == static_cast<ssize_t>(sizeof v) ? v : 0;
}
bool write_counter(int fd, int64_t v) {
  return ::pwrite(fd, &v, sizeof v, 0) == static_cast<ssize_t>(sizeof v);
}

// Increments the file counter n times under a FileLock of its own; false on
// any I/O error. Read-modify-write with no lock would lose updates.
bool increment_under_lock(const std::string& lock_path, const std::string& counter_path, int n) {
  FileLock lock(lock_path);
  const int fd = ::open(counter_path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = true;
  for (int i = 0; i < n && ok; ++i) {
    std::lock_guard<FileLock> guard(lock);
    const int64_t v = read_counter(fd);
    if (i % 8 == 0) std::this_thread::yield();  // widen the window a race would need
    ok = write_counter(fd, v + 1);
  }
  ::close(fd);
  return ok;
}

TEST(FileLockTest, OpenFailureThrowsWithPath) {
  const std::string bad = "/nonexistent-syncscope-dir/lockfile";
  try {
    FileLock lock(bad);
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
}

TEST(FileLockTest, CreatesTheFile) {
  TempPath p("create");
  ASSERT_NE(::access(p.str().c_str(), F_OK), 0);
  FileLock lock(p.str());
  EXPECT_EQ(::access(p.str().c_str(), F_OK), 0);
  EXPECT_EQ(lock.path(), p.str());
  EXPECT_GE(lock.native_handle(), 0);
}

TEST(FileLockTest, MisuseThrowsSystemError) {
  TempPath p("misuse");
  FileLock lock(p.str());
  try {
    lock.unlock();
    FAIL() << "unlock of a lock not held did not throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::operation_not_permitted);
    EXPECT_NE(std::string(e.what()).find(p.str()), std::string::npos) << e.what();
  }
  lock.lock();
  EXPECT_TRUE(lock.owns_lock());
  try {
    lock.lock();
    FAIL() << "second lock on the same handle did not throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::resource_deadlock_would_occur);
    EXPECT_NE(std::string(e.what()).find(p.str()), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)lock.try_lock(), std::system_error);
  EXPECT_TRUE(lock.owns_lock());
  lock.unlock();
  EXPECT_FALSE(lock.owns_lock());
  EXPECT_THROW(lock.unlock(), std::system_error);
}

// Two handles in one process exclude each other (separate open file
// descriptions), without any thread: try_lock never blocks.
TEST(FileLockTest, TwoHandlesExclude) {
  TempPath p("handles");
  FileLock a(p.str());
  FileLock b(p.str());
  ASSERT_TRUE(a.try_lock());
  EXPECT_FALSE(b.try_lock());
  EXPECT_FALSE(b.try_lock_for(20ms));
  EXPECT_FALSE(b.try_lock_until(std::chrono::steady_clock::now() + 5ms));
  EXPECT_FALSE(b.try_lock_for(-1ms));
  {
    std::unique_lock<FileLock> ul(b, 10ms);  // TimedLockable
    EXPECT_FALSE(ul.owns_lock());
  }
  a.unlock();
  EXPECT_TRUE(b.try_lock_for(1s));
  EXPECT_FALSE(a.try_lock());
  b.unlock();
}

TEST(FileLockTest, DestructorReleases) {
  TempPath p("dtor");
  FileLock b(p.str());
  {
    FileLock a(p.str());
    a.lock();
    EXPECT_FALSE(b.try_lock());
  }
  EXPECT_TRUE(b.try_lock());
  b.unlock();
}

// The seed's scenario: another process holds the lock; TryLock fails,
// LockWithTimeout times out; once it releases, Lock succeeds.
TEST(FileLockTest, HeldByAnotherProcess) {
  TempPath p("cross");
  Pipe child_holds;   // child -> parent: "I hold the lock"
  Pipe parent_done;   // parent -> child: "release it now"
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 0;
    try {
      FileLock lock(p.str());
      lock.lock();
      if (!child_holds.send()) code = 2;
      if (code == 0 && !parent_done.receive()) code = 3;
      lock.unlock();
    } catch (...) {
      code = 4;
    }
    _exit(code);
  }
  ASSERT_TRUE(child_holds.receive());
  FileLock lock(p.str());
  EXPECT_FALSE(lock.try_lock());
  EXPECT_FALSE(lock.try_lock_for(30ms));
  EXPECT_FALSE(lock.owns_lock());
  ASSERT_TRUE(parent_done.send());
  lock.lock();  // blocks until the child releases
  EXPECT_TRUE(lock.owns_lock());
  lock.unlock();
  EXPECT_EQ(wait_child(child), 0);
}

// The same, with the waiter using try_lock_for across the release.
TEST(FileLockTest, TimedLockSucceedsWhenReleased) {
  TempPath p("timed");
  Pipe child_holds;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 0;
    try {
      FileLock lock(p.str());
      lock.lock();
      if (!child_holds.send()) code = 2;
      std::this_thread::sleep_for(20ms);
      lock.unlock();
    } catch (...) {
      code = 4;
    }
    _exit(code);
  }
  ASSERT_TRUE(child_holds.receive());
  FileLock lock(p.str());
  EXPECT_TRUE(lock.try_lock_for(60s));
  lock.unlock();
  EXPECT_EQ(wait_child(child), 0);
}

// A holder that dies without unlocking does not leave the file locked.
TEST(FileLockTest, DeadHolderReleases) {
  TempPath p("dead");
  Pipe child_holds;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      FileLock lock(p.str());
      lock.lock();
      child_holds.send();
    } catch (...) {
    }
    _exit(0);  // no unlock, no destructor
  }
  ASSERT_TRUE(child_holds.receive());
  EXPECT_EQ(wait_child(child), 0);
  FileLock lock(p.str());
  EXPECT_TRUE(lock.try_lock());
  lock.unlock();
}

// Mutual exclusion across processes: parent and child each increment a
// counter stored in a file N times under the lock; the total is exact.
TEST(FileLockTest, MutualExclusionAcrossProcesses) {
  constexpr int kIncrements = 300;
  TempPath lock_path("mx_lock");
  TempPath counter_path("mx_counter");
  {
    const int fd = ::open(counter_path.str().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(write_counter(fd, 0));
    ::close(fd);
  }
  Pipe start;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    bool ok = false;
    try {
      ok = start.receive() && increment_under_lock(lock_path.str(), counter_path.str(),
                                                   kIncrements);
    } catch (...) {
    }
    _exit(ok ? 0 : 1);
  }
  ASSERT_TRUE(start.send());
  EXPECT_TRUE(increment_under_lock(lock_path.str(), counter_path.str(), kIncrements));
  EXPECT_EQ(wait_child(child), 0);
  const int fd = ::open(counter_path.str().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(read_counter(fd), 2 * kIncrements);
  ::close(fd);
}

// Threads of one process, each with its own handle, exclude each other too.
TEST(FileLockTest, MutualExclusionBetweenThreadHandles) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 100;
  TempPath lock_path("th_lock");
  TempPath counter_path("th_counter");
  {
    const int fd = ::open(counter_path.str().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(write_counter(fd, 0));
    ::close(fd);
  }
  std::vector<std::thread> threads;
  std::vector<char> ok(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ok[t] = increment_under_lock(lock_path.str(), counter_path.str(), kIncrements);
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_TRUE(ok[t]) << "thread " << t;
  const int fd = ::open(counter_path.str().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(read_counter(fd), int64_t{kThreads} * kIncrements);
  ::close(fd);
}

}  // namespace
}  // namespace syncscope
