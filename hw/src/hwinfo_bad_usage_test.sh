#!/bin/sh
# CTest hwinfo_bad_usage: the syncscope-hwinfo binary exits 2 with exactly one
# line on stderr, naming the bad value, for each kind of bad usage.
# Usage: hwinfo_bad_usage_test.sh PATH/TO/syncscope-hwinfo
set -eu
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

expect_usage_error() {  # NEEDLE ARGS...
  needle=$1
  shift
  set +e
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  set -e
  nlines=$(wc -l <"$tmp/err")
  if [ "$rc" -ne 2 ] || [ "$nlines" -ne 1 ] || ! grep -qF -- "$needle" "$tmp/err"; then
    echo "FAIL: syncscope-hwinfo $*: exit $rc, $nlines stderr lines (want 2, 1 line naming '$needle'):"
    cat "$tmp/err"
    failures=$((failures + 1))
  else
    echo "ok: syncscope-hwinfo $* -> 2: $(cat "$tmp/err")"
  fi
}

expect_usage_error "missing command"
expect_usage_error "'frobnicate'" frobnicate
expect_usage_error "'sideways'" plan sideways 4
expect_usage_error "none, compact, scatter, smt, cross" plan sideways 4
expect_usage_error "'0'" plan compact 0
expect_usage_error "'abc'" plan compact abc
expect_usage_error "POLICY and N" plan compact
expect_usage_error "'--bogus'" context --bogus
expect_usage_error "'extra'" policies extra
expect_usage_error "'slow'" context --profile slow
expect_usage_error "--exclude-tree" activity
expect_usage_error "'x1'" activity --exclude-tree x1
expect_usage_error "--out" activity --exclude-tree 1 --interval 5

# And good usage exits 0.
if ! "$bin" policies >/dev/null; then
  echo "FAIL: syncscope-hwinfo policies did not exit 0"
  failures=$((failures + 1))
fi
exit "$failures"
