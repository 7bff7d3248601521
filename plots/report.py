#!/usr/bin/python3
"""report.py — every figure of a syncscope run and one self-contained report.html.

Usage:  /usr/bin/python3 plots/report.py RUN_DIR
        /usr/bin/python3 plots/report.py --help

Reads only RUN_DIR (results/<host>-<arch>-<UTC timestamp>/): context.json,
manifest.json (optional) and one <suite>.json per suite (Google Benchmark JSON).
Writes into RUN_DIR: the PNGs of every suite that has a plot module
(plots/suite_<name>.py) and data, and report.html (PNGs referenced by relative
path). Each file is written to a temp name and renamed, so a failure never
leaves a half-written file.

The report opens with the machine context (host, CPU, compiler, build types
with a warning for a debug benchmark library, placement support, counter
status), then one section per suite whose JSON exists: figures with captions,
headline tables, every errored / not-honoured benchmark with its message, and
the full result list. A suite JSON without a plot module still gets a section
(tables only). A suite module that fails is reported in its section and on
stderr ("warning: ..."), the rest of the report is still written, exit code 1.

Exit codes: 0 ok; 1 report written but a suite module failed; 2 bad usage or
bad data (RUN_DIR missing or not a directory, holding neither context.json nor
a suite JSON, a corrupt JSON file) with ONE line on stderr starting "error:".
"""

import datetime
import os
import sys
from collections import OrderedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import verdicts as verdicts_mod  # noqa: E402
from common import (DataError, Table, UsageError, ctx_get, display,  # noqa: E402
                    flatten, fmt_num)
from html_page import (CSS, bool_html, esc, failure_html, figure_html,  # noqa: E402
                       html_table, plural, table_html)

USAGE = "usage: report.py RUN_DIR  (a results/<run-id>/ directory)"

class ArgError(UsageError):
    pass


def parse_args(argv):
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip())
        sys.exit(0)
    opts = [a for a in argv if a.startswith("-")]
    if opts:
        raise ArgError("unknown option '%s'; %s" % (opts[0], USAGE))
    if len(argv) != 1:
        raise ArgError("expected exactly one RUN_DIR, got %d arguments; %s"
                       % (len(argv), USAGE))
    return argv[0]


def context_warnings(run):
    """Warnings a reader must see before trusting numbers."""
    ctx = run.context
    warns = []
    if not run.has_context:
        warns.append("context.json is missing: the machine and build this run came "
                     "from are unknown (the suite files' own context is shown below).")
    bt = ctx_get(ctx, "benchmark_library.build_type")
    gb_types = sorted(set(str(s.context.get("library_build_type")) for s in run.suites.values()
                          if s.context.get("library_build_type")))
    if (isinstance(bt, str) and bt.lower() == "debug") or "debug" in [g.lower() for g in gb_types]:
        warns.append("The Google Benchmark library reports build type \"debug\" (it was "
                     "built without NDEBUG, as Debian's package is): its internal checks "
                     "stay on and may add overhead around each measurement. Compare numbers "
                     "only with runs that used the same library build.")
    btype = ctx_get(ctx, "build_type")
    if isinstance(btype, str) and btype.lower() not in ("release", "relwithdebinfo"):
        warns.append("syncscope was built as \"%s\", not Release: numbers are not "
                     "representative." % btype)
    gov = ctx_get(ctx, "cpu_governor", "cpu.governor")
    if isinstance(gov, str) and gov and gov.lower() not in ("performance", "unknown", "n/a"):
        warns.append("CPU frequency governor is \"%s\" (not \"performance\"): expect "
                     "frequency-scaling noise." % gov)
    if any(s.context.get("cpu_scaling_enabled") is True for s in run.suites.values()):
        warns.append("Google Benchmark detected CPU frequency scaling: real time measurements "
                     "may be noisy.")
    hv_text = hypervisor_text(ctx_get(ctx, "hypervisor"))
    if hv_text:
        warns.append("Virtual machine (%s): PUs are virtual CPUs; topology, "
                     "placement and cache-to-cache latencies reflect what the guest sees, "
                     "and the host may run other guests on the same cores (see steal time "
                     "under Measurement disturbance)." % hv_text)
    if run.manifest and run.manifest.get("profile") == "quick":
        warns.append("Quick profile: fewer repetitions and shorter runs than the full "
                     "profile; use it for smoke checks, not for decisions.")
    return warns


