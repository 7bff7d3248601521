#!/usr/bin/env bash
# suites/distributed/peer.sh — merge Go's clientv3 rows into the
# `distributed` suite's results.
#
# run.sh calls it after syncscope_distributed has written
# RUN_TMP_DIR/distributed.json:
#   suites/distributed/peer.sh RUN_TMP_DIR PROFILE BUILD_DIR
# Unlike the other suites' peers, the Go program (suites/distributed/go/,
# built by go/build.sh) does not run here: it needs the suite's etcd
# cluster, which is gone when the suite ends. The suite runs it once per
# cluster while that cluster is up (the hook SYNCSCOPE_DISTRIBUTED_PEER, see
# suites/distributed/README.md), and it leaves
# RUN_TMP_DIR/distributed_peer_go_cluster<c>.json (+ _hist.json) behind.
# This script concatenates those files and merges them into distributed.json
# and distributed_hist.json with suites/common/peer_merge.py --peer go
# (impl:go_clientv3 rows; atomic replace; running it twice leaves one set),
# then moves them (and the peer's logs, distributed_peer_go_cluster<c>.log)
# to RUN_TMP_DIR/logs/.
#
# No such file: when `go` or Debian's golang-etcd-server-dev is absent it
# says so — a line in the log and the context key distributed_peer_go — and
# exits 0 (the suite's other results stand); otherwise it prints why there is
# no Go row (the suite was not given the hook) and exits 0, leaving the
# suite's own distributed_peer_go note. A file that cannot be merged is an
# error (exit 1). Bad usage: one line naming the problem, exit 2.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../common/peer_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common/peer_lib.sh"
peer_args distributed "$@"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3
merge="$here/../common/peer_merge.py"

shopt -s nullglob
files=()
for f in "$run"/distributed_peer_go_cluster*.json; do
  case "$f" in *_hist.json) ;; *) files+=("$f") ;; esac
done
shopt -u nullglob

if [ ${#files[@]} -eq 0 ]; then
  why=""
  if ! command -v go >/dev/null 2>&1; then
    why="no 'go' on PATH (./run.sh setup installs golang-go)"
  elif [ ! -d /usr/share/gocode/src/go.etcd.io/etcd/clientv3/concurrency ]; then
    why="no go.etcd.io/etcd/clientv3 under /usr/share/gocode (./run.sh setup installs golang-etcd-server-dev)"
  fi
  if [ -n "$why" ]; then
    note="absent: $why, Go's clientv3 not measured"
    echo "distributed peer: Go clientv3 $note"
    "$PY" "$merge" "$run" --suite distributed --peer go --note "$note"
  else
    echo "distributed peer: no $run/distributed_peer_go_cluster*.json: the suite did not run the Go peer (it runs it when SYNCSCOPE_DISTRIBUTED_PEER is set, see suites/distributed/README.md); no go_clientv3 rows"
  fi
  exit 0
fi

tmp_json="$run/.distributed_go.json" tmp_hist="$run/.distributed_go_hist.json"
trap 'rm -f "$tmp_json" "$tmp_hist"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
# One document: every file's benchmarks (family_index renumbered so that it
# stays unique) and context keys; one histogram object.
"$PY" - "$tmp_json" "$tmp_hist" "${files[@]}" <<'PYEOF'
import json, os, sys
out_json, out_hist, files = sys.argv[1], sys.argv[2], sys.argv[3:]
doc = {"context": {}, "benchmarks": []}
hist = {}
base = 0
for f in files:
    try:
        with open(f, encoding="utf-8") as fh:
            d = json.load(fh)
        bs, ctx = d["benchmarks"], d.get("context") or {}
        if not isinstance(bs, list) or not isinstance(ctx, dict):
            raise ValueError("no benchmarks array / context object")
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit("error: %s: not the Go peer's JSON (%s)" % (f, e))
    top = -1
    for b in bs:
        b["family_index"] = base + int(b.get("family_index", 0))
        top = max(top, b["family_index"])
    base = top + 1
    doc["benchmarks"].extend(bs)
    doc["context"].update(ctx)
    h = f[:-len(".json")] + "_hist.json"
    if os.path.exists(h):
        try:
            with open(h, encoding="utf-8") as fh:
                hist.update(json.load(fh))
        except (OSError, ValueError) as e:
            sys.exit("error: %s: %s" % (h, e))
for path, obj in ((out_json, doc), (out_hist, hist)):
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh)
PYEOF
"$PY" "$merge" "$run" --suite distributed --peer go --peer-json "$tmp_json" --peer-hist "$tmp_hist"
mkdir -p "$run/logs"
for f in "${files[@]}"; do
  mv -f "$f" "$run/logs/"
  [ ! -e "${f%.json}_hist.json" ] || mv -f "${f%.json}_hist.json" "$run/logs/"
  [ ! -e "${f%.json}.log" ] || mv -f "${f%.json}.log" "$run/logs/"
done
echo "distributed peer: go_clientv3 rows of ${#files[@]} cluster(s) merged into distributed.json and distributed_hist.json"
