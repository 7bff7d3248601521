"""Tests of suite_pool.py, suite_maps.py and suite_overhead.py on synthetic
runs shaped like the suites' output (names, counters, the pool side file):
every figure written, valid and referenced through report.py; the headline
selections and target verdicts; and partial or odd data — a missing or
corrupt side file, errored placements, a single family, an empty suite —
never crash and drop only what they must."""

import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import style  # noqa: E402
import suite_maps as sm  # noqa: E402
import suite_overhead as so  # noqa: E402
import suite_pool as sp  # noqa: E402
import testing_fixtures as fx  # noqa: E402
from testing_fixtures import BenchSpec  # noqa: E402

POOL_PNGS = ["pool_scenarios.png", "pool_victim.png", "pool_retained.png", "pool_scaling.png"]
MAPS_PNGS = ["maps_throughput.png", "maps_bars.png"]
OVERHEAD_PNGS = ["overhead_table.png", "overhead_latency.png"]

PEERS = ["Pool", "no_pool", "mutex_free_list", "linked_free_list", "thread_local_free_list",
         "tbb_scalable"]
REUSING = ("Pool", "mutex_free_list", "linked_free_list", "thread_local_free_list")
_PAIR_NS = {"Pool": 16.0, "no_pool": 30.0, "mutex_free_list": 25.0, "linked_free_list": 14.0,
            "thread_local_free_list": 1.5, "tbb_scalable": 28.0}


# --------------------------------------------------------------------------
# Synthetic suite output
# --------------------------------------------------------------------------

def _placement_error(placement):
    return {"smt": "placement 'smt' not honoured on this machine: no SMT: each core has one PU",
            "cross": "placement 'cross' not honoured on this machine: one package"}.get(placement)


def pool_specs(pool_ns=16.0, baseline_ns=1.5, threads=(1, 2)):
    ns = dict(_PAIR_NS, Pool=pool_ns, thread_local_free_list=baseline_ns)
    specs = []
    for family, factor in (("pool_put_get", 1.0), ("pool_overflow", 1.3), ("pool_starvation", 3.0)):
        for p in PEERS:
            for pl in ("none", "compact", "smt"):
                for t in threads:
                    if t == 1 and pl != "none":
                        continue  # one thread: first placement only, as the suite registers
                    name = "%s/peer:%s/placement:%s/real_time" % (family, p, pl)
                    if _placement_error(pl):
                        specs.append(BenchSpec(name, t, error=_placement_error(pl)))
                        continue
                    hit = (0.67 if family == "pool_starvation" else 1.0) if p in REUSING else 0.0
                    v = ns[p] * factor * (1.0 + 0.2 * (t - 1))
                    specs.append(BenchSpec(name, t, {
                        "ns_per_op": v, "cpu_ns_per_op": v * 0.9, "ops_per_s": 1e9 * t / v,
                        "hit_rate": hit, "news_per_op": 1.0 - hit,
                        "allocs_per_op": 0.0 if p == "tbb_scalable" else 1.0 - hit,
                        "retained_bytes": 64.0 * t if p in REUSING else 0.0},
                        label="placement=%s;pus=0,1" % pl))
    for p in PEERS:
        hit = 0.999 if p in ("Pool", "mutex_free_list", "linked_free_list") else 0.0
        specs.append(BenchSpec("pool_cross_thread/peer:%s/placement:none/real_time" % p, 2, {
            "ns_per_op": 300.0, "cpu_ns_per_op": 250.0, "ops_per_s": 3.3e6, "hit_rate": hit,
            "news_per_op": 1 - hit, "allocs_per_op": 1 - hit,
            "retained_bytes": 6.4e6 if p == "thread_local_free_list" else 4096.0}))
    for p in PEERS + ["Pool_no_victim"]:
        news = {"Pool": 1e-4, "Pool_no_victim": 0.03, "no_pool": 1.0, "tbb_scalable": 1.0}.get(p, 0.0)
        c = {"ns_per_op": 50.0 + news * 1.1e6, "news_per_op": news, "hit_rate": 1 - news,
             "allocs_per_op": news, "gets": 8000.0, "gcs": 4.0}
        if p.startswith("Pool"):
            c["trims_per_gc"] = 2.0 if p == "Pool_no_victim" else 1.0
        specs.append(BenchSpec("pool_expensive_new/peer:%s/threads:2/manual_time" % p,
                               counters=c, explicit_threads=False))
    specs.append(BenchSpec("pool_trim_pause/peer:Pool/objects:100000/manual_time", counters={
        "trim_free_p50_ns": 2.1e6, "trim_free_p95_ns": 2.6e6, "trim_free_max_ns": 3.0e6,
        "trim_swap_p50_ns": 900.0, "trim_swap_p95_ns": 1400.0, "freed_per_trim": 1e5,
        "samples": 20.0}, explicit_threads=False))
    for p, allocs in (("Pool", 16.0), ("Pool_no_victim", 1017.0)):
        specs.append(BenchSpec("pool_victim/peer:%s/held:1000" % p, counters={
            "ns_per_op": 40.0, "allocs_per_cycle": allocs, "allocs_per_op": allocs / 1000,
            "news_per_cycle": 0.0 if p == "Pool" else 1000.0, "hit_rate": 1.0 if p == "Pool" else 0.0,
            "trims_per_gc": 1.0 if p == "Pool" else 2.0}, explicit_threads=False,
            label="victim cache"))
    for cap, final in (("none", 64.0 * (1 << 20)), ("65536", 63.0 * 1024)):
        specs.append(BenchSpec("pool_variable_sizes/peer:Pool/cap:%s/manual_time" % cap, counters={
            "retained_bytes_final": final, "retained_bytes_max": final, "retained_bytes_mean": final / 2,
            "ns_per_op": 60.0, "hit_rate": 0.99, "news_per_op": 0.01, "allocs_per_op": 0.02,
            "grows_per_op": 0.005, "dropped_per_op": 0.0 if cap == "none" else 0.01},
            explicit_threads=False))
    return specs


