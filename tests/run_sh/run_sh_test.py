"""Tests of run.sh's run control: Ctrl-C and other stop signals end every
process of a run and leave nothing half-written; one run measures at a time;
a killed run's lock and directory are taken over.

Each test runs real, short benches (`./run.sh bench --suite c2c --threads 2`,
quick profile, a few seconds) against the suites already built in
SYNCSCOPE_PREBUILT (CTest passes the native Release build directory), with
its own lock file (SYNCSCOPE_LOCK_FILE) and output directory, so that runs on
the machine and other tests do not see each other's lock.

Every process of a run carries the environment variable MARKER=<random>
(children inherit it), which is how the tests find what a run left behind.

To act while a suite is measuring without racing against the suite's end
(a c2c run takes about a second), the tests that need it run against a
stand-in build directory (held_build): the same syncscope-hwinfo, and in
place of syncscope_c2c a two-line script that stops itself (SIGSTOP) when
run.sh starts it to measure, then execs the real binary once continued. The
test waits for that exact state — the run's suite process stopped — then
signals run.sh, or continues the suite (SIGCONT) to let the run measure for
real. run.sh must stop a stopped suite too (it sends CONT after TERM). Waits
are for an exact state with a generous deadline that only bounds a hung
test; nothing asserts a duration.
"""

import fcntl
import json
import os
import pty
import re
import signal
import subprocess
import tempfile
import termios
import threading
import time
import unittest
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN_SH = os.path.join(ROOT, "run.sh")
PREBUILT = os.environ.get("SYNCSCOPE_PREBUILT", os.path.join(ROOT, "build", "release"))
MARKER = "SYNCSCOPE_RUN_SH_TEST_MARKER"
DEADLINE_S = 120  # bounds a hung test; never a pass/fail threshold
SUITE = "syncscope_c2c"


def wait_for(what, predicate, deadline_s=DEADLINE_S):
    """Polls predicate() until it returns a true value, which is returned."""
    end = time.monotonic() + deadline_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError("gave up waiting (%d s) for: %s" % (deadline_s, what))
        time.sleep(0.05)


def read(path, binary=False):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data if binary else data.decode(errors="replace")


def marked_processes(marker):
    """{pid: (comm, cmdline)} of the live processes whose environment holds
    MARKER=marker (zombies have no readable environment and are not live)."""
    needle = ("%s=%s" % (MARKER, marker)).encode()
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        env = read("/proc/%s/environ" % name, binary=True)
        if not env or needle not in env.split(b"\0"):
            continue
        stat = read("/proc/%s/stat" % name) or ""
        state = stat[stat.rfind(")") + 2:].split(" ")[0] if ")" in stat else ""
        if state == "Z":
            continue
        comm = (read("/proc/%s/comm" % name) or "").strip()
        cmd = (read("/proc/%s/cmdline" % name, binary=True) or b"").replace(b"\0", b" ")
        found[int(name)] = (comm, cmd.decode(errors="replace"))
    return found


def proc_state(pid):
    stat = read("/proc/%d/stat" % pid) or ""
    return stat[stat.rfind(")") + 2:].split(" ")[0] if ")" in stat else ""


def measuring_suite(marker, stopped=False):
    """The pid of the run's suite process started to measure (not the one
    that lists its benchmarks), or None; with stopped, only once it has
    stopped itself (held_build)."""
    for pid, (comm, cmd) in marked_processes(marker).items():
        if comm == SUITE and "--benchmark_out=" in cmd:
            if not stopped or proc_state(pid) == "T":
                return pid
    return None


def held_build(directory):
    """A stand-in for the Release build directory: run.sh finds the real
    syncscope-hwinfo, and a syncscope_c2c that stops itself before measuring
    (see the module's docstring). Returns its path."""
    os.makedirs(os.path.join(directory, "hw"))
    os.makedirs(os.path.join(directory, "suites", "c2c"))
    with open(os.path.join(directory, "build.ninja"), "w") as f:
        f.write("# stand-in for run_sh_test: only suites/c2c and hw/ are used\n")
    os.symlink(os.path.join(PREBUILT, "hw", "syncscope-hwinfo"),
               os.path.join(directory, "hw", "syncscope-hwinfo"))
    wrapper = os.path.join(directory, "suites", "c2c", SUITE)
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\n"
                "case \" $* \" in *\" --benchmark_out=\"*) kill -STOP $$ ;; esac\n"
                "exec '%s' \"$@\"\n" % os.path.join(PREBUILT, "suites", "c2c", SUITE))
    os.chmod(wrapper, 0o755)
    return directory


