#!/usr/bin/env bash
# suites/distributed/prepare.sh — before the `distributed` suite: which Go
# peer the suite runs against each cluster it starts (README.md, "The Go peer
# hook").
#
# run.sh calls it before syncscope_distributed:
#   suites/distributed/prepare.sh RUN_TMP_DIR PROFILE BUILD_DIR
# and exports the KEY=VALUE lines it prints on stdout (only SYNCSCOPE_* keys)
# into the suite's environment:
#   * SYNCSCOPE_DISTRIBUTED_PEER already set: printed as it is (a user's peer);
#   * else, when `go` is on PATH and the Go side's build script
#     suites/distributed/go/build.sh exists: that script builds the peer
#     offline into BUILD_DIR and prints its executable's path as its last line;
#     SYNCSCOPE_DISTRIBUTED_PEER=<that path> is printed (its exit 3 means the
#     Go toolchain or Debian's etcd client package is missing: no peer);
#   * else nothing: the suite records why there is no peer
#     (context key distributed_peer_go) and the plots say "no peer".
# A build script that fails is an error (exit 1). Bad usage: one line, exit 2.
set -euo pipefail

case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
# shellcheck source-path=SCRIPTDIR source=../common/peer_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common/peer_lib.sh"
peer_prepare_args distributed "$@"  # sets run, profile, build (absolute)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -n "${SYNCSCOPE_DISTRIBUTED_PEER:-}" ]; then
  echo "SYNCSCOPE_DISTRIBUTED_PEER=$SYNCSCOPE_DISTRIBUTED_PEER"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "distributed prepare: no 'go' on PATH: no Go peer (./run.sh setup installs golang-go)" >&2
  exit 0
fi
if [ ! -x "$here/go/build.sh" ]; then
  echo "distributed prepare: $here/go/build.sh is not there: no Go peer" >&2
  exit 0
fi
# build.sh: exit 0 and the path last; exit 3 when the Go toolchain or Debian's
# etcd client package is missing (no Go peer, the run goes on); else a failure.
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
rc=0
setpriv --pdeathsig KILL -- "$here/go/build.sh" "$build" >"$out" || rc=$?
if [ "$rc" -eq 3 ]; then
  echo "distributed prepare: $here/go/build.sh says the Go side is not installed: no Go peer" >&2
  exit 0
fi
if [ "$rc" -ne 0 ]; then
  echo "error: $here/go/build.sh failed (exit $rc)" >&2
  exit 1
fi
peer="$(tail -n 1 "$out")"
if [ -z "$peer" ] || [ ! -x "${peer%% *}" ]; then
  echo "error: $here/go/build.sh printed '$peer', not an executable" >&2
  exit 1
fi
echo "SYNCSCOPE_DISTRIBUTED_PEER=$peer"
