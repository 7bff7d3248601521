"""A unittest base for a suite's schema tests: run the suite binary once per
test class on a benchmark filter (quick profile, one repetition), load its
--benchmark_out JSON, and index the iteration rows by run name. The three
model-axis tests (channels, fairness, starvation) share it; nothing here
looks at a timing.

A subclass sets BIN (the binary's path, from the environment CTest sets),
SUITE (the JSON's file stem), FILTER (the --benchmark_filter pattern), and
optionally ARGS (more flags) and NAME_END (what ends a case's name in
run_name: "/manual_time" or "/iterations:")."""

import json
import os
import subprocess
import tempfile
import unittest


class SuiteRun(unittest.TestCase):
    BIN = ""
    SUITE = ""
    FILTER = ""
    ARGS = ()
    NAME_END = "/manual_time"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        out = os.path.join(cls.tmp.name, cls.SUITE + ".json")
        cls.proc = subprocess.run(
            [cls.BIN, "--profile=quick", *cls.ARGS, "--benchmark_repetitions=1",
             "--benchmark_filter=" + cls.FILTER, "--benchmark_out=" + out,
             "--benchmark_out_format=json"], capture_output=True, text=True, timeout=600)
        with open(out, encoding="utf-8") as f:
            cls.doc = json.load(f)
        cls.rows = {b["run_name"].rsplit(cls.NAME_END, 1)[0]: b
                    for b in cls.doc["benchmarks"] if b.get("run_type") == "iteration"}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def side_file(cls, name):
        """A side file the suite wrote next to its JSON (e.g. SUITE_hist.json)."""
        with open(os.path.join(cls.tmp.name, name), encoding="utf-8") as f:
            return json.load(f)
