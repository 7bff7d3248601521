"""Tests of suite_starvation.py on synthetic data (testing_fixtures): every
figure written and valid through report.py and compare.py, the CCDF
arithmetic, the lockskew verdict, and partial or odd data — a missing,
corrupt or incomplete histogram side file skips only the figures that need
it, with a note; empty, errored-only and single-family suites never crash."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import suite_starvation as ss  # noqa: E402
import testing_fixtures as fx  # noqa: E402
from common import RunSide  # noqa: E402


class StarvationReportTest(fx.ReportRunCase):
    """The starvation suite, every lock, side file present, through report.py."""

    MAKE = fx.make_lock_run
    MAKE_ARGS = {"suites": ("starvation",)}
    PNGS = fx.STARVATION_PNGS
    MIN_SIZE = (600, 300)

    def test_sections_and_tables(self):
        for needle in (ss.TITLE,
                       "Hammer wait percentiles at 4 threads, placement none",
                       "Lockskew: the victim&#x27;s wait",
                       "Reader/writer locks (medians over repetitions)"):
            self.assertIn(needle, self.html)
        self.assertNotIn("not drawn", self.html)

    def test_lockskew_marks_the_bounded_victim(self):
        s = common.load_run(self.dir).suites["starvation"]
        rows = {r[0]: r for r in ss.summary_rows(self.dir, s, {})[1].rows}
        # max / 1 ms: GoMutex's victim near the threshold, SpinLock's far off
        # (the fixture jitters values by a few per cent).
        self.assertLess(abs(float(rows["GoMutex"][6]) - 1.3), 0.1)
        self.assertGreater(float(rows["SpinLock"][6]), 40.0)
        self.assertTrue(rows["SpinLock"][5].endswith(" ms"))

    def test_compare_two_runs(self):
        with tempfile.TemporaryDirectory() as out:
            other = fx.make_lock_run(os.path.join(out, "b"), side_files=False, small=True,
                                     suites=("starvation",))
            proc = fx.run_script("compare.py", self.dir, other, "--out",
                                 os.path.join(out, "c"))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            fx.png_size(os.path.join(out, "c", "compare_starvation.png"))
            text = fx.read_text(os.path.join(out, "c", "compare.html"))
            self.assertIn("lockskew victim max wait", text)


class MissingHistogramReportTest(fx.ReportRunCase):
    """Without starvation_hist.json: the CCDFs are skipped, with a note,
    exit code 0."""

    MAKE = fx.make_lock_run
    MAKE_ARGS = {"side_files": False, "small": True, "suites": ("starvation",)}
    PNGS = fx.STARVATION_PNGS[1:]

    def test_notes_on_the_missing_side_file(self):
        self.assertEqual(sorted(f for f in os.listdir(self.dir) if f.endswith(".png")),
                         sorted(self.PNGS))
        self.assertIn("Wait-time CCDFs not drawn: starvation_hist.json is missing", self.html)
        self.assertIn("The victim&#x27;s CCDF is not drawn", self.html)


class HelpersTest(unittest.TestCase):
    def test_ccdf(self):
        xs, ys = ss.ccdf([[30, 1], [10, 2], [20, 1], ["bad", 3], [40], [50, 0], [-1, 4]])
        self.assertEqual(xs, [10.0, 20.0, 30.0])
        self.assertEqual(ys, [1.0, 0.5, 0.25])
        self.assertIsNone(ss.ccdf([]))
        self.assertIsNone(ss.ccdf("nope"))
        self.assertIsNone(ss.ccdf([[10, 0]]))

    def test_reader_writer_order_without_the_registry(self):
        specs = fx.starvation_specs(2, locks=("absl_mutex",), rw_locks=("GoRWMutex",
                                                                        "absl_mutex"))
        with tempfile.TemporaryDirectory() as d:
            s = fx.lock_suite_from("starvation", specs, d, with_registry=False)
        # absl_mutex comes first among all locks (the hammer registers it
        # first) but second among the reader/writer locks.
        self.assertEqual(list(ss.rw_results(s)), ["GoRWMutex", "absl_mutex"])


def model_specs():
    """GoMutex / GoRWMutex on threads and on goroutines (model:goroutine),
    Go's sync.Mutex / sync.RWMutex from the peer, std_mutex as baseline."""
    base = fx.starvation_specs(2, locks=("std_mutex", "GoMutex"), rw_locks=("GoRWMutex",),
                               placements=("none",))
    g = [sp._replace(name=sp.name.replace("/lock:GoMutex/", "/lock:GoMutex/model:goroutine/")
                     .replace("/lock:GoRWMutex/", "/lock:GoRWMutex/model:goroutine/"))
         for sp in fx.starvation_specs(2, locks=("GoMutex",), rw_locks=("GoRWMutex",),
                                       placements=("none",))]
    peer = fx.starvation_specs(2, locks=("go_sync_mutex",), rw_locks=("go_sync_rwmutex",),
                               placements=("none",))
    return base + g + peer


