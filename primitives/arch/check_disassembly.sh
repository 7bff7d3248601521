#!/bin/bash
# arch_disassembly — pins the instructions each atomic path compiles to.
#
# Disassembles the probe objects (probe.h: one extern "C" function per
# path, operation, width and memory order) and checks, function by function,
# that each path contains its own instructions in the variant its order asks
# for, and no other path's: no path may silently compile into another (the
# Concurrency Kit lesson: an LSE file that no build noticed was broken).
#
#   x86_64   lock xadd, lock cmpxchg, xchg, mov (+ xchg for seq_cst stores),
#            mfence, pause; fetch_add/exchange/load/store identical,
#            instruction for instruction, to what GCC emits for std::atomic
#            (the portable probe), so benchmarks compare like with like.
#   llsc     ld(a)xr/st(l)xr loops with the variant per order, clrex on the
#            CAS failure path, ldr/ldar, str/stlr, dmb ishld/ish, yield;
#            no LSE instruction anywhere in the object.
#   lse      ldadd/cas/swp with the a/l/al suffix per order; no load/store
#            exclusive and no clrex anywhere in the object.
# No probe may call a helper (GCC's outline atomics) or add a stray barrier.
#
# Usage: check_disassembly.sh OBJDUMP ARCH OBJECT...
#   OBJDUMP  the objdump for the target (objdump, aarch64-linux-gnu-objdump)
#   ARCH     x86_64 | aarch64
#   OBJECT   the probe object files; their names contain probe_<path>
# Exit status: 0 all checks passed, 1 a check failed, 2 bad usage.
set -euo pipefail

usage() {
  echo "usage: $0 OBJDUMP x86_64|aarch64 OBJECT..." >&2
  exit 2
}
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
[[ $# -ge 3 ]] || usage
objdump=$1
arch=$2
shift 2
case "$arch" in
  x86_64 | aarch64) ;;
  *) echo "check_disassembly.sh: ARCH '$arch' is not valid; valid values: x86_64, aarch64" >&2; exit 2 ;;
esac

