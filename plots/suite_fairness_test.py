"""Tests of suite_fairness.py on synthetic data (testing_fixtures): every
figure written and valid through report.py and compare.py, the helpers'
arithmetic (Pareto front, starvation spans), lock order and colours from the
run's lock registry (and the fallback for runs without it), and partial or
odd data — a missing, corrupt or incomplete timeline side file skips only
what needs it, with a note; empty, errored-only and single-family suites
never crash."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import style  # noqa: E402
import suite_fairness as sf  # noqa: E402
import testing_fixtures as fx  # noqa: E402
from common import RunSide  # noqa: E402


class FairnessReportTest(fx.ReportRunCase):
    """The fairness suite, every lock, side file present, through report.py."""

    MAKE = fx.make_lock_run
    MAKE_ARGS = {"suites": ("fairness",)}
    PNGS = fx.FAIRNESS_PNGS
    MIN_SIZE = (600, 300)

    def test_sections_tables_and_errors(self):
        for needle in (sf.TITLE,
                       "Fairness at 4 threads, placement none (cs 100 ns, ncs 100 ns, fixed",
                       "Instrumented Go mutexes, placement none",
                       "placement &#x27;smt&#x27; not honoured on this machine",
                       "Headline point: 4 threads, placement none"):
            self.assertIn(needle, self.html)
        # Side file present: no note about it.
        self.assertNotIn("not drawn", self.html)

    def test_compare_two_runs(self):
        with tempfile.TemporaryDirectory() as out:
            other = fx.make_lock_run(os.path.join(out, "b"), side_files=False, small=True,
                                     suites=("fairness",))
            proc = fx.run_script("compare.py", self.dir, other, "--out",
                                 os.path.join(out, "c"))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            fx.png_size(os.path.join(out, "c", "compare_fairness.png"))
            text = fx.read_text(os.path.join(out, "c", "compare.html"))
            self.assertIn("Fairness headline: A at 4 threads / none", text)


class MissingTimelineReportTest(fx.ReportRunCase):
    """Without fairness_timeline.json: the Go-modes figure keeps only its
    counter panel, with a note, exit code 0."""

    MAKE = fx.make_lock_run
    MAKE_ARGS = {"side_files": False, "small": True, "suites": ("fairness",)}
    PNGS = fx.FAIRNESS_PNGS[:-1]

    def test_notes_on_the_missing_side_file(self):
        self.assertEqual(sorted(f for f in os.listdir(self.dir) if f.endswith(".png")),
                         sorted(self.PNGS))
        self.assertIn("Starvation-mode timeline not drawn: fairness_timeline.json is "
                      "missing from the run directory.", self.html)
        self.assertIn("The starvation-mode timeline is not drawn: fairness_timeline.json "
                      "is missing", self.html)


class HelpersTest(unittest.TestCase):
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


class LockOrderTest(fx.FigureCase):
    """Lock order and colours come from the registry the suite wrote into
    its context; a run without it falls back to the suite's registration
    order (family_index), never to a list kept here."""

    LOCKS = ("SpinLock", "std_mutex", "GoMutex", "McsLock")

    def specs(self):
        # Registered out of registry order, as a suite with another registry
        # would.
        return fx.fairness_specs(2, locks=self.LOCKS, placements=("none",))

    def test_order_and_colours_from_the_registry(self):
        s = fx.lock_suite_from("fairness", self.specs(), self.dir)
        _, _, by_lock = sf.headline(sf.rows_of(s), common.LockRegistry.of(s))
        self.assertEqual(list(by_lock), ["std_mutex", "GoMutex", "SpinLock", "McsLock"])
        reg = common.LockRegistry.of(s)
        colours = dict(fx.lock_registry()["locks_mutex"])
        self.assertTrue(reg.from_context)
        self.assertEqual(reg.colour("McsLock"), colours["McsLock"])
        self.assertEqual(reg.colour("GoMutex_instr"), colours["GoMutex"])

    def test_a_lock_only_the_registry_knows(self):
        specs = fx.fairness_specs(2, locks=("NewLock", "std_mutex"), placements=("none",))
        ctx = fx.registry_context()
        ctx["locks_mutex"] = "std_mutex=#000000,NewLock=#123456"
        s = fx.suite_from("fairness", specs, self.dir, extra_context=ctx)
        reg = common.LockRegistry.of(s)
        self.assertEqual(list(sf.headline(sf.rows_of(s), reg)[2]), ["std_mutex", "NewLock"])
        self.assertEqual(reg.colour("NewLock"), "#123456")
        figs = sf.figures(self.dir, s, {})
        self.assertFigures(figs, ["fairness_shares.png", "fairness_pareto.png",
                                  "fairness_pareto_cpu.png", "fairness_scaling.png"])

    def test_fallback_without_the_registry_is_registration_order(self):
        s = fx.lock_suite_from("fairness", self.specs(), self.dir, with_registry=False)
        reg = common.LockRegistry.of(s)
        self.assertFalse(reg.from_context)
        _, _, by_lock = sf.headline(sf.rows_of(s), reg)
        self.assertEqual(list(by_lock), list(self.LOCKS))
        colours = [reg.colour(lk) for lk in self.LOCKS]
        self.assertEqual(len(set(colours)), len(colours))
        self.assertEqual(reg.colour("SpinLock"), style.colour("SpinLock"))   # the first
        self.assertFigures(sf.figures(self.dir, s, {}),
                           ["fairness_shares.png", "fairness_pareto.png", "fairness_pareto_cpu.png",
                            "fairness_scaling.png"])


    def test_registry_colours_tell_the_locks_apart(self):
        for key in ("locks_mutex", "locks_shared"):
            colours = [c for _, c in fx.lock_registry()[key]]
            self.assertTrue(all(c.startswith("#") and len(c) == 7 for c in colours), key)
            self.assertEqual(len(set(colours)), len(colours), key)
        for name, colour in fx.lock_registry()["locks_instrumented"]:
            self.assertEqual(colour, "", name)   # an _instr build: its design's colour


def model_specs():
    """GoMutex on threads and on goroutines (model:goroutine, placement none
    only, as the suite registers them), Go's sync.Mutex from the peer, and
    std_mutex as the baseline."""
    base = fx.fairness_specs(2, locks=("std_mutex", "GoMutex", "GoMutex_instr"),
                             placements=("none", "compact"))
    g = [spec._replace(name=spec.name.replace("/threads:", "/model:goroutine/threads:"))
         for spec in fx.fairness_specs(2, locks=("GoMutex", "GoMutex_instr"), placements=("none",))]
    peer = fx.fairness_specs(2, locks=("go_sync_mutex",), placements=("none",))
    return base + g + peer


class ModelAxisTest(fx.FigureCase):
    """GoMutex on goroutines is read as the lock GoMutex_goroutine (a light
    shade of GoMutex's colour, right after it); go_sync_mutex takes the
    registry's peer colour; both are in every figure keyed by lock."""

    def test_goroutine_rows_and_the_go_peer_are_locks_of_their_own(self):
        s = fx.lock_suite_from("fairness", model_specs(), self.dir)
        reg = common.LockRegistry.of(s)
        t_max, placement, by_lock = sf.headline(sf.rows_of(s), reg)
        self.assertEqual((t_max, placement), (4, "none"))
        self.assertEqual(list(by_lock), ["std_mutex", "GoMutex", "GoMutex_goroutine",
                                         "GoMutex_instr", "GoMutex_goroutine_instr",
                                         "go_sync_mutex"])
        self.assertEqual(sf.comparable(by_lock), ["std_mutex", "GoMutex", "GoMutex_goroutine",
                                                  "go_sync_mutex"])
        go_mutex = dict(fx.lock_registry()["locks_mutex"])["GoMutex"]
        self.assertEqual(reg.colour("GoMutex_goroutine"), common.lighten(go_mutex))
        self.assertEqual(reg.colour("GoMutex_goroutine_instr"), common.lighten(go_mutex))
        self.assertEqual(reg.colour("go_sync_mutex"),
                         dict(fx.lock_registry()["locks_peer"])["go_sync_mutex"])
        self.assertTrue(common.is_instrumented("GoMutex_goroutine_instr"))
        self.assertFigures(sf.figures(self.dir, s, {}),
                           ["fairness_shares.png", "fairness_pareto.png", "fairness_pareto_cpu.png",
                            "fairness_scaling.png", "fairness_go_modes.png"])
        table = sf.summary_rows(self.dir, s, {})[0]
        self.assertIn("go_sync_mutex", [row[0] for row in table.rows])
        self.assertIn("GoMutex_goroutine", [row[0] for row in table.rows])

    def test_one_proc_rows_make_their_own_table(self):
        # The one-P family (fairness_gomaxprocs1) at 4 threads: GoMutex on
        # goroutines and Go's sync.Mutex; the N-P rows carry gomaxprocs 2.
        def one_p(spec, rate):
            name = spec.name.replace("fairness/", sf.ONE_PROC + "/", 1)
            return spec._replace(name=name, counters=dict(spec.counters, acq_per_s=rate,
                                                          gomaxprocs=1.0))
        specs = []
        for spec in model_specs():
            if "/placement:none/" in spec.name and ("goroutine" in spec.name
                                                     or "go_sync_mutex" in spec.name):
                spec = spec._replace(counters=dict(spec.counters, gomaxprocs=2.0))
                if "goroutine" in spec.name:  # syncscope's runtime counts its parks
                    spec = spec._replace(counters=dict(spec.counters, g_parks_per_acq=0.021))
            specs.append(spec)
        four = [sp for sp in specs if "/threads:4/placement:none/" in sp.name]
        gor = next(sp for sp in four if "lock:GoMutex/model:goroutine/" in sp.name)
        go = next(sp for sp in four if "lock:go_sync_mutex/" in sp.name)
        s = fx.lock_suite_from("fairness", specs + [one_p(gor, 7.0e6), one_p(go, 6.4e6)],
                               self.dir)
        # Not among the fairness family's rows (no figure draws them).
        self.assertFalse(any(r.lock == "GoMutex_goroutine" and r.result.value("gomaxprocs") == 1
                             for r in sf.rows_of(s)))
        table = sf.summary_rows(self.dir, s, {})[-1]
        self.assertIn("with one P and with 2", table.title)
        self.assertEqual([r[0] for r in table.rows], ["GoMutex_goroutine", "go_sync_mutex"])
        row = table.rows[0]
        self.assertEqual(row[1:6], ["4", "cs 100 ns, ncs 100 ns, fixed", "7.00M", row[4], "1.09"])
        n_ratio = gor.counters["acq_per_s"] / go.counters["acq_per_s"]
        self.assertEqual(row[8], "%.2f" % n_ratio)
        self.assertEqual(table.rows[1][5], "1.00")
        self.assertEqual(len(row), len(table.columns))
        self.assertEqual(row[9:11], ["—", "—"])   # no lock_moves_per_acq in these rows
        # At N P's: the CPUs each row kept busy, and our goroutines' parks
        # per acquisition (Go's runtime does not count them: "—").
        self.assertEqual(row[11:], ["%.2f" % gor.counters["cpus_used"], "0.021"])
        self.assertEqual(table.rows[1][11:], ["%.2f" % go.counters["cpus_used"], "—"])
        # Without one-P rows: no such table.
        s = fx.lock_suite_from("fairness", specs, self.dir)
        self.assertFalse(any("one P" in t.title for t in sf.summary_rows(self.dir, s, {})))

    def test_fold_and_lighten(self):
        p = {"lock": "GoMutex", "model": "goroutine"}
        common.fold_model(p)
        common.fold_model(p)  # idempotent
        self.assertEqual(p["lock"], "GoMutex_goroutine")
        q = {"lock": "GoMutex", "model": "thread"}
        common.fold_model(q)
        self.assertEqual(q["lock"], "GoMutex")
        self.assertEqual(common.lighten("#000000", 0.5), "#808080")
        self.assertEqual(common.lighten("#ffffff"), "#ffffff")
        self.assertEqual(common.model_base("GoMutex_goroutine"), "GoMutex")


class PartialDataTest(fx.FigureCase):
    def test_empty_suite(self):
        s = common.parse_suite("fairness", os.path.join(self.dir, "fairness.json"),
                               {"benchmarks": []})
        self.assertEqual(sf.figures(self.dir, s, {}), [])
        self.assertEqual(sf.summary_rows(self.dir, s, {}), [])
        self.assertEqual(sf.notes(self.dir, s, {}), [])
        side = RunSide("A", s, {})
        self.assertEqual(sf.compare_figures(self.dir, side, side), [])
        self.assertEqual(sf.compare_tables(side, side), [])

    def test_errored_only(self):
        specs = fx.fairness_specs(2, locks=("SpinLock",), placements=("smt",))
        s = fx.lock_suite_from("fairness", specs, self.dir)
        self.assertEqual(len(s.errors), 3)
        self.assertEqual(sf.figures(self.dir, s, {}), [])

    def test_fairness_single_lock_single_thread(self):
        specs = [sp for sp in fx.fairness_specs(1, locks=("std_mutex",), placements=("none",))]
        self.assertEqual(len(specs), 2)   # threads 1 and 2 on one PU
        s = fx.lock_suite_from("fairness", specs[:1], self.dir)
        figs = sf.figures(self.dir, s, {})
        self.assertFigures(figs, ["fairness_shares.png", "fairness_pareto.png",
                                  "fairness_scaling.png"])  # one lock: no cost front
        t = sf.summary_rows(self.dir, s, {})[0]
        self.assertEqual(t.rows, [["std_mutex", "733k", "1.000", "0.000", "1.000", "1.000",
                                   "1.00", "1.00", "409", "0.400", "0.010"]])
        self.assertIn("Headline point: 1 threads", sf.notes(self.dir, s, {})[0])

    def test_lock_moves_column_beside_the_throughput(self):
        specs = fx.fairness_specs(2, locks=("GoMutex", "SpinLock"), placements=("none",))
        s = fx.lock_suite_from("fairness", specs, self.dir)
        t = sf.summary_rows(self.dir, s, {})[0]
        self.assertNotIn("lock moves/acq", t.columns)  # not measured: no column, no note
        self.assertFalse(any("Lock moves/acq" in n for n in sf.notes(self.dir, s, {})))
        for sp in specs:  # measured for GoMutex only (e.g. the read was unavailable elsewhere)
            if "/lock:GoMutex/" in sp.name and not sp.error:
                sp.counters[sf.MOVES] = 0.25
        s = fx.lock_suite_from("fairness", specs, self.dir)
        t = sf.summary_rows(self.dir, s, {})[0]
        self.assertEqual(t.columns[:3], ["lock", "acq/s", "lock moves/acq"])
        by_lock = {row[0]: row for row in t.rows}
        self.assertEqual(by_lock["GoMutex"][2], "0.250")
        self.assertEqual(by_lock["SpinLock"][2], "—")
        self.assertEqual(len(t.columns), len(by_lock["GoMutex"]))
        self.assertTrue(any("Lock moves/acq" in n for n in sf.notes(self.dir, s, {})))

    def test_fairness_without_per_thread_counters_or_none_placement(self):
        specs = fx.fairness_specs(2, locks=("GoMutex", "TicketLock"),
                                  placements=("compact", "cross"), per_thread=False)
        s = fx.lock_suite_from("fairness", specs, self.dir, repetitions=3)
        figs = sf.figures(self.dir, s, {})
        self.assertFigures(figs, ["fairness_pareto.png", "fairness_pareto_cpu.png",
                                  "fairness_scaling.png"])
        self.assertIn("placements the machine could not honour (cross)", figs[2][1].lower())
        t = sf.summary_rows(self.dir, s, {})[0]
        self.assertEqual(t.title.split(" (")[0], "Fairness at 4 threads, placement compact")

    def test_fairness_several_workloads(self):
        specs = fx.fairness_specs(2, locks=("GoMutex", "SpinLock", "McsLock"),
                                  placements=("none",),
                                  workloads=((100, 100, "fixed"), (1000, 1000, "exponential")))
        s = fx.lock_suite_from("fairness", specs, self.dir)
        figs = sf.figures(self.dir, s, {})
        self.assertFigures(figs, ["fairness_shares.png", "fairness_pareto.png",
                                  "fairness_pareto_cpu.png", "fairness_scaling.png"])
        self.assertIn("One panel per workload", figs[1][1])
        self.assertEqual(len(sf.summary_rows(self.dir, s, {})), 2)
        self.assertIn("Workloads measured", sf.notes(self.dir, s, {})[1])

    def test_fairness_timeline_variants(self):
        specs = fx.fairness_specs(2, locks=("GoMutex_instr", "GoMutex2015_instr"),
                                  placements=("none",))
        s = fx.lock_suite_from("fairness", specs, self.dir)
        # Present: both panels.
        fx.write_file(self.dir, sf.TIMELINE_FILE, fx.fairness_timeline(specs))
        figs = dict(sf.figures(self.dir, s, {}))
        self.assertIn("Left: when the instrumented", figs["fairness_go_modes.png"])
        self.assertEqual(sf.notes(self.dir, s, {})[1:], [])
        # Corrupt, then the wrong shape, then entries for other runs only.
        rows = sf.rows_of(s)
        for content, why in (("{not json", "corrupt JSON"),
                             ([1, 2], "expected a JSON object"),
                             ({"fairness/lock:other": {"events": []}}, None)):
            fx.write_file(self.dir, sf.TIMELINE_FILE, content)
            png, cap = sf._go_modes_figure(self.dir, s, rows, sf.timeline_side(self.dir, s),
                                           common.LockRegistry.of(s))
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
        s = fx.lock_suite_from("fairness", bare, self.dir)
        self.assertIsNone(sf._go_modes_figure(self.dir, s, sf.rows_of(s),
                                              sf.timeline_side(self.dir, s),
                                              common.LockRegistry.of(s)))
        self.assertEqual(len(sf.summary_rows(self.dir, s, {})), 1)

    def test_uncontended_only(self):
        specs = [sp for sp in fx.fairness_specs(2, locks=("GoMutex", "GoMutex_instr", "McsLock"),
                                                uncontended=True)
                 if sp.name.startswith("fairness_uncontended/")]
        self.assertEqual(len(specs), 3)
        s = fx.lock_suite_from("fairness", specs, self.dir)
        figs = sf.figures(self.dir, s, {})
        self.assertFigures(figs, ["fairness_uncontended.png"])
        self.assertIn("Hatched: the instrumented Go builds", figs[0][1])
        t = sf.summary_rows(self.dir, s, {})
        self.assertEqual([r[0] for r in t[0].rows], ["GoMutex", "McsLock", "GoMutex_instr"])
        self.assertEqual(len(t), 1)
        self.assertEqual(sf.notes(self.dir, s, {}), [])

    def test_compare_one_side_missing(self):
        fs = fx.lock_suite_from("fairness", fx.fairness_specs(2, locks=("GoMutex", "SpinLock"),
                                                              placements=("none",)), self.dir)
        a, none = RunSide("A", fs, {}), RunSide("B", None, {})
        self.assertFigures(sf.compare_figures(self.dir, a, none), ["compare_fairness.png"])
        rows = sf.compare_tables(a, none)[0].rows
        self.assertEqual([r[0] for r in rows], ["GoMutex", "SpinLock"])
        self.assertEqual(rows[0][2:4], ["—", "—"])
        self.assertEqual(sf.compare_figures(self.dir, none, none), [])


class FairnessWhiskersTest(fx.WhiskerCase):
    """p10-p90 whiskers over the repetitions on every fairness bar chart and
    error bars on the scaling lines; none, and "n=1, no spread", with one."""

    LOCKS = ("GoMutex", "GoMutex_instr", "TicketLock")

    def specs(self):
        return fx.fairness_specs(2, locks=self.LOCKS, placements=("none", "compact"),
                                 uncontended=True)

    def test_whiskers_are_p10_p90_of_the_repetitions(self):
        s, doc = fx.jittered_suite("fairness", self.specs(), repetitions=5,
                                   extra_context=fx.registry_context())
        with fx.CapturedFigures(sf) as cap:
            figs = dict(sf.figures(self.dir, s, {}))
        # Shares: one whisker per thread of each comparable lock at 4 threads,
        # each thread's share computed per repetition.
        want = {}
        for k in range(4):
            for name, lohi in fx.expected_spreads(doc, lambda e, k=k: 100.0 * e[
                    "acq_t%d" % k] / sum(e["acq_t%d" % i] for i in range(4))
                    if "acq_t3" in e else None).items():
                want[(name, k)] = lohi
        self.assertWhiskers(cap.whiskers["fairness_shares.png"], want, count=2 * 4,
                            msg="shares")
        self.assertIn("p10–p90 over the repetitions of each thread's share",
                      figs["fairness_shares.png"])
        # Scaling: an error bar on every point of every line (2 locks x 3
        # thread counts x 2 placements).
        self.assertWhiskers(cap.whiskers["fairness_scaling.png"],
                            fx.expected_spreads(doc, "acq_per_s"), count=2 * 3 * 2,
                            msg="scaling")
        # Uncontended: one horizontal whisker per lock.
        self.assertWhiskers(cap.whiskers["fairness_uncontended.png"],
                            fx.expected_spreads(doc, "ns_per_op"), count=len(self.LOCKS),
                            msg="uncontended")
        # Go counters per acquisition: one whisker per non-zero bar.
        per_acq = {}
        for c in sf.GO_COUNTERS:
            for name, lohi in fx.expected_spreads(doc, lambda e, c=c: e[c] / sum(
                    e["acq_t%d" % i] for i in range(4)) if "acq_t3" in e and c in e
                    else None).items():
                per_acq[(name, c)] = lohi
        drawn = cap.whiskers["fairness_go_modes.png"]
        # GoMutex_instr at 4 threads: spins, parks, barges, handoffs, mode switches.
        self.assertWhiskers(drawn, per_acq, count=5, msg="go modes")
        for png in cap.texts:
            self.assertNotIn("no spread", " ".join(cap.texts[png]), png)

    def test_one_repetition_draws_no_whisker(self):
        s = fx.lock_suite_from("fairness", self.specs(), self.dir, repetitions=1)
        with fx.CapturedFigures(sf) as cap:
            figs = dict(sf.figures(self.dir, s, {}))
        for png in ("fairness_shares.png", "fairness_scaling.png", "fairness_uncontended.png",
                    "fairness_go_modes.png"):
            self.assertNoSpread(cap, png)
            self.assertIn("n=1, no spread", figs[png])

    def test_compare_bars_carry_each_runs_whiskers(self):
        a, doc_a = fx.jittered_suite("fairness", self.specs(), repetitions=4,
                                     extra_context=fx.registry_context())
        b = fx.lock_suite_from("fairness", self.specs(), self.dir, repetitions=1)
        with fx.CapturedFigures(sf) as cap:
            sf.compare_figures(self.dir, common.RunSide("A", a, {}), common.RunSide("B", b, {}))
        want = dict(fx.expected_spreads(doc_a, "acq_per_s"))
        want.update({k + "/jain": v for k, v in fx.expected_spreads(doc_a, "jain_index").items()})
        # A's two comparable locks, throughput and Jain; B has one repetition.
        self.assertWhiskers(cap.whiskers["compare_fairness.png"], want, count=4)


if __name__ == "__main__":
    unittest.main()
