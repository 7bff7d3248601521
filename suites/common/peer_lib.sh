# shellcheck shell=bash
# suites/common/peer_lib.sh — sourced by the suites' peer scripts
# (suites/channels/peer.sh, suites/goroutines/peer.sh,
# suites/common/go_peer.sh): their help text and argument checks.

# peer_usage: the calling script's header comment (line 2 to `set -euo`).
peer_usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

# peer_check_run SUITE RUN_TMP_DIR PROFILE BUILD_DIR: bad values print one
# line naming the problem and exit 2.
peer_check_run() {
  case "$3" in
    quick|full) ;;
    *) echo "error: unknown profile '$3' (valid: quick, full)" >&2; exit 2 ;;
  esac
  [ -f "$2/$1.json" ] || { echo "error: '$2/$1.json' does not exist (valid: a run directory the $1 suite wrote)" >&2; exit 2; }
  [ -d "$4" ] || { echo "error: build directory '$4' does not exist (valid: the CMake build directory of the suites)" >&2; exit 2; }
}

# peer_args SUITE ARG...: a suite's peer.sh command line (RUN_TMP_DIR
# PROFILE BUILD_DIR, or -h / --help: the header, exit 0); sets run,
# profile and build. Bad usage: one line, exit 2.
peer_args() {
  local suite="$1"
  shift
  case "${1:-}" in
    -h|--help) peer_usage; exit 0 ;;
  esac
  if [ $# -ne 3 ]; then
    echo "error: peer.sh takes RUN_TMP_DIR PROFILE BUILD_DIR (got $# arguments)" >&2
    exit 2
  fi
  run="$1" profile="$2" build="$3"
  peer_check_run "$suite" "$run" "$profile" "$build"
}
