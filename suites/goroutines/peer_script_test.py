"""Tests of suites/goroutines/peer.sh and prepare.sh: bad usage; without Go
on PATH (recorded, not an error; prepare prints nothing); and, where Go is
installed, the served path: prepare.sh prints the command, the peer answers
a request driven here as the suite would send it, and peer.sh merges its
file without running the cases again."""

import json
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from peer_script_case import PeerScriptCase, read  # noqa: E402

CHAN = "goroutines_chan/impl:Chan/case:spsc/cap:0/manual_time"


class PeerScriptTest(PeerScriptCase):
    SUITE, HERE = "goroutines", HERE
    BENCHMARKS = [{"name": CHAN, "run_type": "iteration"}]

    def test_bad_usage_is_one_line_and_exit_2(self):
        for name, args in (("peer.sh", [self.run_dir, "fast", self.build]),
                           ("prepare.sh", [self.run_dir, "fast", self.build]),
                           ("prepare.sh", [self.run_dir, "quick"])):
            p = self.peer(*args, script=name)
            self.assertEqual(p.returncode, 2, (name, args, p.stderr))
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_go_absent(self):
        p = self.prepare(self.run_dir, "quick", self.build, path=self.bin)
        self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)
        p = self.peer(self.run_dir, "quick", self.build, path=self.bin)
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = read(os.path.join(self.run_dir, "goroutines.json"))
        self.assertTrue(doc["context"]["goroutines_peer_go"].startswith("absent: no 'go' on PATH"))

    @unittest.skipUnless(shutil.which("go"), "needs Go (the CTest test is registered only with Go)")
    def test_served_peer_is_merged_without_running_the_cases_again(self):
        cmd = self.served_command()
        out = cmd[3]
        request = json.dumps({"benchmarks": [{"name": CHAN, "run_name": CHAN,
                                              "run_type": "iteration"}]})
        served = subprocess.run(cmd, input=request + "\n", capture_output=True, text=True,
                                timeout=600)
        self.assertEqual(served.returncode, 0, served.stderr)
        ready, answer = [json.loads(l) for l in served.stdout.splitlines()]
        self.assertTrue(ready["ready"])
        self.assertEqual(answer["ran"], ["goroutines_chan/impl:go_chan/case:spsc/cap:0/manual_time"])
        p = self.peer(self.run_dir, "quick", self.build, timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("served", p.stdout)
        self.assertNotIn("running the cases", p.stdout)
        self.assertFalse(os.path.exists(out))
        doc = read(os.path.join(self.run_dir, "goroutines.json"))
        self.assertTrue(doc["context"]["goroutines_peer_mode"].startswith("served"))
        names = {b["run_name"] for b in doc["benchmarks"] if "/impl:go_" in b["name"]}
        self.assertEqual(len(names), 7, names)  # the asked case, then the rest at EOF


if __name__ == "__main__":
    unittest.main()
