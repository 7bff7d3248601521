#!/bin/bash
# arch_direct_include_refused — the per-path headers refuse direct inclusion.
#
# Compiles (syntax only) one line `#include "<header>"` for every per-path
# header under primitives/arch and expects each to fail with the header's
# own "#error ... is internal: include <syncscope/arch/atomic.h>" message;
# as a control, `#include <syncscope/arch/atomic.h>` must compile.
#
# Usage: check_direct_include.sh CXX INCLUDE_DIR ARCH_DIR
#   CXX          the C++ compiler of the build (cross compilers work: nothing runs)
#   INCLUDE_DIR  primitives/include
#   ARCH_DIR     primitives/arch
# Exit status: 0 all refused and the control compiles, 1 otherwise, 2 bad usage.
set -euo pipefail

if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
if [[ $# -ne 3 ]]; then
  echo "usage: $0 CXX INCLUDE_DIR ARCH_DIR" >&2
  exit 2
fi
cxx=$1
include_dir=$2
arch_dir=$3
failures=0

compile() {  # SOURCE_LINE -> compiler output; status of the compiler
  printf '%s\n' "$1" | "$cxx" -std=c++20 -fsyntax-only -Wfatal-errors -I"$include_dir" -x c++ - 2>&1
}

if ! out=$(compile '#include <syncscope/arch/atomic.h>'); then
  echo "FAIL: the dispatch header does not compile on its own:"
  echo "$out"
  failures=$((failures + 1))
fi

headers=("$arch_dir"/portable/*.h "$arch_dir"/x86_64/*.h "$arch_dir"/aarch64/*.h)
for h in "${headers[@]}"; do
  name=$(basename "$h")
  if out=$(compile "#include \"$h\""); then
    echo "FAIL: $name compiled when included directly"
    failures=$((failures + 1))
  elif ! grep -q "$name is internal: include <syncscope/arch/atomic.h> instead" <<<"$out"; then
    echo "FAIL: $name failed without its refusal message:"
    echo "$out" | head -5
    failures=$((failures + 1))
  fi
done

if [[ $failures -ne 0 ]]; then
  echo "arch_direct_include_refused: $failures failure(s)"
  exit 1
fi
echo "arch_direct_include_refused: ${#headers[@]} per-path headers refuse direct inclusion"
