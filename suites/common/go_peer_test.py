"""Tests of suites/common/go_peer.sh and the peer.sh and prepare.sh of pool,
maps, overhead, fairness and starvation: bad usage is refused with one line
and exit 2, a missing `go` is recorded in the suite's context and is not an
error (prepare.sh: prints nothing), and (where Go is installed) each peer
builds offline, runs a small plan and its rows land in the suite's JSON next
to the C++ rows; served, prepare.sh prints the command, the peer answers
the suite's requests (driven here as the suite would) and peer.sh merges
what it wrote without a replay."""

import json
import os
import shutil
import subprocess
import unittest

from peer_script_case import PeerScriptCase, read

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = os.path.dirname(HERE)
DRIVER = os.path.join(HERE, "go_peer.sh")

# One small plan per suite: C++ rows (their names are what the peer
# replays), repetitions 1, the fast families only.
PLANS = {
    "pool": (["pool_put_get/peer:Pool/placement:none/real_time/threads:1",
              "pool_overflow/peer:Pool/placement:compact/real_time/threads:2",
              "pool_put_get/peer:no_pool/placement:none/real_time/threads:1"],
             ["pool_put_get/peer:go_sync_pool/placement:none/real_time/threads:1",
              "pool_overflow/peer:go_sync_pool/placement:none/real_time/threads:2"]),
    "maps": (["maps/scenario:read_90_write_10/map:SyncMap/placement:none/real_time/threads:2",
              "maps/scenario:read_90_write_10/map:umap_GoMutex/placement:none/real_time/threads:2"],
             ["maps/scenario:read_90_write_10/map:go_sync_map/placement:none/real_time/threads:2"]),
    # Context's C++ rows carry no impl segment; Go's row gets one.
    "overhead": (["overhead_once/impl:Once", "overhead_once/impl:std_call_once",
                  "overhead_context_cancel/depth:1/width:4/manual_time",
                  "overhead_cond_broadcast/impl:Cond/waiters:2/manual_time"],
                 ["overhead_once/impl:go_sync_once",
                  "overhead_context_cancel/impl:go_context/depth:1/width:4/manual_time",
                  "overhead_cond_broadcast/impl:go_sync_cond/waiters:2/manual_time"]),
    # Only the thread rows of the Go designs are replayed (placement none).
    "fairness": (["fairness/lock:GoMutex/threads:2/placement:compact/cs_ns:100/ncs_ns:100/dist:fixed/manual_time",
                  "fairness/lock:GoMutex/model:goroutine/threads:2/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time",
                  "fairness/lock:std_mutex/threads:2/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time"],
                 ["fairness/lock:go_sync_mutex/threads:2/placement:none/cs_ns:100/ncs_ns:100/dist:fixed/manual_time"]),
    "starvation": (["starvation/lock:GoMutex/threads:2/placement:none/cs_ns:100/ncs_ns:100/manual_time",
                    "starvation_lockskew/lock:GoMutex/manual_time",
                    "starvation_lockskew/lock:GoMutex/model:goroutine/manual_time",
                    "starvation_rw/lock:GoRWMutex/read_pct:90/threads:2/manual_time"],
                   ["starvation/lock:go_sync_mutex/threads:2/placement:none/cs_ns:100/ncs_ns:100/manual_time",
                    "starvation_lockskew/lock:go_sync_mutex/manual_time",
                    "starvation_rw/lock:go_sync_rwmutex/read_pct:90/threads:2/manual_time"]),
}

# The side file a peer adds its histograms to, and the rows that have one.
HIST = {"starvation": "starvation_hist.json"}


def plan_rows(suite):
    """The C++ rows of a suite's small plan (Google Benchmark's shape)."""
    rows = []
    for n in PLANS[suite][0]:
        # The Google Benchmark threads of a row: those of a threads:N suffix
        # (the lock suites' threads:N inside the name is theirs, not GB's).
        tail = n.rsplit("threads:", 1)[1] if "threads:" in n else "1"
        threads = int(tail) if tail.isdigit() else 1
        rows.append({"name": n, "run_name": n, "run_type": "iteration", "repetitions": 1,
                     "threads": threads, "ns_per_op": 1.0})
    return rows


def write_plan(run_dir, suite):
    with open(os.path.join(run_dir, suite + ".json"), "w", encoding="utf-8") as f:
        json.dump({"context": {"syncscope_suite": suite}, "benchmarks": plan_rows(suite)}, f)


