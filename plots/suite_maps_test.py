"""Tests of suite_maps.py on synthetic runs shaped like the suite's output:
every figure written, valid and referenced through report.py; the headline
selection; errored placements listed; a single thread count or only errors
never crash."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import suite_maps as sm  # noqa: E402
import testing_fixtures as fx  # noqa: E402
import style  # noqa: E402


class MapsReportTest(fx.ReportRunCase):
    """The maps suite through report.py."""

    MAKE = fx.make_pool_maps_overhead_run
    MAKE_ARGS = {"suites": ("maps",)}
    PNGS = fx.MAPS_PNGS

    def test_section_and_errored_placements(self):
        self.assertIn(sm.TITLE, self.html)
        self.assertIn("placement &#x27;smt&#x27; not honoured", self.html)


class MapsModuleTest(fx.FigureCase):
    def test_headline_is_most_threads_under_none(self):
        rows = sm.rows_of(fx.suite_from("maps", fx.maps_specs()))
        pl, t, by = sm.headline(rows)
        self.assertEqual((pl, t), ("none", 2))
        self.assertEqual(list(by), sm.SCENARIO_ORDER)
        self.assertEqual(list(by["disjoint_keys"]), fx.MAPS)

    def test_one_thread_point_joins_every_placement(self):
        rows = sm.rows_of(fx.suite_from("maps", fx.maps_specs()))
        pts = sm.series_points(rows, "disjoint_keys", "SyncMap", "compact")
        self.assertEqual([t for t, _ in pts], [1, 2])
        self.assertEqual(sm.series_points(rows, "disjoint_keys", "SyncMap", "smt"), [])

    def test_figures_and_table(self):
        s = fx.suite_from("maps", fx.maps_specs())
        figs = sm.figures(self.dir, s, {})
        self.assertEqual([f for f, _ in figs], fx.MAPS_PNGS)
        for f, _ in figs:
            fx.png_size(os.path.join(self.dir, f))
        t = sm.summary_rows(self.dir, s, {})[0]
        self.assertEqual(t.columns, ["scenario"] + fx.MAPS + ["best"])
        self.assertEqual(t.rows[0][-1], "umap_std_shared_mutex")  # highest made-up rate
        self.assertEqual(t.rows[1][0], "  (1 thread)")
        csw = sm.summary_rows(self.dir, s, {})[2]
        self.assertIn("Context switches per op", csw.title)
        self.assertEqual(csw.columns, ["scenario"] + fx.MAPS)
        # SyncMap (i = 0): no voluntary switch; 2 threads: 2e-5 * 2 involuntary per op.
        self.assertEqual(csw.rows[0][1], "0 / 0.0400")
        self.assertEqual(csw.rows[0][2], "0.100 / 0.0400")

    def test_only_errors_and_single_thread(self):
        errs = [b for b in fx.maps_specs() if b.error]
        s = fx.suite_from("maps", errs)
        self.assertEqual(sm.figures(self.dir, s, {}), [])
        self.assertEqual(sm.summary_rows(self.dir, s, {}), [])
        one = fx.suite_from("maps", fx.maps_specs(threads=(1,), placements=("none",)))
        figs = sm.figures(self.dir, one, {})
        self.assertEqual([f for f, _ in figs], fx.MAPS_PNGS)
        self.assertTrue(sm.summary_rows(self.dir, one, {})[0].title.startswith(
            "ops/s of all threads at 1 thread, placement none"))

    def test_map_colours(self):
        for name in fx.MAPS:
            self.assertTrue(style.colour(name).startswith("#"))
        # A map behind one lock takes that lock's colour (the lock registry's).
        locks = dict(fx.lock_registry()["locks_mutex"])
        self.assertEqual(style.colour("umap_GoMutex"), locks["GoMutex"])


class WhiskersTest(fx.WhiskerCase):
    def test_whiskers_are_p10_p90_of_the_repetitions(self):
        s, doc = fx.jittered_suite("maps", fx.maps_specs(), repetitions=5)
        with fx.CapturedFigures(sm) as cap:
            figs = dict(sm.figures(self.dir, s, {}))
        want = fx.expected_spreads(doc, "ops_per_s")
        self.assertWhiskers(cap.whiskers["maps_bars.png"], want, count=cap.bars["maps_bars.png"])
        rows = sm.rows_of(s)
        points = sum(len(sm.series_results(rows, sc, m, pl)) for sc in sm.scenarios(rows)
                     for m in sm.maps_of(rows) for pl in sm.placements(s, rows))
        self.assertWhiskers(cap.whiskers["maps_throughput.png"], want, count=points)
        self.assertIn("Error bars: p10–p90", figs["maps_throughput.png"])

    def test_one_repetition_draws_none(self):
        with fx.CapturedFigures(sm) as cap:
            figs = dict(sm.figures(self.dir, fx.suite_from("maps", fx.maps_specs()), {}))
        for png in fx.MAPS_PNGS:
            self.assertNoSpread(cap, png)
            self.assertIn("n=1, no spread", figs[png])


if __name__ == "__main__":
    unittest.main()
