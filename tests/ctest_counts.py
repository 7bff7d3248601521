#!/usr/bin/python3
"""Counts of a ctest run, from the JUnit XML `ctest --output-junit FILE` writes.

  ctest_counts.py FILE   prints "PASSED FAILED" and exits 0

run.sh's `test` adds these up into its last line, "syncscope: N passed, N
failed", which CI reads. A test passed when ctest ran it (status "run") and
reported no failure; a disabled test counts as neither; everything else
(failed, not run, timed out) counts as failed. A missing or unreadable FILE
(ctest itself failed) is one line on stderr and exit 1; bad usage exit 2.
"""

import sys
import xml.etree.ElementTree as ET


def counts(path):
    root = ET.parse(path).getroot()
    cases = root.iter("testcase")
    passed = failed = 0
    for case in cases:
        status = case.get("status", "")
        if status == "disabled":
            continue
        if status == "run" and case.find("failure") is None and case.find("error") is None:
            passed += 1
        else:
            failed += 1
    return passed, failed


def main(argv):
    if len(argv) != 1 or argv[0].startswith("-"):
        if argv[:1] in (["-h"], ["--help"]):
            print(__doc__.strip())
            return 0
        print("ctest_counts.py: needs exactly one FILE, got %s (valid: the path given to "
              "ctest --output-junit)" % (" ".join(repr(a) for a in argv) or "none"),
              file=sys.stderr)
        return 2
    try:
        passed, failed = counts(argv[0])
    except (OSError, ET.ParseError) as e:
        print("ctest_counts.py: cannot read JUnit file '%s': %s" % (argv[0], e), file=sys.stderr)
        return 1
    print(passed, failed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
