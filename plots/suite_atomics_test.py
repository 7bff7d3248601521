"""Tests of suite_atomics.py (in-process): the litmus figure, table and
notes — the x86 shape (SB only), an observed forbidden outcome flagged as a
bug, a family that was not honoured (one PU), litmus next to the other
atomics families, a missing verdict counter — and the other families on
partial or odd data (one family, one thread count, an all-errored
placement, nothing recognised, a comparison with one side missing)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import suite_atomics  # noqa: E402
import testing_fixtures as fx  # noqa: E402
from common import RunSide  # noqa: E402


def litmus_suite(extra_context=None, **kw):
    doc = fx.gb_document("atomics", fx.litmus_specs(**kw), repetitions=1,
                         extra_context=extra_context, jitter=0.0)
    return common.parse_suite("atomics", "atomics.json", doc)


class AtomicsLitmusTest(fx.FigureCase):
    def litmus_table(self, suite):
        tables = [t for t in suite_atomics.summary_rows(self.dir, suite, {})
                  if t.title.startswith("Litmus")]
        self.assertEqual(len(tables), 1)
        return tables[0]

    def test_cells_parse_suite_names_in_display_order(self):
        cells = suite_atomics.litmus_cells(litmus_suite())
        self.assertEqual([(c.test, c.order) for c in cells][:4],
                         [("SB", "relaxed"), ("SB", "acq_rel"), ("SB", "seq_cst"),
                          ("MP", "relaxed")])
        self.assertEqual([c.test for c in cells[-3:]], ["2+2W"] * 3)
        sb = cells[0]
        self.assertEqual((sb.trials, sb.weak, sb.allowed), (100000, 5000, True))
        self.assertAlmostEqual(sb.per_million, 50000.0)
        self.assertIs(cells[2].allowed, False)

    def test_x86_shape_figure_table_and_notes(self):
        s = litmus_suite(extra_context={"atomics_litmus_note": "Outcomes of this machine"})
        figs = suite_atomics.figures(self.dir, s, {})
        self.assertEqual([f for f, _ in figs], ["atomics_litmus.png"])
        fx.png_size(os.path.join(self.dir, "atomics_litmus.png"))
        self.assertIn("forbids it and it was seen", figs[0][1])
        table = self.litmus_table(s)
        self.assertEqual(table.rows[0][:6],
                         ["SB", "relaxed", "allowed", "100000", "5000", "50.0k"])
        self.assertEqual(table.rows[2][:6],
                         ["SB", "seq_cst", "forbidden by C++", "100000", "0", "0"])
        self.assertTrue(all(r[6] == "" for r in table.rows))
        notes = suite_atomics.notes(self.dir, s, {})
        self.assertFalse(any(n.startswith("WARNING") for n in notes))
        self.assertIn("SB relaxed (50.0k per million)", notes[0])
        self.assertIn("SB acq_rel", notes[0])
        self.assertNotIn("MP", notes[0])
        self.assertEqual(notes[-1], "Outcomes of this machine.")

    def test_forbidden_outcome_observed_is_flagged(self):
        s = litmus_suite(weak={("MP", "acq_rel"): 3})
        notes = suite_atomics.notes(self.dir, s, {})
        self.assertTrue(notes[0].startswith("WARNING"))
        self.assertIn("MP acq_rel 3 of 100000 trials", notes[0])
        bad = suite_atomics.litmus_violations(suite_atomics.litmus_cells(s))
        self.assertEqual([(c.test, c.order) for c in bad], [("MP", "acq_rel")])
        self.assertEqual(suite_atomics._litmus_colour(bad[0]), suite_atomics.LITMUS_BUG)
        row = [r for r in self.litmus_table(s).rows if r[:2] == ["MP", "acq_rel"]][0]
        self.assertEqual(row[6], "BUG: forbidden outcome observed")
        figs = suite_atomics.figures(self.dir, s, {})
        fx.png_size(os.path.join(self.dir, figs[0][0]))

    def test_nothing_observed(self):
        s = litmus_suite(weak={("SB", "relaxed"): 0, ("SB", "acq_rel"): 0}, trials=5000)
        notes = suite_atomics.notes(self.dir, s, {})
        self.assertEqual(notes, ["Litmus tests: no weak outcome observed for any "
                                 "(test, order) in 5000 trials each at most."])
        self.assertEqual([f for f, _ in suite_atomics.figures(self.dir, s, {})],
                         ["atomics_litmus.png"])

    def test_not_honoured_on_one_pu(self):
        msg = ("placement 'scatter' not honoured on this machine: litmus tests need two "
               "different PUs, this process may use 1")
        s = litmus_suite(error=msg)
        self.assertEqual(suite_atomics.litmus_cells(s), [])
        figs = suite_atomics.figures(self.dir, s, {})
        self.assertEqual([f for f, _ in figs], ["atomics_litmus.png"])
        fx.png_size(os.path.join(self.dir, "atomics_litmus.png"))
        self.assertIn("Not measured: " + msg, figs[0][1])
        self.assertEqual(suite_atomics.summary_rows(self.dir, s, {}), [])
        self.assertEqual(suite_atomics.notes(self.dir, s, {}), [])

    def test_aarch64_shape_and_missing_verdict(self):
        specs = fx.litmus_specs(arch="aarch64")
        # An older producer without the verdict counter.
        first = specs[0]
        counters = dict(first.counters)
        del counters["allowed_by_cxx"]
        specs[0] = first._replace(counters=counters)
        doc = fx.gb_document("atomics", specs, repetitions=1, jitter=0.0)
        s = common.parse_suite("atomics", "atomics.json", doc)
        cells = suite_atomics.litmus_cells(s)
        self.assertIsNone(cells[0].allowed)
        self.assertEqual(suite_atomics.litmus_violations(cells), [])
        self.assertEqual(self.litmus_table(s).rows[0][2], "verdict unknown")
        notes = suite_atomics.notes(self.dir, s, {})
        self.assertIn("MP relaxed", notes[0])
        self.assertIn("2+2W relaxed", notes[0])
        fx.png_size(os.path.join(self.dir, suite_atomics.figures(self.dir, s, {})[0][0]))

    def test_litmus_next_to_the_other_families(self):
        doc = fx.gb_document("atomics", fx.atomics_specs(2), repetitions=3)
        lit = fx.gb_document("atomics", fx.litmus_specs(), repetitions=1, jitter=0.0)
        doc["benchmarks"] += lit["benchmarks"]
        s = common.parse_suite("atomics", "atomics.json", doc)
        figs = suite_atomics.figures(self.dir, s, {})
        self.assertEqual([f for f, _ in figs],
                         ["atomics_latency.png", "atomics_scaling.png",
                          "atomics_cas_fail.png", "atomics_litmus.png"])
        tables = suite_atomics.summary_rows(self.dir, s, {})
        self.assertEqual(len(tables), 3)
        self.assertEqual(len(tables[2].rows), 12)
        notes = suite_atomics.notes(self.dir, s, {})
        self.assertEqual(notes[1], "Atomic paths measured: portable, x86_64.")
        self.assertTrue(notes[2].startswith("Litmus tests: reorderings observed"))


class PartialDataTest(fx.FigureCase):
    def test_atomics_latency_only(self):
        s = fx.suite_from("atomics", [
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
        s = fx.suite_from("atomics", [
            fx.BenchSpec("atomics_throughput/op:load/path:lse/bits:64",
                         counters={"ops_per_s": 2e9}, explicit_threads=False)])
        self.assertFigures(suite_atomics.figures(self.dir, s, {}), ["atomics_latency.png"])
        self.assertEqual(suite_atomics.summary_rows(self.dir, s, {})[0].rows,
                         [["load", "64", "0.500"]])

    def test_atomics_contended_single_thread_count_and_all_errored_placement(self):
        base = "atomics_contended/op:cas_loop/path:portable/layout:shared/placement:"
        s = fx.suite_from("atomics", [
            fx.BenchSpec(base + "compact", 1, {"ops_per_s": 1e8, "cas_fail_rate": 0.0},
                         "pus=0"),
            fx.BenchSpec(base + "cross", 1, error="placement 'cross' not honoured")])
        figs = suite_atomics.figures(self.dir, s, {})
        self.assertFigures(figs, ["atomics_scaling.png", "atomics_cas_fail.png"])
        t = suite_atomics.summary_rows(self.dir, s, {})[0]
        self.assertEqual(t.rows, [["cas_loop", "compact", "1", "100M"]])

    def test_atomics_nothing_recognised(self):
        s = fx.suite_from("atomics", [fx.BenchSpec("something_else/x:1",
                                                counters={"ns_per_op": 1.0})])
        self.assertEqual(suite_atomics.figures(self.dir, s, {}), [])
        self.assertEqual(suite_atomics.summary_rows(self.dir, s, {}), [])

    def test_compare_with_both_sides_missing(self):
        none = RunSide("B", None, {})
        self.assertEqual(suite_atomics.compare_figures(self.dir, none, none), [])
        self.assertEqual(suite_atomics.compare_tables(none, none), [])


class WhiskersTest(fx.WhiskerCase):
    """p10-p90 over the repetitions: a whisker on every latency bar, an
    error bar on every point of the scaling and CAS-failure lines; none with
    one repetition, and the figures say "n=1, no spread"."""

    def test_whiskers_are_p10_p90_of_the_repetitions(self):
        specs = fx.atomics_specs(2)
        s, doc = fx.jittered_suite("atomics", specs, repetitions=5)
        with fx.CapturedFigures(suite_atomics) as cap:
            figs = dict(suite_atomics.figures(self.dir, s, {}))
        png = "atomics_latency.png"
        self.assertWhiskers(cap.whiskers[png], fx.expected_spreads(doc, "ns_per_op"),
                            count=cap.bars[png])
        contended = [sp for sp in specs if sp.name.startswith("atomics_contended")
                     and not sp.error]
        self.assertWhiskers(cap.whiskers["atomics_scaling.png"],
                            fx.expected_spreads(doc, "ops_per_s"), count=len(contended))
        self.assertWhiskers(cap.whiskers["atomics_cas_fail.png"],
                            fx.expected_spreads(doc, "cas_fail_rate", conv=lambda v: 100.0 * v),
                            count=len([sp for sp in contended if "op:cas_loop" in sp.name]))
        self.assertIn("Error bars: p10–p90", figs["atomics_scaling.png"])

    def test_one_repetition_draws_none(self):
        s = fx.suite_from("atomics", fx.atomics_specs(2))
        with fx.CapturedFigures(suite_atomics) as cap:
            figs = dict(suite_atomics.figures(self.dir, s, {}))
        for png in ("atomics_latency.png", "atomics_scaling.png", "atomics_cas_fail.png"):
            self.assertNoSpread(cap, png)
            self.assertIn("n=1, no spread", figs[png])
        # The litmus tests run once by design (the count is the result).
        with fx.CapturedFigures(suite_atomics) as cap:
            suite_atomics.figures(self.dir, litmus_suite(), {})
        self.assertNoSpread(cap, "atomics_litmus.png")

    def test_compare_whiskers(self):
        a, doc = fx.jittered_suite("atomics", fx.atomics_specs(2), repetitions=4)
        b = fx.suite_from("atomics", fx.atomics_specs(2))
        with fx.CapturedFigures(suite_atomics) as cap:
            suite_atomics.compare_figures(self.dir, RunSide("A", a, {}), RunSide("B", b, {}))
        png = "compare_atomics_latency.png"
        self.assertWhiskers(cap.whiskers[png], fx.expected_spreads(doc, "ns_per_op"),
                            count=cap.bars[png] // 2)   # A's bars; B has one repetition


if __name__ == "__main__":
    unittest.main()
