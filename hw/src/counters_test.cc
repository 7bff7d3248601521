// Tests for syncscope/hw/counters.h: counters never throw or abort, report
// exactly which events work, and say why the others do not.
#include "syncscope/hw/counters.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

namespace syncscope::hw {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The contract that holds on every machine: available <=> some event works,
// and each requested event that does not work is named in the reason along
// with the perf_event_paranoid setting.
void expect_coherent(const CountersStatus& s) {
  EXPECT_EQ(s.available, !s.usable.empty());
  for (const std::string& e : s.usable) EXPECT_TRUE(contains(s.requested, e)) << e;
  for (const std::string& e : s.requested) {
    if (contains(s.usable, e)) continue;
    EXPECT_NE(s.reason.find(e), std::string::npos) << "reason must name " << e << ": " << s.reason;
  }
  if (s.usable.size() != s.requested.size()) {
    EXPECT_NE(s.reason.find("perf_event_paranoid="), std::string::npos) << s.reason;
  }
}

TEST(Counters, DefaultStatusIsCoherentAndExplained) {
  CountersStatus s;
  ASSERT_NO_THROW(s = counters_status());
  EXPECT_EQ(s.requested, kDefaultEvents);
  expect_coherent(s);
  if (!s.available) {
    // The situation on VMs without a virtual PMU: PAPI initialises, every
    // hardware event fails. The reason names PAPI's error for each.
    EXPECT_FALSE(s.reason.empty());
    EXPECT_TRUE(s.reason.find("Event does not exist") != std::string::npos ||
                s.reason.find("PAPI_library_init") != std::string::npos ||
                s.reason.find("PAPI_E") != std::string::npos ||
                s.reason.find("(PAPI error -") != std::string::npos)
        << s.reason;
  }
  RecordProperty("counters_reason", s.reason);
}

TEST(Counters, StatusIsCachedPerEventList) {
  const CountersStatus a = counters_status();
  const CountersStatus b = counters_status(kDefaultEvents);
  EXPECT_EQ(a.available, b.available);
  EXPECT_EQ(a.usable, b.usable);
  EXPECT_EQ(a.reason, b.reason);
}

TEST(Counters, UnknownEventIsDroppedWithPapisError) {
  const std::string bogus = "SYNCSCOPE_NO_SUCH_EVENT";
  const CountersStatus s = counters_status({bogus});
  EXPECT_FALSE(s.available);
  EXPECT_TRUE(s.usable.empty());
  EXPECT_NE(s.reason.find(bogus), std::string::npos) << s.reason;
  expect_coherent(s);
}

TEST(Counters, WorkingEventsAreCountedAndNamed) {
  // perf::TASK-CLOCK is a kernel software event: it usually works even where
  // no hardware event does, so this exercises the counting path on VMs.
  ThreadCounters c({"perf::TASK-CLOCK", "SYNCSCOPE_NO_SUCH_EVENT"});
  const bool started = c.start();
  EXPECT_FALSE(contains(c.working(), "SYNCSCOPE_NO_SUCH_EVENT"));
  EXPECT_NE(c.reason().find("SYNCSCOPE_NO_SUCH_EVENT"), std::string::npos) << c.reason();
  volatile unsigned long sink = 0;
  for (unsigned long i = 0; i < 100000; ++i) sink = sink + i;
  const auto values = c.stop();
  if (started) {
    ASSERT_EQ(values.size(), c.working().size());
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(values[i].first, c.working()[i]);
      EXPECT_GE(values[i].second, 0);
    }
  } else {
    EXPECT_TRUE(values.empty());
  }
}

TEST(Counters, MisuseIsHarmless) {
  ThreadCounters none({});
  EXPECT_FALSE(none.start());
  EXPECT_EQ(none.reason(), "no events requested");
  EXPECT_TRUE(none.stop().empty());

  ThreadCounters c(kDefaultEvents);
  EXPECT_TRUE(c.stop().empty()) << "stop before start";
  const bool first = c.start();
  if (first) {
    EXPECT_FALSE(c.start()) << "start while running";
  }
  c.stop();
  EXPECT_TRUE(c.stop().empty()) << "stop twice";
  // Restart reuses the probed event set.
  EXPECT_EQ(c.start(), first);
  c.stop();
}

TEST(Counters, ManyThreadsAtOnce) {
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::vector<int> ok(kThreads, 0);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&ok, i] {
      for (int round = 0; round < 3; ++round) {
        ThreadCounters c({"PAPI_TOT_CYC", "perf::TASK-CLOCK"});
        const bool started = c.start();
        const auto values = c.stop();
        if (values.size() == (started ? c.working().size() : 0u)) ++ok[static_cast<size_t>(i)];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int v : ok) EXPECT_EQ(v, 3);
}

TEST(Counters, ErrorNames) {
  EXPECT_EQ(papi_error_name(-7), "PAPI_ENOEVNT");
  EXPECT_EQ(papi_error_name(-15), "PAPI_EPERM");
  EXPECT_EQ(papi_error_name(-999), "PAPI error -999");
}

}  // namespace
}  // namespace syncscope::hw
