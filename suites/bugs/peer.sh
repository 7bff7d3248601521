#!/usr/bin/env bash
# suites/bugs/peer.sh — the parts of the `bugs` suite that run outside
# syncscope_bugs. run.sh calls it after the suite wrote RUN_TMP_DIR/bugs.json:
#   suites/bugs/peer.sh RUN_TMP_DIR PROFILE BUILD_DIR
#  1. the detector-overhead family with the detector compiled out
#     (BUILD_DIR/suites/bugs/syncscope_bugs_detector_out): entries
#     bugs_detector_overhead/op:O/detector:compiled_out;
#  2. ThreadSanitizer's verdict on every zoo run (counter tsan), on threads
#     and, for the channel bugs, on goroutines, with the TSan build of the
#     zoo runner next to BUILD_DIR (../tsan, which `./run.sh test` builds);
#     without one, tsan = -1 and the context key bugs_peer_tsan says why;
#  3. Go's detectors (suites/bugs/go): each bug under Go's runtime (counter
#     go_deadlock: "all goroutines are asleep") and the non-blocking ones
#     built with -race (counter go_race: "WARNING: DATA RACE"); -1 where not
#     run, the context keys bugs_peer_go / bugs_peer_go_race say why (no
#     `go`, no race runtime, the race detector is for non-blocking bugs).
# Everything is merged into bugs.json by the shared helper
# suites/common/peer_merge.py (its --entries / --verdicts mode; atomic
# replace). Go's verdicts are for the runtime:threads rows (the Go program is
# the same bug); the goroutine rows (runtime:goroutines) get -1 for them.
# Go stays inside the build directory and offline (GOCACHE/GOPATH under
# BUILD_DIR, GOENV=off, GOPROXY=off, GOTOOLCHAIN=local). Bad usage: one line
# naming the problem, exit 2.
set -euo pipefail

case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -eq 3 ] || { echo "error: peer.sh takes RUN_TMP_DIR PROFILE BUILD_DIR (got $# arguments)" >&2; exit 2; }
run="$1" profile="$2" build="$3"
case "$profile" in
  quick) reps=3 mintime=0.05 ;;
  full) reps=10 mintime=0.5 ;;
  *) echo "error: unknown profile '$profile' (valid: quick, full)" >&2; exit 2 ;;
esac
[ -f "$run/bugs.json" ] || { echo "error: '$run/bugs.json' does not exist (valid: a run directory the bugs suite wrote)" >&2; exit 2; }
[ -d "$build" ] || { echo "error: build directory '$build' does not exist (valid: the CMake build directory of the suites)" >&2; exit 2; }
build="$(cd "$build" && pwd)"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3
verdicts="$run/.bugs_verdicts.tsv" overhead="$run/.bugs_overhead_out.json"
trap 'rm -f "$verdicts" "$overhead"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
# run.sh starts this script through spawn_owned; what it starts dies with it.
owned() { setpriv --pdeathsig KILL -- "$@"; }
: >"$verdicts"
notes=()

# 1. compiled out.
"$build/suites/bugs/syncscope_bugs_detector_out" --benchmark_repetitions="$reps" \
  --benchmark_min_time="$mintime" --benchmark_out="$overhead" --benchmark_out_format=json \
  --benchmark_format=console
echo "bugs peer: detector compiled-out overhead measured"

mapfile -t bugs < <("$build/suites/bugs/zoo/bugs_zoo_run" list | cut -f1,2,4)

# 2. ThreadSanitizer.
tsan_run="$(dirname "$build")/tsan/suites/bugs/zoo/bugs_zoo_run"
if [ -x "$tsan_run" ]; then
  for row in "${bugs[@]}"; do
    b="${row%%$'\t'*}" runtimes="${row##*$'\t'}"
    for rt in ${runtimes//,/ }; do
      flag=""; [ "$rt" = goroutines ] && flag=--goroutines
      for v in buggy fixed; do
        set +e; err="$(TSAN_OPTIONS="halt_on_error=0 report_thread_leaks=0" owned timeout 120 "$tsan_run" run "$b" "$v" $flag 2>&1 >/dev/null)"; rc=$?; set -e
        r=0; { [ "$rc" -eq 66 ] && grep -q "WARNING: ThreadSanitizer: data race" <<<"$err"; } && r=1
        printf 'bug:%s/variant:%s/runtime:%s\ttsan\t%s\n' "$b" "$v" "$rt" "$r" >>"$verdicts"
      done
    done
  done
  notes+=("bugs_peer_tsan=ThreadSanitizer build of the zoo runner: $tsan_run")
else
  notes+=("bugs_peer_tsan=not run: no ThreadSanitizer build of the zoo runner at $tsan_run (./run.sh test builds one)")
fi
echo "bugs peer: ThreadSanitizer verdicts done"

# 3. Go's detectors.
if ! command -v go >/dev/null 2>&1; then
  notes+=("bugs_peer_go=absent: no 'go' on PATH, Go's detectors not run (./run.sh setup installs golang-go)")
else
  out="$build/suites/bugs/go-peer"
  mkdir -p "$out/cache" "$out/gopath"
  export GOCACHE="$out/cache" GOPATH="$out/gopath" GOENV=off GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GO111MODULE=on
  (cd "$here/go" && CGO_ENABLED=0 owned go build -o "$out/bugs_go" .)
  notes+=("bugs_peer_go=$(go version)")
  race_ok=1
  if ! race_err="$(cd "$here/go" && CGO_ENABLED=1 owned go build -race -o "$out/bugs_go_race" . 2>&1)"; then
    race_ok=0
    notes+=("bugs_peer_go_race=absent: go build -race failed (race runtime missing?): $(head -n 1 <<<"$race_err")")
  else
    notes+=("bugs_peer_go_race=go build -race; run on the non-blocking bugs only (the race detector does not look for blocking bugs)")
  fi
  for row in "${bugs[@]}"; do
    b="${row%%$'\t'*}" cat="$(cut -f2 <<<"$row")"
    for v in buggy fixed; do
      set +e; msg="$(owned timeout 120 "$out/bugs_go" -bug "$b" -variant "$v" 2>&1)"; rc=$?; set -e
      r=0; { [ "$rc" -eq 2 ] && grep -q "all goroutines are asleep" <<<"$msg"; } && r=1
      printf 'bug:%s/variant:%s/runtime:threads\tgo_deadlock\t%s\n' "$b" "$v" "$r" >>"$verdicts"
      if [ "$race_ok" -eq 1 ] && [ "$cat" = non-blocking ]; then
        set +e; msg="$(owned timeout 120 "$out/bugs_go_race" -bug "$b" -variant "$v" 2>&1)"; rc=$?; set -e
        r=0; grep -q "WARNING: DATA RACE" <<<"$msg" && r=1
        printf 'bug:%s/variant:%s/runtime:threads\tgo_race\t%s\n' "$b" "$v" "$r" >>"$verdicts"
      fi
    done
  done
  echo "bugs peer: Go's detectors done"
fi

args=()
for n in "${notes[@]}"; do args+=(--context "$n"); done
"$PY" "$here/../common/peer_merge.py" "$run" --suite bugs --entries "$overhead" \
  --verdicts "$verdicts" --family bugs_zoo --counters tsan,go_deadlock,go_race "${args[@]}"
echo "bugs peer: merged into bugs.json"