def hypervisor_text(hv):
    """Readable text for context.json's hypervisor (an object from
    syncscope-hwinfo, or a plain string in older runs); None on bare metal."""
    if isinstance(hv, dict):
        if not hv.get("present"):
            return None
        bits = []
        vendor = str(hv.get("cpuid_vendor") or "").strip()
        if vendor:
            bits.append("cpuid signature %s" % vendor)
        sys_type = str(hv.get("sys_hypervisor_type") or "")
        if sys_type and not sys_type.startswith("unavailable"):
            bits.append("/sys/hypervisor/type %s" % sys_type)
        return "hypervisor detected" + (": " + ", ".join(bits) if bits else "")
    if hv and str(hv).lower() not in ("none", "false", "no", "bare metal", "bare-metal"):
        return "hypervisor: %s" % display(hv)
    return None


def noise_section(run):
    """Measurement disturbance: the harness's noise record of every suite
    (and of its Go peer's measuring window, SUITE_go_noise, where one ran),
    and how much of the measuring time was disturbed."""
    rows, classes = [], []
    total = disturbed = 0.0
    records = []
    for name, suite in run.suites.items():
        records.append((name, common.noise_of(suite), True))
        peer = common.go_peer_noise_of(suite)
        if peer is None:
            continue
        if common.go_peer_served(suite):
            # Served: the peer ran inside the suite's run, each case right
            # after its C++ twin; its windows lie within the suite's, whose
            # wall time already counts them.
            records.append(("%s (Go peer, served: each case after its C++ twin)" % name, peer,
                            False))
        else:  # replayed after the suite, in a window of its own
            records.append(("%s (Go peer, replayed after the suite)" % name, peer, True))
    for name, n, counted in records:
        if n is None:
            rows.append([name, "—", "—", "—", "—", "—", "—", "—", "not recorded"])
            classes.append("")
            continue
        why = common.disturbance(n)
        wall = n.get("wall_s") or 0.0
        if counted:
            total += wall
            if why:
                disturbed += wall
        rows.append([name, "%.1f" % wall,
                     "%.2f → %.2f" % (n.get("load1_before", -1), n.get("load1_after", -1)),
                     "%.2f" % n.get("foreign_cpus", float("nan")),
                     "%.1f" % n.get("own_cpu_s", 0.0),
                     "%.2f" % n.get("steal_s", float("nan")),
                     str(n.get("own_involuntary_csw", "—")),
                     " → ".join(fmt_ns_plain(n[k]) if isinstance(n.get(k), (int, float)) else "—"
                                for k in ("line_handoff_before_ns", "line_handoff_after_ns")),
                     ("DISTURBED: " + why) if why else "quiet"])
        classes.append("bad" if why else "")
    out = ["<h2 id=\"noise\">Measurement disturbance</h2>"]
    if total > 0:
        out.append("<p><b>%.0f %% of the measuring time (%.0f of %.0f s) was disturbed</b> "
                   "by other processes or the hypervisor (a suite counts as disturbed when "
                   "other processes kept more than %.2f CPUs busy on average, or steal time "
                   "exceeded %.0f %% of its wall time). Figures and tables of a disturbed "
                   "suite are marked; do not base decisions on them.</p>"
                   % (100.0 * disturbed / total, disturbed, total, common.NOISE_FOREIGN_CPUS,
                      100 * common.NOISE_STEAL_FRACTION))
    else:
        out.append("<p>No suite of this run recorded its noise (runs before the noise "
                   "guard).</p>")
    out.append(html_table(["suite", "wall s", "load avg (1 min) before → after",
                           "other processes' CPUs", "suite's own CPU s", "steal s",
                           "suite's involuntary context switches",
                           "machine state before → after (line hand-off)", "verdict"],
                          rows, numeric={1, 3, 4, 5, 6}, row_classes=classes))
    bench_html, benches = bench_noise_html(run)
    out.append(bench_html)
    return "\n".join(out), (disturbed, total), benches


