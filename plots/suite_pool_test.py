"""Tests of suite_pool.py on synthetic runs shaped like the suite's output
(names, counters, the pool side file): every figure written, valid and
referenced through report.py; the headline selections and target verdicts;
and partial or odd data — a missing or corrupt side file, a single family,
an empty suite — never crash and drop only what they must."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import suite_pool as sp  # noqa: E402
import testing_fixtures as fx  # noqa: E402
import style  # noqa: E402


class PoolReportTest(fx.ReportRunCase):
    """The pool suite through report.py."""

    MAKE = fx.make_pool_maps_overhead_run
    MAKE_ARGS = {"suites": ("pool",)}
    PNGS = fx.POOL_PNGS

    def test_sections_and_tables(self):
        self.assertIn(sp.TITLE, self.html)
        self.assertIn("Targets (medians over repetitions)", self.html)
        self.assertIn("Trim pause with 100000 pooled objects", self.html)
        self.assertNotIn("plot module suite_", self.html)  # no module failed


class PoolModuleTest(fx.FigureCase):
    def test_headline_picks_placement_none_and_thread_extremes(self):
        s = fx.suite_from("pool", fx.pool_specs())
        pl, t, by_peer = sp.headline(s, "pool_put_get", "min")
        self.assertEqual((pl, t), ("none", 1))
        self.assertEqual(list(by_peer)[:2], ["Pool", "thread_local_free_list"])  # PEER_ORDER
        pl, t, _ = sp.headline(s, "pool_starvation", "max")
        self.assertEqual((pl, t), ("none", 2))
        self.assertEqual(sp.headline(s, "pool_nothing"), (None, None, {}))

    def test_target_verdicts(self):
        rows = sp.target_rows(fx.suite_from("pool", fx.pool_specs(pool_ns=16.0, baseline_ns=1.5)))
        by_what = {r[0]: r for r in rows}
        wall = by_what["Pool get+put vs thread_local_free_list, 1 thread (wall time)"]
        self.assertEqual(wall[2], "10.7×")
        self.assertEqual(wall[4], "NO")
        self.assertEqual(by_what["Pool hit rate, put+get steady state"][4], "yes")
        victim = [r for r in rows if r[0].startswith("Allocations per iteration")][0]
        self.assertEqual(victim[1], "16.0 vs 1017")
        self.assertEqual(victim[4], "yes")
        retained = [r for r in rows if r[0].startswith("Bytes retained")][0]
        self.assertEqual(retained[1], "64.0 MiB vs 63.0 KiB")
        self.assertEqual(retained[4], "yes")
        ok = sp.target_rows(fx.suite_from("pool", fx.pool_specs(pool_ns=2.5, baseline_ns=1.5)))
        self.assertEqual(ok[0][4], "yes")

    def test_all_figures_with_side_file(self):
        d = fx.make_pool_maps_overhead_run(os.path.join(self.dir, "run"))
        run = common.load_run(d)
        figs = sp.figures(d, run.suites["pool"], run.context)
        self.assertEqual([f for f, _ in figs], fx.POOL_PNGS)
        self.assertIn("Log scale", dict(figs)["pool_retained.png"])

    def test_missing_or_corrupt_side_file_falls_back_to_counters(self):
        d = fx.make_pool_maps_overhead_run(os.path.join(self.dir, "run"), side=False)
        s = common.load_run(d).suites["pool"]
        caption = dict(sp.figures(d, s, {}))["pool_retained.png"]
        self.assertIn("pool_variable_sizes.json is missing", caption)
        with open(os.path.join(d, sp.SIDE_FILE), "w") as f:
            f.write("{not json")
        caption = dict(sp.figures(d, s, {}))["pool_retained.png"]
        self.assertIn("counters only", caption)
        fx.png_size(os.path.join(d, "pool_retained.png"))

    def test_side_key_strips_benchmark_suffixes(self):
        s = fx.suite_from("pool", fx.pool_specs(), repetitions=3)
        r = [x for x in s.family("pool_variable_sizes") if x.get("cap") == "none"][0]
        self.assertEqual(sp._side_key(r), "pool_variable_sizes/peer:Pool/cap:none")

    def test_tbb_allocations_are_not_reported_as_zero(self):
        s = fx.suite_from("pool", fx.pool_specs())
        table = [t for t in sp.summary_rows(self.dir, s, {}) if t.title.startswith("Scenarios")][0]
        tbb = [r for r in table.rows if r[1] == "tbb_scalable"]
        self.assertTrue(tbb)
        self.assertTrue(all(r[8] == "not counted" for r in tbb))

    def test_context_switches_beside_throughput(self):
        s = fx.suite_from("pool", fx.pool_specs())
        table = [t for t in sp.summary_rows(self.dir, s, {}) if t.title.startswith("Scenarios")][0]
        self.assertEqual(table.columns[-2:], ["vol. switches / 1000 ops",
                                              "invol. switches / 1000 ops"])
        cross = [r for r in table.rows if r[0] == sp._SCENARIO_TEXT["pool_cross_thread"]]
        self.assertTrue(cross)
        self.assertTrue(all(r[-2:] == ["20.0", "1.00"] for r in cross))
        put_get = [r for r in table.rows if r[0] == sp._SCENARIO_TEXT["pool_put_get"]]
        self.assertTrue(all(r[-2:] == ["—", "—"] for r in put_get))  # not in those fixtures

    def test_single_family_and_empty_suite(self):
        only = [b for b in fx.pool_specs() if b.name.startswith("pool_victim")]
        s = fx.suite_from("pool", only)
        figs = sp.figures(self.dir, s, {})
        self.assertEqual([f for f, _ in figs], ["pool_victim.png"])
        self.assertEqual(sp.summary_rows(self.dir, fx.suite_from("pool", []), {}), [])
        self.assertEqual(sp.figures(self.dir, fx.suite_from("pool", []), {}), [])
        self.assertEqual(sp.notes(self.dir, fx.suite_from("pool", []), {}), [])

    def test_bars_carry_whiskers_only_with_repetitions(self):
        """Every scenario bar gets a p10-p90 whisker when the run has 3 or
        more repetitions, none with one."""
        seen = []
        real = sp.draw.grouped_bars

        def capture(ax, cats, series, **kw):
            seen.append(series)
            return real(ax, cats, series, **kw)

        sp.draw.grouped_bars = capture
        try:
            for reps in (1, 5):
                del seen[:]
                s = fx.suite_from("pool", fx.pool_specs(), repetitions=reps)
                sp._scenarios_figure(self.dir, s)  # the bar charts: scenarios and victim
                sp._victim_figure(self.dir, s)
                errs = [e for series in seen for ser in series if ser.err
                        for cat, e in ser.err.items() if ser.values.get(cat) is not None]
                self.assertTrue(errs)
                if reps == 1:
                    self.assertTrue(all(e is None for e in errs))
                else:
                    self.assertTrue(all(e is not None for e in errs))
                    for series in seen:
                        for ser in series:
                            for cat, (lo, hi) in (ser.err or {}).items():
                                self.assertLessEqual(lo, ser.values[cat] + 1e-9)
                                self.assertGreaterEqual(hi, ser.values[cat] - 1e-9)
        finally:
            sp.draw.grouped_bars = real

    def test_go_runtime_in_notes(self):
        s = fx.suite_from("pool", fx.pool_specs(), extra_context={
            "pool_peer_go": "go1.19.8 linux/amd64, GOMAXPROCS=2, NumCPU=2, GOGC=100 (default)"})
        self.assertIn("GOMAXPROCS=2", " ".join(sp.notes(self.dir, s, {})))

    def test_one_thread_count_draws_no_scaling_figure(self):
        s = fx.suite_from("pool", fx.pool_specs(threads=(1,)))
        names = [f for f, _ in sp.figures(self.dir, s, {})]
        self.assertNotIn("pool_scaling.png", names)
        self.assertIn("pool_scenarios.png", names)

    def test_notes_explain_a_missed_target(self):
        s = fx.suite_from("pool", fx.pool_specs(pool_ns=16.0, baseline_ns=1.5))
        text = " ".join(sp.notes(self.dir, s, {}))
        self.assertIn("seq_cst", text)
        self.assertIn("Pool_no_victim", text)

    def test_fixed_colours(self):
        for name in fx.PEERS + ["Pool_no_victim"]:
            self.assertTrue(style.colour(name).startswith("#"))
        self.assertNotEqual(style.colour("Pool"), style.colour("thread_local_free_list"))


class WhiskersTest(fx.WhiskerCase):
    """Drawn whiskers: the scenario bars' p10-p90 (ns/op, hit rate in %,
    operator new calls) and error bars on the scaling lines."""

    def test_whiskers_are_p10_p90_of_the_repetitions(self):
        s, doc = fx.jittered_suite("pool", fx.pool_specs(), repetitions=5)
        with fx.CapturedFigures(sp) as cap:
            figs = dict(sp.figures(self.dir, s, {}))
        want = {}
        for key, conv in (("ns_per_op", None), ("hit_rate", lambda v: 100.0 * v),
                          ("allocs_per_op", None), ("ops_per_s", None)):
            want.update({(n, key): v for n, v in fx.expected_spreads(doc, key, conv).items()})
        png = "pool_scenarios.png"
        self.assertWhiskers(cap.whiskers[png], want, count=cap.bars[png])
        self.assertIn("p10–p90 over the run's repetitions", figs[png])
        rows = [r for r in s.family("pool_put_get") if r.get("peer")]
        pls = set(r.get("placement", "none") for r in rows)
        # Every peer's line in every placement panel, its 1-thread point included.
        points = sum(len([r for r in rows if r.get("peer") == p and
                          (r.get("placement", "none") == pl or r.threads == 1)])
                     for p in set(r.get("peer") for r in rows) for pl in pls)
        self.assertWhiskers(cap.whiskers["pool_scaling.png"], want, count=points)

    def test_one_repetition_draws_none(self):
        with fx.CapturedFigures(sp) as cap:
            figs = dict(sp.figures(self.dir, fx.suite_from("pool", fx.pool_specs()), {}))
        for png in ("pool_scenarios.png", "pool_victim.png", "pool_scaling.png"):
            self.assertNoSpread(cap, png)
            self.assertIn("n=1, no spread", figs[png])


if __name__ == "__main__":
    unittest.main()
