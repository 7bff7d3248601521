"""Schema test of the channels suite's threading-model rows: the suite
binary (SYNCSCOPE_CHANNELS_BIN) runs a few tiny cases — Chan on threads and
on goroutines, quiet, with the noisy neighbour, oversubscribed, and the
hand-off-then-run-on case — and its JSON must name them as channels.cc says,
with each model's counters and label, and the models and the neighbour in
the context. Nothing here looks at a timing: of handoff_runon's latency
counters only their order and sample count are checked."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from suite_run_fixture import SuiteRun  # noqa: E402

BIN = os.environ.get("SYNCSCOPE_CHANNELS_BIN", "")
CASES = [
    "channels/impl:Chan/case:spsc/cap:16/msg:8/threads:2",
    "channels/impl:Chan/model:goroutine/case:spsc/cap:16/msg:8/threads:2",
    "channels/impl:Chan/case:spsc/cap:1/msg:8/threads:2/neighbour:busy",
    "channels/impl:Chan/model:goroutine/case:spsc/cap:1/msg:8/threads:2/neighbour:busy",
    "channels/impl:Chan/model:goroutine/case:mpmc/cap:16/msg:8/threads:8",
    "channels/impl:Chan/model:goroutine/case:close/cap:0/msg:8/threads:5",
]
RUNON = [
    "channels/impl:Chan/case:handoff_runon/cap:0/msg:8/threads:2/work_ns:50000",
    "channels/impl:Chan/model:goroutine/case:handoff_runon/cap:0/msg:8/threads:2/work_ns:50000",
]
CASES += RUNON
COMMON = ("ns_per_msg", "msgs_per_s", "units", "messages", "cpu_ns_per_msg",
          "ctx_switches_per_msg")
THREAD_ONLY = ("blocked_per_msg", "parks_per_msg", "lock_contended_per_msg", "spins_per_msg",
               "in_flight_left_per_msg", "ring_snoozes_per_msg", "ring_yields_per_msg",
               "ring_yield_ns_per_msg")
RUN_DELAY = ("runq_wait_ns_per_msg", "runq_wait_cpus")
HAVE_SCHEDSTAT = os.access("/proc/thread-self/schedstat", os.R_OK)
GOROUTINE_ONLY = ("g_parks_per_msg", "g_switches_per_msg", "g_steals_per_msg", "gomaxprocs",
                  "g_idle_m_wakes_per_msg", "g_runnext_steals_per_msg",
                  "g_runnext_backoffs_per_msg", "g_spin_polls_per_msg",
                  "g_ring_backoffs_per_msg", "g_wakes_deferred_per_msg",
                  "g_deferred_wakes_made_per_msg")


@unittest.skipUnless(BIN, "set SYNCSCOPE_CHANNELS_BIN (CTest does; a path that does not exist fails)")
class ModelRowsTest(SuiteRun):
    BIN, SUITE, FILTER = BIN, "channels", "^(%s)/iterations" % "|".join(CASES)
    NAME_END = "/iterations:"

    def test_every_case_ran_under_its_name(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(sorted(self.rows), sorted(CASES))
        for name, b in self.rows.items():
            self.assertFalse(b.get("error_occurred"), (name, b.get("error_message")))

    def test_counters_and_labels_per_model(self):
        for name, b in self.rows.items():
            goroutine = "/model:goroutine/" in name
            for k in COMMON:
                self.assertIn(k, b, name)
            self.assertGreater(b["messages"], 0, name)
            for k in GOROUTINE_ONLY:
                self.assertEqual(k in b, goroutine, (name, k))
            for k in THREAD_ONLY:
                self.assertEqual(k in b, not goroutine, (name, k))
            for k in RUN_DELAY:  # common/run_delay.h, where the kernel has schedstats
                self.assertEqual(k in b, HAVE_SCHEDSTAT, (name, k))
                if HAVE_SCHEDSTAT:
                    self.assertGreaterEqual(b[k], 0, (name, k))
            # The machine's state before the run (common/line_handoff.h): only
            # with 2+ CPUs, and missing where the probe's budget ran out.
            if "machine_line_handoff_ns" in b:
                self.assertGreaterEqual(len(os.sched_getaffinity(0)), 2, name)
                self.assertGreater(b["machine_line_handoff_ns"], 0, name)
            self.assertEqual("model=goroutine" in b["label"], goroutine, name)
            self.assertEqual("neighbour=" in b["label"], name.endswith("/neighbour:busy"), name)
            if name.endswith("/neighbour:busy"):
                self.assertRegex(b["label"], r"neighbour=(sched_idle|nice19)x\d+")

    def test_handoff_runon_samples_every_message_and_its_counters_add_up(self):
        for name in RUNON:
            b = self.rows[name]
            # One round = one message, every one's wait recorded; the
            # reported time is the sum of the waits (ns_per_msg = the mean).
            self.assertEqual(b["messages"], b["units"], name)
            self.assertEqual(b["lat_samples"], b["messages"], name)
            self.assertLessEqual(b["lat_p50_ns"], b["lat_p99_ns"], name)
            self.assertLessEqual(b["lat_p99_ns"], b["lat_max_ns"], name)
            # (percentiles are clamped to the exact max; the mean is of exact values)
            self.assertLessEqual(b["ns_per_msg"], b["lat_max_ns"] * (1 + 1e-9), name)
            if "/model:goroutine/" in name:
                # Every deferred-wake counter is per message of this run; a
                # wake is made only for a mark set, and at most one message
                # can see a wake deferred before the run started.
                made = b["g_deferred_wakes_made_per_msg"] * b["messages"]
                deferred = b["g_wakes_deferred_per_msg"] * b["messages"]
                self.assertLessEqual(round(made), round(deferred) + 1, name)
                self.assertLessEqual(deferred, b["messages"] + 1e-6, name)
        for name, b in self.rows.items():
            self.assertEqual("lat_max_ns" in b, name in RUNON, name)
        hist = self.side_file("channels_hist.json")
        for name in RUNON:
            self.assertEqual(hist[name]["what"], "send to receiver running")
            self.assertEqual(hist[name]["sample_every"], 1)
            self.assertEqual(hist[name]["count"], self.rows[name]["messages"])

    def test_context_says_what_the_models_and_the_neighbour_are(self):
        ctx = self.doc["context"]
        self.assertIn("goroutine", ctx["channels_models"])
        self.assertIn("SCHED_IDLE", ctx["channels_neighbour"])
        self.assertIn("spsc@16", ctx["channels_coverage_Chan_goroutine"])


if __name__ == "__main__":
    unittest.main()
