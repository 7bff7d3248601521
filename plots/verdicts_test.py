"""Tests of plots/verdicts.py on fixed JSON (testing_fixtures.verdict_run) and
of the verdict and disturbance sections of report.html."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import testing_fixtures as fx  # noqa: E402
import verdicts  # noqa: E402


class VerdictTest(fx.TempDirCase):
    @classmethod
    def build(cls, tmp):
        cls.dir = fx.verdict_run(os.path.join(tmp, "run"))
        cls.data = common.load_run(cls.dir)
        cls.vs = verdicts.all_verdicts(cls.data)

    def find(self, question):
        return [v for v in self.vs if v.question == question]

    def test_fastest_lock(self):
        (v,) = self.find("fastest lock (acquisitions/s)")  # 1 thread: one lock, no verdict
        self.assertEqual((v.winner, v.runner_up), ("tas", "ticket"))
        self.assertEqual(v.case, "threads:2/placement:none/cs_ns:100/ncs_ns:100/dist:fixed")
        self.assertAlmostEqual(v.ratio, 202 / 102)
        self.assertAlmostEqual(v.p, 2 / 252)
        self.assertEqual(v.mark, "")
        self.assertEqual(v.figure, "fairness_scaling.png")
        self.assertEqual(v.candidates, 2)

    def test_fairest_lock_not_significant(self):
        (v,) = self.find("fairest lock (Jain's index)")
        self.assertEqual((v.winner, v.runner_up), ("ticket", "tas"))
        self.assertAlmostEqual(v.ratio, 0.95 / 0.94)
        self.assertEqual(v.mark, "~")
        self.assertGreater(v.p, 0.05)

    def test_maps_too_few_repetitions(self):
        (v,) = self.find("sync.Map vs the alternatives (operations/s)")
        self.assertEqual((v.winner, v.runner_up), ("sync_map", "locked_map"))
        self.assertAlmostEqual(v.ratio, 310 / 110)
        self.assertEqual(v.mark, "~")
        self.assertIsNone(v.p)

    def test_lower_is_better(self):
        q = verdicts.Question("starvation", "tail", ("starvation",), "lock", "wait_p999_ns",
                              False, "x.png")
        d = fx.write_reps_suite(os.path.join(self.tmp.name, "low"), "starvation", {
            "starvation/lock:a/threads:2": [{"wait_p999_ns": x} for x in (10, 11, 12, 13)],
            "starvation/lock:b/threads:2": [{"wait_p999_ns": x} for x in (40, 41, 42, 43)]})
        (v,) = verdicts.answer(q, common.load_run(d).suites["starvation"])
        self.assertEqual((v.winner, v.runner_up, v.mark), ("a", "b", ""))
        self.assertAlmostEqual(v.ratio, 41.5 / 11.5)


class VerdictReportTest(fx.TempDirCase):
    @classmethod
    def build(cls, tmp):
        cls.dir = fx.verdict_run(os.path.join(tmp, "run"))
        cls.proc = fx.run_script("report.py", cls.dir)
        cls.text = fx.read_text(os.path.join(cls.dir, "report.html"))

    def test_verdicts_come_first(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        body = self.text[self.text.index("<body>"):]
        h2 = body.index("<h2")
        self.assertTrue(body[h2:].startswith('<h2 id="verdicts">Verdicts</h2>'))
        self.assertIn("Significant differences (1)", body)
        self.assertIn("No significant difference (2)", body)
        self.assertIn('<a href="#fig-fairness_scaling.png">', body)
        self.assertIn('id="fig-fairness_scaling.png"', body)

    def test_disturbed_suite_marked(self):
        # maps ran beside a busy process: 10 of 20 s measuring time disturbed.
        self.assertIn("50 % of the measuring time (10 of 20 s) was disturbed", self.text)
        self.assertIn("DISTURBED: other processes used 0.90 CPUs on average", self.text)
        maps = self.text[self.text.index('<h2 id="suite-maps"'):]
        self.assertIn("<b>Disturbed measurement:</b>", maps)
        self.assertIn("[DISTURBED measurement:", maps)
        fair = self.text[self.text.index('<h2 id="suite-fairness"'):
                         self.text.index('<h2 id="suite-maps"')]
        self.assertNotIn("DISTURBED", fair)

    def test_hypervisor_text_readable(self):
        self.assertIn("Virtual machine (hypervisor detected: cpuid signature KVMKVMKVM)",
                      self.text)
        self.assertNotIn("{&#x27;present", self.text)
        self.assertNotIn("{'present", self.text)


class GoPeerNoiseReportTest(fx.TempDirCase):
    """A suite measured on a quiet machine whose Go peer then ran beside a
    busy process: the peer's window is its own row of the disturbance
    table, flagged, and counts in the disturbed share."""

    @classmethod
    def build(cls, tmp):
        cls.dir = os.path.join(tmp, "run")
        fx.write_reps_suite(cls.dir, "maps", {
            "maps/scenario:read_mostly/map:sync_map/placement:none/real_time/threads:2":
                [{"ops_per_s": v} for v in (300, 310, 320)]},
            noise=fx.QUIET_NOISE,
            extra_context={"maps_peer_go": "go1.19.8 linux/amd64, GOMAXPROCS=2",
                           "maps_go_noise": fx.BUSY_NOISE})
        cls.proc = fx.run_script("report.py", cls.dir)
        cls.text = fx.read_text(os.path.join(cls.dir, "report.html"))

    def test_peer_row_flagged(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        noise = self.text[self.text.index('<h2 id="noise"'):]
        self.assertIn("maps (Go peer)", noise)
        self.assertIn("50 % of the measuring time (10 of 20 s) was disturbed", noise)
        self.assertEqual(noise.count("DISTURBED: other processes used 0.90 CPUs"), 1)
        self.assertIn("DISTURBED while the Go peer measured", self.text)


if __name__ == "__main__":
    unittest.main()
