// ServedPeer against fake peers: small /bin/sh scripts written into a temp
// directory (no Go needed), one per way a peer can behave or misbehave.
// Each failure must be a PeerError with a one-line message naming what
// happened, and no peer may outlive its test (owned_child_count). The
// time bounds the tests pass are short only where the peer never answers;
// nothing here asserts how long anything took. The suite-level behaviour
// (noise_probe + a fake peer) is served_peer_test.py.
#include "common/served_peer.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace syncscope::suites {
namespace {

using namespace std::chrono_literals;
using etcd::owned_child_count;

class ServedPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/served_peer_XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    before_ = owned_child_count();
  }
  void TearDown() override {
    EXPECT_EQ(owned_child_count(), before_) << "a peer outlived its test";
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // Writes a /bin/sh script `name` and returns the command that runs it
  // with the request log as its argument (paths without spaces: mkdtemp's).
  std::string peer(const std::string& name, const std::string& body) {
    const std::string path = dir_ + "/" + name + ".sh";
    std::ofstream(path) << body;
    return "/bin/sh " + path + " " + log_path();
  }
  std::string log_path() const { return dir_ + "/requests.log"; }
  std::vector<std::string> logged() const {
    std::ifstream f(log_path());
    std::vector<std::string> lines;
    for (std::string l; std::getline(f, l);) lines.push_back(l);
    return lines;
  }
  std::string dir_;
  std::size_t before_ = 0;
};

// Answers each request with the run_name it was asked first and a count.
constexpr const char* kReady = "echo '{\"ready\":true,\"peer\":\"fake peer; GOMAXPROCS=2\"}'\n";
constexpr const char* kServe =
    "n=0\n"
    "while IFS= read -r line; do\n"
    "  n=$((n+1))\n"
    "  printf '%s\\n' \"$line\" >> \"$1\"\n"
    "  echo \"{\\\"ran\\\":[\\\"go/$n\\\"]}\"\n"
    "done\n";

nlohmann::json rows_for(const std::string& run_name, int reps) {
  nlohmann::json rows = nlohmann::json::array();
  for (int i = 0; i < reps; ++i)
    rows.push_back({{"name", run_name}, {"run_name", run_name}, {"run_type", "iteration"},
                    {"repetitions", reps}, {"repetition_index", i}, {"units", 51200}});
  return rows;
}

// What a failure says: its message, checked to be one line.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const PeerError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    return what;
  }
  ADD_FAILURE() << "no PeerError";
  return "";
}

