"""Tests of suite_overhead.py on synthetic runs shaped like the suite's
output: the table's rows, order and ratios, every figure written through
report.py, and partial suites."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import suite_overhead as so  # noqa: E402
import testing_fixtures as fx  # noqa: E402


class OverheadReportTest(fx.ReportRunCase):
    """The overhead suite through report.py."""

    MAKE = fx.make_pool_maps_overhead_run
    MAKE_ARGS = {"suites": ("overhead",)}
    PNGS = fx.OVERHEAD_PNGS

    def test_sections_and_tables(self):
        self.assertIn(so.TITLE, self.html)
        self.assertIn("Overhead per operation", self.html)
        self.assertIn("SingleFlight de-duplication", self.html)


class OverheadModuleTest(fx.FigureCase):
    def test_table_rows_order_and_ratios(self):
        rows = so.table_rows(fx.suite_from("overhead", fx.overhead_specs()))
        ours = [r.ours for r in rows]
        self.assertEqual(ours[:3], ["Once", "WaitGroup", "Cond"])
        self.assertEqual(ours.count("Cond"), 3)
        self.assertEqual(ours.count("Context"), 4)
        self.assertEqual(ours.count("Semaphore"), 3)
        self.assertEqual(ours[-2:], ["ErrGroup", "ErrGroup"])
        once = so._cells(rows[0])
        self.assertEqual(once[2:], ["1.20 ns", "std::call_once", "4 ns", "0.300×", "—", "—"])
        wg = so._cells(rows[1])
        self.assertEqual(wg[3:], ["—", "—", "—", "—", "—"])
        ctx = [r for r in rows if r.ours == "Context"]
        self.assertEqual([r.ours_ns for r in ctx], sorted(r.ours_ns for r in ctx))  # by nodes
        sem = [r.operation for r in rows if r.ours == "Semaphore"]
        self.assertIn("one thread", sem[0])
        self.assertIn("4 threads", sem[2])

    def test_figures_and_tables(self):
        s = fx.suite_from("overhead", fx.overhead_specs())
        figs = so.figures(self.dir, s, {})
        self.assertEqual([f for f, _ in figs], fx.OVERHEAD_PNGS)
        for f, _ in figs:
            fx.png_size(os.path.join(self.dir, f))
        tables = so.summary_rows(self.dir, s, {})
        self.assertEqual(tables[0].columns, so.COLUMNS)
        self.assertEqual(tables[1].rows[0][:4], ["4", "SingleFlight", "0.260", "0.250"])

    def test_go_rows_sit_in_their_own_columns(self):
        """The Go peer's rows (impl:go_*) fill the Go column of the row with
        the same case; context and single flight, whose syncscope rows carry
        no impl segment, do not take the Go rows for syncscope's."""
        s = fx.suite_from("overhead", fx.overhead_specs() + fx.overhead_go_specs())
        rows = so.table_rows(s)
        self.assertEqual([r.ours for r in rows],
                         [r.ours for r in so.table_rows(
                             fx.suite_from("overhead", fx.overhead_specs()))])
        once = so._cells(rows[0])
        self.assertEqual(once[6:], ["0.600 ns", "2.00×"])
        cond4 = [r for r in rows if r.ours == "Cond" and "4 waiters" in r.operation][0]
        self.assertAlmostEqual(cond4.go_ns, 6000.0)
        ctx = {r.operation: r for r in rows if r.ours == "Context"}
        star = [r for op, r in ctx.items() if "depth 1, width 16" in op][0]
        chain = [r for op, r in ctx.items() if "depth 16, width 1" in op][0]
        self.assertAlmostEqual(star.go_ns, 3000.0)
        self.assertAlmostEqual(chain.go_ns, 2000.0)
        self.assertAlmostEqual(star.ours_ns, 1500.0 + 90.0 * 16)
        self.assertEqual(sum(1 for r in ctx.values() if r.go_ns is None), 2)
        sf = [r for r in rows if r.ours == "SingleFlight"]
        self.assertEqual([r.go_ns for r in sf], [1100000.0, None])
        self.assertAlmostEqual(sf[0].ours_ns, 160000.0)
        sem = [r for r in rows if r.ours == "Semaphore"]
        self.assertEqual([r.go_ns for r in sem], [None, 40.0, None])
        tables = so.summary_rows(self.dir, s, {})
        self.assertEqual([r[:2] for r in tables[1].rows],
                         [["4", "SingleFlight"], ["4", "Go singleflight"], ["16", "SingleFlight"]])
        self.assertTrue(any("golang/go#44343" in n for n in so.notes(self.dir, s, {})))
        figs = so.figures(self.dir, s, {})
        self.assertEqual([f for f, _ in figs], fx.OVERHEAD_PNGS)
        for f, _ in figs:
            fx.png_size(os.path.join(self.dir, f))

    def test_partial_suites(self):
        once_only = fx.suite_from("overhead", fx.overhead_specs()[:2])
        figs = so.figures(self.dir, once_only, {})
        self.assertEqual([f for f, _ in figs], ["overhead_table.png"])
        cond_only = fx.suite_from("overhead", [b for b in fx.overhead_specs()
                                            if b.name.startswith("overhead_cond")])
        self.assertEqual([f for f, _ in so.figures(self.dir, cond_only, {})], fx.OVERHEAD_PNGS)
        empty = fx.suite_from("overhead", [])
        self.assertEqual(so.figures(self.dir, empty, {}), [])
        self.assertEqual(so.summary_rows(self.dir, empty, {}), [])
        self.assertEqual(so.notes(self.dir, empty, {}), [])


class WhiskersTest(fx.WhiskerCase):
    """Error bars (p10-p90 over the repetitions) on every point of the
    latency lines; none with one repetition, and the figure says so."""

    def test_error_bars_are_p10_p90_of_the_repetitions(self):
        s, doc = fx.jittered_suite("overhead", fx.overhead_specs(), repetitions=5)
        with fx.CapturedFigures(so) as cap:
            figs = dict(so.figures(self.dir, s, {}))
        want = fx.expected_spreads(doc, "ns_per_op", conv=lambda v: v / 1e3)
        # Cond: 3 waiter counts x 2 condition variables; Context: 4 tree shapes.
        self.assertWhiskers(cap.whiskers["overhead_latency.png"], want, count=6 + 4)
        self.assertIn("Error bars: p10–p90", figs["overhead_latency.png"])

    def test_one_repetition_draws_none(self):
        with fx.CapturedFigures(so) as cap:
            figs = dict(so.figures(self.dir, fx.suite_from("overhead", fx.overhead_specs()), {}))
        self.assertNoSpread(cap, "overhead_latency.png")
        self.assertIn("n=1, no spread", figs["overhead_latency.png"])


if __name__ == "__main__":
    unittest.main()
