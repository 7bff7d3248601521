#!/usr/bin/python3
"""compare.py — two syncscope runs side by side (e.g. x86-64 next to ARM64).

Usage:  /usr/bin/python3 plots/compare.py RUN_A RUN_B --out DIR
        /usr/bin/python3 plots/compare.py --help

  RUN_A, RUN_B   run directories (results/<run-id>/), read only.
  --out DIR      where to write the comparison PNGs and compare.html
                 (created when missing; every file written is named
                 compare*, so it may even be one of the run directories).

For every suite that has a plot module with compare_figures() (atomics:
uncontended latency per op and path; c2c: latency by distance class) and data
in at least one of the runs: bars of A (solid) next to B (hatched), and a
table with the ratio B / A. compare.html also shows both machine contexts
side by side, differing values highlighted. Files are written to temp names
and renamed.

Exit codes: 0 ok; 1 written but a suite module failed; 2 bad usage or bad data,
with ONE line on stderr starting "error:".
"""

import argparse
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from common import DataError, RunSide, UsageError, flatten  # noqa: E402
from html_page import CSS, esc, failure_html, figure_html, table_html  # noqa: E402

USAGE = "usage: compare.py RUN_A RUN_B --out DIR"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2."""

    def error(self, message):
        raise UsageError("%s; %s" % (message, USAGE))


def parse_args(argv):
    p = _Parser(prog="compare.py", description=__doc__.split("\n\n", 2)[2],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_a", metavar="RUN_A", help="first run directory (solid bars)")
    p.add_argument("run_b", metavar="RUN_B", help="second run directory (hatched bars)")
    p.add_argument("--out", metavar="DIR", required=True,
                   help="output directory for compare_*.png and compare.html")
    return p.parse_args(argv)


def _side_label(run):
    host = common.ctx_get(run.context, "host", "hostname")
    arch = common.ctx_get(run.context, "arch", "architecture")
    bits = [str(x) for x in (host, arch) if x]
    label = run.label()
    if bits and not all(b in label for b in bits):
        label = "%s (%s)" % (label, ", ".join(bits))
    return label


def _context_table(run_a, run_b):
    fa, fb = dict(flatten(run_a.context)), dict(flatten(run_b.context))
    keys = list(fa) + [k for k in fb if k not in fa]
    if not keys:
        return "<p>Neither run has a context.json.</p>"
    rows = []
    for k in keys:
        a, b = fa.get(k, "—"), fb.get(k, "—")
        rows.append("<tr%s><td>%s</td><td>%s</td><td>%s</td></tr>"
                    % (' class="diff"' if a != b else "", esc(k), esc(a), esc(b)))
    return ("<table><tr><th>key</th><th>A</th><th>B</th></tr>%s</table>"
            % "".join(rows))


def build(run_a, run_b, out_dir):
    la, lb = _side_label(run_a), _side_label(run_b)
    if la == lb:
        la, lb = la + " [A]", lb + " [B]"
    modules, import_failures = common.suite_modules()
    failures = ["plot module suite_%s cannot be imported: %s" % kv
                for kv in import_failures.items()
                if kv[0] in run_a.suites or kv[0] in run_b.suites]
    sections = []
    for name, mod in modules.items():
        if not hasattr(mod, "compare_figures"):
            continue
        sa, sb = run_a.suites.get(name), run_b.suites.get(name)
        if sa is None and sb is None:
            continue
        side_a, side_b = RunSide(la, sa, run_a.context), RunSide(lb, sb, run_b.context)
        out = ["<h2 id=\"suite-%s\">%s</h2>" % (esc(name), esc(getattr(mod, "TITLE", name)))]
        for side, tag in ((sa, "A"), (sb, "B")):
            if side is None:
                out.append("<p>Run %s has no %s.json.</p>" % (tag, esc(name)))
        try:
            figs = mod.compare_figures(out_dir, side_a, side_b)
            for png, caption in figs:
                out.append(figure_html(png, caption))
            if not figs:
                out.append("<p>Nothing to compare: no data of the compared families.</p>")
            if hasattr(mod, "compare_tables"):
                for t in mod.compare_tables(side_a, side_b) or []:
                    out.append(table_html(t))
        except Exception as e:  # one broken module must not lose the rest
            msg = "plot module suite_%s failed: %s: %s" % (name, type(e).__name__, e)
            failures.append(msg)
            out.append(failure_html(msg))
        for side, tag in ((sa, "A"), (sb, "B")):
            if side is not None and side.errors:
                out.append("<p>Run %s: %d benchmark%s of %s.json errored or not honoured "
                           "(see that run's report.html).</p>"
                           % (tag, len(side.errors), "" if len(side.errors) == 1 else "s",
                              esc(name)))
        sections.append("\n".join(out))

    title = "syncscope comparison — A: %s vs B: %s" % (la, lb)
    parts = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
             "<title>%s</title><style>%s</style></head><body>" % (esc(title), CSS),
             "<h1>syncscope comparison</h1>",
             "<table><tr><th>A (solid bars)</th><td>%s</td><td><code>%s</code></td></tr>"
             "<tr><th>B (hatched bars)</th><td>%s</td><td><code>%s</code></td></tr></table>"
             % (esc(la), esc(os.path.abspath(run_a.path)), esc(lb),
                esc(os.path.abspath(run_b.path)))]
    for f in failures:
        parts.append("<div class=\"err\"><b>Comparison incomplete:</b> %s</div>" % esc(f))
    if not sections:
        parts.append("<p>No suite with a comparison exists in either run.</p>")
    parts.extend(sections)
    parts.append("<h2 id=\"context\">Machine contexts</h2>")
    parts.append("<details open><summary>context.json of A and B (differences "
                 "highlighted)</summary>%s</details>" % _context_table(run_a, run_b))
    parts.append("<footer>Generated by plots/compare.py at %s UTC.</footer></body></html>"
                 % datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S"))
    return "\n".join(parts) + "\n", failures


def main(argv):
    try:
        args = parse_args(argv)
        run_a = common.load_run(args.run_a)
        run_b = common.load_run(args.run_b)
        if os.path.exists(args.out) and not os.path.isdir(args.out):
            raise UsageError("--out '%s' exists and is not a directory; %s" % (args.out, USAGE))
        try:
            os.makedirs(args.out, exist_ok=True)
        except OSError as e:
            raise UsageError("cannot create --out '%s': %s" % (args.out, e.strerror or e))
        text, failures = build(run_a, run_b, args.out)
        common.write_text_atomic(os.path.join(args.out, "compare.html"), text)
    except (UsageError, DataError) as e:
        sys.stderr.write("error: %s\n" % " ".join(str(e).split()))
        return 2
    except OSError as e:
        sys.stderr.write("error: cannot write the comparison: %s\n" % (e.strerror or e))
        return 2
    for f in failures:
        sys.stderr.write("warning: %s\n" % f)
    print(os.path.join(args.out, "compare.html"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