TEST_F(ServedPeerTest, GoodPeerAnswersEachRequestAndExitsOnEof) {
  ServedPeer p(peer("good", std::string(kReady) + kServe + "exit 0\n"));
  EXPECT_EQ(p.ready_text(), "fake peer; GOMAXPROCS=2");
  EXPECT_EQ(owned_child_count(), before_ + 1);
  const std::vector<nlohmann::json> asked = {rows_for("a/x:1", 3), rows_for("b/x:2", 1),
                                             rows_for("c/x:3", 2)};
  for (size_t i = 0; i < asked.size(); ++i)
    EXPECT_EQ(p.ask(asked[i]), std::vector<std::string>{"go/" + std::to_string(i + 1)});
  p.finish();
  EXPECT_EQ(p.requests(), 3);
  EXPECT_EQ(p.go_rows(), 3);
  EXPECT_GE(p.seconds(), 0.0);
  // In order, one line each, each the request as sent.
  const std::vector<std::string> lines = logged();
  ASSERT_EQ(lines.size(), asked.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const nlohmann::json j = nlohmann::json::parse(lines[i], nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << lines[i];
    EXPECT_EQ(j, (nlohmann::json{{"benchmarks", asked[i]}}));
  }
}

TEST_F(ServedPeerTest, PeerThatNeverSaysReadyTimesOutAndIsKilled) {
  ServedPeer::Timeouts t;
  t.ready = 500ms;  // it never will: the bound only ends the wait
  EXPECT_EQ(error_of([&] { ServedPeer p(peer("mute", "exec sleep 300\n"), t); }),
            "no ready line within 0.5 s (the peer was killed)");
}

TEST_F(ServedPeerTest, PeerThatExitsBeforeReadyOrSaysSomethingElse) {
  EXPECT_EQ(error_of([&] { ServedPeer p(peer("early", "exit 7\n")); }),
            "stdout closed before the ready line; the peer exited with status 7");
  EXPECT_EQ(error_of([&] { ServedPeer p(peer("chatty", "echo 'building peer...'\nexec cat\n")); }),
            "expected the ready line {\"ready\":true,\"peer\":\"...\"}, got: building peer...");
  // A program that cannot start: setpriv's exec fails (127), or spawn throws.
  const std::string missing = error_of([&] { ServedPeer p(dir_ + "/no-such-peer -serve"); });
  EXPECT_TRUE(missing == "stdout closed before the ready line; the peer exited with status 127" ||
              missing.find("no-such-peer") != std::string::npos)
      << missing;
  EXPECT_EQ(error_of([&] { ServedPeer p("   "); }), "empty command");
}

TEST_F(ServedPeerTest, PeerThatExitsMidRunIsNamedWithItsStatus) {
  ServedPeer p(peer("quitter", std::string(kReady) +
                                   "IFS= read -r line; echo '{\"ran\":[]}'\n"
                                   "IFS= read -r line; exit 5\n"));
  EXPECT_TRUE(p.ask(rows_for("a", 1)).empty());
  EXPECT_EQ(error_of([&] { p.ask(rows_for("b/x:1", 2)); }),
            "stdout closed before the answer to request 2 (b/x:1); the peer exited with status 5");
}

TEST_F(ServedPeerTest, WritingToAPeerThatClosedItsStdinIsAnErrorNotSigpipe) {
  // The peer closes its stdin before it says ready: our write gets EPIPE
  // (and SIGPIPE, which must not end this test process).
  ServedPeer p(peer("deaf", std::string("exec 0<&-\n") + kReady + "exit 6\n"));
  EXPECT_EQ(error_of([&] { p.ask(rows_for("a", 1)); }),
            "writing to its stdin: Broken pipe; the peer exited with status 6");
}

TEST_F(ServedPeerTest, GarbageAnswerIsAnError) {
  ServedPeer p(peer("garbage", std::string(kReady) + "IFS= read -r line; echo 'ok, ran it'\n"
                                                     "exec cat >/dev/null\n"));
  EXPECT_EQ(error_of([&] { p.ask(rows_for("a/x:1", 1)); }),
            "the answer to request 1 (a/x:1) is neither {\"ran\":[...]} nor {\"error\":\"...\"}: "
            "ok, ran it");
}

TEST_F(ServedPeerTest, ErrorAnswerIsThePeersLine) {
  ServedPeer p(peer("refuses", std::string(kReady) +
                                   "IFS= read -r line; echo '{\"error\":\"no case named a/x:1\"}'\n"
                                   "exec cat >/dev/null\n"));
  EXPECT_EQ(error_of([&] { p.ask(rows_for("a/x:1", 1)); }), "no case named a/x:1");
}

TEST_F(ServedPeerTest, NonZeroExitAtTheEndIsAnError) {
  ServedPeer p(peer("exit3", std::string(kReady) + kServe + "exit 3\n"));
  EXPECT_EQ(p.ask(rows_for("a", 1)), std::vector<std::string>{"go/1"});
  EXPECT_EQ(error_of([&] { p.finish(); }), "exited with status 3 after its stdin closed");
}

TEST_F(ServedPeerTest, OutputAfterTheLastAnswerIsAnError) {
  ServedPeer p(peer("trailer", std::string(kReady) + kServe + "echo 'wrote go.json'\nexit 0\n"));
  EXPECT_EQ(error_of([&] { p.finish(); }),
            "wrote to stdout after its last answer: wrote go.json");
}

TEST_F(ServedPeerTest, PeerThatNeverAnswersOrNeverExitsIsKilled) {
  ServedPeer::Timeouts t;
  t.answer = 500ms;
  t.exit = 500ms;
  {
    ServedPeer p(peer("stuck", std::string(kReady) + "exec sleep 300\n"), t);
    EXPECT_EQ(error_of([&] { p.ask(rows_for("a/x:1", 1)); }),
              "no answer to request 1 (a/x:1) within 0.5 s (the peer was killed)");
  }
  ServedPeer p(peer("lingers", std::string(kReady) + "exec 0<&- 1>&-\nexec sleep 300\n"), t);
  EXPECT_EQ(error_of([&] { p.finish(); }),
            "closed its stdout but did not exit within 0.5 s of its stdin closing (killed)");
}

TEST(ServedPeerCommand, SplitsOnSingleSpaces) {
  EXPECT_EQ(split_peer_command("/r/peer -serve -out /r/.channels_go.json -gomaxprocs 2"),
            (std::vector<std::string>{"/r/peer", "-serve", "-out", "/r/.channels_go.json",
                                      "-gomaxprocs", "2"}));
  EXPECT_EQ(split_peer_command(" a  b "), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(split_peer_command("").empty());
}

TEST(ServedPeerRow, IsTheJsonReportersRow) {
  benchmark::BenchmarkReporter::Run r;
  r.run_name.function_name = "channels_latency";
  r.run_name.args = "impl:Chan/case:spsc";
  r.run_name.time_type = "manual_time";
  r.family_index = 4;
  r.per_family_instance_index = 2;
  r.repetitions = 3;
  r.repetition_index = 1;
  r.threads = 2;
  r.iterations = 1000;
  r.time_unit = benchmark::kNanosecond;
  r.real_accumulated_time = 2e-3;  // seconds in all: 2000 ns per iteration
  r.cpu_accumulated_time = 1e-3;
  r.report_label = "placement=none;pus=0,1";
  r.counters["units"] = 51200;
  r.counters["nan"] = std::numeric_limits<double>::quiet_NaN();
  r.counters["inf"] = std::numeric_limits<double>::infinity();
  const nlohmann::json j = request_row(r);
  EXPECT_EQ(j.at("name"), "channels_latency/impl:Chan/case:spsc/manual_time");
  EXPECT_EQ(j.at("run_name"), "channels_latency/impl:Chan/case:spsc/manual_time");
  EXPECT_EQ(j.at("run_type"), "iteration");
  EXPECT_EQ(j.at("family_index"), 4);
  EXPECT_EQ(j.at("per_family_instance_index"), 2);
  EXPECT_EQ(j.at("repetitions"), 3);
  EXPECT_EQ(j.at("repetition_index"), 1);
  EXPECT_EQ(j.at("threads"), 2);
  EXPECT_EQ(j.at("iterations"), 1000);
  EXPECT_DOUBLE_EQ(j.at("real_time").get<double>(), 2000.0);
  EXPECT_DOUBLE_EQ(j.at("cpu_time").get<double>(), 1000.0);
  EXPECT_EQ(j.at("time_unit"), "ns");
  EXPECT_EQ(j.at("label"), "placement=none;pus=0,1");
  EXPECT_EQ(j.at("units"), 51200.0);
  EXPECT_TRUE(j.at("nan").is_null());
  EXPECT_TRUE(j.at("inf").is_null());
  EXPECT_FALSE(j.contains("error_occurred"));
  EXPECT_EQ(j.dump().find("NaN"), std::string::npos);
  r.error_occurred = true;
  r.error_message = "placement smt not honoured";
  const nlohmann::json e = request_row(r);
  EXPECT_EQ(e.at("error_occurred"), true);
  EXPECT_EQ(e.at("error_message"), "placement smt not honoured");
}

}  // namespace
}  // namespace syncscope::suites
