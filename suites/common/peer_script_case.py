"""What the suites' peer-script tests share (suites/channels/ and
suites/goroutines/ peer_script_test.py, suites/common/go_peer_test.py): a run
directory holding the suite's JSON, a build directory (SYNCSCOPE_TEST_BUILD, or a temporary one), a PATH
without `go` (bin), and the suite's peer.sh / prepare.sh run with bash."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest


def write(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj))


def read(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class PeerScriptCase(unittest.TestCase):
    """Set SUITE (its name), HERE (its directory) and BENCHMARKS (the rows
    of the suite's JSON the tests start from)."""

    SUITE = HERE = None
    BENCHMARKS = []

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.run_dir = os.path.join(self.tmp.name, "run")
        self.build = os.environ.get("SYNCSCOPE_TEST_BUILD") or os.path.join(self.tmp.name, "build")
        os.makedirs(self.run_dir)
        os.makedirs(self.build, exist_ok=True)
        self.write_run_files()
        # A PATH with the few tools the scripts need before they look for go.
        self.bin = os.path.join(self.tmp.name, "bin")
        os.makedirs(self.bin)
        for tool in ("dirname", "bash"):  # bash: prepare.sh runs peer.sh by its #! line
            os.symlink(shutil.which(tool), os.path.join(self.bin, tool))

    def write_run_files(self):
        """The suite's JSON as the suite would have left it (override for more)."""
        write(os.path.join(self.run_dir, self.SUITE + ".json"),
              {"context": {}, "benchmarks": self.BENCHMARKS})

    def peer(self, *args, path=None, script="peer.sh", timeout=120):
        env = dict(os.environ)
        if path is not None:
            env["PATH"] = path
        return subprocess.run(["/bin/bash", os.path.join(self.HERE, script)] + list(args),
                              capture_output=True, text=True, env=env, timeout=timeout)

    def prepare(self, *args, **kw):
        return self.peer(*args, script="prepare.sh", **kw)

    def served_command(self):
        """prepare.sh's one line (it builds the peer), as the argv the suite
        would run; asserts its shape up to -out."""
        return self.served_line(self.prepare(self.run_dir, "quick", self.build, timeout=600),
                                self.SUITE)

    def served_line(self, p, suite):
        """A finished prepare step p of suite: its one line as the argv the
        suite would run; asserts its shape up to -out."""
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 1, p.stdout)
        self.assertTrue(lines[0].startswith("SYNCSCOPE_PEER="), lines[0])
        cmd = lines[0][len("SYNCSCOPE_PEER="):].split(" ")
        self.assertTrue(os.access(cmd[0], os.X_OK), cmd[0])
        out = os.path.join(os.path.realpath(self.run_dir), ".%s_go.json" % suite)
        self.assertEqual(cmd[1:4], ["-serve", "-out", out])
        return cmd
