#!/usr/bin/env bash
# syncscope — the single entry point. `./run.sh --help` lists everything.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
PY=/usr/bin/python3            # Debian's python with python3-matplotlib, never a PATH python
BUILD="$ROOT/build"
JOBS="${SYNCSCOPE_JOBS:-$(nproc 2>/dev/null || echo 2)}"
POLICIES=(none compact scatter smt cross)
PROFILES=(quick full)

# Debian packages the project needs (./run.sh setup installs the missing ones).
PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libbenchmark-dev libgtest-dev googletest
  libhwloc-dev hwloc libpapi-dev nlohmann-json3-dev
  python3 python3-matplotlib python3-numpy
  g++-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user
  libabsl-dev libtbb-dev libboost-fiber-dev
  libconcurrentqueue-dev libreaderwriterqueue-dev golang-go
  etcd-server etcd-client libgrpc++-dev protobuf-compiler-grpc protobuf-compiler libprotobuf-dev
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
  compare RUN_A RUN_B [--out DIR]
                side-by-side figures of two runs (e.g. x86-64 next to ARM64)
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

Environment:
  SYNCSCOPE_JOBS         parallel build jobs (default: nproc)
  SYNCSCOPE_ATOMIC_PATH  force the atomic path: portable, x86_64, llsc, lse

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

suite_bin() { echo "$BUILD/release/suites/$1/syncscope_$1"; }

# ---------------------------------------------------------------- test
TOTAL_PASSED=0
TOTAL_FAILED=0
STAGE_RESULTS=()

# Runs ctest in a build dir and adds its counts to the totals.
run_ctest() {  # label, build dir, extra env...
  local label="$1" dir="$2"; shift 2
  local out rc passed failed total
  log "tests: $label"
  set +e
  out="$(env "$@" ctest --test-dir "$dir" --output-on-failure -j "$JOBS" --timeout 600 2>&1)"
  rc=$?
  set -e
  echo "$out" | tail -n 40
  total="$(echo "$out" | sed -n 's/.*tests failed out of \([0-9]\+\).*/\1/p' | tail -n1)"
  failed="$(echo "$out" | sed -n 's/.*, \([0-9]\+\) tests failed out of.*/\1/p' | tail -n1)"
  if [ -z "$total" ]; then total=0; failed=1; fi
  passed=$((total - failed))
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
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

# ---------------------------------------------------------------- bench
RUN_TMP=""
cleanup_tmp() { [ -n "$RUN_TMP" ] && [ -d "$RUN_TMP" ] && rm -rf "$RUN_TMP"; RUN_TMP=""; }

# Counts distinct benchmarks of `list` that appear in the console log.
benchmarks_done() {  # list file, log file
  awk 'function norm(s) { sub(/\/(real|manual)_time$/, "", s); return s }
       NR == FNR { want[norm($1)] = 1; next }
       { n = norm($1); if (n in want) seen[n] = 1 }
       END { c = 0; for (k in seen) c++; print c }' "$1" "$2" 2>/dev/null || echo 0
}

run_suite() {  # index, count, suite, run dir, suite flags...
  local i="$1" n="$2" s="$3" dir="$4"; shift 4
  local bin list total pid rc start=$SECONDS
  bin="$(suite_bin "$s")"
  list="$dir/logs/$s.list"
  "$bin" "$@" --benchmark_list_tests=true >"$list"
  total=$(wc -l <"$list")
  "$bin" "$@" --benchmark_out="$dir/$s.json" --benchmark_out_format=json --benchmark_color=false \
    >"$dir/logs/$s.log" 2>&1 &
  pid=$!
  if is_tty; then
    while kill -0 "$pid" 2>/dev/null; do
      printf '\r[%d/%d] %-12s %4s/%-4s benchmarks  %4ds elapsed' "$i" "$n" "$s" \
        "$(benchmarks_done "$list" "$dir/logs/$s.log")" "$total" $((SECONDS - start))
      sleep 1
    done
  fi
  set +e; wait "$pid"; rc=$?; set -e
  if is_tty; then printf '\r\033[K'; fi
  if [ "$rc" -ne 0 ]; then
    echo "error: suite '$s' failed (exit $rc); its log: $dir/logs/$s.log" >&2
    tail -n 20 "$dir/logs/$s.log" >&2
    return 1
  fi
  # Peer hook: an executable suites/<suite>/peer.sh runs after the suite as
  # `peer.sh RUN_TMP_DIR PROFILE BUILD_DIR` (e.g. the Go runtime's side of
  # `channels`); its failure is the suite's failure.
  local peer="$ROOT/suites/$s/peer.sh" profile=quick a
  for a in "$@"; do case "$a" in --profile=*) profile="${a#--profile=}" ;; esac; done
  if [ -x "$peer" ] && ! "$peer" "$dir" "$profile" "$BUILD/release" >>"$dir/logs/$s.log" 2>&1; then
    echo "error: peer of suite '$s' failed; its log: $dir/logs/$s.log" >&2
    tail -n 20 "$dir/logs/$s.log" >&2
    return 1
  fi
  echo "[$i/$n] $s: $total benchmarks in $((SECONDS - start)) s"
}

