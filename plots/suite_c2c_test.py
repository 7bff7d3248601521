"""Tests of suite_c2c.py on partial and odd data (in-process): a single pair
without percentiles, both directions of a pair and an unknown distance
class, and a comparison where one side lacks the suite."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import suite_c2c  # noqa: E402
import testing_fixtures as fx  # noqa: E402
from common import RunSide  # noqa: E402


class PartialDataTest(fx.FigureCase):
    def test_c2c_single_pair_without_percentiles(self):
        s = fx.suite_from("c2c", [fx.BenchSpec("c2c/pu_a:0/pu_b:1/class:same_l3",
                                            counters={"one_way_ns": 40.0},
                                            explicit_threads=False)])
        self.assertFigures(suite_c2c.figures(self.dir, s, {}),
                           ["c2c_heatmap.png", "c2c_by_class.png"])
        row = suite_c2c.summary_rows(self.dir, s, {})[0].rows[0]
        self.assertEqual(row[:5], ["same_l3", "1", "40.0", "—", "—"])

    def test_c2c_both_directions_and_unknown_class(self):
        s = fx.suite_from("c2c", [
            fx.BenchSpec("c2c/pu_a:0/pu_b:3/class:same_l3", counters={"one_way_ns": 40.0},
                         explicit_threads=False),
            fx.BenchSpec("c2c/pu_a:3/pu_b:0/class:same_l3", counters={"one_way_ns": 44.0},
                         explicit_threads=False),
            fx.BenchSpec("c2c/pu_a:0/pu_b:5/class:far_far_away", counters={"one_way_ns": 90.0},
                         explicit_threads=False),
            fx.BenchSpec("c2c/pu_a:x/pu_b:1/class:same_l3", counters={"one_way_ns": 1.0},
                         explicit_threads=False)])
        pairs = suite_c2c.pairs_of(s)
        self.assertEqual(len(pairs), 3)  # the non-numeric PU is not plottable
        pus, m, measured = suite_c2c._matrix(pairs)
        self.assertEqual(pus, [0, 3, 5])
        self.assertEqual((m[0, 1], m[1, 0]), (40.0, 44.0))   # each direction its own
        self.assertEqual(m[2, 0], 90.0)                      # mirrored
        self.assertFalse(measured[2, 0])
        self.assertEqual(list(suite_c2c.class_stats(pairs)), ["same_l3", "far_far_away"])
        self.assertFigures(suite_c2c.figures(self.dir, s, {"topology": {"pus": 8}}),
                           ["c2c_heatmap.png", "c2c_by_class.png"])

    def test_compare_with_one_side_missing(self):
        s = fx.suite_from("c2c", fx.c2c_specs(4))
        a, b = RunSide("A", s, {}), RunSide("B", None, {})
        self.assertFigures(suite_c2c.compare_figures(self.dir, a, b),
                           ["compare_c2c_by_class.png"])
        rows = suite_c2c.compare_tables(a, b)[0].rows
        self.assertEqual([r[0] for r in rows], ["smt_sibling", "same_l3"])
        self.assertEqual(rows[0][3:], ["0", "—", "—"])
        self.assertEqual(suite_c2c.compare_figures(self.dir, b, b), [])


class WhiskersTest(fx.WhiskerCase):
    """c2c's whiskers are the spread within a pair's samples (the suite
    writes one value per pair): per class the median over its pairs of
    one_way_ns_p10 and of one_way_ns_p90; a class without them has none."""

    def test_whiskers_are_the_typical_pairs_p10_p90(self):
        import statistics
        specs = fx.c2c_specs(4)
        s = fx.suite_from("c2c", specs)
        with fx.CapturedFigures(suite_c2c) as cap:
            suite_c2c.figures(self.dir, s, {})
        want = {}
        for cls in ("smt_sibling", "same_l3"):
            mine = [sp.counters for sp in specs if "class:%s" % cls in sp.name]
            want[cls] = (statistics.median(c["one_way_ns_p10"] for c in mine),
                         statistics.median(c["one_way_ns_p90"] for c in mine))
        self.assertWhiskers(cap.whiskers["c2c_by_class.png"], want, count=2)
        with fx.CapturedFigures(suite_c2c) as cap:
            suite_c2c.compare_figures(self.dir, RunSide("A", s, {}), RunSide("B", s, {}))
        self.assertWhiskers(cap.whiskers["compare_c2c_by_class.png"], want, count=4)
        bare = fx.suite_from("c2c", [fx.BenchSpec("c2c/pu_a:0/pu_b:1/class:same_l3",
                                                  counters={"one_way_ns": 40.0},
                                                  explicit_threads=False)])
        with fx.CapturedFigures(suite_c2c) as cap:
            suite_c2c.figures(self.dir, bare, {})
        self.assertEqual(cap.whiskers["c2c_by_class.png"], [])


if __name__ == "__main__":
    unittest.main()
