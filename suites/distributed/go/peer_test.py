"""Tests of the Go peer of the `distributed` suite (suites/distributed/go/)
and of suites/distributed/peer.sh, run by CTest where Go and Debian's
golang-etcd-server-dev are installed (distributed_go_peer):

- go/build.sh builds the peer offline (and refuses bad usage; exit 3 without
  go);
- the peer refuses bad input with one line and exit 2, an unreachable
  cluster included;
- the peer runs a few tiny cases against a 1-node etcd this test starts
  (local_etcd.py) and writes the suite's schema (suites/distributed/README.md):
  names, Google Benchmark fields, counters, context, histogram side file;
- peer.sh merges the per-cluster files into distributed.json and
  distributed_hist.json next to the C++ rows (twice: one set), records a
  missing Go, and refuses bad usage.

No timing is asserted: only counts, names, shapes and orderings that hold on
any machine (p50 <= p99 <= max, counts equal to the operations run)."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.dirname(HERE)
BUILD_SH = os.path.join(HERE, "build.sh")
PEER_SH = os.path.join(SUITE, "peer.sh")
sys.path.insert(0, HERE)
import local_etcd  # noqa: E402

SUFFIX = "/iterations:1/manual_time"
NAME_RE = re.compile(r"^distributed/[a-z_]+/impl:go_clientv3/cluster:(1|3|given)(/[a-z_]+:[a-z0-9_]+)*"
                     r"/clients:[0-9]+" + re.escape(SUFFIX) + "$")
LATENCY = ("p50_us", "p90_us", "p99_us", "p999_us", "max_us", "mean_us", "samples")
# The cases run here: one client (40 measured lock+unlock after 5 warm-up),
# two clients sharing 16 acquisitions (hand-offs, Jain's index), and one
# STM case (retries, balance check).
CASES = ("mutex_uncontended/|mutex_contended/.*cs_us:0/clients:2/|"
         "stm_transfer/.*accounts:10/isolation:serializable/clients:2/")
EXPECT = {
    "distributed/mutex_uncontended/impl:go_clientv3/cluster:1/clients:1": 40,
    "distributed/mutex_contended/impl:go_clientv3/cluster:1/cs_us:0/clients:2": 16,
    "distributed/stm_transfer/impl:go_clientv3/cluster:1/accounts:10/isolation:serializable/clients:2": 16,
}


def read(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def build_dir():
    d = os.environ.get("SYNCSCOPE_TEST_BUILD")
    if not d:
        raise RuntimeError("SYNCSCOPE_TEST_BUILD is not set (CTest sets it: the build directory)")
    os.makedirs(d, exist_ok=True)
    return d


class GoPeerTest(unittest.TestCase):
    peer = None  # the executable, built once for the class

    @classmethod
    def setUpClass(cls):
        p = subprocess.run([BUILD_SH, build_dir()], capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            raise RuntimeError("go/build.sh failed (%d): %s" % (p.returncode, p.stderr))
        cls.peer = p.stdout.strip().splitlines()[-1]
        if not os.access(cls.peer, os.X_OK):
            raise RuntimeError("go/build.sh printed %r, not an executable" % cls.peer)

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(dir=build_dir())
        self.addCleanup(self.tmp.cleanup)
        # A PATH with the few tools the scripts need before they look for go.
        self.nogo = os.path.join(self.tmp.name, "bin")
        os.makedirs(self.nogo)
        for tool in ("dirname", "bash"):
            os.symlink(shutil.which(tool), os.path.join(self.nogo, tool))

    def run_cmd(self, argv, path=None, timeout=120):
        env = dict(os.environ)
        if path is not None:
            env["PATH"] = path
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)

    def assert_usage_error(self, p, *needles):
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn("error: ", lines[0])
        for n in needles:
            self.assertIn(n, lines[0])

    # ------------------------------------------------------------ build.sh

    def test_build_sh_misuse_and_missing_go(self):
        self.assert_usage_error(self.run_cmd([BUILD_SH]), "BUILD_DIR")
        self.assert_usage_error(self.run_cmd([BUILD_SH, "a", "b"]), "got 2 arguments")
        nope = os.path.join(self.tmp.name, "nope")
        self.assert_usage_error(self.run_cmd([BUILD_SH, nope]), "'%s' does not exist" % nope)
        p = self.run_cmd(["/bin/bash", BUILD_SH, self.tmp.name], path=self.nogo)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("no 'go' on PATH", p.stderr)
        self.assertEqual(self.run_cmd([BUILD_SH, "--help"]).returncode, 0)

    # ------------------------------------------------------------ the peer

    def test_peer_misuse(self):
        out = os.path.join(self.tmp.name, "o.json")
        ok = ["--endpoints", "127.0.0.1:2379", "--cluster", "1", "--out", out]
        for args, needles in (
                (["--endpoints", "localhost", "--cluster", "1", "--out", out], ("'localhost'", "host:port")),
                (["--endpoints", "127.0.0.1:70000", "--cluster", "1", "--out", out], ("port 1-65535",)),
                (ok[:2] + ["--cluster", "five", "--out", out], ("'five'", "given")),
                (ok + ["--profile", "slow"], ("'slow'", "quick, full")),
                (ok + ["--clients", "0"], ("'0'", "1..64")),
                (ok + ["--frobnicate"], ("frobnicate", "valid flags")),
                (ok + ["--cases", "no_such_workload"], ("matches no case", "--list")),
                (ok[:4], ("--out is required",))):
            self.assert_usage_error(self.run_cmd([self.peer] + args), *needles)
        self.assertFalse(os.path.exists(out))
        # Nothing listens on a port this test just picked: one line, exit 2.
        port = local_etcd.free_port()
        p = self.run_cmd([self.peer, "--endpoints", "127.0.0.1:%d" % port, "--cluster", "1", "--out", out])
        self.assert_usage_error(p, "127.0.0.1:%d" % port, "unreachable")
        self.assertFalse(os.path.exists(out))

    def test_peer_list_matches_the_suites_counts(self):
        p = self.run_cmd([self.peer, "--list", "--cluster", "3", "--profile", "quick"])
        self.assertEqual(p.returncode, 0, p.stderr)
        names = p.stdout.split()
        self.assertEqual(len(names), 39)  # the suite's go_clientv3 workloads at quick (README.md)
        for n in names:
            self.assertRegex(n, NAME_RE)

    def test_peer_tiny_cases_on_a_one_node_cluster_then_merge(self):
        run = os.path.join(self.tmp.name, "run")
        os.makedirs(run)
        out = os.path.join(run, "distributed_peer_go_cluster1.json")
        with local_etcd.LocalEtcd(1, os.path.join(self.tmp.name, "etcd")) as cluster:
            p = self.run_cmd([self.peer, "--endpoints", ",".join(cluster.endpoints), "--cluster", "1",
                              "--profile", "quick", "--cases", CASES, "--out", out], timeout=300)
            pids = [q.pid for q in cluster.procs]
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        for pid in pids:  # the members were stopped and reaped
            self.assertFalse(os.path.exists("/proc/%d" % pid), pid)

        doc = read(out)
        ctx = doc["context"]
        self.assertRegex(ctx["distributed_peer_go_runtime"], r"^go1\.[0-9.]+ linux/\w+, GOMAXPROCS=[0-9]+,")
        self.assertRegex(ctx["distributed_peer_go_client"], r"^go\.etcd\.io/etcd/clientv3 3\.[0-9.]+ ")
        self.assertRegex(ctx["distributed_peer_go_cluster_1"],
                         r"^etcd 3\.[0-9.]+, 1 member\(s\), endpoints 127\.0\.0\.1:[0-9]+$")
        rows = doc["benchmarks"]
        self.assertEqual(sorted(b["name"] for b in rows), sorted(n + SUFFIX for n in EXPECT))
        for b in rows:
            name = b["name"]
            self.assertRegex(name, NAME_RE)
            self.assertEqual(b["run_name"], name)
            for k, v in (("run_type", "iteration"), ("iterations", 1), ("repetitions", 1),
                         ("repetition_index", 0), ("threads", 1), ("time_unit", "ms")):
                self.assertEqual(b[k], v, (name, k))
            self.assertGreater(b["real_time"], 0)
            self.assertGreaterEqual(b["cpu_time"], 0)
            self.assertIn("go_clientv3", b["label"])
            for k in LATENCY + ("ops_per_s",):
                self.assertIsInstance(b[k], (int, float), (name, k))
            self.assertEqual(b["samples"], EXPECT[name[:-len(SUFFIX)]], name)
            self.assertTrue(0 < b["p50_us"] <= b["p90_us"] <= b["p99_us"] <= b["p999_us"] <= b["max_us"],
                            b)
            self.assertGreater(b["ops_per_s"], 0)
        contended = next(b for b in rows if "/mutex_contended/" in b["name"])
        self.assertTrue(0.5 <= contended["jain"] <= 1.0, contended)  # 2 clients: >= 1/2
        if "handoff_p50_us" in contended:  # only when a client waited for the other
            self.assertLessEqual(contended["handoff_p50_us"], contended["handoff_p99_us"])
        stm = next(b for b in rows if "/stm_transfer/" in b["name"])
        self.assertEqual(stm["balance_ok"], 1)  # serializable: no lost update
        self.assertGreaterEqual(stm["retries_per_commit"], 0.0)
        self.assertEqual(stm["future_rev_retries"], 0)  # one member: never behind
        self.assertEqual(stm["commits_per_s"], stm["ops_per_s"])

        hist = read(out[:-len(".json")] + "_hist.json")
        self.assertEqual(sorted(hist), sorted(EXPECT))
        for key, h in hist.items():
            counts = [c for _, c in h["buckets"]]
            bounds = [u for u, _ in h["buckets"]]
            self.assertEqual(sum(counts), EXPECT[key])
            self.assertEqual(bounds, sorted(bounds))
            row = next(b for b in rows if b["name"] == key + SUFFIX)
            self.assertEqual(bounds[-1], round(row["max_us"] * 1000))

        # peer.sh: the C++ rows stay, the Go rows and histograms join them.
        cpp = {"name": "distributed/mutex_uncontended/impl:syncscope/cluster:1/clients:1" + SUFFIX,
               "run_type": "iteration", "p50_us": 1.0}
        with open(os.path.join(run, "distributed.json"), "w", encoding="utf-8") as f:
            json.dump({"context": {"distributed_peer_go": "ran: x"}, "benchmarks": [cpp]}, f)
        with open(os.path.join(run, "distributed_hist.json"), "w", encoding="utf-8") as f:
            json.dump({cpp["name"][:-len(SUFFIX)]: {"buckets": [[1000, 1]]}}, f)
        with open(out[:-len(".json")] + ".log", "w", encoding="utf-8") as f:
            f.write(p.stdout)  # what the suite keeps of the peer's output
        for attempt in range(2):
            if attempt:  # a second run finds the files in logs/ and nothing to merge again
                for f in os.listdir(os.path.join(run, "logs")):
                    shutil.copy(os.path.join(run, "logs", f), run)
            p = self.run_cmd([PEER_SH, run, "quick", build_dir()])
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("merged", p.stdout)
            merged = read(os.path.join(run, "distributed.json"))
            self.assertEqual(merged["benchmarks"][0], cpp)
            self.assertEqual(len(merged["benchmarks"]), 1 + len(EXPECT))
            self.assertEqual(merged["context"]["distributed_peer_go"], "ran: x")
            self.assertIn("distributed_peer_go_cluster_1", merged["context"])
            self.assertEqual(len(read(os.path.join(run, "distributed_hist.json"))), 1 + len(EXPECT))
            self.assertFalse(os.path.exists(out))
            for name in ("distributed_peer_go_cluster1.json", "distributed_peer_go_cluster1_hist.json",
                         "distributed_peer_go_cluster1.log"):
                self.assertTrue(os.path.exists(os.path.join(run, "logs", name)), name)
                self.assertFalse(os.path.exists(os.path.join(run, name)), name)

    def test_peer_on_a_three_node_cluster(self):
        # Other workloads, on 3 members (where Go's serializable STM meets
        # etcd's "future revision", retried and counted): every case ends,
        # with the operation counts of the quick profile.
        expect = {
            "distributed/rwmutex/impl:go_clientv3/cluster:3/readers_pct:50/clients:4": 32,
            "distributed/election_campaign/impl:go_clientv3/cluster:3/clients:4": 24,
            "distributed/double_barrier/impl:go_clientv3/cluster:3/clients:2": 2 * 4,
            "distributed/priority_queue/impl:go_clientv3/cluster:3/clients:1": 8,
            "distributed/stm_transfer/impl:go_clientv3/cluster:3/accounts:10/isolation:serializable/clients:8":
                64,
        }
        out = os.path.join(self.tmp.name, "o3.json")
        with local_etcd.LocalEtcd(3, os.path.join(self.tmp.name, "etcd3")) as cluster:
            p = self.run_cmd([self.peer, "--endpoints", ",".join(cluster.endpoints), "--cluster", "3",
                              "--cases", "|".join(re.escape(n + "/") for n in expect), "--out", out],
                             timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        doc = read(out)
        self.assertRegex(doc["context"]["distributed_peer_go_cluster_3"], r"^etcd 3\.[0-9.]+, 3 member\(s\), ")
        rows = {b["name"][:-len(SUFFIX)]: b for b in doc["benchmarks"]}
        self.assertEqual(sorted(rows), sorted(expect))
        for name, n in expect.items():
            self.assertEqual(rows[name]["samples"], n, name)
            self.assertLessEqual(rows[name]["p50_us"], rows[name]["p99_us"], name)
        rw = rows["distributed/rwmutex/impl:go_clientv3/cluster:3/readers_pct:50/clients:4"]
        self.assertIn("read_p50_us", rw)  # 32 draws at 50 %: both kinds occur (seeded)
        self.assertIn("write_p50_us", rw)
        stm = rows["distributed/stm_transfer/impl:go_clientv3/cluster:3/accounts:10/isolation:serializable/clients:8"]
        self.assertEqual(stm["balance_ok"], 1)
        self.assertGreaterEqual(stm["retries_per_commit"] * 64, stm["future_rev_retries"])

    # ------------------------------------------------------------ peer.sh

    def test_peer_sh_misuse_and_no_peer_files(self):
        run = os.path.join(self.tmp.name, "run")
        os.makedirs(run)
        doc = {"context": {"distributed_peer_go": "absent: SYNCSCOPE_DISTRIBUTED_PEER not set"},
               "benchmarks": []}
        with open(os.path.join(run, "distributed.json"), "w", encoding="utf-8") as f:
            json.dump(doc, f)
        b = build_dir()
        for args, needle in (((), "got 0 arguments"), ((run, "quick"), "got 2 arguments"),
                             ((run, "slow", b), "unknown profile 'slow'"),
                             ((self.tmp.name, "quick", b), "distributed.json' does not exist"),
                             ((run, "quick", os.path.join(self.tmp.name, "nope")), "does not exist")):
            self.assert_usage_error(self.run_cmd([PEER_SH] + list(args)), needle)
        self.assertEqual(self.run_cmd([PEER_SH, "--help"]).returncode, 0)
        # Go installed, but the suite ran no peer: said, not an error, the
        # suite's own note kept.
        p = self.run_cmd([PEER_SH, run, "quick", b])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("did not run the Go peer", p.stdout)
        self.assertEqual(read(os.path.join(run, "distributed.json")), doc)
        # No go: recorded in the context, not an error.
        p = self.run_cmd(["/bin/bash", PEER_SH, run, "quick", b], path=self.nogo)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("absent", p.stdout)
        ctx = read(os.path.join(run, "distributed.json"))["context"]
        self.assertTrue(ctx["distributed_peer_go"].startswith("absent: no 'go' on PATH"), ctx)
        # A peer file that is not the peer's JSON: an error naming it.
        bad = os.path.join(run, "distributed_peer_go_cluster1.json")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("{")
        p = self.run_cmd([PEER_SH, run, "quick", b])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(bad, p.stderr)


if __name__ == "__main__":
    unittest.main()
