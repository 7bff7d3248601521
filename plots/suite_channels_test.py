"""Tests of suite_channels.py on synthetic channels runs: every figure written
and valid through report.py, the Chan / Go ratio table (arithmetic, headline
order, verdicts), names parsed from the suite's own "threads" key, the
latency CDF from the side file, and partial data — no Go peer, Go marked
absent, a missing or corrupt side file, a single implementation, errored
entries, a comparison with one side missing. Nothing here looks at timing."""

import os
import sys
import tempfile
import statistics as st
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import suite_channels as sc  # noqa: E402
import testing_fixtures as fx  # noqa: E402
from common import RunSide  # noqa: E402
from draw import fmt_ns  # noqa: E402

PNGS = ["channels_crossbeam.png", "channels_threads.png", "channels_go_cases.png",
        "channels_latency_cdf.png"]
SUFFIX = "/iterations:1/manual_time"

# Made-up ns per message by implementation (shape only).
BASE_NS = {"Chan": 100.0, "go_chan": 120.0, "boost_fiber": 400.0, "moodycamel_blocking": 60.0,
           "moodycamel_rw": 30.0, "moodycamel_rw_circular": 40.0, "tbb_bounded_queue": 150.0}
CAPS = {"Chan": ["0", "1", "16", "1024"], "go_chan": ["0", "1", "16", "1024"],
        "boost_fiber": ["0", "1", "16", "1024"], "moodycamel_blocking": ["unbounded"],
        "moodycamel_rw": ["unbounded"], "moodycamel_rw_circular": ["1", "16", "1024"],
        "tbb_bounded_queue": ["1", "16", "1024", "unbounded"]}
SELECT = ("Chan", "go_chan")
SPSC_ONLY = ("moodycamel_rw", "moodycamel_rw_circular")


def name(impl, case, cap, threads, msg="8", work=None):
    n = "channels/impl:%s/case:%s/cap:%s/msg:%s/threads:%d" % (impl, case, cap, msg, threads)
    if work is not None:
        n += "/work_ns:%d" % work
    return n


def counters(ns, lat=True, impl="Chan"):
    c = {"ns_per_msg": ns, "msgs_per_s": 1e9 / ns, "units": 1000.0, "messages": 1000.0,
         "cpu_ns_per_msg": ns * 1.5, "ctx_switches_per_msg": 0.01}
    if lat:
        c.update({"lat_p50_ns": ns * 3, "lat_p99_ns": ns * 10, "lat_p999_ns": ns * 30,
                  "lat_samples": 64.0})
    if impl != "go_chan":
        c["runq_wait_cpus"] = 0.25
        c["machine_line_handoff_ns"] = 24.0
    return c


def channel_specs(impls=tuple(BASE_NS), ratio_overrides=None):
    """BenchSpecs of a quick run on 2 PUs: the crossbeam matrix, the Go
    cases and message sizes, for each implementation that can express them."""
    ratio_overrides = ratio_overrides or {}
    specs = []

    def add(impl, case, cap, threads, msg="8", work=None, factor=1.0, lat=True):
        ns = BASE_NS[impl] * factor * ratio_overrides.get((impl, case, cap), 1.0)
        specs.append(fx.BenchSpec(name(impl, case, cap, threads, msg, work) + SUFFIX,
                                  counters=counters(ns, lat, impl), label="placement=none;pus=unpinned",
                                  explicit_threads=False))
    for impl in impls:
        for cap in CAPS[impl]:
            capf = {"0": 20.0, "1": 8.0, "16": 2.0}.get(cap, 1.0)
            if cap != "0":
                add(impl, "seq", cap, 1, factor=0.3)
            add(impl, "spsc", cap, 2, factor=capf)
            if impl not in SPSC_ONLY:
                add(impl, "mpsc", cap, 4, factor=capf * 1.3)
                add(impl, "mpmc", cap, 4, factor=capf * 1.6)
            if impl in SELECT:
                add(impl, "select_rx", cap, 5, factor=capf * 2)
                add(impl, "select_both", cap, 8, factor=capf * 3)
            if cap in ("0", "1"):
                add(impl, "pingpong", cap, 2, factor=capf * 2)
            if cap in ("0", "16", "unbounded"):
                for w in (0, 100):
                    add(impl, "prodcons", cap, 2, work=w, factor=capf + w / 100.0)
                if cap != "0" or impl in SELECT:
                    add(impl, "try_recv", cap, 1, factor=0.05, lat=False)
            if cap in ("1024", "unbounded"):
                for msg in ("64", "1024"):
                    add(impl, "spsc", cap, 2, msg=msg, factor=1.5 if msg == "64" else 4)
        if impl in SELECT:
            add(impl, "popular", "0", 33, factor=30)
        if impl in SELECT + ("boost_fiber",):
            add(impl, "close", "0", 5, factor=200)
    return specs


