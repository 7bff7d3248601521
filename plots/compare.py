#!/usr/bin/python3
"""compare.py — two or more syncscope runs side by side (e.g. x86-64 next to ARM64).

Usage:  /usr/bin/python3 plots/compare.py RUN_A RUN_B [RUN_C ...] --out DIR
        /usr/bin/python3 plots/compare.py --help

  RUN_A, RUN_B...  run directories (results/<run-id>/), read only; RUN_A is
                 the baseline every other run is divided by.
  --out DIR      where to write the comparison PNGs and compare.html
                 (created when missing; every file written is named
                 compare*, so it may even be one of the run directories).

For every suite that has a plot module with compare_figures() (atomics:
uncontended latency per op and path; c2c: latency by distance class) and data
in at least one of the runs: bars of A (solid) next to B (hatched), and a
table with the ratio B / A. compare.html also shows both machine contexts
side by side, differing values highlighted. Files are written to temp names
and renamed.

Significance, for every suite and every benchmark present in RUN_A and in at
least one other run: the ratio of median real time per operation (run / A) with
a Mann-Whitney U test over the repetitions of both (common.mann_whitney); "~"
marks a ratio that is not significant at alpha = 0.05 or whose repetitions are
too few to ever reach it (fewer than 4 + 4). Per suite: the geometric mean of
the significant ratios. One table (a column per run) and one figure
(compare_sig_<suite>.png) per suite, for any number of runs; the suite
modules' own A-vs-B figures are drawn when exactly two runs are compared.

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

USAGE = "usage: compare.py RUN_A RUN_B [RUN_C ...] --out DIR"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2."""

    def error(self, message):
        raise UsageError("%s; %s" % (message, USAGE))


def parse_args(argv):
    p = _Parser(prog="compare.py", description=__doc__.split("\n\n", 2)[2],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", metavar="RUN", nargs="+",
                   help="run directories; the first is the baseline (solid bars)")
    p.add_argument("--out", metavar="DIR", required=True,
                   help="output directory for compare_*.png and compare.html")
    args = p.parse_args(argv)
    if len(args.runs) < 2:
        raise UsageError("compare needs at least two run directories, got %d; %s"
                         % (len(args.runs), USAGE))
    return args


def _side_label(run):
    host = common.ctx_get(run.context, "host", "hostname")
    arch = common.ctx_get(run.context, "arch", "architecture")
    bits = [str(x) for x in (host, arch) if x]
    label = run.label()
    if bits and not all(b in label for b in bits):
        label = "%s (%s)" % (label, ", ".join(bits))
    return label


def _context_table(runs, labels):
    flat = [dict(flatten(r.context)) for r in runs]
    keys = []
    for f in flat:
        keys.extend(k for k in f if k not in keys)
    if not keys:
        return "<p>No run has a context.json.</p>"
    rows = []
    for k in keys:
        vals = [f.get(k, "—") for f in flat]
        rows.append("<tr%s><td>%s</td>%s</tr>"
                    % (' class="diff"' if len(set(map(str, vals))) > 1 else "", esc(k),
                       "".join("<td>%s</td>" % esc(v) for v in vals)))
    return ("<table><tr><th>key</th>%s</tr>%s</table>"
            % ("".join("<th>%s</th>" % esc(l) for l in labels), "".join(rows)))


MAX_FIGURE_ROWS = 40


def significance_rows(suites):
    """suites: [SuiteData or None], the first the baseline. Returns
    (names, ratios {k: [..]}, marks {k: [..]}, ps {k: [..]}) over the
    benchmarks of the baseline present in at least one other run."""
    base = suites[0]
    names, ratios, marks, ps = [], {}, {}, {}
    if base is None:
        return names, ratios, marks, ps
    for name, a in base.samples.items():
        if not any(s is not None and name in s.samples for s in suites[1:]):
            continue
        names.append(name)
        for k, s in enumerate(suites[1:], start=1):
            b = s.samples.get(name) if s is not None else None
            if not b:
                r, p, m = None, None, "~"
            else:
                ma = common.statistics.median(a)
                r = common.statistics.median(b) / ma if ma > 0 else None
                p, m = common.significance(a, b)
            ratios.setdefault(k, []).append(r)
            marks.setdefault(k, []).append(m)
            ps.setdefault(k, []).append(p)
    return names, ratios, marks, ps


