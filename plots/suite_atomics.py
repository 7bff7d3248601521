"""Figures and tables of the atomics suite (atomics.json).

Families read (benchmark names '/'-separated, see common.parse_name):
  atomics_latency/op:O/path:P/bits:B          ns_per_op: uncontended latency of
                                              a dependent chain of op O
  atomics_throughput/op:O/path:P/bits:B       ns_per_op, ops_per_s: independent
                                              ops (reciprocal throughput)
  atomics_contended/op:O/path:P/layout:L/placement:C/threads:N
                                              ops_per_s (all threads), ns_per_op,
                                              cas_fail_rate (cas_loop only);
                                              label "pus=0,1"
  atomics_overhead/harness                    ns_per_op: the harness's own cost
                                              per measured op (reference line)
  atomics_litmus/test:T/order:O               trials, weak, weak_per_million,
                                              allowed_by_cxx (1 allowed, 0
                                              forbidden by C++), ns_per_trial;
                                              one run each (no repetitions)

Figures
  atomics_latency.png   grouped bars, op on x, one bar per path; a latency
                        panel and a reciprocal-throughput panel.
  atomics_scaling.png   ops/s vs threads; one row per op, one column per
                        placement; colour = path, solid = shared line,
                        dashed = padded line. A placement that only produced
                        errors gets a panel saying why.
  atomics_cas_fail.png  CAS failure rate vs threads (when cas_loop data exist).
  atomics_litmus.png    one panel per litmus test (SB, MP, LB, 2+2W): weak
                        outcomes per million trials per memory order, symlog y
                        (zero drawn as zero), each bar labelled with its count
                        and trials and marked allowed / forbidden by C++; a
                        forbidden outcome that was observed is drawn red and
                        warned about in the notes (it would be a bug).
"""

from collections import OrderedDict, namedtuple

from matplotlib.patches import Patch

import draw
import style
from common import Table, fmt_num, save_figure, spread, spread_caption, spread_n

TITLE = "Atomics: latency, throughput and contention"

LATENCY = "atomics_latency"
THROUGHPUT = "atomics_throughput"
CONTENDED = "atomics_contended"
OVERHEAD_PREFIX = "atomics_overhead"
LITMUS = "atomics_litmus"

LITMUS_TEST_ORDER = ["SB", "MP", "LB", "2+2W"]
LITMUS_ORDER_ORDER = ["relaxed", "acq_rel", "seq_cst"]
LITMUS_TEST_TITLE = {"SB": "SB (store buffering)", "MP": "MP (message passing)",
                     "LB": "LB (load buffering)", "2+2W": "2+2W (two writes each)"}
# Bar colours by verdict, not by order: what a reader must see is whether an
# observed weak outcome is one the C++ model allows.
LITMUS_ALLOWED = "#1f77b4"     # allowed by C++
LITMUS_FORBIDDEN = "#bdbdbd"   # forbidden by C++, not observed (as it must be)
LITMUS_BUG = "#d62728"         # forbidden by C++ and observed: a bug


# --------------------------------------------------------------------------
# Data selection
# --------------------------------------------------------------------------

def _ns_per_op(r):
    v = r.value("ns_per_op")
    if v is None and r.value("ops_per_s"):
        v = 1e9 / r.value("ops_per_s")
    if v is None:
        v = r.real_time_ns()
    return v


def harness_overhead_ns(suite):
    """ns per measured op of the harness itself, or None."""
    for r in suite.results:
        if r.family.startswith(OVERHEAD_PREFIX):
            v = r.value("ns_per_op")
            return v if v is not None else r.real_time_ns()
    return None


def _ns_spread(suite, r):
    """p10-p90 of _ns_per_op over r's repetitions, or None."""
    unit = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}.get(r.time_unit, 1.0)
    for key, conv in (("ns_per_op", None), ("ops_per_s", lambda v: 1e9 / v if v else None),
                      ("real_time", lambda v: v * unit)):
        if r.value(key) is not None:
            sp = spread(suite, r, key, conv)
            if sp is None or None in sp:
                return None
            return tuple(sorted(sp))  # ops/s inverts the order
    return None


