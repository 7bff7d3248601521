"""Tests of plots/suite_distributed.py on full, partial and empty data."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import suite_distributed  # noqa: E402
import testing_fixtures as fx  # noqa: E402

SUFFIX = "/iterations:1/manual_time"


def suite_from(specs, directory="", context=None):
    doc = fx.gb_document("distributed", specs, repetitions=1, jitter=0.0,
                         extra_context=context or {})
    return common.parse_suite("distributed", os.path.join(directory, "distributed.json"), doc)


def spec(name, **counters):
    return fx.BenchSpec("distributed/" + name + SUFFIX, counters=counters,
                        explicit_threads=False)


def lat(p50, **kw):
    return dict(p50_us=p50, p90_us=p50 * 1.5, p99_us=p50 * 3, p999_us=p50 * 4,
                max_us=p50 * 5, samples=40.0, **kw)


FULL = [
    spec("mutex_uncontended/impl:syncscope/cluster:1/clients:1", **lat(1300.0, ops_per_s=700.0)),
    spec("mutex_uncontended/impl:etcd_lock_rpc/cluster:1/clients:1",
         **lat(1350.0, ops_per_s=650.0)),
    spec("mutex_uncontended/impl:go_clientv3/cluster:3/clients:1", **lat(5000.0, ops_per_s=180.0)),
    spec("mutex_contended/impl:syncscope/cluster:1/cs_us:0/clients:1",
         **lat(900.0, ops_per_s=300.0, jain=1.0)),
    spec("mutex_contended/impl:syncscope/cluster:1/cs_us:0/clients:4",
         **lat(90000.0, ops_per_s=40.0, jain=0.97, handoff_p50_us=3000.0, handoff_p99_us=9e4)),
    spec("barrier/impl:syncscope/cluster:1/clients:2", **lat(2000.0, ops_per_s=300.0)),
    spec("rwmutex/impl:syncscope/cluster:1/readers_pct:50/clients:4",
         **lat(5000.0, ops_per_s=90.0, read_p50_us=4000.0, read_p99_us=9000.0,
               write_p50_us=6000.0, write_p99_us=20000.0)),
    spec("rwmutex/impl:go_clientv3/cluster:1/readers_pct:90/clients:4",
         **lat(3000.0, ops_per_s=120.0, read_p50_us=2000.0, read_p99_us=5000.0,
               write_p50_us=9000.0, write_p99_us=30000.0)),
    spec("stm_transfer/impl:syncscope/cluster:1/accounts:10/isolation:serializable/clients:2",
         **lat(4000.0, ops_per_s=300.0, retries_per_commit=0.2, balance_ok=1.0)),
    spec("stm_transfer/impl:syncscope/cluster:1/accounts:10/isolation:read_committed/clients:8",
         **lat(9000.0, ops_per_s=280.0, retries_per_commit=0.0, balance_ok=0.0)),
    spec("stm_transfer/impl:syncscope/cluster:1/accounts:1000/isolation:serializable/clients:8",
         **lat(9000.0, ops_per_s=280.0, retries_per_commit=0.01, balance_ok=1.0)),
    spec("election_failover/impl:syncscope/cluster:3/fault:leader_node_kill/clients:2",
         failover_ms=3000.0, first_observed_ms=2900.0, observed_once=1.0),
    spec("fault_leader_kill/impl:syncscope/cluster:3/clients:4", recover_ms=1030.0),
    spec("fault_fencing/impl:syncscope/cluster:1/clients:2", takeover_ms=2200.0,
         stale_rejected=5.0, stale_accepted=0.0, valid_rejected=0.0),
]
CONTEXT = {"etcd_members_1": "1", "etcd_version_1": "3.4.23", "etcd_started_by_suite_1": "true",
           "etcd_fsync_1": "on", "etcd_put_rtt_us_1": "600", "etcd_get_rtt_us_1": "400",
           "distributed_peer_go": "absent: no go"}


def hist(specs):
    out = {}
    for s in specs:
        name = s.name[: -len(SUFFIX)]
        out[name] = {"buckets": [[1000000, 10], [2000000, 25], [5000000, 5]]}
    return out


class DistributedPlotTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def test_full_data_draws_every_figure_and_table(self):
        fx.write_file(self.tmp.name, "distributed_hist.json", hist(FULL))
        s = suite_from(FULL, self.tmp.name, CONTEXT)
        figs = suite_distributed.figures(self.tmp.name, s, {})
        self.assertEqual([f for f, _ in figs],
                         ["distributed_latency_cdf.png", "distributed_throughput.png",
                          "distributed_rwmutex.png", "distributed_failover.png",
                          "distributed_stm.png"])
        for f, _ in figs:
            fx.png_size(os.path.join(self.tmp.name, f))
        tables = suite_distributed.summary_rows(self.tmp.name, s, {})
        titles = [t.title for t in tables]
        self.assertEqual(len(tables), 3, titles)
        mutex = tables[0].rows
        self.assertIn(["1", "syncscope", "1.30 ms", "3.90 ms", "700"], mutex)
        stm = tables[2].rows
        self.assertIn("NO", [r[-1] for r in stm])  # read-committed lost an update
        notes = suite_distributed.notes(self.tmp.name, s, {})
        self.assertTrue(any("3.4.23" in n and "fsync on" in n for n in notes), notes)

    def test_a_case_without_a_peer_says_so(self):
        fx.write_file(self.tmp.name, "distributed_hist.json", hist(FULL))
        s = suite_from(FULL, self.tmp.name, CONTEXT)
        unc = [r for r in s.results if "mutex_uncontended" in r.name]
        barrier = [r for r in s.results if "/barrier/" in r.name]
        self.assertEqual(suite_distributed.panel_title("Mutex", unc), "Mutex")
        self.assertEqual(suite_distributed.panel_title("Barrier", barrier), "Barrier — no peer")
        notes = suite_distributed.notes(self.tmp.name, s, {})
        # A Go row is present (cluster 3): no "No Go peer" note.
        self.assertFalse(any(n.startswith("No Go peer") for n in notes), notes)
        s2 = suite_from([x for x in FULL if "go_clientv3" not in x.name], self.tmp.name, CONTEXT)
        notes = suite_distributed.notes(self.tmp.name, s2, {})
        self.assertIn("No Go peer in this run: absent: no go", notes)

    def test_missing_side_file_still_draws_the_rest(self):
        s = suite_from(FULL, self.tmp.name, CONTEXT)
        figs = [f for f, _ in suite_distributed.figures(self.tmp.name, s, {})]
        self.assertNotIn("distributed_latency_cdf.png", figs)
        self.assertIn("distributed_failover.png", figs)

    def test_compare_of_two_runs(self):
        a = common.RunSide("A", suite_from(FULL), {})
        b = common.RunSide("B", suite_from(FULL[:2]), {})
        figs = suite_distributed.compare_figures(self.tmp.name, a, b)
        self.assertEqual([f for f, _ in figs], ["compare_distributed_mutex.png"])
        (t,) = suite_distributed.compare_tables(a, b)
        self.assertEqual(len(t.rows), 3 + 1 + 2)

    def test_no_data_no_figure(self):
        s = suite_from([])
        self.assertEqual(suite_distributed.figures(self.tmp.name, s, {}), [])
        self.assertEqual(suite_distributed.summary_rows(self.tmp.name, s, {}), [])
        self.assertEqual(suite_distributed.notes(self.tmp.name, s, {}), [])
        a = common.RunSide("A", None, {})
        self.assertEqual(suite_distributed.compare_figures(self.tmp.name, a, a), [])


class WhiskersTest(fx.WhiskerCase):
    """p10-p90 over the repetitions on the fail-over and compare bars, error
    bars on every line point; n=1 draws none and says so."""

    def expected(self, doc, keys):
        want = {}
        for key in keys:
            want.update({(n, key): v for n, v in fx.expected_spreads(doc, key).items()})
        return want

    def test_whiskers_are_p10_p90_of_the_repetitions(self):
        s, doc = fx.jittered_suite("distributed", FULL, repetitions=5, extra_context=CONTEXT)
        with fx.CapturedFigures(suite_distributed) as cap:
            figs = dict(suite_distributed.figures(self.dir, s, {}))
        self.assertWhiskers(cap.whiskers["distributed_failover.png"],
                            self.expected(doc, ("failover_ms", "recover_ms", "takeover_ms")),
                            count=3)
        # Mutex ops/s and Jain at 1 and 4 clients, barrier p50, STM commits/s.
        self.assertWhiskers(cap.whiskers["distributed_throughput.png"],
                            self.expected(doc, ("ops_per_s", "jain", "p50_us")), count=6)
        self.assertWhiskers(cap.whiskers["distributed_rwmutex.png"],
                            {k: (v[0] / 1e3, v[1] / 1e3) for k, v in self.expected(
                                doc, ("read_p99_us", "write_p99_us")).items()}, count=4)
        self.assertWhiskers(cap.whiskers["distributed_stm.png"],
                            self.expected(doc, ("retries_per_commit",)), count=3)
        self.assertEqual(cap.whiskers.get("distributed_latency_cdf.png", []), [])
        self.assertIn("p10–p90 over the repetitions of the last time",
                      figs["distributed_failover.png"])

    def test_one_repetition_draws_no_whisker(self):
        s = suite_from(FULL, self.dir, CONTEXT)
        with fx.CapturedFigures(suite_distributed) as cap:
            figs = dict(suite_distributed.figures(self.dir, s, {}))
        for png in ("distributed_failover.png", "distributed_throughput.png",
                    "distributed_rwmutex.png", "distributed_stm.png"):
            self.assertNoSpread(cap, png)
            self.assertIn("n=1, no spread", figs[png])

    def test_compare_whiskers(self):
        a, doc = fx.jittered_suite("distributed", FULL, repetitions=4)
        with fx.CapturedFigures(suite_distributed) as cap:
            suite_distributed.compare_figures(self.dir, common.RunSide("A", a, {}),
                                              common.RunSide("B", suite_from(FULL), {}))
        self.assertWhiskers(cap.whiskers["compare_distributed_mutex.png"],
                            self.expected(doc, ("p50_us",)), count=3)


if __name__ == "__main__":
    unittest.main()
