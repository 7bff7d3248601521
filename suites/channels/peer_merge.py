#!/usr/bin/python3
"""Merge the Go peer's results into a channels run (called by peer.sh).

Shared by every suite with a Go peer: --suite NAME (default channels) picks
NAME.json / NAME_hist.json and the context key NAME_peer_go; --impl IMPL
(repeatable; default go_chan) names the impl:IMPL segments the peer owns.

Usage:
  peer_merge.py RUN_DIR --go-json GO.json --go-hist GO_HIST.json
      append GO.json's benchmarks (impl:go_chan) to RUN_DIR/channels.json,
      add its context keys, and add GO_HIST.json's histograms to
      RUN_DIR/channels_hist.json (created when the suite wrote none)
  peer_merge.py RUN_DIR --note TEXT
      only record TEXT as the context key channels_peer_go (e.g. why the Go
      runtime was not measured)

Entries of impl:go_chan already in channels.json are replaced, so running the
peer twice on one run directory leaves one set. Every file is written to a
temporary name and renamed (never half-written). The JSON keeps Google
Benchmark's conventions (indent 2; NaN where it wrote NaN).

Errors print one line starting "error:" and exit 1 (2 for bad usage).
"""

import argparse
import json
import os
import sys
import tempfile

GO_IMPL_SEGMENTS = ("/impl:go_chan/",)
SUITE = "channels"


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
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
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


def is_go_entry(entry):
    name = entry.get("run_name") or entry.get("name") or ""
    return isinstance(name, str) and any(seg in name for seg in GO_IMPL_SEGMENTS)


def merge(run_dir, go_json=None, go_hist=None, note=None):
    suite_path = os.path.join(run_dir, SUITE + ".json")
    doc = load(suite_path)
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise MergeError("%s: not Google Benchmark JSON (no \"benchmarks\" array)" % suite_path)
    context = doc.setdefault("context", {})
    doc["benchmarks"] = [b for b in doc["benchmarks"] if not (isinstance(b, dict) and is_go_entry(b))]
    if note is not None:
        context[SUITE + "_peer_go"] = note
    if go_json is not None:
        go = load(go_json)
        if not isinstance(go, dict) or not isinstance(go.get("benchmarks"), list):
            raise MergeError("%s: no \"benchmarks\" array" % go_json)
        for b in go["benchmarks"]:
            if not (isinstance(b, dict) and is_go_entry(b)):
                raise MergeError("%s: entry %r is not an impl:%s benchmark"
                                 % (go_json, b, "|".join(seg.strip("/")[5:] for seg in GO_IMPL_SEGMENTS)))
        doc["benchmarks"].extend(go["benchmarks"])
        for k, v in (go.get("context") or {}).items():
            context[k] = v
    write_atomic(suite_path, doc, indent=2)
    if go_hist is not None:
        hist_path = os.path.join(run_dir, SUITE + "_hist.json")
        hist = load(hist_path, default={})
        extra = load(go_hist)
        if not isinstance(hist, dict) or not isinstance(extra, dict):
            raise MergeError("histogram files must hold JSON objects")
        hist = {k: v for k, v in hist.items()
                if not any(seg in k + "/" for seg in GO_IMPL_SEGMENTS)}
        hist.update(extra)
        write_atomic(hist_path, hist)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir")
    p.add_argument("--go-json")
    p.add_argument("--go-hist")
    p.add_argument("--note")
    p.add_argument("--suite", default="channels")
    p.add_argument("--impl", action="append")
    p.add_argument("--no-hist", action="store_true", help="the peer writes no histograms")
    a = p.parse_args(argv)
    global SUITE, GO_IMPL_SEGMENTS
    SUITE = a.suite
    if a.impl:
        GO_IMPL_SEGMENTS = tuple("/impl:%s/" % i for i in a.impl)
    if (not a.no_hist and (a.go_json is None) != (a.go_hist is None)) or (
            a.go_json is None and a.note is None):
        p.error("give --go-json with --go-hist (or --no-hist), and/or --note")
    try:
        merge(a.run_dir, a.go_json, a.go_hist, a.note)
    except MergeError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
