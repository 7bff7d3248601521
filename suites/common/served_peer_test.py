"""A served peer end to end (served_peer.h, protocol of issue 11): the
test-only suite syncscope_noise_probe runs its two quiet benchmarks through
the real harness with SYNCSCOPE_PEER set to a fake peer, a /bin/sh script
that logs each request (no Go needed). The peer must be asked once per
benchmark, in benchmark order, with that benchmark's iteration rows exactly
as the --benchmark_out file holds them; the suite's record and context must
say it was served. A peer that fails (an {"error"} answer, a non-zero exit at
the end) must fail the suite: exit 1, one line on stderr, no output file.
Where benchmarks get no window of their own the peer is not started, and the
record says why. Nothing here looks at a timing."""

import json
import math
import os
import subprocess
import tempfile
import unittest

PROBE = os.environ.get("SYNCSCOPE_NOISE_PROBE", "")
FILTER = "--benchmark_filter=phase:(before|after)"  # not the busy one: it waits for noise_window_test

PEER = r"""
echo '{"ready":true,"peer":"fake peer (sh)"}'
n=0
while IFS= read -r line; do
  n=$((n+1))
  printf '%s\n' "$line" >> "$1"
  ANSWER
done
echo "fake peer: $n requests" >&2
exit EXIT
"""
RAN = r'echo "{\"ran\":[\"go/$n\"]}"'


def same(a, b):
    """Rows equal, NaN (Google Benchmark's) read as the request's null."""
    if isinstance(a, float) and math.isnan(a):
        a = None
    if isinstance(b, float) and math.isnan(b):
        b = None
    if isinstance(a, float) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=0)
    return a == b


@unittest.skipUnless(PROBE, "SYNCSCOPE_NOISE_PROBE not set (run through ctest)")
class ServedPeerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="served_peer_test_")
        self.out = os.path.join(self.tmp.name, "noise_probe.json")
        self.log = os.path.join(self.tmp.name, "requests.log")

    def tearDown(self):
        self.tmp.cleanup()

    def run_probe(self, answer=RAN, exit_code=0, args=()):
        script = os.path.join(self.tmp.name, "peer.sh")
        with open(script, "w") as f:
            f.write(PEER.replace("ANSWER", answer).replace("EXIT", str(exit_code)))
        env = dict(os.environ, SYNCSCOPE_PEER="/bin/sh %s %s" % (script, self.log),
                   SYNCSCOPE_NOISE_PROBE_DIR=self.tmp.name)
        return subprocess.run([PROBE, "--benchmark_repetitions=2", FILTER,
                               "--benchmark_out=" + self.out, *args],
                              env=env, capture_output=True, text=True, timeout=300)

    def requests(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f]

    def test_each_benchmark_is_asked_in_order_with_its_rows(self):
        p = self.run_probe()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("fake peer: 2 requests", p.stderr)
        with open(self.out) as f:
            doc = json.load(f)
        asked = self.requests()
        self.assertEqual(len(asked), 2)
        names = [r["benchmarks"][0]["run_name"] for r in asked]
        self.assertEqual(names, ["noise_probe/phase:before/iterations:1/real_time",
                                 "noise_probe/phase:after/iterations:1/real_time"])
        for request in asked:
            rows = request["benchmarks"]
            name = rows[0]["run_name"]
            in_file = [b for b in doc["benchmarks"]
                       if b["run_name"] == name and b["run_type"] == "iteration"]
            self.assertEqual(len(rows), 2)  # the two repetitions, no aggregate
            self.assertEqual(len(rows), len(in_file))
            for sent, written in zip(rows, in_file):
                self.assertEqual(set(sent), set(written), name)
                for k in written:
                    self.assertTrue(same(written[k], sent[k]), (name, k, written[k], sent[k]))
        self.assertEqual(doc["context"]["syncscope_peer"], "served: fake peer (sh)")
        peer = doc["syncscope_noise"]["peer"]
        self.assertEqual(peer["requests"], 2)
        self.assertEqual(peer["go_rows"], 2)
        self.assertTrue(peer["command"].startswith("/bin/sh "))
        self.assertGreaterEqual(peer["seconds"], 0)
        # The peer's run is in no window: the next window starts after it.
        w = {r["run_name"]: r for r in doc["benchmarks"] if r["run_type"] == "iteration"}
        before, after = (w["noise_probe/phase:%s/iterations:1/real_time" % p] for p in
                         ("before", "after"))
        self.assertGreaterEqual(after["noise_window_start_s"], before["noise_window_end_s"])

    def test_an_error_answer_fails_the_suite_and_leaves_no_output(self):
        with open(self.out, "w") as f:
            f.write('{"benchmarks": []}\n')  # a stale file from an earlier run
        p = self.run_probe(answer=r"""echo '{"error":"no twin for it"}'""")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(p.stderr.strip().splitlines()[-1],
                         "error: noise_probe peer: no twin for it")
        self.assertFalse(os.path.exists(self.out))
        self.assertEqual(len(self.requests()), 1)  # stopped at the first error

    def test_a_non_zero_exit_at_the_end_fails_the_suite(self):
        p = self.run_probe(exit_code=3)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(p.stderr.strip().splitlines()[-1],
                         "error: noise_probe peer: exited with status 3 after its stdin closed")
        self.assertFalse(os.path.exists(self.out))

    def run_not_served(self, *args):
        """Runs the probe with args, under which the peer is not served: the
        suite succeeds, asks the peer nothing, and its JSON is returned."""
        p = self.run_probe(args=args)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.requests(), [])
        with open(self.out) as f:
            return json.load(f)

    def test_not_served_without_windows_of_its_own(self):
        doc = self.run_not_served("--benchmark_enable_random_interleaving=true")
        self.assertTrue(doc["syncscope_noise"]["peer"].startswith(
            "not served: SYNCSCOPE_PEER set, but benchmarks get no window of their own here"))
        self.assertTrue(doc["context"]["syncscope_peer"].startswith("not served: "))

    def test_not_served_when_only_aggregates_are_reported(self):
        doc = self.run_not_served("--benchmark_report_aggregates_only")
        self.assertEqual(doc["syncscope_noise"]["peer"],
                         "not served: SYNCSCOPE_PEER set, but --benchmark_report_aggregates_only "
                         "leaves no iteration rows to ask the peer with")


if __name__ == "__main__":
    unittest.main()
