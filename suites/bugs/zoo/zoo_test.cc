// Tests of the bug zoo: every buggy version misbehaves on every run, every
// fixed version never does, and the detectors' verdicts are the expected
// ones: syncscope's blocking-bug detector reports every buggy blocking
// reproduction and nothing on any fixed version; under ThreadSanitizer
// (this test built with -fsanitize=thread) exactly the racy buggy versions
// are reported. The channel bugs again on syncscope's goroutines
// (--goroutines): same outcomes, same detector verdicts, the parties named
// as goroutines. Each run is a child process (bugs_zoo_run): a blocked
// program ends with its process.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include <vector>

#include "zoo.h"

namespace syncscope::bugs {
namespace {

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout: the verdict line
  std::string err;  // stderr: sanitizer reports
};

RunResult run_zoo(const std::string& args) {
  char tmpl[] = "/tmp/bugs_zoo_test.XXXXXX";
  const int fd = mkstemp(tmpl);
  EXPECT_GE(fd, 0);
  close(fd);
  // The runner reports a race and goes on to its verdict, whatever
  // TSAN_OPTIONS the test itself runs under (./run.sh test halts on the
  // first report); its exit code is still 66 when TSan reported.
  const std::string cmd = std::string("TSAN_OPTIONS='halt_on_error=0 report_thread_leaks=0' '") +
                          BUGS_ZOO_RUN + "' " + args + " 2>" + tmpl;
  RunResult r;
  FILE* p = popen(cmd.c_str(), "r");
  EXPECT_NE(p, nullptr);
  char buf[4096];
  while (p != nullptr && fgets(buf, sizeof buf, p) != nullptr) r.out += buf;
  const int st = p == nullptr ? -1 : pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  std::ifstream f(tmpl);
  std::stringstream ss;
  ss << f.rdbuf();
  r.err = ss.str();
  std::remove(tmpl);
  return r;
}

std::string field(const std::string& json, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  const auto i = json.find(k);
  if (i == std::string::npos) return "<missing " + key + ">";
  const auto start = i + k.size();
  if (json[start] == '"') return json.substr(start + 1, json.find('"', start + 1) - start - 1);
  return json.substr(start, json.find_first_of(",}", start) - start);
}

std::string findings(const std::string& json) {
  const auto i = json.find("\"findings\":[");
  if (i == std::string::npos) return "<missing findings>";
  const auto s = i + 12;
  return json.substr(s, json.find(']', s) - s);
}

#if defined(SYNCSCOPE_TSAN)
constexpr bool kTsan = true;
#else
constexpr bool kTsan = false;
#endif

bool raced(const RunResult& r) {
  return r.exit_code == 66 &&
         r.err.find("WARNING: ThreadSanitizer: data race") != std::string::npos;
}

class ZooTest : public ::testing::TestWithParam<Bug> {};
}  // namespace

// gtest prints a parameter through PrintTo: the bug's name, not its bytes.
void PrintTo(const Bug& b, std::ostream* os) { *os << b.name; }

