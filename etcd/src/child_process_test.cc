// ChildProcess: start, signal, stop, and the ownership guarantees — a child
// does not outlive its owner when the owner is interrupted (SIGTERM) or killed
// (SIGKILL).
#include "syncscope/etcd/child_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "etcd_test_env.h"

namespace syncscope::etcd {
namespace {

using namespace std::chrono_literals;

bool pid_gone(pid_t pid) {
  // Gone, or a zombie waiting for init to reap it (it no longer runs).
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  if (!f) return true;
  std::string s((std::istreambuf_iterator<char>(f)), {});
  const auto close = s.rfind(')');
  return close == std::string::npos || s.substr(close + 2, 1) == "Z";
}

bool eventually_gone(pid_t pid) {
  for (int i = 0; i < 3000; ++i) {  // bounded: 30 s
    if (pid_gone(pid)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pid_gone(pid);
}

TEST(ChildProcess, StartsStopsAndReportsExitStatus) {
  const std::size_t before = owned_child_count();
  ChildProcess p = ChildProcess::spawn({"sh", "-c", "exit 7"}, "");
  EXPECT_EQ(owned_child_count(), before + 1);
  const int st = p.wait();
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 7);
  EXPECT_FALSE(p.running());
  EXPECT_EQ(owned_child_count(), before);
  EXPECT_FALSE(p.signal(SIGTERM));  // reaped: no longer ours to signal
}

TEST(ChildProcess, StopSendsTermThenWaits) {
  ChildProcess p = ChildProcess::spawn({"sleep", "300"}, "");
  const pid_t pid = p.pid();
  EXPECT_TRUE(p.running());
  const int st = p.stop(5000ms);
  EXPECT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGTERM);
  EXPECT_TRUE(pid_gone(pid));
}

TEST(ChildProcess, StoppedChildIsStillStoppedByStop) {
  ChildProcess p = ChildProcess::spawn({"sleep", "300"}, "");
  ASSERT_TRUE(p.signal(SIGSTOP));
  const int st = p.stop(5000ms);  // SIGCONT + SIGTERM
  EXPECT_TRUE(WIFSIGNALED(st));
}

TEST(ChildProcess, OutputGoesToTheFile) {
  const std::string dir = testing::test_dir("out");
  ChildProcess p = ChildProcess::spawn({"sh", "-c", "echo hello; echo err >&2"}, dir + "/o.log");
  p.wait();
  std::ifstream f(dir + "/o.log");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), "hello\nerr\n");
}

TEST(ChildProcess, MissingProgramIsAClearError) {
  ChildProcess p;
  bool threw = false;
  try {
    p = ChildProcess::spawn({"/nonexistent/syncscope-no-such-program"}, "");
  } catch (const std::system_error& e) {
    threw = true;
    EXPECT_NE(std::string(e.what()).find("syncscope-no-such-program"), std::string::npos);
  }
  if (!threw) {
    // Started through setpriv: the exec fails in the child (exit 127).
    const int st = p.wait();
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 127) << st;
  }
  EXPECT_THROW(ChildProcess::spawn({}, ""), std::invalid_argument);
}

TEST(ChildProcess, DestructorStopsTheChild) {
  pid_t pid;
  {
    ChildProcess p = ChildProcess::spawn({"sleep", "300"}, "");
    pid = p.pid();
  }
  EXPECT_TRUE(pid_gone(pid));
}

TEST(ChildProcess, SpawnedFromAShortLivedThreadSurvivesTheThread) {
  ChildProcess p;
  std::thread([&] { p = ChildProcess::spawn({"sleep", "300"}, ""); }).join();
  // The parent-death signal is tied to the internal spawner thread, not to
  // the finished worker: the child must still run.
  EXPECT_TRUE(p.running());
  p.kill();
}

// Reads `fd` to EOF (a test's child is short-lived; bounded by its exit).
std::string read_all(int fd) {
  std::string out;
  char buf[256];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return out;
    }
  }
}

