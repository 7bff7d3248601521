"""Tests of peer_merge.py: the Go peer's entries and histograms are merged
into a channels run atomically and idempotently, a missing Go is recorded in
the context, and bad input is refused with one line and exit 1."""

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
        peer_merge.merge(self.run_dir, self.go_json, self.go_hist)
        doc = read(os.path.join(self.run_dir, "channels.json"))
        self.assertEqual([b["name"] for b in doc["benchmarks"]], [CHAN, CHAN + "_cv", GO])
        self.assertEqual(doc["context"]["channels_peer_go"], "go1.19.8 linux/amd64")
        self.assertEqual(doc["context"]["syncscope_suite"], "channels")
        self.assertNotEqual(doc["benchmarks"][1]["parks_per_msg"], doc["benchmarks"][1]["parks_per_msg"])  # NaN
        hist = read(os.path.join(self.run_dir, "channels_hist.json"))
        self.assertEqual(sorted(hist), sorted([CHAN[:-25], GO[:-25]]))

    def test_merge_twice_keeps_one_set(self):
        peer_merge.merge(self.run_dir, self.go_json, self.go_hist)
        peer_merge.merge(self.run_dir, self.go_json, self.go_hist)
        doc = read(os.path.join(self.run_dir, "channels.json"))
        self.assertEqual(sum(1 for b in doc["benchmarks"] if b["name"] == GO), 1)
        self.assertEqual(len(read(os.path.join(self.run_dir, "channels_hist.json"))), 2)

    def test_histogram_file_created_when_absent(self):
        os.unlink(os.path.join(self.run_dir, "channels_hist.json"))
        peer_merge.merge(self.run_dir, self.go_json, self.go_hist)
        self.assertEqual(list(read(os.path.join(self.run_dir, "channels_hist.json"))), [GO[:-25]])

    def test_note_only(self):
        peer_merge.merge(self.run_dir, note="absent: no 'go' on PATH")
        doc = read(os.path.join(self.run_dir, "channels.json"))
        self.assertEqual(doc["context"]["channels_peer_go"], "absent: no 'go' on PATH")
        self.assertEqual(len(doc["benchmarks"]), 2)
        self.assertEqual(sorted(os.listdir(self.run_dir)),
                         sorted([".go.json", ".go_hist.json", "channels.json", "channels_hist.json"]))

    def test_refuses_foreign_entries_and_bad_files(self):
        write(self.go_json, {"benchmarks": [{"name": CHAN}]})
        with self.assertRaises(peer_merge.MergeError):
            peer_merge.merge(self.run_dir, self.go_json, self.go_hist)
        write(os.path.join(self.run_dir, "channels.json"), None, raw="{broken")
        with self.assertRaises(peer_merge.MergeError):
            peer_merge.merge(self.run_dir, note="x")

    def test_command_line(self):
        script = os.path.join(HERE, "peer_merge.py")
        ok = subprocess.run([sys.executable, script, self.run_dir, "--go-json", self.go_json,
                             "--go-hist", self.go_hist], capture_output=True, text=True)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        bad = subprocess.run([sys.executable, script, self.run_dir, "--go-json", self.go_json],
                             capture_output=True, text=True)
        self.assertEqual(bad.returncode, 2)
        missing = subprocess.run([sys.executable, script, os.path.join(self.run_dir, "nope"),
                                  "--note", "x"], capture_output=True, text=True)
        self.assertEqual(missing.returncode, 1)
        self.assertTrue(missing.stderr.startswith("error: "))
        self.assertEqual(len(missing.stderr.strip().splitlines()), 1)


if __name__ == "__main__":
    unittest.main()


class PeerScriptTest(unittest.TestCase):
    """peer.sh without Go on PATH and with bad usage (the run with Go is the
    CTest test channels_peer_smoke, registered where Go is installed)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.run_dir = os.path.join(self.tmp.name, "run")
        self.build = os.path.join(self.tmp.name, "build")
        os.makedirs(self.run_dir)
        os.makedirs(self.build)
        write(os.path.join(self.run_dir, "channels.json"),
              {"context": {}, "benchmarks": [{"name": CHAN, "run_type": "iteration", "units": 4}]})
        # A PATH with the few tools peer.sh needs before it looks for go.
        self.bin = os.path.join(self.tmp.name, "bin")
        os.makedirs(self.bin)
        for tool in ("dirname",):
            os.symlink("/usr/bin/" + tool, os.path.join(self.bin, tool))

    def peer(self, *args, path=None):
        env = dict(os.environ)
        if path is not None:
            env["PATH"] = path
        return subprocess.run(["/bin/bash", os.path.join(HERE, "peer.sh")] + list(args),
                              capture_output=True, text=True, env=env, timeout=120)

    def test_go_absent_is_recorded_and_not_an_error(self):
        p = self.peer(self.run_dir, "quick", self.build, path=self.bin)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Go runtime absent", p.stdout)
        doc = read(os.path.join(self.run_dir, "channels.json"))
        self.assertTrue(doc["context"]["channels_peer_go"].startswith("absent: no 'go' on PATH"))
        self.assertEqual(len(doc["benchmarks"]), 1)

    def test_bad_usage(self):
        for args in ((), (self.run_dir, "quick"), (self.run_dir, "slow", self.build),
                     (os.path.join(self.tmp.name, "nope"), "quick", self.build),
                     (self.run_dir, "quick", os.path.join(self.tmp.name, "nope"))):
            p = self.peer(*args)
            self.assertEqual(p.returncode, 2, args)
            self.assertTrue(p.stderr.startswith("error: "), p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertEqual(self.peer("--help").returncode, 0)
