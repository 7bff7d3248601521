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


def window(start, foreign_cpus, wall=2.0, probes=None):
    """The noise_* fields the harness writes on every row of one benchmark
    (probes: the machine-state probes at its two ends, ns)."""
    w = {} if probes is None else {"noise_line_handoff_before_ns": probes[0],
                                   "noise_line_handoff_after_ns": probes[1]}
    return dict(w, **{"noise_window_start_s": start, "noise_window_end_s": start + wall,
            "noise_wall_s": wall, "noise_load1_before": 1.0, "noise_load1_after": 1.2,
            "noise_own_cpu_s": 1.9, "noise_foreign_cpu_s": foreign_cpus * wall,
            "noise_foreign_cpus": foreign_cpus, "noise_steal_s": 0.0,
            "noise_own_voluntary_csw": 3, "noise_own_involuntary_csw": 7,
            "noise_disturbed": 1 if foreign_cpus > 0.25 else 0})


FAST = "fairness/lock:%s/threads:2/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time"
FAST1 = "fairness/lock:%s/threads:1/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time"
FAST4 = "fairness/lock:%s/threads:4/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time"


def one_disturbed_row_run(directory):
    """fairness, a quiet suite whose benchmarks each carry their own window:
    at 2 threads tas (5 repetitions, its window disturbed: 0.90 other CPUs)
    beats ticket (quiet window); at 1 thread tas and ticket both quiet; at 4
    threads tas alone (no verdict), its rows without a window (as a peer
    that records none would write them). Machine states: at 2 threads tas
    ran fast (30-35 ns probes), ticket slow (215-230); at 1 thread tas's
    window saw both (30 then 215) and ticket's slow: not apart."""
    def reps(values, w):
        return [dict(w, acq_per_s=v, jain_index=0.9) for v in values]
    fx.write_reps_suite(directory, "fairness", {
        FAST % "tas": reps([200, 201, 202, 203, 204], window(100, 0.9, probes=(30.0, 35.0))),
        FAST % "ticket": reps([100, 101, 102, 103, 104], window(102, 0.05, probes=(215.0, 230.0))),
        FAST1 % "tas": reps([500, 501, 502, 503, 504], window(104, 0.1, probes=(30.0, 215.0))),
        FAST1 % "ticket": reps([400, 401, 402, 403, 404], window(106, 0.0, probes=(220.0, 220.0))),
        FAST4 % "tas": [{"acq_per_s": v, "jain_index": 0.9} for v in (50, 51, 52)],
    }, noise=dict(fx.QUIET_NOISE, line_handoff_before_ns=31.0, line_handoff_after_ns=215.0))
    return directory


class DisturbedRowVerdictTest(fx.TempDirCase):
    """Verdicts on fixed JSON with one disturbed row: the verdict comparing
    it says so and names it; the others are quiet although the suite's
    window is the same."""

    @classmethod
    def build(cls, tmp):
        cls.dir = one_disturbed_row_run(os.path.join(tmp, "run"))
        cls.data = common.load_run(cls.dir)
        cls.vs = [v for v in verdicts.all_verdicts(cls.data)
                  if v.question == "fastest lock (acquisitions/s)"]

    def test_rows_keep_their_windows_out_of_the_values(self):
        suite = self.data.suites["fairness"]
        w = common.bench_noise_of(suite, FAST % "tas")
        self.assertEqual(w["foreign_cpus"], 0.9)
        self.assertEqual(w["disturbed"], 1)
        self.assertEqual(len(suite.bench_noise), 4)
        for r in suite.results:
            self.assertFalse([k for k in r.values if k.startswith("noise_")], r.values)
        self.assertFalse([k for reps in suite.rep_values.values() for v in reps for k in v
                          if k.startswith("noise_")])

    def test_verdicts_across_machine_states_say_so(self):
        by_case = {v.case.split("/")[0]: v for v in self.vs}
        self.assertEqual(by_case["threads:2"].states, "tas 30.0-35.0 ns, ticket 215-230 ns")
        self.assertEqual(by_case["threads:1"].states, "")  # tas's window saw both states
        suite = self.data.suites["fairness"]
        self.assertEqual(verdicts.row_probes(suite, next(r for r in suite.results
                                                         if r.name.startswith(FAST4 % "tas"))),
                         [])

    def test_the_verdict_with_the_disturbed_row_says_so(self):
        by_case = {v.case.split("/")[0]: v for v in self.vs}
        two, one = by_case["threads:2"], by_case["threads:1"]
        self.assertEqual((two.winner, two.runner_up, two.mark), ("tas", "ticket", ""))
        self.assertEqual(two.disturbed_rows, ["tas"])
        self.assertTrue(two.disturbed.startswith("tas: other processes used 0.90 CPUs"),
                        two.disturbed)
        self.assertNotIn("ticket", two.disturbed)
        self.assertEqual((one.disturbed, one.disturbed_rows), ("", []))

    def test_rows_without_windows_fall_back_to_the_window_they_ran_in(self):
        d = fx.write_reps_suite(os.path.join(self.tmp.name, "fallback"), "maps", {
            "maps/scenario:r/map:sync_map/threads:2": [{"ops_per_s": v} for v in (3, 4)],
            "maps/scenario:r/map:go_sync_map/threads:2": [{"ops_per_s": v} for v in (1, 2)]},
            noise=fx.QUIET_NOISE, extra_context={"maps_go_noise": fx.BUSY_NOISE})
        (v,) = verdicts.all_verdicts(common.load_run(d))
        self.assertEqual(v.disturbed_rows, ["go_sync_map"])
        self.assertIn("(the Go peer's window)", v.disturbed)
        d = fx.write_reps_suite(os.path.join(self.tmp.name, "none"), "maps", {
            "maps/scenario:r/map:a/threads:2": [{"ops_per_s": v} for v in (3, 4)],
            "maps/scenario:r/map:b/threads:2": [{"ops_per_s": v} for v in (1, 2)]})
        (v,) = verdicts.all_verdicts(common.load_run(d))
        self.assertIsNone(v.disturbed)