# "function<TAB>instruction" per line. Instructions are normalised to
# "mnemonic operands" (single spaces, no symbol annotations or comments) and
# each function is cut after its last ret, dropping the alignment padding
# (whose x86 two-byte nop reads "xchg %ax,%ax").
disassemble() {
  "$objdump" -d --no-show-raw-insn "$@" | awk '
    function flush(   i, n) {
      if (fn != "") {
        n = last_ret ? last_ret : count
        for (i = 1; i <= n; i++) print fn "\t" ins[i]
      }
      fn = ""; count = 0; last_ret = 0
    }
    /^[0-9a-f]+ <[^>]*>:$/ { flush(); fn = $2; gsub(/[<>:]/, "", fn); next }
    /^ *[0-9a-f]+:\t/ {
      if (fn == "") next
      line = $0
      sub(/^ *[0-9a-f]+:\t/, "", line)
      sub(/[ \t]*\/\/.*$/, "", line)
      sub(/[ \t]*#.*$/, "", line)
      gsub(/ <[^>]*>/, "", line)
      gsub(/[ \t]+/, " ", line)
      sub(/ $/, "", line)
      ins[++count] = line
      if (line ~ /^ret/) last_ret = count
      next
    }
    END { flush() }'
}

# CTest passes $<TARGET_OBJECTS:...> as one ;-separated argument.
objects=()
for arg in "$@"; do
  IFS=';' read -ra parts <<<"$arg"
  objects+=("${parts[@]}")
done
listing=$(disassemble "${objects[@]}")
checks=0
failures=0

# The instructions of each function, one per line, indexed by its name.
declare -A bodies=()
while IFS=$'\t' read -r fn insn; do
  [[ -n "$fn" ]] && bodies[$fn]+="$insn"$'\n'
done <<<"$listing"
body_of() { printf '%s' "${bodies[$1]-}"; }

report() {  # FUNCTION MESSAGE
  echo "FAIL: $1: $2"
  body_of "$1" | sed 's/^/    /'
  failures=$((failures + 1))
}

# require FUNCTION ERE: some instruction of FUNCTION matches ERE.
require() {
  checks=$((checks + 1))
  local body
  body=$(body_of "$1")
  if [[ -z "$body" ]]; then
    report "$1" "function missing from the probe objects"
  elif ! grep -Eq -- "$2" <<<"$body"; then
    report "$1" "no instruction matches /$2/"
  fi
}

# forbid FUNCTION ERE: no instruction of FUNCTION matches ERE.
forbid() {
  checks=$((checks + 1))
  if body_of "$1" | grep -Eq -- "$2"; then
    report "$1" "has an instruction matching /$2/"
  fi
}

# only FUNCTION FAMILY WANT: there is a WANT instruction and every
# instruction of the FAMILY is a WANT one (e.g. the ldxr/ldaxr family
# holds ldaxr only).
only() {
  require "$1" "$3"
  checks=$((checks + 1))
  if body_of "$1" | grep -E -- "$2" | grep -Evq -- "$3"; then
    report "$1" "has a /$2/ instruction that is not /$3/"
  fi
}

# same FUNCTION_A FUNCTION_B: identical instruction lists.
same() {
  checks=$((checks + 1))
  local a b
  a=$(body_of "$1")
  b=$(body_of "$2")
  if [[ -z "$a" || "$a" != "$b" ]]; then
    report "$1" "differs from $2:"
    body_of "$2" | sed "s/^/  $2: /"
  fi
}

# object_forbid OBJECT_NAME_PART ERE: no instruction of that object matches.
object_forbid() {
  checks=$((checks + 1))
  local obj found=0
  for obj in "${objects[@]}"; do
    [[ "$obj" == *"$1"* ]] || continue
    found=1
    if disassemble "$obj" | cut -f2 | grep -Eq -- "$2"; then
      echo "FAIL: $obj: has an instruction matching /$2/:"
      disassemble "$obj" | awk -F'\t' -v re="$2" '$2 ~ re { print "    " $1 ": " $2 }'
      failures=$((failures + 1))
    fi
  done
  if [[ $found -eq 0 ]]; then
    echo "FAIL: no probe object named *$1* among: ${objects[*]}"
    failures=$((failures + 1))
  fi
}
orders="relaxed acquire release acq_rel seq_cst"
# The acquire/release halves an order asks of an RMW: a, l, al or nothing.
rmw_suffix() {
  case "$1" in
    relaxed) echo "" ;;
    acquire) echo "a" ;;
    release) echo "l" ;;
    *) echo "al" ;;
  esac
}

if [[ "$arch" == x86_64 ]]; then
  for b in 32 64; do
    for o in $orders; do
      for path in x86_64 portable; do
        p=syncscope_probe_${path}
        require ${p}_fetch_add_${b}_${o} '^lock xadd '
        require ${p}_exchange_${b}_${o} '^xchg '
        require ${p}_cas_${b}_${o} '^lock cmpxchg '
        for op in fetch_add exchange cas; do
          forbid ${p}_${op}_${b}_${o} '^(mfence|lock or|call|jmp)'
        done
      done
      for op in fetch_add exchange; do
        same syncscope_probe_x86_64_${op}_${b}_${o} syncscope_probe_portable_${op}_${b}_${o}
      done
    done
    require syncscope_probe_x86_64_cas_${b}_relaxed_fail_acquire '^lock cmpxchg '
    for o in relaxed acquire seq_cst; do
      f=syncscope_probe_x86_64_load_${b}_${o}
      require $f '^mov \('
      forbid $f '^(lock|xchg|mfence|call|jmp)'
      same $f syncscope_probe_portable_load_${b}_${o}
    done
    for o in relaxed release; do
      f=syncscope_probe_x86_64_store_${b}_${o}
      require $f '^mov[lq]? [^,]+,\('
      forbid $f '^(lock|xchg|mfence|call|jmp)'
      same $f syncscope_probe_portable_store_${b}_${o}
    done
    f=syncscope_probe_x86_64_store_${b}_seq_cst
    require $f '^xchg '
    forbid $f '^(mfence|call|jmp)'
    same $f syncscope_probe_portable_store_${b}_seq_cst
  done
  require syncscope_probe_x86_64_fence_seq_cst '^mfence$'
  for o in acquire release acq_rel; do
    require syncscope_probe_x86_64_fence_${o} '^ret'
    forbid syncscope_probe_x86_64_fence_${o} '^(mfence|lock|xchg)'
  done
  require syncscope_probe_x86_64_pause '^pause$'
