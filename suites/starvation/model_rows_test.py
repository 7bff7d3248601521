"""Schema test of the starvation suite's goroutine rows: the suite binary
(SYNCSCOPE_STARVATION_BIN) runs the Go designs with goroutines as parties
(model:goroutine) on the hammer, lockskew and reader/writer families, and
its JSON must name them as starvation.cc says, with the same counters, a
label saying goroutines and no real time, and their histograms in
starvation_hist.json. Nothing here looks at a timing."""

import json
import os
import subprocess
import tempfile
import unittest

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
class ModelRowsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        out = os.path.join(cls.tmp.name, "starvation.json")
        pattern = "^(starvation/lock:GoMutex/model:goroutine/threads:2/|" \
                  "starvation_lockskew/lock:GoMutex/model:goroutine/|" \
                  "starvation_rw/lock:GoRWMutex/model:goroutine/read_pct:90/)"
        cls.proc = subprocess.run(
            [BIN, "--profile=quick", "--placement=none", "--benchmark_repetitions=1",
             "--benchmark_filter=" + pattern, "--benchmark_out=" + out,
             "--benchmark_out_format=json"], capture_output=True, text=True, timeout=600)
        with open(out, encoding="utf-8") as f:
            cls.doc = json.load(f)
        with open(os.path.join(cls.tmp.name, "starvation_hist.json"), encoding="utf-8") as f:
            cls.hist = json.load(f)
        cls.rows = {b["run_name"].rsplit("/manual_time", 1)[0]: b
                    for b in cls.doc["benchmarks"] if b.get("run_type") == "iteration"}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

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
        skew = self.rows["starvation_lockskew/lock:GoMutex/model:goroutine"]
        self.assertEqual(skew["realtime"], 0)
        self.assertIn("sched=other", skew["label"])

    def test_context_has_the_models(self):
        self.assertIn("never real-time", self.doc["context"]["lock_models"])


if __name__ == "__main__":
    unittest.main()