def _bar_err(suite, family):
    """{path: {(op, bits): (p10, p90)}} of a family, where repetitions allow."""
    err = OrderedDict()
    for r in suite.family(family):
        if r.get("op") and r.get("path"):
            err.setdefault(r.get("path"), {})[(r.get("op"), r.get("bits", ""))] = \
                _ns_spread(suite, r)
    return err


def _bar_data(suite, family):
    """(categories [(op, bits)], {path: {(op, bits): ns}}) of a family."""
    rows = [r for r in suite.family(family) if r.get("op") and r.get("path")]
    ops = style.ordered([r.get("op") for r in rows], style.OP_ORDER)
    bits = style.ordered([r.get("bits", "") for r in rows], ["32", "64"])
    paths = style.ordered([r.get("path") for r in rows], style.PATH_ORDER)
    per_path = OrderedDict((p, {}) for p in paths)
    for r in rows:
        v = _ns_per_op(r)
        if v is not None:
            per_path[r.get("path")][(r.get("op"), r.get("bits", ""))] = v
    cats = [(o, b) for o in ops for b in bits
            if any((o, b) in vals for vals in per_path.values())]
    return cats, per_path


def _cat_label(cat, multi_bits):
    op, bits = cat
    return "%s\n%s-bit" % (op, bits) if multi_bits and bits else op


def _contended(suite):
    return [r for r in suite.family(CONTENDED) if r.get("op") and r.get("path")]


def _placements(suite, rows):
    """Placements with data or with errors, in display order."""
    names = [r.get("placement", "none") for r in rows]
    names += [e.params.get("placement", "none") for e in suite.errors_of(CONTENDED)]
    return style.ordered(names, style.PLACEMENT_ORDER)


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------

def _latency_figure(run_dir, suite, fname="atomics_latency.png"):
    panels = []
    for family, title, ylabel in (
            (LATENCY, "Uncontended latency (dependent chain)", "latency (ns per op)"),
            (THROUGHPUT, "Uncontended reciprocal throughput (independent ops)",
             "time per op (ns)")):
        cats, per_path = _bar_data(suite, family)
        if cats:
            panels.append((family, title, ylabel, cats, per_path))
    if not panels:
        return None
    overhead = harness_overhead_ns(suite)
    n_cats = max(len(p[3]) for p in panels)
    n_paths = max(len(p[4]) for p in panels)
    width = max(7.0, min(16.0, 2.2 + n_cats * (0.35 + 0.22 * n_paths)))
    fig, axes = draw.new_figure(width, 3.9 * len(panels), nrows=len(panels))
    handles, labels = [], []
    for ax, (family, title, ylabel, cats, per_path) in zip(axes[:, 0], panels):
        err = _bar_err(suite, family)
        series = [draw.Series(p, style.colour(p), "", vals, err.get(p))
                  for p, vals in per_path.items()]
        h, lab = draw.grouped_bars(ax, cats, series)
        for hh, ll in zip(h, lab):
            if ll not in labels:
                handles.append(hh)
                labels.append(ll)
        multi_bits = len(set(c[1] for c in cats)) > 1
        ax.set_xticklabels([_cat_label(c, multi_bits) for c in cats])
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.set_xlabel("operation")
        if overhead is not None:
            line = ax.axhline(overhead, color="#444444", linestyle=":", linewidth=1.4,
                              zorder=5)
            if "harness overhead" not in " ".join(labels):
                handles.append(line)
                labels.append("harness overhead (%s ns/op)" % fmt_num(overhead))
            lo, hi = ax.get_ylim()
            if overhead * 1.15 > hi:
                ax.set_ylim(0, overhead * 1.25)
    draw.finish_with_header(fig, None, handles, labels, ncol=min(len(labels), 6),
                            legend_title="atomic path")
    n_reps = spread_n(suite, [r for fam in (LATENCY, THROUGHPUT) for r in suite.family(fam)
                              if r.get("op") and r.get("path")])
    draw.no_spread_note(fig, n_reps)
    save_figure(fig, run_dir, fname)
    caption = ("Uncontended cost of each atomic operation, one bar per atomic path "
               "(median over repetitions). ")
    where = ["Top: ", "Bottom: "] if len(panels) > 1 else [""]
    for pos, panel in zip(where, panels):
        if panel[0] == LATENCY:
            caption += ("%slatency of a dependent chain (each op waits for the previous "
                        "result). " % pos)
        else:
            caption += ("%stime per op when ops are independent (reciprocal "
                        "throughput). " % pos)
    if overhead is not None:
        caption += ("Dotted line: the harness's own cost per measured op (%s ns), for "
                    "reference; bars are as measured. " % fmt_num(overhead))
    caption += spread_caption(n_reps)
    return fname, caption


