#!/usr/bin/python3
"""Tests of the distributed suite's binary and its peer scripts.

  * bad usage: malformed or unreachable --etcd-endpoints (and the
    SYNCSCOPE_ETCD_ENDPOINTS variable), bad --clusters: one line naming the
    value, exit 2, nothing started;
  * one quick run on a 1-node cluster the binary starts itself, with a tiny
    filter and a stand-in peer command (SYNCSCOPE_DISTRIBUTED_PEER): the JSON
    schema (names, counters, context), the histogram side file, the peer
    called once with the cluster's endpoints while it was up and writing
    its file, and no etcd left running (peer.sh, which merges the peer's
    rows, belongs to the Go peer and is tested with it).

Environment: SYNCSCOPE_DISTRIBUTED_BIN (the binary), SYNCSCOPE_TEST_DIR (a
scratch directory of the build). Bounded: every subprocess has a timeout.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("SYNCSCOPE_DISTRIBUTED_BIN", "")
SCRATCH = os.environ.get("SYNCSCOPE_TEST_DIR", "/tmp/syncscope-distributed-test")
CHECK_NO_ETCD = os.path.join(ROOT, "etcd", "tools", "check_no_etcd_left.py")

NAME_RE = re.compile(
    r"^distributed/(?P<workload>[a-z_]+)/impl:(?P<impl>syncscope|etcd_lock_rpc|etcd_election_rpc|"
    r"go_clientv3)/cluster:(?P<cluster>1|3|given)(/[a-z_]+:[a-z0-9_]+)*/clients:(?P<clients>\d+)"
    r"/iterations:1/manual_time$")

# A stand-in for the Go peer: checks its arguments, reads the cluster it was
# given (so it ran while the cluster was up) and writes one row.
FAKE_PEER = r'''#!/usr/bin/python3
import json, subprocess, sys
a = sys.argv[1:]
opts = dict(zip(a[0::2], a[1::2]))
assert sorted(opts) == ["--cluster", "--endpoints", "--out", "--profile"], a
ep = opts["--endpoints"].split(",")[0]
r = subprocess.run(["etcdctl", "--endpoints", ep, "--command-timeout=10s", "endpoint", "health"],
                   capture_output=True, text=True, timeout=30)
assert r.returncode == 0, r.stderr
name = ("distributed/mutex_uncontended/impl:go_clientv3/cluster:%s/clients:1"
        "/iterations:1/manual_time" % opts["--cluster"])
row = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 1,
       "repetition_index": 0, "threads": 1, "iterations": 1, "real_time": 1.0,
       "cpu_time": 1.0, "time_unit": "ms", "p50_us": 1.0, "p99_us": 2.0}
with open(opts["--out"], "w") as f:
    json.dump({"context": {"go_version": "stand-in", "peer_profile": opts["--profile"]},
               "benchmarks": [row]}, f)
'''


def run(args, env=None, timeout=300):
    e = dict(os.environ)
    e.pop("SYNCSCOPE_ETCD_ENDPOINTS", None)
    e.pop("SYNCSCOPE_DISTRIBUTED_PEER", None)
    e.update(env or {})
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=e)


class BadUsageTest(unittest.TestCase):
    def check(self, args, needle, env=None):
        p = run([BIN, *args, "--benchmark_list_tests=true"], env=env, timeout=120)
        self.assertEqual(p.returncode, 2, (args, p.stdout, p.stderr))
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, (args, p.stderr))
        self.assertIn(needle, p.stderr)
        self.assertEqual(p.stdout, "")

    def test_malformed_endpoints(self):
        self.check(["--etcd-endpoints=nohost"], "'nohost'")
        self.check(["--etcd-endpoints", "127.0.0.1:99999"], "127.0.0.1:99999")
        self.check(["--etcd-endpoints="], "--etcd-endpoints")

    def test_malformed_endpoints_from_the_environment(self):
        self.check([], "SYNCSCOPE_ETCD_ENDPOINTS", env={"SYNCSCOPE_ETCD_ENDPOINTS": "a:b:c"})

    def test_unreachable_endpoints(self):
        # Port 1 on loopback: nothing listens there.
        self.check(["--etcd-endpoints=127.0.0.1:1"], "no etcd answers")

    def test_bad_cluster_sizes(self):
        self.check(["--clusters=0"], "'0'")
        self.check(["--clusters=1,x"], "'x'")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GivenClusterTest(unittest.TestCase):
    """--etcd-endpoints: the suite starts nothing, measures the given node,
    names its cases cluster:given and leaves the node running."""

    def setUp(self):
        self.dir = os.path.join(SCRATCH, "given")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.proc = None
        for _ in range(3):  # a port taken between the probe and etcd's bind: retry
            cport, pport = free_port(), free_port()
            self.ep = "127.0.0.1:%d" % cport
            peer = "http://127.0.0.1:%d" % pport
            log = open(os.path.join(self.dir, "etcd.log"), "w")
            self.proc = subprocess.Popen(
                ["etcd", "--name", "given", "--data-dir", os.path.join(self.dir, "given.etcd"),
                 "--listen-client-urls", "http://" + self.ep,
                 "--advertise-client-urls", "http://" + self.ep,
                 "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                 "--initial-cluster", "given=" + peer, "--logger", "zap",
                 "--log-outputs", os.path.join(self.dir, "etcd.zap.log")],
                stdout=log, stderr=subprocess.STDOUT)
            log.close()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and self.proc.poll() is None:
                r = run(["etcdctl", "--endpoints", self.ep, "--command-timeout=5s",
                         "endpoint", "health"], timeout=30)
                if r.returncode == 0:
                    return
                time.sleep(0.2)
            self.stop()
        self.fail("no etcd became healthy on a free port")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self.proc = None

    def tearDown(self):
        self.stop()
        p = run(["/usr/bin/python3", CHECK_NO_ETCD, self.dir], timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_given_endpoints(self):
        out = os.path.join(self.dir, "distributed.json")
        p = run([BIN, "--profile=quick", "--threads=2", "--etcd-endpoints", self.ep,
                 "--benchmark_filter=mutex_uncontended/impl:syncscope|election_failover",
                 "--benchmark_out=" + out, "--benchmark_out_format=json"], timeout=600)
        self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-3000:])
        with open(out) as f:
            doc = json.load(f)
        names = [b["name"] for b in doc["benchmarks"]]
        for b in doc["benchmarks"]:
            self.assertRegex(b["name"], NAME_RE)
            self.assertIn("/cluster:given/", b["name"])
            self.assertNotIn("error_occurred", b, b)
            self.assertIn("given", b["label"])
        # Client faults run on a given cluster; node kills do not.
        self.assertEqual(sorted(n.split("/")[4] for n in names if "election_failover" in n),
                         ["fault:client_kill", "fault:client_stop"])
        self.assertEqual(len([n for n in names if "mutex_uncontended" in n]), 1)
        ctx = doc["context"]
        self.assertEqual(ctx["etcd_started_by_suite_given"], "false")
        self.assertEqual(ctx["etcd_endpoints_given"], self.ep)
        self.assertEqual(ctx["etcd_members_given"], "1")
        self.assertIn("not ours to kill", ctx["distributed_faults"])
        self.assertIsNone(self.proc.poll())  # the given node is still running


class QuickRunTest(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.join(SCRATCH, "quick_run")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.etcd_dir = os.path.join(self.dir, "etcd")
        self.peer = os.path.join(self.dir, "fake_peer.py")
        with open(self.peer, "w") as f:
            f.write(FAKE_PEER)
        os.chmod(self.peer, 0o755)

    def tearDown(self):
        p = run(["/usr/bin/python3", CHECK_NO_ETCD, self.dir], timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_quick_run_schema_and_peer_hook(self):
        out = os.path.join(self.dir, "distributed.json")
        flt = ("mutex_uncontended/impl:syncscope|"
               "mutex_contended/impl:(syncscope|etcd_lock_rpc)/cluster:1/cs_us:0/clients:2|"
               "stm_transfer/impl:syncscope/cluster:1/accounts:10/isolation:serializable/|"
               "election_campaign/impl:etcd_election_rpc")
        p = run([BIN, "--profile=quick", "--clusters=1", "--threads=2",
                 "--etcd-dir=" + self.etcd_dir, "--benchmark_filter=" + flt,
                 "--benchmark_out=" + out, "--benchmark_out_format=json"],
                env={"SYNCSCOPE_DISTRIBUTED_PEER": self.peer}, timeout=600)
        self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-3000:])
        with open(out) as f:
            doc = json.load(f)
        rows = doc["benchmarks"]
        workloads = set()
        for r in rows:
            m = NAME_RE.match(r["name"])
            self.assertIsNotNone(m, r["name"])
            self.assertNotIn("error_occurred", r, r)
            workloads.add((m["workload"], m["impl"]))
            self.assertEqual(m["cluster"], "1")
            self.assertLessEqual(r["p50_us"], r["p99_us"])
            self.assertLessEqual(r["p99_us"], r["max_us"])
            self.assertGreater(r["samples"], 0)
            self.assertGreater(r["ops_per_s"], 0)
            self.assertIn("started by suite", r["label"])
        self.assertEqual(workloads, {("mutex_uncontended", "syncscope"),
                                     ("mutex_contended", "syncscope"),
                                     ("mutex_contended", "etcd_lock_rpc"),
                                     ("stm_transfer", "syncscope"),
                                     ("election_campaign", "etcd_election_rpc")})
        for r in rows:
            if r["name"].startswith("distributed/mutex_contended/"):
                self.assertGreater(r["jain"], 0)
                self.assertLessEqual(r["jain"], 1.0)
            if r["name"].startswith("distributed/stm_transfer/"):
                self.assertEqual(r["balance_ok"], 1)  # serializable keeps the sum
                self.assertGreaterEqual(r["retries_per_commit"], 0)
        ctx = doc["context"]
        self.assertEqual(ctx["etcd_members_1"], "1")
        self.assertEqual(ctx["etcd_started_by_suite_1"], "true")
        self.assertRegex(ctx["etcd_version_1"], r"^\d+\.\d+\.\d+")
        self.assertGreater(float(ctx["etcd_put_rtt_us_1"]), 0)
        self.assertGreater(float(ctx["etcd_get_rtt_us_1"]), 0)
        self.assertTrue(ctx["etcd_fsync_1"].startswith("on"))
        self.assertIn("syncscope_noise", doc)
        with open(os.path.join(self.dir, "distributed_hist.json")) as f:
            hist = json.load(f)
        for r in rows:
            key = r["name"][: -len("/iterations:1/manual_time")]
            self.assertIn(key, hist)
            self.assertEqual(sum(c for _, c in hist[key]["buckets"]), r["samples"])
        # The peer ran once, on cluster 1, while it was up.
        peer_out = os.path.join(self.dir, "distributed_peer_go_cluster1.json")
        self.assertTrue(os.path.exists(peer_out), p.stderr[-2000:])
        # The data of the cluster is gone; no etcd is left (tearDown).
        self.assertFalse(os.path.exists(os.path.join(self.etcd_dir, "cluster1")))
        with open(peer_out) as f:
            peer_doc = json.load(f)
        self.assertEqual(peer_doc["context"]["peer_profile"], "quick")
        self.assertTrue(NAME_RE.match(peer_doc["benchmarks"][0]["name"]))

    def test_prepare_passes_a_given_peer_command_through(self):
        p = run([os.path.join(HERE, "prepare.sh"), self.dir, "quick", self.dir],
                env={"SYNCSCOPE_DISTRIBUTED_PEER": "/bin/true --x"}, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "SYNCSCOPE_DISTRIBUTED_PEER=/bin/true --x\n")

    def test_peer_scripts_bad_usage(self):
        for script in ("prepare.sh",):
            p = run([os.path.join(HERE, script), self.dir, "fast", self.dir], timeout=60)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("'fast'", p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1)


if __name__ == "__main__":
    if not BIN or not os.access(BIN, os.X_OK):
        print("SYNCSCOPE_DISTRIBUTED_BIN must name the syncscope_distributed binary",
              file=sys.stderr)
        sys.exit(2)
    unittest.main()