class ModelAxisTest(fx.FigureCase):
    """The goroutine rows and the Go peer's rows are locks of their own in
    every starvation figure (lockskew included) and table."""

    def test_lockskew_and_rw_show_threads_goroutines_and_go(self):
        specs = model_specs()
        s = fx.lock_suite_from("starvation", specs, self.dir)
        fx.write_file(self.dir, ss.HIST_FILE, fx.starvation_hist(specs))
        self.assertEqual(sorted(ss.lockskew_results(s)),
                         sorted(["std_mutex", "GoMutex", "GoMutex_goroutine", "go_sync_mutex"]))
        self.assertEqual(list(ss.rw_results(s)),
                         ["GoRWMutex", "GoRWMutex_goroutine", "go_sync_rwmutex"])
        self.assertFigures(ss.figures(self.dir, s, {}),
                           ["starvation_ccdf.png", "starvation_lockskew.png", "starvation_rw.png",
                            "starvation_percentiles.png"])
        reg = ss.registry(s)
        self.assertEqual(reg.colour("GoRWMutex_goroutine"),
                         common.lighten(reg.colour("GoRWMutex")))
        self.assertEqual(reg.colour("go_sync_rwmutex"),
                         dict(fx.lock_registry()["locks_peer"])["go_sync_rwmutex"])
        tables = ss.summary_rows(self.dir, s, {})
        names = {row[0] for t in tables for row in t.rows}
        self.assertTrue({"GoMutex_goroutine", "go_sync_mutex"} <= names, names)