def disturbed_benchmarks(suite):
    """[(run_name, window, why)] of the suite's benchmarks whose own window
    was disturbed, and how many benchmarks have a window."""
    out = []
    for name, w in suite.bench_noise.items():
        why = common.disturbance(w)
        if why:
            out.append((name, w, why))
    return out, len(suite.bench_noise)


def _per_benchmark_note(suite):
    """Why a suite's benchmarks have no windows of their own."""
    n = common.noise_of(suite) or {}
    text = n.get("per_benchmark")
    if isinstance(text, str) and text:
        return text
    if n:
        return "not recorded (the run predates per-benchmark windows)"
    return "not recorded (no noise record)"


def bench_noise_html(run):
    """The per-benchmark part of the disturbance section: each benchmark's
    own window (its repetitions back to back; the harness's noise_* row
    fields, or a Go peer's per case), judged by the same thresholds."""
    out = ["<h3 id=\"noise-benchmarks\">Per benchmark</h3>"]
    rows, classes, listed = [], [], []
    n_all = n_dist = 0
    for name, suite in run.suites.items():
        dist, n = disturbed_benchmarks(suite)
        if n == 0:
            rows.append([name, "—", "—", "—", "—", _per_benchmark_note(suite)])
            classes.append("")
            continue
        n_all += n
        n_dist += len(dist)
        # Rows a peer or a second build added without windows of their own
        # (e.g. the channels and distributed Go peers, the bugs suite's
        # detector-compiled-out build): judged by their suite's or peer's window.
        without = [r.name for r in suite.results if r.name not in suite.bench_noise]
        rows.append([name, str(n), str(len(dist)), "%.0f %%" % (100.0 * len(dist) / n),
                     str(len(without)),
                     "recorded" + (" (rows without one: %s%s)"
                                   % (", ".join(without[:3]), ", …" if len(without) > 3 else "")
                                   if without else "")])
        classes.append("bad" if dist else "")
        listed.extend((name, b, w, why) for b, w, why in dist)
    if n_all:
        out.append("<p><b>%d of %d benchmarks (%.0f %%) were disturbed</b>, each judged by its "
                   "own window: from the previous benchmark's report to its own, its "
                   "repetitions back to back (same thresholds as above; /proc/stat ticks at "
                   "100 Hz, so a window shorter than about 0.1 s is coarse). Their rows are "
                   "marked in each suite's result list, and a verdict that compares them says "
                   "so.</p>" % (n_dist, n_all, 100.0 * n_dist / n_all))
    else:
        out.append("<p>No benchmark of this run has a noise window of its own (see the "
                   "reasons below): only the suites' windows above judge it.</p>")
    out.append(html_table(["suite", "benchmarks with a window", "disturbed", "share",
                           "results without a window of their own", "per-benchmark windows"],
                          rows, numeric={1, 2, 3, 4}, row_classes=classes))
    if listed:
        brows = [[suite, bench, "%.2f" % w.get("wall_s", float("nan")),
                  "%.2f → %.2f" % (w.get("load1_before", -1), w.get("load1_after", -1)),
                  "%.2f" % w.get("foreign_cpus", float("nan")),
                  "%.2f" % w.get("steal_s", float("nan")),
                  "%d" % w.get("own_involuntary_csw", 0), "DISTURBED: " + why]
                 for suite, bench, w, why in listed]
        table = html_table(["suite", "benchmark", "wall s", "load avg before → after",
                            "other processes' CPUs", "steal s",
                            "its involuntary context switches", "verdict"],
                           brows, numeric={2, 4, 5, 6}, row_classes=["bad"] * len(brows))
        out.append("<details%s><summary>The %d disturbed benchmarks</summary>%s</details>"
                   % (" open" if len(brows) <= 20 else "", len(brows), table))
    return "\n".join(out), (n_dist, n_all)