TEST(ChildProcess, PipedChildReadsStdinAndWritesStdout) {
  const std::string dir = testing::test_dir("piped");
  const std::size_t before = owned_child_count();
  int to = -1, from = -1;
  ChildProcess p = ChildProcess::spawn_piped(
      {"sh", "-c", "read line; echo \"got $line\"; echo to-stderr >&2; exit 4"}, dir + "/err.log",
      &to, &from);
  EXPECT_EQ(owned_child_count(), before + 1);  // registered as every child is
  // Ours are close-on-exec; the child's ends are not ours to hold.
  EXPECT_TRUE(::fcntl(to, F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(::fcntl(from, F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(::write(to, "ping\n", 5), 5);
  ::close(to);
  EXPECT_EQ(read_all(from), "got ping\n");  // EOF once the child exits
  ::close(from);
  const int st = p.wait();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 4) << st;
  EXPECT_EQ(owned_child_count(), before);
  std::ifstream f(dir + "/err.log");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), "to-stderr\n");
}

TEST(ChildProcess, PipedChildSeesEofThoughAnotherChildStartedLater) {
  // The write end of the piped child's stdin must not leak into a child
  // spawned after it (close-on-exec): if it did, `cat` would wait for EOF
  // as long as the sleeper lives.
  int to = -1, from = -1;
  ChildProcess cat = ChildProcess::spawn_piped({"cat"}, "", &to, &from);
  ChildProcess sleeper = ChildProcess::spawn({"sleep", "300"}, "");
  ASSERT_EQ(::write(to, "x\n", 2), 2);
  ::close(to);
  EXPECT_EQ(read_all(from), "x\n");
  ::close(from);
  const int st = cat.wait();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  EXPECT_TRUE(sleeper.running());
  sleeper.kill();
}

TEST(ChildProcess, PipedChildIsStoppedByTheDestructor) {
  pid_t pid;
  int to = -1, from = -1;
  {
    ChildProcess p = ChildProcess::spawn_piped({"sleep", "300"}, "", &to, &from);
    pid = p.pid();
  }
  EXPECT_TRUE(pid_gone(pid));
  ::close(to);
  ::close(from);
  EXPECT_THROW(ChildProcess::spawn_piped({}, "", &to, &from), std::invalid_argument);
}

// Child role: spawns `sleep 300` as its own owned child, writes its PID, and
// waits to be signalled.
SYNCSCOPE_ETCD_TEST_ROLE(owner) {
  ChildProcess p = ChildProcess::spawn({"sleep", "300"}, "");
  {
    std::ofstream(args.at(0) + ".tmp") << p.pid();
  }
  std::rename((args.at(0) + ".tmp").c_str(), args.at(0).c_str());
  std::this_thread::sleep_for(300s);
  return 0;
}

pid_t grandchild_of(const std::string& file) {
  for (int i = 0; i < 3000; ++i) {
    std::ifstream f(file);
    pid_t pid = 0;
    if (f >> pid && pid > 0) return pid;
    std::this_thread::sleep_for(10ms);
  }
  return 0;
}

TEST(ChildProcess, InterruptedOwnerTakesItsChildrenDown) {
  for (int sig : {SIGTERM, SIGINT, SIGKILL}) {
    const std::string dir = testing::test_dir("owner" + std::to_string(sig));
    ChildProcess owner = testing::spawn_role("owner", {dir + "/pid"}, dir + "/log");
    const pid_t grandchild = grandchild_of(dir + "/pid");
    ASSERT_GT(grandchild, 0) << "signal " << sig;
    ASSERT_FALSE(pid_gone(grandchild));
    owner.signal(sig);
#if defined(__SANITIZE_THREAD__)
    // ThreadSanitizer (gcc 12) sometimes loses a signal sent to an instrumented
    // process: the owner went on sleeping, the kernel's disposition reset
    // (SA_RESETHAND fired, so the runtime's handler got it), ours never run
    // (the runtime's table still held it; ours would have set SIG_DFL there),
    // nothing pending: 25 of at most 2000 runs of this test, SIGINT and SIGTERM,
    // 6 at once beside two busy loops; CI timed out on it once. The Release
    // build lost none in about 600 runs alike. Send it again after 10 s: the
    // default action then ends the owner, and the parent-death signal its child.
    for (int resend = 0; resend < 3 && sig != SIGKILL; ++resend) {
      for (int i = 0; i < 1000 && owner.running(); ++i) std::this_thread::sleep_for(10ms);
      if (!owner.running()) break;
      std::fprintf(stderr, "signal %d lost by the sanitizer's runtime: sent again\n", sig);
      owner.signal(sig);
    }
#endif
    const int st = owner.wait();
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == sig) << "signal " << sig << ": status " << st;
    // SIGTERM/SIGINT: the owner's handler kills it; SIGKILL: the kernel's
    // parent-death signal does.
    EXPECT_TRUE(eventually_gone(grandchild))
        << "signal " << sig << ": " << [&] {
             std::ifstream f("/proc/" + std::to_string(grandchild) + "/status");
             std::stringstream ss;
             ss << f.rdbuf();
             return ss.str().substr(0, 400);
           }();
  }
}

}  // namespace
}  // namespace syncscope::etcd
