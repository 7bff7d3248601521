"""The noise guard per benchmark, end to end: the test-only suite
syncscope_noise_probe (noise_probe.cc) runs three benchmarks through the real
harness, and this test starts a busy process (a Python spin loop at nice 0)
while the middle one, and only it, runs. Each benchmark's row must carry its
own window (noise_* fields), the windows must tile the run, the busy
process's CPU time (its exact rusage) must be counted as other processes'
time in the middle benchmark's window, and its lifetime must lie inside that
window and outside the quiet ones'. Nothing asserts a duration of the code
under test; the busy process's own CPU time is the reference, and the
deadlines only bound a hung test. On this shared machine other processes
also run during every window, so the quiet benchmarks are not asserted to be
quiet: only that the busy process cannot be in them.

Also: with random interleaving on, rows carry no window and the suite
record says why; and the thresholds of "disturbed" agree everywhere they are
written (the harness, plots/common.py, run.sh, the Go peers' gbench)."""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "plots"))

import common  # noqa: E402  (plots/common.py)

PROBE = os.environ.get("SYNCSCOPE_NOISE_PROBE", "")
DEADLINE_S = 120
SPIN_CPU_S = 1.0  # CPU time the busy process must use before it is stopped
CLK_TCK = os.sysconf("SC_CLK_TCK")
FIELDS = ("noise_window_start_s", "noise_window_end_s", "noise_wall_s", "noise_load1_before",
          "noise_load1_after", "noise_own_cpu_s", "noise_foreign_cpu_s", "noise_foreign_cpus",
          "noise_steal_s", "noise_own_voluntary_csw", "noise_own_involuntary_csw",
          "noise_disturbed")


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def wait_for(what, cond, probe=None):
    deadline = time.monotonic() + DEADLINE_S
    while not cond():
        if probe is not None and probe.poll() is not None:
            raise AssertionError("the probe exited (%s) while waiting for %s"
                                 % (probe.returncode, what))
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %d s waiting for %s" % (DEADLINE_S, what))
        time.sleep(0.005)


def windows(doc):
    """{phase: [rows]} of the probe's JSON."""
    out = {}
    for b in doc["benchmarks"]:
        phase = re.search(r"phase:(\w+)", b["name"]).group(1)
        out.setdefault(phase, []).append(b)
    return out


