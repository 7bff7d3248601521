#!/usr/bin/env bash
# suites/goroutines/prepare.sh — run.sh's prepare hook for the `goroutines`
# suite: builds its Go peer and prints the SYNCSCOPE_PEER line that makes
# the suite serve it (suites/goroutines/peer.sh --prepare says how).
#   suites/goroutines/prepare.sh RUN_TMP_DIR PROFILE BUILD_DIR
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/peer.sh" --prepare "$@"
