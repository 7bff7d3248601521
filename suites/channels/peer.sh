#!/usr/bin/env bash
# suites/channels/peer.sh — the Go runtime's side of the `channels` suite.
#
# run.sh calls it after syncscope_channels has written RUN_TMP_DIR/channels.json:
#   suites/channels/peer.sh RUN_TMP_DIR PROFILE BUILD_DIR
# It builds the Go peer (suites/channels/go/, package main, standard library
# and suites/common/go/gbench, which go.mod's replace names: no download)
# with `go build` into BUILD_DIR/suites/channels/go-peer/, runs it on
# the cases impl:Chan ran (same names with impl:go_chan, same units, same
# repetitions), and merges its entries into channels.json and its histograms
# into channels_hist.json (suites/common/peer_merge.py, atomic replace).
#
# Go stays inside the build directory and offline: GOCACHE and GOPATH live
# under BUILD_DIR, GOENV=off (no $HOME config), GOTOOLCHAIN=local,
# GOPROXY=off, GOFLAGS empty, CGO_ENABLED=0. GOMAXPROCS = the usable CPUs.
#
# run.sh starts it through spawn_owned: in its own session, so `go build`,
# its compilers and the Go peer are in peer.sh's process group and run.sh's
# stop (TERM to the group, then KILL) reaches them all; a signal ends
# peer.sh through its EXIT trap (temporary files removed) with 128+signal;
# and each child is started with `setpriv --pdeathsig KILL`, so that if
# peer.sh itself is killed (run.sh killed with -9) its children die with it.
#
# When `go` is absent it says so — a line in the log and the context key
# channels_peer_go — and exits 0: the suite's other results stand. A Go that
# is present but fails to build or run is an error (exit 1). Bad usage: one
# line naming the problem, exit 2.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../common/peer_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common/peer_lib.sh"
peer_args channels "$@"

build="$(cd "$build" && pwd)"  # Go wants absolute GOCACHE / GOPATH
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3
merge="$here/../common/peer_merge.py"

if ! command -v go >/dev/null 2>&1; then
  note="absent: no 'go' on PATH, Go's channels not measured (./run.sh setup installs golang-go)"
  echo "channels peer: Go runtime $note"
  "$PY" "$merge" "$run" --suite channels --peer go --note "$note"
  exit 0
fi

out="$build/suites/channels/go-peer"
mkdir -p "$out/cache" "$out/gopath"
export GOCACHE="$out/cache" GOPATH="$out/gopath" GOENV=off GOTOOLCHAIN=local GOPROXY=off \
  GOFLAGS='' CGO_ENABLED=0 GO111MODULE=on
echo "channels peer: $(go version), building $here/go"
# A child that dies with this script (see above).
owned() { setpriv --pdeathsig KILL -- "$@"; }
(cd "$here/go" && owned go build -o "$out/channels_go" .)

cpus="$(nproc)"
tmp_json="$run/.channels_go.json" tmp_hist="$run/.channels_go_hist.json"
trap 'rm -f "$tmp_json" "$tmp_hist" "$tmp_json.tmp" "$tmp_hist.tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
echo "channels peer: replaying impl:Chan's cases with goroutines (GOMAXPROCS=$cpus, profile $profile)"
owned "$out/channels_go" -plan "$run/channels.json" -out "$tmp_json" -hist "$tmp_hist" \
  -gomaxprocs "$cpus" -profile "$profile"
owned "$PY" "$merge" "$run" --suite channels --peer go --peer-json "$tmp_json" --peer-hist "$tmp_hist"
echo "channels peer: go_chan entries merged into channels.json and channels_hist.json"
