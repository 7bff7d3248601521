// ChildProcess: the owner of child processes (see child_process.h).
//
// The registry is a fixed array of PIDs written with atomics so that the
// signal handler can read it without locks (async-signal-safe: it only calls
// kill(), signal() and raise()).
#include "syncscope/etcd/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <functional>
#include <fstream>
#include <future>
#include <iterator>
#include <cstdlib>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

extern char** environ;

namespace syncscope::etcd {
namespace {

constexpr std::size_t kMaxChildren = 256;
// 0 = free slot; otherwise a PID we started and have not reaped.
std::atomic<pid_t> g_children[kMaxChildren];
std::once_flag g_install_once;
constexpr int kFatalSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT};

void kill_all_registered() noexcept {
  for (auto& slot : g_children) {
    const pid_t p = slot.load(std::memory_order_acquire);
    if (p > 0) ::kill(p, SIGKILL);
  }
}

void on_fatal_signal(int sig) {
  kill_all_registered();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void reap_all_at_exit() {
  kill_all_registered();
  for (auto& slot : g_children) {
    const pid_t p = slot.exchange(0, std::memory_order_acq_rel);
    if (p > 0) {
      int st;
      while (::waitpid(p, &st, 0) < 0 && errno == EINTR) {
      }
    }
  }
}

void install_handlers() {
  for (int sig : kFatalSignals) {
    struct sigaction old {};
    ::sigaction(sig, nullptr, &old);
    // Keep a handler someone else installed (and ignored signals) as they are.
    if (old.sa_handler != SIG_DFL) continue;
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    ::sigaction(sig, &sa, nullptr);
  }
  std::atexit(reap_all_at_exit);
}

void register_child(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t expected = 0;
    if (slot.compare_exchange_strong(expected, pid, std::memory_order_acq_rel)) return;
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  throw std::system_error(std::make_error_code(std::errc::too_many_files_open),
                          "ChildProcess: more than 256 owned children");
}

void unregister_child(pid_t pid) noexcept {
  for (auto& slot : g_children) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return;
  }
}

bool executable(const char* path) { return ::access(path, X_OK) == 0; }

// The parent-death signal fires when the thread that forked the child exits,
// not the process. So every child is spawned by one thread that lives until
// the process ends (leaked on purpose, never joined): a child started from a
// short-lived worker thread is not killed when that worker finishes.
class Spawner {
 public:
  static Spawner& get() {
    static Spawner* s = new Spawner();
    return *s;
  }
  template <class F>
  auto run(F f) -> decltype(f()) {
    if (std::this_thread::get_id() == id_) return f();
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    {
      std::lock_guard<std::mutex> g(mu_);
      q_.emplace_back([&task] { task(); });
    }
    cv_.notify_one();
    return fut.get();
  }

 private:
  Spawner() {
    std::thread t([this] {
      for (;;) {
        std::function<void()> f;
        {
          std::unique_lock<std::mutex> lk(mu_);
          cv_.wait(lk, [this] { return !q_.empty(); });
          f = std::move(q_.front());
          q_.pop_front();
        }
        f();
      }
    });
    id_ = t.get_id();
    t.detach();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;  // guarded by mu_
  std::thread::id id_;
};

}  // namespace

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv,
                                 const std::string& output_path) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess::spawn: empty argv");
  std::call_once(g_install_once, install_handlers);
  Stdio io;
  io.output_path = output_path;
  const pid_t pid = Spawner::get().run([&] { return spawn_here(argv, io); });
  return ChildProcess(pid);
}

ChildProcess ChildProcess::spawn_piped(const std::vector<std::string>& argv,
                                       const std::string& stderr_path_or_inherit, int* to_child,
                                       int* from_child) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess::spawn_piped: empty argv");
  std::call_once(g_install_once, install_handlers);
  // Both pipes close-on-exec at birth (pipe2, not pipe + fcntl): a child
  // another thread spawns meanwhile must not inherit either end, or our
  // child would never see EOF on its stdin while that other child lives.
  // The child gets its two ends as fds 0 and 1 through dup2, which clears
  // the flag on the copies only.
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "ChildProcess: pipe for '" + argv[0] + "'");
  if (::pipe2(out, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(in[0]);
    ::close(in[1]);
    throw std::system_error(e, std::generic_category(), "ChildProcess: pipe for '" + argv[0] + "'");
  }
  Stdio io;
  io.stdin_fd = in[0];
  io.stdout_fd = out[1];
  io.output_path = stderr_path_or_inherit;
  io.inherit_stderr = stderr_path_or_inherit.empty();
  pid_t pid = -1;
  try {
    pid = Spawner::get().run([&] { return spawn_here(argv, io); });
  } catch (...) {
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    throw;
  }
  // The child's ends are the child's now: closing ours is what lets the
  // child see EOF on stdin when we close in[1], and us see EOF on out[0]
  // when the child exits.
  ::close(in[0]);
  ::close(out[1]);
  *to_child = in[1];
  *from_child = out[0];
  return ChildProcess(pid);
}

