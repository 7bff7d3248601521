#!/usr/bin/env bash
# suites/channels/prepare.sh — before the `channels` suite: build its Go
# peer (Go's chans, rows impl:go_chan) and print the command the suite runs
# it with as its child (SYNCSCOPE_PEER=...: each go_chan case then runs
# right after its Chan rows; suites/channels/peer.sh merges its rows after
# the suite). run.sh calls it before the suite:
#   suites/channels/prepare.sh RUN_TMP_DIR PROFILE BUILD_DIR
# The work is suites/channels/peer.sh --prepare's (no `go`: nothing
# printed, and peer.sh records why); --help there says more.
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/peer.sh" --prepare "$@"
