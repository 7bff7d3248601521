"""Tests of the lock-suite plot modules, suite_fairness.py and
suite_starvation.py, on synthetic data (testing_fixtures): every figure
written and valid through report.py and compare.py, the helpers' arithmetic
(side-file keys, Pareto front, starvation spans, CCDF), and partial or odd
data — a missing, corrupt or incomplete side file skips only the figures that
need it, with a note; empty, errored-only and single-family suites never
crash."""

import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import style  # noqa: E402
import suite_fairness as sf  # noqa: E402
import suite_starvation as ss  # noqa: E402
import testing_fixtures as fx  # noqa: E402
from common import RunSide  # noqa: E402

FAIRNESS_PNGS = ["fairness_shares.png", "fairness_pareto.png", "fairness_scaling.png",
                 "fairness_go_modes.png", "fairness_uncontended.png"]
STARVATION_PNGS = ["starvation_ccdf.png", "starvation_lockskew.png", "starvation_rw.png",
                   "starvation_percentiles.png"]


run_script = fx.run_script


SMALL_MUTEXES = ("std_mutex", "GoMutex2015", "GoMutex", "SpinLock")


def make_lock_run(directory, side_files=True, pus=2, small=False):
    """A run directory with both lock suites: every lock, or (small) a few
    locks, the instrumented Go mutexes and two reader/writer locks."""
    fx.make_run(directory, pus=pus, suites=())
    fair = starv = None
    if small:
        fair = fx.fairness_specs(pus, locks=SMALL_MUTEXES + fx.INSTRUMENTED_LOCKS,
                                 placements=("none", "smt"))
        starv = fx.starvation_specs(pus, locks=SMALL_MUTEXES,
                                    rw_locks=("GoRWMutex", "std_shared_mutex"),
                                    placements=("none",))
    return fx.add_lock_suites(directory, pus=pus, side_files=side_files, fair_specs=fair,
                              starv_specs=starv)


read = fx.read_text