def ratio_spreads(suites, names):
    """{k: [(p10, p90) or None per name]}: the spread of run k's repetitions
    over the baseline's median (the whisker around each ratio), where run k
    has common.SPREAD_MIN_REPETITIONS or more."""
    out = {}
    for k, s in enumerate(suites[1:], start=1):
        for name in names:
            b = s.samples.get(name) if s is not None else None
            ma = common.statistics.median(suites[0].samples[name])
            sp = None
            if b and len(b) >= common.SPREAD_MIN_REPETITIONS and ma > 0:
                sp = (common.percentile(b, common.SPREAD_LO) / ma,
                      common.percentile(b, common.SPREAD_HI) / ma)
            out.setdefault(k, []).append(sp)
    return out


def significance_section(name, labels, suites, out_dir):
    """HTML: the per-suite table (a column per run) and its figure."""
    names, ratios, marks, ps = significance_rows(suites)
    if not names:
        return ["<p>No benchmark of %s is present in the baseline and another run.</p>"
                % esc(name)]
    cols = ["benchmark", "reps %s" % labels[0]]
    for k in range(1, len(suites)):
        cols += ["%s / %s" % (labels[k], labels[0]), "p"]
    rows = []
    for i, bench in enumerate(names):
        row = [bench, str(len(suites[0].samples[bench]))]
        for k in range(1, len(suites)):
            r, m, p = ratios[k][i], marks[k][i], ps[k][i]
            row.append("—" if r is None else "%s%s" % (fmt_ratio(r), " ~" if m == "~" else ""))
            row.append("—" if p is None else "%.3g" % p)
        rows.append(row)
    geo = ["geometric mean of significant ratios", ""]
    for k in range(1, len(suites)):
        sig = [r for r, m in zip(ratios[k], marks[k]) if r is not None and m == ""]
        g = common.geomean(sig)
        geo += ["—" if g is None else "%s (%d of %d)" % (fmt_ratio(g), len(sig), len(names)), ""]
    rows.append(geo)
    out = [table_html(common.Table(
        "%s: median time per operation, run / %s (~: not significant at alpha 0.05 or "
        "too few repetitions; Mann-Whitney U)" % (name, labels[0]), cols, rows))]
    import draw  # noqa: E402 (matplotlib only when there is something to draw)
    shown = names[:MAX_FIGURE_ROWS]
    fig, axes = draw.new_figure(9, 1.2 + 0.22 * len(shown))
    spreads = ratio_spreads(suites, shown)
    draw.ratio_strip(axes[0][0], shown, labels,
                     {k: v[:len(shown)] for k, v in ratios.items()},
                     {k: v[:len(shown)] for k, v in marks.items()}, spreads)
    n_reps = max(len(s.samples.get(b) or ()) for s in suites[1:] if s is not None
                 for b in shown)
    draw.no_spread_note(fig, n_reps)
    fig.tight_layout()
    png = "compare_sig_%s.png" % name
    common.save_figure(fig, out_dir, png)
    cap = "%s: every run's median time per operation over %s's, per benchmark. %s" % (
        name, labels[0], common.spread_caption(
            n_reps, "each run's repetitions, over %s's median" % labels[0]))
    if len(names) > len(shown):
        cap += " (first %d of %d benchmarks; all are in the table)" % (len(shown), len(names))
    out.insert(0, figure_html(png, cap))
    return out


def _tag(i):
    return chr(ord("A") + i) if i < 26 else str(i + 1)


def fmt_ratio(r):
    return "%.3g×" % r