def hist_doc(specs):
    """channels_hist.json for the specs that have latencies."""
    out = {}
    for s in specs:
        if "lat_p50_ns" not in s.counters:
            continue
        p50 = s.counters["lat_p50_ns"]
        out[s.name[: -len(SUFFIX)]] = {
            "what": "send to receive", "unit": "ns", "sample_every": 16, "count": 100,
            "min": int(p50 / 2), "max": int(p50 * 30),
            "buckets": [[int(p50 / 2), 10], [int(p50), 40], [int(p50 * 3), 45], [int(p50 * 30), 5]]}
    return out


def go_context(state="present"):
    if state == "present":
        return {"channels_peer_go": "go1.19.8 linux/amd64, GOMAXPROCS=2, 40 cases replayed from impl:Chan",
                "channels_coverage_go_chan": "spsc@0,spsc@1024"}
    if state == "absent":
        return {"channels_peer_go": "absent: no 'go' on PATH, Go's channels not measured"}
    return {}


def make_channels_run(directory, impls=tuple(BASE_NS), side="ok", go="present", extra_specs=(),
                      ratio_overrides=None):
    fx.make_run(directory, suites=())
    specs = channel_specs(impls, ratio_overrides) + list(extra_specs)
    ctx = {"channels_placement": "none",
           "channels_latency_sampling": "1 message in 16 carries a send timestamp",
           "channels_boost_fiber": "one fiber per std::thread"}
    ctx.update(go_context(go))
    fx.write_json(os.path.join(directory, "channels.json"),
                  fx.gb_document("channels", specs, extra_context=ctx))
    hist_path = os.path.join(directory, sc.HIST_FILE)
    if side == "ok":
        fx.write_json(hist_path, hist_doc(specs))
    elif side == "corrupt":
        with open(hist_path, "w") as f:
            f.write("{not json")
    return directory


def suite_from(specs, ctx=None, repetitions=1):
    return fx.suite_from("channels", specs, repetitions=repetitions, extra_context=ctx)


class FullRunTest(fx.ReportRunCase):
    """Every implementation, Go present, side file present, through report.py."""

    RUN_ID = "vm-x86_64-20261128T180000Z"
    PNGS = PNGS

    @classmethod
    def make(cls, directory):
        return make_channels_run(directory)

    def test_report_has_ratio_table_and_notes(self):
        self.assertIn("Chan vs Go", self.html)
        self.assertIn("Chan ÷ Go", self.html)
        self.assertIn("Go runtime: go1.19.8", self.html)
        self.assertIn("Headline (Chan ÷ Go, ns per message)", self.html)


# The threading-model axis: Chan on goroutines (model:goroutine) and the
# noisy neighbour (neighbour:busy) for Chan on both models and go_chan.
MODEL_FACTOR = {"Chan": 1.0, "Chan_goroutine": 0.5, "go_chan": 1.0}
NEIGHBOUR_SLOWDOWN = {"Chan": 10.0, "Chan_goroutine": 2.0, "go_chan": 1.5}


