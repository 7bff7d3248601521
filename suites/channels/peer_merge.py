#!/usr/bin/python3
"""Merge the Go peer's results into a channels run (called by peer.sh).

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

GO_IMPL_SEGMENT = "/impl:go_chan/"


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
    return isinstance(name, str) and GO_IMPL_SEGMENT in name


def merge(run_dir, go_json=None, go_hist=None, note=None):
    suite_path = os.path.join(run_dir, "channels.json")
    doc = load(suite_path)
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise MergeError("%s: not Google Benchmark JSON (no \"benchmarks\" array)" % suite_path)
    context = doc.setdefault("context", {})
    doc["benchmarks"] = [b for b in doc["benchmarks"] if not (isinstance(b, dict) and is_go_entry(b))]
    if note is not None:
        context["channels_peer_go"] = note
    if go_json is not None:
        go = load(go_json)
        if not isinstance(go, dict) or not isinstance(go.get("benchmarks"), list):
            raise MergeError("%s: no \"benchmarks\" array" % go_json)
        for b in go["benchmarks"]:
            if not (isinstance(b, dict) and is_go_entry(b)):
                raise MergeError("%s: entry %r is not an impl:go_chan benchmark" % (go_json, b))
        doc["benchmarks"].extend(go["benchmarks"])
        for k, v in (go.get("context") or {}).items():
            context[k] = v
    write_atomic(suite_path, doc, indent=2)
    if go_hist is not None:
        hist_path = os.path.join(run_dir, "channels_hist.json")
        hist = load(hist_path, default={})
        extra = load(go_hist)
        if not isinstance(hist, dict) or not isinstance(extra, dict):
            raise MergeError("histogram files must hold JSON objects")
        hist = {k: v for k, v in hist.items() if GO_IMPL_SEGMENT not in k + "/"}
        hist.update(extra)
        write_atomic(hist_path, hist)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir")
    p.add_argument("--go-json")
    p.add_argument("--go-hist")
    p.add_argument("--note")
    a = p.parse_args(argv)
    if (a.go_json is None) != (a.go_hist is None) or (a.go_json is None and a.note is None):
        p.error("give --go-json with --go-hist, and/or --note")
    try:
        merge(a.run_dir, a.go_json, a.go_hist, a.note)
    except MergeError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
