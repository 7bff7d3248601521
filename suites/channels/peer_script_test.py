"""Tests of suites/channels/peer.sh without Go on PATH and with bad usage
(the run with Go is the CTest test channels_peer_smoke, registered where Go
is installed)."""

import json
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CHAN = "channels/impl:Chan/case:spsc/cap:16/msg:8/threads:2/iterations:1/manual_time"


def write(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj))


def read(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class PeerScriptTest(unittest.TestCase):
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


if __name__ == "__main__":
    unittest.main()