def pool_side(rounds=50):
    out = {}
    for cap in ("none", "65536"):
        ys = [min(64.0 * (1 << 20), 1024.0 * 64 + r * 2e6) if cap == "none" else 63.0 * 1024
              for r in range(rounds)]
        out["pool_variable_sizes/peer:Pool/cap:%s" % cap] = {
            "round": list(range(1, rounds + 1)), "t_ms": [0.1 * r for r in range(rounds)],
            "retained_bytes": ys, "retained_objects": [64.0] * rounds,
            "cap": None if cap == "none" else 65536, "held": 64, "gc_every": 10}
    return out


MAPS = ["SyncMap", "ConcurrentMap", "umap_GoMutex", "umap_GoRWMutex", "umap_std_shared_mutex"]


def maps_specs(threads=(1, 2), placements=("none", "compact", "smt")):
    specs = []
    for s in sm.SCENARIO_ORDER:
        for i, m in enumerate(MAPS):
            for pl in placements:
                for t in threads:
                    if t == 1 and pl != placements[0]:
                        continue
                    name = "maps/scenario:%s/map:%s/placement:%s/real_time" % (s, m, pl)
                    if _placement_error(pl):
                        specs.append(BenchSpec(name, t, error=_placement_error(pl)))
                        continue
                    rate = (2e7 + 5e6 * i) * (1.5 if t > 1 and m == "SyncMap" else 1.0)
                    specs.append(BenchSpec(name, t, {"ops_per_s": rate, "ns_per_op": 1e9 * t / rate,
                                                     "cpu_ns_per_op": 0.8e9 * t / rate}))
    return specs


def overhead_specs():
    sp_ = [BenchSpec("overhead_once/impl:Once", counters={"ns_per_op": 1.2, "cpu_ns_per_op": 1.1},
                     explicit_threads=False),
           BenchSpec("overhead_once/impl:std_call_once", counters={"ns_per_op": 4.0},
                     explicit_threads=False),
           BenchSpec("overhead_wait_group/impl:WaitGroup", counters={"ns_per_op": 5.5},
                     explicit_threads=False)]
    for k in (1, 4, 16):
        for impl, f in (("Cond", 1.2), ("std_condition_variable", 1.0)):
            v = 3000.0 * k * f
            sp_.append(BenchSpec("overhead_cond_broadcast/impl:%s/waiters:%d/manual_time" % (impl, k),
                                 counters={"ns_per_op": v, "last_wake_p50_ns": v,
                                           "last_wake_p99_ns": 3 * v, "first_wake_p50_ns": 3000.0,
                                           "rounds": 500.0}, explicit_threads=False))
    for d, w in ((1, 1), (1, 16), (16, 1), (3, 8)):
        n = sum(w ** i for i in range(1, d + 1))
        sp_.append(BenchSpec("overhead_context_cancel/depth:%d/width:%d/manual_time" % (d, w),
                             counters={"ns_per_op": 1500.0 + 90.0 * n, "all_done_p50_ns": 1500.0 + 90.0 * n,
                                       "all_done_p99_ns": 5000.0 + 90.0 * n,
                                       "cancel_call_p50_ns": 60.0 * n, "nodes": float(n),
                                       "leaves": float(w ** d), "rounds": 100.0},
                             explicit_threads=False))
    for impl, base in (("Semaphore", 27.0), ("std_counting_semaphore", 400.0)):
        sp_.append(BenchSpec("overhead_semaphore/impl:%s/mode:uncontended/real_time" % impl,
                             counters={"ns_per_op": base, "ops_per_s": 1e9 / base},
                             explicit_threads=False))
        for t in (2, 4):
            sp_.append(BenchSpec("overhead_semaphore/impl:%s/mode:contended/real_time" % impl, t,
                                 {"ns_per_op": base * t, "ops_per_s": 1e9 / base}))
    for b in (4, 16):
        sp_.append(BenchSpec("overhead_single_flight/burst:%d/manual_time" % b, counters={
            "fn_calls_per_do": 1.0 / b + 0.01, "ideal_fn_calls_per_do": 1.0 / b, "shared_rate": 0.99,
            "ns_per_op": 160000.0, "do_p99_ns": 400000.0, "rounds": 100.0}, explicit_threads=False))
    for n in (1, 8):
        for impl, v in (("ErrGroup", 30000.0), ("std_thread", 25000.0)):
            sp_.append(BenchSpec("overhead_err_group/impl:%s/tasks:%d/real_time" % (impl, n),
                                 counters={"ns_per_op": v}, explicit_threads=False))
    return sp_