else
  lse_family='^(ld(add|clr|eor|set|smax|smin|umax|umin)|st(add|clr|eor|set|smax|smin|umax|umin)|swp|casp?)(a|l|al)?[bh]? '
  excl_family='^(ldx|ldax|stx|stlx)[a-z]* |^clrex'
  for b in 32 64; do
    for o in $orders relaxed_fail_acquire; do
      if [[ "$o" == relaxed_fail_acquire ]]; then
        ops="cas"; s="a"  # the failure order alone asks for the acquire
      else
        ops="fetch_add exchange cas"; s=$(rmw_suffix "$o")
      fi
      case "$s" in
        "") ld=ldxr; st=stxr ;;
        a) ld=ldaxr; st=stxr ;;
        l) ld=ldxr; st=stlxr ;;
        al) ld=ldaxr; st=stlxr ;;
      esac
      for op in $ops; do
        f=syncscope_probe_llsc_${op}_${b}_${o}
        only $f '^lda?xr ' "^$ld "
        only $f '^stl?xr ' "^$st "
        forbid $f "$lse_family"
        forbid $f '^(bl|dmb|dsb)'
      done
      [[ "$o" == relaxed_fail_acquire ]] || only syncscope_probe_lse_fetch_add_${b}_${o} '^ldadd(a|l|al)? ' "^ldadd$s "
      [[ "$o" == relaxed_fail_acquire ]] || only syncscope_probe_lse_exchange_${b}_${o} '^swp(a|l|al)? ' "^swp$s "
      only syncscope_probe_lse_cas_${b}_${o} '^cas(a|l|al)? ' "^cas$s "
      require syncscope_probe_llsc_cas_${b}_${o} '^clrex$'
      for op in $ops; do
        forbid syncscope_probe_lse_${op}_${b}_${o} "$excl_family"
        forbid syncscope_probe_lse_${op}_${b}_${o} '^(bl|dmb|dsb)'
      done
    done
    for path in llsc lse; do
      p=syncscope_probe_${path}
      only ${p}_load_${b}_relaxed '^(ldr|ldar) ' '^ldr '
      only ${p}_load_${b}_acquire '^(ldr|ldar) ' '^ldar '
      only ${p}_load_${b}_seq_cst '^(ldr|ldar) ' '^ldar '
      only ${p}_store_${b}_relaxed '^(str|stlr) ' '^str '
      only ${p}_store_${b}_release '^(str|stlr) ' '^stlr '
      only ${p}_store_${b}_seq_cst '^(str|stlr) ' '^stlr '
      for f in ${p}_load_${b}_{relaxed,acquire,seq_cst} ${p}_store_${b}_{relaxed,release,seq_cst}; do
        forbid $f '^(bl|dmb|dsb)'
      done
    done
  done
  for path in llsc lse; do
    p=syncscope_probe_${path}
    require ${p}_fence_acquire '^dmb ishld$'
    for o in release acq_rel seq_cst; do
      require ${p}_fence_${o} '^dmb ish$'
      forbid ${p}_fence_${o} '^dmb ishld'
    done
    require ${p}_pause '^yield$'
  done
  # Whole objects, not only the probe functions: no path leaks into another.
  object_forbid probe_llsc "$lse_family"
  object_forbid probe_lse "$excl_family"
fi

if [[ $failures -ne 0 ]]; then
  echo "arch_disassembly ($arch): $failures of $checks checks FAILED"
  exit 1
fi
echo "arch_disassembly ($arch): all $checks checks passed"
