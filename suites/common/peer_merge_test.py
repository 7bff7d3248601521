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


# The suite's own other results (merge_own): the bugs suite's shape.
ZOO_T = "bugs_zoo/bug:lost_update/variant:buggy/cause:traditional/runtime:threads"
ZOO_G = "bugs_zoo/bug:chan_timeout_leak/variant:buggy/cause:Chan/runtime:goroutines"
OV = "bugs_detector_overhead/op:mutex_lock_unlock/detector:on"


class MergeOwnTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.run_dir = self.tmp.name
        self.bugs = os.path.join(self.run_dir, "bugs.json")
        write(self.bugs, {"context": {}, "benchmarks": [
            {"name": ZOO_T, "misbehaved": 1}, {"name": ZOO_G, "misbehaved": 1},
            {"name": OV, "ns_per_op": 50}]})
        self.counters = ("tsan", "go_deadlock", "go_race")

    def test_verdicts_select_by_segments_and_unknown_is_minus_one(self):
        v = os.path.join(self.run_dir, "v.tsv")
        write(v, None, raw="bug:lost_update/variant:buggy/runtime:threads\ttsan\t1\n"
                           "bug:lost_update/variant:fixed/runtime:threads\ttsan\t0\n")
        peer_merge.merge_own(self.run_dir, "bugs", verdicts=v, family="bugs_zoo",
                             counters=self.counters, contexts=["bugs_peer_go=absent: no go"])
        d = read(self.bugs)
        t, g, ov = d["benchmarks"]
        self.assertEqual(t["tsan"], 1.0)
        self.assertEqual(t["go_deadlock"], -1.0)
        self.assertEqual(g["tsan"], -1.0)  # runtime:goroutines is another entry
        self.assertNotIn("tsan", ov)
        self.assertEqual(d["context"]["bugs_peer_go"], "absent: no go")

    def test_entries_appended_once(self):
        o = os.path.join(self.run_dir, "o.json")
        name = OV.replace("detector:on", "detector:compiled_out")
        write(o, {"benchmarks": [{"name": name, "ns_per_op": 10}]})
        peer_merge.merge_own(self.run_dir, "bugs", entries=o)
        peer_merge.merge_own(self.run_dir, "bugs", entries=o)
        names = [b["name"] for b in read(self.bugs)["benchmarks"]]
        self.assertEqual(names.count(name), 1)

    def test_bad_verdict_line_is_an_error(self):
        v = os.path.join(self.run_dir, "v.tsv")
        for raw in ("bug:lost_update\ttsan\tmaybe\n", "bug:lost_update\tcolour\t1\n",
                    "lost_update\ttsan\t1\n"):
            write(v, None, raw=raw)
            with self.assertRaises(peer_merge.MergeError):
                peer_merge.merge_own(self.run_dir, "bugs", verdicts=v, family="bugs_zoo",
                                     counters=self.counters)

    def test_cli_own_mode_and_bad_usage(self):
        script = os.path.join(HERE, "peer_merge.py")
        o = os.path.join(self.run_dir, "o.json")
        write(o, {"benchmarks": []})
        ok = subprocess.run([sys.executable, script, self.run_dir, "--suite", "bugs", "--entries", o,
                             "--context", "k=v"], capture_output=True, text=True)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertEqual(read(self.bugs)["context"]["k"], "v")
        missing = subprocess.run([sys.executable, script, os.path.join(self.run_dir, "nope"),
                                  "--suite", "bugs", "--entries", o], capture_output=True, text=True)
        self.assertEqual(missing.returncode, 2)
        self.assertIn("error: run directory", missing.stderr)
        mixed = subprocess.run([sys.executable, script, self.run_dir, "--suite", "bugs", "--peer", "go",
                                "--entries", o], capture_output=True, text=True)
        self.assertEqual(mixed.returncode, 2)


if __name__ == "__main__":
    unittest.main()