def model_specs():
    """Chan_goroutine rows on the matrix (and oversubscribed mpmc), and the
    neighbour rows of all three, for a 2-PU quick run."""
    specs = []

    def add(impl, case, cap, threads, neighbour=False):
        base = impl.replace("_goroutine", "")
        n = name(base, case, cap, threads)
        if impl.endswith("_goroutine"):
            n = n.replace("/impl:Chan/", "/impl:Chan/model:goroutine/")
        if neighbour:
            n += "/neighbour:busy"
        # The same shape as channel_specs (capacity and case factors).
        capf = {"0": 20.0, "1": 8.0, "16": 2.0}.get(cap, 1.0)
        casef = {"spsc": 1.0, "mpsc": 1.3, "mpmc": 1.6, "select_rx": 2.0, "select_both": 3.0}[case]
        ns = BASE_NS[base] * capf * casef * MODEL_FACTOR[impl] * \
            (NEIGHBOUR_SLOWDOWN[impl] if neighbour else 1)
        specs.append(fx.BenchSpec(n + SUFFIX, counters=counters(ns),
                                  label="placement=none;pus=unpinned", explicit_threads=False))
    for cap in ("0", "1", "16", "1024"):
        for case, t in (("spsc", 2), ("mpsc", 4), ("mpmc", 4), ("select_rx", 5),
                        ("select_both", 8)):
            add("Chan_goroutine", case, cap, t)
        for t in (8, 32):
            for impl in ("Chan", "Chan_goroutine", "go_chan"):
                add(impl, "mpmc", cap, t)
        for impl in ("Chan", "Chan_goroutine", "go_chan"):
            add(impl, "spsc", cap, 2, neighbour=True)
            add(impl, "mpsc", cap, 4, neighbour=True)
    return specs


def make_model_run(directory):
    return make_channels_run(directory, extra_specs=model_specs())


class ModelRunTest(fx.ReportRunCase):
    """Chan on goroutines and the noisy neighbour, through report.py."""

    RUN_ID = "vm-x86_64-20261128T181000Z"
    PNGS = PNGS + ["channels_models.png"]

    @classmethod
    def make(cls, directory):
        return make_model_run(directory)

    def test_report_has_the_model_table(self):
        self.assertIn("Threads vs goroutines vs Go", self.html)
        self.assertIn("Chan_goroutine ÷ Go", self.html)


# handoff_runon: a hand-off, then the sender runs on W (Chan on both models
# and go_chan). ns = the mean wait; counters() makes p50 = 3 ns, p99 = 10 ns.
RUNON_WAIT = {("Chan", 0): 1000.0, ("Chan", 20_000_000): 2000.0,
              ("Chan_goroutine", 0): 100.0, ("Chan_goroutine", 20_000_000): 3e6,
              ("go_chan", 0): 200.0, ("go_chan", 20_000_000): 30000.0}


def runon_specs():
    specs = []
    for (impl, w), ns in RUNON_WAIT.items():
        base = impl.replace("_goroutine", "")
        n = name(base, "handoff_runon", "0", 2, work=w)
        c = counters(ns)
        c["lat_max_ns"] = ns * 20
        if impl.endswith("_goroutine"):
            n = n.replace("/impl:Chan/", "/impl:Chan/model:goroutine/")
            c["g_wakes_deferred_per_msg"] = 0.5 if w == 0 else 0.9
            c["g_deferred_wakes_made_per_msg"] = 0.0 if w == 0 else 0.8
        specs.append(fx.BenchSpec(n + SUFFIX, counters=c, label="placement=none;pus=unpinned",
                                  explicit_threads=False))
    return specs


class RunOnRunTest(fx.ReportRunCase):
    """The handoff_runon rows through report.py: their figure and table."""

    RUN_ID = "vm-x86_64-20261128T182000Z"
    PNGS = PNGS + ["channels_handoff_runon.png"]

    @classmethod
    def make(cls, directory):
        return make_channels_run(directory, extra_specs=runon_specs())

    def test_report_has_the_runon_table(self):
        self.assertIn("the sender runs on W without blocking", self.html)
        self.assertIn("wakes deferred / msg", self.html)


