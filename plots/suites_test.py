"""Tests of the suite plot modules on partial and odd data (in-process):
each figure function copes with a family missing, a single point, a counter
missing, and a comparison where one side lacks the suite."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import suite_atomics  # noqa: E402
import suite_c2c  # noqa: E402
import testing_fixtures as fx  # noqa: E402
from common import RunSide  # noqa: E402


def suite_from(name, specs, repetitions=1, extra_context=None):
    doc = fx.gb_document(name, specs, repetitions=repetitions, extra_context=extra_context,
                         jitter=0.0)
    return common.parse_suite(name, name + ".json", doc)


class SuiteModulesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name

    def assertFigures(self, figs, expected):
        self.assertEqual([f for f, _ in figs], expected)
        for png, caption in figs:
            fx.png_size(os.path.join(self.dir, png))
            self.assertTrue(caption)

    def test_atomics_latency_only(self):
        s = suite_from("atomics", [
            fx.BenchSpec("atomics_latency/op:cas/path:x86_64/bits:64",
                         counters={"ns_per_op": 10.0}, explicit_threads=False)])
        figs = suite_atomics.figures(self.dir, s, {})
        self.assertFigures(figs, ["atomics_latency.png"])
        self.assertNotIn("Bottom", figs[0][1])
        tables = suite_atomics.summary_rows(self.dir, s, {})
        self.assertEqual(tables[0].rows, [["cas", "64", "10.0"]])
        self.assertEqual(suite_atomics.notes(self.dir, s, {}),
                         ["Atomic paths measured: x86_64."])

    def test_atomics_throughput_from_ops_per_s_only(self):
        s = suite_from("atomics", [
            fx.BenchSpec("atomics_throughput/op:load/path:lse/bits:64",
                         counters={"ops_per_s": 2e9}, explicit_threads=False)])
        self.assertFigures(suite_atomics.figures(self.dir, s, {}), ["atomics_latency.png"])
        self.assertEqual(suite_atomics.summary_rows(self.dir, s, {})[0].rows,
                         [["load", "64", "0.500"]])

    def test_atomics_contended_single_thread_count_and_all_errored_placement(self):
        base = "atomics_contended/op:cas_loop/path:portable/layout:shared/placement:"
        s = suite_from("atomics", [
            fx.BenchSpec(base + "compact", 1, {"ops_per_s": 1e8, "cas_fail_rate": 0.0},
                         "pus=0"),
            fx.BenchSpec(base + "cross", 1, error="placement 'cross' not honoured")])
        figs = suite_atomics.figures(self.dir, s, {})
        self.assertFigures(figs, ["atomics_scaling.png", "atomics_cas_fail.png"])
        t = suite_atomics.summary_rows(self.dir, s, {})[0]
        self.assertEqual(t.rows, [["cas_loop", "compact", "1", "100M"]])

    def test_atomics_nothing_recognised(self):
        s = suite_from("atomics", [fx.BenchSpec("something_else/x:1",
                                                counters={"ns_per_op": 1.0})])
        self.assertEqual(suite_atomics.figures(self.dir, s, {}), [])
        self.assertEqual(suite_atomics.summary_rows(self.dir, s, {}), [])

    def test_c2c_single_pair_without_percentiles(self):
        s = suite_from("c2c", [fx.BenchSpec("c2c/pu_a:0/pu_b:1/class:same_l3",
                                            counters={"one_way_ns": 40.0},
                                            explicit_threads=False)])
        self.assertFigures(suite_c2c.figures(self.dir, s, {}),
                           ["c2c_heatmap.png", "c2c_by_class.png"])
        row = suite_c2c.summary_rows(self.dir, s, {})[0].rows[0]
        self.assertEqual(row[:5], ["same_l3", "1", "40.0", "—", "—"])

    def test_c2c_both_directions_and_unknown_class(self):
        s = suite_from("c2c", [
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
        s = suite_from("c2c", fx.c2c_specs(4))
        a, b = RunSide("A", s, {}), RunSide("B", None, {})
        self.assertFigures(suite_c2c.compare_figures(self.dir, a, b),
                           ["compare_c2c_by_class.png"])
        rows = suite_c2c.compare_tables(a, b)[0].rows
        self.assertEqual([r[0] for r in rows], ["smt_sibling", "same_l3"])
        self.assertEqual(rows[0][3:], ["0", "—", "—"])
        none = RunSide("B", None, {})
        self.assertEqual(suite_atomics.compare_figures(self.dir, none, none), [])
        self.assertEqual(suite_atomics.compare_tables(none, none), [])


if __name__ == "__main__":
    unittest.main()
