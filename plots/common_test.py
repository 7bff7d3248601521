"""Unit tests of plots/common.py (name parser, median selection, loading,
context helpers, atomic writes) and plots/style.py (fixed colours)."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import style  # noqa: E402
import testing_fixtures as fx  # noqa: E402
from common import DataError, UsageError, parse_name  # noqa: E402


class ParseNameTest(unittest.TestCase):
    def test_family_and_key_values(self):
        fam, p = parse_name("atomics_latency/op:fetch_add/path:x86_64/bits:64")
        self.assertEqual(fam, "atomics_latency")
        self.assertEqual(p, {"op": "fetch_add", "path": "x86_64", "bits": "64"})

    def test_keeps_key_order(self):
        _, p = parse_name("c2c/pu_a:3/pu_b:1/class:same_l3")
        self.assertEqual(list(p), ["pu_a", "pu_b", "class"])

    def test_google_benchmark_segments(self):
        fam, p = parse_name("atomics_contended/op:cas_loop/path:lse/layout:padded/"
                            "placement:scatter/min_time:0.010/repeats:3/threads:8")
        self.assertEqual(fam, "atomics_contended")
        self.assertEqual(p["threads"], "8")
        self.assertEqual(p["repeats"], "3")
        self.assertEqual(p["min_time"], "0.010")
        self.assertEqual(common.user_params(p),
                         {"op": "cas_loop", "path": "lse", "layout": "padded",
                          "placement": "scatter"})

    def test_multi_segment_family(self):
        self.assertEqual(parse_name("atomics_overhead/harness"),
                         ("atomics_overhead/harness", {}))
        self.assertEqual(parse_name("atomics_overhead/harness/repeats:3"),
                         ("atomics_overhead/harness", {"repeats": "3"}))

    def test_positional_args_and_flags(self):
        fam, p = parse_name("BM_queue/8/1024/real_time/threads:4")
        self.assertEqual(fam, "BM_queue")
        self.assertEqual(p, {"arg0": "8", "arg1": "1024", "real_time": "true",
                             "threads": "4"})

    def test_value_containing_colon_and_bare_word_after_params(self):
        fam, p = parse_name("maps/impl:std::map/keys:100/warm")
        self.assertEqual(fam, "maps")
        self.assertEqual(p, {"impl": "std::map", "keys": "100", "warm": ""})

    def test_family_only_and_template_names(self):
        self.assertEqual(parse_name("BM_lock<std::mutex>"), ("BM_lock<std::mutex>", {}))
        self.assertEqual(parse_name("BM_lock<std::mutex>/threads:2"),
                         ("BM_lock<std::mutex>", {"threads": "2"}))
        self.assertEqual(parse_name("mutex/impl:absl::Mutex/x:1"),
                         ("mutex", {"impl": "absl::Mutex", "x": "1"}))
        self.assertEqual(parse_name("x"), ("x", {}))

    def test_empty_segments_ignored(self):
        self.assertEqual(parse_name("fam/a:1//b:2/"), ("fam", {"a": "1", "b": "2"}))

    def test_non_string_rejected(self):
        with self.assertRaises(TypeError):
            parse_name(None)

    def test_as_number(self):
        self.assertEqual(common.as_number("64"), 64)
        self.assertIsInstance(common.as_number("64"), int)
        self.assertEqual(common.as_number("0.010"), 0.01)
        self.assertIsNone(common.as_number("x86_64"))
        self.assertEqual(common.as_number(None, 7), 7)

    def test_strip_aggregate_suffix(self):
        self.assertEqual(common.strip_aggregate_suffix("a/threads:2_median"), "a/threads:2")
        self.assertEqual(common.strip_aggregate_suffix("a/threads:2"), "a/threads:2")


def _entry(name, run_type="iteration", agg=None, **values):
    e = {"name": name + ("_" + agg if agg else ""), "run_name": name,
         "run_type": run_type, "repetitions": 3, "threads": values.pop("threads", 1),
         "iterations": 1000, "time_unit": "ns"}
    if agg:
        e["aggregate_name"] = agg
    e.update(values)
    return e


class MedianSelectionTest(unittest.TestCase):
    def test_median_aggregate_preferred(self):
        n = "f/op:a/repeats:3"
        doc = {"benchmarks": [
            _entry(n, real_time=1.0, cpu_time=1.0, ns_per_op=1.0),
            _entry(n, real_time=9.0, cpu_time=9.0, ns_per_op=9.0),
            _entry(n, real_time=2.0, cpu_time=2.0, ns_per_op=2.0),
            _entry(n, "aggregate", "mean", real_time=4.0, cpu_time=4.0, ns_per_op=4.0),
            _entry(n, "aggregate", "median", real_time=2.5, cpu_time=2.5, ns_per_op=2.5),
            _entry(n, "aggregate", "cv", real_time=0.5, cpu_time=0.5, ns_per_op=0.5),
        ]}
        s = common.parse_suite("x", "x.json", doc)
        self.assertEqual(len(s.results), 1)
        r = s.results[0]
        self.assertEqual(r.value("ns_per_op"), 2.5)   # the aggregate, not recomputed
        self.assertEqual(r.source, "median aggregate")
        self.assertEqual(r.cv["real_time"], 0.5)
        self.assertEqual(r.family, "f")
        self.assertEqual(r.get("op"), "a")

    def test_median_of_iterations_without_aggregates(self):
        n = "f/op:a"
        doc = {"benchmarks": [_entry(n, real_time=v, ns_per_op=v) for v in (5.0, 1.0, 3.0)]}
        r = common.parse_suite("x", "x.json", doc).results[0]
        self.assertEqual(r.value("ns_per_op"), 3.0)
        self.assertEqual(r.repetitions, 3)
        self.assertIn("median of 3", r.source)

    def test_bookkeeping_keys_not_values(self):
        doc = {"benchmarks": [_entry("f", real_time=1.0, family_index=0,
                                     per_family_instance_index=0, repetition_index=0)]}
        r = common.parse_suite("x", "x.json", doc).results[0]
        for k in ("family_index", "iterations", "threads", "repetition_index", "repetitions"):
            self.assertNotIn(k, r.values)
        self.assertEqual(r.threads, 1)

    def test_run_name_derived_when_missing(self):
        doc = {"benchmarks": [
            {"name": "f/a:1/threads:2", "run_type": "iteration", "threads": 2,
             "real_time": 4.0, "time_unit": "us"},
            {"name": "f/a:1/threads:2_median", "run_type": "aggregate",
             "aggregate_name": "median", "threads": 2, "real_time": 3.0, "time_unit": "us"}]}
        s = common.parse_suite("x", "x.json", doc)
        self.assertEqual([r.name for r in s.results], ["f/a:1/threads:2"])
        self.assertEqual(s.results[0].real_time_ns(), 3000.0)
        self.assertEqual(s.results[0].threads, 2)

    def test_errors_listed_never_dropped(self):
        msg = "placement 'smt' not honoured on this machine: no SMT"
        n = "f/placement:smt/repeats:3/threads:2"
        doc = {"benchmarks": [_entry(n, threads=2, error_occurred=True, error_message=msg,
                                     real_time=0.0) for _ in range(3)] +
               [_entry("f/placement:none", real_time=1.0),
                {"no_name": True}]}
        s = common.parse_suite("x", "x.json", doc)
        self.assertEqual([r.name for r in s.results], ["f/placement:none"])
        self.assertEqual(len(s.errors), 1)
        e = s.errors[0]
        self.assertEqual((e.name, e.message, e.count, e.threads), (n, msg, 3, 2))
        self.assertEqual(e.params["placement"], "smt")
        self.assertEqual(len(s.malformed), 1)

    def test_partly_errored_run_is_plotted_and_listed(self):
        n = "f/op:a"
        doc = {"benchmarks": [_entry(n, real_time=2.0),
                              _entry(n, error_occurred=True, error_message="boom")]}
        s = common.parse_suite("x", "x.json", doc)
        self.assertEqual(len(s.results), 1)
        self.assertEqual(s.errors[0].message, "boom")

    def test_bad_shape(self):
        with self.assertRaises(DataError):
            common.parse_suite("x", "x.json", [])
        with self.assertRaises(DataError):
            common.parse_suite("x", "x.json", {"benchmarks": {}})

    def test_synthetic_fixture_round_trip(self):
        doc = fx.gb_document("atomics", fx.atomics_specs(2))
        s = common.parse_suite("atomics", "atomics.json", doc)
        lat = [r for r in s.family("atomics_latency")]
        self.assertEqual(len(lat), 5 * 2 * 2)
        self.assertTrue(all(r.source == "median aggregate" for r in lat))
        self.assertTrue(any("smt" in e.message for e in s.errors))
        cont = s.family("atomics_contended")
        self.assertEqual(sorted(set(r.threads for r in cont)), [1, 2])
        self.assertTrue(all(r.label.startswith("pus=") for r in cont))


class LoadRunTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def _write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def test_missing_dir(self):
        with self.assertRaisesRegex(UsageError, "does not exist"):
            common.load_run(os.path.join(self.dir, "nope"))

    def test_not_a_dir(self):
        self._write("f", "x")
        with self.assertRaisesRegex(UsageError, "not a directory"):
            common.load_run(os.path.join(self.dir, "f"))

    def test_empty_dir(self):
        with self.assertRaisesRegex(UsageError, "neither"):
            common.load_run(self.dir)

    def test_corrupt_names_file_and_error(self):
        self._write("context.json", "{}")
        self._write("c2c.json", '{"benchmarks": [')
        with self.assertRaises(DataError) as cm:
            common.load_run(self.dir)
        self.assertIn("c2c.json", str(cm.exception))
        self.assertIn("line 1", str(cm.exception))

    def test_side_files_skipped(self):
        self._write("context.json", '{"host": "h"}')
        self._write("fairness_hist.json", '{"histograms": []}')
        self._write("notes.txt.json", '{"benchmarks": []}')  # not a plain suite name
        self._write("atomics.json", '{"context": {}, "benchmarks": []}')
        run = common.load_run(self.dir)
        self.assertEqual(list(run.suites), ["atomics"])
        self.assertIsNone(run.manifest)
        self.assertEqual(run.context["host"], "h")

    def test_nan_and_infinity_as_google_benchmark_writes_them(self):
        doc = {"context": {}, "benchmarks": [
            {"name": "f/a:1", "run_name": "f/a:1", "run_type": "iteration", "threads": 1,
             "real_time": 1.0, "cpu_time": 1.0, "time_unit": "ns", "x": 2.0}]}
        text = json.dumps(doc).replace('"x": 2.0', '"x": NaN, "y": -Infinity, "z": 3')
        self._write("atomics.json", text)
        r = common.load_run(self.dir).suites["atomics"].results[0]
        self.assertNotIn("x", r.values)
        self.assertNotIn("y", r.values)
        self.assertEqual(r.values["z"], 3.0)

    def test_context_must_be_object(self):
        self._write("context.json", "[1]")
        with self.assertRaisesRegex(DataError, "context.json"):
            common.load_run(self.dir)


class HelpersTest(unittest.TestCase):
    def test_flatten(self):
        flat = dict(common.flatten({"a": {"b": 1, "c": [1, 2]}, "d": [{"e": True}],
                                    "f": None, "g": {}}))
        self.assertEqual(flat, {"a.b": "1", "a.c": "1, 2", "d[0].e": "true",
                                "f": "null", "g": "{}"})

    def test_ctx_get(self):
        ctx = {"cpu": {"model": "X"}, "empty": "", "host": "h"}
        self.assertEqual(common.ctx_get(ctx, "cpu_model", "cpu.model"), "X")
        self.assertEqual(common.ctx_get(ctx, "empty", "host"), "h")
        self.assertIsNone(common.ctx_get(ctx, "nope.deeper"))

    def test_fmt_num(self):
        self.assertEqual(common.fmt_num(None), "—")
        self.assertEqual(common.fmt_num(12.345), "12.3")
        self.assertEqual(common.fmt_num(0.5104), "0.510")
        self.assertEqual(common.fmt_num(152e6), "152M")
        self.assertEqual(common.fmt_num(2.5e9), "2.50G")
        self.assertEqual(common.fmt_num(64), "64")
        self.assertEqual(common.fmt_num(float("nan")), "—")
        self.assertEqual(common.fmt_num(5.09e-16), "5.09e-16")

    def test_atomic_write_leaves_no_temp_on_failure(self):
        with tempfile.TemporaryDirectory() as d:
            def boom(_f):
                raise RuntimeError("x")
            with self.assertRaises(RuntimeError):
                common._atomic_write(os.path.join(d, "out.html"), boom)
            self.assertEqual(os.listdir(d), [])
            common.write_text_atomic(os.path.join(d, "out.html"), "é")
            self.assertEqual(os.listdir(d), ["out.html"])


class ThreadsTest(unittest.TestCase):
    """One rule for every suite: the name's "threads:T", else the entry's."""

    def test_rule(self):
        self.assertEqual(common.threads_of({"threads": "4"}, {"threads": 1}), 4)
        self.assertEqual(common.threads_of({}, {"threads": 8}), 8)
        self.assertEqual(common.threads_of({"threads": "x"}, {"threads": 2}), 2)
        self.assertEqual(common.threads_of({"threads": "0"}, {}), 1)
        self.assertEqual(common.threads_of({}, {"threads": True}), 1)

    def test_suite_running_its_own_threads(self):
        # The lock suites run T threads inside one Google Benchmark thread.
        s = fx.lock_suite_from("fairness", fx.fairness_specs(2, locks=("SpinLock",),
                                                             placements=("none",)), "")
        self.assertEqual([r.threads for r in s.results], [1, 2, 4])

    def test_google_benchmark_threads(self):
        s = fx.suite_from("atomics", fx.atomics_specs(2))
        contended = s.family("atomics_contended")
        self.assertTrue(contended)
        self.assertTrue(all(r.threads == int(r.params["threads"]) for r in contended))


class ErrorsAtTest(unittest.TestCase):
    def test_messages_by_family_placement_and_params(self):
        specs = [fx.BenchSpec("f/op:a/placement:smt", error="no SMT"),
                 fx.BenchSpec("f/op:b/placement:smt", error="no SMT"),
                 fx.BenchSpec("f/op:b/placement:smt/x:1", error="other"),
                 fx.BenchSpec("f/op:a", error="plain"),
                 fx.BenchSpec("g/placement:smt", error="family g")]
        s = fx.suite_from("x", specs)
        self.assertEqual(s.errors_at("f", "smt"), ["no SMT", "other"])
        self.assertEqual(s.errors_at("f", "smt", op="a"), ["no SMT"])
        self.assertEqual(s.errors_at("f", "none"), ["plain"])
        self.assertEqual(s.errors_at("f", "cross"), [])
        self.assertEqual(s.errors_at("g", "smt"), ["family g"])


class SideFileTest(unittest.TestCase):
    def test_side_key_strips_only_trailing_benchmark_segments(self):
        side = {"starvation_rw/lock:L/read_pct:50/threads:4": 1, "fairness/lock:L/threads:2": 2}
        self.assertEqual(common.side_key("starvation_rw/lock:L/read_pct:50/threads:4/manual_time",
                                         side), "starvation_rw/lock:L/read_pct:50/threads:4")
        self.assertEqual(common.side_key("fairness/lock:L/threads:2/manual_time/repeats:3",
                                         side), "fairness/lock:L/threads:2")
        self.assertIsNone(common.side_key("fairness/lock:L/threads:4/manual_time", side))
        self.assertIsNone(common.side_key("fairness/lock:M/threads:2/manual_time", side))

    def test_states(self):
        with tempfile.TemporaryDirectory() as d:
            missing = common.SideFile(d, None, "side.json")
            self.assertEqual((missing.status, missing.ok, missing.data), ("missing", False, {}))
            self.assertEqual(missing.reason, "side.json is missing from the run directory")
            fx.write_file(d, "side.json", "{not json")
            corrupt = common.SideFile(d, None, "side.json")
            self.assertEqual(corrupt.status, "unreadable")
            self.assertTrue(corrupt.reason.startswith("side.json: corrupt JSON"))
            self.assertNotIn(d, corrupt.reason)
            fx.write_file(d, "side.json", [1])
            self.assertIn("expected a JSON object", common.SideFile(d, None, "side.json").reason)
            fx.write_file(d, "side.json", {"f/x:1": {"v": 1}, "f/x:2": 3})
            ok = common.SideFile(d, None, "side.json")
            self.assertTrue(ok.ok)
            self.assertEqual(ok.get("f/x:1/manual_time"), {"v": 1})
            self.assertIsNone(ok.get("f/x:2"))   # not an object
            self.assertIsNone(ok.get("f/x:3"))

    def test_found_next_to_the_suite_json_first(self):
        with tempfile.TemporaryDirectory() as d:
            sub = os.path.join(d, "sub")
            os.mkdir(sub)
            fx.write_file(sub, "side.json", {"a": {"where": "sub"}})
            fx.write_file(d, "side.json", {"a": {"where": "run"}})
            suite = fx.suite_from("s", [], sub)
            self.assertEqual(common.SideFile(d, suite, "side.json").get("a"), {"where": "sub"})
            self.assertEqual(common.SideFile(d, None, "side.json").get("a"), {"where": "run"})


class LockRegistryTest(unittest.TestCase):
    CONTEXT = {"locks_mutex": "std_mutex=#000000,SpinLock=#d62728,absl_mutex=#9467bd",
               "locks_instrumented": "SpinLock_instr=",
               "locks_shared": "RW=#bcbd22,absl_mutex=#9467bd"}

    def test_order_and_colours_from_the_context(self):
        reg = common.LockRegistry(self.CONTEXT)
        self.assertTrue(reg.from_context)
        self.assertEqual(reg.order, ["std_mutex", "SpinLock", "absl_mutex", "SpinLock_instr",
                                     "RW"])
        self.assertEqual(reg.shared_order, ["RW", "absl_mutex"])
        self.assertEqual(reg.ordered(["zz", "RW", "SpinLock", "std_mutex", "aa", "RW"]),
                         ["std_mutex", "SpinLock", "RW", "aa", "zz"])
        self.assertEqual(sorted(["absl_mutex", "zz", "RW"], key=reg.shared_sort_key),
                         ["RW", "absl_mutex", "zz"])
        self.assertEqual(reg.colour("SpinLock"), "#d62728")
        self.assertEqual(reg.colour("SpinLock_instr"), "#d62728")   # its design's
        self.assertEqual(reg.colour("unknown"), style.colour("unknown"))

    def test_fallback_is_the_suites_registration_order(self):
        specs = [fx.BenchSpec("fairness/lock:%s/threads:%d" % (lk, t), counters={"x": 1.0},
                              explicit_threads=False)
                 for t in (1, 2) for lk in ("SpinLock", "std_mutex")]
        s = fx.suite_from("fairness", specs)
        reg = common.LockRegistry.of(s)
        self.assertFalse(reg.from_context)
        self.assertEqual(reg.order, ["SpinLock", "std_mutex"])
        self.assertEqual(reg.colour("SpinLock"), style.colour("SpinLock"))
        # Google Benchmark's family_index, not the file order, decides.
        doc = fx.gb_document("fairness", specs, repetitions=1)
        for e in doc["benchmarks"]:
            if "std_mutex" in e["name"]:
                e["family_index"] -= 10
        doc["benchmarks"].reverse()
        s = common.parse_suite("fairness", "fairness.json", doc)
        self.assertEqual(common.LockRegistry.of(s).order, ["std_mutex", "SpinLock"])

    def test_merged_and_empty(self):
        a = common.LockRegistry(self.CONTEXT)
        b = common.LockRegistry({"locks_mutex": "New=#123456,std_mutex=#ffffff"})
        m = a.merged(b)
        self.assertEqual(m.order[:3], ["std_mutex", "SpinLock", "absl_mutex"])
        self.assertEqual(m.order[-1], "New")
        self.assertEqual(m.colour("std_mutex"), "#000000")   # the first run's
        self.assertEqual(m.colour("New"), "#123456")
        empty = common.LockRegistry.of(None)
        self.assertEqual((empty.order, empty.from_context), ([], False))
        self.assertEqual(empty.ordered(["b", "a"]), ["a", "b"])


class LayersTest(unittest.TestCase):
    """The layering of plots/ (README.md): suite modules are leaves that
    import only common, draw and style of this folder; nothing imports a
    suite module or an entry point, except a test its own module."""

    PLOTS = os.path.dirname(os.path.abspath(__file__))
    OURS = {f[:-3] for f in os.listdir(PLOTS) if f.endswith(".py")}

    def imports(self, fname):
        import ast
        with open(os.path.join(self.PLOTS, fname), encoding="utf-8") as f:
            tree = ast.parse(f.read(), fname)
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        return names & self.OURS

    def test_suite_modules_are_leaves(self):
        suites = sorted(f for f in os.listdir(self.PLOTS)
                        if f.startswith("suite_") and f.endswith(".py")
                        and not f.endswith("_test.py"))
        self.assertIn("suite_fairness.py", suites)
        for f in suites:
            self.assertLessEqual(self.imports(f), {"common", "draw", "style"}, f)

    def test_nothing_imports_a_suite_module_or_an_entry_point(self):
        for f in sorted(os.listdir(self.PLOTS)):
            if not f.endswith(".py"):
                continue
            own = f[:-len("_test.py")] if f.endswith("_test.py") else None
            bad = {m for m in self.imports(f) if m != own and
                   (m.startswith("suite_") or m in ("report", "compare") or m.endswith("_test"))}
            self.assertEqual(bad, set(), f)

    def test_lower_layers_do_not_import_upper_ones(self):
        self.assertLessEqual(self.imports("style.py"), set())
        self.assertLessEqual(self.imports("common.py"), {"style"})
        self.assertLessEqual(self.imports("draw.py"), {"common", "style"})
        self.assertLessEqual(self.imports("html_page.py"), {"common"})
        # The report's verdicts read the data layer only.
        self.assertLessEqual(self.imports("verdicts.py"), {"common"})



class MannWhitneyTest(unittest.TestCase):
    """Known samples, U and p (checked against scipy.stats.mannwhitneyu 1.10,
    which uses the same exact / tie-corrected normal methods)."""

    def test_exact_no_overlap(self):
        self.assertEqual(common.mann_whitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]),
                         (0.0, 2.0 / 252))
        self.assertEqual(common.mann_whitney([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]),
                         (25.0, 2.0 / 252))

    def test_exact_interleaved(self):
        u, p = common.mann_whitney([1, 3, 5, 7], [2, 4, 6, 8])
        self.assertEqual(u, 6.0)
        self.assertAlmostEqual(p, 0.6857142857142857, places=12)

    def test_normal_with_ties(self):
        u, p = common.mann_whitney(
            [1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
            [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24])
        self.assertEqual(u, 24.5)
        self.assertAlmostEqual(p, 0.00010727358948501664, places=12)

    def test_all_equal(self):
        self.assertEqual(common.mann_whitney([5, 5, 5, 5], [5, 5, 5, 5]), (8.0, 1.0))

    def test_significance_marks(self):
        self.assertEqual(common.significance([1, 2, 3], [4, 5, 6]), (None, "~"))  # min p 0.1
        p, mark = common.significance([1, 2, 3, 4], [5, 6, 7, 8])
        self.assertAlmostEqual(p, 2.0 / 70)
        self.assertEqual(mark, "")
        self.assertEqual(common.significance([1, 3, 5, 7], [2, 4, 6, 8])[1], "~")
        self.assertEqual(common.mann_whitney([], [1]), (None, None))

    def test_percentile(self):
        self.assertEqual(common.percentile([5, 1, 3, 2, 4], 50), 3)
        self.assertAlmostEqual(common.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 10), 2.0)
        self.assertAlmostEqual(common.percentile([1, 2], 90), 1.9)
        self.assertIsNone(common.percentile([], 50))

    def test_geomean(self):
        self.assertAlmostEqual(common.geomean([2.0, 0.5, 4.0]), 4.0 ** (1.0 / 3))
        self.assertIsNone(common.geomean([]))


class DisturbanceTest(unittest.TestCase):
    def test_thresholds(self):
        self.assertIsNone(common.disturbance(None))
        self.assertEqual(common.disturbance({"foreign_cpus": 0.1, "steal_s": 0.0,
                                             "wall_s": 10}), "")
        why = common.disturbance({"foreign_cpus": 0.9, "steal_s": 1.0, "wall_s": 10})
        self.assertIn("other processes used 0.90 CPUs", why)
        self.assertIn("steal time was 10%", why)


def _reps_doc(values, key="ns_per_op", name="fam/impl:a/repeats:%d"):
    """A suite document with one benchmark run once per value (iterations
    entries, as Google Benchmark writes them under --repetitions)."""
    run = name % len(values)
    benches = [{"name": run, "run_name": run, "run_type": "iteration",
                "repetitions": len(values), "repetition_index": i, "threads": 1,
                "iterations": 10, "real_time": v, "cpu_time": v, "time_unit": "ns", key: v}
               for i, v in enumerate(values)]
    return {"context": {}, "benchmarks": benches}


class SpreadTest(unittest.TestCase):
    """Whiskers: p10-p90 over repetitions, none below the minimum count."""

    def test_known_percentiles(self):
        s = common.parse_suite("x", "x.json", _reps_doc([5.0, 1.0, 3.0, 2.0, 4.0]))
        r = s.results[0]
        self.assertEqual(r.repetitions, 5)
        lo, hi = common.spread(s, r, "ns_per_op")
        self.assertAlmostEqual(lo, 1.4)
        self.assertAlmostEqual(hi, 4.6)
        lo, hi = common.spread(s, r, "ns_per_op", conv=lambda v: 10 * v)
        self.assertAlmostEqual(lo, 14.0)
        self.assertAlmostEqual(hi, 46.0)

    def test_too_few_repetitions_or_no_key(self):
        s = common.parse_suite("x", "x.json", _reps_doc([1.0, 2.0]))
        self.assertIsNone(common.spread(s, s.results[0], "ns_per_op"))
        s = common.parse_suite("x", "x.json", _reps_doc([1.0, 2.0, 3.0]))
        self.assertIsNotNone(common.spread(s, s.results[0], "ns_per_op"))
        self.assertIsNone(common.spread(s, s.results[0], "ops_per_s"))
        self.assertIsNone(common.spread(s, None, "ns_per_op"))


class GoPeerNoteTest(unittest.TestCase):
    def test_runtime_absent_and_none(self):
        ran = fx.suite_from("pool", [], extra_context={
            "pool_peer_go": "go1.19.8 linux/amd64, GOMAXPROCS=2, NumCPU=2, GOGC=100 (default), "
                            "GOMEMLIMIT=none (default); 12 cases replayed",
            "pool_go_profile": "quick"})
        note = common.go_peer_note(ran)
        self.assertIn("go1.19.8", note)
        self.assertIn("GOMAXPROCS=2", note)
        self.assertIn("GOGC=100", note)
        self.assertIn("profile quick", note)
        absent = fx.suite_from("maps", [], extra_context={
            "maps_peer_go": "absent: no 'go' on PATH, Go's side of maps not measured"})
        self.assertEqual(common.go_peer_note(absent),
                         "Go's side not measured: no 'go' on PATH, Go's side of maps not measured.")
        self.assertIsNone(common.go_peer_note(fx.suite_from("overhead", [])))

    def test_peer_noise_flags_a_disturbed_go_run(self):
        ctx = {"pool_peer_go": "go1.19.8 linux/amd64, GOMAXPROCS=2"}
        busy = dict(ctx, pool_go_noise={"foreign_cpus": 1.4, "steal_s": 0.0, "wall_s": 9.0,
                                        "load1_before": 3.1, "load1_after": 4.0})
        note = common.go_peer_note(fx.suite_from("pool", [], extra_context=busy))
        self.assertIn("DISTURBED while the Go peer measured", note)
        self.assertIn("1.40 CPUs", note)
        quiet = dict(ctx, pool_go_noise={"foreign_cpus": 0.05, "steal_s": 0.0, "wall_s": 9.0,
                                         "load1_before": 0.2, "load1_after": 0.3})
        note = common.go_peer_note(fx.suite_from("pool", [], extra_context=quiet))
        self.assertIn("Quiet while the Go peer measured", note)
        self.assertNotIn("DISTURBED", note)


if __name__ == "__main__":
    unittest.main()