class PeerCase(PeerScriptCase):
    """A run directory with every suite's small plan, a build directory, and
    a PATH without go (self.bin)."""

    def write_run_files(self):
        for s in PLANS:
            write_plan(self.run_dir, s)

    def call(self, args, path=None, timeout=120):
        env = dict(os.environ)
        if path is not None:
            env["PATH"] = path
        return subprocess.run(["/bin/bash"] + args, capture_output=True, text=True, env=env,
                              timeout=timeout)


def check_lock_moves(test, doc, suite, go_rows):
    """fairness' Go rows carry lock_moves_per_acq (0..1) and lock_move_pairs
    where the peer's context says the CPU read was available, and none where
    it says why not; the other peers record no CPUs."""
    how = doc["context"].get("fairness_go_lock_moves")
    if suite != "fairness":
        test.assertIsNone(how, suite)
        return
    test.assertTrue(how.startswith("lock_moves_per_acq: ") or how.startswith("unavailable: "), how)
    rows = [b for b in doc["benchmarks"] if b["name"] in go_rows]
    test.assertEqual(len(rows), len(go_rows))
    for b in rows:
        if how.startswith("unavailable: "):
            test.assertNotIn("lock_moves_per_acq", b)
            continue
        test.assertGreaterEqual(b["lock_moves_per_acq"], 0, b["name"])
        test.assertLessEqual(b["lock_moves_per_acq"], 1, b["name"])
        test.assertGreaterEqual(b["lock_move_pairs"], 1, b["name"])


