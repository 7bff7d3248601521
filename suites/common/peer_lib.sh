# shellcheck shell=bash
# suites/common/peer_lib.sh — sourced by the suites' peer and prepare scripts
# (suites/channels/peer.sh, suites/goroutines/peer.sh,
# suites/common/go_peer.sh): their help text, argument checks and the
# served peer's command line (peer_serve_line).

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

# peer_prepare_args SUITE ARG...: a prepare step's command line (RUN_TMP_DIR
# PROFILE BUILD_DIR; the suite has not run yet, so RUN_TMP_DIR need only
# exist); sets run (absolute), profile and build (absolute). Bad usage: one
# line, exit 2.
peer_prepare_args() {
  shift
  if [ $# -ne 3 ]; then
    echo "error: prepare.sh takes RUN_TMP_DIR PROFILE BUILD_DIR (got $# arguments)" >&2
    exit 2
  fi
  case "$2" in
    quick|full) ;;
    *) echo "error: unknown profile '$2' (valid: quick, full)" >&2; exit 2 ;;
  esac
  [ -d "$1" ] || { echo "error: run directory '$1' does not exist (valid: the run's temporary directory)" >&2; exit 2; }
  [ -d "$3" ] || { echo "error: build directory '$3' does not exist (valid: the CMake build directory of the suites)" >&2; exit 2; }
  run="$(cd "$1" && pwd)" profile="$2" build="$(cd "$3" && pwd)"
}

# peer_files SUITE RUN_TMP_DIR: the files a Go peer writes, served or
# replayed (RUN_TMP_DIR/.SUITE_go.json and .SUITE_go_hist.json), as
# peer_json and peer_hist. After the suite, peer_json already there means
# the peer was served: the peer script merges it (no replay); it removes
# both either way.
peer_files() {
  peer_json="$2/.$1_go.json" peer_hist="$2/.$1_go_hist.json"
}

# peer_serve_line SUITE BIN RUN_TMP_DIR PROFILE HIST: print the prepare
# step's one stdout line, the command the suite runs its peer with
# (SYNCSCOPE_PEER=BIN -serve -out ... [-hist ...] -gomaxprocs N -profile P;
# HIST yes or no: whether the peer writes histograms), after removing any
# served files an earlier attempt left. The suite splits it on spaces: with
# a space in a path it prints nothing (the suite then runs unpaired and the
# peer replays after it) and says so on stderr.
peer_serve_line() {
  local suite="$1" bin="$2" run="$3" profile="$4" hist="$5" line
  peer_files "$suite" "$run"
  rm -f "$peer_json" "$peer_json.tmp" "$peer_hist" "$peer_hist.tmp"
  line="$bin -serve -out $peer_json"
  [ "$hist" = yes ] && line+=" -hist $peer_hist"
  line+=" -gomaxprocs $(nproc) -profile $profile"
  case "$bin$run" in
    *[[:space:]]*)
      echo "$suite prepare: a space in '$bin' or '$run': not served (the peer replays after the suite)" >&2
      return 0 ;;
  esac
  echo "SYNCSCOPE_PEER=$line"
}

# peer_build_module SUITE BUILD_DIR: builds suites/SUITE/go (a Go module whose
# go.mod replaces name this repository's suites/common/go packages: no
# download) into BUILD_DIR/suites/SUITE/go-peer/SUITE_go and sets bin. Go
# stays inside the build directory and offline; the compilers get the
# parent-death signal; messages go to stderr (a prepare step's stdout is
# its one line).
peer_build_module() {
  local suite="$1" out="$2/suites/$1/go-peer" src
  src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../$suite/go" && pwd)"
  mkdir -p "$out/cache" "$out/gopath"
  export GOCACHE="$out/cache" GOPATH="$out/gopath" GOENV=off GOTOOLCHAIN=local GOPROXY=off \
    GOFLAGS='' CGO_ENABLED=0 GO111MODULE=on
  echo "$suite peer: $(go version), building $src" >&2
  (cd "$src" && setpriv --pdeathsig KILL -- go build -o "$out/${suite}_go" .)
  bin="$out/${suite}_go"
}

# peer_prepare_module SUITE HIST RUN_TMP_DIR PROFILE BUILD_DIR: a Go module
# peer's whole prepare step (peer.sh --prepare): checks the arguments, and
# without `go` says so on stderr and prints nothing (the suite runs
# unpaired, peer.sh records why); otherwise builds the module and prints
# the served line (HIST as peer_serve_line's).
peer_prepare_module() {
  local suite="$1" hist="$2"
  shift 2
  peer_prepare_args "$suite" "$@"
  if ! command -v go >/dev/null 2>&1; then
    echo "$suite prepare: no 'go' on PATH: no Go peer (./run.sh setup installs golang-go)" >&2
    return 0
  fi
  peer_build_module "$suite" "$build"
  peer_serve_line "$suite" "$bin" "$run" "$profile" "$hist"
}
