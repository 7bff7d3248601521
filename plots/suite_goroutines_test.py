"""Tests of plots/suite_goroutines.py on full, partial and empty data."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import suite_goroutines  # noqa: E402
import testing_fixtures as fx  # noqa: E402


def suite_from(specs):
    doc = fx.gb_document("goroutines", specs, repetitions=1, jitter=0.0)
    return common.parse_suite("goroutines", "goroutines.json", doc)


def spec(name, **counters):
    return fx.BenchSpec(name + "/manual_time", counters=counters, explicit_threads=False)


FULL = [
    spec("goroutines_spawn_join/impl:goroutine/tasks:1000", ns_per_op=300.0),
    spec("goroutines_spawn_join/impl:go_runtime/tasks:1000", ns_per_op=250.0),
    spec("goroutines_spawn_join/impl:std_thread/tasks:100", ns_per_op=20000.0),
    spec("goroutines_switch/impl:ctx_switch", ns_per_op=3.0),
    spec("goroutines_switch/impl:go_runtime", ns_per_op=90.0),
    spec("goroutines_unpark/impl:goroutine/p:same", ns_per_op=200.0, p50_ns=180.0, p99_ns=900.0),
    spec("goroutines_unpark/impl:go_runtime/p:cross", ns_per_op=2000.0, p50_ns=1500.0, p99_ns=9000.0),
    spec("goroutines_parked_memory/impl:goroutine/n:100000", rss_per_g_bytes=4300.0, n=100000.0),
    spec("goroutines_chan/impl:Chan/case:spsc/cap:0", ns_per_op=150.0),
    spec("goroutines_chan/impl:go_chan/case:pingpong/cap:0", ns_per_op=200.0),
]


class GoroutinesPlotTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def test_full_data_draws_the_figure_and_the_table(self):
        s = suite_from(FULL)
        figs = suite_goroutines.figures(self.tmp.name, s, {})
        self.assertEqual([f for f, _ in figs], ["goroutines_costs.png"])
        fx.png_size(os.path.join(self.tmp.name, "goroutines_costs.png"))
        (table,) = suite_goroutines.summary_rows(self.tmp.name, s, {})
        cells = [r[1:] for r in table.rows]
        self.assertIn(["goroutine", "4300 bytes"], cells)
        self.assertIn(["goroutine p:same", "180 ns"], cells)  # unpark shows its p50

    def test_one_family_only(self):
        s = suite_from([spec("goroutines_switch/impl:gosched", ns_per_op=80.0)])
        figs = suite_goroutines.figures(self.tmp.name, s, {})
        self.assertEqual(len(figs), 1)

    def test_no_data_no_figure(self):
        s = suite_from([])
        self.assertEqual(suite_goroutines.figures(self.tmp.name, s, {}), [])
        self.assertEqual(suite_goroutines.summary_rows(self.tmp.name, s, {}), [])
        self.assertEqual(suite_goroutines.notes(self.tmp.name, s, {}), [])


class WhiskersTest(fx.WhiskerCase):
    def test_whiskers_are_p10_p90_of_the_repetitions(self):
        s, doc = fx.jittered_suite("goroutines", FULL, repetitions=5)
        with fx.CapturedFigures(suite_goroutines) as cap:
            (png, caption), = suite_goroutines.figures(self.dir, s, {})
        want = dict(fx.expected_spreads(
            doc, lambda e: e.get("ns_per_op") if "goroutines_unpark" not in e["name"] else None))
        want.update({n + "/p50": v for n, v in fx.expected_spreads(doc, "p50_ns").items()})
        # Every bar: 9 costs (parked memory is a table row, not a bar); unpark by p50.
        self.assertEqual(cap.bars[png], 9)
        self.assertWhiskers(cap.whiskers[png], want, count=9)
        self.assertIn("p10–p90 over the run's repetitions", caption)

    def test_one_repetition_draws_no_whisker(self):
        with fx.CapturedFigures(suite_goroutines) as cap:
            (png, caption), = suite_goroutines.figures(self.dir, suite_from(FULL), {})
        self.assertNoSpread(cap, png)
        self.assertIn("n=1, no spread", caption)


if __name__ == "__main__":
    unittest.main()