def verdict_section(run, page_ids):
    vs = verdicts_mod.all_verdicts(run)
    out = ["<h2 id=\"verdicts\">Verdicts</h2>"]
    if not vs:
        out.append("<p>No suite of this run answers a verdict question (fairness, "
                   "starvation, channels, pool, maps).</p>")
        return "\n".join(out)
    out.append("<p>Winner and runner-up by median over repetitions; ratio = how many times "
               "better the winner is; significance: Mann-Whitney U over the repetitions of the "
               "two, alpha 0.05 (\"~\": not significant, or too few repetitions). A verdict "
               "whose rows (any candidate of its case) were measured while the machine was "
               "disturbed is marked and names them: each row is judged by its benchmark's own "
               "noise window where the run recorded one, else by its suite's (or Go peer's) "
               "window; see <a href=\"#noise\">Measurement disturbance</a>.</p>")
    n_dis = sum(1 for v in vs if v.disturbed)
    if n_dis:
        out.append("<div class=\"warn\"><b>%d of %d verdicts</b> compare rows measured while "
                   "the machine was disturbed (marked below).</div>" % (n_dis, len(vs)))
    n_states = sum(1 for v in vs if v.states)
    if n_states:
        out.append("<div class=\"warn\"><b>%d of %d verdicts</b> compare a winner and a "
                   "runner-up that ran in different states of the machine (their windows' line "
                   "hand-off probes more than %gx apart: see \"measured\"); their ratio "
                   "compares the states as much as the candidates.</div>"
                   % (n_states, len(vs), verdicts_mod.STATE_APART))

    def link(v):
        fid = "fig-" + v.figure
        target = fid if fid in page_ids else "suite-" + v.suite
        return "<a href=\"#%s\">%s</a>" % (esc(target), esc(v.figure if fid in page_ids
                                                           else v.suite))

    def rows_of(items):
        by_q = OrderedDict()
        for v in items:
            by_q.setdefault(v.question, []).append(v)
        out = []
        for question, group in by_q.items():
            rows = []
            for v in group:
                dis = v.disturbed
                measured = ("DISTURBED: " + dis if dis else
                            "quiet" if dis == "" else "not recorded")
                if v.states:
                    measured += "; machine states differ: " + v.states
                rows.append("<tr%s><td>%s</td><td><b>%s</b></td><td>%s</td>"
                            "<td class=\"num\">%s</td><td class=\"num\">%s</td><td>%s</td>"
                            "<td>%s</td><td>%s</td></tr>"
                            % (' class="bad"' if dis else "", esc(v.case), esc(v.winner),
                               esc(v.runner_up),
                               "—" if v.ratio is None else "%.2f×" % v.ratio,
                               "—" if v.p is None else "%.3g" % v.p,
                               ("yes" if v.mark == "" else "~") +
                               (" (disturbed: %s)" % esc(", ".join(v.disturbed_rows))
                                if dis else ""),
                               esc(measured), link(v)))
            out.append("<h4>%s — %s</h4><table><tr><th>case</th><th>winner</th>"
                       "<th>runner-up</th><th>ratio</th><th>p</th><th>significant</th>"
                       "<th>measured</th><th>figure</th></tr>%s</table>"
                       % (esc(question), esc(group[0].suite), "".join(rows)))
        return "\n".join(out)
    sig = [v for v in vs if v.mark == ""]
    nosig = [v for v in vs if v.mark != ""]
    out.append("<h3>Significant differences (%d)</h3>" % len(sig))
    out.append(rows_of(sig) if sig else "<p>None.</p>")
    out.append("<h3 id=\"no-difference\">No significant difference (%d)</h3>" % len(nosig))
    out.append(rows_of(nosig) if nosig else "<p>None: every case has a significant winner.</p>")
    return "\n".join(out)


