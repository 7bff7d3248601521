#!/usr/bin/env bash
# suites/distributed/go/build.sh — build the Go peer of the `distributed`
# suite offline and print its path.
#
#   suites/distributed/go/build.sh BUILD_DIR
#       build suites/distributed/go/ (package main) into
#       BUILD_DIR/suites/distributed/go-peer/distributed_go; the last line of
#       stdout is that executable's absolute path (exit 0). run.sh gives it to
#       the suite as SYNCSCOPE_DISTRIBUTED_PEER (suites/distributed/README.md).
#   suites/distributed/go/build.sh --test BUILD_DIR
#       stage the package as for a build and run its `go test` (no etcd needed)
#
# Built offline in GOPATH mode: GO111MODULE=off, GOPATH = a staging tree under
# BUILD_DIR (syncscope/gbench and syncscope/hist from suites/common/go/ and this package as
# syncscope/distributed_go, copied there) followed by /usr/share/gocode, where
# Debian's golang-etcd-server-dev puts go.etcd.io/etcd (clientv3,
# clientv3/concurrency, contrib/recipes) and its dependencies; GOCACHE under
# BUILD_DIR, GOENV=off, GOTOOLCHAIN=local, GOPROXY=off, GOFLAGS empty,
# CGO_ENABLED=0. The first build compiles clientv3 and gRPC (about 2 minutes
# on a loaded 2-core machine); later ones reuse GOCACHE.
#
# Exit 3 when the toolchain or the etcd client package is missing (one line
# says which and how to install it: the caller records "no Go peer" and goes
# on); 1 when the build fails; bad usage: one line, exit 2.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
test_mode=0
case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  --test) test_mode=1; shift ;;
esac
if [ $# -ne 1 ]; then
  echo "error: build.sh takes [--test] BUILD_DIR (got $# arguments)" >&2
  exit 2
fi
[ -d "$1" ] || { echo "error: build directory '$1' does not exist (valid: an existing directory, e.g. the CMake build directory)" >&2; exit 2; }
command -v go >/dev/null 2>&1 || { echo "error: no 'go' on PATH: Go's clientv3 not measured (./run.sh setup installs golang-go)" >&2; exit 3; }
etcd_src=/usr/share/gocode/src/go.etcd.io/etcd
if [ ! -d "$etcd_src/clientv3/concurrency" ] || [ ! -d "$etcd_src/contrib/recipes" ]; then
  echo "error: $etcd_src/clientv3 missing: Go's clientv3 not measured (./run.sh setup installs golang-etcd-server-dev)" >&2
  exit 3
fi

build="$(cd "$1" && pwd)"  # Go wants absolute GOCACHE / GOPATH
out="$build/suites/distributed/go-peer"
src="$out/gopath/src/syncscope"
rm -rf "$src"
mkdir -p "$src/gbench" "$src/hist" "$src/distributed_go" "$out/cache"
cp "$here/../../common/go/gbench/"*.go "$here/../../common/go/gbench/"*.s "$src/gbench/"
cp "$here/../../common/go/hist/"*.go "$src/hist/"
cp "$here/"*.go "$src/distributed_go/"
export GOCACHE="$out/cache" GOPATH="$out/gopath:/usr/share/gocode" GOENV=off GOTOOLCHAIN=local \
  GOPROXY=off GOFLAGS='' CGO_ENABLED=0 GO111MODULE=off
cd "$src/distributed_go"
if [ "$test_mode" = 1 ]; then
  exec go test -count=1 .
fi
# A child that dies with this script (run.sh's children do the same).
setpriv --pdeathsig KILL -- go build -o "$out/distributed_go" . >&2
echo "$out/distributed_go"
