// bugs_zoo_run — runs one reproduction of the bug zoo in this process and
// prints its verdict as one JSON line (the tests and the bugs suite call it
// as a child process: a blocked program cannot be cleaned up, so it ends
// with the process, as a Go program's deadlock does).
//
//   bugs_zoo_run list
//       one line per bug: name, category, cause, runtimes ("threads" or
//       "threads,goroutines") (tab-separated)
//   bugs_zoo_run run BUG buggy|fixed [--detector] [--goroutines]
//       {"bug":..,"variant":..,"runtime":"threads"|"goroutines",
//        "outcome":"ok"|"wrong"|"blocked","detail":..,
//        "detector":"on"|"off"|"compiled out","findings":["cycle",..],
//        "finding_text":..}
//       --goroutines: the reproduction's goroutines are syncscope goroutines
//       (only the channel bugs have that version), else threads.
//
// The verdict waits for an exact state, never for a time: the program ended
// (then its result is checked) or it reached the bug's blocked state (with
// the detector on: and every thread of that state is parked). Exit 0 after a
// verdict (ThreadSanitizer turns it into 66 when it reported a race); bad
// usage: one line naming the bad value and the valid ones, exit 2.
#include <syncscope/blocking_detector.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "zoo.h"

namespace {

using namespace syncscope;
using namespace syncscope::bugs;

std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\n':
        o += "\\n";
        break;
      default:
        o += c;
    }
  }
  return o + "\"";
}

std::string bug_names() {
  std::string s;
  for (const Bug& b : zoo()) s += (s.empty() ? "" : ", ") + std::string(b.name);
  return s;
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "error: %s\n", msg.c_str());
  return 2;
}

}  // namespace

#if defined(SYNCSCOPE_TSAN)
// A blocked reproduction ends with its threads blocked or finished but not
// joined, on purpose: ThreadSanitizer's thread-leak report would be about
// the runner, not the bug. Data races are still reported.
extern "C" const char* __tsan_default_options() { return "report_thread_leaks=0"; }
#endif

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "list") == 0) {
    for (const Bug& b : zoo()) {
      std::printf("%s\t%s\t%s\t%s\n", b.name,
                  b.category == Category::kBlocking ? "blocking" : "non-blocking", b.cause,
                  b.on_goroutines ? "threads,goroutines" : "threads");
    }
    return 0;
  }
  if (argc < 2 || std::strcmp(argv[1], "run") != 0) {
    return usage_error(std::string("unknown command '") + (argc < 2 ? "" : argv[1]) +
                       "' (valid: list, run BUG buggy|fixed [--detector] [--goroutines])");
  }
  if (argc < 4 || argc > 6) {
    return usage_error("run takes BUG buggy|fixed [--detector] [--goroutines] (got " +
                       std::to_string(argc - 2) + " arguments)");
  }
  const Bug* bug = find_bug(argv[2]);
  if (bug == nullptr) {
    return usage_error(std::string("unknown bug '") + argv[2] + "' (valid: " + bug_names() + ")");
  }
  Variant variant;
  if (std::strcmp(argv[3], "buggy") == 0) {
    variant = Variant::kBuggy;
  } else if (std::strcmp(argv[3], "fixed") == 0) {
    variant = Variant::kFixed;
  } else {
    return usage_error(std::string("unknown variant '") + argv[3] + "' (valid: buggy, fixed)");
  }
  bool want_detector = false;
  Runtime runtime = Runtime::kThreads;
  for (int i = 4; i < argc; ++i) {
    if (std::strcmp(argv[i], "--detector") == 0) {
      want_detector = true;
    } else if (std::strcmp(argv[i], "--goroutines") == 0) {
      runtime = Runtime::kGoroutines;
    } else {
      return usage_error(std::string("unknown flag '") + argv[i] +
                         "' (valid: --detector, --goroutines)");
    }
  }
  if (runtime == Runtime::kGoroutines && !bug->on_goroutines) {
    return usage_error(
        std::string("bug '") + bug->name +
        "' has no goroutine version (valid with --goroutines: " + goroutine_bug_names() + ")");
  }
  const char* det = "off";
  if (want_detector)
    det = detector::enable([](const detector::Finding&) {}) ? "on" : "compiled out";
  const bool on = detector::enabled();

  auto scenario = bug->make(variant);
  Env env(runtime);
  scenario->start(env);
  const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  bool blocked = false;
  for (;;) {
    if (env.main_returned() && env.others_live() == 0) break;
    if (scenario->stuck(env) &&
        (!on || detector::parked() >= static_cast<std::size_t>(scenario->parked_when_stuck()))) {
      blocked = true;
      break;
    }
    if (std::chrono::steady_clock::now() > guard) {
      std::printf("{\"bug\":%s,\"outcome\":\"hang\"}\n", json_str(bug->name).c_str());
      std::fflush(stdout);
      _exit(3);  // neither ended nor reached its blocked state: a broken reproduction
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string outcome, detail;
  if (!blocked) {
    env.finish();
    detail = scenario->wrong();
    outcome = detail.empty() ? "ok" : "wrong";
  } else {
    outcome = "blocked";
    detail = "blocked for good";
  }
  std::vector<detector::Finding> fs = detector::findings();
  const detector::Finding leak = detector::leaks();
  if (!leak.parties.empty()) fs.push_back(leak);
  std::string kinds, text;
  for (const auto& f : fs) {
    kinds += (kinds.empty() ? "" : ",") + json_str(detector::kind_name(f.kind));
    text += f.text();
  }
  std::printf(
      "{\"bug\":%s,\"variant\":%s,\"runtime\":%s,\"category\":%s,\"cause\":%s,"
      "\"outcome\":%s,\"detail\":%s,\"detector\":%s,\"findings\":[%s],\"finding_text\":%s}\n",
      json_str(bug->name).c_str(), json_str(argv[3]).c_str(),
      json_str(runtime_name(runtime)).c_str(),
      json_str(bug->category == Category::kBlocking ? "blocking" : "non-blocking").c_str(),
      json_str(bug->cause).c_str(), json_str(outcome).c_str(), json_str(detail).c_str(),
      json_str(det).c_str(), kinds.c_str(), json_str(text).c_str());
  std::fflush(stdout);
  if (blocked) _exit(0);  // the blocked threads end with the process
  return 0;
}