cmd_bench() {
  local suites=() profile=quick placements=() threads="" out="$ROOT/results"
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
      --placement)
        local p
        for p in ${2//,/ }; do
          in_list "$p" "${POLICIES[@]}" all || die_usage "unknown placement policy '$p' (valid: $(join_by , "${POLICIES[@]}"),all)"
          placements+=("$p")
        done
        shift 2 ;;
      --placement=*) set -- --placement "${1#*=}" "${@:2}" ;;
      --threads) [[ "$2" =~ ^[1-9][0-9]{0,3}(,[1-9][0-9]{0,3})*$ ]] || die_usage "bad --threads '$2' (valid: comma-separated integers 1..4096, e.g. 1,2,4)"
                 threads="$2"; shift 2 ;;
      --threads=*) set -- --threads "${1#*=}" "${@:2}" ;;
      --out) out="$2"; shift 2 ;;
      --out=*) set -- --out "${1#*=}" "${@:2}" ;;
      *) die_usage "unknown flag '$1' for bench (valid: --suite, --profile, --placement, --threads, --out)" ;;
    esac
  done
  [ ${#suites[@]} -gt 0 ] || suites=("${all_suites[@]}")
  [ ${#suites[@]} -gt 0 ] || die_usage "no suites found under suites/"
  # The output directory must be creatable and writable before anything runs.
  if ! mkdir -p "$out" 2>/dev/null || [ ! -w "$out" ] || [ ! -d "$out" ]; then
    die_usage "--out '$out' is not a writable directory (valid: a directory you can write to)"
  fi
  out="$(cd "$out" && pwd)"

  ensure_setup
  log "build: Release (suites)"
  mkdir -p "$BUILD"
  build_release suites >"$BUILD/release.build.log" 2>&1 || { tail -n 40 "$BUILD/release.build.log" >&2; exit 1; }

  local run_id host arch
  host="$(hostname -s 2>/dev/null || echo host)"
  arch="$(uname -m)"
  run_id="$host-$arch-$(date -u +%Y%m%dT%H%M%SZ)"
  RUN_TMP="$out/.tmp-$run_id"
  trap cleanup_tmp EXIT
  trap 'cleanup_tmp; exit 130' INT TERM
  mkdir -p "$RUN_TMP/logs"
  local started t0=$SECONDS
  started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

  local flags=("--profile=$profile")
  [ ${#placements[@]} -eq 0 ] || flags+=("--placement=$(join_by , "${placements[@]}")")
  [ -z "$threads" ] || flags+=("--threads=$threads")

  log "run $run_id: profile $profile, suites: ${suites[*]}"
  local i=0 s
  for s in "${suites[@]}"; do
    i=$((i + 1))
    run_suite "$i" "${#suites[@]}" "$s" "$RUN_TMP" "${flags[@]}"
  done

  "$BUILD/release/hw/syncscope-hwinfo" context --out "$RUN_TMP/context.json"
  "$PY" - "$RUN_TMP" "$profile" "$started" "$((SECONDS - t0))" "${suites[@]}" <<'PYEOF'
import json, os, subprocess, sys, datetime
run, profile, started, duration, suites = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
ctx_path = os.path.join(run, "context.json")
with open(ctx_path) as f:
    ctx = json.load(f)
# Google Benchmark's own build type and version, as the suites report them.
lib = {"name": "Google Benchmark"}
try:
    lib["version"] = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libbenchmark-dev"],
                                    capture_output=True, text=True).stdout.strip() or "unknown"
except OSError:
    lib["version"] = "unknown"
for s in suites:
    try:
        with open(os.path.join(run, s + ".json")) as f:
            c = json.load(f).get("context", {})
        lib["build_type"] = c.get("library_build_type", "unknown")
        break
    except (OSError, ValueError):
        continue
ctx["benchmark_library"] = lib
ctx["profile"] = profile
with open(ctx_path + ".new", "w") as f:
    json.dump(ctx, f, indent=2)
os.replace(ctx_path + ".new", ctx_path)
manifest = {
    "run_id": os.path.basename(run).removeprefix(".tmp-"),
    "profile": profile,
    "suites": suites,
    "started_utc": started,
    "finished_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "duration_s": duration,
    "command": os.environ.get("SYNCSCOPE_COMMAND", "./run.sh bench"),
}
with open(os.path.join(run, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=2)
PYEOF

  log "plots and report"
  "$PY" "$ROOT/plots/report.py" "$RUN_TMP" >"$RUN_TMP/logs/report.log"

  mv "$RUN_TMP" "$out/$run_id"
  RUN_TMP=""
  ln -sfn "$run_id" "$out/latest"
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
  [ $# -ge 2 ] || die_usage "compare needs RUN_A RUN_B [--out DIR] (got $# arguments)"
  local a="$1" b="$2"; shift 2
  local out=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --out) [ $# -ge 2 ] || die_usage "flag --out needs a value"; out="$2"; shift 2 ;;
      *) die_usage "unknown flag '$1' for compare (valid: --out)" ;;
    esac
  done
  local d
  for d in "$a" "$b"; do
    [ -d "$d" ] || die_usage "run directory '$d' does not exist (valid: directories under results/)"
  done
  [ -n "$out" ] || out="$ROOT/results/compare-$(basename "$(cd "$a" && pwd)")-vs-$(basename "$(cd "$b" && pwd)")"
  exec "$PY" "$ROOT/plots/compare.py" "$a" "$b" --out "$out"
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