class GoPeerTest(PeerCase):
    def test_bad_usage(self):
        for args in ((), ("pool", self.run_dir, "quick"), ("chan", self.run_dir, "quick", self.build),
                     ("pool", self.run_dir, "slow", self.build),
                     ("pool", os.path.join(self.tmp.name, "nope"), "quick", self.build),
                     ("pool", self.run_dir, "quick", os.path.join(self.tmp.name, "nope")),
                     ("--test", "pool"), ("--test", "nope", self.build)):
            p = self.call([DRIVER] + list(args))
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertTrue(p.stderr.startswith("error: "), p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertEqual(self.call([DRIVER, "--help"]).returncode, 0)
        for s in PLANS:
            p = self.call([os.path.join(SUITES, s, "peer.sh"), self.run_dir, "slow", self.build])
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("unknown profile 'slow'", p.stderr)
            self.assertEqual(self.call([os.path.join(SUITES, s, "peer.sh"), "--help"]).returncode, 0)

    def test_go_absent_is_recorded_and_not_an_error(self):
        for s in PLANS:
            p = self.call([os.path.join(SUITES, s, "peer.sh"), self.run_dir, "quick", self.build],
                          path=self.bin)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("Go runtime absent", p.stdout)
            doc = read(os.path.join(self.run_dir, s + ".json"))
            self.assertTrue(doc["context"][s + "_peer_go"].startswith("absent: no 'go' on PATH"))
            self.assertEqual(len(doc["benchmarks"]), len(PLANS[s][0]))

    @unittest.skipUnless(shutil.which("go"), "needs Go (the CTest test is registered only with Go)")
    def test_peers_build_run_and_merge(self):
        for s, (cpp, go) in PLANS.items():
            p = self.call([os.path.join(SUITES, s, "peer.sh"), self.run_dir, "quick", self.build],
                          timeout=600)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            doc = read(os.path.join(self.run_dir, s + ".json"))
            names = [b["name"] for b in doc["benchmarks"]]
            self.assertEqual(names, cpp + go, s)
            self.assertIn("GOMAXPROCS=", doc["context"][s + "_peer_go"])
            self.assertIn("GOGC=", doc["context"][s + "_peer_go"])
            noise = doc["context"][s + "_go_noise"]  # the peer's own noise record
            for k in ("wall_s", "load1_before", "load1_after", "own_cpu_s", "foreign_cpus",
                      "steal_s"):
                self.assertIn(k, noise, s)
            self.assertGreater(noise["wall_s"], 0)
            for b in doc["benchmarks"][len(cpp):]:
                self.assertGreater(b["iterations"], 0, b)
                self.assertTrue(any(k.endswith("_ns") or k.endswith("_per_op")
                                    or k.endswith("_per_acq") for k in b), b)
            check_lock_moves(self, doc, s, go)
            if s in HIST:
                side = read(os.path.join(self.run_dir, HIST[s]))
                for n in go:
                    self.assertIn(n.rsplit("/manual_time", 1)[0], side, s)
            self.assertEqual(sorted(f for f in os.listdir(self.run_dir) if f.startswith(".")), [])


class PrepareTest(PeerCase):
    """suites/SUITE/prepare.sh (go_peer.sh --prepare) and the served path."""

    def prepare(self, s, *args, path=None, timeout=120):
        return self.call([os.path.join(SUITES, s, "prepare.sh")] + list(args), path=path,
                         timeout=timeout)

    def test_prepare_bad_usage(self):
        nope = os.path.join(self.tmp.name, "nope")
        for s in PLANS:
            for args in ((), (self.run_dir, "quick"), (self.run_dir, "slow", self.build),
                         (nope, "quick", self.build), (self.run_dir, "quick", nope)):
                p = self.prepare(s, *args)
                self.assertEqual(p.returncode, 2, (s, args, p.stderr))
                self.assertTrue(p.stderr.startswith("error: "), p.stderr)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
                self.assertEqual(p.stdout, "")
            self.assertEqual(self.prepare(s, "--help").returncode, 0)
        p = self.call([DRIVER, "--prepare", "chan", self.run_dir, "quick", self.build])
        self.assertEqual((p.returncode, len(p.stderr.strip().splitlines())), (2, 1), p.stderr)

    def test_prepare_without_go_prints_nothing(self):
        for s in PLANS:
            p = self.prepare(s, self.run_dir, "quick", self.build, path=self.bin)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout, "", s)
            self.assertIn("no 'go' on PATH", p.stderr)

    @unittest.skipUnless(shutil.which("go"), "needs Go (the CTest test is registered only with Go)")
    def test_served_peer_is_merged_without_a_replay(self):
        # After the suite, peer.sh finds no `go` on this PATH: a replay could
        # only record "absent"; the served rows must be merged instead.
        for tool in ("setpriv", "rm"):
            os.symlink(shutil.which(tool), os.path.join(self.bin, tool))
        for s, (cpp, go) in PLANS.items():
            cmd = self.served_line(self.prepare(s, self.run_dir, "quick", self.build, timeout=600), s)
            out = os.path.join(self.run_dir, ".%s_go.json" % s)
            want = ["-serve", "-out", out]
            if s in HIST:
                want += ["-hist", os.path.join(self.run_dir, ".%s_go_hist.json" % s)]
            want += ["-gomaxprocs", str(len(os.sched_getaffinity(0))),
                     "-profile", "quick"]
            self.assertEqual(cmd[1:], want, s)
            # The suite's side: one request per C++ benchmark, then EOF.
            requests = "".join(json.dumps({"benchmarks": [r]}, separators=(",", ":")) + "\n"
                               for r in plan_rows(s))
            p = subprocess.run(cmd, input=requests, capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
            answers = [json.loads(line) for line in p.stdout.splitlines()]
            self.assertEqual(answers[0]["ready"], True, s)
            self.assertIn("GOMAXPROCS=", answers[0]["peer"])
            self.assertEqual(len(answers), 1 + len(cpp), p.stdout)
            self.assertEqual([n for a in answers[1:] for n in a["ran"]], go, s)
            p = self.call([os.path.join(SUITES, s, "peer.sh"), self.run_dir, "quick", self.build],
                          path=self.bin)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("served", p.stdout)
            doc = read(os.path.join(self.run_dir, s + ".json"))
            self.assertEqual([b["name"] for b in doc["benchmarks"]], cpp + go, s)
            self.assertTrue(doc["context"][s + "_peer_mode"].startswith("served: "), s)
            self.assertIn("GOMAXPROCS=", doc["context"][s + "_peer_go"])
            check_lock_moves(self, doc, s, go)
            if s in HIST:
                side = read(os.path.join(self.run_dir, HIST[s]))
                for n in go:
                    self.assertIn(n.rsplit("/manual_time", 1)[0], side, s)
            self.assertEqual(sorted(f for f in os.listdir(self.run_dir) if f.startswith(".")), [])


if __name__ == "__main__":
    unittest.main()
