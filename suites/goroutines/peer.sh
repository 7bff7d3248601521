#!/usr/bin/env bash
# suites/goroutines/peer.sh — the Go runtime's side of the `goroutines` suite.
#
# Served (issue 11): suites/goroutines/prepare.sh (run.sh's prepare hook,
# before the suite) runs
#   suites/goroutines/peer.sh --prepare RUN_TMP_DIR PROFILE BUILD_DIR
# which builds the Go peer and prints one line,
#   SYNCSCOPE_PEER=<bin> -serve -out RUN/.goroutines_go.json -gomaxprocs N -profile P
# that run.sh exports to the suite alone: the suite runs the peer as its
# child and asks it, after each benchmark, for that benchmark's Go twin
# (suites/common/served_peer.h; go/main.go says which row each Go case
# twins), so each Go case runs right after its C++ twin.
#
# run.sh calls it after syncscope_goroutines has written RUN_TMP_DIR/goroutines.json:
#   suites/goroutines/peer.sh RUN_TMP_DIR PROFILE BUILD_DIR
# When the served peer's file is there it merges it; otherwise (a suite run
# without SYNCSCOPE_PEER) it builds the Go peer (suites/goroutines/go/,
# standard library and suites/common/go/gbench, which go.mod's replace
# names: no download) into BUILD_DIR/suites/goroutines/go-peer/, runs every
# case with Go's goroutines and chans (impl:go_runtime, impl:go_chan) and
# merges them into goroutines.json with the shared merge helper
# (suites/common/peer_merge.py).
#
# Go stays inside the build directory and offline (GOCACHE/GOPATH under
# BUILD_DIR, GOENV=off, GOTOOLCHAIN=local, GOPROXY=off, CGO_ENABLED=0).
# Without `go` it records why in the context key goroutines_peer_go and
# exits 0 (--prepare prints nothing); a Go that fails to build or run is an
# error (exit 1). Bad usage: one line naming the problem, exit 2.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../common/peer_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common/peer_lib.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# run.sh starts this script through spawn_owned; what it starts dies with it.
owned() { setpriv --pdeathsig KILL -- "$@"; }
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ "${1:-}" = --prepare ]; then
  peer_prepare_module goroutines no "${@:2}"
  exit 0
fi

peer_args goroutines "$@"
build="$(cd "$build" && pwd)"
merge=("/usr/bin/python3" "$here/../common/peer_merge.py" "$run" --suite goroutines --peer go)
peer_files goroutines "$run"
cleanup() { trap 'rm -f "$peer_json" "$peer_json.tmp"' EXIT; }

if [ -f "$peer_json" ]; then
  cleanup
  echo "goroutines peer: served (each Go case ran right after its C++ twin): merging $peer_json"
else
  if ! command -v go >/dev/null 2>&1; then
    note="absent: no 'go' on PATH, the Go runtime not measured (./run.sh setup installs golang-go)"
    echo "goroutines peer: Go runtime $note"
    "${merge[@]}" --note "$note"
    exit 0
  fi
  cleanup
  peer_build_module goroutines "$build"
  cpus="$(nproc)"
  echo "goroutines peer: running the cases with goroutines after the suite (GOMAXPROCS=$cpus, profile $profile)"
  owned "$bin" -out "$peer_json" -profile "$profile" -gomaxprocs "$cpus"
fi
owned "${merge[@]}" --peer-json "$peer_json"
echo "goroutines peer: impl:go_runtime and impl:go_chan entries merged into goroutines.json"
