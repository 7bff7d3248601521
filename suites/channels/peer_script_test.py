"""Tests of suites/channels/peer.sh and prepare.sh without Go on PATH and
with bad usage, and (where Go is installed) the served path: prepare.sh
prints the command, the peer answers requests driven here as the suite
would send them, and peer.sh merges its files without a replay (the replay
with Go is the CTest test channels_peer_smoke, opt-in)."""

import json
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from peer_script_case import PeerScriptCase, read  # noqa: E402

CHAN = "channels/impl:Chan/case:spsc/cap:16/msg:8/threads:2/iterations:1/manual_time"


class PeerScriptTest(PeerScriptCase):
    SUITE, HERE = "channels", HERE
    BENCHMARKS = [{"name": CHAN, "run_type": "iteration", "units": 4}]

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


    def test_prepare_bad_usage(self):
        nope = os.path.join(self.tmp.name, "nope")
        for args in ((), (self.run_dir, "quick"), (self.run_dir, "slow", self.build),
                     (nope, "quick", self.build), (self.run_dir, "quick", nope)):
            p = self.prepare(*args)
            self.assertEqual(p.returncode, 2, args)
            self.assertTrue(p.stderr.startswith("error: "), p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertEqual(p.stdout, "")
        self.assertEqual(self.prepare("--help").returncode, 0)

    def test_prepare_without_go_prints_nothing(self):
        p = self.prepare(self.run_dir, "quick", self.build, path=self.bin)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertIn("no 'go' on PATH", p.stderr)

    @unittest.skipUnless(shutil.which("go"), "needs Go")
    def test_served_peer_is_merged_without_a_replay(self):
        cmd = self.served_command()
        run = os.path.realpath(self.run_dir)
        self.assertEqual(cmd[1:], ["-serve", "-out", os.path.join(run, ".channels_go.json"),
                                   "-hist", os.path.join(run, ".channels_go_hist.json"),
                                   "-gomaxprocs", str(len(os.sched_getaffinity(0))),
                                   "-profile", "quick"])
        # The suite's side: the case's thread row, its goroutine row (the
        # case runs then, with the larger units), another implementation's
        # row, a case left pending at EOF.
        goroutine = CHAN.replace("/impl:Chan/", "/impl:Chan/model:goroutine/")
        other = "channels/impl:Chan/case:pingpong/cap:0/msg:8/threads:2/iterations:1/manual_time"
        rows = [{"name": CHAN, "run_type": "iteration", "units": 4},
                {"name": goroutine, "run_type": "iteration", "units": 16},
                {"name": CHAN.replace("impl:Chan", "impl:boost_fiber"), "run_type": "iteration",
                 "units": 8, "ns_per_msg": None},
                {"name": other, "run_type": "iteration", "units": 4}]
        requests = "".join(json.dumps({"benchmarks": [r]}) + "\n" for r in rows)
        p = subprocess.run(cmd, input=requests, capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        answers = [json.loads(line) for line in p.stdout.splitlines()]
        go = CHAN.replace("impl:Chan", "impl:go_chan")
        self.assertEqual(answers[0]["ready"], True)
        self.assertEqual([a["ran"] for a in answers[1:]], [[], [go], [], []])
        # After the suite, with no `go` on PATH: a replay could only record
        # "absent"; the served files must be merged instead.
        for tool in ("setpriv", "rm"):
            os.symlink(shutil.which(tool), os.path.join(self.bin, tool))
        p = self.peer(self.run_dir, "quick", self.build, path=self.bin)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("served", p.stdout)
        doc = read(os.path.join(self.run_dir, "channels.json"))
        got = [(b["name"], b["units"]) for b in doc["benchmarks"]]
        self.assertEqual(got, [(CHAN, 4), (go, 16), (other.replace("impl:Chan", "impl:go_chan"), 4)])
        self.assertTrue(doc["context"]["channels_peer_mode"].startswith("served: "))
        self.assertIn(go.rsplit("/iterations:", 1)[0], read(os.path.join(self.run_dir, "channels_hist.json")))
        self.assertEqual([f for f in os.listdir(self.run_dir) if f.startswith(".")], [])


if __name__ == "__main__":
    unittest.main()
