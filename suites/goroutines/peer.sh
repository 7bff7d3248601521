#!/usr/bin/env bash
# suites/goroutines/peer.sh — the Go runtime's side of the `goroutines` suite.
#
# run.sh calls it after syncscope_goroutines has written RUN_TMP_DIR/goroutines.json:
#   suites/goroutines/peer.sh RUN_TMP_DIR PROFILE BUILD_DIR
# It builds the Go peer (suites/goroutines/go/, standard library only) into
# BUILD_DIR/suites/goroutines/go-peer/, runs the suite's cases with Go's
# goroutines and chans (impl:go_runtime, impl:go_chan) and merges them into
# goroutines.json with the shared merge helper (suites/common/peer_merge.py).
#
# Go stays inside the build directory and offline (GOCACHE/GOPATH under
# BUILD_DIR, GOENV=off, GOTOOLCHAIN=local, GOPROXY=off, CGO_ENABLED=0).
# Without `go` it records why in the context key goroutines_peer_go and
# exits 0; a Go that fails to build or run is an error (exit 1). Bad usage:
# one line naming the problem, exit 2.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../common/peer_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common/peer_lib.sh"
peer_args goroutines "$@"

build="$(cd "$build" && pwd)"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
merge=("/usr/bin/python3" "$here/../common/peer_merge.py" "$run" --suite goroutines --peer go)
# run.sh starts this script through spawn_owned; what it starts dies with it.
owned() { setpriv --pdeathsig KILL -- "$@"; }
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if ! command -v go >/dev/null 2>&1; then
  note="absent: no 'go' on PATH, the Go runtime not measured (./run.sh setup installs golang-go)"
  echo "goroutines peer: Go runtime $note"
  "${merge[@]}" --note "$note"
  exit 0
fi

out="$build/suites/goroutines/go-peer"
mkdir -p "$out/cache" "$out/gopath"
export GOCACHE="$out/cache" GOPATH="$out/gopath" GOENV=off GOTOOLCHAIN=local GOPROXY=off \
  GOFLAGS= CGO_ENABLED=0 GO111MODULE=on
echo "goroutines peer: $(go version), building $here/go"
(cd "$here/go" && owned go build -o "$out/goroutines_go" .)

tmp_json="$run/.goroutines_go.json"
trap 'rm -f "$tmp_json"' EXIT
cpus="$(nproc)"
echo "goroutines peer: running the cases with goroutines (GOMAXPROCS=$cpus, profile $profile)"
owned "$out/goroutines_go" -out "$tmp_json" -profile "$profile" -gomaxprocs "$cpus"
owned "${merge[@]}" --peer-json "$tmp_json"
echo "goroutines peer: impl:go_runtime and impl:go_chan entries merged into goroutines.json"
