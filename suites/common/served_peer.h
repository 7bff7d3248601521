// syncscope served peer — the suite's side of a peer program (the Go twin of
// a suite) that the suite starts once and asks, after each benchmark, to run
// that benchmark's twin right away (issue 11). The protocol, whose peer side
// is suites/common/go/gbench/serve.go: one line of compact JSON each way:
//
//   peer -> suite, once    {"ready":true,"peer":"<go version, GOMAXPROCS, ...>"}
//   suite -> peer          {"benchmarks":[ROW, ...]}   one benchmark's iteration rows,
//                                                      as Google Benchmark's JSON
//                                                      reporter writes them
//   peer -> suite          {"ran":["<go run_name>", ...]}  or  {"error":"<one line>"}
//   suite closes stdin;    the peer writes its files, writes nothing more to
//   peer exits 0           stdout and exits 0
//
// Why served and not replayed afterwards: the machine's state (the cache
// line hand-off probe, ~30 ns or ~220 ns) flips for minutes at a time, and a
// peer replaying the suite's plan minutes later ran most of its cases in the
// other state. Asked right after each benchmark, a Go case runs seconds
// after its C++ twin.
//
// Offers:
//   ServedPeer(command)      starts the command (split on single spaces) as an
//                            owned child (ChildProcess::spawn_piped: own process
//                            group, parent-death signal, killed on our fatal
//                            signals and exit), stdin and stdout piped, stderr
//                            ours; waits for the ready line
//   ask(rows) -> ran         one request and its answer
//   finish()                 close stdin, wait for the exit (SIGKILL after the
//                            timeout); a non-zero exit is an error
//   request_row(run)         a Run as the JSON reporter's row (the request's ROW)
//
// Errors: every failure throws PeerError whose what() is ONE line naming what
// happened (and how the peer ended, when it did); suite_main prints it as
// "error: <suite> peer: <what>" and exits 1. After an error the object only
// cleans up: its destructor (and finish() after a failed ask) kill the peer.
//
// Time bounds (a hung peer must not hang the suite): the ready line within
// 120 s, each answer within 30 min (a full-profile Go case takes about a
// minute; 30 min only bounds a hang), the exit within 600 s of stdin closing.
// Every read waits in poll() against its deadline, and writes go through a
// non-blocking descriptor polled alike, so a peer that stops reading its
// stdin cannot block a write for ever either.
//
// Thread safety: none; one thread (suite_main's, through the reporter)
// uses the object.
#ifndef SYNCSCOPE_SUITES_COMMON_SERVED_PEER_H_
#define SYNCSCOPE_SUITES_COMMON_SERVED_PEER_H_

#include <benchmark/benchmark.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <syncscope/etcd/child_process.h>

namespace syncscope::suites {

// The one-line error of a served peer.
class PeerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ServedPeer {
 public:
  // The protocol's bounds (see the top of this file); tests pass shorter ones
  // where a fake peer never answers.
  static constexpr std::chrono::seconds kReadyTimeout{120};
  static constexpr std::chrono::seconds kAnswerTimeout{30 * 60};
  static constexpr std::chrono::seconds kExitTimeout{600};
  struct Timeouts {
    std::chrono::milliseconds ready{kReadyTimeout};
    std::chrono::milliseconds answer{kAnswerTimeout};
    std::chrono::milliseconds exit{kExitTimeout};
  };

  // Starts `command` ("/path/peer -serve -out F ..."; split on single spaces,
  // empty pieces dropped) and waits for its ready line. Throws PeerError.
  explicit ServedPeer(const std::string& command) : ServedPeer(command, Timeouts{}) {}
  ServedPeer(const std::string& command, Timeouts timeouts);
  ~ServedPeer();
  ServedPeer(const ServedPeer&) = delete;
  ServedPeer& operator=(const ServedPeer&) = delete;

  // Sends {"benchmarks": rows} (rows: a JSON array of request_row()s) and
  // waits for the answer: the "ran" names (possibly none). Throws PeerError
  // on {"error":...} (what() is the peer's line), on any other line, on
  // EOF, on a write that fails, or when no answer comes in time.
  std::vector<std::string> ask(const nlohmann::json& rows);

  // Closes the peer's stdin and waits for its exit: status 0 and nothing
  // more on stdout, or PeerError (killed with SIGKILL when it does not exit
  // in time). Called once; the destructor does the killing part otherwise.
  void finish();

  const std::string& command() const noexcept { return command_; }
  // The ready line's "peer" text, on one line.
  const std::string& ready_text() const noexcept { return ready_text_; }
  int requests() const noexcept { return requests_; }  // requests answered
  int go_rows() const noexcept { return go_rows_; }    // names in all "ran" lists
  double seconds() const noexcept { return seconds_; }  // wall time waiting for answers

 private:
  enum class Read { kLine, kEof, kTimeout };
  Read read_line(std::chrono::steady_clock::time_point deadline, std::string* line);
  void write_all(const std::string& data, std::chrono::steady_clock::time_point deadline);
  // "exited with status 3", "killed by signal 9 (Killed)", "still running 10 s later: killed":
  // how the peer ended, after its stdout said EOF (waits a little for it).
  std::string how_it_ended();
  void close_fds() noexcept;

  std::string command_;
  Timeouts timeouts_;
  etcd::ChildProcess child_;
  int to_child_ = -1, from_child_ = -1;  // owned; -1 once closed
  std::string buffered_;                // read from the peer, not yet a line
  std::string ready_text_;
  int requests_ = 0, go_rows_ = 0;
  double seconds_ = 0;
};

// One row of a request: a Run as Google Benchmark 1.7.1's JSONReporter
// writes it (name, family_index, per_family_instance_index, run_name,
// run_type, repetitions, repetition_index, threads, aggregate_name for an
// aggregate, error_occurred/error_message, iterations, real_time and
// cpu_time in time_unit, every counter as a top-level number, label).
// Counters as they are: the runner finishes them (rates, per-iteration
// averages) before any reporter sees the Run. Non-finite numbers are null.
nlohmann::json request_row(const benchmark::BenchmarkReporter::Run& run);

// The command split on single spaces, empty pieces dropped.
std::vector<std::string> split_peer_command(const std::string& command);

}  // namespace syncscope::suites

#endif  // SYNCSCOPE_SUITES_COMMON_SERVED_PEER_H_