def build(runs, out_dir):
    labels = [_side_label(r) for r in runs]
    if len(set(labels)) < len(labels):
        labels = ["%s [%s]" % (l, chr(ord("A") + i)) if i < 26 else "%s [%d]" % (l, i)
                  for i, l in enumerate(labels)]
    pair = len(runs) == 2
    run_a, run_b = runs[0], runs[1]
    la, lb = labels[0], labels[1]
    modules, import_failures = common.suite_modules()
    failures = ["plot module suite_%s cannot be imported: %s" % kv
                for kv in import_failures.items()
                if any(kv[0] in r.suites for r in runs)]
    sections = []
    all_names = sorted(set(n for r in runs for n in r.suites))
    for name in all_names:
        mod = modules.get(name)
        out = ["<h2 id=\"suite-%s\">%s</h2>" % (esc(name), esc(getattr(mod, "TITLE", name)))]
        for i, r in enumerate(runs):
            if name not in r.suites:
                out.append("<p>Run %s (%s) has no %s.json.</p>"
                           % (_tag(i), esc(labels[i]), esc(name)))
        try:
            out.extend(significance_section(name, labels, [r.suites.get(name) for r in runs],
                                            out_dir))
        except Exception as e:  # one broken suite must not lose the rest
            msg = "significance of %s failed: %s: %s" % (name, type(e).__name__, e)
            failures.append(msg)
            out.append(failure_html(msg))
        if pair and mod is not None and hasattr(mod, "compare_figures"):
            out.extend(_pair_section(name, mod, run_a, run_b, la, lb, out_dir, failures))
        for i, r in enumerate(runs):
            side = r.suites.get(name)
            if side is not None and side.errors:
                out.append("<p>Run %s: %d benchmark%s of %s.json errored or not honoured "
                           "(see that run's report.html).</p>"
                           % (_tag(i), len(side.errors), "" if len(side.errors) == 1 else "s",
                              esc(name)))
        sections.append("\n".join(out))
    return _page(runs, labels, sections, failures), failures


def _pair_section(name, mod, run_a, run_b, la, lb, out_dir, failures):
    sa, sb = run_a.suites.get(name), run_b.suites.get(name)
    side_a, side_b = RunSide(la, sa, run_a.context), RunSide(lb, sb, run_b.context)
    out = []
    try:
        figs = mod.compare_figures(out_dir, side_a, side_b)
        for png, caption in figs:
            out.append(figure_html(png, caption))
        if hasattr(mod, "compare_tables"):
            for t in mod.compare_tables(side_a, side_b) or []:
                out.append(table_html(t))
    except Exception as e:  # one broken module must not lose the rest
        msg = "plot module suite_%s failed: %s: %s" % (name, type(e).__name__, e)
        failures.append(msg)
        out.append(failure_html(msg))
    return out


def _page(runs, labels, sections, failures):
    title = "syncscope comparison — " + " vs ".join(labels)
    rows = []
    for i, (r, l) in enumerate(zip(runs, labels)):
        role = ("baseline (solid bars)" if i == 0 else
                "hatched bars" if i == 1 and len(runs) == 2 else "compared with the baseline")
        rows.append("<tr><th>%s: %s</th><td>%s</td><td><code>%s</code></td></tr>"
                    % (_tag(i), esc(role), esc(l), esc(os.path.abspath(r.path))))
    parts = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
             "<title>%s</title><style>%s</style></head><body>" % (esc(title), CSS),
             "<h1>syncscope comparison</h1>", "<table>%s</table>" % "".join(rows)]
    for f in failures:
        parts.append("<div class=\"err\"><b>Comparison incomplete:</b> %s</div>" % esc(f))
    if not sections:
        parts.append("<p>No suite with a comparison exists in either run.</p>")
    parts.extend(sections)
    parts.append("<h2 id=\"context\">Machine contexts</h2>")
    parts.append("<details open><summary>context.json of every run (differences "
                 "highlighted)</summary>%s</details>" % _context_table(runs, labels))
    parts.append("<footer>Generated by plots/compare.py at %s UTC.</footer></body></html>"
                 % datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S"))
    return "\n".join(parts) + "\n"


def main(argv):
    try:
        args = parse_args(argv)
        runs = [common.load_run(r) for r in args.runs]
        if os.path.exists(args.out) and not os.path.isdir(args.out):
            raise UsageError("--out '%s' exists and is not a directory; %s" % (args.out, USAGE))
        try:
            os.makedirs(args.out, exist_ok=True)
        except OSError as e:
            raise UsageError("cannot create --out '%s': %s" % (args.out, e.strerror or e))
        text, failures = build(runs, args.out)
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