namespace {

TEST_P(ZooTest, BuggyVersionMisbehavesEveryRun) {
  const Bug& b = GetParam();
  const RunResult r = run_zoo(std::string("run ") + b.name + " buggy");
  EXPECT_EQ(field(r.out, "outcome"), b.category == Category::kBlocking ? "blocked" : "wrong")
      << r.out << r.err;
  if (kTsan) {
    EXPECT_EQ(raced(r), b.thread_sanitizer) << r.err;
    EXPECT_EQ(r.exit_code, b.thread_sanitizer ? 66 : 0) << r.err;
  } else {
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
}

TEST_P(ZooTest, FixedVersionIsCorrectAndRaceFree) {
  const Bug& b = GetParam();
  const RunResult r = run_zoo(std::string("run ") + b.name + " fixed");
  EXPECT_EQ(field(r.out, "outcome"), "ok") << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;  // under TSan: no race reported
}

TEST_P(ZooTest, DetectorReportsBuggyBlockingVersionsOnly) {
  const Bug& b = GetParam();
  const RunResult r = run_zoo(std::string("run ") + b.name + " buggy --detector");
  EXPECT_EQ(field(r.out, "detector"), "on");
  EXPECT_EQ(!findings(r.out).empty(), b.syncscope_detector) << r.out;
  if (b.syncscope_detector) {
    EXPECT_NE(field(r.out, "finding_text"), "") << r.out;
  }
}

TEST_P(ZooTest, DetectorIsSilentOnFixedVersion) {
  const Bug& b = GetParam();
  const RunResult r = run_zoo(std::string("run ") + b.name + " fixed --detector");
  EXPECT_EQ(field(r.out, "outcome"), "ok") << r.out;
  EXPECT_EQ(findings(r.out), "") << r.out;
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooTest, ::testing::ValuesIn(zoo()),
                         [](const ::testing::TestParamInfo<Bug>& i) {
                           return std::string(i.param.name);
                         });

// ---- the channel bugs on goroutines ------------------------------------------------
std::vector<Bug> goroutine_bugs() {
  std::vector<Bug> out;
  for (const Bug& b : zoo())
    if (b.on_goroutines) out.push_back(b);
  return out;
}

class ZooGoroutineTest : public ::testing::TestWithParam<Bug> {};

TEST_P(ZooGoroutineTest, BuggyVersionMisbehavesEveryRun) {
  const Bug& b = GetParam();
  const RunResult r = run_zoo(std::string("run ") + b.name + " buggy --goroutines");
  EXPECT_EQ(field(r.out, "runtime"), "goroutines") << r.out;
  EXPECT_EQ(field(r.out, "outcome"), b.category == Category::kBlocking ? "blocked" : "wrong")
      << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;  // the channel bugs race nowhere (also under TSan)
}

TEST_P(ZooGoroutineTest, FixedVersionIsCorrect) {
  const Bug& b = GetParam();
  const RunResult r = run_zoo(std::string("run ") + b.name + " fixed --goroutines");
  EXPECT_EQ(field(r.out, "outcome"), "ok") << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_P(ZooGoroutineTest, DetectorReportsBuggyBlockingVersionsNamingGoroutines) {
  const Bug& b = GetParam();
  const RunResult r = run_zoo(std::string("run ") + b.name + " buggy --detector --goroutines");
  EXPECT_EQ(field(r.out, "detector"), "on");
  EXPECT_EQ(!findings(r.out).empty(), b.syncscope_detector) << r.out;
  if (b.syncscope_detector) {
    EXPECT_NE(field(r.out, "finding_text").find("(goroutine "), std::string::npos) << r.out;
  }
}

TEST_P(ZooGoroutineTest, DetectorIsSilentOnFixedVersion) {
  const Bug& b = GetParam();
  const RunResult r = run_zoo(std::string("run ") + b.name + " fixed --detector --goroutines");
  EXPECT_EQ(field(r.out, "outcome"), "ok") << r.out;
  EXPECT_EQ(findings(r.out), "") << r.out;
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooGoroutineTest, ::testing::ValuesIn(goroutine_bugs()),
                         [](const ::testing::TestParamInfo<Bug>& i) {
                           return std::string(i.param.name);
                         });

// The channel/lock circle is a wait-for cycle through the channel (its two
// users are declared with detector::chan_parties), on threads and on
// goroutines.
TEST(ZooDetector, ChanMutexInversionIsACycleThroughTheChannel) {
  for (const char* rt : {"", " --goroutines"}) {
    const RunResult r = run_zoo(std::string("run chan_mutex_inversion buggy --detector") + rt);
    EXPECT_NE(findings(r.out).find("\"cycle\""), std::string::npos) << r.out;
    const std::string text = field(r.out, "finding_text");
    EXPECT_NE(text.find("waits on Chan.send on ch, holds mu (exclusive)"), std::string::npos)
        << r.out;
    EXPECT_NE(text.find("waits on GoMutex.lock on mu"), std::string::npos) << r.out;
  }
}

TEST(ZooTable, OneReproductionPerCauseRowOfTables6And9) {
  for (const char* cause : {"Mutex", "RWMutex", "Wait", "Chan", "Chan w/", "Lib"}) {
    bool found = false;
    for (const Bug& b : zoo())
      found |= b.category == Category::kBlocking && std::string(b.cause) == cause;
    EXPECT_TRUE(found) << "Table 6 row " << cause;
  }
  for (const char* cause : {"traditional", "anonymous", "waitgroup", "lib", "chan", "msg lib"}) {
    bool found = false;
    for (const Bug& b : zoo())
      found |= b.category == Category::kNonBlocking && std::string(b.cause) == cause;
    EXPECT_TRUE(found) << "Table 9 row " << cause;
  }
}

TEST(ZooRunner, ListsEveryBug) {
  const RunResult r = run_zoo("list");
  EXPECT_EQ(r.exit_code, 0);
  for (const Bug& b : zoo()) EXPECT_NE(r.out.find(std::string(b.name) + "\t"), std::string::npos);
}

TEST(ZooRunner, BadInputIsOneLineAndExit2) {
  RunResult r = run_zoo("run no_such_bug buggy");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("error: unknown bug 'no_such_bug' (valid: mutex_abba,"), std::string::npos)
      << r.err;
  r = run_zoo("run mutex_abba sideways");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("error: unknown variant 'sideways' (valid: buggy, fixed)"),
            std::string::npos)
      << r.err;
  r = run_zoo("run mutex_abba buggy --goroutines");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("error: bug 'mutex_abba' has no goroutine version (valid with "
                       "--goroutines: chan_timeout_leak,"),
            std::string::npos)
      << r.err;
  r = run_zoo("run mutex_abba buggy --fast");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("error: unknown flag '--fast' (valid: --detector, --goroutines)"),
            std::string::npos)
      << r.err;
  r = run_zoo("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("error: unknown command 'frobnicate'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace syncscope::bugs