class DisturbedRowReportTest(fx.TempDirCase):
    @classmethod
    def build(cls, tmp):
        cls.dir = one_disturbed_row_run(os.path.join(tmp, "run"))
        cls.proc = fx.run_script("report.py", cls.dir)
        cls.text = fx.read_text(os.path.join(cls.dir, "report.html"))

    def test_summary_noise_section_verdict_and_row_are_marked(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        top = self.text[:self.text.index('<h2 id="verdicts"')]
        self.assertIn("1 of 4 benchmarks (25 %) were disturbed in their own windows", top)
        verdict = self.text[self.text.index('<h2 id="verdicts"'):
                            self.text.index('<h2 id="noise"')]
        # Fastest and fairest lock at 2 threads compare tas's disturbed row;
        # at 1 thread both rows are quiet.
        self.assertIn("<b>2 of 4 verdicts</b> compare rows measured while", verdict)
        self.assertEqual(verdict.count("(disturbed: tas)"), 2)
        self.assertEqual(verdict.count("DISTURBED: tas: other processes used 0.90 CPUs"), 2)
        self.assertEqual(verdict.count("<td>quiet</td>"), 2)
        # Both questions at 2 threads compare tas (fast state) with ticket (slow).
        self.assertIn("<b>2 of 4 verdicts</b> compare a winner and a runner-up that ran in "
                      "different states", verdict)
        self.assertEqual(verdict.count("; machine states differ: "), 2)
        noise = self.text[self.text.index('<h2 id="noise"'):
                          self.text.index('<h2 id="context"')]
        self.assertIn("<b>1 of 4 benchmarks (25 %) were disturbed</b>", noise)
        # The machine's state at the suite's two ends (noise.h).
        self.assertIn("<td>31.0 ns → 215 ns</td>", noise)
        self.assertIn('id="noise-benchmarks"', noise)
        self.assertEqual(noise.count(esc_name(FAST % "tas")), 1)
        self.assertNotIn(esc_name(FAST % "ticket"), noise)
        fair = self.text[self.text.index('<h2 id="suite-fairness"'):]
        self.assertIn("<b>1 of 4 benchmarks</b> of this suite were measured while", fair)
        self.assertNotIn("<b>Disturbed measurement:</b>", fair)  # the suite's window is quiet
        rows = fair[fair.index("All 5 results"):]
        self.assertEqual(rows.count("<tr class=\"bad\">"), 1)
        self.assertEqual(rows.count("DISTURBED: other processes used 0.90 CPUs"), 1)
        self.assertEqual(rows.count("<td>quiet</td>"), 3)
        self.assertEqual(rows.count("<td>no window</td>"), 1)
        # The row without a window is counted and named in the noise section.
        self.assertIn("<td>recorded (rows without one: %s)</td>" % esc_name(FAST4 % "tas"),
                      noise)


def esc_name(name):
    return name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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


def build_quiet_suite_busy_peer(cls, tmp, extra_context=None):
    """A maps run measured quietly whose Go peer's window was busy; the
    report's text on cls (dir, proc, text)."""
    cls.dir = os.path.join(tmp, "run")
    fx.write_reps_suite(cls.dir, "maps", {
        "maps/scenario:read_mostly/map:sync_map/placement:none/real_time/threads:2":
            [{"ops_per_s": v} for v in (300, 310, 320)]},
        noise=fx.QUIET_NOISE,
        extra_context=dict({"maps_peer_go": "go1.19.8 linux/amd64, GOMAXPROCS=2",
                            "maps_go_noise": fx.BUSY_NOISE}, **(extra_context or {})))
    cls.proc = fx.run_script("report.py", cls.dir)
    cls.text = fx.read_text(os.path.join(cls.dir, "report.html"))


class GoPeerNoiseReportTest(fx.TempDirCase):
    """A suite measured on a quiet machine whose Go peer then ran beside a
    busy process: the peer's window is its own row of the disturbance
    table, flagged, and counts in the disturbed share."""

    @classmethod
    def build(cls, tmp):
        build_quiet_suite_busy_peer(cls, tmp)

    def test_peer_row_flagged(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        noise = self.text[self.text.index('<h2 id="noise"'):]
        self.assertIn("maps (Go peer, replayed after the suite)", noise)
        self.assertIn("50 % of the measuring time (10 of 20 s) was disturbed", noise)
        self.assertEqual(noise.count("DISTURBED: other processes used 0.90 CPUs"), 1)
        self.assertIn("DISTURBED while the Go peer measured", self.text)



class ServedPeerNoiseTest(fx.TempDirCase):
    """The same, with the peer served (it ran each case right after its C++
    twin, inside the suite's run): its row is still flagged, but its wall
    time lies within the suite's and is not counted a second time."""

    @classmethod
    def build(cls, tmp):
        build_quiet_suite_busy_peer(cls, tmp, {
            "maps_peer_mode": "served: each Go case ran right after the C++ benchmark it twins "
                              "(interleaved)"})

    def test_served_row_flagged_not_counted_twice(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        noise = self.text[self.text.index('<h2 id="noise"'):]
        self.assertIn("maps (Go peer, served: each case after its C++ twin)", noise)
        self.assertIn("0 % of the measuring time (0 of 10 s) was disturbed", noise)
        self.assertEqual(noise.count("DISTURBED: other processes used 0.90 CPUs"), 1)


if __name__ == "__main__":
    unittest.main()