def sig_ignored(pid, signum):
    for line in (read("/proc/%d/status" % pid) or "").splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signum - 1)))
    raise AssertionError("no SigIgn line for pid %d" % pid)


class Run:
    """One `./run.sh bench` in its own session: stdout and stderr in files,
    or (tty=True) on a pseudo-terminal that is its controlling terminal."""

    def __init__(self, case, extra=(), tty=False, held=True, extra_env=None):
        self.case = case
        self.marker = uuid.uuid4().hex
        env = dict(os.environ)
        env.update({MARKER: self.marker, "SYNCSCOPE_LOCK_FILE": case.lock,
                    "SYNCSCOPE_PREBUILT": case.held if held else PREBUILT})
        env.update(extra_env or {})
        args = [RUN_SH, "bench", "--suite", "c2c", "--threads", "2", "--profile", "quick",
                "--out", case.out, *extra]
        self.tty = tty
        self.chunks = []
        if tty:
            self.master, slave = pty.openpty()

            def controlling_tty():  # runs after setsid(): the pty becomes the session's
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)

            self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdin=slave, stdout=slave,
                                         stderr=slave, start_new_session=True,
                                         preexec_fn=controlling_tty)
            os.close(slave)
            self.reader = threading.Thread(target=self._drain, daemon=True)
            self.reader.start()
        else:
            self.log = tempfile.NamedTemporaryFile(prefix="run_sh_test_", suffix=".log",
                                                   dir=case.tmp.name, delete=False)
            self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                         stdout=self.log, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def _drain(self):
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO: every holder of the slave side is gone
                return
            if not data:
                return
            self.chunks.append(data)

    def output(self):
        if self.tty:
            return b"".join(self.chunks).decode(errors="replace")
        return read(self.log.name) or ""

    def finish(self):
        """Waits for run.sh to exit; its exit status."""
        rc = self.proc.wait(timeout=DEADLINE_S)
        if self.tty:
            self.reader.join(timeout=DEADLINE_S)
            os.close(self.master)
        return rc

    def run_id(self):
        m = re.search(r"==> run (\S+):", self.output())
        return m.group(1) if m else None

    def kill_leftovers(self):
        for pid in marked_processes(self.marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class RunShTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        suite = os.path.join(PREBUILT, "suites", "c2c", SUITE)
        hwinfo = os.path.join(PREBUILT, "hw", "syncscope-hwinfo")
        for path in (suite, hwinfo):
            if not os.access(path, os.X_OK):
                raise AssertionError("%s is not built (build the native Release suites: "
                                     "ninja -C %s suites)" % (path, PREBUILT))

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="run_sh_test_")
        self.out = os.path.join(self.tmp.name, "results")
        self.lock = os.path.join(self.tmp.name, "run.lock")
        self.held = held_build(os.path.join(self.tmp.name, "held_build"))
        self.runs = []

    def tearDown(self):
        for r in self.runs:
            if r.proc.poll() is None:
                r.proc.kill()
                r.proc.wait()
            r.kill_leftovers()
        self.tmp.cleanup()

    def start(self, extra=(), tty=False, held=True, env=None):
        r = Run(self, extra, tty, held, env)
        self.runs.append(r)
        return r

    def entries(self):
        return sorted(os.listdir(self.out)) if os.path.isdir(self.out) else []

    def run_dirs(self):
        return [e for e in self.entries() if not e.startswith(".") and e != "latest"]

    def lock_is_free(self):
        with open(self.lock, "a+") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(f, fcntl.LOCK_UN)
            return True

    def held_suite(self, run):
        """Waits until run's suite process, started to measure, has stopped
        itself (held_build); its pid."""
        pid = wait_for("the suite of run %s to be held" % run.marker,
                       lambda: measuring_suite(run.marker, stopped=True) or
                       (run.proc.poll() is not None and -1))
        self.assertNotEqual(pid, -1, "run.sh ended before its suite started:\n" + run.output())
        return pid

    def assert_nothing_left(self, run):
        wait_for("no process of the run left", lambda: not marked_processes(run.marker))
        self.assertEqual(self.run_dirs(), [], run.output())
        self.assertEqual([e for e in self.entries() if e.startswith(".tmp-")], [], run.output())
        self.assertNotIn("latest", self.entries())
        self.assertTrue(self.lock_is_free())

    # ------------------------------------------------------------ Ctrl-C

    def test_ctrl_c_on_the_terminal_stops_every_process_and_writes_nothing(self):
        run = self.start(tty=True)
        suite = self.held_suite(run)
        # The suite is in its own session (the terminal's interrupt does not
        # reach it directly) and does not ignore SIGINT as a background job
        # of a non-interactive shell would.
        self.assertNotEqual(os.getsid(suite), os.getsid(run.proc.pid))
        self.assertFalse(sig_ignored(suite, signal.SIGINT))
        # Ctrl-C as a terminal delivers it: the line discipline sends SIGINT
        # to the terminal's foreground process group (run.sh's).
        self.assertEqual(os.tcgetpgrp(run.master), run.proc.pid)
        os.write(run.master, b"\x03")
        rc = run.finish()
        self.assertEqual(rc, 130, run.output())
        lines = [l for l in run.output().splitlines() if "interrupted by SIGINT" in l]
        self.assertEqual(len(lines), 1, run.output())
        self.assertIn("no run directory was written", lines[0])
        self.assert_nothing_left(run)

    def test_sigterm_and_sighup_to_run_sh_alone_stop_its_children(self):
        for signum, status in ((signal.SIGTERM, 143), (signal.SIGHUP, 129)):
            with self.subTest(signal=signum.name):
                run = self.start()
                self.held_suite(run)
                os.kill(run.proc.pid, signum)  # to run.sh only, as `kill PID` would
                self.assertEqual(run.finish(), status, run.output())
                self.assertIn("interrupted by %s" % signum.name, run.output())
                self.assert_nothing_left(run)

    # ------------------------------------------------------------ one run at a time

    def test_a_second_run_refuses_a_third_waits_and_the_first_records_them(self):
        first = self.start()
        suite = self.held_suite(first)
        run_id = wait_for("the first run's id", first.run_id)
        # Refuses: one line naming the other run, exit 75, nothing written.
        second = self.start(held=False)
        self.assertEqual(second.finish(), 75, second.output())
        refusal = second.output().strip().splitlines()
        self.assertEqual(len(refusal), 1, second.output())
        self.assertIn("another run is measuring", refusal[0])
        self.assertIn("pid %d" % first.proc.pid, refusal[0])
        self.assertIn(run_id, refusal[0])
        self.assertEqual(self.run_dirs(), [])
        # The refused run left the lock file as it found it.
        self.assertIn("pid %d, run %s" % (first.proc.pid, run_id), read(self.lock))
        # Waits with --wait, then measures after the first.
        third = self.start(["--wait"], held=False)
        waiting = wait_for("the third run to wait", lambda: [
            l for l in third.output().splitlines() if "waiting for the run measuring" in l])
        self.assertIn("pid %d" % first.proc.pid, waiting[0])
        self.assertIsNone(measuring_suite(third.marker))
        os.kill(suite, signal.SIGCONT)
        self.assertEqual(first.finish(), 0, first.output())
        self.assertEqual(third.finish(), 0, third.output())
        dirs = self.run_dirs()
        self.assertEqual(len(dirs), 2, dirs)
        self.assertEqual(len(set(dirs)), 2)
        manifests = {}
        contexts = {}
        for d in dirs:
            with open(os.path.join(self.out, d, "manifest.json")) as f:
                manifests[d] = json.load(f)
            with open(os.path.join(self.out, d, "context.json")) as f:
                contexts[d] = json.load(f)
        a, c = manifests[run_id], manifests[third.run_id()]
        self.assertLessEqual(a["measuring_finished_utc"], c["measuring_started_utc"])
        # The first run saw the waiting third run (a run.sh outside its tree).
        activity = contexts[run_id]["concurrent_activity"]
        self.assertTrue(activity["other_syncscope_active"], activity)
        self.assertIn(third.proc.pid, [p["pid"] for p in activity["processes"]])

    def test_two_runs_started_together_measure_one_after_the_other_in_two_directories(self):
        runs = [self.start(["--wait"], held=False), self.start(["--wait"], held=False)]
        for r in runs:
            self.assertEqual(r.finish(), 0, r.output())
        dirs = self.run_dirs()
        self.assertEqual(sorted(dirs), sorted(r.run_id() for r in runs))
        self.assertEqual(len(set(dirs)), 2, dirs)
        windows = []
        for d in dirs:
            with open(os.path.join(self.out, d, "manifest.json")) as f:
                m = json.load(f)
            windows.append((m["measuring_started_utc"], m["measuring_finished_utc"]))
        windows.sort()
        self.assertLessEqual(windows[0][1], windows[1][0], windows)

    # ------------------------------------------------------------ served peers

    def test_a_peer_command_reaches_only_the_suite_whose_prepare_step_named_it(self):
        # SYNCSCOPE_PEER names one suite's served Go peer (its prepare.sh
        # prints it; run.sh exports it to that suite alone). One left in the
        # environment must not reach a suite without a prepare step (c2c):
        # the suite would start it as its peer (here /bin/false, which never
        # says ready, so the suite would fail).
        r = self.start(held=False, env={"SYNCSCOPE_PEER": "/bin/false -serve"})
        self.assertEqual(r.finish(), 0, r.output())
        (d,) = self.run_dirs()
        with open(os.path.join(self.out, d, "c2c.json")) as f:
            doc = json.load(f)
        self.assertEqual(doc["context"]["syncscope_peer"], "not served: SYNCSCOPE_PEER not set")

    # ------------------------------------------------------------ kill -9

    def test_kill_9_leaves_a_stale_lock_that_the_next_run_takes_over(self):
        killed = self.start()
        self.held_suite(killed)
        run_id = wait_for("the run's id", killed.run_id)
        os.kill(killed.proc.pid, signal.SIGKILL)
        self.assertEqual(killed.finish(), -signal.SIGKILL)
        # Its children die with it (parent-death signal), frozen or not.
        wait_for("the killed run's children to die", lambda: not marked_processes(killed.marker))
        # What kill -9 leaves: the lock file naming the run, its temporary
        # directory.
        self.assertIn("pid %d" % killed.proc.pid, read(self.lock))
        self.assertEqual(self.entries(), [".tmp-" + run_id])
        nxt = self.start(held=False)
        self.assertEqual(nxt.finish(), 0, nxt.output())
        self.assertIn("taking over the run lock", nxt.output())
        self.assertIn("pid %d is gone" % killed.proc.pid, nxt.output())
        self.assertIn("removed the unfinished directory of a killed run", nxt.output())
        self.assertEqual(self.run_dirs(), [nxt.run_id()])
        self.assertEqual(sorted(self.entries()), sorted(["latest", nxt.run_id()]))
        self.assertEqual(read(self.lock), "")  # released by a run that finished

    # ------------------------------------------------------------ bad usage

    def test_bad_usage_is_one_line_and_exit_2(self):
        env = dict(os.environ, SYNCSCOPE_LOCK_FILE=self.lock, SYNCSCOPE_PREBUILT=PREBUILT)
        cases = [
            (["bench", "--wait-for-it"], "'--wait-for-it'"),
            (["bench", "--suite", "nosuch"], "'nosuch'"),
            (["bench", "--threads", "0"], "'0'"),
            (["frobnicate"], "'frobnicate'"),
            (["bench", "--suite", "distributed", "--etcd-endpoints", "nohost"], "'nohost'"),
            (["bench", "--etcd-endpoints=127.0.0.1:70000"], "'127.0.0.1:70000'"),
            # Well-formed but nothing answers: the suite's own one line.
            (["bench", "--suite", "distributed", "--etcd-endpoints", "127.0.0.1:1"],
             "'127.0.0.1:1'"),
        ]
        for args, needle in cases:
            p = subprocess.run([RUN_SH, *args], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=DEADLINE_S)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertEqual(len(p.stderr.splitlines()), 1, (args, p.stderr))
            self.assertIn(needle, p.stderr)
        p = subprocess.run([RUN_SH, "bench", "--suite", "c2c", "--out", self.out], cwd=ROOT,
                           env=dict(env, SYNCSCOPE_PREBUILT="/nonexistent/build"),
                           capture_output=True, text=True, timeout=DEADLINE_S)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("'/nonexistent/build'", p.stderr)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)


if __name__ == "__main__":
    unittest.main()