def _line_grid(run_dir, suite, rows, ops, value_key, fname, ylabel, suptitle,
               log_rate, percent=False):
    placements = _placements(suite, rows)
    if not placements or not ops:
        return None
    ncols, nrows = len(placements), len(ops)
    fig, axes = draw.new_figure(max(4.0, 3.4 * ncols) + 0.4, 3.1 * nrows + 0.9,
                                nrows=nrows, ncols=ncols)
    all_threads = sorted(set(r.threads for r in rows))
    paths_seen, layouts_seen = [], []
    for ri, op in enumerate(ops):
        data_axes = []
        for ci, placement in enumerate(placements):
            ax = axes[ri][ci]
            cell = [r for r in rows if r.get("op") == op
                    and r.get("placement", "none") == placement
                    and r.value(value_key) is not None]
            if not cell:
                msgs = suite.errors_at(CONTENDED, placement, op=op)
                text = ("not measured:\n" + draw.wrap("; ".join(msgs))) if msgs \
                    else "no data"
                draw.message_panel(ax, "%s — placement: %s" % (op, placement), text)
                continue
            data_axes.append(ax)
            paths = style.ordered([r.get("path") for r in cell], style.PATH_ORDER)
            layouts = style.ordered([r.get("layout", "shared") for r in cell],
                                    style.LAYOUT_ORDER)
            for p in paths:
                if p not in paths_seen:
                    paths_seen.append(p)
                for lay in layouts:
                    mine = sorted((r for r in cell if r.get("path") == p
                                   and r.get("layout", "shared") == lay),
                                  key=lambda r: r.threads)
                    if not mine:
                        continue
                    if lay not in layouts_seen:
                        layouts_seen.append(lay)
                    scale = 100.0 if percent else 1.0
                    xs = [r.threads for r in mine]
                    ys = [r.value(value_key) * scale for r in mine]
                    ax.plot(xs, ys, color=style.colour(p), marker=style.marker(p),
                            linestyle=style.linestyle(lay), linewidth=1.8,
                            markersize=5, zorder=3)
                    errs = [spread(suite, r, value_key, lambda v: v * scale) for r in mine]
                    draw.whiskers(ax, xs, ys, [e if e and (e[0] > 0 or not log_rate) else None
                                               for e in errs],   # log axis: positive only
                                  colour=style.colour(p), capsize=2)
            ax.set_title("%s — placement: %s" % (op, placement))
            draw.thread_axis(ax, all_threads)
            if log_rate:
                draw.rate_axis(ax)
            if len(data_axes) == 1:
                ax.set_ylabel(ylabel)
        # One y range per row so placements compare at a glance.
        if data_axes:
            lo = min(a.get_ylim()[0] for a in data_axes)
            hi = max(a.get_ylim()[1] for a in data_axes)
            if percent or not log_rate:
                lo = 0.0
                hi = hi if hi > 0 else 1.0
            for a in data_axes:
                a.set_ylim(lo, hi)
                if log_rate:
                    draw.log_ticks(a)
    handles, labels = draw.path_layout_handles(
        style.ordered(paths_seen, style.PATH_ORDER),
        style.ordered(layouts_seen, style.LAYOUT_ORDER))
    draw.finish_with_header(fig, suptitle, handles, labels, ncol=min(len(labels), 7))
    draw.no_spread_note(fig, spread_n(suite, rows))
    save_figure(fig, run_dir, fname)
    return fname