@unittest.skipUnless(PROBE, "SYNCSCOPE_NOISE_PROBE not set (run through ctest)")
class NoiseWindowTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="noise_window_test_")
        self.out = os.path.join(self.tmp.name, "noise_probe.json")
        self.env = dict(os.environ, SYNCSCOPE_NOISE_PROBE_DIR=self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def flag(self, name):
        return os.path.exists(os.path.join(self.tmp.name, name))

    def answer(self, name):
        with open(os.path.join(self.tmp.name, name), "w") as f:
            f.write("1\n")

    def test_a_busy_process_is_attributed_to_the_benchmark_it_ran_during(self):
        log = open(os.path.join(self.tmp.name, "probe.log"), "w")
        probe = subprocess.Popen([PROBE, "--benchmark_out=" + self.out,
                                  "--benchmark_repetitions=2"],
                                 env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
        spinner = None
        try:
            wait_for("the probe's 'start'", lambda: self.flag("start"), probe)
            spawned = time.monotonic()
            spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"],
                                       stdin=subprocess.DEVNULL)
            wait_for("the busy process to run", lambda: cpu_s(spinner.pid) > 0.05)
            self.answer("started")
            wait_for("the probe's 'stop'", lambda: self.flag("stop"), probe)
            wait_for("the busy process to use %.1f s of CPU" % SPIN_CPU_S,
                     lambda: cpu_s(spinner.pid) >= SPIN_CPU_S)
            os.kill(spinner.pid, signal.SIGKILL)
            _, status, ru = os.wait4(spinner.pid, 0)
            reaped = time.monotonic()
            spinner.returncode = status
            spun = ru.ru_utime + ru.ru_stime  # exact, from the kernel
            self.answer("stopped")
            probe.wait(timeout=DEADLINE_S)
        finally:
            if spinner is not None and spinner.returncode is None:
                spinner.kill()
                spinner.wait()
            if probe.poll() is None:
                probe.kill()
                probe.wait()
            log.close()
        with open(os.path.join(self.tmp.name, "probe.log")) as f:
            console = f.read()
        self.assertEqual(probe.returncode, 0, console)
        with open(self.out) as f:
            doc = json.load(f)
        suite = doc["syncscope_noise"]
        self.assertTrue(suite["per_benchmark"].startswith("recorded"), suite)
        self.assertEqual(suite["benchmarks_with_window"], 3)
        self.assertGreaterEqual(suite["benchmarks_disturbed"], 1)
        self.assertIn("of 'noise_probe' were disturbed", console)
        w = windows(doc)
        self.assertEqual(sorted(w), ["after", "before", "busy"])
        first = {}
        for phase, rows in w.items():
            self.assertFalse(any(r.get("error_occurred") for r in rows), rows)
            # 2 repetitions and their 4 aggregates, all with the same window.
            self.assertEqual(len(rows), 6, rows)
            for r in rows:
                for k in FIELDS:
                    self.assertIn(k, r, (phase, r["name"]))
                    self.assertEqual(r[k], rows[0][k], (phase, r["name"], k))
            first[phase] = rows[0]
        before, busy, after = first["before"], first["busy"], first["after"]
        # The windows tile the run: each starts where the previous ended.
        self.assertEqual(before["noise_window_end_s"], busy["noise_window_start_s"])
        self.assertEqual(busy["noise_window_end_s"], after["noise_window_start_s"])
        # The machine's state at the windows' ends (noise.h,
        # sample_noise_and_state), one probe per boundary: a window's "after"
        # is the next one's "before", and the suite's record starts with the
        # first window's. A probe can be missing: one CPU, or its budget ran
        # out (the busy process holds a CPU), never made up.
        ends = [(before, busy), (busy, after)]
        for a, b in ends:
            self.assertEqual(a.get("noise_line_handoff_after_ns"),
                             b.get("noise_line_handoff_before_ns"))
        self.assertEqual(suite.get("line_handoff_before_ns"),
                         before.get("noise_line_handoff_before_ns"))
        for r in (before, busy, after, {"noise_" + k: v for k, v in suite.items()}):
            for k in ("noise_line_handoff_before_ns", "noise_line_handoff_after_ns"):
                if k in r:
                    self.assertGreater(r[k], 0, (k, r))
                    self.assertGreaterEqual(len(os.sched_getaffinity(0)), 2)
        # The busy process lived inside the middle window only (CLOCK_MONOTONIC
        # on both sides: time.monotonic and std::chrono::steady_clock).
        self.assertLessEqual(busy["noise_window_start_s"], spawned)
        self.assertLessEqual(reaped, busy["noise_window_end_s"])
        # Counts: all of its CPU time is other processes' time in that window
        # (/proc/stat ticks at 100 Hz: a few ticks of slack) ...
        self.assertGreaterEqual(busy["noise_foreign_cpu_s"], 0.9 * spun - 0.05,
                                (spun, busy))
        # ... and while it was runnable at least one CPU was busy with it or
        # with another process: the window is disturbed.
        self.assertEqual(busy["noise_disturbed"], 1, busy)
        self.assertTrue(common.disturbance({k[len("noise_"):]: v for k, v in busy.items()
                                            if k.startswith("noise_")}))
        # The quiet windows hold no more than their CPUs could, give or take
        # a 10 ms tick per CPU at each end (they hold other processes of this
        # shared machine, never the busy one), and the windows together count
        # no more than the suite's window.
        pus = suite["usable_pus"]
        for q in (before, after):
            self.assertLessEqual(q["noise_foreign_cpu_s"],
                                 pus * (q["noise_wall_s"] + 0.03) + 0.02, q)
        total = sum(first[p]["noise_foreign_cpu_s"] for p in first)
        self.assertLessEqual(total, suite["foreign_cpu_s"] + 0.1, (total, suite))
        self.assertGreaterEqual(suite["foreign_cpu_s"], 0.9 * spun - 0.05, suite)
        # The flag is the report's own rule (plots/common.py disturbance).
        for r in first.values():
            window = {k[len("noise_"):]: v for k, v in r.items() if k.startswith("noise_")}
            self.assertEqual(r["noise_disturbed"] == 1, bool(common.disturbance(window)), r)

    def test_random_interleaving_records_the_suite_window_only_and_says_so(self):
        p = subprocess.run([PROBE, "--benchmark_out=" + self.out, "--benchmark_repetitions=2",
                            "--benchmark_filter=phase:(before|after)",
                            "--benchmark_enable_random_interleaving=true"],
                           env=self.env, capture_output=True, text=True, timeout=DEADLINE_S)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(self.out) as f:
            doc = json.load(f)
        suite = doc["syncscope_noise"]
        self.assertTrue(suite["per_benchmark"].startswith("not recorded: random interleaving"),
                        suite)
        self.assertNotIn("benchmarks_with_window", suite)
        self.assertIn("foreign_cpus", suite)
        rows = doc["benchmarks"]
        self.assertEqual(len(rows), 12)  # 2 benchmarks x (2 repetitions + 4 aggregates)
        self.assertFalse([k for r in rows for k in r if k.startswith("noise_")])

    def test_the_thresholds_agree_everywhere(self):
        p = subprocess.run([PROBE, "--benchmark_out=" + self.out, "--benchmark_repetitions=1",
                            "--benchmark_filter=phase:before"],
                           env=self.env, capture_output=True, text=True, timeout=DEADLINE_S)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(self.out) as f:
            suite = json.load(f)["syncscope_noise"]
        self.assertEqual(suite["threshold_foreign_cpus"], common.NOISE_FOREIGN_CPUS)
        self.assertEqual(suite["threshold_steal_fraction"], common.NOISE_STEAL_FRACTION)
        with open(os.path.join(ROOT, "run.sh")) as f:
            quiet = re.search(r"^QUIET_CPUS=([0-9.]+)", f.read(), re.M)
        self.assertEqual(float(quiet.group(1)), common.NOISE_FOREIGN_CPUS)
        with open(os.path.join(HERE, "go", "gbench", "gbench.go")) as f:
            go = f.read()
        self.assertEqual(float(re.search(r"NoiseForeignCPUs\s*=\s*([0-9.]+)", go).group(1)),
                         common.NOISE_FOREIGN_CPUS)
        self.assertEqual(float(re.search(r"NoiseStealFraction\s*=\s*([0-9.]+)", go).group(1)),
                         common.NOISE_STEAL_FRACTION)


if __name__ == "__main__":
    unittest.main()