def write_json(path, doc):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)


def make_run(directory, side=True, pool=None, maps=None, overhead=None):
    fx.make_run(directory, pus=2, suites=())
    write_json(os.path.join(directory, "pool.json"), fx.gb_document("pool", pool or pool_specs()))
    write_json(os.path.join(directory, "maps.json"), fx.gb_document("maps", maps or maps_specs()))
    write_json(os.path.join(directory, "overhead.json"),
               fx.gb_document("overhead", overhead or overhead_specs()))
    if side:
        write_json(os.path.join(directory, sp.SIDE_FILE), pool_side())
    return directory


def suite_from(name, specs, repetitions=1):
    doc = fx.gb_document(name, specs, repetitions=repetitions, jitter=0.0)
    return common.parse_suite(name, name + ".json", doc)


run_script = fx.run_script
read = fx.read_text


# --------------------------------------------------------------------------
# Through report.py
# --------------------------------------------------------------------------

class FullRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = make_run(os.path.join(cls.tmp.name, "vm-x86_64-20261128T170000Z"))
        cls.proc = run_script("report.py", cls.dir)
        cls.html = read(os.path.join(cls.dir, "report.html"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_exit_code_and_quiet(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(self.proc.stderr, "")

    def test_every_figure_written_valid_and_referenced(self):
        for png in POOL_PNGS + MAPS_PNGS + OVERHEAD_PNGS:
            w, h = fx.png_size(os.path.join(self.dir, png))
            self.assertGreater(w, 300, png)
            self.assertGreater(h, 200, png)
            self.assertIn('src="%s"' % png, self.html)

    def test_sections_and_tables(self):
        for title in (sp.TITLE, sm.TITLE, so.TITLE):
            self.assertIn(title, self.html)
        self.assertIn("Targets (medians over repetitions)", self.html)
        self.assertIn("Overhead per operation", self.html)
        self.assertIn("SingleFlight de-duplication", self.html)
        self.assertIn("Trim pause with 100000 pooled objects", self.html)
        self.assertNotIn("plot module suite_", self.html)  # no module failed

    def test_errored_placements_are_listed(self):
        self.assertIn("placement &#x27;smt&#x27; not honoured", self.html)


# --------------------------------------------------------------------------
# suite_pool
# --------------------------------------------------------------------------

class PoolModuleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name

    def test_headline_picks_placement_none_and_thread_extremes(self):
        s = suite_from("pool", pool_specs())
        pl, t, by_peer = sp.headline(s, "pool_put_get", "min")
        self.assertEqual((pl, t), ("none", 1))
        self.assertEqual(list(by_peer)[:2], ["Pool", "thread_local_free_list"])  # PEER_ORDER
        pl, t, _ = sp.headline(s, "pool_starvation", "max")
        self.assertEqual((pl, t), ("none", 2))
        self.assertEqual(sp.headline(s, "pool_nothing"), (None, None, {}))

    def test_target_verdicts(self):
        rows = sp.target_rows(suite_from("pool", pool_specs(pool_ns=16.0, baseline_ns=1.5)))
        by_what = {r[0]: r for r in rows}
        wall = by_what["Pool get+put vs thread_local_free_list, 1 thread (wall time)"]
        self.assertEqual(wall[2], "10.7×")
        self.assertEqual(wall[4], "NO")
        self.assertEqual(by_what["Pool hit rate, put+get steady state"][4], "yes")
        victim = [r for r in rows if r[0].startswith("Allocations per iteration")][0]
        self.assertEqual(victim[1], "16.0 vs 1017")
        self.assertEqual(victim[4], "yes")
        retained = [r for r in rows if r[0].startswith("Bytes retained")][0]
        self.assertEqual(retained[1], "64.0 MiB vs 63.0 KiB")
        self.assertEqual(retained[4], "yes")
        ok = sp.target_rows(suite_from("pool", pool_specs(pool_ns=2.5, baseline_ns=1.5)))
        self.assertEqual(ok[0][4], "yes")

    def test_all_figures_with_side_file(self):
        d = make_run(os.path.join(self.dir, "run"))
        run = common.load_run(d)
        figs = sp.figures(d, run.suites["pool"], run.context)
        self.assertEqual([f for f, _ in figs], POOL_PNGS)
        self.assertIn("Log scale", dict(figs)["pool_retained.png"])

    def test_missing_or_corrupt_side_file_falls_back_to_counters(self):
        d = make_run(os.path.join(self.dir, "run"), side=False)
        s = common.load_run(d).suites["pool"]
        caption = dict(sp.figures(d, s, {}))["pool_retained.png"]
        self.assertIn("pool_variable_sizes.json is missing", caption)
        with open(os.path.join(d, sp.SIDE_FILE), "w") as f:
            f.write("{not json")
        caption = dict(sp.figures(d, s, {}))["pool_retained.png"]
        self.assertIn("counters only", caption)
        fx.png_size(os.path.join(d, "pool_retained.png"))

    def test_side_key_strips_benchmark_suffixes(self):
        s = suite_from("pool", pool_specs(), repetitions=3)
        r = [x for x in s.family("pool_variable_sizes") if x.get("cap") == "none"][0]
        self.assertEqual(sp._side_key(r), "pool_variable_sizes/peer:Pool/cap:none")

    def test_tbb_allocations_are_not_reported_as_zero(self):
        s = suite_from("pool", pool_specs())
        table = [t for t in sp.summary_rows(self.dir, s, {}) if t.title.startswith("Scenarios")][0]
        tbb = [r for r in table.rows if r[1] == "tbb_scalable"]
        self.assertTrue(tbb)
        self.assertTrue(all(r[8] == "not counted" for r in tbb))

    def test_single_family_and_empty_suite(self):
        only = [b for b in pool_specs() if b.name.startswith("pool_victim")]
        s = suite_from("pool", only)
        figs = sp.figures(self.dir, s, {})
        self.assertEqual([f for f, _ in figs], ["pool_victim.png"])
        self.assertEqual(sp.summary_rows(self.dir, suite_from("pool", []), {}), [])
        self.assertEqual(sp.figures(self.dir, suite_from("pool", []), {}), [])
        self.assertEqual(sp.notes(self.dir, suite_from("pool", []), {}), [])

    def test_one_thread_count_draws_no_scaling_figure(self):
        s = suite_from("pool", pool_specs(threads=(1,)))
        names = [f for f, _ in sp.figures(self.dir, s, {})]
        self.assertNotIn("pool_scaling.png", names)
        self.assertIn("pool_scenarios.png", names)

    def test_notes_explain_a_missed_target(self):
        s = suite_from("pool", pool_specs(pool_ns=16.0, baseline_ns=1.5))
        text = " ".join(sp.notes(self.dir, s, {}))
        self.assertIn("seq_cst", text)
        self.assertIn("Pool_no_victim", text)

    def test_fixed_colours(self):
        for name in PEERS + ["Pool_no_victim"] + MAPS:
            self.assertTrue(style.colour(name).startswith("#"))
        self.assertEqual(style.colour("umap_GoMutex"), style.colour("GoMutex"))
        self.assertNotEqual(style.colour("Pool"), style.colour("thread_local_free_list"))


# --------------------------------------------------------------------------
# suite_maps
# --------------------------------------------------------------------------

class MapsModuleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name

    def test_headline_is_most_threads_under_none(self):
        rows = sm.rows_of(suite_from("maps", maps_specs()))
        pl, t, by = sm.headline(rows)
        self.assertEqual((pl, t), ("none", 2))
        self.assertEqual(list(by), sm.SCENARIO_ORDER)
        self.assertEqual(list(by["disjoint_keys"]), MAPS)

    def test_one_thread_point_joins_every_placement(self):
        rows = sm.rows_of(suite_from("maps", maps_specs()))
        pts = sm.series_points(rows, "disjoint_keys", "SyncMap", "compact")
        self.assertEqual([t for t, _ in pts], [1, 2])
        self.assertEqual(sm.series_points(rows, "disjoint_keys", "SyncMap", "smt"), [])

    def test_figures_and_table(self):
        s = suite_from("maps", maps_specs())
        figs = sm.figures(self.dir, s, {})
        self.assertEqual([f for f, _ in figs], MAPS_PNGS)
        for f, _ in figs:
            fx.png_size(os.path.join(self.dir, f))
        t = sm.summary_rows(self.dir, s, {})[0]
        self.assertEqual(t.columns, ["scenario"] + MAPS + ["best"])
        self.assertEqual(t.rows[0][-1], "umap_std_shared_mutex")  # highest made-up rate
        self.assertEqual(t.rows[1][0], "  (1 thread)")

    def test_only_errors_and_single_thread(self):
        errs = [b for b in maps_specs() if b.error]
        s = suite_from("maps", errs)
        self.assertEqual(sm.figures(self.dir, s, {}), [])
        self.assertEqual(sm.summary_rows(self.dir, s, {}), [])
        one = suite_from("maps", maps_specs(threads=(1,), placements=("none",)))
        figs = sm.figures(self.dir, one, {})
        self.assertEqual([f for f, _ in figs], MAPS_PNGS)
        self.assertTrue(sm.summary_rows(self.dir, one, {})[0].title.startswith(
            "ops/s of all threads at 1 thread, placement none"))


# --------------------------------------------------------------------------
# suite_overhead
# --------------------------------------------------------------------------

class OverheadModuleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name

    def test_table_rows_order_and_ratios(self):
        rows = so.table_rows(suite_from("overhead", overhead_specs()))
        ours = [r.ours for r in rows]
        self.assertEqual(ours[:3], ["Once", "WaitGroup", "Cond"])
        self.assertEqual(ours.count("Cond"), 3)
        self.assertEqual(ours.count("Context"), 4)
        self.assertEqual(ours.count("Semaphore"), 3)
        self.assertEqual(ours[-2:], ["ErrGroup", "ErrGroup"])
        once = so._cells(rows[0])
        self.assertEqual(once[2:], ["1.20 ns", "std::call_once", "4.00 ns", "0.300×"])
        wg = so._cells(rows[1])
        self.assertEqual(wg[3:], ["—", "—", "—"])
        ctx = [r for r in rows if r.ours == "Context"]
        self.assertEqual([r.ours_ns for r in ctx], sorted(r.ours_ns for r in ctx))  # by nodes
        sem = [r.operation for r in rows if r.ours == "Semaphore"]
        self.assertIn("one thread", sem[0])
        self.assertIn("4 threads", sem[2])

    def test_figures_and_tables(self):
        s = suite_from("overhead", overhead_specs())
        figs = so.figures(self.dir, s, {})
        self.assertEqual([f for f, _ in figs], OVERHEAD_PNGS)
        for f, _ in figs:
            fx.png_size(os.path.join(self.dir, f))
        tables = so.summary_rows(self.dir, s, {})
        self.assertEqual(tables[0].columns, so.COLUMNS)
        self.assertEqual(tables[1].rows[0][:3], ["4", "0.260", "0.250"])

    def test_fmt_ns(self):
        self.assertEqual(so.fmt_ns(None), "—")
        self.assertEqual(so.fmt_ns(3.26), "3.26 ns")
        self.assertEqual(so.fmt_ns(23295.0), "23.3 µs")
        self.assertEqual(so.fmt_ns(1.5e6), "1.50 ms")

    def test_partial_suites(self):
        once_only = suite_from("overhead", overhead_specs()[:2])
        figs = so.figures(self.dir, once_only, {})
        self.assertEqual([f for f, _ in figs], ["overhead_table.png"])
        cond_only = suite_from("overhead", [b for b in overhead_specs()
                                            if b.name.startswith("overhead_cond")])
        self.assertEqual([f for f, _ in so.figures(self.dir, cond_only, {})], OVERHEAD_PNGS)
        empty = suite_from("overhead", [])
        self.assertEqual(so.figures(self.dir, empty, {}), [])
        self.assertEqual(so.summary_rows(self.dir, empty, {}), [])
        self.assertEqual(so.notes(self.dir, empty, {}), [])


if __name__ == "__main__":
    unittest.main()
