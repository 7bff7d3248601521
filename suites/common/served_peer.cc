// syncscope served peer — see served_peer.h.
#include "common/served_peer.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <thread>
#include <utility>

namespace syncscope::suites {
namespace {

using Clock = std::chrono::steady_clock;

// A reply line longer than this without a newline is not the protocol's:
// stop buffering it rather than grow without bound.
constexpr size_t kMaxLine = 1 << 20;
// How long a peer whose stdout said EOF may take to exit before we kill it
// (only to name its exit status in the error: it has failed already).
constexpr auto kExitAfterEof = std::chrono::seconds(10);

nlohmann::json number(double v) {
  // Google Benchmark writes NaN / Infinity, which JSON has not: the
  // protocol says null.
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

// "120 s", "0.5 s": a timeout as the error lines say it.
std::string seconds_text(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

// Text from the peer quoted in one of our one-line errors: control
// characters (a newline above all) become spaces, and at most 200 bytes.
std::string one_line(const std::string& s, size_t max = 200) {
  std::string out = s.substr(0, max);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  if (s.size() > max) out += "...";
  return out;
}

std::string status_text(int st) {
  if (WIFEXITED(st)) return "exited with status " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st))
    return "killed by signal " + std::to_string(WTERMSIG(st)) + " (" + strsignal(WTERMSIG(st)) +
           ")";
  return "ended with wait status " + std::to_string(st);
}

int poll_ms(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
}

}  // namespace

std::vector<std::string> split_peer_command(const std::string& command) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= command.size()) {
    size_t end = command.find(' ', start);
    if (end == std::string::npos) end = command.size();
    if (end > start) out.push_back(command.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

nlohmann::json request_row(const benchmark::BenchmarkReporter::Run& run) {
  // Field by field as JSONReporter::PrintRunData (Google Benchmark 1.7.1,
  // src/json_reporter.cc) writes a row; the complexity rows (BigO, RMS) are
  // left out: no suite asks for them, and only iteration rows are sent.
  using Run = benchmark::BenchmarkReporter::Run;
  const bool aggregate = run.run_type == Run::RT_Aggregate;
  nlohmann::json r;
  r["name"] = run.benchmark_name();
  r["family_index"] = run.family_index;
  r["per_family_instance_index"] = run.per_family_instance_index;
  r["run_name"] = run.run_name.str();
  r["run_type"] = aggregate ? "aggregate" : "iteration";
  r["repetitions"] = run.repetitions;
  if (!aggregate) r["repetition_index"] = run.repetition_index;
  r["threads"] = run.threads;
  if (aggregate) {
    r["aggregate_name"] = run.aggregate_name;
    r["aggregate_unit"] = run.aggregate_unit == benchmark::kPercentage ? "percentage" : "time";
  }
  if (run.error_occurred) {
    r["error_occurred"] = true;
    r["error_message"] = run.error_message;
  }
  r["iterations"] = run.iterations;
  if (aggregate && run.aggregate_unit == benchmark::kPercentage) {
    r["real_time"] = number(run.real_accumulated_time);
    r["cpu_time"] = number(run.cpu_accumulated_time);
  } else {
    r["real_time"] = number(run.GetAdjustedRealTime());
    r["cpu_time"] = number(run.GetAdjustedCPUTime());
    r["time_unit"] = benchmark::GetTimeUnitString(run.time_unit);
  }
  // The counters as the reporter gets them: in 1.7.1 the runner has already
  // finished them (CreateRunReport calls internal::Finish: rates divided by
  // the time, kAvgIterations by the iterations), and the JSON reporter
  // writes Counter::value as it is. suites/common/served_peer_test.py checks
  // a request's rows against the --benchmark_out file's.
  for (const auto& [name, c] : run.counters) r[name] = number(c.value);
  if (!run.report_label.empty()) r["label"] = run.report_label;
  return r;
}

ServedPeer::ServedPeer(const std::string& command, Timeouts timeouts)
    : command_(command), timeouts_(timeouts) {
  const std::vector<std::string> argv = split_peer_command(command);
  if (argv.empty()) throw PeerError("empty command");
  try {
    child_ = etcd::ChildProcess::spawn_piped(argv, "", &to_child_, &from_child_);
  } catch (const std::exception& e) {
    throw PeerError(one_line(e.what()));
  }
  try {
    // Non-blocking writes, polled against the answer's deadline: a peer that
    // stops reading cannot block the suite in write() (served_peer.h).
    const int flags = ::fcntl(to_child_, F_GETFL);
    if (flags < 0 || ::fcntl(to_child_, F_SETFL, flags | O_NONBLOCK) != 0)
      throw PeerError(std::string("cannot make its stdin non-blocking: ") + std::strerror(errno));
    std::string line;
    switch (read_line(Clock::now() + timeouts_.ready, &line)) {
      case Read::kTimeout:
        child_.kill();
        throw PeerError("no ready line within " + seconds_text(timeouts_.ready) +
                        " (the peer was killed)");
      case Read::kEof:
        throw PeerError("stdout closed before the ready line; the peer " + how_it_ended());
      case Read::kLine:
        break;
    }
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || j.value("ready", nlohmann::json()) != true || !j.contains("peer") ||
        !j["peer"].is_string())
      throw PeerError("expected the ready line {\"ready\":true,\"peer\":\"...\"}, got: " +
                      one_line(line));
    ready_text_ = one_line(j["peer"].get<std::string>(), 1000);
  } catch (...) {
    close_fds();
    child_.kill();
    throw;
  }
}

ServedPeer::~ServedPeer() {
  // finish() was not called or failed: the peer's results are not wanted.
  close_fds();
  child_.kill();
}

void ServedPeer::close_fds() noexcept {
  for (int* fd : {&to_child_, &from_child_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

ServedPeer::Read ServedPeer::read_line(Clock::time_point deadline, std::string* line) {
  for (;;) {
    const size_t nl = buffered_.find('\n');
    if (nl != std::string::npos) {
      *line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      return Read::kLine;
    }
    if (buffered_.size() > kMaxLine)
      throw PeerError("a line of more than " + std::to_string(kMaxLine) +
                      " bytes on stdout: " + one_line(buffered_));
    if (from_child_ < 0) return Read::kEof;
    pollfd p{from_child_, POLLIN, 0};
    const int r = ::poll(&p, 1, poll_ms(deadline));
    if (r < 0 && errno != EINTR) throw PeerError(std::string("poll: ") + std::strerror(errno));
    if (r <= 0) {
      if (Clock::now() >= deadline) return Read::kTimeout;
      continue;
    }
    char buf[65536];
    const ssize_t n = ::read(from_child_, buf, sizeof buf);
    if (n > 0) {
      buffered_.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      ::close(from_child_);
      from_child_ = -1;
      if (buffered_.empty()) return Read::kEof;
      // A last line without its newline: read it as a line all the same.
      *line = std::move(buffered_);
      buffered_.clear();
      return Read::kLine;
    } else if (errno != EINTR && errno != EAGAIN) {
      throw PeerError(std::string("reading its stdout: ") + std::strerror(errno));
    }
  }
}

void ServedPeer::write_all(const std::string& data, Clock::time_point deadline) {
  // A write to a peer that has exited raises SIGPIPE, whose default action
  // would end the suite without a word. Block it on this thread for the
  // write (a write's SIGPIPE goes to the writing thread), and take back one
  // we caused so that it is not delivered once unblocked: the write's EPIPE
  // says it all.
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  sigset_t pending;
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  int err = 0;
  bool timed_out = false;
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(to_child_, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{to_child_, POLLOUT, 0};
      const int r = ::poll(&p, 1, poll_ms(deadline));
      if (r == 0 && Clock::now() >= deadline) {
        timed_out = true;
        break;
      }
      continue;  // writable, or EINTR, or POLLERR (the next write says which)
    }
    err = errno;
    break;
  }
  if (err == EPIPE && !was_pending) {
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (timed_out) {
    child_.kill();
    throw PeerError("its stdin took no request for " + seconds_text(timeouts_.answer) +
                    " (the peer was killed)");
  }
  if (err != 0)
    throw PeerError(std::string("writing to its stdin: ") + std::strerror(err) + "; the peer " +
                    how_it_ended());
}

std::string ServedPeer::how_it_ended() {
  const auto until = Clock::now() + kExitAfterEof;
  while (child_.running() && Clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (child_.running()) {
    child_.kill();
    return "still running " + seconds_text(kExitAfterEof) + " later: killed";
  }
  return status_text(child_.wait());
}

std::vector<std::string> ServedPeer::ask(const nlohmann::json& rows) {
  if (to_child_ < 0 || from_child_ < 0) throw PeerError("asked after its stdout or stdin closed");
  const int n = requests_ + 1;
  std::string what = "request " + std::to_string(n);
  if (rows.is_array() && !rows.empty() && rows[0].contains("run_name") &&
      rows[0]["run_name"].is_string())
    what += " (" + rows[0]["run_name"].get<std::string>() + ")";
  const auto t0 = Clock::now();
  const auto deadline = t0 + timeouts_.answer;
  // error_handler_t::replace: a label with bytes that are not UTF-8 must not
  // make dump() throw; the peer gets U+FFFD instead.
  const std::string request =
      nlohmann::json{{"benchmarks", rows}}.dump(-1, ' ', false,
                                                nlohmann::json::error_handler_t::replace) +
      "\n";
  write_all(request, deadline);
  std::string line;
  const Read r = read_line(deadline, &line);
  seconds_ += std::chrono::duration<double>(Clock::now() - t0).count();
  if (r == Read::kTimeout) {
    child_.kill();
    throw PeerError("no answer to " + what + " within " + seconds_text(timeouts_.answer) +
                    " (the peer was killed)");
  }
  if (r == Read::kEof)
    throw PeerError("stdout closed before the answer to " + what + "; the peer " + how_it_ended());
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.size() == 1 && j.contains("error") && j["error"].is_string())
    throw PeerError(one_line(j["error"].get<std::string>(), 1000));
  if (j.is_object() && j.size() == 1 && j.contains("ran") && j["ran"].is_array() &&
      std::all_of(j["ran"].begin(), j["ran"].end(),
                  [](const nlohmann::json& e) { return e.is_string(); })) {
    std::vector<std::string> ran = j["ran"].get<std::vector<std::string>>();
    ++requests_;
    go_rows_ += static_cast<int>(ran.size());
    return ran;
  }
  throw PeerError("the answer to " + what +
                  " is neither {\"ran\":[...]} nor {\"error\":\"...\"}: " + one_line(line));
}

void ServedPeer::finish() {
  if (to_child_ >= 0) {
    ::close(to_child_);  // EOF: the peer runs what is pending, writes its files, exits
    to_child_ = -1;
  }
  const auto deadline = Clock::now() + timeouts_.exit;
  // Drain its stdout to EOF (a peer blocked writing to a full pipe would
  // never exit); anything there is a protocol error, said after the status.
  std::string extra, line;
  for (;;) {
    const Read r = read_line(deadline, &line);
    if (r == Read::kEof) break;
    if (r == Read::kTimeout) {
      child_.kill();
      throw PeerError("did not exit within " + seconds_text(timeouts_.exit) +
                      " of its stdin closing (killed)");
    }
    if (extra.empty()) extra = line.empty() ? std::string("(an empty line)") : line;
  }
  while (child_.running() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (child_.running()) {
    child_.kill();
    throw PeerError("closed its stdout but did not exit within " + seconds_text(timeouts_.exit) +
                    " of its stdin closing (killed)");
  }
  const int st = child_.wait();
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    throw PeerError(status_text(st) + " after its stdin closed");
  if (!extra.empty()) throw PeerError("wrote to stdout after its last answer: " + one_line(extra));
}

}  // namespace syncscope::suites
