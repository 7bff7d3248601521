"""Schema test of the starvation suite's goroutine rows: the suite binary
(SYNCSCOPE_STARVATION_BIN) runs the Go designs with goroutines as parties
(model:goroutine) on the hammer, lockskew and reader/writer families, and
its JSON must name them as starvation.cc says, with the same counters, a
label saying goroutines and no real time, the runtime's counters per
acquisition (hand-off yields, parks, switches, steals, idle-M wakes,
polls), and their histograms in
starvation_hist.json. Nothing here looks at a timing."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from suite_run_fixture import SuiteRun  # noqa: E402

BIN = os.environ.get("SYNCSCOPE_STARVATION_BIN", "")
CASES = {
    "starvation/lock:GoMutex/model:goroutine/threads:2/placement:none/cs_ns:100/ncs_ns:100":
        ("wait_p50_ns", "wait_p99_ns", "wait_max_ns", "wait_count", "acq_per_s",
         "cpu_ns_per_acq"),
    "starvation_lockskew/lock:GoMutex/model:goroutine":
        ("victim_wait_p99_ns", "victim_wait_count", "victim_acq", "hog_acq", "hog_wait_max_ns",
         "realtime"),
    "starvation_rw/lock:GoRWMutex/model:goroutine/read_pct:90/threads:%d":
        ("reader_wait_p99_ns", "writer_wait_p99_ns", "reads", "writes", "acq_per_s"),
}


@unittest.skipUnless(BIN, "set SYNCSCOPE_STARVATION_BIN (CTest does; a path that does not exist fails)")
class ModelRowsTest(SuiteRun):
    BIN, SUITE = BIN, "starvation"
    FILTER = ("^(starvation/lock:GoMutex/model:goroutine/threads:2/|"
              "starvation_lockskew/lock:GoMutex/model:goroutine/|"
              "starvation_rw/lock:GoRWMutex/model:goroutine/read_pct:90/)")
    ARGS = ("--placement=none",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hist = cls.side_file("starvation_hist.json")

    def test_rows_counters_labels_and_histograms(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(len(self.rows), len(CASES), sorted(self.rows))
        for pattern, counters in CASES.items():
            name = next(n for n in self.rows if n.startswith(pattern.split("%d")[0]))
            b = self.rows[name]
            self.assertFalse(b.get("error_occurred"), (name, b.get("error_message")))
            for k in counters:
                self.assertIn(k, b, (name, k))
            self.assertIn("model=goroutine", b["label"], name)
            self.assertIn(name, self.hist)
            # The runtime's hand-off yields, per acquisition (at most one per unlock).
            self.assertGreaterEqual(b["g_local_yields_per_acq"], 0, name)
            self.assertLessEqual(b["g_local_yields_per_acq"], 1, name)
            # Its parks and steals: each followed by a switch into the
            # goroutine before the run ended (lock_runner.h).
            for k in ("g_parks_per_acq", "g_switches_per_acq", "g_steals_per_acq",
                      "g_idle_m_wakes_per_acq", "g_spin_polls_per_acq"):
                self.assertGreaterEqual(b[k], 0, (name, k))
            self.assertLessEqual(b["g_parks_per_acq"], b["g_switches_per_acq"], name)
            self.assertLessEqual(b["g_steals_per_acq"], b["g_switches_per_acq"], name)
        skew = self.rows["starvation_lockskew/lock:GoMutex/model:goroutine"]
        self.assertEqual(skew["realtime"], 0)
        self.assertIn("sched=other", skew["label"])

    def test_context_has_the_models(self):
        self.assertIn("never real-time", self.doc["context"]["lock_models"])


if __name__ == "__main__":
    unittest.main()
