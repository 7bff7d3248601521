#!/usr/bin/python3
"""Start a throw-away etcd cluster on 127.0.0.1 for the Go peer's test and for
measuring the peer by hand (the suite itself uses etcd/'s LocalCluster).

  local_etcd.py --members N --dir DIR -- COMMAND [ARG...]
      start N etcd members (free ports, never 2379/2380; data and logs under
      DIR, emptied first; heartbeat 100 ms, election 1000 ms, fsync on: the
      flags of LocalCluster), wait until every member reports healthy, run
      COMMAND with ETCD_ENDPOINTS=h:p,h:p in its environment, stop every
      member (TERM, then KILL after 5 s) and exit with COMMAND's status.

Every member is started with a parent-death signal (KILL), so none outlives
this process, not even after a kill -9. Bad usage: one line, exit 2; a
cluster that does not become healthy within 30 s: one line, exit 1.
"""

import argparse
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

PR_SET_PDEATHSIG = 1


def _pdeathsig():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port():
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in (2379, 2380):
            return port


class EtcdError(Exception):
    pass


class LocalEtcd:
    """N etcd members on loopback; a context manager (stop() on exit)."""

    def __init__(self, members, directory, timeout_s=30.0):
        if members < 1:
            raise ValueError("members %d (valid: >= 1)" % members)
        self.dir = os.path.abspath(directory)
        self.procs = []
        self.client_ports = [free_port() for _ in range(members)]
        self.peer_ports = [free_port() for _ in range(members)]
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        names = ["n%d" % (i + 1) for i in range(members)]
        initial = ",".join("%s=http://127.0.0.1:%d" % (n, p) for n, p in zip(names, self.peer_ports))
        token = "syncscope-go-peer-%d" % os.getpid()
        try:
            for i, name in enumerate(names):
                client = "http://127.0.0.1:%d" % self.client_ports[i]
                peer = "http://127.0.0.1:%d" % self.peer_ports[i]
                argv = ["etcd", "--name", name, "--data-dir", os.path.join(self.dir, name + ".etcd"),
                        "--listen-client-urls", client, "--advertise-client-urls", client,
                        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                        "--initial-cluster", initial, "--initial-cluster-token", token,
                        "--initial-cluster-state", "new", "--heartbeat-interval", "100",
                        "--election-timeout", "1000", "--logger", "zap",
                        "--log-outputs", os.path.join(self.dir, name + ".log")]
                with open(os.path.join(self.dir, name + ".out"), "wb") as out:
                    self.procs.append(subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                                       stdin=subprocess.DEVNULL,
                                                       preexec_fn=_pdeathsig))
            self._wait_healthy(timeout_s)
        except BaseException:
            self.stop()
            raise

    @property
    def endpoints(self):
        return ["127.0.0.1:%d" % p for p in self.client_ports]

    def _healthy(self, port):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=2) as r:
                return json.load(r).get("health") == "true"
        except (OSError, ValueError):
            return False

    def _wait_healthy(self, timeout_s):
        until = time.monotonic() + timeout_s
        while True:
            for i, p in enumerate(self.procs):
                if p.poll() is not None:
                    raise EtcdError("etcd member n%d exited at start (status %s); see %s"
                                    % (i + 1, p.returncode, self.dir))
            if all(self._healthy(p) for p in self.client_ports):
                return
            if time.monotonic() > until:
                raise EtcdError("etcd cluster not healthy within %.0f s; see %s" % (timeout_s, self.dir))
            time.sleep(0.1)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--members", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if a.members < 1:
        print("error: --members %d (valid: >= 1)" % a.members, file=sys.stderr)
        return 2
    if not cmd:
        print("error: no COMMAND after -- (valid: local_etcd.py --members N --dir DIR -- COMMAND)",
              file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        with LocalEtcd(a.members, a.dir) as cluster:
            env = dict(os.environ, ETCD_ENDPOINTS=",".join(cluster.endpoints))
            return subprocess.call(cmd, env=env, preexec_fn=_pdeathsig)
    except EtcdError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