class RunOnTableTest(unittest.TestCase):
    def setUp(self):
        self.suite = suite_from(channel_specs(("Chan", "go_chan")) + runon_specs())

    def test_rows_per_cap_and_work_with_each_models_percentiles(self):
        t = sc.runon_table(sc.all_rows_of(self.suite))
        self.assertEqual(t.columns[:4], ["handoff_runon", "Chan, threads p50", "p99", "max"])
        self.assertEqual([r[0] for r in t.rows], ["cap 0, work 0 ns", "cap 0, work 20 ms"])
        slow = t.rows[1]
        # Chan 2000 ns mean: p50 6 µs, p99 20 µs, max 40 µs; goroutines 3 ms mean.
        self.assertEqual(slow[1:4], [fmt_ns(6000.0), fmt_ns(20000.0), fmt_ns(40000.0)])
        self.assertEqual(slow[4], fmt_ns(9e6))
        self.assertEqual(slow[7], fmt_ns(90000.0))
        self.assertEqual(slow[10:], [common.fmt_num(0.9), common.fmt_num(0.8)])
        self.assertEqual(t.rows[0][10:], [common.fmt_num(0.5), common.fmt_num(0.0)])

    def test_no_runon_rows_no_table(self):
        self.assertIsNone(sc.runon_table(sc.all_rows_of(suite_from(channel_specs(("Chan",))))))

    def test_work_labels(self):
        self.assertEqual([sc.work_label(w) for w in ("0", "100", "50000", "500000", "20000000")],
                         ["0 ns", "100 ns", "50 µs", "500 µs", "20 ms"])
        self.assertEqual(sc.key_label(("handoff_runon", "16", "8", 2, "50000")),
                         "handoff_runon cap 16, work 50 µs")


class ModelAxisTest(unittest.TestCase):
    def setUp(self):
        self.suite = suite_from(channel_specs(("Chan", "go_chan")) + model_specs())

    def test_goroutine_rows_are_their_own_implementation(self):
        rows = sc.rows_of(self.suite)
        impls = {r.impl for r in rows}
        self.assertEqual(impls, {"Chan", "Chan_goroutine", "go_chan"})
        g = [r for r in rows if r.impl == "Chan_goroutine"]
        self.assertTrue(all(r.result.params["model"] == "goroutine" for r in g))
        self.assertEqual(sc.hatch_of("Chan_goroutine"), "..")
        self.assertEqual(sc.hatch_of("Chan"), "")

    def test_neighbour_rows_only_in_the_model_figure_and_table(self):
        self.assertFalse(any(r.neighbour for r in sc.rows_of(self.suite)))
        noisy = [r for r in sc.all_rows_of(self.suite) if r.neighbour]
        self.assertEqual(len(noisy), 4 * 2 * 3)

    def test_model_table_slowdowns_are_exact(self):
        t = sc.model_table(sc.all_rows_of(self.suite))
        self.assertEqual(t.columns[:4], ["case", "Chan, threads quiet", "neighbour", "slowdown"])
        spsc0 = next(row for row in t.rows if row[0] == "spsc cap 0")
        # Chan 10x, Chan on goroutines 2x, Go 1.5x slower with the neighbour.
        self.assertEqual([spsc0[3], spsc0[6], spsc0[9]], ["10.0×", "2.0×", "1.5×"])
        # Oversubscribed mpmc has no neighbour rows: quiet only.
        over = next(row for row in t.rows if row[0] == "mpmc cap 16, 32 threads")
        self.assertEqual(over[2], "—")
        self.assertNotEqual(over[1], "—")

    def test_model_keys_take_mpmc_at_every_thread_count(self):
        keys = sc.model_keys(sc.rows_of(self.suite))
        mpmc = sorted(t for c, k, t in keys if c == "mpmc" and k == "1")
        self.assertEqual(mpmc, [4, 8, 32])
        self.assertEqual(sorted(t for c, k, t in keys if c == "mpsc" and k == "1"), [4])

    def test_chan_vs_go_table_has_the_goroutine_ratio(self):
        t = sc.summary_rows("/nonexistent", self.suite, {})[0]
        spsc0 = next(row for row in t.rows if row[0].endswith("spsc cap 0"))
        # Chan_goroutine = 100 * 20 * 0.5, go_chan = 120 * 20.
        self.assertEqual(spsc0[5], "%.2f" % (1000.0 / 2400.0))


