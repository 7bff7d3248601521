#!/usr/bin/env bash
# suites/overhead/peer.sh — Go's sync.Once, WaitGroup, Cond, context and x/sync on the
# `overhead` suite's cases
# (suites/overhead/go/, rows impl:go_...). run.sh calls it after the suite:
#   suites/overhead/peer.sh RUN_TMP_DIR PROFILE BUILD_DIR
# When the suite served the peer (suites/overhead/prepare.sh gave it the
# command) it only merges what the peer wrote; otherwise it builds the
# peer and replays the suite's cases. The work is suites/common/go_peer.sh's
# (build offline, run, merge; a missing `go` is recorded and not an
# error); --help there says more.
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../common/go_peer.sh" overhead "$@"
