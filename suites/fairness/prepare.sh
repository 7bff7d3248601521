#!/usr/bin/env bash
# suites/fairness/prepare.sh — before the `fairness` suite: build its Go
# peer, Go's own sync.Mutex (rows lock:go_sync_mutex), and print the command
# the suite runs it with as its child (SYNCSCOPE_PEER=...: each Go case then
# runs right after the C++ benchmark it twins; suites/fairness/peer.sh
# merges its rows after the suite). run.sh calls it before the suite:
#   suites/fairness/prepare.sh RUN_TMP_DIR PROFILE BUILD_DIR
# The work is suites/common/go_peer.sh --prepare's (no `go`: nothing
# printed, and peer.sh records why); --help there says more.
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../common/go_peer.sh" --prepare fairness "$@"
