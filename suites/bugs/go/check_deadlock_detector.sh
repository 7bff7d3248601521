#!/usr/bin/env bash
# CTest bugs_go_deadlock_detector: the Go zoo builds, Go's runtime deadlock
# detector stops the buggy mutex_abba (all goroutines asleep: exit 2 with
# Go's message) and the fixed one ends with outcome ok. Correctness only.
#   check_deadlock_detector.sh OUT_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "error: check_deadlock_detector.sh takes OUT_DIR (got $# arguments)" >&2; exit 2; }
out="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out"
(cd "$here" && CGO_ENABLED=0 go build -o "$out/bugs_go" .)
set +e
msg="$(timeout 120 "$out/bugs_go" -bug mutex_abba -variant buggy 2>&1)"; rc=$?
set -e
echo "$msg" | head -3
if [ "$rc" -ne 2 ] || ! grep -q "fatal error: all goroutines are asleep - deadlock!" <<<"$msg"; then
  echo "FAIL: Go's deadlock detector did not fire on mutex_abba buggy (exit $rc)" >&2
  exit 1
fi
fixed="$(timeout 120 "$out/bugs_go" -bug mutex_abba -variant fixed)"
echo "$fixed"
grep -q '"outcome":"ok"' <<<"$fixed" || { echo "FAIL: fixed mutex_abba: $fixed" >&2; exit 1; }
echo "ok: Go's deadlock detector fires on mutex_abba buggy, fixed version clean"
