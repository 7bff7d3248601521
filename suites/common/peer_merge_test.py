"""Tests of suites/common/peer_merge.py: a peer's entries and histograms are
merged into a suite's run atomically and idempotently (the channels shape,
and the pool / maps / overhead shapes with other keys), a missing peer is
recorded in the context, and bad input is refused with one line."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import peer_merge  # noqa: E402

CHAN = "channels/impl:Chan/case:spsc/cap:16/msg:8/threads:2/iterations:1/manual_time"
GO = CHAN.replace("impl:Chan", "impl:go_chan")


def write(path, obj, raw=None):
    with open(path, "w", encoding="utf-8") as f:
        f.write(raw if raw is not None else json.dumps(obj))


def read(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class PeerMergeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.run_dir = self.tmp.name
        # Google Benchmark writes NaN for some aggregates; it must survive.
        write(os.path.join(self.run_dir, "channels.json"), None, raw=json.dumps(
            {"context": {"syncscope_suite": "channels"},
             "benchmarks": [{"name": CHAN, "run_name": CHAN, "run_type": "iteration", "units": 10},
                            {"name": CHAN + "_cv", "run_name": CHAN, "run_type": "aggregate",
                             "parks_per_msg": float("nan")}]}))
        write(os.path.join(self.run_dir, "channels_hist.json"), {CHAN[:-25]: {"count": 1}})
        self.go_json = os.path.join(self.run_dir, ".go.json")
        self.go_hist = os.path.join(self.run_dir, ".go_hist.json")
        write(self.go_json, {"context": {"channels_peer_go": "go1.19.8 linux/amd64"},
                             "benchmarks": [{"name": GO, "run_name": GO, "run_type": "iteration",
                                             "units": 10, "ns_per_msg": 5.0}]})
        write(self.go_hist, {GO[:-25]: {"count": 2}})

    def test_merge_appends_entries_context_and_histograms(self):
        peer_merge.merge(self.run_dir, 'channels', 'go', self.go_json, self.go_hist)
        doc = read(os.path.join(self.run_dir, "channels.json"))
        self.assertEqual([b["name"] for b in doc["benchmarks"]], [CHAN, CHAN + "_cv", GO])
        self.assertEqual(doc["context"]["channels_peer_go"], "go1.19.8 linux/amd64")
        self.assertEqual(doc["context"]["syncscope_suite"], "channels")
        self.assertNotEqual(doc["benchmarks"][1]["parks_per_msg"], doc["benchmarks"][1]["parks_per_msg"])  # NaN
        hist = read(os.path.join(self.run_dir, "channels_hist.json"))
        self.assertEqual(sorted(hist), sorted([CHAN[:-25], GO[:-25]]))

    def test_merge_twice_keeps_one_set(self):
        peer_merge.merge(self.run_dir, 'channels', 'go', self.go_json, self.go_hist)
        peer_merge.merge(self.run_dir, 'channels', 'go', self.go_json, self.go_hist)
        doc = read(os.path.join(self.run_dir, "channels.json"))
        self.assertEqual(sum(1 for b in doc["benchmarks"] if b["name"] == GO), 1)
        self.assertEqual(len(read(os.path.join(self.run_dir, "channels_hist.json"))), 2)

    def test_histogram_file_created_when_absent(self):
        os.unlink(os.path.join(self.run_dir, "channels_hist.json"))
        peer_merge.merge(self.run_dir, 'channels', 'go', self.go_json, self.go_hist)
        self.assertEqual(list(read(os.path.join(self.run_dir, "channels_hist.json"))), [GO[:-25]])

    def test_note_only(self):
        peer_merge.merge(self.run_dir, 'channels', 'go', note="absent: no 'go' on PATH")
        doc = read(os.path.join(self.run_dir, "channels.json"))
        self.assertEqual(doc["context"]["channels_peer_go"], "absent: no 'go' on PATH")
        self.assertEqual(len(doc["benchmarks"]), 2)
        self.assertEqual(sorted(os.listdir(self.run_dir)),
                         sorted([".go.json", ".go_hist.json", "channels.json", "channels_hist.json"]))

    def test_refuses_foreign_entries_and_bad_files(self):
        write(self.go_json, {"benchmarks": [{"name": CHAN}]})
        with self.assertRaises(peer_merge.MergeError):
            peer_merge.merge(self.run_dir, 'channels', 'go', self.go_json, self.go_hist)
        write(os.path.join(self.run_dir, "channels.json"), None, raw="{broken")
        with self.assertRaises(peer_merge.MergeError):
            peer_merge.merge(self.run_dir, 'channels', 'go', note="x")

    def test_command_line(self):
        script = os.path.join(HERE, "peer_merge.py")
        ok = subprocess.run([sys.executable, script, self.run_dir, "--suite", "channels", "--peer", "go",
                             "--peer-json", self.go_json, "--peer-hist", self.go_hist], capture_output=True, text=True)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        bad = subprocess.run([sys.executable, script, self.run_dir, "--suite", "channels", "--peer", "go",
                              "--peer-hist", self.go_hist],
                             capture_output=True, text=True)
        self.assertEqual(bad.returncode, 2)
        missing = subprocess.run([sys.executable, script, os.path.join(self.run_dir, "nope"),
                                  "--suite", "channels", "--peer", "go", "--note", "x"], capture_output=True, text=True)
        self.assertEqual(missing.returncode, 1)
        self.assertTrue(missing.stderr.startswith("error: "))
        self.assertEqual(len(missing.stderr.strip().splitlines()), 1)

    def test_other_suites_keys(self):
        # pool / maps / overhead name their Go rows under their own keys.
        rows = {"pool": ("pool_overflow/peer:Pool/placement:none/threads:1/real_time",
                         "pool_overflow/peer:go_sync_pool/placement:none/threads:1/real_time"),
                "maps": ("maps/scenario:disjoint_keys/map:SyncMap/placement:none/real_time/threads:2",
                         "maps/scenario:disjoint_keys/map:go_sync_map/placement:none/real_time/threads:2"),
                "overhead": ("overhead_context_cancel/depth:1/width:16/manual_time",
                             "overhead_context_cancel/impl:go_context/depth:1/width:16/manual_time")}
        for suite, (own, go) in rows.items():
            write(os.path.join(self.run_dir, suite + ".json"),
                  {"context": {}, "benchmarks": [{"name": own, "run_name": own}]})
            write(self.go_json, {"context": {suite + "_peer_go": "go1.19.8"},
                                 "benchmarks": [{"name": go, "run_name": go, "ns_per_op": 1.0}]})
            peer_merge.merge(self.run_dir, suite, "go", self.go_json)
            peer_merge.merge(self.run_dir, suite, "go", self.go_json)
            doc = read(os.path.join(self.run_dir, suite + ".json"))
            self.assertEqual([b["name"] for b in doc["benchmarks"]], [own, go], suite)
            self.assertEqual(doc["context"][suite + "_peer_go"], "go1.19.8")
            self.assertFalse(os.path.exists(os.path.join(self.run_dir, suite + "_hist.json")))

    def test_peer_prefix_is_a_whole_value_prefix(self):
        self.assertTrue(peer_merge.is_peer_name("pool_put_get/peer:go_sync_pool/threads:1", "go"))
        self.assertFalse(peer_merge.is_peer_name("fairness/lock:GoMutex/threads:2", "go"))
        self.assertFalse(peer_merge.is_peer_name("go_family/impl:Chan", "go"))
        self.assertFalse(peer_merge.is_peer_name("x/impl:gochan", "go"))

    def test_bad_names_refused(self):
        with self.assertRaises(peer_merge.MergeError):
            peer_merge.merge(self.run_dir, "../channels", "go", note="x")
        with self.assertRaises(peer_merge.MergeError):
            peer_merge.merge(self.run_dir, "channels", "Go", note="x")


if __name__ == "__main__":
    unittest.main()