_SUMMARY_FIELDS = [
    ("Host", ("host", "hostname", "host_name")),
    ("Architecture", ("arch", "architecture", "machine", "cpu.arch")),
    ("CPU model", ("cpu_model", "cpu.model", "cpu.model_name", "cpu_model_name", "model_name")),
    ("Kernel", ("kernel", "os.kernel", "uname")),
    ("Hypervisor", ("hypervisor", "virtualization")),
    ("SMT", ("smt", "topology.smt", "cpu.smt")),
    ("CPU governor", ("cpu_governor", "cpu.governor")),
    ("Compiler", ("compiler", "build.compiler")),
    ("Build type", ("build_type", "build.type")),
    ("Benchmark library", ("benchmark_library.version",)),
    ("Benchmark library build type", ("benchmark_library.build_type",)),
    ("Git revision", ("git_revision", "git.revision", "git_rev")),
    ("perf_event_paranoid", ("perf_event_paranoid",)),
]


def _topology_summary(topo):
    if not isinstance(topo, dict):
        return None
    parts = []
    for key, name in (("packages", "package"), ("numa_nodes", "NUMA node"),
                      ("cores", "core"), ("pus", "PU")):
        v = topo.get(key)
        if isinstance(v, list):
            v = len(v)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            parts.append("%s %s%s" % (fmt_num(v), name, "" if v == 1 else "s"))
    return ", ".join(parts) or None


def context_section(run):
    ctx = run.context
    out = []
    rows = []
    for label, paths in _SUMMARY_FIELDS:
        v = ctx_get(ctx, *paths)
        if v is not None:
            rows.append((label, display(v) if not isinstance(v, (dict, list))
                         else "; ".join("%s=%s" % kv for kv in flatten(v))))
    topo = _topology_summary(ctx.get("topology"))
    if topo:
        rows.insert(3, ("Topology", topo))
    # What each suite's Google Benchmark context adds.
    gb_types = sorted(set(str(s.context.get("library_build_type")) for s in run.suites.values()
                          if s.context.get("library_build_type")))
    if gb_types and not ctx_get(ctx, "benchmark_library.build_type"):
        rows.append(("Benchmark library build type", ", ".join(gb_types)))
    if not run.has_context:
        for s in run.suites.values():
            for key, label in (("host_name", "Host (from %s)"), ("num_cpus", "CPUs (from %s)"),
                               ("mhz_per_cpu", "MHz per CPU (from %s)")):
                if key in s.context:
                    rows.append((label % os.path.basename(s.path), display(s.context[key])))
            break
    if run.manifest:
        m = run.manifest
        for key, label in (("run_id", "Run id"), ("profile", "Profile"),
                           ("started_utc", "Started (UTC)"), ("finished_utc", "Finished (UTC)"),
                           ("duration_s", "Duration (s)"), ("command", "Command")):
            if m.get(key) not in (None, ""):
                rows.append((label, display(m[key])))
        if isinstance(m.get("suites"), list):
            rows.append(("Suites requested", ", ".join(str(s) for s in m["suites"])))
    out.append("<h2 id=\"context\">Machine and build</h2>")
    if rows:
        out.append("<table>%s</table>" % "".join(
            "<tr><th>%s</th><td>%s</td></tr>" % (esc(k), esc(v)) for k, v in rows))

    # Placement support and counters: prominent, they decide what is measurable.
    out.append("<div class=\"grid\">")
    ps = ctx.get("placement_support") or ctx.get("placement")
    out.append("<div><h3>Thread placement support</h3>")
    if isinstance(ps, dict) and ps:
        prow, pcls = [], []
        for policy, info in ps.items():
            if isinstance(info, dict):
                honoured = info.get("honoured")
                reason = info.get("reason") or ""
            else:
                honoured, reason = info, ""
            prow.append((policy, honoured, reason))
            pcls.append("bad" if honoured is False else "")
        out.append("<table><tr><th>policy</th><th>honoured</th><th>reason</th></tr>%s</table>"
                   % "".join("<tr%s><td>%s</td><td>%s</td><td>%s</td></tr>"
                             % (' class="bad"' if c else "", esc(p), bool_html(h), esc(r))
                             for (p, h, r), c in zip(prow, pcls)))
    else:
        out.append("<p>Not recorded in context.json.</p>")
    out.append("</div>")
    out.append("<div><h3>Hardware counters</h3>")
    counters = ctx.get("counters")
    crow = []
    if isinstance(counters, dict):
        for key in ("available", "usable"):
            if key in counters:
                crow.append((key, bool_html(counters[key])))
        if counters.get("reason"):
            crow.append(("reason", esc(counters["reason"])))
        for k, v in flatten({k: v for k, v in counters.items()
                             if k not in ("available", "usable", "reason")}):
            crow.append((k, esc(v)))
    for s in run.suites.values():
        if "counters_available" in s.context and not crow:
            crow.append(("available (from %s)" % os.path.basename(s.path),
                         bool_html(s.context["counters_available"])))
            if s.context.get("counters_reason"):
                crow.append(("reason", esc(s.context["counters_reason"])))
    if crow:
        out.append("<table>%s</table>" % "".join(
            "<tr><th>%s</th><td>%s</td></tr>" % (esc(k), v) for k, v in crow))
    else:
        out.append("<p>Not recorded in context.json.</p>")
    out.append("</div></div>")

    if ctx:
        flat = flatten(ctx)
        out.append("<details><summary>Full context.json (%d values)</summary>%s</details>"
                   % (len(flat), html_table(["key", "value"], flat)))
    return "\n".join(out)