class PartialDataTest(fx.FigureCase):
    def test_empty_suite(self):
        s = common.parse_suite("starvation", os.path.join(self.dir, "starvation.json"),
                               {"benchmarks": []})
        self.assertEqual(ss.figures(self.dir, s, {}), [])
        self.assertEqual(ss.summary_rows(self.dir, s, {}), [])
        self.assertEqual(ss.notes(self.dir, s, {}), [])
        side = RunSide("A", s, {})
        self.assertEqual(ss.compare_figures(self.dir, side, side), [])
        self.assertEqual(ss.compare_tables(side, side), [])

    def test_errored_only(self):
        specs = fx.starvation_specs(2, locks=("SpinLock",), rw_locks=(), placements=("smt",))
        s = fx.lock_suite_from("starvation", [sp for sp in specs if sp.error], self.dir)
        self.assertTrue(s.errors)
        self.assertEqual(ss.figures(self.dir, s, {}), [])

    def hammer_only(self, locks):
        """(suite, figures) of a hammer-only run of `locks` with its
        histogram side file."""
        specs = fx.starvation_specs(2, locks=locks, rw_locks=(), placements=("none",))
        hammer = [sp for sp in specs if sp.name.startswith("starvation/")]
        s = fx.lock_suite_from("starvation", hammer, self.dir)
        fx.write_file(self.dir, ss.HIST_FILE, fx.starvation_hist(hammer))
        figs = ss.figures(self.dir, s, {})
        self.assertFigures(figs, ["starvation_ccdf.png", "starvation_percentiles.png"])
        return s, figs

    def test_starvation_hammer_few_locks_single_panel(self):
        s, figs = self.hammer_only(("GoMutex", "SpinLock"))
        self.assertIn("one line per lock", figs[0][1])
        t = ss.summary_rows(self.dir, s, {})[0]
        self.assertEqual([r[0] for r in t.rows], ["GoMutex", "SpinLock"])
        self.assertEqual(t.rows[0][1:4], ["40 ns", "60 ns", "800 ns"])

    def test_starvation_many_locks_small_multiples(self):
        _, figs = self.hammer_only(fx.MUTEX_LOCKS[:8])
        self.assertIn("one panel per lock", figs[0][1])

    def test_starvation_side_file_without_matching_entries(self):
        specs = fx.starvation_specs(2, locks=("GoMutex", "GoMutex2015"), rw_locks=(),
                                    placements=("none",))
        s = fx.lock_suite_from("starvation", specs, self.dir)
        fx.write_file(self.dir, ss.HIST_FILE, {"starvation/lock:Other/threads:2": {"buckets": [[1, 1]]},
                                       "starvation_lockskew/lock:GoMutex": {"buckets": "x"}})
        figs = ss.figures(self.dir, s, {})
        self.assertFigures(figs, ["starvation_lockskew.png", "starvation_percentiles.png"])
        self.assertIn("CCDF is not drawn", figs[0][1])

    def test_starvation_corrupt_side_file(self):
        specs = fx.starvation_specs(2, locks=("GoMutex",), rw_locks=(), placements=("none",))
        s = fx.lock_suite_from("starvation", specs, self.dir)
        fx.write_file(self.dir, ss.HIST_FILE, "[[[")
        figs = ss.figures(self.dir, s, {})
        self.assertFigures(figs, ["starvation_lockskew.png", "starvation_percentiles.png"])
        self.assertIn("corrupt JSON", ss.notes(self.dir, s, {})[0])

    def test_lockskew_only_victim_never_acquired(self):
        spec = fx.BenchSpec("starvation_lockskew/lock:SpinLock/manual_time", counters={
            "victim_wait_p50_ns": 0.0, "victim_wait_p99_ns": 0.0, "victim_wait_max_ns": 0.0,
            "victim_wait_count": 0.0, "victim_acq": 0.0, "hog_acq": 1e6}, explicit_threads=False)
        other = fx.BenchSpec("starvation_lockskew/lock:GoMutex/manual_time", counters={
            "victim_wait_p99_ns": 9e5, "victim_wait_max_ns": 1.2e6, "victim_acq": 2000.0},
            explicit_threads=False)
        s = fx.lock_suite_from("starvation", [spec, other], self.dir)
        figs = ss.figures(self.dir, s, {})
        self.assertFigures(figs, ["starvation_lockskew.png"])
        rows = ss.summary_rows(self.dir, s, {})[0].rows
        self.assertEqual([r[0] for r in rows], ["GoMutex", "SpinLock"])
        self.assertEqual(rows[0][6], "1.20")
        self.assertEqual(len(ss.notes(self.dir, s, {})), 2)   # no histogram; lockskew

    def test_rw_only(self):
        specs = fx.starvation_specs(2, locks=(), rw_locks=("absl_mutex", "GoRWMutex"))
        s = fx.lock_suite_from("starvation", specs, self.dir)
        figs = ss.figures(self.dir, s, {})
        self.assertFigures(figs, ["starvation_rw.png"])
        rows = ss.summary_rows(self.dir, s, {})[0].rows
        self.assertEqual([r[0] for r in rows[::4]], ["GoRWMutex", "absl_mutex"])
        self.assertEqual(rows[0][1:5], ["0 %", "4", "—", "—"])   # no readers at 0 %
        self.assertEqual(ss.notes(self.dir, s, {}), [])

    def test_compare_one_side_missing(self):
        none = RunSide("A", None, {})
        st = fx.lock_suite_from("starvation", fx.starvation_specs(
            2, locks=("GoMutex",), rw_locks=(), placements=("none",)), self.dir)
        b = RunSide("B", st, {})
        self.assertFigures(ss.compare_figures(self.dir, none, b), ["compare_starvation.png"])
        self.assertEqual(ss.compare_tables(none, b)[0].rows[0][:3], ["GoMutex", "—", "800 ns"])
        self.assertEqual(ss.compare_figures(self.dir, none, none), [])


