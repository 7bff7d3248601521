// syncscope/etcd/child_process.h — ChildProcess: a child process this
// process owns (etcd nodes, peer programs, a test's helper child).
//
// This file offers:
//   ChildProcess::spawn(argv, output_path)   start argv[0] (searched in PATH)
//                                            with stdout+stderr appended to
//                                            output_path ("" = /dev/null)
//   ChildProcess::spawn_piped(argv, stderr_path_or_inherit, &to_child, &from_child)
//                                            the same with stdin and stdout
//                                            connected to pipes this process
//                                            holds (a served peer, a filter)
//   pid(), running(), signal(sig)            inspect / signal (SIGSTOP, SIGCONT, ...)
//   stop(grace) -> exit status               SIGTERM, wait up to grace, then SIGKILL; waits
//   kill() -> exit status                    SIGKILL and wait for the exit
//   wait() -> exit status                    wait for an exit the child makes itself
//   owned_child_count()                      children registered and not yet reaped
//
// Ownership: nothing a run or a test starts outlives it.
//   * every child is registered at spawn and unregistered when reaped; the
//     destructor stops it (SIGTERM, then SIGKILL) and waits for the PID;
//   * on normal exit (atexit) every registered child still running is killed
//     and reaped;
//   * on SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGABRT (an assertion, an
//     uncaught exception) a handler sends SIGKILL to every registered child,
//     then re-raises the signal with its default action;
//   * when this process dies by SIGKILL (no handler can run), the kernel
//     kills the children: each is started through util-linux `setpriv
//     --pdeathsig KILL`, which exec()s the program (same PID). The parent-
//     death signal fires when the *thread* that forked the child ends, so
//     every child is forked by one internal thread that lives as long as the
//     process: spawn() may be called from any thread, even a short-lived one.
// Children run in their own process group, so a terminal's Ctrl-C reaches
// only this process, which then stops them in order.
// Pipes (spawn_piped): the same guarantees; this process's two ends are
// close-on-exec (no other child inherits them, so closing `to_child` is
// EOF for this child alone) and belong to the caller, who closes them.
// Writing to a child that has gone raises SIGPIPE in the writer: block it
// around the write (served_peer.cc does) or ignore it.
//
// Thread safety: spawn/owned_child_count from any thread; one ChildProcess
// object is used by one thread at a time (it is movable, not copyable).
// Errors (spawn failure) throw std::system_error naming the program.
#ifndef SYNCSCOPE_ETCD_CHILD_PROCESS_H_
#define SYNCSCOPE_ETCD_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace syncscope::etcd {

class ChildProcess {
 public:
  ChildProcess() noexcept = default;
  static ChildProcess spawn(const std::vector<std::string>& argv, const std::string& output_path);
  // Starts argv with its stdin reading from *to_child and its stdout
  // writing to *from_child (both set on success, close-on-exec, owned by
  // the caller). stderr: appended to stderr_path_or_inherit, or this
  // process's own stderr when it is "". Throws as spawn() does (and leaves
  // no descriptor open then).
  static ChildProcess spawn_piped(const std::vector<std::string>& argv,
                                  const std::string& stderr_path_or_inherit, int* to_child,
                                  int* from_child);

  ChildProcess(ChildProcess&& o) noexcept;
  ChildProcess& operator=(ChildProcess&& o) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const noexcept { return pid_; }
  // True while the child has not exited (reaps it if it has).
  bool running();
  // kill(pid, sig) if the child is still ours; false when it has been reaped.
  bool signal(int sig);
  // Exit status as from waitpid (use WIFEXITED/WEXITSTATUS/WTERMSIG); -1 if
  // there was no child.
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  int kill();
  int wait();

 private:
  explicit ChildProcess(pid_t pid) noexcept : pid_(pid) {}
  // What the child's fds 0, 1 and 2 are: without pipes (stdout_fd < 0)
  // stdin is /dev/null and stdout+stderr go to output_path; with pipes
  // stdin_fd and stdout_fd become 0 and 1, and stderr goes to output_path
  // unless inherit_stderr.
  struct Stdio {
    int stdin_fd = -1, stdout_fd = -1;
    std::string output_path;  // "" = /dev/null (or inherit, when inherit_stderr)
    bool inherit_stderr = false;
  };
  static pid_t spawn_here(const std::vector<std::string>& argv, const Stdio& io);
  int reap(bool block);
  pid_t pid_ = -1;
  int status_ = -1;
};

std::size_t owned_child_count() noexcept;

}  // namespace syncscope::etcd

#endif  // SYNCSCOPE_ETCD_CHILD_PROCESS_H_