def _errors_html(suite):
    """Every errored benchmark, grouped by message (placements not honoured
    typically share one message across many thread counts)."""
    if not suite.errors and not suite.malformed:
        return ""
    out = ["<h3>Not plotted: errors and placements not honoured (%s)</h3>"
           % plural(len(suite.errors) + len(suite.malformed), "benchmark")]
    by_msg = OrderedDict()
    for e in suite.errors:
        by_msg.setdefault(e.message, []).append(e)
    rows = []
    for msg, errs in by_msg.items():
        names = ["%s (%s)" % (e.name, plural(e.count, "repetition")) for e in errs]
        listing = "<br>".join(esc(n) for n in names)
        if len(names) > 6:
            listing = "<details><summary>%s</summary>%s</details>" % (
                esc(plural(len(names), "benchmark")), listing)
        rows.append("<tr class=\"bad\"><td>%s</td><td class=\"num\">%d</td><td>%s</td></tr>"
                    % (esc(msg), len(errs), listing))
    for m in suite.malformed:
        rows.append("<tr class=\"bad\"><td>malformed entry: %s</td><td class=\"num\">1</td>"
                    "<td></td></tr>" % esc(m))
    out.append("<table><tr><th>message</th><th>benchmarks</th><th>which</th></tr>%s</table>"
               % "".join(rows))
    return "\n".join(out)


def _results_html(suite):
    if not suite.results:
        return "<p>No successful results in %s.</p>" % esc(os.path.basename(suite.path))
    counter_keys = []
    for r in suite.results:
        for k in r.values:
            if k not in ("real_time", "cpu_time") and k not in counter_keys:
                counter_keys.append(k)
    windows = bool(suite.bench_noise)
    cols = ["benchmark", "threads", "real_time", "real_time p10–p90 (n)", "cpu_time"] + \
        counter_keys + ["cv of real_time", "label", "value from"] + \
        (["measured (own noise window)"] if windows else [])
    rows, classes = [], []
    for r in suite.results:
        cv = r.cv.get("real_time")
        reps = suite.samples.get(r.name, [])
        spread = "—"
        if len(reps) >= 2:
            lo, hi = common.percentile(reps, 10), common.percentile(reps, 90)
            spread = "%s – %s (%d)" % (fmt_ns_plain(lo), fmt_ns_plain(hi), len(reps))
        rows.append([r.name, str(r.threads),
                     "%s %s" % (fmt_num(r.values.get("real_time")), r.time_unit), spread,
                     "%s %s" % (fmt_num(r.values.get("cpu_time")), r.time_unit)] +
                    [fmt_num(r.values.get(k)) for k in counter_keys] +
                    ["%.1f %%" % (cv * 100) if cv is not None else "—", r.label or "",
                     r.source])
        why = common.disturbance(common.bench_noise_of(suite, r.name))
        if windows:
            rows[-1].append("DISTURBED: " + why if why else
                            "quiet" if why == "" else "no window")
        classes.append("bad" if why else "")
    last_numeric = len(cols) - (3 if windows else 2)
    return ("<details><summary>All %d results of %s</summary>%s</details>"
            % (len(rows), esc(os.path.basename(suite.path)),
               html_table(cols, rows, numeric={1, 2} | set(range(4, last_numeric)),
                          row_classes=classes)))


