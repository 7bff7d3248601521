#!/usr/bin/env bash
# syncscope — the single entry point. `./run.sh --help` lists everything.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
PY=/usr/bin/python3            # Debian's python with python3-matplotlib, never a PATH python
BUILD="$ROOT/build"
JOBS="${SYNCSCOPE_JOBS:-$(nproc 2>/dev/null || echo 2)}"
PROFILES=(quick full)

# Debian packages the project needs (./run.sh setup installs the missing ones).
PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libbenchmark-dev libgtest-dev googletest
  libhwloc-dev hwloc libpapi-dev nlohmann-json3-dev
  python3 python3-matplotlib python3-numpy
  g++-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user
  libabsl-dev libtbb-dev libboost-fiber-dev
  libconcurrentqueue-dev libreaderwriterqueue-dev golang-go golang-golang-x-sync-dev
  etcd-server etcd-client libgrpc++-dev protobuf-compiler-grpc protobuf-compiler libprotobuf-dev
  golang-etcd-server-dev  # go.etcd.io/etcd/clientv3 for the distributed suite's Go peer
  chromium  # plots/browser_test.py opens report.html and compare.html headless
)

usage() {
  cat <<'EOF'
syncscope — benchmark and characterise concurrency primitives.

Usage: ./run.sh [SUBCOMMAND] [FLAGS]

Subcommands:
  (none)        setup if needed, Release build, quick profile of every suite,
                plots and report.html; prints the run directory
  setup         install the missing Debian packages (as root), or print the
                exact apt-get command and exit 1
  test          setup if needed, then every test: native (ctest), a
                ThreadSanitizer build, and ARM64 under qemu-aarch64 with
                -cpu max (LSE) and -cpu cortex-a57 (LL/SC)
  bench         run suites and write a run directory (flags below)
  plots RUN_DIR (re)draw the PNGs and report.html of a run directory
  compare RUN_A RUN_B [RUN_C ...] [--out DIR]
                two or more runs side by side (e.g. x86-64, ARM64, a server):
                per benchmark the ratio to RUN_A with a Mann-Whitney U test
                over the repetitions ("~": not significant at alpha 0.05 or
                too few repetitions), per suite the geometric mean of the
                significant ratios, one table and figure per suite
  list          suites, their benchmarks, and the placement policies this
                machine supports
  help, --help  this text

bench flags:
  --suite NAME        a suite to run (repeatable; default: every suite)
  --profile P         quick (default) or full
  --placement P       none, compact, scatter, smt, cross, or all (default:
                      all); repeatable or comma-separated
  --threads LIST      comma-separated thread counts (default: the suite's sweep)
  --out DIR           parent directory of the run directory (default: results)
  --wait              if another run is measuring on this machine, wait for it
                      to finish instead of refusing
  --repetitions N     repetitions of every benchmark (1..1000; default: the
                      profile's, quick 3, full 10); at least 4 are needed for
                      compare's significance test, 8+ recommended
  --etcd-endpoints L  the `distributed` suite measures this etcd cluster
                      (host:port,...) instead of starting its own nodes
                      (also SYNCSCOPE_ETCD_ENDPOINTS)
  --quiet-wait S      before each suite, wait up to S seconds (0..86400) for
                      the machine to go quiet (other processes below 0.25 CPUs
                      over a 1 s sample); says when it did not and measures
                      anyway. Every suite records its noise either way (load
                      average, other processes' CPU time, steal time, its own
                      context switches: "syncscope_noise" in its JSON,
                      "noise" in context.json) and report.html marks the
                      disturbed ones; each benchmark also gets its own
                      window (noise_* fields of its rows, marked in the
                      report when disturbed) unless --interleave
  --interleave        interleave the repetitions of a suite's benchmarks in
                      random order (Google Benchmark's random interleaving):
                      drift spreads over every benchmark instead of marking
                      some, but then only each suite's noise window is
                      recorded, not each benchmark's (the report says so);
                      `distributed` always runs its cases grouped by cluster

One run measures at a time on a machine: a bench run holds a lock (flock on
SYNCSCOPE_LOCK_FILE) while its suites run; a second run refuses with one line
naming the other run (exit 75), or queues with --wait. A lock left by a
killed run is taken over. Builds, plots, compare and list take no lock.

Ctrl-C (SIGINT), SIGTERM or SIGHUP stops the run: every process it started
(suite binaries, peers, the build) is stopped (TERM, then KILL after 2 s),
the unfinished run directory is removed, and run.sh exits 130, 143 or 129
after one line. A run directory exists only for a run that completed.

Environment:
  SYNCSCOPE_JOBS         parallel build jobs (default: nproc)
  SYNCSCOPE_ATOMIC_PATH  force the atomic path: portable, x86_64, llsc, lse
  SYNCSCOPE_LOCK_FILE    the machine-wide run lock (default:
                         /run/lock/syncscope-run.lock, or /tmp/... if
                         /run/lock is not writable)
  SYNCSCOPE_ETCD_ENDPOINTS    the etcd cluster the `distributed` suite measures
                         (as --etcd-endpoints); unset: it starts its own nodes
  SYNCSCOPE_DISTRIBUTED_PEER  the command the `distributed` suite runs against
                         each cluster (default: the Go peer, when go is
                         installed; suites/distributed/README.md)
  SYNCSCOPE_PREBUILT     (for run.sh's own tests) a Release build directory
                         whose suites bench uses as they are: no build step

Exit status: 0 ok, 1 failure, 2 bad usage, 75 another run is measuring,
129/130/143 stopped by SIGHUP/SIGINT/SIGTERM.
Bad input prints one line naming the bad value and the valid ones and exits 2.
EOF
}

die_usage() { echo "error: $*" >&2; exit 2; }
is_tty() { [ -t 1 ]; }
log() { echo "==> $*"; }

join_by() { local IFS="$1"; shift; echo "$*"; }

in_list() {
  local x="$1"; shift
  local y
  for y in "$@"; do [ "$x" = "$y" ] && return 0; done
  return 1
}

# Suites are the folders of suites/ that have a CMakeLists.txt, except common.
discover_suites() {
  local d
  for d in "$ROOT"/suites/*/; do
    d="${d%/}"; d="${d##*/}"
    [ "$d" = common ] && continue
    [ -f "$ROOT/suites/$d/CMakeLists.txt" ] && echo "$d"
  done
}

# ---------------------------------------------------------------- setup
missing_packages() {
  local p missing=()
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  echo "${missing[*]:-}"
}

cmd_setup() {
  local missing
  missing="$(missing_packages)"
  if [ -z "$missing" ]; then
    echo "setup: every required Debian package is installed"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages: $missing" >&2
    echo "run as root: apt-get update && apt-get install -y $missing" >&2
    exit 1
  fi
  log "installing: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
}

# ---------------------------------------------------------------- builds
configure_build() {  # dir, cmake args...
  local dir="$1"; shift
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S "$ROOT" -B "$dir" -G Ninja "$@" >"$dir.configure.log" 2>&1 || {
      cat "$dir.configure.log" >&2; return 1; }
  else
    cmake "$dir" "$@" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log" >&2; return 1; }
  fi
}

build_release() {  # [targets...]
  mkdir -p "$BUILD"
  configure_build "$BUILD/release" -DCMAKE_BUILD_TYPE=Release
  ninja -C "$BUILD/release" -j "$JOBS" "$@"
}

RELEASE_DIR="$BUILD/release"  # bench: SYNCSCOPE_PREBUILT when set
suite_bin() { echo "$RELEASE_DIR/suites/$1/syncscope_$1"; }

# ---------------------------------------------------------------- test
TOTAL_PASSED=0
TOTAL_FAILED=0
STAGE_RESULTS=()

# Runs ctest in a build dir and adds its counts to the totals. The counts
# come from ctest's JUnit file (tests/ctest_counts.py), not from its console.
run_ctest() {  # label, build dir, extra env...
  local label="$1" dir="$2"; shift 2
  local junit="$dir/ctest-junit.xml" out rc counts passed=0 failed=0  # $dir is absolute
  log "tests: $label"
  rm -f "$junit"
  set +e
  out="$(env "$@" ctest --test-dir "$dir" --output-on-failure -j "$JOBS" --timeout 600 \
    --output-junit "$junit" 2>&1)"
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    # What each failed test printed (--output-on-failure puts it after the
    # test's status line), 80 lines at most per test: the last 40 lines
    # below are only the summary.
    echo "$out" | awk '/^ *[0-9]+\/[0-9]+ Test +#/ { show = ($0 !~ / Passed /); n = 0 } show && n++ < 80'
  fi
  echo "$out" | tail -n 40
  if counts="$("$PY" "$ROOT/tests/ctest_counts.py" "$junit")"; then
    read -r passed failed <<<"$counts"
  else
    failed=1  # ctest wrote no results: count the stage as one failure
  fi
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  if [ $((passed + failed)) -eq 0 ]; then failed=1; fi  # a stage that ran no test failed
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  STAGE_RESULTS+=("$label: $passed passed, $failed failed")
}

cmd_test() {
  [ $# -eq 0 ] || die_usage "unknown argument to test: '$1' (test takes no arguments)"
  ensure_setup
  local t0=$SECONDS
  mkdir -p "$BUILD"

  log "build: native Release"
  build_release
  run_ctest "native" "$BUILD/release"

  log "build: ThreadSanitizer"
  configure_build "$BUILD/tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNCSCOPE_SANITIZER=thread \
    -DSYNCSCOPE_BUILD_SUITES=OFF -DSYNCSCOPE_GTEST_FROM_SOURCE=ON
  ninja -C "$BUILD/tsan" -j "$JOBS"
  run_ctest "tsan" "$BUILD/tsan" TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"

  log "build: aarch64 (cross, runs under qemu-aarch64)"
  configure_build "$BUILD/arm64" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/aarch64-linux-gnu.cmake"
  ninja -C "$BUILD/arm64" -j "$JOBS"
  # Test lists discovered under one CPU model may differ under another
  # (LSE tests exist only where LSE does): rediscover for each run.
  find "$BUILD/arm64" -name '*_tests.cmake' -delete
  run_ctest "arm64 qemu -cpu max (LSE)" "$BUILD/arm64" QEMU_CPU=max SYNCSCOPE_EXPECT_LSE=1
  find "$BUILD/arm64" -name '*_tests.cmake' -delete
  run_ctest "arm64 qemu -cpu cortex-a57 (LL/SC)" "$BUILD/arm64" QEMU_CPU=cortex-a57 SYNCSCOPE_EXPECT_LSE=0

  echo
  echo "syncscope test summary ($((SECONDS - t0)) s):"
  local s
  for s in "${STAGE_RESULTS[@]}"; do echo "  $s"; done
  echo "syncscope: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
  [ "$TOTAL_FAILED" -eq 0 ]
}

ensure_setup() {
  local missing
  missing="$(missing_packages)"
  [ -z "$missing" ] || cmd_setup
}

# ---------------------------------------------------------------- owned children
# Every process a run starts goes through spawn_owned, the shell's side of
# the one helper that owns child processes (ARCHITECTURE.md): suite
# binaries, peers (suites/<suite>/peer.sh), helper servers (etcd nodes), the
# build and the report. Call it with the command and its arguments, and the
# redirections it needs:
#
#   spawn_owned "$bin" --flag >"$log" 2>&1   # OWNED_PID is its pid
#   wait_owned "$OWNED_PID" || rc=$?         # its exit status; then whatever
#                                            # it left running is killed
#
# Each child
# - carries SYNCSCOPE_OWNED_BY=<run.sh pid>.<run.sh start time>.<n> in its
#   environment, and so does everything it starts: that tag, not a pid or a
#   process group id, is how run.sh finds what to stop. Pids are reused
#   quickly (pid_max can be 32768), and bash reaps a child as soon as it
#   exits, so a group id of an exited leader may already name a stranger's
#   group; the tag cannot.
# - runs in its own session (setsid): a Ctrl-C on the terminal reaches run.sh,
#   which stops the children itself, in order;
# - starts with SIGINT, SIGQUIT, SIGTERM and SIGHUP at their defaults
#   (background jobs of a non-interactive shell start with SIGINT and SIGQUIT
#   ignored: that is how a suite binary used to outlive a Ctrl-C);
# - gets SIGKILL if run.sh dies without cleaning up (kill -9): setpriv
#   --pdeathsig. A child with helpers of its own (peer.sh) starts them with
#   `setpriv --pdeathsig KILL` too;
# - does not inherit the run lock's descriptor, so the lock ends with run.sh.
# stop_owned (on SIGINT/SIGTERM/SIGHUP and on exit) sends TERM and CONT to
# every tagged process, waits up to RUN_GRACE_S seconds, then KILLs what is
# left. spawn_owned must run in run.sh's own shell, not in a subshell ($(...),
# a pipeline), or the child would not be in run.sh's list.
OWNED_PIDS=()
declare -A OWNED_TAG=()
OWNED_PID=""
OWNED_SEQ=0
OWNER_TOKEN=""
RUN_GRACE_S=2

owner_token() {  # this run.sh's pid and start time: unique on this machine since boot
  local st
  read -r st </proc/$$/stat
  st="${st##*) }"
  # shellcheck disable=SC2086
  set -- $st
  echo "$$.${20}"
}

spawn_owned() {  # command [args...]
  [ -n "$OWNER_TOKEN" ] || OWNER_TOKEN="$(owner_token)"
  OWNED_SEQ=$((OWNED_SEQ + 1))
  local tag="$OWNER_TOKEN.$OWNED_SEQ"
  if [ -n "${RUN_LOCK_FD:-}" ]; then
    setsid setpriv --pdeathsig KILL env --default-signal=INT,QUIT,TERM,HUP -- \
      "SYNCSCOPE_OWNED_BY=$tag" "$@" {RUN_LOCK_FD}>&- &
  else
    setsid setpriv --pdeathsig KILL env --default-signal=INT,QUIT,TERM,HUP -- \
      "SYNCSCOPE_OWNED_BY=$tag" "$@" &
  fi
  OWNED_PID=$!
  OWNED_PIDS+=("$OWNED_PID")
  OWNED_TAG[$OWNED_PID]="$tag"
}

# The pids of live processes whose tag matches the extended regex (zombies
# have an empty environment and are not listed).
tagged_pids() {  # regex for the tag
  local f pids=()
  while IFS= read -r f; do
    f="${f#/proc/}"
    pids+=("${f%/environ}")
  done < <(grep -lzxE -- "SYNCSCOPE_OWNED_BY=$1" /proc/[0-9]*/environ 2>/dev/null || true)
  echo "${pids[*]:-}"
}

forget_owned() {  # pid
  local p kept=()
  for p in "${OWNED_PIDS[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  OWNED_PIDS=("${kept[@]}")
  unset "OWNED_TAG[$1]"
}

wait_owned() {  # pid: its exit status
  local rc=0 left tag="${OWNED_TAG[$1]}"
  wait "$1" || rc=$?
  # Anything the child left running goes with it.
  left="$(tagged_pids "${tag//./\\.}")"
  # shellcheck disable=SC2086
  [ -z "$left" ] || kill -KILL $left 2>/dev/null || true
  forget_owned "$1"
  return "$rc"
}

owned_running() {  # pid: true while the child has not exited
  local p
  for p in $(jobs -rp); do [ "$p" = "$1" ] && return 0; done
  return 1
}

stop_owned() {
  [ -n "$OWNER_TOKEN" ] || return 0
  local p left deadline=$((SECONDS + RUN_GRACE_S + 1)) mine="${OWNER_TOKEN//./\\.}\\.[0-9]+"
  left="$(tagged_pids "$mine")"
  if [ -n "$left" ]; then
    # shellcheck disable=SC2086
    kill -TERM $left 2>/dev/null || true
    # shellcheck disable=SC2086
    kill -CONT $left 2>/dev/null || true  # a stopped process acts on TERM only once continued
    while left="$(tagged_pids "$mine")"; [ -n "$left" ] && [ "$SECONDS" -lt "$deadline" ]; do
      sleep 0.1
    done
    # shellcheck disable=SC2086
    [ -z "$left" ] || kill -KILL $left 2>/dev/null || true
  fi
  for p in "${OWNED_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  OWNED_PIDS=()
  OWNED_TAG=()
}

# ---------------------------------------------------------------- run lock
# One measuring run per machine: flock on RUN_LOCK_FILE, held from the first
# suite to the end of the last. The kernel drops the lock when run.sh exits,
# however it exits (children do not inherit the descriptor), so a killed run
# leaves no lock behind; its file still names it, and the next run says it
# takes over. The file's one line: "pid PID, run RUN_ID, started UTC, in DIR".
RUN_LOCK_FILE=""
RUN_LOCK_FD=""
RUN_LOCK_HELD=0

default_lock_file() {
  if [ -n "${SYNCSCOPE_LOCK_FILE:-}" ]; then echo "$SYNCSCOPE_LOCK_FILE"
  elif [ -d /run/lock ] && [ -w /run/lock ]; then echo /run/lock/syncscope-run.lock
  else echo "${TMPDIR:-/tmp}/syncscope-run.lock"
  fi
}

lock_holder() {  # the lock file's line, or a note that it is empty
  local line=""
  { read -r line <"$RUN_LOCK_FILE"; } 2>/dev/null || true
  echo "${line:-a run that has not written its name yet}"
}

acquire_run_lock() {  # run id, wait (0|1)
  local id="$1" wait="$2" line pid
  RUN_LOCK_FILE="$(default_lock_file)"
  # Created readable and writable by everyone: runs of other users share it.
  # Where the sticky /tmp forbids opening another user's file for writing
  # (fs.protected_regular), a read-only descriptor locks as well; the run's
  # line is then not written.
  [ -e "$RUN_LOCK_FILE" ] || (umask 000; : >>"$RUN_LOCK_FILE") 2>/dev/null || true
  if ! { exec {RUN_LOCK_FD}<>"$RUN_LOCK_FILE"; } 2>/dev/null &&
     ! exec {RUN_LOCK_FD}<"$RUN_LOCK_FILE"; then
    RUN_LOCK_FD=""
    echo "error: cannot open the run lock '$RUN_LOCK_FILE'" \
      "(set SYNCSCOPE_LOCK_FILE to a writable path)" >&2
    exit 1
  fi
  if ! flock -n "$RUN_LOCK_FD"; then
    if [ "$wait" -eq 0 ]; then
      echo "syncscope: another run is measuring on this machine ($(lock_holder));" \
        "not starting run $id (--wait queues; lock: $RUN_LOCK_FILE)" >&2
      exit 75
    fi
    echo "syncscope: waiting for the run measuring on this machine ($(lock_holder)) to finish"
    # Polled so that a signal is acted on within a second.
    until flock -n "$RUN_LOCK_FD"; do sleep 1; done
  fi
  RUN_LOCK_HELD=1
  line="$(lock_holder)"
  pid="${line#pid }"; pid="${pid%%,*}"
  if [[ "$pid" =~ ^[0-9]+$ ]] && [ "$pid" != $$ ] && [ ! -d "/proc/$pid" ]; then
    echo "syncscope: taking over the run lock left by a run that did not finish" \
      "($line; pid $pid is gone)"
  fi
  { printf 'pid %s, run %s, started %s, in %s\n' $$ "$id" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    "$ROOT" >"$RUN_LOCK_FILE"; } 2>/dev/null || true
}

release_run_lock() {
  [ -n "$RUN_LOCK_FD" ] || return 0
  if [ "$RUN_LOCK_HELD" -eq 1 ]; then
    : >"$RUN_LOCK_FILE" 2>/dev/null || true  # an empty file: nobody measures, nothing stale
    flock -u "$RUN_LOCK_FD" 2>/dev/null || true
    RUN_LOCK_HELD=0
  fi
  exec {RUN_LOCK_FD}>&-
  RUN_LOCK_FD=""
}

# ---------------------------------------------------------------- bench
RUN_TMP=""

cleanup_tmp() { [ -n "$RUN_TMP" ] && [ -d "$RUN_TMP" ] && rm -rf "$RUN_TMP"; RUN_TMP=""; }

# Removes the temporary directories of runs that were killed (kill -9, a
# crash): .tmp-<run id>, whose run id ends in the run's pid. Called with the
# run lock held.
remove_stale_tmp() {  # out dir
  local d pid
  for d in "$1"/.tmp-*; do
    [ -d "$d" ] || continue
    pid="${d##*-}"
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    [ "$pid" != $$ ] && [ ! -d "/proc/$pid" ] || continue
    rm -rf "$d"
    echo "syncscope: removed the unfinished directory of a killed run: $d"
  done
}

on_exit() {
  stop_owned
  [ -z "$CHECK_ERR" ] || rm -f "$CHECK_ERR"
  cleanup_tmp
  release_run_lock
}

on_signal() {  # signal name, exit status
  trap '' INT TERM HUP
  local tmp="$RUN_TMP"
  [ -z "${PROGRESS_LINE:-}" ] || printf '\r\033[K'
  stop_owned
  [ -z "$CHECK_ERR" ] || rm -f "$CHECK_ERR"
  cleanup_tmp
  release_run_lock
  if [ -n "$tmp" ]; then
    echo "syncscope: interrupted by SIG$1: stopped the run's processes and removed its" \
      "unfinished directory $tmp; no run directory was written" >&2
  else
    echo "syncscope: interrupted by SIG$1: stopped the run's processes" >&2
  fi
  exit "$2"
}

# Counts distinct benchmarks of `list` that appear in the console log.
benchmarks_done() {  # list file, log file
  awk 'function norm(s) { sub(/\/(real|manual)_time$/, "", s); return s }
       NR == FNR { want[norm($1)] = 1; next }
       { n = norm($1); if (n in want) seen[n] = 1 }
       END { c = 0; for (k in seen) c++; print c }' "$1" "$2" 2>/dev/null || echo 0
}

PROGRESS_LINE=""

run_suite() {  # index, count, suite, run dir, suite flags...
  local i="$1" n="$2" s="$3" dir="$4"; shift 4
  local bin list total pid rc=0 start=$SECONDS
  bin="$(suite_bin "$s")"
  if [ ! -x "$bin" ]; then
    echo "error: suite binary '$bin' is missing (build: ninja -C $RELEASE_DIR suites)" >&2
    return 1
  fi
  local peer="$ROOT/suites/$s/peer.sh" prep="$ROOT/suites/$s/prepare.sh" profile=quick a line
  for a in "$@"; do case "$a" in --profile=*) profile="${a#--profile=}" ;; esac; done
  # Prepare hook: an executable suites/<suite>/prepare.sh runs before the
  # suite as `prepare.sh RUN_TMP_DIR PROFILE BUILD_DIR`; the SYNCSCOPE_*=VALUE
  # lines it prints are exported to this suite alone (local -x: gone when
  # run_suite returns), e.g. the `distributed` suite's Go peer command, which
  # the suite runs against the etcd nodes it starts, or SYNCSCOPE_PEER, the
  # served Go peer the suite runs as its child (suites/common/go_peer.sh).
  # SYNCSCOPE_PEER names one suite's peer: none from the environment or an
  # earlier suite reaches a suite whose prepare step printed none.
  unset SYNCSCOPE_PEER
  if [ -x "$prep" ]; then
    spawn_owned "$prep" "$dir" "$profile" "$RELEASE_DIR" >"$dir/logs/$s.prepare" 2>>"$dir/logs/$s.log"
    if ! wait_owned "$OWNED_PID"; then
      echo "error: prepare step of suite '$s' failed; its log: $dir/logs/$s.log" >&2
      tail -n 20 "$dir/logs/$s.log" >&2
      return 1
    fi
    while IFS= read -r line; do
      case "$line" in SYNCSCOPE_[A-Z_]*=*) local -x "${line?}" ;; esac
    done <"$dir/logs/$s.prepare"
  fi
  list="$dir/logs/$s.list"
  spawn_owned "$bin" "$@" --benchmark_list_tests=true >"$list"
  wait_owned "$OWNED_PID" || { echo "error: suite '$s' cannot list its benchmarks" >&2; return 1; }
  total=$(wc -l <"$list")
  # >>: after what the prepare step said (the Go peer's build, ...).
  spawn_owned "$bin" "$@" --benchmark_out="$dir/$s.json" --benchmark_out_format=json \
    --benchmark_color=false >>"$dir/logs/$s.log" 2>&1
  pid=$OWNED_PID
  if is_tty; then
    PROGRESS_LINE=1
    while owned_running "$pid"; do
      printf '\r[%d/%d] %-12s %4s/%-4s benchmarks  %4ds elapsed' "$i" "$n" "$s" \
        "$(benchmarks_done "$list" "$dir/logs/$s.log")" "$total" $((SECONDS - start))
      sleep 1
    done
  fi
  wait_owned "$pid" || rc=$?
  if is_tty; then printf '\r\033[K'; PROGRESS_LINE=""; fi
  if [ "$rc" -ne 0 ]; then
    echo "error: suite '$s' failed (exit $rc); its log: $dir/logs/$s.log" >&2
    tail -n 20 "$dir/logs/$s.log" >&2
    return 1
  fi
  # Peer hook: an executable suites/<suite>/peer.sh runs after the suite as
  # `peer.sh RUN_TMP_DIR PROFILE BUILD_DIR` (e.g. the Go runtime's side of
  # `channels`); its failure is the suite's failure.
  if [ -x "$peer" ]; then
    spawn_owned "$peer" "$dir" "$profile" "$RELEASE_DIR" >>"$dir/logs/$s.log" 2>&1
    if ! wait_owned "$OWNED_PID"; then
      echo "error: peer of suite '$s' failed; its log: $dir/logs/$s.log" >&2
      tail -n 20 "$dir/logs/$s.log" >&2
      return 1
    fi
  fi
  echo "[$i/$n] $s: $total benchmarks in $((SECONDS - start)) s"
}

# Exit 2 with the harness's one line if a suite rejects the flags.
CHECK_ERR=""  # removed on exit
check_suite_flags() {  # suite, flags...
  local s="$1" rc=0; shift
  CHECK_ERR="$(mktemp)"
  spawn_owned "$(suite_bin "$s")" "$@" --benchmark_list_tests=true >/dev/null 2>"$CHECK_ERR"
  wait_owned "$OWNED_PID" || rc=$?
  if [ "$rc" -eq 2 ]; then head -n 1 "$CHECK_ERR" >&2; exit 2; fi
  rm -f "$CHECK_ERR"
  CHECK_ERR=""
}

is_endpoints() {  # "host:port[,host:port...]" with ports 1..65535
  local e
  [ -n "$1" ] || return 1
  for e in ${1//,/ }; do
    [[ "$e" =~ ^[A-Za-z0-9._-]+:([0-9]{1,5})$ ]] || return 1
    [ "$((10#${BASH_REMATCH[1]}))" -ge 1 ] && [ "$((10#${BASH_REMATCH[1]}))" -le 65535 ] || return 1
  done
  [[ "$1" != *,,* && "$1" != ,* && "$1" != *, ]]
}

is_uint() {  # value, min, max
  [[ "$1" =~ ^[0-9]{1,6}$ ]] && [ "$((10#$1))" -ge "$2" ] && [ "$((10#$1))" -le "$3" ]
}

# CPUs kept busy by everything on the machine over a 1 s sample (/proc/stat:
# user+nice+system+irq+softirq over all jiffies, times the CPU count). Between
# suites the run itself is idle but for the activity sampler, so this is the
# other processes' use. Sets BUSY_CPUS (spawn_owned needs run.sh's own shell:
# no $(...) around this function).
BUSY_CPUS=""
busy_cpus_1s() {
  local a b
  a="$(head -n 1 /proc/stat)"
  spawn_owned sleep 1
  wait_owned "$OWNED_PID" || true
  b="$(head -n 1 /proc/stat)"
  BUSY_CPUS="$(awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN {
    split(a, x); split(b, y)
    busy = (y[2]+y[3]+y[4]+y[7]+y[8]) - (x[2]+x[3]+x[4]+x[7]+x[8])
    total = 0; for (i = 2; i <= 9; i++) total += y[i] - x[i]
    printf "%.2f\n", (total > 0 ? busy / total * n : 0) }')"
}

QUIET_CPUS=0.25  # plots/common.py NOISE_FOREIGN_CPUS: the same threshold
wait_quiet() {  # seconds, suite, log file
  local limit="$1" s="$2" logf="$3" start=$SECONDS busy
  while :; do
    busy_cpus_1s
    busy="$BUSY_CPUS"
    if awk -v b="$busy" -v t="$QUIET_CPUS" 'BEGIN { exit !(b < t) }'; then
      echo "$s: quiet after $((SECONDS - start)) s (other processes: $busy CPUs)" >>"$logf"
      return 0
    fi
    if [ $((SECONDS - start)) -ge "$limit" ]; then
      echo "syncscope: the machine did not go quiet within $limit s before suite '$s'" \
        "(other processes: $busy CPUs, threshold $QUIET_CPUS); measuring anyway" >&2
      echo "$s: NOT quiet after $limit s (other processes: $busy CPUs)" >>"$logf"
      return 0
    fi
  done
}

cmd_bench() {
  local suites=() profile=quick placements=() threads="" out="$ROOT/results" wait_lock=0
  local repetitions="" quiet_wait="" interleave=0
  local all_suites
  mapfile -t all_suites < <(discover_suites)
  while [ $# -gt 0 ]; do
    case "$1" in
      --suite|--profile|--placement|--threads|--out)
        [ $# -ge 2 ] || die_usage "flag $1 needs a value"
        ;;&
      --suite) in_list "$2" "${all_suites[@]}" || die_usage "unknown suite '$2' (valid: $(join_by , "${all_suites[@]}"))"
               in_list "$2" "${suites[@]:-}" || suites+=("$2"); shift 2 ;;
      --suite=*) set -- --suite "${1#*=}" "${@:2}" ;;
      --profile) in_list "$2" "${PROFILES[@]}" || die_usage "unknown profile '$2' (valid: $(join_by , "${PROFILES[@]}"))"
                 profile="$2"; shift 2 ;;
      --profile=*) set -- --profile "${1#*=}" "${@:2}" ;;
      --placement) placements+=("$2"); shift 2 ;;
      --placement=*) set -- --placement "${1#*=}" "${@:2}" ;;
      --threads) threads="$2"; shift 2 ;;
      --threads=*) set -- --threads "${1#*=}" "${@:2}" ;;
      --out) out="$2"; shift 2 ;;
      --out=*) set -- --out "${1#*=}" "${@:2}" ;;
      --wait) wait_lock=1; shift ;;
      --interleave) interleave=1; shift ;;
      --etcd-endpoints) [ $# -ge 2 ] || die_usage "flag $1 needs a value"
                        is_endpoints "$2" || die_usage "bad --etcd-endpoints '$2' (valid: host:port[,host:port...], port 1-65535)"
                        export SYNCSCOPE_ETCD_ENDPOINTS="$2"; shift 2 ;;
      --etcd-endpoints=*) set -- --etcd-endpoints "${1#*=}" "${@:2}" ;;
      --repetitions|--quiet-wait) [ $# -ge 2 ] || die_usage "flag $1 needs a value" ;;&
      --repetitions) is_uint "$2" 1 1000 || die_usage "bad --repetitions '$2' (valid: an integer 1..1000)"
                     repetitions="$2"; shift 2 ;;
      --repetitions=*) set -- --repetitions "${1#*=}" "${@:2}" ;;
      --quiet-wait) is_uint "$2" 0 86400 || die_usage "bad --quiet-wait '$2' (valid: seconds, an integer 0..86400)"
                    quiet_wait="$2"; shift 2 ;;
      --quiet-wait=*) set -- --quiet-wait "${1#*=}" "${@:2}" ;;
      *) die_usage "unknown flag '$1' for bench (valid: --suite, --profile, --placement, --threads, --out, --wait, --repetitions, --quiet-wait, --interleave, --etcd-endpoints)" ;;
    esac
  done
  [ ${#suites[@]} -gt 0 ] || suites=("${all_suites[@]}")
  [ ${#suites[@]} -gt 0 ] || die_usage "no suites found under suites/"
  # The output directory must be creatable and writable before anything runs.
  if ! mkdir -p "$out" 2>/dev/null || [ ! -w "$out" ] || [ ! -d "$out" ]; then
    die_usage "--out '$out' is not a writable directory (valid: a directory you can write to)"
  fi
  out="$(cd "$out" && pwd)"
  if [ -n "${SYNCSCOPE_PREBUILT:-}" ] && [ ! -f "${SYNCSCOPE_PREBUILT}/build.ninja" ]; then
    die_usage "SYNCSCOPE_PREBUILT '$SYNCSCOPE_PREBUILT' is not a build directory (valid: a configured Release build, e.g. build/release)"
  fi

  # From here on, a signal stops everything the run started (on_signal).
  trap on_exit EXIT
  trap 'on_signal INT 130' INT
  trap 'on_signal TERM 143' TERM
  trap 'on_signal HUP 129' HUP

  if [ -n "${SYNCSCOPE_PREBUILT:-}" ]; then
    RELEASE_DIR="$(cd "$SYNCSCOPE_PREBUILT" && pwd)"
  else
    ensure_setup
    log "build: Release (suites)"
    mkdir -p "$BUILD"
    configure_build "$BUILD/release" -DCMAKE_BUILD_TYPE=Release
    spawn_owned ninja -C "$BUILD/release" -j "$JOBS" suites >"$BUILD/release.build.log" 2>&1
    wait_owned "$OWNED_PID" || { tail -n 40 "$BUILD/release.build.log" >&2; exit 1; }
  fi

  # The suites' harness owns --placement and --threads: it judges them
  # (one line naming the bad value and the valid ones, exit 2) before
  # anything is measured.
  local flags=("--profile=$profile")
  [ ${#placements[@]} -eq 0 ] || flags+=("--placement=$(join_by , "${placements[@]}")")
  [ -z "$threads" ] || flags+=("--threads=$threads")
  [ -z "$repetitions" ] || flags+=("--benchmark_repetitions=$repetitions")
  check_suite_flags "${suites[0]}" "${flags[@]}"
  # A given etcd cluster must answer before anything is measured (the suite
  # says so in one line and exits 2).
  if [ -n "${SYNCSCOPE_ETCD_ENDPOINTS:-}" ] && in_list distributed "${suites[@]}"; then
    check_suite_flags distributed "${flags[@]}"
  fi

  # Unique even for two runs started in the same second: the pid is part of
  # the id (and remove_stale_tmp reads it back).
  local run_id host arch
  host="$(hostname -s 2>/dev/null || echo host)"
  arch="$(uname -m)"
  run_id="$host-$arch-$(date -u +%Y%m%dT%H%M%SZ)-$$"
  local started t0=$SECONDS
  started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

  acquire_run_lock "$run_id" "$wait_lock"
  remove_stale_tmp "$out"
  RUN_TMP="$out/.tmp-$run_id"
  mkdir "$RUN_TMP" || { echo "error: cannot create '$RUN_TMP'" >&2; exit 1; }
  mkdir "$RUN_TMP/logs"
  local measure_start measure_end
  measure_start="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

  # What else runs on the machine while this run measures (context.json's
  # concurrent_activity).
  local sampler
  spawn_owned "$RELEASE_DIR/hw/syncscope-hwinfo" activity --exclude-tree $$ --interval 5 \
    --out "$RUN_TMP/logs/activity.jsonl" 2>>"$RUN_TMP/logs/activity.err"
  sampler=$OWNED_PID

  log "run $run_id: profile $profile, suites: ${suites[*]}"
  local i=0 s
  for s in "${suites[@]}"; do
    i=$((i + 1))
    [ -z "$quiet_wait" ] || wait_quiet "$quiet_wait" "$s" "$RUN_TMP/logs/quiet_wait.log"
    local suite_flags=("${flags[@]}")
    # distributed starts one etcd cluster at a time for its cases: never interleaved.
    [ "$interleave" -eq 0 ] || [ "$s" = distributed ] ||
      suite_flags+=("--benchmark_enable_random_interleaving=true")
    run_suite "$i" "${#suites[@]}" "$s" "$RUN_TMP" "${suite_flags[@]}"
  done
  measure_end="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  kill -TERM "$sampler" 2>/dev/null || true
  wait_owned "$sampler" || true
  release_run_lock

  local jsons=() duration=$((SECONDS - t0))
  for s in "${suites[@]}"; do jsons+=(--benchmark-json "$RUN_TMP/$s.json"); done
  "$RELEASE_DIR/hw/syncscope-hwinfo" context --out "$RUN_TMP/context.json" --profile "$profile" \
    --run-id "$run_id" --activity "$RUN_TMP/logs/activity.jsonl" "${jsons[@]}"
  "$PY" "$ROOT/plots/run_manifest.py" "$RUN_TMP" --run-id "$run_id" --profile "$profile" \
    --started "$started" --measuring-started "$measure_start" --measuring-finished "$measure_end" \
    --duration-s "$duration" --command "${SYNCSCOPE_COMMAND:-./run.sh bench}" "${suites[@]}"

  log "plots and report"
  spawn_owned "$PY" "$ROOT/plots/report.py" "$RUN_TMP" >"$RUN_TMP/logs/report.log" 2>&1
  wait_owned "$OWNED_PID" || { tail -n 20 "$RUN_TMP/logs/report.log" >&2; exit 1; }

  # mv -T: never into an existing directory of the same name.
  mv -T "$RUN_TMP" "$out/$run_id"
  RUN_TMP=""
  # Atomic update of `latest` (a new link renamed over the old one).
  ln -sfn "$run_id" "$out/.latest-$$"
  mv -T "$out/.latest-$$" "$out/latest"
  echo "run directory: $out/$run_id"
  echo "report:        $out/$run_id/report.html"
}

# ---------------------------------------------------------------- plots, compare, list
cmd_plots() {
  [ $# -eq 1 ] || die_usage "plots takes one RUN_DIR (got $# arguments)"
  [ -d "$1" ] || die_usage "run directory '$1' does not exist (valid: a directory under results/, e.g. results/latest)"
  exec "$PY" "$ROOT/plots/report.py" "$1"
}

cmd_compare() {
  local runs=() out=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --out) [ $# -ge 2 ] || die_usage "flag --out needs a value"; out="$2"; shift 2 ;;
      --out=*) out="${1#*=}"; shift ;;
      -*) die_usage "unknown flag '$1' for compare (valid: --out)" ;;
      *) runs+=("$1"); shift ;;
    esac
  done
  [ ${#runs[@]} -ge 2 ] || die_usage "compare needs RUN_A RUN_B [RUN_C ...] [--out DIR] (got ${#runs[@]} run directories)"
  local d names=()
  for d in "${runs[@]}"; do
    [ -d "$d" ] || die_usage "run directory '$d' does not exist (valid: directories under results/)"
    names+=("$(basename "$(cd "$d" && pwd)")")
  done
  if [ -z "$out" ]; then
    out="$ROOT/results/compare-${names[0]}"
    for d in "${names[@]:1}"; do out+="-vs-$d"; done
  fi
  exec "$PY" "$ROOT/plots/compare.py" "${runs[@]}" --out "$out"
}

cmd_list() {
  [ $# -eq 0 ] || die_usage "unknown argument to list: '$1' (list takes no arguments)"
  ensure_setup
  mkdir -p "$BUILD"
  build_release suites >"$BUILD/release.build.log" 2>&1 || { tail -n 40 "$BUILD/release.build.log" >&2; exit 1; }
  local s
  echo "Suites (quick profile benchmarks):"
  for s in $(discover_suites); do
    echo "  $s"
    "$(suite_bin "$s")" --profile=quick --benchmark_list_tests=true | sed 's/^/    /'
  done
  echo
  echo "Placement policies on this machine:"
  "$BUILD/release/hw/syncscope-hwinfo" policies | sed 's/^/  /'
}

cmd_default() {
  [ $# -eq 0 ] || die_usage "unknown subcommand '$1' (valid: setup, test, bench, plots, compare, list, help)"
  SYNCSCOPE_COMMAND="./run.sh" cmd_bench --profile quick
}

main() {
  local sub="${1:-}"
  [ $# -eq 0 ] || shift
  case "$sub" in
    "") cmd_default ;;
    help|-h|--help) usage ;;
    setup) [ $# -eq 0 ] || die_usage "unknown argument to setup: '$1' (setup takes no arguments)"; cmd_setup ;;
    test) cmd_test "$@" ;;
    bench) SYNCSCOPE_COMMAND="./run.sh bench $*" cmd_bench "$@" ;;
    plots) cmd_plots "$@" ;;
    compare) cmd_compare "$@" ;;
    list) cmd_list "$@" ;;
    *) die_usage "unknown subcommand '$sub' (valid: setup, test, bench, plots, compare, list, help)" ;;
  esac
}

main "$@"
