"""Tests of run_manifest.py: the manifest run.sh writes, and its bad usage."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "run_manifest.py")

sys.path.insert(0, HERE)
import common  # noqa: E402  (the plots' reader must accept what the script writes)


def run_script(*args):
    p = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


GOOD = ["--run-id", "h-x86_64-20260101T000000Z-123", "--profile", "quick",
        "--started", "2026-01-01T00:00:00Z", "--finished", "2026-01-01T00:01:40Z",
        "--duration-s", "100", "--command", "./run.sh bench --suite c2c",
        "--measuring-started", "2026-01-01T00:00:10Z",
        "--measuring-finished", "2026-01-01T00:01:30Z"]


class RunManifestTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_writes_every_field(self):
        rc, _, err = run_script(self.dir, *GOOD, "c2c", "fairness")
        self.assertEqual(rc, 0, err)
        with open(os.path.join(self.dir, "manifest.json")) as f:
            m = json.load(f)
        self.assertEqual(m, {
            "run_id": "h-x86_64-20260101T000000Z-123", "profile": "quick",
            "suites": ["c2c", "fairness"], "started_utc": "2026-01-01T00:00:00Z",
            "finished_utc": "2026-01-01T00:01:40Z", "duration_s": 100,
            "measuring_started_utc": "2026-01-01T00:00:10Z",
            "measuring_finished_utc": "2026-01-01T00:01:30Z",
            "command": "./run.sh bench --suite c2c"})
        # Nothing but the manifest: the temporary file was renamed.
        self.assertEqual(os.listdir(self.dir), ["manifest.json"])
        with open(os.path.join(self.dir, "context.json"), "w") as f:
            f.write("{}")
        run = common.load_run(self.dir)
        self.assertEqual(run.manifest["run_id"], "h-x86_64-20260101T000000Z-123")

    def test_noise_of_suites_and_their_go_peers_goes_into_the_context(self):
        rec = {"wall_s": 5.0, "foreign_cpus": 0.1}
        peer = {"wall_s": 3.0, "foreign_cpus": 1.2}
        with open(os.path.join(self.dir, "context.json"), "w") as f:
            json.dump({"host": "h"}, f)
        with open(os.path.join(self.dir, "pool.json"), "w") as f:
            json.dump({"benchmarks": [], "syncscope_noise": rec,
                       "context": {"pool_go_noise": peer}}, f)
        with open(os.path.join(self.dir, "c2c.json"), "w") as f:
            json.dump({"benchmarks": [], "syncscope_noise": rec}, f)
        rc, _, err = run_script(self.dir, *GOOD, "pool", "c2c")
        self.assertEqual(rc, 0, err)
        with open(os.path.join(self.dir, "context.json")) as f:
            ctx = json.load(f)
        self.assertEqual(ctx["noise"], {"pool": rec, "pool_go_peer": peer, "c2c": rec})

    def test_finished_defaults_to_now(self):
        args = [a for a in GOOD]
        i = args.index("--finished")
        del args[i:i + 2]
        rc, _, err = run_script(self.dir, *args, "c2c")
        self.assertEqual(rc, 0, err)
        with open(os.path.join(self.dir, "manifest.json")) as f:
            m = json.load(f)
        self.assertRegex(m["finished_utc"], r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

    def test_bad_usage_is_one_line_and_exit_2(self):
        def with_value(flag, value):
            args = list(GOOD)
            args[args.index(flag) + 1] = value
            return args
        cases = [
            (["/nonexistent/run", *GOOD, "c2c"], "'/nonexistent/run'"),
            ([self.dir, *with_value("--profile", "slow"), "c2c"], "'slow'"),
            ([self.dir, *with_value("--started", "yesterday"), "c2c"], "'yesterday'"),
            ([self.dir, *with_value("--duration-s", "-4"), "c2c"], "'-4'"),
            ([self.dir, *with_value("--measuring-started", "now"), "c2c"], "'now'"),
            ([self.dir, *with_value("--run-id", "a/b"), "c2c"], "'a/b'"),
            ([self.dir, *GOOD, "C2C!"], "'C2C!'"),
            ([self.dir, *GOOD], "no SUITE"),
            ([self.dir, *GOOD, "--bogus", "1", "c2c"], "'--bogus'"),
            ([self.dir, "--profile", "quick", "c2c"], "missing --run-id"),
            ([], "missing RUN_DIR"),
        ]
        for args, needle in cases:
            rc, out, err = run_script(*args)
            self.assertEqual(rc, 2, (args, err))
            self.assertEqual(len(err.splitlines()), 1, (args, err))
            self.assertIn(needle, err, args)
            self.assertEqual(out, "", args)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "manifest.json")))

    def test_help(self):
        rc, out, _ = run_script("--help")
        self.assertEqual(rc, 0)
        self.assertIn("manifest.json", out)


if __name__ == "__main__":
    unittest.main()
