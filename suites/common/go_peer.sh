#!/usr/bin/env bash
# suites/common/go_peer.sh — build, run and merge the Go peer of a suite
# whose peer is written against suites/common/go/gbench (pool, maps,
# overhead, fairness, starvation; the lock suites' peers also use
# suites/common/go/lockpeer; channels has its own module,
# suites/channels/peer.sh).
#
#   suites/common/go_peer.sh --prepare SUITE RUN_TMP_DIR PROFILE BUILD_DIR
#       what suites/SUITE/prepare.sh does for run.sh before the suite: build
#       the peer (as below) and print the one line
#         SYNCSCOPE_PEER=BIN -serve -out RUN_TMP_DIR/.SUITE_go.json
#           [-hist RUN_TMP_DIR/.SUITE_go_hist.json] -gomaxprocs N -profile P
#       which run.sh exports to that suite alone: the suite then runs the
#       peer as its child and asks it for each benchmark's Go twin right
#       after the benchmark (served; the protocol: suites/common/go/gbench/
#       serve.go). Everything else goes to stderr; no `go`: nothing printed
#   suites/common/go_peer.sh SUITE RUN_TMP_DIR PROFILE BUILD_DIR
#       what suites/SUITE/peer.sh does for run.sh after the suite wrote
#       RUN_TMP_DIR/SUITE.json: when the served peer wrote
#       RUN_TMP_DIR/.SUITE_go.json, merge it (no build, no replay);
#       otherwise build suites/SUITE/go/ (package main) into
#       BUILD_DIR/suites/SUITE/go-peer/, run it on the cases the C++ suite
#       ran (the plan is SUITE.json itself: replayed after the suite). Either
#       way its rows are merged into SUITE.json with
#       suites/common/peer_merge.py (atomic replace) and the temporary files
#       removed
#   suites/common/go_peer.sh --test SUITE BUILD_DIR
#       stage the peer as for a build and run its `go test` (CTest's
#       SUITE_go_peer_unit), with the shared packages' tests
#
# Built offline in GOPATH mode: GO111MODULE=off, GOPATH = a staging tree
# under BUILD_DIR (syncscope/gbench, syncscope/hist, syncscope/lockpeer and the suite's
# package, copied there)
# followed by /usr/share/gocode (Debian's golang-golang-x-sync-dev:
# golang.org/x/sync/{semaphore,singleflight,errgroup}); GOCACHE under
# BUILD_DIR, GOENV=off (no $HOME config), GOTOOLCHAIN=local, GOPROXY=off,
# GOFLAGS empty, CGO_ENABLED=0. GOMAXPROCS = the usable CPUs; GOGC and
# GOMEMLIMIT are the environment's (the peer records them).
#
# When `go` is absent it says so — a line in the log and the context key
# SUITE_peer_go — and exits 0: the suite's other results stand. A Go that
# is present but fails to build or run is an error (exit 1). Bad usage: one
# line naming the problem, exit 2.
set -euo pipefail

SUITES=(pool maps overhead fairness starvation)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=peer_lib.sh
. "$here/peer_lib.sh"
suites_dir="$(cd "$here/.." && pwd)"
PY=/usr/bin/python3
merge="$here/peer_merge.py"

check_suite() {
  local s
  for s in "${SUITES[@]}"; do [ "$1" = "$s" ] && return 0; done
  echo "error: unknown suite '$1' (valid: ${SUITES[*]})" >&2
  exit 2
}

# stage SUITE OUT: the GOPATH tree under OUT and Go's environment; sets pkg
# to the staged package's directory.
stage() {
  local suite="$1" out="$2" src="$2/gopath/src/syncscope"
  rm -rf "$src"
  mkdir -p "$src/gbench" "$src/hist" "$src/lockpeer" "$src/${suite}_go" "$out/cache"
  cp "$here/go/gbench/"* "$src/gbench/"
  cp "$here/go/hist/"*.go "$src/hist/"
  cp "$here/go/lockpeer/"* "$src/lockpeer/"
  cp "$suites_dir/$suite/go/"* "$src/${suite}_go/"
  export GOCACHE="$out/cache" GOPATH="$out/gopath:/usr/share/gocode" GOENV=off \
    GOTOOLCHAIN=local GOPROXY=off GOFLAGS= CGO_ENABLED=0 GO111MODULE=off
  pkg="$src/${suite}_go"
}

# A peer with a histogram side file (SUITE_hist.json): starvation.
has_hist() { [ "$1" = starvation ] && echo yes || echo no; }