class RatioTableTest(unittest.TestCase):
    def setUp(self):
        # Chan twice as fast as Go at spsc/1024, slower at mpmc/1024, equal at spsc/0.
        overrides = {("Chan", "spsc", "1024"): 0.6, ("go_chan", "spsc", "1024"): 1.0,
                     ("Chan", "mpmc", "1024"): 1.8, ("go_chan", "mpmc", "1024"): 1 / 1.2,
                     ("Chan", "spsc", "0"): 1.2}
        self.suite = suite_from(channel_specs(("Chan", "go_chan", "tbb_bounded_queue"), overrides))
        self.rows = sc.rows_of(self.suite)

    def test_headline_cases_first_with_exact_ratios(self):
        pairs = sc.chan_vs_go(self.rows)
        head = [(k[0], k[1], k[3]) for k, _, _, _ in pairs[:3]]
        self.assertEqual(head, [("spsc", "1024", 2), ("mpmc", "1024", 4), ("spsc", "0", 2)])
        ratios = [round(r, 6) for _, _, _, r in pairs[:3]]
        # spsc/1024: 100*0.6 / (120*1.0); mpmc/1024: 100*1.6*1.8 / (120*1.6/1.2); spsc/0: 100*20*1.2 / (120*20)
        self.assertEqual(ratios, [0.5, round(1.8 * 1.2 * 100 / 120, 6), 1.0])

    def test_table_rows_and_verdicts(self):
        t = sc.summary_rows("/nonexistent", self.suite, {})[0]
        self.assertEqual(t.columns, ["case", "Chan", "Chan_goroutine", "go_chan", "Chan ÷ Go",
                                     "Chan_goroutine ÷ Go",
                                     "same state: Chan ÷ Go / Chan_goroutine ÷ Go",
                                     "line hand-off Chan / Chan_goroutine / Go", ""])
        # The fixture's go_chan rows have no probe: no same-state ratio.
        self.assertEqual(t.rows[0], ["★ spsc cap 1024", "60 ns", "—", "120 ns", "0.50", "—",
                                     "— / —", "24 ns / — / —", "Chan faster"])
        self.assertEqual(t.rows[1][-1], "Go faster")
        self.assertEqual([t.rows[2][4], t.rows[2][-1]], ["1.00", "equal"])
        # Every case both ran is in the table, Go-only or Chan-only cases are not.
        both = {r.key() for r in self.rows if r.impl == "Chan"} & \
            {r.key() for r in self.rows if r.impl == "go_chan"}
        self.assertEqual(len(t.rows), len(both))
        self.assertEqual(sum(1 for row in t.rows if row[0].startswith("★")), 3)

    def test_latency_table_carries_the_run_delay_and_the_machine_state(self):
        t = [t for t in sc.summary_rows("/nonexistent", self.suite, {})
             if t.title.startswith("Latency percentiles")][0]
        self.assertEqual(t.columns[-2:], ["threads waiting for a CPU", "line hand-off"])
        by_impl = {row[1]: row[-2] for row in t.rows}
        self.assertEqual({row[1]: row[-1] for row in t.rows}["Chan"], "24 ns")
        self.assertEqual(by_impl["Chan"], "0.250")  # from the counters
        self.assertEqual(by_impl["go_chan"], "—")  # the fixture's go_chan rows have none

    def test_ratios_across_machine_states_are_marked(self):
        # Chan's probe 30 ns against Go's 220 (apart), 50 (within 2x) and none.
        specs = []
        for cap, go_handoff in (("16", 220.0), ("1024", 50.0), ("0", None)):
            for impl, ns, h in (("Chan", 60, 30.0), ("go_chan", 120, go_handoff)):
                c = counters(ns, impl=impl)
                if h is not None:
                    c["machine_line_handoff_ns"] = h
                specs.append(fx.BenchSpec(name(impl, "spsc", cap, 2) + SUFFIX, counters=c,
                                          label="placement=none;pus=unpinned",
                                          explicit_threads=False))
        t = sc.summary_rows("/nonexistent", suite_from(specs), {})[0]
        by_cap = {row[0].split(" cap ")[1]: row[-2:] for row in t.rows}
        self.assertEqual(by_cap["16"], ["30 ns / — / 220 ns", "Chan faster (machine states differ)"])
        self.assertEqual(by_cap["1024"], ["30 ns / — / 50 ns", "Chan faster"])
        self.assertEqual(by_cap["0"], ["30 ns / — / —", "Chan faster"])

    def test_same_state_ratios_pair_repetitions_by_machine_state(self):
        # Three repetitions a row; the probes of the run split between 60
        # and 220 ns (the widest gap, 3.7x). spsc cap 16: Chan fast, fast,
        # slow; Go slow, slow, fast: fast holds 2 + 1, slow 1 + 2, a tie on
        # the fewer count and on the total, which the slow state wins.
        # spsc cap 1024: Chan all fast, Go all slow: no state in common.
        reps = {
            ("Chan", "16"): [(40, 30.0), (44, 35.0), (100, 220.0)],
            ("go_chan", "16"): [(80, 240.0), (90, 250.0), (50, 60.0)],
            ("Chan", "1024"): [(20, 30.0), (22, 32.0), (24, 34.0)],
            ("go_chan", "1024"): [(60, 230.0), (70, 240.0), (80, 250.0)],
        }
        specs = [fx.BenchSpec(name(impl, "spsc", cap, 2) + SUFFIX,
                              counters=counters(st.median(ns for ns, _ in v), impl=impl),
                              label="placement=none;pus=unpinned", explicit_threads=False)
                 for (impl, cap), v in reps.items()]
        suite = suite_from(specs, repetitions=3)
        rows = {(r.impl, r.cap): r for r in sc.rows_of(suite)}
        for key, v in reps.items():
            self.assertEqual(len(suite.rep_values[rows[key].result.name]), 3)
            suite.rep_values[rows[key].result.name] = [
                {"ns_per_msg": ns, "machine_line_handoff_ns": h} for ns, h in v]
        split = sc.state_split(suite, rows.values())
        self.assertAlmostEqual(split, (60.0 * 220.0) ** 0.5)
        self.assertEqual(sc.state_of(59.0, split), "fast")
        self.assertEqual(sc.state_of(220.0, split), "slow")
        self.assertEqual(sc.same_state_ratio(suite, rows[("Chan", "16")], rows[("go_chan", "16")],
                                             split), (100 / 85, "slow", 1, 2))
        self.assertIsNone(sc.same_state_ratio(suite, rows[("Chan", "1024")],
                                              rows[("go_chan", "1024")], split))
        t = sc.summary_rows("/nonexistent", suite, {})[0]
        by_cap = {row[0].split(" cap ")[1].split(",")[0]: row[6] for row in t.rows}
        self.assertEqual(by_cap, {"16": "1.18 slow (1+2) / —", "1024": "— / —"})
        notes = sc.state_notes(suite, sc.rows_of(suite))
        self.assertIn("split at 115 ns: fast (below) 6, slow 6", notes[0])
        self.assertEqual(notes[1:], ["Chan ÷ Go ≤ 1.00 in 2 of 2 cases; over same-state "
                                     "repetitions in 0 of 1."])
        # Probes that form one state (no gap wider than STATE_GAP): one state.
        self.assertIsNone(sc.state_split(suite, [rows[("Chan", "1024")]]))
        self.assertEqual(sc.same_state_ratio(suite, rows[("Chan", "1024")],
                                             rows[("Chan", "1024")], None), (1.0, "one", 3, 3))

    def test_every_implementation_table_marks_missing(self):
        t = sc.summary_rows("/nonexistent", self.suite, {})[1]
        self.assertEqual(t.columns, ["case", "Chan", "go_chan", "tbb_bounded_queue"])
        spsc0 = next(row for row in t.rows if row[0] == "spsc cap 0")
        self.assertEqual(spsc0[3], "—")  # tbb has no rendezvous

    def test_threads_come_from_the_name_not_gb_threads(self):
        mpmc = [r for r in self.rows if r.case == "mpmc"]
        self.assertTrue(mpmc)
        # The suite runs its own threads: Google Benchmark's "threads" is 1,
        # the name's "threads:4" is what common.threads_of keeps.
        self.assertTrue(all(r.threads == 4 and r.result.threads == 4 for r in mpmc))
        self.assertEqual(sc.key_label(mpmc[0].key()), "mpmc cap %s, 4 threads" % mpmc[0].cap)

    def test_key_labels(self):
        self.assertEqual(sc.key_label(("prodcons", "16", "8", 2, "100")), "prodcons cap 16, work 100 ns")
        self.assertEqual(sc.key_label(("spsc", "1024", "64", 2, None)), "spsc cap 1024, 64 B")


class PartialDataTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def test_go_absent(self):
        s = suite_from(channel_specs(("Chan", "boost_fiber")), ctx=go_context("absent"))
        notes = sc.notes("/nonexistent", s, {})
        self.assertEqual(notes[0], "Go runtime not measured: no 'go' on PATH, Go's channels not "
                                   "measured.")
        tables = sc.summary_rows("/nonexistent", s, {})
        self.assertFalse(any("Chan vs Go" in t.title for t in tables))
        self.assertEqual(len(tables), 2)

    def test_busy_machine_note(self):
        busy = suite_from(channel_specs(("Chan",)), ctx={"load_avg": [9.6, 9.0, 9.4]})
        self.assertTrue(any(n.startswith("The machine was busy when the suite ran (load average "
                                         "9.60 on 2 CPUs)") for n in sc.notes("/x", busy, {})))
        idle = suite_from(channel_specs(("Chan",)), ctx={"load_avg": [0.2, 0.1, 0.1]})
        self.assertFalse(any("busy" in n for n in sc.notes("/x", idle, {})))

    def test_peer_never_ran(self):
        s = suite_from(channel_specs(("Chan",)))
        notes = sc.notes("/nonexistent", s, {})
        self.assertTrue(notes[0].startswith("The Go peer did not run"))
        self.assertTrue(any("No latency CDF" in n for n in notes))

    def test_missing_and_corrupt_side_file_skip_only_the_cdf(self):
        for side in ("missing", "corrupt"):
            d = make_channels_run(os.path.join(self.tmp.name, side), side=side)
            # (common.load_run refuses a run with any corrupt *.json, so the
            # suite is parsed directly here.)
            suite = common.parse_suite("channels", os.path.join(d, "channels.json"),
                                       common.load_json(os.path.join(d, "channels.json")))
            side_file = sc.SideFile(d, suite, sc.HIST_FILE)
            self.assertFalse(side_file.ok, side)
            self.assertIsNone(sc._latency_figure(d, sc.rows_of(suite), side_file), side)
            note = [n for n in sc.notes(d, suite, {}) if "No latency CDF" in n]
            self.assertEqual(len(note), 1, side)
            self.assertIn("missing" if side == "missing" else "corrupt JSON", note[0])

    def test_single_implementation_unbounded_only(self):
        d = make_channels_run(os.path.join(self.tmp.name, "mc"), impls=("moodycamel_blocking",), go="none")
        run = common.load_run(d)
        figs = sc.figures(d, run.suites["channels"], run.context)
        self.assertEqual([f for f, _ in figs], PNGS)
        for png, caption in figs:
            fx.png_size(os.path.join(d, png))
            self.assertTrue(caption)
        self.assertEqual(len(sc.summary_rows(d, run.suites["channels"], run.context)), 2)

    def test_errored_entries_are_not_plotted(self):
        err = fx.BenchSpec(name("Chan", "spsc", "16", 2) + SUFFIX,
                           error="placement 'smt' not honoured on this machine: no SMT",
                           explicit_threads=False)
        s = suite_from([err])
        self.assertEqual(sc.rows_of(s), [])
        self.assertEqual(sc.figures(tempfile.gettempdir(), s, {}), [])
        self.assertEqual(sc.summary_rows("/nonexistent", s, {}), [])
        self.assertEqual(len(s.errors), 1)

    def test_unrelated_family_ignored(self):
        s = suite_from([fx.BenchSpec("something/x:1", counters={"ns_per_op": 1.0})])
        self.assertEqual(sc.figures(tempfile.gettempdir(), s, {}), [])


