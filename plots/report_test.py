"""Tests of plots/report.py on synthetic run directories (testing_fixtures):
figures written and valid, report.html complete, errored entries listed,
absent suites absent, and the one-line / exit 2 error contract."""

import json
import os
import re
import sys
import tempfile
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import report  # noqa: E402
import testing_fixtures as fx  # noqa: E402

ATOMICS_PNGS = ["atomics_latency.png", "atomics_scaling.png", "atomics_cas_fail.png"]
C2C_PNGS = ["c2c_heatmap.png", "c2c_by_class.png"]


def run_report(*args):
    return fx.run_script("report.py", *args)


check_html = fx.check_html


def section_ids(text):
    return re.findall(r'<h2 id="suite-([^"]+)"', text)


class FullRunTwoPusTest(fx.ReportRunCase):
    """2-PU x86-64 run with both suites: the machine this project develops on."""

    RUN_ID = "vm-x86_64-20261128T162000Z"
    MAKE = fx.make_run
    MAKE_ARGS = {"pus": 2}
    PNGS = ATOMICS_PNGS + C2C_PNGS
    MIN_SIZE = (300, 300)

    def test_report_mentions_every_figure_and_only_existing_ones(self):
        text, imgs = check_html(self, self.html_path)
        pngs = sorted(f for f in os.listdir(self.dir) if f.endswith(".png"))
        self.assertEqual(sorted(imgs), pngs)
        for png in pngs:
            self.assertIn(png, text)

    def test_errored_entries_listed_with_message(self):
        text, _ = check_html(self, self.html_path)
        with open(os.path.join(self.dir, "atomics.json")) as f:
            doc = json.load(f)
        errored = {(b["run_name"], b["error_message"]) for b in doc["benchmarks"]
                   if b.get("error_occurred")}
        self.assertTrue(errored)
        for name, msg in errored:
            self.assertIn(name, text)
            self.assertIn(msg.replace("'", "&#x27;"), text)
        self.assertIn("Not plotted: errors and placements not honoured", text)

    def test_context_summary(self):
        text, _ = check_html(self, self.html_path)
        for needle in ("AMD EPYC 7B13", "g++ 12.2.0", "Release", "Thread placement support",
                       "no SMT (1 PU per core)", "Hardware counters",
                       "PAPI initialised but no hardware event can be added",
                       "1 package, 1 NUMA node, 2 cores, 2 PUs", "cpu_features.cx16",
                       "Virtual machine"):
            self.assertIn(needle, text)
        self.assertNotIn("debug", text.lower().split("full context.json")[0])

    def test_sections_and_headline_numbers(self):
        text, _ = check_html(self, self.html_path)
        self.assertEqual(section_ids(text), ["atomics", "c2c"])
        self.assertIn("Harness overhead:", text)
        self.assertIn("Uncontended, ns per op", text)
        self.assertIn("Contended ops/s", text)
        self.assertIn("One-way latency by distance class", text)
        self.assertIn("0↔1", text)

