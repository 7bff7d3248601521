"""Tests of plots/compare.py: an x86-64 run next to an ARM64 run, a run
missing a suite, and the one-line / exit 2 error contract."""

import json
import os
import re
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import testing_fixtures as fx  # noqa: E402

# c2c writes aggregates only: no repetitions to test, so no significance figure.
PNGS = ["compare_atomics_latency.png", "compare_c2c_by_class.png", "compare_sig_atomics.png"]


def run_compare(*args):
    return fx.run_script("compare.py", *args)


class CompareTest(fx.TempDirCase):
    @classmethod
    def build(cls, tmp):
        cls.a = fx.make_run(os.path.join(tmp, "vm-x86_64-20261128T162000Z"), pus=2)
        cls.b = fx.make_run(os.path.join(tmp, "pi-aarch64-20261128T170000Z"), pus=4,
                            arch="aarch64")
        cls.out = os.path.join(tmp, "cmp", "nested")
        cls.proc = run_compare(cls.a, cls.b, "--out", cls.out)

    def test_writes_figures_and_html(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(self.proc.stderr, "")
        self.assertEqual(sorted(os.listdir(self.out)), sorted(PNGS + ["compare.html"]))
        for png in PNGS:
            fx.png_size(os.path.join(self.out, png))
        text, imgs = fx.check_html(self, os.path.join(self.out, "compare.html"))
        self.assertEqual(sorted(imgs), sorted(PNGS))

    def test_html_names_both_runs_and_tables(self):
        text, _ = fx.check_html(self, os.path.join(self.out, "compare.html"))
        self.assertIn("vm-x86_64-20261128T162000Z", text)
        self.assertIn("pi-aarch64-20261128T170000Z", text)
        self.assertIn("B / A", text)
        for path in ("x86_64", "llsc", "lse"):
            self.assertIn("<td>%s</td>" % path, text)
        self.assertIn('class="diff"', text)      # the contexts differ (arch, model...)
        self.assertIn("errored or not honoured", text)

    def test_one_side_missing_a_suite(self):
        with tempfile.TemporaryDirectory() as tmp:
            b = fx.make_run(os.path.join(tmp, "b"), pus=2, suites=("atomics",))
            out = os.path.join(tmp, "out")
            proc = run_compare(self.a, b, "--out", out)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            text, imgs = fx.check_html(self, os.path.join(out, "compare.html"))
            self.assertRegex(text, r"Run B \([^<]*\) has no c2c.json")
            self.assertEqual(sorted(imgs), sorted(PNGS))
            for png in imgs:
                fx.png_size(os.path.join(out, png))


def write_suite(run_dir, suite, samples, context=True):
    """A minimal Google Benchmark JSON: {name: [real_time ns per repetition]}."""
    os.makedirs(run_dir, exist_ok=True)
    entries = []
    for name, vals in samples.items():
        for i, v in enumerate(vals):
            entries.append({"name": name, "run_name": name, "run_type": "iteration",
                            "repetitions": len(vals), "repetition_index": i, "threads": 1,
                            "iterations": 1000, "real_time": v, "cpu_time": v,
                            "time_unit": "ns"})
    with open(os.path.join(run_dir, suite + ".json"), "w") as f:
        json.dump({"context": {"syncscope_suite": suite}, "benchmarks": entries}, f)
    if context:
        with open(os.path.join(run_dir, "context.json"), "w") as f:
            json.dump({"host": os.path.basename(run_dir), "arch": "x86_64"}, f)
    return run_dir


class SignificanceTest(fx.TempDirCase):
    """Three runs of a suite without a plot module: one table and one figure with
    a column per run; a real difference is marked significant, noise "~"."""

    @classmethod
    def build(cls, tmp):
        base = [100, 101, 102, 103, 104, 105]
        cls.a = write_suite(os.path.join(tmp, "ra"), "toy", {
            "toy_fast/x:1": base, "toy_same/x:1": base, "toy_few/x:1": [10, 11, 12]})
        cls.b = write_suite(os.path.join(tmp, "rb"), "toy", {
            "toy_fast/x:1": [v * 2 for v in base], "toy_same/x:1": [104, 99, 103, 100, 106, 101],
            "toy_few/x:1": [30, 31, 32]})
        cls.c = write_suite(os.path.join(tmp, "rc"), "toy", {
            "toy_fast/x:1": [v / 2 for v in base], "toy_same/x:1": base})
        cls.out = os.path.join(tmp, "out")
        cls.proc = run_compare(cls.a, cls.b, cls.c, "--out", cls.out)
        with open(os.path.join(cls.out, "compare.html")) as f:
            cls.text = f.read()

    def test_ok(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(sorted(os.listdir(self.out)), ["compare.html", "compare_sig_toy.png"])
        fx.png_size(os.path.join(self.out, "compare_sig_toy.png"))

    def row(self, bench):
        m = re.search(r"<tr><td>%s</td>(.*?)</tr>" % re.escape(bench), self.text)
        self.assertIsNotNone(m, bench)
        return re.findall(r"<td[^>]*>(.*?)</td>", m.group(1))

    def test_marks(self):
        # U = 0 over 6 + 6 repetitions: exact two-sided p = 2 / C(12, 6) = 0.00216.
        self.assertEqual(self.row("toy_fast/x:1"), ["6", "2×", "0.00216", "0.5×", "0.00216"])
        same = self.row("toy_same/x:1")
        self.assertTrue(same[1].endswith(" ~"), same)
        self.assertEqual(same[3], "1× ~")
        # 3 + 3 repetitions can never reach p < 0.05, and run C lacks it.
        self.assertEqual(self.row("toy_few/x:1"), ["3", "2.82× ~", "—", "—", "—"])

    def test_geomean_of_significant(self):
        self.assertEqual(self.row("geometric mean of significant ratios"),
                         ["", "2× (1 of 3)", "", "0.5× (1 of 3)", ""])

    def test_one_column_per_run(self):
        self.assertIn("rb (rb, x86_64) / ra (ra, x86_64)", self.text)
        self.assertIn("rc (rc, x86_64) / ra (ra, x86_64)", self.text)


class CompareErrorTest(fx.ErrorContract, fx.TempDirCase):
    @classmethod
    def build(cls, tmp):
        cls.good = fx.make_run(os.path.join(tmp, "good"), pus=2, suites=("c2c",))

    def test_missing_out(self):
        self.assertOneLineError(run_compare(self.good, self.good), "--out",
                                "usage: compare.py RUN_A RUN_B [RUN_C ...] --out DIR")

    def test_missing_run(self):
        missing = os.path.join(self.tmp.name, "nope")
        out = os.path.join(self.tmp.name, "o1")
        self.assertOneLineError(run_compare(self.good, missing, "--out", out), missing)
        self.assertFalse(os.path.exists(out))

    def test_one_run(self):
        self.assertOneLineError(run_compare(self.good, "--out", "x"),
                                "at least two run directories")

    def test_out_is_a_file(self):
        f = os.path.join(self.tmp.name, "afile")
        open(f, "w").close()
        self.assertOneLineError(run_compare(self.good, self.good, "--out", f), f)

    def test_corrupt_json(self):
        bad = fx.make_run(os.path.join(self.tmp.name, "bad"), pus=2, suites=("c2c",))
        with open(os.path.join(bad, "manifest.json"), "w") as f:
            f.write('{"run_id": ')
        self.assertOneLineError(run_compare(self.good, bad, "--out",
                                            os.path.join(self.tmp.name, "o2")),
                                os.path.join(bad, "manifest.json"), "corrupt JSON")

    def test_help(self):
        proc = run_compare("--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("--out DIR", proc.stdout)


class RatioWhiskersTest(fx.WhiskerCase):
    """The ratio figure's whiskers: p10-p90 of each run's repetitions over the
    baseline's median, where the run has 3 or more; none with one."""

    def suites(self, reps):
        import common
        out = []
        for i, factor in enumerate((1.0, 2.0, 0.5)):
            d = write_suite(os.path.join(self.dir, "r%d" % i), "toy", {
                "toy_a/x:1": [factor * v for v in (100, 107, 95, 103, 121, 99)[:reps]],
                "toy_b/x:1": [factor * v for v in (50, 52, 49, 58, 51, 50)[:reps]]})
            out.append(common.load_run(d).suites["toy"])
        return out

    def test_whiskers_are_p10_p90_over_the_baseline_median(self):
        import numpy
        import common
        import compare
        suites = self.suites(6)
        with fx.CapturedFigures(common) as cap:
            compare.significance_section("toy", ["A", "B", "C"], suites, self.dir)
        want = []
        for s in suites[1:]:
            for name in ("toy_a/x:1", "toy_b/x:1"):
                med = numpy.median(suites[0].samples[name])
                want.append(tuple(numpy.percentile(s.samples[name], [10, 90]) / med))
        self.assertWhiskers(cap.whiskers["compare_sig_toy.png"], want, count=4)

    def test_one_repetition_draws_none(self):
        import common
        import compare
        with fx.CapturedFigures(common) as cap:
            html = "".join(compare.significance_section("toy", ["A", "B", "C"], self.suites(1),
                                                        self.dir))
        self.assertNoSpread(cap, "compare_sig_toy.png")
        self.assertIn("n=1, no spread", html)


if __name__ == "__main__":
    unittest.main()
