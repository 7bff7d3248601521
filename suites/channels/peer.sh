#!/usr/bin/env bash
# suites/channels/peer.sh — the Go runtime's side of the `channels` suite.
#
# run.sh calls it after syncscope_channels has written RUN_TMP_DIR/channels.json:
#   suites/channels/peer.sh RUN_TMP_DIR PROFILE BUILD_DIR
# When the suite served its Go peer (below) and the peer wrote
# RUN_TMP_DIR/.channels_go.json, it merges that (no build, no replay).
# Otherwise it builds the Go peer (suites/channels/go/, package main,
# standard library and suites/common/go/gbench, which go.mod's replace
# names: no download) with `go build` into BUILD_DIR/suites/channels/go-peer/,
# runs it on the cases impl:Chan ran (same names with impl:go_chan, same
# units, same repetitions: replayed after the suite). Either way its entries
# are merged into channels.json and its histograms into channels_hist.json
# (suites/common/peer_merge.py, atomic replace).
#
# suites/channels/prepare.sh (run.sh's prepare hook, before the suite) runs
#   suites/channels/peer.sh --prepare RUN_TMP_DIR PROFILE BUILD_DIR
# which builds the peer the same way and prints one line,
#   SYNCSCOPE_PEER=BIN -serve -out RUN_TMP_DIR/.channels_go.json
#     -hist RUN_TMP_DIR/.channels_go_hist.json -gomaxprocs N -profile P
# that run.sh exports to the suite: the suite runs the peer as its child and
# each go_chan case runs right after its Chan rows (served; the protocol:
# suites/common/go/gbench/serve.go). Its other output goes to stderr; no
# `go`: nothing printed.
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
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3
merge="$here/../common/peer_merge.py"
# A child that dies with this script (see above).
owned() { setpriv --pdeathsig KILL -- "$@"; }
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ "${1:-}" = --prepare ]; then
  peer_prepare_module channels yes "${@:2}"
  exit 0
fi

peer_args channels "$@"
build="$(cd "$build" && pwd)"  # Go wants absolute GOCACHE / GOPATH
peer_files channels "$run"
# The peer's files go when this script does (set where they may exist: the
# absent path runs on a PATH that may lack rm).
cleanup() { trap 'rm -f "$peer_json" "$peer_hist" "$peer_json.tmp" "$peer_hist.tmp"' EXIT; }

if [ -f "$peer_json" ]; then
  cleanup
  echo "channels peer: served (each go_chan case ran right after its Chan rows): merging $peer_json"
else
  if ! command -v go >/dev/null 2>&1; then
    note="absent: no 'go' on PATH, Go's channels not measured (./run.sh setup installs golang-go)"
    echo "channels peer: Go runtime $note"
    "$PY" "$merge" "$run" --suite channels --peer go --note "$note"
    exit 0
  fi
  cleanup
  peer_build_module channels "$build"
  cpus="$(nproc)"
  echo "channels peer: replaying impl:Chan's cases with goroutines after the suite (GOMAXPROCS=$cpus, profile $profile)"
  owned "$bin" -plan "$run/channels.json" -out "$peer_json" -hist "$peer_hist" \
    -gomaxprocs "$cpus" -profile "$profile"
fi
owned "$PY" "$merge" "$run" --suite channels --peer go --peer-json "$peer_json" --peer-hist "$peer_hist"
echo "channels peer: go_chan entries merged into channels.json and channels_hist.json"
