#!/usr/bin/python3
"""Merge a peer program's results (another language's runtime on the same
cases) into a suite's run: the one helper every suite's peer.sh calls.

Usage:
  peer_merge.py RUN_DIR --suite SUITE --peer LANG --peer-json PEER.json
                [--peer-hist PEER_HIST.json] [--note TEXT]
      append PEER.json's benchmarks to RUN_DIR/SUITE.json, add its context
      keys, and (with --peer-hist) add PEER_HIST.json's histograms to
      RUN_DIR/SUITE_hist.json (created when the suite wrote none)
  peer_merge.py RUN_DIR --suite SUITE --peer LANG --note TEXT
      only record TEXT as the context key SUITE_peer_LANG (e.g. why the
      peer's runtime was not measured)
  peer_merge.py RUN_DIR --suite SUITE [--entries OUT.json]
                [--verdicts V.tsv --family FAMILY --counters C1,C2,...]
                [--context KEY=TEXT]...
      results of the suite's own other runs (no peer language):
      --entries   append OUT.json's benchmarks (e.g. a second build of the
                  suite, the bugs suite's detector compiled out); earlier
                  entries of the same names are replaced
      --verdicts  lines "KEY<TAB>COUNTER<TAB>VALUE": KEY is '/'-separated
                  name segments (bug:lost_update/variant:buggy/runtime:threads)
                  and selects the entries of FAMILY whose names hold every one
                  of them; COUNTER (one of --counters) is set to VALUE (a
                  number). Every FAMILY entry that gets no value for one of
                  --counters gets -1 (not run).
      --context   a context key and its text

A peer's entry is one whose name has a segment KEY:LANG_... (impl:go_chan,
peer:go_sync_pool, map:go_sync_map): the peer names its implementations with
its language as prefix and the suite's own never do. Every peer entry in
PEER.json must be one; peer entries already in SUITE.json (and histograms
whose key has such a segment) are replaced, so running a peer twice on one
run directory leaves one set. Every file is written to a temporary name and
renamed (never half-written). The JSON keeps Google Benchmark's conventions
(indent 2; NaN where it wrote NaN).

Errors print one line starting "error:" and exit 1 (2 for bad usage).
"""

import argparse
import json
import os
import re
import sys
import tempfile

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class MergeError(Exception):
    pass


def load(path, default=None):
    if default is not None and not os.path.exists(path):
        return default
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise MergeError("%s: %s" % (path, e)) from None


def write_atomic(path, obj, indent=None):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=indent)
            f.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def is_peer_name(name, peer):
    """True when one '/'-separated segment of name is KEY:PEER_..."""
    if not isinstance(name, str):
        return False
    prefix = peer + "_"
    for seg in name.split("/"):
        key, sep, value = seg.partition(":")
        if sep and key and value.startswith(prefix):
            return True
    return False


def is_peer_entry(entry, peer):
    return is_peer_name(entry.get("run_name") or entry.get("name") or "", peer)


def _segments(name):
    return {s for s in name.split("/") if ":" in s}


