"""Tests of tests/ctest_counts.py: the counts behind `syncscope: N passed, N failed`."""

import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "ctest_counts.py")

# Shaped like ctest 3.25's --output-junit: one testcase per test, a status
# attribute, a <failure> child for a failed test.
JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="(empty)" tests="5" failures="2" disabled="1" skipped="0" hostname="" time="3">
  <testcase name="A.ok" classname="A.ok" time="0.1" status="run"><system-out>x</system-out></testcase>
  <testcase name="A.ok2" classname="A.ok2" time="0.1" status="run"/>
  <testcase name="A.bad" classname="A.bad" time="0.1" status="fail">
    <failure message="Failed"/></testcase>
  <testcase name="A.missing" classname="A.missing" time="0" status="notrun">
    <skipped message="Unable to find executable"/></testcase>
  <testcase name="A.off" classname="A.off" time="0" status="disabled"/>
</testsuite>
"""


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                          timeout=60)


class CtestCountsTest(unittest.TestCase):
    def test_counts_passed_and_failed(self):
        with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
            f.write(JUNIT)
        try:
            p = run(f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "2 2\n")  # not run counts as failed, disabled as neither

    def test_missing_file_is_exit_1_and_bad_usage_exit_2(self):
        p = run("/nonexistent/junit.xml")
        self.assertEqual(p.returncode, 1)
        self.assertIn("/nonexistent/junit.xml", p.stderr)
        self.assertEqual(len(p.stderr.splitlines()), 1)
        for args in ([], ["a", "b"], ["--bogus"]):
            p = run(*args)
            self.assertEqual(p.returncode, 2, args)
            self.assertEqual(len(p.stderr.splitlines()), 1, (args, p.stderr))
            self.assertIn("valid", p.stderr)


if __name__ == "__main__":
    unittest.main()
