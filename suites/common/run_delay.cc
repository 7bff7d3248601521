// See run_delay.h.
#include "common/run_delay.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <string>

namespace syncscope::suites {
namespace {

// Reads a small /proc file whole (schedstat is one short line).
std::optional<std::string> read_small(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[128];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

std::optional<uint64_t> run_delay_at(const char* path) {
  const std::optional<std::string> text = read_small(path);
  if (!text) return std::nullopt;
  return parse_schedstat_run_delay(*text);
}

}  // namespace

std::optional<uint64_t> parse_schedstat_run_delay(std::string_view text) {
  uint64_t v[3] = {};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (uint64_t& x : v) {
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    const auto [next, ec] = std::from_chars(p, end, x);
    if (ec != std::errc() || next == p) return std::nullopt;
    p = next;
  }
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n')) ++p;
  if (p != end) return std::nullopt;
  return v[1];
}

std::optional<uint64_t> thread_run_delay_ns() {
  return run_delay_at("/proc/thread-self/schedstat");
}

std::optional<uint64_t> task_run_delay_ns(pid_t tid) {
  const std::string path = "/proc/self/task/" + std::to_string(tid) + "/schedstat";
  return run_delay_at(path.c_str());
}

std::optional<uint64_t> process_run_delay_ns(const std::vector<pid_t>& exclude) {
  if (!thread_run_delay_ns()) return std::nullopt;  // no schedstats here
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return std::nullopt;
  uint64_t sum = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const pid_t tid = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
    if (std::find(exclude.begin(), exclude.end(), tid) != exclude.end()) continue;
    const std::string path = std::string("/proc/self/task/") + e->d_name + "/schedstat";
    if (const std::optional<uint64_t> d = run_delay_at(path.c_str())) sum += *d;
  }
  ::closedir(dir);
  return sum;
}

}  // namespace syncscope::suites