class WhiskersTest(fx.WhiskerCase):
    """p10-p90 over the repetitions on the lockskew bars and the compare
    bars, error bars on the reader/writer lines; n=1 draws none."""

    def specs(self):
        return fx.starvation_specs(2, locks=("GoMutex", "GoMutex2015", "TicketLock"),
                                   placements=("none",))

    def test_whiskers_are_p10_p90_of_the_repetitions(self):
        s, doc = fx.jittered_suite("starvation", self.specs(), repetitions=5,
                                   extra_context=fx.registry_context())
        with fx.CapturedFigures(ss) as cap:
            figs = dict(ss.figures(self.dir, s, {}))
        want = {}
        for key in ("victim_wait_max_ns", "victim_wait_p99_ns"):
            want.update({(n, key): v for n, v in fx.expected_spreads(doc, key).items()})
        self.assertWhiskers(cap.whiskers["starvation_lockskew.png"], want, count=2 * 3)
        self.assertEqual(cap.bars["starvation_lockskew.png"], 2 * 3)
        self.assertIn("p10–p90 over the run's repetitions", figs["starvation_lockskew.png"])
        want = {}
        for who in ("reader", "writer"):
            for stat in ("p99", "max"):
                key = "%s_wait_%s_ns" % (who, stat)
                want.update({(n, key): v for n, v in fx.expected_spreads(doc, key).items()})
        # Per reader/writer lock: writers at 4 read shares, readers at 3 (0 %
        # reads has no reader), p99 and max.
        self.assertWhiskers(cap.whiskers["starvation_rw.png"], want,
                            count=len(fx.RW_LOCKS) * (4 + 3) * 2)
        self.assertIn("Error bars: p10–p90", figs["starvation_rw.png"])
        # Percentile ladder at 4 threads: p50, p90, p99, p99.9 and max per lock.
        want = {}
        for key in ("p50", "p90", "p99", "p999", "max"):
            want.update({(n, key): v for n, v in fx.expected_spreads(
                doc, "wait_%s_ns" % key).items()})
        self.assertWhiskers(cap.whiskers["starvation_percentiles.png"], want, count=3 * 5)

    def test_one_repetition_draws_no_whisker(self):
        s = fx.lock_suite_from("starvation", self.specs(), self.dir, repetitions=1)
        with fx.CapturedFigures(ss) as cap:
            figs = dict(ss.figures(self.dir, s, {}))
        for png in ("starvation_lockskew.png", "starvation_rw.png",
                    "starvation_percentiles.png"):
            self.assertNoSpread(cap, png)
            self.assertIn("n=1, no spread", figs[png])

    def test_compare_whiskers(self):
        a, doc = fx.jittered_suite("starvation", self.specs(), repetitions=4,
                                   extra_context=fx.registry_context())
        b = fx.lock_suite_from("starvation", self.specs(), self.dir, repetitions=1)
        with fx.CapturedFigures(ss) as cap:
            ss.compare_figures(self.dir, RunSide("A", a, {}), RunSide("B", b, {}))
        want = {}
        for key in ("wait_p99_ns", "victim_wait_max_ns"):
            want.update({(n, key): v for n, v in fx.expected_spreads(doc, key).items()})
        # A's hammer p99 and victim max per lock; B has one repetition.
        self.assertWhiskers(cap.whiskers["compare_starvation.png"], want, count=2 * 3)


if __name__ == "__main__":
    unittest.main()