def _scaling_figure(run_dir, suite):
    rows = [r for r in _contended(suite) if r.value("ops_per_s") is not None]
    ops = style.ordered([r.get("op") for r in rows], style.CONTENDED_OP_ORDER)
    if not rows:
        return None
    fname = _line_grid(run_dir, suite, rows, ops, "ops_per_s", "atomics_scaling.png",
                       "ops/s, all threads (log)",
                       "Contended atomic throughput vs threads", log_rate=True)
    caption = ("Total operations per second of all threads hammering one atomic "
               "(median over repetitions), one row per operation and one column per "
               "thread placement. Colour = atomic path; solid = all threads on one "
               "shared cache line (true contention), dashed = each thread on its own "
               "padded line (no sharing). Log scale. "
               + spread_caption(spread_n(suite, rows), kind="Error bars"))
    return fname, caption


def _cas_fail_values(rows):
    vals = [r.value("cas_fail_rate") for r in rows if r.value("cas_fail_rate") is not None]
    return vals


def _cas_fail_figure(run_dir, suite):
    rows = [r for r in _contended(suite) if r.get("op") == "cas_loop"
            and r.value("cas_fail_rate") is not None]
    if not rows:
        return None
    fraction = max(_cas_fail_values(rows)) <= 1.0
    ylabel = "failed CAS (% of attempts)" if fraction else "failed CAS per successful op"
    fname = _line_grid(run_dir, suite, rows, ["cas_loop"], "cas_fail_rate",
                       "atomics_cas_fail.png", ylabel,
                       "Compare-and-swap failure rate vs threads", log_rate=False,
                       percent=fraction)
    caption = ("How often a compare-and-swap in the cas_loop increment fails because "
               "another thread changed the value first (cas_fail_rate, median over "
               "repetitions), per thread placement. Colour = atomic path; solid = "
               "shared line, dashed = padded line. "
               + spread_caption(spread_n(suite, rows), kind="Error bars"))
    return fname, caption


# --------------------------------------------------------------------------
# Litmus tests
# --------------------------------------------------------------------------

LitmusCell = namedtuple("LitmusCell", "test order trials weak per_million allowed")


def litmus_cells(suite):
    """[LitmusCell] of the litmus family in display order (tests, then
    orders). allowed: True / False from allowed_by_cxx, None when absent."""
    cells = []
    for r in suite.family(LITMUS):
        test, order = r.get("test"), r.get("order")
        trials, weak = r.value("trials"), r.value("weak")
        if not test or not order or not trials or weak is None:
            continue
        per_million = r.value("weak_per_million")
        if per_million is None:
            per_million = 1e6 * weak / trials
        flag = r.value("allowed_by_cxx")
        allowed = None if flag is None else flag >= 0.5
        cells.append(LitmusCell(test, order, int(round(trials)), int(round(weak)),
                                per_million, allowed))
    tests = style.ordered([c.test for c in cells], LITMUS_TEST_ORDER)
    orders = style.ordered([c.order for c in cells], LITMUS_ORDER_ORDER)
    cells.sort(key=lambda c: (tests.index(c.test), orders.index(c.order)))
    return cells


def litmus_violations(cells):
    """Cells whose weak outcome C++ forbids and that observed it anyway."""
    return [c for c in cells if c.allowed is False and c.weak > 0]


def _verdict(cell):
    if cell.allowed is None:
        return "verdict unknown"
    return "allowed" if cell.allowed else "forbidden by C++"


def _litmus_colour(cell):
    if cell.allowed is False:
        return LITMUS_BUG if cell.weak > 0 else LITMUS_FORBIDDEN
    return LITMUS_ALLOWED


def _count(n):
    """Trial and outcome counts: exact below 10 000, compact above."""
    return str(n) if n < 10000 else fmt_num(float(n))