def fmt_ns_plain(ns):
    return "%s ns" % fmt_num(ns)


def _suite_context_html(suite):
    keep = {k: v for k, v in suite.context.items() if k not in ("caches",)}
    if not keep:
        return ""
    return ("<details><summary>Suite context (Google Benchmark)</summary>%s</details>"
            % html_table(["key", "value"], flatten(keep)))


def suite_section(run_dir, name, suite, module, context, failures):
    title = getattr(module, "TITLE", None) if module else None
    out = ["<h2 id=\"suite-%s\">%s</h2>" % (esc(name), esc(title or name))]
    out.append("<p class=\"sub\">Suite <code>%s</code> — %s, %s, %d errored</p>"
               % (esc(name), esc(os.path.basename(suite.path)),
                  plural(len(suite.results), "result"), len(suite.errors)))
    why = common.disturbance(common.noise_of(suite))
    if why:
        out.append("<div class=\"warn\"><b>Disturbed measurement:</b> every figure and "
                   "table of this section was measured while %s. See "
                   "<a href=\"#noise\">Measurement disturbance</a>.</div>" % esc(why))
    dist, n_windows = disturbed_benchmarks(suite)
    if dist:
        names = [b for b, _, _ in dist]
        shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
        out.append("<div class=\"warn\"><b>%d of %d benchmarks</b> of this suite were "
                   "measured while the machine was disturbed (their own noise windows): %s. "
                   "Their rows are marked in the result list below; see "
                   "<a href=\"#noise-benchmarks\">Measurement disturbance, per "
                   "benchmark</a>.</div>" % (len(dist), n_windows, esc(shown)))
    if module is None:
        out.append("<p>No plot module (plots/suite_%s.py) yet: results are listed "
                   "below without figures.</p>" % esc(name))
    else:
        try:
            for text in (module.notes(run_dir, suite, context)
                         if hasattr(module, "notes") else []):
                out.append("<p>%s</p>" % esc(text))
            figs = module.figures(run_dir, suite, context)
            for png, caption in figs:
                if why:
                    caption = "[DISTURBED measurement: %s] %s" % (why, caption)
                out.append(figure_html(png, caption))
            if not figs and suite.results:
                out.append("<p>No figure: none of the results belongs to a family this "
                           "suite's plot module draws.</p>")
            if hasattr(module, "summary_rows"):
                tables = module.summary_rows(run_dir, suite, context) or []
                if isinstance(tables, Table):
                    tables = [tables]
                for t in tables:
                    if why:
                        t = Table("[DISTURBED] " + (t.title or ""), t.columns, t.rows)
                    out.append(table_html(t))
        except Exception as e:  # one broken module must not lose the report
            msg = "plot module suite_%s failed: %s: %s" % (name, type(e).__name__, e)
            failures.append(msg)
            out.append(failure_html(msg))
    out.append(_errors_html(suite))
    out.append(_results_html(suite))
    out.append(_suite_context_html(suite))
    return "\n".join(x for x in out if x)