class FourPuC2cOnlyTest(fx.ReportRunCase):
    """4-PU c2c-only run, debug benchmark library: no atomics section, a
    debug warning, a 4x4 heatmap; and the sampled-by-class variant."""

    RUN_ID = "r4"
    PNGS = C2C_PNGS

    @classmethod
    def make(cls, directory):
        fx.make_run(directory, pus=4, suites=("c2c",), library_build_type="debug")
        ctx_path = os.path.join(directory, "context.json")
        with open(ctx_path) as f:
            ctx = json.load(f)
        ctx["benchmark_library"]["build_type"] = "debug"
        with open(ctx_path, "w") as f:
            json.dump(ctx, f)
        return directory

    def test_only_c2c(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        text, imgs = check_html(self, os.path.join(self.dir, "report.html"))
        self.assertEqual(section_ids(text), ["c2c"])
        self.assertEqual(sorted(imgs), sorted(C2C_PNGS))
        for png in ATOMICS_PNGS:
            self.assertFalse(os.path.exists(os.path.join(self.dir, png)))
            self.assertNotIn(png, text)
        for png in C2C_PNGS:
            fx.png_size(os.path.join(self.dir, png))

    def test_rerun_replaces_files_by_rename(self):
        paths = [os.path.join(self.dir, f) for f in ["report.html"] + C2C_PNGS]
        before = [os.stat(p).st_ino for p in paths]
        proc = run_report(self.dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        after = [os.stat(p).st_ino for p in paths]
        for p, b, a in zip(paths, before, after):
            self.assertNotEqual(a, b, "%s rewritten in place, not renamed" % p)
        self.assertEqual([f for f in os.listdir(self.dir) if f.startswith(".")], [])

    def test_debug_library_warning(self):
        text, _ = check_html(self, os.path.join(self.dir, "report.html"))
        self.assertRegex(text, r'class="warn"><b>Warning:</b> The Google Benchmark library '
                               r'reports build type &quot;debug&quot;')

    def test_classes_in_table(self):
        text, _ = check_html(self, os.path.join(self.dir, "report.html"))
        self.assertIn("smt_sibling", text)
        self.assertIn("same_l3", text)
        self.assertIn("6 PU pairs measured over 4 PUs", text)

    def test_sampled_by_class_and_64_pus(self):
        with tempfile.TemporaryDirectory() as tmp:
            d = fx.make_run(os.path.join(tmp, "r64"), pus=64, suites=("c2c",),
                            c2c_mode="sampled_by_class")
            proc = run_report(d)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            text, imgs = check_html(self, os.path.join(d, "report.html"))
            self.assertIn("sampled by class", text)
            for png in C2C_PNGS:
                fx.png_size(os.path.join(d, png))


class ErrorContractTest(fx.ErrorContract, unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def test_missing_dir(self):
        missing = os.path.join(self.tmp.name, "no-such-run")
        self.assertOneLineError(run_report(missing), missing, "does not exist")

    def test_not_a_directory(self):
        f = os.path.join(self.tmp.name, "file")
        open(f, "w").close()
        self.assertOneLineError(run_report(f), f, "not a directory")

    def test_empty_directory(self):
        self.assertOneLineError(run_report(self.tmp.name), "context.json", "suite JSON")

    def test_usage(self):
        self.assertOneLineError(run_report(), "usage: report.py RUN_DIR")
        self.assertOneLineError(run_report("a", "b"), "usage: report.py RUN_DIR")
        self.assertOneLineError(run_report("--bogus", self.tmp.name), "'--bogus'", "usage:")

    def test_help(self):
        proc = run_report("--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("Usage:", proc.stdout)
        self.assertIn("Exit codes", proc.stdout)

    def test_corrupt_suite_json_keeps_old_report(self):
        d = fx.make_run(os.path.join(self.tmp.name, "r"), pus=2, suites=("c2c",))
        with open(os.path.join(d, "report.html"), "w") as f:
            f.write("previous report")
        with open(os.path.join(d, "c2c.json"), "r+") as f:
            text = f.read()
            f.seek(0)
            f.write(text[: len(text) // 2])
            f.truncate()
        proc = run_report(d)
        self.assertOneLineError(proc, os.path.join(d, "c2c.json"), "corrupt JSON")
        self.assertRegex(proc.stderr, r"line \d+ column \d+")
        with open(os.path.join(d, "report.html")) as f:
            self.assertEqual(f.read(), "previous report")
        self.assertEqual([f for f in os.listdir(d) if f.startswith(".")], [])

    def test_corrupt_context_json(self):
        d = os.path.join(self.tmp.name, "r")
        os.makedirs(d)
        with open(os.path.join(d, "context.json"), "w") as f:
            f.write("{'host': 1}")
        self.assertOneLineError(run_report(d), "context.json", "corrupt JSON")

    def test_wrong_shape_suite_json(self):
        d = os.path.join(self.tmp.name, "r")
        os.makedirs(d)
        with open(os.path.join(d, "atomics.json"), "w") as f:
            f.write('{"benchmarks": 3}')
        self.assertOneLineError(run_report(d), "atomics.json", "benchmarks")


class RobustnessTest(unittest.TestCase):
    """In-process: odd but legal runs, and a plot module that fails."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = os.path.join(self.tmp.name, "run")
        os.makedirs(self.dir)

    def _write(self, name, doc):
        with open(os.path.join(self.dir, name), "w") as f:
            json.dump(doc, f)

    def _main(self):
        import contextlib
        import io
        with contextlib.redirect_stdout(io.StringIO()):
            return report.main([self.dir])

    def _html(self):
        text, _ = check_html(self, os.path.join(self.dir, "report.html"))
        return text

    def test_context_only(self):
        self._write("context.json", fx.context_json(2))
        self.assertEqual(self._main(), 0)
        text = self._html()
        self.assertIn("holds no suite results yet", text)
        self.assertEqual(section_ids(text), [])

    def test_suite_without_context_and_without_plot_module(self):
        specs = [fx.BenchSpec("zz_selftest/impl:GoMutex/x:1", 2, {"ops_per_s": 5e6}, "pus=0,1"),
                 fx.BenchSpec("zz_selftest/impl:GoMutex/x:2", 2,
                              error="<script>alert(1)</script> not honoured")]
        self._write("zz_selftest.json", fx.gb_document("zz_selftest", specs))
        self.assertEqual(self._main(), 0)
        text = self._html()
        self.assertIn("context.json is missing", text)
        self.assertEqual(section_ids(text), ["zz_selftest"])
        self.assertIn("No plot module (plots/suite_zz_selftest.py)", text)
        self.assertIn("zz_selftest/impl:GoMutex/x:1/repeats:3/threads:2", text)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt; not honoured", text)
        self.assertNotIn("<script>", text)
        self.assertIn("Host (from zz_selftest.json)", text)

    def test_failing_plot_module_is_reported_not_fatal(self):
        fx.make_run(self.dir, pus=2, suites=("c2c",))
        broken = types.ModuleType("suite_c2c_broken")
        broken.TITLE = "Broken"

        def figures(run_dir, suite_data, context):
            raise ValueError("synthetic failure")
        broken.figures = figures
        orig = common.suite_modules
        common.suite_modules = lambda: ({"c2c": broken}, {})
        try:
            err = self._capture_stderr(self._main)
        finally:
            common.suite_modules = orig
        self.assertEqual(self.rc, 1)
        self.assertIn("warning: plot module suite_c2c failed: ValueError: synthetic failure",
                      err)
        text = self._html()
        self.assertIn("Report incomplete", text)
        self.assertIn("c2c/pu_a:0/pu_b:1/class:same_l3", text)  # results still listed

    def test_import_failure_is_reported(self):
        fx.make_run(self.dir, pus=2, suites=("c2c",))
        orig = common.suite_modules
        common.suite_modules = lambda: ({}, {"c2c": "SyntaxError: invalid syntax"})
        try:
            err = self._capture_stderr(self._main)
        finally:
            common.suite_modules = orig
        self.assertEqual(self.rc, 1)
        self.assertIn("cannot be imported: SyntaxError", err)
        self.assertIn("cannot be imported", self._html())

    def _capture_stderr(self, fn):
        import io
        old_err, old_out = sys.stderr, sys.stdout
        sys.stderr, sys.stdout = io.StringIO(), io.StringIO()
        try:
            self.rc = fn()
            return sys.stderr.getvalue()
        finally:
            sys.stderr, sys.stdout = old_err, old_out


if __name__ == "__main__":
    unittest.main()