pid_t ChildProcess::spawn_here(const std::vector<std::string>& argv, const Stdio& io) {
  const std::string& output_path = io.output_path;
  std::vector<std::string> full;
  // setpriv --pdeathsig KILL: the kernel kills the child if we die by SIGKILL.
  if (executable("/usr/bin/setpriv")) full = {"/usr/bin/setpriv", "--pdeathsig", "KILL", "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> cargv;
  for (auto& a : full) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const char* out = output_path.empty() ? "/dev/null" : output_path.c_str();
  if (io.stdout_fd >= 0) {
    // Piped: stdin and stdout are the pipes; stderr is ours or the file.
    posix_spawn_file_actions_adddup2(&fa, io.stdin_fd, 0);
    posix_spawn_file_actions_adddup2(&fa, io.stdout_fd, 1);
    if (!io.inherit_stderr)
      posix_spawn_file_actions_addopen(&fa, 2, out, O_WRONLY | O_CREAT | O_APPEND, 0644);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all_default;
  sigemptyset(&none);
  sigemptyset(&all_default);
  for (int sig : kFatalSignals) sigaddset(&all_default, sig);
  sigaddset(&all_default, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all_default);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  // Block the fatal signals between spawn and registration, so a Ctrl-C in
  // that window cannot leave an unregistered child behind.
  sigset_t block, old;
  sigemptyset(&block);
  for (int sig : kFatalSignals) sigaddset(&block, sig);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, cargv[0], &fa, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw std::system_error(rc, std::generic_category(), "ChildProcess: cannot start '" + argv[0] + "'");
  }
  try {
    register_child(pid);
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (full[0] == "/usr/bin/setpriv") {
    // setpriv sets the parent-death signal, then exec()s the program: until it
    // has, our death would not take the child down. Wait for the exec (a few
    // ms; bounded at 5 s, after which the child runs without the guarantee).
    // A setpriv whose exec failed exits (exit 127) and stays a zombie named
    // "setpriv" until reaped: that ends the wait too.
    for (int i = 0; i < 5000; ++i) {
      std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
      std::string s((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
      const std::size_t open = s.find('('), close = s.rfind(')');
      if (open == std::string::npos || close == std::string::npos || close + 2 >= s.size()) break;
      const std::string name = s.substr(open + 1, close - open - 1);
      const char state = s[close + 2];
      if (name != "setpriv" || state == 'Z' || state == 'X') break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  return pid;
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), status_(o.status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0) kill();
    pid_ = std::exchange(o.pid_, -1);
    status_ = o.status_;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) stop(std::chrono::milliseconds(3000));
}

int ChildProcess::reap(bool block) {
  if (pid_ <= 0) return status_;
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    unregister_child(pid_);
    pid_ = -1;
    status_ = r == -1 ? -1 : st;
  }
  return status_;
}

bool ChildProcess::running() {
  reap(false);
  return pid_ > 0;
}

bool ChildProcess::signal(int sig) {
  if (!running()) return false;
  return ::kill(pid_, sig) == 0;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (!running()) return status_;
  ::kill(pid_, SIGCONT);  // a stopped child cannot act on SIGTERM
  ::kill(pid_, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < until) {
    if (!running()) return status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return kill();
}

int ChildProcess::kill() {
  if (!running()) return status_;
  ::kill(pid_, SIGKILL);
  return reap(true);
}

int ChildProcess::wait() { return reap(true); }

std::size_t owned_child_count() noexcept {
  std::size_t n = 0;
  for (auto& slot : g_children) n += slot.load(std::memory_order_acquire) > 0;
  return n;
}

}  // namespace syncscope::etcd
