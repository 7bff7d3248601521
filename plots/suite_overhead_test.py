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
        self.assertEqual(once[2:], ["1.20 ns", "std::call_once", "4 ns", "0.300×"])
        wg = so._cells(rows[1])
        self.assertEqual(wg[3:], ["—", "—", "—"])
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
        self.assertEqual(tables[1].rows[0][:3], ["4", "0.260", "0.250"])

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


if __name__ == "__main__":
    unittest.main()