# run.sh starts this script through spawn_owned (its own session, signals at
# their defaults); what it starts dies with it (parent-death signal), so an
# interrupted run leaves no `go build` or peer binary behind.
owned() { setpriv --pdeathsig KILL -- "$@"; }

# build_peer SUITE BUILD_DIR (absolute): the peer built offline; sets bin.
# Its messages go to stderr (a prepare step's stdout is its one line).
build_peer() {
  local out="$2/suites/$1/go-peer"
  stage "$1" "$out"
  echo "$1 peer: $(go version), building $suites_dir/$1/go (GOPATH mode)" >&2
  (cd "$pkg" && owned go build -o "$out/${1}_go" .)
  bin="$out/${1}_go"
}

case "${1:-}" in
  -h|--help) peer_usage; exit 0 ;;
  --test)
    if [ $# -ne 3 ]; then
      echo "error: --test takes SUITE BUILD_DIR (got $(($# - 1)) arguments)" >&2
      exit 2
    fi
    check_suite "$2"
    [ -d "$3" ] || { echo "error: build directory '$3' does not exist (valid: the CMake build directory of the suites)" >&2; exit 2; }
    command -v go >/dev/null 2>&1 || { echo "error: no 'go' on PATH (./run.sh setup installs golang-go)" >&2; exit 1; }
    build="$(cd "$3" && pwd)"
    stage "$2" "$build/suites/$2/go-peer-test"
    cd "$pkg" && exec go test -count=1 syncscope/gbench syncscope/hist syncscope/lockpeer .
    ;;
  --prepare)
    shift
    [ $# -ge 1 ] || { echo "error: --prepare takes SUITE RUN_TMP_DIR PROFILE BUILD_DIR (got 0 arguments)" >&2; exit 2; }
    check_suite "$1"
    suite="$1"
    peer_prepare_args "$@"
    if ! command -v go >/dev/null 2>&1; then
      echo "$suite prepare: no 'go' on PATH: no Go peer (./run.sh setup installs golang-go)" >&2
      exit 0
    fi
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    build_peer "$suite" "$build"
    peer_serve_line "$suite" "$bin" "$run" "$profile" "$(has_hist "$suite")"
    exit 0
    ;;
esac

if [ $# -ne 4 ]; then
  echo "error: go_peer.sh takes SUITE RUN_TMP_DIR PROFILE BUILD_DIR (got $# arguments)" >&2
  exit 2
fi
suite="$1" run="$2" profile="$3" build="$4"
check_suite "$suite"
peer_check_run "$suite" "$run" "$profile" "$build"

peer_files "$suite" "$run"
merge_hist=()
[ "$(has_hist "$suite")" = no ] || merge_hist=(--peer-hist "$peer_hist")
# The peer's files go when this script does (set where they may exist: the
# absent path runs on a PATH that may lack rm).
cleanup() { trap 'rm -f "$peer_json" "$peer_json.tmp" "$peer_hist" "$peer_hist.tmp"' EXIT; }
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ -f "$peer_json" ]; then
  cleanup
  echo "$suite peer: served (each Go case ran right after its C++ twin): merging $peer_json"
  owned "$PY" "$merge" "$run" --suite "$suite" --peer go --peer-json "$peer_json" \
    ${merge_hist[@]+"${merge_hist[@]}"}
  echo "$suite peer: go_* entries merged into $suite.json"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  note="absent: no 'go' on PATH, Go's side of $suite not measured (./run.sh setup installs golang-go)"
  echo "$suite peer: Go runtime $note"
  "$PY" "$merge" "$run" --suite "$suite" --peer go --note "$note"
  exit 0
fi

cleanup
build="$(cd "$build" && pwd)"  # Go wants absolute GOCACHE / GOPATH
build_peer "$suite" "$build"
hist_args=()
[ "$(has_hist "$suite")" = no ] || hist_args=(-hist "$peer_hist")
cpus="$(nproc)"
echo "$suite peer: replaying $suite's cases with Go's runtime after the suite (GOMAXPROCS=$cpus, profile $profile)"
owned "$bin" -plan "$run/$suite.json" -out "$peer_json" -gomaxprocs "$cpus" -profile "$profile" \
  ${hist_args[@]+"${hist_args[@]}"}
owned "$PY" "$merge" "$run" --suite "$suite" --peer go --peer-json "$peer_json" \
  ${merge_hist[@]+"${merge_hist[@]}"}
echo "$suite peer: go_* entries merged into $suite.json"
