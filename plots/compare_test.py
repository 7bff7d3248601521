"""Tests of plots/compare.py: an x86-64 run next to an ARM64 run, a run
missing a suite, and the one-line / exit 2 error contract."""

import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import testing_fixtures as fx  # noqa: E402

PNGS = ["compare_atomics_latency.png", "compare_c2c_by_class.png"]


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
            self.assertIn("Run B has no c2c.json", text)
            self.assertEqual(sorted(imgs), sorted(PNGS))  # A's classes still drawn
            for png in PNGS:
                fx.png_size(os.path.join(out, png))


class CompareErrorTest(fx.ErrorContract, fx.TempDirCase):
    @classmethod
    def build(cls, tmp):
        cls.good = fx.make_run(os.path.join(tmp, "good"), pus=2, suites=("c2c",))

    def test_missing_out(self):
        self.assertOneLineError(run_compare(self.good, self.good), "--out",
                                "usage: compare.py RUN_A RUN_B --out DIR")

    def test_missing_run(self):
        missing = os.path.join(self.tmp.name, "nope")
        out = os.path.join(self.tmp.name, "o1")
        self.assertOneLineError(run_compare(self.good, missing, "--out", out), missing)
        self.assertFalse(os.path.exists(out))

    def test_too_many_arguments(self):
        self.assertOneLineError(run_compare(self.good, self.good, self.good, "--out", "x"),
                                "usage:")

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


if __name__ == "__main__":
    unittest.main()
