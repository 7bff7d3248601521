"""Schema test of the fairness suite's goroutine rows: the suite binary
(SYNCSCOPE_FAIRNESS_BIN) runs GoMutex on threads and on goroutines
(model:goroutine) at 2 threads, and its JSON must name them as fairness.cc
says, with the same counters, the goroutine label and gomaxprocs, and the
lock registry (the Go peer's locks included) in the context. Nothing here
looks at a timing."""

import json
import os
import subprocess
import tempfile
import unittest

BIN = os.environ.get("SYNCSCOPE_FAIRNESS_BIN", "")
TAIL = "threads:2/placement:none/cs_ns:100/ncs_ns:100/dist:fixed"
CASES = ["fairness/lock:GoMutex/" + TAIL, "fairness/lock:GoMutex/model:goroutine/" + TAIL,
         "fairness/lock:GoMutex_instr/model:goroutine/" + TAIL]
COUNTERS = ("acq_per_s", "jain_index", "cv", "min_max_ratio", "barging_share", "lwss", "mttr",
            "seq_len", "acq_t0", "acq_t1", "cpu_ns_per_acq", "vcsw_per_acq", "ivcsw_per_acq",
            "cpus_used")


@unittest.skipUnless(BIN, "set SYNCSCOPE_FAIRNESS_BIN (CTest does; a path that does not exist fails)")
class ModelRowsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        out = os.path.join(cls.tmp.name, "fairness.json")
        pattern = "^(%s)/manual_time" % "|".join(CASES)
        cls.proc = subprocess.run(
            [BIN, "--profile=quick", "--placement=none", "--benchmark_repetitions=1",
             "--benchmark_filter=" + pattern, "--benchmark_out=" + out,
             "--benchmark_out_format=json"], capture_output=True, text=True, timeout=600)
        with open(out, encoding="utf-8") as f:
            cls.doc = json.load(f)
        cls.rows = {b["run_name"].rsplit("/manual_time", 1)[0]: b
                    for b in cls.doc["benchmarks"] if b.get("run_type") == "iteration"}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

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
        self.assertIn("mode_switches", self.rows[CASES[2]])

    def test_context_has_the_models_and_the_peer_locks(self):
        ctx = self.doc["context"]
        self.assertIn("model:goroutine", ctx["lock_models"])
        self.assertTrue(ctx["locks_peer"].startswith("go_sync_mutex=#"))


if __name__ == "__main__":
    unittest.main()
