#!/usr/bin/python3
"""Merge the bugs suite's peer results into RUN_DIR/bugs.json (peer.sh).

Usage:
  peer_merge.py RUN_DIR [--overhead OUT.json] [--verdicts V.tsv] [--note KEY=TEXT]...

--overhead  Google Benchmark JSON of syncscope_bugs_detector_out: its
            benchmarks (detector:compiled_out) are appended; earlier ones of
            the same names are replaced.
--verdicts  lines "bug<TAB>variant<TAB>counter<TAB>0|1": the counter is set on
            the entry bugs_zoo/bug:<bug>/variant:<variant>/...; every zoo entry
            that gets no value for a counter named in the file, or for tsan /
            go_deadlock / go_race at all, gets -1 (not run).
--note      a context key and its text.

The file is written to a temporary name and renamed. Errors: one line
starting "error:", exit 1 (2 for bad usage).
"""

import argparse
import importlib.util
import os
import sys

PEER_COUNTERS = ("tsan", "go_deadlock", "go_race")

# load / write_atomic / MergeError are suites/common/peer_merge.py's. That
# module is also named peer_merge, so it is loaded from its path under
# another name (a sys.path entry would find this file first).
_COMMON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common", "peer_merge.py")
_spec = importlib.util.spec_from_file_location("common_peer_merge", _COMMON)
common_peer_merge = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(common_peer_merge)

MergeError = common_peer_merge.MergeError
load = common_peer_merge.load


def write_atomic(path, obj):
    common_peer_merge.write_atomic(path, obj, indent=2)


def read_verdicts(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 4 or parts[3] not in ("0", "1"):
                raise MergeError("%s:%d: bad verdict line %r (want bug, variant, counter, 0|1)" % (path, n, line))
            out[(parts[0], parts[1], parts[2])] = float(parts[3])
    return out


def zoo_key(name):
    """(bug, variant) of a bugs_zoo entry name, else None."""
    if not name.startswith("bugs_zoo/"):
        return None
    seg = dict(s.split(":", 1) for s in name.split("/")[1:] if ":" in s)
    if "bug" not in seg or "variant" not in seg:
        return None
    return seg["bug"], seg["variant"]


def merge(run_dir, overhead=None, verdicts=None, notes=()):
    path = os.path.join(run_dir, "bugs.json")
    doc = load(path)
    benches = doc.setdefault("benchmarks", [])
    if overhead:
        extra = load(overhead).get("benchmarks", [])
        names = {b.get("name") for b in extra}
        benches[:] = [b for b in benches if b.get("name") not in names] + extra
    table = read_verdicts(verdicts) if verdicts else {}
    for b in benches:
        key = zoo_key(b.get("name", ""))
        if key is None:
            continue
        for counter in PEER_COUNTERS:
            b[counter] = table.get((key[0], key[1], counter), -1.0)
    ctx = doc.setdefault("context", {})
    for n in notes:
        if "=" not in n:
            raise MergeError("--note %r: want KEY=TEXT" % n)
        k, v = n.split("=", 1)
        ctx[k] = v
    write_atomic(path, doc)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir")
    p.add_argument("--overhead")
    p.add_argument("--verdicts")
    p.add_argument("--note", action="append", default=[])
    a = p.parse_args(argv)
    if not os.path.isdir(a.run_dir):
        print("error: run directory '%s' does not exist (valid: a run directory the bugs suite wrote)" % a.run_dir,
              file=sys.stderr)
        return 2
    try:
        merge(a.run_dir, a.overhead, a.verdicts, a.note)
    except MergeError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