def _litmus_figure(run_dir, suite, fname="atomics_litmus.png"):
    cells = litmus_cells(suite)
    errors = suite.errors_of(LITMUS)
    if not cells and not errors:
        return None
    tests = style.ordered([c.test for c in cells], LITMUS_TEST_ORDER)
    n = max(1, len(tests))
    ncols = min(n, 2)
    nrows = -(-n // ncols)
    fig, axes = draw.new_figure(4.6 * ncols + 0.4, 3.5 * nrows + 0.9, nrows=nrows,
                                ncols=ncols)
    flat = [ax for row in axes for ax in row]
    if not cells:
        msgs = list(OrderedDict((e.message, True) for e in errors))
        draw.message_panel(flat[0], "Litmus tests",
                           "not measured:\n" + draw.wrap("; ".join(msgs)))
    top = max([c.per_million for c in cells] + [1.0])
    for k, (ax, test) in enumerate(zip(flat, tests)):
        row = [c for c in cells if c.test == test]
        for i, c in enumerate(row):
            ax.bar(i, c.per_million, 0.62, color=_litmus_colour(c),
                   edgecolor="#333333", linewidth=0.6, zorder=3,
                   hatch="//" if c.allowed is False else None)
            ax.annotate("%s of %s" % (_count(c.weak), _count(c.trials)),
                        (i, c.per_million), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8, zorder=4,
                        color=LITMUS_BUG if c in litmus_violations(row) else "#222222",
                        fontweight="bold" if c in litmus_violations(row) else "normal")
        ax.set_xticks(range(len(row)))
        ax.set_xticklabels(["%s\n%s" % (c.order, _verdict(c)) for c in row], fontsize=8)
        ax.set_xlim(-0.6, len(row) - 0.4)
        ax.set_yscale("symlog", linthresh=1.0, linscale=0.6)
        ax.set_ylim(0, top * 4.0)
        ax.grid(axis="x", visible=False)
        ax.set_title(LITMUS_TEST_TITLE.get(test, test))
        if k % ncols == 0:
            ax.set_ylabel("weak outcomes per million trials")
    for ax in flat[len(tests) if cells else 1:]:
        ax.set_visible(False)
    handles = [Patch(facecolor=LITMUS_ALLOWED, edgecolor="#333333"),
               Patch(facecolor=LITMUS_FORBIDDEN, edgecolor="#333333", hatch="//"),
               Patch(facecolor=LITMUS_BUG, edgecolor="#333333", hatch="//")]
    labels = ["allowed by C++", "forbidden by C++, not observed",
              "forbidden by C++ but observed (bug)"]
    draw.finish_with_header(fig, "Memory-model litmus tests: weak outcomes observed",
                            handles, labels, ncol=3)
    draw.no_spread_note(fig, spread_n(suite, suite.family(LITMUS)))
    save_figure(fig, run_dir, fname)
    caption = ("How often this machine produced each litmus test's weak outcome "
               "(impossible under sequential consistency), per C++ memory order: "
               "weak outcomes per million trials, symmetric-log scale, zero drawn as "
               "zero; the label gives the count and the trials. Each test ran once "
               "as two threads on two different PUs (no repetitions: the count is "
               "the result). Blue: C++ allows the outcome, the hardware may or may "
               "not show it; hatched grey: C++ forbids it and it was not seen; red: "
               "C++ forbids it and it was seen, which is a bug. Tests (herd7 "
               "catalogue): SB x=1;r0=y || y=1;r1=x, weak r0=r1=0; MP data=1;flag=1 "
               "|| r0=flag;r1=data, weak r0=1,r1=0; LB r0=x;y=1 || r1=y;x=1, weak "
               "r0=r1=1; 2+2W x=1;y=2 || y=1;x=2, weak finally x=y=1.")
    if errors:
        msgs = list(OrderedDict((e.message, True) for e in errors))
        caption += " Not measured: %s." % "; ".join(msgs)
    return fname, caption


def figures(run_dir, suite_data, context):
    return draw.drawn(*(make(run_dir, suite_data) for make in (
        _latency_figure, _scaling_figure, _cas_fail_figure, _litmus_figure)))


# --------------------------------------------------------------------------
# Tables and notes
# --------------------------------------------------------------------------

def summary_rows(run_dir, suite_data, context):
    """Two pivoted tables: uncontended ns/op per path (latency, throughput),
    and contended ops/s per path and layout at the highest thread count."""
    tables = []
    lat_cats, lat = _bar_data(suite_data, LATENCY)
    thr_cats, thr = _bar_data(suite_data, THROUGHPUT)
    cats = list(lat_cats) + [c for c in thr_cats if c not in lat_cats]
    ops = style.ordered([c[0] for c in cats], style.OP_ORDER)
    bits = style.ordered([c[1] for c in cats], ["32", "64"])
    cats = [(o, b) for o in ops for b in bits if (o, b) in cats]
    paths = style.ordered(list(lat) + list(thr), style.PATH_ORDER)
    if cats:
        columns = ["op", "bits"] + ["latency %s" % p for p in paths if p in lat] + \
            ["throughput %s" % p for p in paths if p in thr]
        rows = []
        for op, b in cats:
            row = [op, b or "—"]
            row += [fmt_num(lat[p].get((op, b))) for p in paths if p in lat]
            row += [fmt_num(thr[p].get((op, b))) for p in paths if p in thr]
            rows.append(row)
        tables.append(Table("Uncontended, ns per op (median over repetitions)",
                            columns, rows))
    cont = [r for r in _contended(suite_data) if r.value("ops_per_s") is not None]
    if cont:
        top = {}
        for r in cont:
            key = (r.get("op"), r.get("placement", "none"))
            top[key] = max(top.get(key, 0), r.threads)
        cols = []
        for p in style.ordered([r.get("path") for r in cont], style.PATH_ORDER):
            for lay in style.ordered([r.get("layout", "shared") for r in cont],
                                     style.LAYOUT_ORDER):
                cols.append((p, lay))
        cell = {}
        for r in cont:
            key = (r.get("op"), r.get("placement", "none"))
            if r.threads == top[key]:
                cell[key + (r.get("path"), r.get("layout", "shared"))] = r.value("ops_per_s")
        rows = []
        for op in style.ordered([k[0] for k in top], style.CONTENDED_OP_ORDER):
            for pl in style.ordered([k[1] for k in top if k[0] == op], style.PLACEMENT_ORDER):
                rows.append([op, pl, str(top[(op, pl)])] +
                            [fmt_num(cell.get((op, pl, p, lay))) for p, lay in cols])
        tables.append(Table("Contended ops/s (all threads) at the highest thread count "
                            "measured",
                            ["op", "placement", "threads"] +
                            ["%s %s" % (p, lay) for p, lay in cols], rows))
    cells = litmus_cells(suite_data)
    if cells:
        tables.append(Table(
            "Litmus tests: weak outcomes observed (one run each)",
            ["test", "order", "C++", "trials", "weak", "per million", ""],
            [[c.test, c.order, _verdict(c), str(c.trials), str(c.weak),
              fmt_num(c.per_million),
              "BUG: forbidden outcome observed" if c in litmus_violations(cells) else ""]
             for c in cells]))
    return tables


def notes(run_dir, suite_data, context):
    out = []
    overhead = harness_overhead_ns(suite_data)
    if overhead is not None:
        out.append("Harness overhead: %s ns per measured op (atomics_overhead/harness). "
                   "It is drawn as a reference line on the latency bars; the bars are "
                   "as measured." % fmt_num(overhead))
    paths = style.ordered([r.get("path") for r in suite_data.results if r.get("path")],
                          style.PATH_ORDER)
    if paths:
        out.append("Atomic paths measured: %s." % ", ".join(paths))
    out += _litmus_notes(suite_data)
    return out


def _litmus_notes(suite_data):
    cells = litmus_cells(suite_data)
    if not cells:
        return []
    out = []
    bad = litmus_violations(cells)
    if bad:
        out.append("WARNING: weak outcomes the C++ memory model forbids were observed: "
                   "%s. That is a bug in the compiler, the hardware or the test rig, "
                   "not a property of the memory order."
                   % "; ".join("%s %s %d of %d trials" % (c.test, c.order, c.weak, c.trials)
                               for c in bad))
    seen = [c for c in cells if c.weak > 0 and c not in bad]
    if seen:
        out.append("Litmus tests: reorderings observed on this machine: %s; every other "
                   "(test, order) showed none." % ", ".join(
                       "%s %s (%s per million)" % (c.test, c.order, fmt_num(c.per_million))
                       for c in seen))
    else:
        out.append("Litmus tests: no weak outcome observed for any (test, order) in "
                   "%s trials each at most." % _count(max(c.trials for c in cells)))
    note = suite_data.context.get("atomics_litmus_note")
    if note:
        out.append("%s." % str(note).rstrip("."))
    return out


# --------------------------------------------------------------------------
# Comparison of two runs (compare.py)
# --------------------------------------------------------------------------

def compare_figures(out_dir, side_a, side_b):
    data = []
    for side in (side_a, side_b):
        cats, per_path = _bar_data(side.suite, LATENCY) if side.suite else ([], {})
        data.append((cats, per_path))
    cats = []
    for c, _ in data:
        for x in c:
            if x not in cats:
                cats.append(x)
    if not cats:
        return []
    ops = style.ordered([c[0] for c in cats], style.OP_ORDER)
    bits = style.ordered([c[1] for c in cats], ["32", "64"])
    cats = [(o, b) for o in ops for b in bits if (o, b) in cats]
    series = []
    sides = (side_a, side_b)
    for i, (_, per_path) in enumerate(data):
        err = _bar_err(sides[i].suite, LATENCY) if sides[i].suite else {}
        for p, vals in per_path.items():
            series.append(draw.Series("%s %s" % ("AB"[i], p), style.colour(p),
                                      style.RUN_HATCH[i], vals, err.get(p)))
    n_paths = max(1, len(series))
    width = max(8.0, min(18.0, 2.2 + len(cats) * (0.35 + 0.2 * n_paths)))
    fig, axes = draw.new_figure(width, 4.6)
    ax = axes[0][0]
    draw.grouped_bars(ax, cats, series)
    multi_bits = len(set(c[1] for c in cats)) > 1
    ax.set_xticklabels([_cat_label(c, multi_bits) for c in cats])
    ax.set_ylabel("latency (ns per op)")
    ax.set_xlabel("operation")
    for i, side in enumerate((side_a, side_b)):
        ov = harness_overhead_ns(side.suite) if side.suite else None
        if ov is not None:
            ax.axhline(ov, color="#444444", linestyle=[":", "-."][i], linewidth=1.2,
                       zorder=5, label="%s harness overhead (%s ns)" % ("AB"[i], fmt_num(ov)))
    paths = style.ordered([p for _, pp in data for p in pp], style.PATH_ORDER)
    handles, labels = draw.path_layout_handles(paths, [])
    h2, l2 = draw.run_hatch_handles(side_a.label, side_b.label)
    h3, l3 = ax.get_legend_handles_labels()
    draw.finish_with_header(fig, "Uncontended atomic latency: A vs B", handles + h2 + h3,
                            labels + l2 + l3, ncol=min(4, len(labels + l2 + l3)))
    n_reps = max(spread_n(s.suite, s.suite.family(LATENCY)) if s.suite else 0 for s in sides)
    draw.no_spread_note(fig, n_reps)
    fname = save_figure(fig, out_dir, "compare_atomics_latency.png")
    caption = ("Uncontended latency of each atomic operation (dependent chain, median "
               "over repetitions). Colour = atomic path; solid bars = run A, hatched "
               "bars = run B. " + spread_caption(n_reps, "each run's repetitions"))
    return [(fname, caption)]


def compare_tables(side_a, side_b):
    rows = []
    la = _bar_data(side_a.suite, LATENCY) if side_a.suite else ([], {})
    lb = _bar_data(side_b.suite, LATENCY) if side_b.suite else ([], {})
    keys = []
    for cats, per_path in (la, lb):
        for p, vals in per_path.items():
            for c in vals:
                if (c[0], c[1], p) not in keys:
                    keys.append((c[0], c[1], p))
    op_rank = style.ordered([k[0] for k in keys], style.OP_ORDER)
    path_rank = style.ordered([k[2] for k in keys], style.PATH_ORDER)
    keys.sort(key=lambda k: (op_rank.index(k[0]), k[1], path_rank.index(k[2])))
    for op, bits, p in keys:
        a = la[1].get(p, {}).get((op, bits))
        b = lb[1].get(p, {}).get((op, bits))
        ratio = fmt_num(b / a) if a and b else "—"
        rows.append([op, bits or "—", p, fmt_num(a), fmt_num(b), ratio])
    if not rows:
        return []
    return [Table("Uncontended latency (ns/op)", ["op", "bits", "path", "A", "B", "B / A"],
                  rows)]