def build_report(run):
    run_dir = run.path
    failures = []
    modules, import_failures = common.suite_modules()
    sections = []
    for name, suite in run.suites.items():
        if name in import_failures:
            msg = "plot module suite_%s cannot be imported: %s" % (name, import_failures[name])
            failures.append(msg)
            sections.append("<h2 id=\"suite-%s\">%s</h2><div class=\"err\">%s</div>%s%s"
                            % (esc(name), esc(name), esc(msg), _errors_html(suite),
                               _results_html(suite)))
            continue
        sections.append(suite_section(run_dir, name, suite, modules.get(name),
                                      run.context, failures))

    title = "syncscope report — %s" % run.label()
    host = ctx_get(run.context, "host", "hostname")
    arch = ctx_get(run.context, "arch", "architecture")
    sub = " · ".join(str(x) for x in (host, arch,
                                      run.manifest.get("started_utc") if run.manifest else None)
                     if x)
    parts = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
             "<title>%s</title><style>%s</style></head><body>" % (esc(title), CSS),
             "<h1>%s</h1>" % esc(title)]
    if sub:
        parts.append("<p class=\"sub\">%s</p>" % esc(sub))
    for w in context_warnings(run):
        parts.append("<div class=\"warn\"><b>Warning:</b> %s</div>" % esc(w))
    for f in failures:
        parts.append("<div class=\"err\"><b>Report incomplete:</b> %s</div>" % esc(f))
    noise_html, (disturbed, total), (b_dist, b_all) = noise_section(run)
    if (total > 0 and disturbed > 0) or b_dist > 0:
        said = []
        if total > 0:
            said.append("%.0f %% of the measuring time overlapped foreign CPU use"
                        % (100.0 * disturbed / total))
        if b_all > 0:
            said.append("%d of %d benchmarks (%.0f %%) were disturbed in their own windows"
                        % (b_dist, b_all, 100.0 * b_dist / b_all))
        parts.append("<div class=\"warn\"><b>Disturbed:</b> %s; see <a href=\"#noise\">"
                     "Measurement disturbance</a>.</div>" % "; ".join(said))
    page_ids = set()
    for sec in sections:
        page_ids.update(common.re.findall(r'id="([^"]+)"', sec))
    nav = ["<li><a href=\"#verdicts\">Verdicts</a></li>",
           "<li><a href=\"#noise\">Measurement disturbance</a></li>",
           "<li><a href=\"#context\">Machine and build</a></li>"]
    for name, suite in run.suites.items():
        mod = modules.get(name)
        nav.append("<li><a href=\"#suite-%s\">%s</a> (%s, %d errored)</li>"
                   % (esc(name), esc(getattr(mod, "TITLE", name) if mod else name),
                      plural(len(suite.results), "result"), len(suite.errors)))
    parts.append("<nav><ul>%s</ul></nav>" % "".join(nav))
    parts.append(verdict_section(run, page_ids))
    parts.append(noise_html)
    parts.append(context_section(run))
    if not run.suites:
        parts.append("<h2>Suites</h2><p>This run holds no suite results yet "
                     "(no &lt;suite&gt;.json).</p>")
    parts.extend(sections)
    parts.append("<footer>Generated by plots/report.py from %s at %s UTC. Values are "
                 "medians over repetitions unless stated.</footer>"
                 % (esc(os.path.abspath(run_dir)),
                    datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S")))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n", failures


def main(argv):
    try:
        run_dir = parse_args(argv)
        run = common.load_run(run_dir)
        text, failures = build_report(run)
        common.write_text_atomic(os.path.join(run_dir, "report.html"), text)
    except (UsageError, DataError) as e:
        sys.stderr.write("error: %s\n" % " ".join(str(e).split()))
        return 2
    except OSError as e:
        sys.stderr.write("error: cannot write into '%s': %s\n"
                         % (argv[0] if argv else "", e.strerror or e))
        return 2
    for f in failures:
        sys.stderr.write("warning: %s\n" % f)
    print(os.path.join(run_dir, "report.html"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