class HelpersTest(unittest.TestCase):
    def test_cdf(self):
        xs, ys = sc._cdf([[100, 1], [10, 3], ["bad"], [1000, 0]])
        self.assertEqual(xs, [10.0, 100.0])
        self.assertEqual(ys, [0.75, 1.0])
        self.assertIsNone(sc._cdf([]))
        self.assertIsNone(sc._cdf(None))

    def test_side_file_keys_match_result_names(self):
        specs = channel_specs(("Chan",))
        s = suite_from(specs)
        side = hist_doc(specs)
        for title, pick in sc.latency_panels(sc.rows_of(s)):
            for r in pick:
                self.assertIn(common.side_key(r.result.name, side), side, title)

    def test_median_of_repetitions_is_used(self):
        s = suite_from(channel_specs(("Chan",)), repetitions=3)
        rows = sc.rows_of(s)
        self.assertTrue(all(r.result.source == "median aggregate" for r in rows))


class WhiskersTest(fx.WhiskerCase):
    """Every channels bar carries the p10-p90 of its time per message over
    the repetitions, every point of the threads lines an error bar; with one
    repetition none, and the figures say "n=1, no spread"."""

    BARS = ["channels_crossbeam.png", "channels_go_cases.png", "channels_models.png"]
    # Enough implementations for every figure (Go for the models figure), few
    # enough to keep the test short.
    IMPLS = ("Chan", "go_chan", "tbb_bounded_queue")

    def test_whiskers_are_p10_p90_of_the_repetitions(self):
        s, doc = fx.jittered_suite("channels", channel_specs(self.IMPLS), repetitions=5)
        with fx.CapturedFigures(sc) as cap:
            figs = dict(sc.figures(self.dir, s, {}))
        want = fx.expected_spreads(doc, "ns_per_msg")
        for png in self.BARS:
            self.assertGreater(cap.bars[png], 0, png)
            self.assertWhiskers(cap.whiskers[png], want, count=cap.bars[png], msg=png)
            self.assertIn("p10–p90 over the run's repetitions", figs[png])
        # mpsc and mpmc at 4 threads with spsc's 2-thread point: one error bar
        # per point, per implementation that has mpsc / mpmc at that capacity.
        points = sum(2 for sp in channel_specs(self.IMPLS) if "/case:mpsc/" in sp.name or
                     "/case:mpmc/" in sp.name)
        self.assertWhiskers(cap.whiskers["channels_threads.png"], want, count=points)
        self.assertEqual(cap.whiskers["channels_latency_cdf.png"] if "channels_latency_cdf.png"
                         in cap.whiskers else [], [])

    def test_one_repetition_draws_no_whisker(self):
        s = suite_from(channel_specs(self.IMPLS))
        with fx.CapturedFigures(sc) as cap:
            figs = dict(sc.figures(self.dir, s, {}))
        for png in self.BARS + ["channels_threads.png"]:
            self.assertNoSpread(cap, png)
            self.assertIn("n=1, no spread", figs[png])

    def test_compare_whiskers(self):
        a, doc = fx.jittered_suite("channels", channel_specs(("Chan", "go_chan")), repetitions=4)
        b = suite_from(channel_specs(("Chan", "go_chan")))
        with fx.CapturedFigures(sc) as cap:
            sc.compare_figures(self.dir, RunSide("A", a, {}), RunSide("B", b, {}))
        png = "compare_channels.png"
        self.assertWhiskers(cap.whiskers[png], fx.expected_spreads(doc, "ns_per_msg"),
                            count=cap.bars[png] // 2)   # A's bars; B has one repetition


class CompareTest(unittest.TestCase):
    def test_compare_tables_one_side_missing(self):
        s = suite_from(channel_specs(("Chan", "go_chan")))
        a, b = RunSide("A", s, {}), RunSide("B", None, {})
        t = sc.compare_tables(a, b)[0]
        self.assertEqual(t.columns, ["case", "implementation", "A", "B", "B / A"])
        self.assertTrue(all(row[3] == "—" and row[4] == "—" for row in t.rows))
        self.assertEqual(sc.compare_tables(b, b), [])

    def test_compare_through_compare_py(self):
        with tempfile.TemporaryDirectory() as tmp:
            a = make_channels_run(os.path.join(tmp, "a"), impls=("Chan", "go_chan"), side="missing")
            b = make_channels_run(os.path.join(tmp, "b"), impls=("Chan",), go="absent",
                                  side="missing")
            out = os.path.join(tmp, "cmp")
            proc = fx.run_script("compare.py", a, b, "--out", out)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(os.path.join(out, "compare.html"), encoding="utf-8") as f:
                html = f.read()
            self.assertIn("Chan and go_chan (A vs B)", html)
            self.assertIn('src="compare_channels.png"', html)
            fx.png_size(os.path.join(out, "compare_channels.png"))


if __name__ == "__main__":
    unittest.main()
