"""Schema test of the fairness suite's goroutine rows: the suite binary
(SYNCSCOPE_FAIRNESS_BIN) runs GoMutex on threads and on goroutines
(model:goroutine) at 2 threads, and its JSON must name them as fairness.cc
says, with the same counters, the goroutine label, gomaxprocs and the
runtime's hand-off yields, parks, switches, steals, idle-M wakes and
spinning M's polls per acquisition (goroutine rows only), the lock
moves per acquisition (every row, 0..1, where the context key lock_moves
says the CPU read is available), and the lock registry (the Go peer's locks
included) in the context. Nothing here looks at a timing."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from suite_run_fixture import SuiteRun  # noqa: E402

BIN = os.environ.get("SYNCSCOPE_FAIRNESS_BIN", "")
TAIL = "threads:2/placement:none/cs_ns:100/ncs_ns:100/dist:fixed"
CASES = ["fairness/lock:GoMutex/" + TAIL, "fairness/lock:GoMutex/model:goroutine/" + TAIL,
         "fairness/lock:GoMutex_instr/model:goroutine/" + TAIL]
COUNTERS = ("acq_per_s", "jain_index", "cv", "min_max_ratio", "barging_share", "lwss", "mttr",
            "seq_len", "acq_t0", "acq_t1", "cpu_ns_per_acq", "vcsw_per_acq", "ivcsw_per_acq",
            "cpus_used")


G_COUNTERS = ("g_parks_per_acq", "g_switches_per_acq", "g_steals_per_acq",
              "g_idle_m_wakes_per_acq", "g_spin_polls_per_acq")


def check_runtime_counters(test, name, b):
    """A goroutine row's runtime counters: none negative; every park was
    followed by a switch back in and every steal by a switch into the stolen
    goroutine (the parties all ended), so neither exceeds the switches."""
    for k in G_COUNTERS:
        test.assertGreaterEqual(b[k], 0, (name, k))
    test.assertLessEqual(b["g_parks_per_acq"], b["g_switches_per_acq"], name)
    test.assertLessEqual(b["g_steals_per_acq"], b["g_switches_per_acq"], name)


@unittest.skipUnless(BIN, "set SYNCSCOPE_FAIRNESS_BIN (CTest does; a path that does not exist fails)")
class ModelRowsTest(SuiteRun):
    BIN, SUITE, FILTER = BIN, "fairness", "^(%s)/manual_time" % "|".join(CASES)
    ARGS = ("--placement=none",)

    def test_rows_counters_and_labels(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(sorted(self.rows), sorted(CASES))
        for name, b in self.rows.items():
            self.assertFalse(b.get("error_occurred"), (name, b.get("error_message")))
            for k in COUNTERS:
                self.assertIn(k, b, (name, k))
            self.assertGreater(b["acq_t0"] + b["acq_t1"], 0, name)
            goroutine = "/model:goroutine/" in name
            self.assertEqual("model=goroutine" in b["label"], goroutine, name)
            self.assertEqual("gomaxprocs" in b, goroutine, name)
            # The runtime's hand-off yields, per acquisition: goroutine rows
            # only, and at most one per unlock.
            self.assertEqual("g_local_yields_per_acq" in b, goroutine, name)
            if goroutine:
                self.assertGreaterEqual(b["g_local_yields_per_acq"], 0, name)
                self.assertLessEqual(b["g_local_yields_per_acq"], 1, name)
            # The rest of the runtime's counters (lock_runner.h,
            # set_goroutine_counters): goroutine rows only.
            for k in G_COUNTERS:
                self.assertEqual(k in b, goroutine, (name, k))
            if goroutine:
                check_runtime_counters(self, name, b)
        self.assertIn("mode_switches", self.rows[CASES[2]])

    def test_lock_moves_on_every_row_or_why_not(self):
        how = self.doc["context"]["lock_moves"]
        available = how.startswith("lock_moves_per_acq: ")
        self.assertTrue(available or how.startswith("unavailable: "), how)
        for name, b in self.rows.items():
            self.assertEqual("lock_moves_per_acq" in b, available, (name, how))
            self.assertEqual("lock_move_pairs" in b, available, (name, how))
            if available:
                self.assertGreaterEqual(b["lock_moves_per_acq"], 0, name)
                self.assertLessEqual(b["lock_moves_per_acq"], 1, name)
                # Pairs of consecutive recorded orders: at most one fewer
                # than the acquisitions.
                self.assertGreaterEqual(b["lock_move_pairs"], 1, name)
                self.assertLess(b["lock_move_pairs"], b["acq_t0"] + b["acq_t1"], name)

    def test_context_has_the_models_and_the_peer_locks(self):
        ctx = self.doc["context"]
        self.assertIn("model:goroutine", ctx["lock_models"])
        self.assertTrue(ctx["locks_peer"].startswith("go_sync_mutex=#"))


@unittest.skipUnless(BIN, "set SYNCSCOPE_FAIRNESS_BIN (CTest does; a path that does not exist fails)")
class OneProcRowsTest(SuiteRun):
    """fairness_gomaxprocs1: GoMutex on goroutines with one P, at the sweep's
    largest thread count (twice the usable CPUs), registered only where
    GOMAXPROCS > 1; gomaxprocs 1 in its counters and label, the same
    counters as the fairness family."""
    BIN, SUITE, FILTER = BIN, "fairness", "^fairness_gomaxprocs1/lock:GoMutex/"
    ARGS = ("--placement=none",)

    def test_one_row_with_one_p(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        cpus = len(os.sched_getaffinity(0))
        if cpus < 2:
            self.assertEqual(self.rows, {})
            return
        name = ("fairness_gomaxprocs1/lock:GoMutex/model:goroutine/threads:%d/placement:none/"
                "cs_ns:100/ncs_ns:100/dist:fixed" % (2 * cpus))
        self.assertEqual(list(self.rows), [name])
        b = self.rows[name]
        self.assertFalse(b.get("error_occurred"), b.get("error_message"))
        for k in COUNTERS:
            self.assertIn(k, b, k)
        self.assertEqual(b["gomaxprocs"], 1)
        self.assertIn("model=goroutine;GOMAXPROCS=1", b["label"])
        # One P: nobody to steal from, no other P to poll for.
        check_runtime_counters(self, name, b)
        self.assertEqual(b["g_steals_per_acq"], 0)
        self.assertEqual(b["g_spin_polls_per_acq"], 0)


if __name__ == "__main__":
    unittest.main()
