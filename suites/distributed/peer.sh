#!/usr/bin/env bash
# suites/distributed/peer.sh — merges the Go peer's rows into distributed.json.
#
# run.sh calls it after syncscope_distributed:
#   suites/distributed/peer.sh RUN_TMP_DIR PROFILE BUILD_DIR
# The suite itself ran the peer (SYNCSCOPE_DISTRIBUTED_PEER, see prepare.sh
# and README.md) against each cluster while it was up; each run left
# RUN_TMP_DIR/distributed_peer_go_cluster<c>.json (and maybe _hist.json).
# This script concatenates them (rows and context; histograms) and merges
# them with the one shared helper, suites/common/peer_merge.py --peer go
# (entries named impl:go_...). With no peer file it records why as the
# context key distributed_peer_go (peer_merge.py --note). Bad usage: one
# line, exit 2.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../common/peer_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common/peer_lib.sh"
peer_args distributed "$@"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3
merge="$here/../common/peer_merge.py"
shopt -s nullglob
files=("$run"/distributed_peer_go_cluster*.json)
files=("${files[@]/*_hist.json/}")
jsons=()
for f in "${files[@]}"; do [ -n "$f" ] && jsons+=("$f"); done
if [ ${#jsons[@]} -eq 0 ]; then
  if command -v go >/dev/null 2>&1; then
    note="not run: no Go peer command (suites/distributed/go/build.sh absent or SYNCSCOPE_DISTRIBUTED_PEER unset)"
  else
    note="absent: no 'go' on PATH, Go's clientv3 not measured (./run.sh setup installs golang-go)"
  fi
  echo "distributed peer: $note"
  "$PY" "$merge" "$run" --suite distributed --peer go --note "$note"
  exit 0
fi
tmp_json="$run/.distributed_go.json" tmp_hist="$run/.distributed_go_hist.json"
trap 'rm -f "$tmp_json" "$tmp_hist"' EXIT
"$PY" - "$tmp_json" "$tmp_hist" "${jsons[@]}" <<'PYEOF'
import json, os, sys
out, out_hist, files = sys.argv[1], sys.argv[2], sys.argv[3:]
doc, hist = {"context": {}, "benchmarks": []}, {}
for f in files:
    with open(f, encoding="utf-8") as fh:
        d = json.load(fh)
    doc["context"].update(d.get("context") or {})
    doc["benchmarks"].extend(d.get("benchmarks") or [])
    h = f[:-len(".json")] + "_hist.json"
    if os.path.exists(h):
        with open(h, encoding="utf-8") as fh:
            hist.update(json.load(fh))
with open(out, "w", encoding="utf-8") as fh:
    json.dump(doc, fh)
if hist:
    with open(out_hist, "w", encoding="utf-8") as fh:
        json.dump(hist, fh)
PYEOF
args=(--peer-json "$tmp_json")
[ -f "$tmp_hist" ] && args+=(--peer-hist "$tmp_hist")
"$PY" "$merge" "$run" --suite distributed --peer go "${args[@]}"
rm -f "${jsons[@]}" "$run"/distributed_peer_go_cluster*_hist.json
echo "distributed peer: go_clientv3 rows of ${#jsons[@]} cluster run(s) merged into distributed.json"
