#!/usr/bin/env bash
# suites/starvation/peer.sh — Go's own sync.Mutex and sync.RWMutex on the `starvation` suite's
# cases (suites/starvation/go/, rows lock:go_sync_mutex, lock:go_sync_rwmutex). run.sh
# calls it after the suite:
#   suites/starvation/peer.sh RUN_TMP_DIR PROFILE BUILD_DIR
# When the suite served the peer (suites/starvation/prepare.sh gave it the
# command) it only merges what the peer wrote; otherwise it builds the
# peer and replays the suite's cases. The work is suites/common/go_peer.sh's
# (build offline, run, merge; a missing `go` is recorded and not an
# error); --help there says more.
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../common/go_peer.sh" starvation "$@"