class FullLockRunTest(unittest.TestCase):
    """Both suites, all locks, side files present, through report.py."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = make_lock_run(os.path.join(cls.tmp.name, "vm-x86_64-20261128T170000Z"))
        cls.proc = run_script("report.py", cls.dir)
        cls.html = read(os.path.join(cls.dir, "report.html"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_exit_code_and_quiet(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(self.proc.stderr, "")

    def test_every_figure_written_valid_and_referenced(self):
        for png in FAIRNESS_PNGS + STARVATION_PNGS:
            w, h = fx.png_size(os.path.join(self.dir, png))
            self.assertGreater(w, 600, png)
            self.assertGreater(h, 300, png)
            self.assertIn('<img src="%s"' % png, self.html)
        self.assertEqual([f for f in os.listdir(self.dir) if f.startswith(".")], [])

    def test_sections_tables_and_errors(self):
        for needle in (sf.TITLE, ss.TITLE,
                       "Fairness at 4 threads, placement none (cs 100 ns, ncs 100 ns, fixed",
                       "Instrumented Go mutexes, placement none",
                       "Hammer wait percentiles at 4 threads, placement none",
                       "Lockskew: the victim&#x27;s wait",
                       "Reader/writer locks (medians over repetitions)",
                       "placement &#x27;smt&#x27; not honoured on this machine",
                       "Headline point: 4 threads, placement none"):
            self.assertIn(needle, self.html)
        # Side files present: no note about them.
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
            other = make_lock_run(os.path.join(out, "b"), side_files=False, small=True)
            proc = run_script("compare.py", self.dir, other, "--out", os.path.join(out, "c"))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            for png in ("compare_fairness.png", "compare_starvation.png"):
                fx.png_size(os.path.join(out, "c", png))
            text = read(os.path.join(out, "c", "compare.html"))
            self.assertIn("Fairness headline: A at 4 threads / none", text)
            self.assertIn("lockskew victim max wait", text)


class MissingSideFilesReportTest(unittest.TestCase):
    """Without fairness_timeline.json and starvation_hist.json: the figures
    that need them are skipped or reduced, with a note, exit code 0."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = make_lock_run(os.path.join(cls.tmp.name, "run"), side_files=False,
                                small=True)
        cls.proc = run_script("report.py", cls.dir)
        cls.html = read(os.path.join(cls.dir, "report.html"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_report_ok(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(self.proc.stderr, "")

    def test_figures_needing_side_files(self):
        pngs = sorted(f for f in os.listdir(self.dir) if f.endswith(".png"))
        self.assertEqual(pngs, sorted(FAIRNESS_PNGS[:-1] + STARVATION_PNGS[1:]))
        for png in pngs:
            fx.png_size(os.path.join(self.dir, png))
        self.assertIn("Starvation-mode timeline not drawn: fairness_timeline.json is "
                      "missing from the run directory.", self.html)
        self.assertIn("Wait-time CCDFs not drawn: starvation_hist.json is missing", self.html)
        self.assertIn("The victim&#x27;s CCDF is not drawn", self.html)
        self.assertIn("The starvation-mode timeline is not drawn: fairness_timeline.json "
                      "is missing", self.html)


def suite_from(name, specs, directory, repetitions=1):
    doc = fx.gb_document(name, specs, repetitions=repetitions, jitter=0.0,
                         extra_context={"lockskew": "hog cs 200 ns"})
    return common.parse_suite(name, os.path.join(directory, name + ".json"), doc)


def write(directory, fname, obj):
    with open(os.path.join(directory, fname), "w", encoding="utf-8") as f:
        if isinstance(obj, str):
            f.write(obj)
        else:
            json.dump(obj, f)


class HelpersTest(unittest.TestCase):
    def test_side_key_strips_only_trailing_benchmark_segments(self):
        side = {"starvation_rw/lock:L/read_pct:50/threads:4": 1, "fairness/lock:L/threads:2": 2}
        self.assertEqual(sf.side_key("starvation_rw/lock:L/read_pct:50/threads:4/manual_time",
                                     side), "starvation_rw/lock:L/read_pct:50/threads:4")
        self.assertEqual(sf.side_key("fairness/lock:L/threads:2/manual_time/repeats:3", side),
                         "fairness/lock:L/threads:2")
        self.assertIsNone(sf.side_key("fairness/lock:L/threads:4/manual_time", side))
        self.assertIsNone(sf.side_key("fairness/lock:M/threads:2/manual_time", side))

    def test_threads_come_from_the_name(self):
        with tempfile.TemporaryDirectory() as d:
            s = suite_from("fairness", fx.fairness_specs(2, locks=("SpinLock",),
                                                         placements=("none",)), d)
        self.assertEqual([r.threads for r in s.results], [1, 1, 1])   # GB's own
        self.assertEqual([sf.threads_of(r) for r in s.results], [1, 2, 4])

    def test_pareto_front(self):
        pts = [(0.9, 10.0), (0.5, 50.0), (0.95, 5.0), (0.4, 20.0), (0.9, 8.0), (1.0, 1.0)]
        self.assertEqual(sf.pareto_front(pts), [5, 2, 0, 1])
        self.assertEqual(sf.pareto_front([(0.5, 1.0)]), [0])
        self.assertEqual(sf.pareto_front([]), [])

    def test_starvation_spans(self):
        entry = {"duration_ms": 50.0, "events": [
            {"t_ms": 30.0, "entered_starvation": True},
            {"t_ms": 5.0, "entered_starvation": False},      # exit before any entry
            {"t_ms": 10.0, "entered_starvation": True},
            {"t_ms": 12.0, "entered_starvation": True},      # already starving
            {"t_ms": 20.0, "entered_starvation": False},
            {"t_ms": "x", "entered_starvation": True},       # malformed
            {"entered_starvation": False}, 7]}
        self.assertEqual(sf.starvation_spans(entry), [(10.0, 20.0), (30.0, 50.0)])
        self.assertEqual(sf.starvation_spans({"events": "nope"}), [])
        self.assertEqual(sf.starvation_spans({"duration_ms": 9.0, "events": []}), [])

    def test_ccdf(self):
        xs, ys = ss.ccdf([[30, 1], [10, 2], [20, 1], ["bad", 3], [40], [50, 0], [-1, 4]])
        self.assertEqual(xs, [10.0, 20.0, 30.0])
        self.assertEqual(ys, [1.0, 0.5, 0.25])
        self.assertIsNone(ss.ccdf([]))
        self.assertIsNone(ss.ccdf("nope"))
        self.assertIsNone(ss.ccdf([[10, 0]]))

    def test_formatting(self):
        self.assertEqual(sf.fmt_ns(40.0), "40 ns")
        self.assertEqual(sf.fmt_ns(1300.0), "1.30 µs")
        self.assertEqual(sf.fmt_ns(3.6e7), "36.0 ms")
        self.assertEqual(sf.fmt_ns(2.5e9), "2.50 s")
        self.assertEqual(sf.fmt_ns(None), "—")
        self.assertEqual([sf.ns_tick(v) for v in (100, 1e3, 1e6, 0)],
                         ["100 ns", "1 µs", "1 ms", ""])

    def test_lock_colours(self):
        self.assertEqual(style.colour("GoMutex_instr"), style.colour("GoMutex"))
        self.assertEqual(style.colour("GoMutex2015_instr"), style.colour("GoMutex2015"))
        self.assertEqual(style.marker("GoMutex_instr"), style.marker("GoMutex"))
        self.assertEqual(style.base_name("_instr"), "_instr")
        for group in (fx.MUTEX_LOCKS, fx.RW_LOCKS):
            cols = [style.colour(lk) for lk in group]
            self.assertEqual(len(set(cols)), len(cols), group)

    def test_lock_order(self):
        self.assertEqual(sf.ordered_locks(["zz", "GoMutex", "std_mutex", "aa"]),
                         ["std_mutex", "GoMutex", "aa", "zz"])

    def test_place_labels_without_overlap(self):
        import draw
        fig, axes = draw.new_figure(6.0, 4.0)
        ax = axes[0][0]
        pts = [(0.50, 1.00, "std_mutex"), (0.51, 1.02, "pthread_adaptive"),
               (0.52, 0.98, "GoMutex2008"), (0.20, 0.50, "TicketLock"),
               (0.90, 1.50, "SpinLock"), (0.49, 1.01, "GoMutex")]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts])
        ax.set_xlim(0, 1)
        ax.set_ylim(0.3, 1.8)
        fig.tight_layout()
        sf.place_labels(ax, [(x, y, t, "#000000") for x, y, t in pts])
        renderer = fig.canvas.get_renderer()
        from matplotlib.text import Text
        texts = [t for t in ax.texts]
        self.assertEqual(sorted(t.get_text() for t in texts), sorted(p[2] for p in pts))
        boxes = []
        for t in texts:
            t.update_positions(renderer)
            boxes.append(Text.get_window_extent(t, renderer))
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                self.assertFalse(boxes[i].overlaps(boxes[j]),
                                 (texts[i].get_text(), texts[j].get_text()))
        import matplotlib.pyplot as plt
        plt.close(fig)


class PartialDataTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name

    def assertFigures(self, figs, expected):
        self.assertEqual([f for f, _ in figs], expected)
        for png, caption in figs:
            fx.png_size(os.path.join(self.dir, png))
            self.assertTrue(caption)

    def test_empty_suites(self):
        for name, mod in (("fairness", sf), ("starvation", ss)):
            s = common.parse_suite(name, os.path.join(self.dir, name + ".json"),
                                   {"benchmarks": []})
            self.assertEqual(mod.figures(self.dir, s, {}), [])
            self.assertEqual(mod.summary_rows(self.dir, s, {}), [])
            self.assertEqual(mod.notes(self.dir, s, {}), [])
            side = RunSide("A", s, {})
            self.assertEqual(mod.compare_figures(self.dir, side, side), [])
            self.assertEqual(mod.compare_tables(side, side), [])

    def test_errored_only(self):
        specs = fx.fairness_specs(2, locks=("SpinLock",), placements=("smt",))
        s = suite_from("fairness", specs, self.dir)
        self.assertEqual(len(s.errors), 3)
        self.assertEqual(sf.figures(self.dir, s, {}), [])
        specs = fx.starvation_specs(2, locks=("SpinLock",), rw_locks=(), placements=("smt",))
        s = suite_from("starvation", [sp for sp in specs if sp.error], self.dir)
        self.assertEqual(ss.figures(self.dir, s, {}), [])

    def test_fairness_single_lock_single_thread(self):
        specs = [sp for sp in fx.fairness_specs(1, locks=("std_mutex",), placements=("none",))]
        self.assertEqual(len(specs), 2)   # threads 1 and 2 on one PU
        s = suite_from("fairness", specs[:1], self.dir)
        figs = sf.figures(self.dir, s, {})
        self.assertFigures(figs, ["fairness_shares.png", "fairness_pareto.png",
                                  "fairness_scaling.png"])
        t = sf.summary_rows(self.dir, s, {})[0]
        self.assertEqual(t.rows, [["std_mutex", "733k", "1.000", "0.000", "1.000", "1.000",
                                   "1.00", "1.00"]])
        self.assertIn("Headline point: 1 threads", sf.notes(self.dir, s, {})[0])

    def test_fairness_without_per_thread_counters_or_none_placement(self):
        specs = fx.fairness_specs(2, locks=("GoMutex", "TicketLock"),
                                  placements=("compact", "cross"), per_thread=False)
        s = suite_from("fairness", specs, self.dir, repetitions=3)
        figs = sf.figures(self.dir, s, {})
        self.assertFigures(figs, ["fairness_pareto.png", "fairness_scaling.png"])
        self.assertIn("placements the machine could not honour (cross)", figs[1][1].lower())
        t = sf.summary_rows(self.dir, s, {})[0]
        self.assertEqual(t.title.split(" (")[0], "Fairness at 4 threads, placement compact")

    def test_fairness_several_workloads(self):
        specs = fx.fairness_specs(2, locks=("GoMutex", "SpinLock", "McsLock"),
                                  placements=("none",),
                                  workloads=((100, 100, "fixed"), (1000, 1000, "exponential")))
        s = suite_from("fairness", specs, self.dir)
        figs = sf.figures(self.dir, s, {})
        self.assertFigures(figs, ["fairness_shares.png", "fairness_pareto.png",
                                  "fairness_scaling.png"])
        self.assertIn("One panel per workload", figs[1][1])
        self.assertEqual(len(sf.summary_rows(self.dir, s, {})), 2)
        self.assertIn("Workloads measured", sf.notes(self.dir, s, {})[1])

    def test_fairness_timeline_variants(self):
        specs = fx.fairness_specs(2, locks=("GoMutex_instr", "GoMutex2015_instr"),
                                  placements=("none",))
        s = suite_from("fairness", specs, self.dir)
        # Present: both panels.
        write(self.dir, sf.TIMELINE_FILE, fx.fairness_timeline(specs))
        figs = dict(sf.figures(self.dir, s, {}))
        self.assertIn("Left: when the instrumented", figs["fairness_go_modes.png"])
        self.assertEqual(sf.notes(self.dir, s, {})[1:], [])
        # Corrupt, then the wrong shape, then entries for other runs only.
        rows = sf.rows_of(s)
        for content, why in (("{not json", "corrupt JSON"),
                             ([1, 2], "expected a JSON object"),
                             ({"fairness/lock:other": {"events": []}}, None)):
            write(self.dir, sf.TIMELINE_FILE, content)
            png, cap = sf._go_modes_figure(self.dir, rows, sf.timeline_side(self.dir, s))
            fx.png_size(os.path.join(self.dir, png))
            self.assertIn("per acquisition", cap)
            if why:
                self.assertIn("not drawn", cap)
                self.assertIn(why, " ".join(sf.notes(self.dir, s, {})))
                self.assertIn("timeline is not drawn: fairness_timeline.json: ", cap)
                self.assertNotIn(self.dir, cap)
        # Instrumented runs without their counters and without a timeline.
        os.unlink(os.path.join(self.dir, sf.TIMELINE_FILE))
        bare = [fx.BenchSpec(sp.name, counters={k: v for k, v in sp.counters.items()
                                                if k not in sf.GO_COUNTERS},
                             explicit_threads=False) for sp in specs]
        s = suite_from("fairness", bare, self.dir)
        self.assertIsNone(sf._go_modes_figure(self.dir, sf.rows_of(s),
                                              sf.timeline_side(self.dir, s)))
        self.assertEqual(len(sf.summary_rows(self.dir, s, {})), 1)

    def test_uncontended_only(self):
        specs = [sp for sp in fx.fairness_specs(2, locks=("GoMutex", "GoMutex_instr", "McsLock"),
                                                uncontended=True)
                 if sp.name.startswith("fairness_uncontended/")]
        self.assertEqual(len(specs), 3)
        s = suite_from("fairness", specs, self.dir)
        figs = sf.figures(self.dir, s, {})
        self.assertFigures(figs, ["fairness_uncontended.png"])
        self.assertIn("Hatched: the instrumented Go builds", figs[0][1])
        t = sf.summary_rows(self.dir, s, {})
        self.assertEqual([r[0] for r in t[0].rows], ["GoMutex", "McsLock", "GoMutex_instr"])
        self.assertEqual(len(t), 1)
        self.assertEqual(sf.notes(self.dir, s, {}), [])

    def test_starvation_hammer_few_locks_single_panel(self):
        specs = fx.starvation_specs(2, locks=("GoMutex", "SpinLock"), rw_locks=(),
                                    placements=("none",))
        hammer = [sp for sp in specs if sp.name.startswith("starvation/")]
        s = suite_from("starvation", hammer, self.dir)
        write(self.dir, ss.HIST_FILE, fx.starvation_hist(hammer))
        figs = ss.figures(self.dir, s, {})
        self.assertFigures(figs, ["starvation_ccdf.png", "starvation_percentiles.png"])
        self.assertIn("one line per lock", figs[0][1])
        t = ss.summary_rows(self.dir, s, {})[0]
        self.assertEqual([r[0] for r in t.rows], ["GoMutex", "SpinLock"])
        self.assertEqual(t.rows[0][1:4], ["40 ns", "60 ns", "800 ns"])

    def test_starvation_many_locks_small_multiples(self):
        specs = fx.starvation_specs(2, locks=fx.MUTEX_LOCKS[:8], rw_locks=(),
                                    placements=("none",))
        hammer = [sp for sp in specs if sp.name.startswith("starvation/")]
        s = suite_from("starvation", hammer, self.dir)
        write(self.dir, ss.HIST_FILE, fx.starvation_hist(hammer))
        figs = ss.figures(self.dir, s, {})
        self.assertFigures(figs, ["starvation_ccdf.png", "starvation_percentiles.png"])
        self.assertIn("one panel per lock", figs[0][1])

    def test_starvation_side_file_without_matching_entries(self):
        specs = fx.starvation_specs(2, locks=("GoMutex", "GoMutex2015"), rw_locks=(),
                                    placements=("none",))
        s = suite_from("starvation", specs, self.dir)
        write(self.dir, ss.HIST_FILE, {"starvation/lock:Other/threads:2": {"buckets": [[1, 1]]},
                                       "starvation_lockskew/lock:GoMutex": {"buckets": "x"}})
        figs = ss.figures(self.dir, s, {})
        self.assertFigures(figs, ["starvation_lockskew.png", "starvation_percentiles.png"])
        self.assertIn("CCDF is not drawn", figs[0][1])

    def test_starvation_corrupt_side_file(self):
        specs = fx.starvation_specs(2, locks=("GoMutex",), rw_locks=(), placements=("none",))
        s = suite_from("starvation", specs, self.dir)
        write(self.dir, ss.HIST_FILE, "[[[")
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
        s = suite_from("starvation", [spec, other], self.dir)
        figs = ss.figures(self.dir, s, {})
        self.assertFigures(figs, ["starvation_lockskew.png"])
        rows = ss.summary_rows(self.dir, s, {})[0].rows
        self.assertEqual([r[0] for r in rows], ["GoMutex", "SpinLock"])
        self.assertEqual(rows[0][6], "1.20")
        self.assertEqual(len(ss.notes(self.dir, s, {})), 2)   # no histogram; lockskew

    def test_rw_only(self):
        specs = fx.starvation_specs(2, locks=(), rw_locks=("absl_mutex", "GoRWMutex"))
        s = suite_from("starvation", specs, self.dir)
        figs = ss.figures(self.dir, s, {})
        self.assertFigures(figs, ["starvation_rw.png"])
        rows = ss.summary_rows(self.dir, s, {})[0].rows
        self.assertEqual([r[0] for r in rows[::4]], ["GoRWMutex", "absl_mutex"])
        self.assertEqual(rows[0][1:5], ["0 %", "4", "—", "—"])   # no readers at 0 %
        self.assertEqual(ss.notes(self.dir, s, {}), [])

    def test_compare_one_side_missing(self):
        fs = suite_from("fairness", fx.fairness_specs(2, locks=("GoMutex", "SpinLock"),
                                                      placements=("none",)), self.dir)
        a, none = RunSide("A", fs, {}), RunSide("B", None, {})
        self.assertFigures(sf.compare_figures(self.dir, a, none), ["compare_fairness.png"])
        rows = sf.compare_tables(a, none)[0].rows
        self.assertEqual([r[0] for r in rows], ["GoMutex", "SpinLock"])
        self.assertEqual(rows[0][2:4], ["—", "—"])
        st = suite_from("starvation", fx.starvation_specs(2, locks=("GoMutex",), rw_locks=(),
                                                          placements=("none",)), self.dir)
        b = RunSide("B", st, {})
        self.assertFigures(ss.compare_figures(self.dir, none, b), ["compare_starvation.png"])
        self.assertEqual(ss.compare_tables(none, b)[0].rows[0][:3], ["GoMutex", "—", "800 ns"])
        self.assertEqual(ss.compare_figures(self.dir, none, none), [])


if __name__ == "__main__":
    unittest.main()