def read_verdicts(path, counters):
    """[(frozenset of segments, counter, value)] of a verdict file."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            try:
                value = float(parts[2]) if len(parts) == 3 else None
            except ValueError:
                value = None
            if (value is None or parts[1] not in counters or not _segments(parts[0])
                    or value != value):
                raise MergeError("%s:%d: bad verdict line %r (want KEY<TAB>COUNTER<TAB>NUMBER, "
                                 "COUNTER one of %s)" % (path, n, line, ", ".join(counters)))
            out.append((frozenset(_segments(parts[0])), parts[1], value))
    return out


def merge_own(run_dir, suite, entries=None, verdicts=None, family=None, counters=(),
              contexts=()):
    """The suite's own other results (see the module's usage)."""
    if not NAME_RE.match(suite or ""):
        raise MergeError("bad suite name %r (valid: lower-case letters, digits, _)" % suite)
    if verdicts is not None and (not family or not counters):
        raise MergeError("--verdicts needs --family and --counters")
    suite_path = os.path.join(run_dir, suite + ".json")
    doc = load(suite_path)
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise MergeError("%s: not Google Benchmark JSON (no \"benchmarks\" array)" % suite_path)
    benches = doc["benchmarks"]
    if entries is not None:
        extra = load(entries)
        if not isinstance(extra, dict) or not isinstance(extra.get("benchmarks"), list):
            raise MergeError("%s: no \"benchmarks\" array" % entries)
        names = {b.get("name") for b in extra["benchmarks"]}
        benches[:] = [b for b in benches if b.get("name") not in names] + extra["benchmarks"]
    if family is not None and counters:
        table = read_verdicts(verdicts, counters) if verdicts is not None else []
        for b in benches:
            name = b.get("name", "")
            if name.split("/", 1)[0] != family:
                continue
            segs = _segments(name)
            for c in counters:
                b[c] = -1.0
            for key, c, v in table:
                if key <= segs:
                    b[c] = v
    ctx = doc.setdefault("context", {})
    for n in contexts:
        k, sep, v = n.partition("=")
        if not sep or not k:
            raise MergeError("--context %r: want KEY=TEXT" % n)
        ctx[k] = v
    write_atomic(suite_path, doc, indent=2)


def merge(run_dir, suite, peer, peer_json=None, peer_hist=None, note=None):
    for what, v in (("suite", suite), ("peer", peer)):
        if not NAME_RE.match(v or ""):
            raise MergeError("bad %s name %r (valid: lower-case letters, digits, _)" % (what, v))
    suite_path = os.path.join(run_dir, suite + ".json")
    doc = load(suite_path)
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise MergeError("%s: not Google Benchmark JSON (no \"benchmarks\" array)" % suite_path)
    context = doc.setdefault("context", {})
    doc["benchmarks"] = [b for b in doc["benchmarks"]
                         if not (isinstance(b, dict) and is_peer_entry(b, peer))]
    if note is not None:
        context["%s_peer_%s" % (suite, peer)] = note
    if peer_json is not None:
        extra = load(peer_json)
        if not isinstance(extra, dict) or not isinstance(extra.get("benchmarks"), list):
            raise MergeError("%s: no \"benchmarks\" array" % peer_json)
        for b in extra["benchmarks"]:
            if not (isinstance(b, dict) and is_peer_entry(b, peer)):
                raise MergeError("%s: entry %r is not a %s peer benchmark (no KEY:%s_... segment)"
                                 % (peer_json, b, peer, peer))
        doc["benchmarks"].extend(extra["benchmarks"])
        for k, v in (extra.get("context") or {}).items():
            context[k] = v
    write_atomic(suite_path, doc, indent=2)
    if peer_hist is not None:
        hist_path = os.path.join(run_dir, suite + "_hist.json")
        hist = load(hist_path, default={})
        extra = load(peer_hist)
        if not isinstance(hist, dict) or not isinstance(extra, dict):
            raise MergeError("histogram files must hold JSON objects")
        hist = {k: v for k, v in hist.items() if not is_peer_name(k, peer)}
        hist.update(extra)
        write_atomic(hist_path, hist)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir")
    p.add_argument("--suite", required=True, help="the suite (RUN_DIR/SUITE.json)")
    p.add_argument("--peer", help="the peer's language prefix, e.g. go")
    p.add_argument("--peer-json")
    p.add_argument("--peer-hist")
    p.add_argument("--note")
    p.add_argument("--entries", help="the suite's own entries to add (replacing same names)")
    p.add_argument("--verdicts", help="KEY<TAB>COUNTER<TAB>VALUE lines")
    p.add_argument("--family", help="the family --verdicts applies to")
    p.add_argument("--counters", help="comma-separated counters of --verdicts")
    p.add_argument("--context", action="append", default=[], help="KEY=TEXT")
    a = p.parse_args(argv)
    own = a.entries is not None or a.verdicts is not None or a.context or a.counters
    if own and (a.peer is not None or a.peer_json is not None or a.note is not None):
        p.error("--entries/--verdicts/--counters/--context do not go with --peer/--peer-json/--note")
    if not own and a.peer is None:
        p.error("give --peer (a peer's results) or --entries/--verdicts/--context (the suite's own)")
    if a.peer_hist is not None and a.peer_json is None:
        p.error("--peer-hist needs --peer-json")
    if not own and a.peer_json is None and a.note is None:
        p.error("give --peer-json and/or --note")
    if own and not os.path.isdir(a.run_dir):
        print("error: run directory '%s' does not exist (valid: a run directory a suite wrote)"
              % a.run_dir, file=sys.stderr)
        return 2
    try:
        if own:
            counters = tuple(c for c in (a.counters or "").split(",") if c)
            merge_own(a.run_dir, a.suite, a.entries, a.verdicts, a.family, counters, a.context)
            return 0
        merge(a.run_dir, a.suite, a.peer, a.peer_json, a.peer_hist, a.note)
    except MergeError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
