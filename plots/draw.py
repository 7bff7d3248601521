"""Matplotlib building blocks shared by the suite plot modules.

What this module offers
  new_figure(w, h, ...)      plt.subplots with the house style applied.
  grouped_bars(ax, categories, series, ...)
                             bars grouped by category, one bar per series that
                             has a value there (no gaps for missing series),
                             optional value labels and error bars.
  thread_axis(ax, threads)   x axis for thread counts: linear for short
                             sweeps, log2 for long ones, ticks at the counts
                             actually measured.
  rate_axis(ax)              y axis for ops/s with SI prefixes (k, M, G).
  log_ticks(ax)              fixed log ticks on y with SI-prefixed labels.
  path_layout_handles(...)   legend handles: colour = path, style = layout.
  run_hatch_handles(a, b)    legend handles: solid = run A, hatched = run B.
  finish_with_header(...)    title and one shared legend above the axes.
  message_panel(ax, ...)     an axes used as a text box.
  drawn(*figures)            a figures() result: the (png, caption) pairs of
                             the figure functions that drew one.
  Series                     (label, colour, hatch, values {category: v},
                             err {category: (lo, hi)} or None).
  fmt_ns(ns)                 THE duration formatter for labels, captions and
                             tables: "40 ns", "1.30 µs", "36.0 ms", "2.00 s".
  ns_tick(v)                 tick label of a log axis in ns ("100 ns", "1 µs").
  place_labels(ax, points)   labels for scatter points without overlaps.
  compare_bars(ax, ...)      compare.py bars: run A solid, run B hatched.
  whiskers(ax, xs, vs, spreads, ...)
                             p10-p90 whiskers (common.spread) on bars drawn
                             with ax.bar / ax.barh, or on a line's points.
  no_spread_note(fig, n)     "n=1, no spread" in the figure's corner when its
                             values fold fewer repetitions than whiskers need.
"""

import math
from collections import namedtuple

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import (EngFormatter, FixedLocator, LogLocator,  # noqa: E402
                               NullFormatter, NullLocator)

import style  # noqa: E402
from common import SPREAD_MIN_REPETITIONS, fmt_num  # noqa: E402

Series = namedtuple("Series", "label colour hatch values err")
Series.__new__.__defaults__ = ("", None)


def new_figure(width, height, nrows=1, ncols=1, **kw):
    """A figure and axes array (always 2-D, squeeze=False)."""
    style.apply_rc()
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height),
                             squeeze=False, **kw)
    return fig, axes


def grouped_bars(ax, categories, series, value_labels=True, group_width=0.8,
                 label_fmt=fmt_num):
    """Draw one group of bars per category; within a group only the series
    that have a value for it, centred. Returns the legend handles (one per
    series that drew a bar)."""
    handles = {}
    max_bars = 1
    for cat in categories:
        max_bars = max(max_bars, sum(1 for s in series if s.values.get(cat) is not None))
    width = group_width / max_bars
    n_bars = sum(1 for cat in categories for s in series if s.values.get(cat) is not None)
    rotate = n_bars > 16
    font = 7 if n_bars > 24 else 8
    for ci, cat in enumerate(categories):
        present = [s for s in series if s.values.get(cat) is not None]
        for bi, s in enumerate(present):
            x = ci + (bi - (len(present) - 1) / 2.0) * width
            v = s.values[cat]
            bars = ax.bar(x, v, width * 0.92, color=s.colour, hatch=s.hatch or None,
                          edgecolor="#333333" if s.hatch else s.colour,
                          linewidth=0.6, zorder=3)
            err = s.err.get(cat) if s.err else None
            whiskers(ax, [x], [v], [err])
            if value_labels:  # above the whisker when there is one
                ax.annotate(label_fmt(v), (x, max(v, err[1]) if err else v), xytext=(0, 2),
                            textcoords="offset points", ha="center", va="bottom",
                            fontsize=font, rotation=90 if rotate else 0, zorder=4)
            if s.label not in handles:
                handles[s.label] = bars[0]
    ax.set_xticks(range(len(categories)))
    ax.set_xlim(-0.6, len(categories) - 0.4)
    ax.grid(axis="x", visible=False)
    # Room above the tallest bar for its label.
    lo, hi = ax.get_ylim()
    ax.set_ylim(0, hi * (1.22 if rotate else 1.1))
    return list(handles.values()), list(handles.keys())


WHISKER_COLOUR = "#222222"


def whiskers(ax, xs, values, spreads, horizontal=False, colour=WHISKER_COLOUR, capsize=3):
    """Whiskers from lo to hi at each x (a bar's centre, a line's point)
    whose spread (lo, hi) is not None (common.spread: p10-p90 over the
    repetitions); values: the bars' heights (lengths when horizontal): no
    whisker where one is None. One ErrorbarContainer in ax.containers; returns how
    many whiskers it drew."""
    pts = [(x, s) for x, v, s in zip(xs, values, spreads) if v is not None and s is not None]
    if not pts:
        return 0
    # Drawn from lo up to hi (not around the value: a median of ratios need
    # not lie between the p10 and p90 of the per-repetition ratios).
    err = [[0.0] * len(pts), [max(0.0, s[1] - s[0]) for _, s in pts]]
    pos = [x for x, _ in pts]
    vals = [s[0] for _, s in pts]
    kw = {"fmt": "none", "ecolor": colour, "elinewidth": 1.0, "capsize": capsize,
          "zorder": 5}
    if horizontal:
        ax.errorbar(vals, pos, xerr=err, **kw)
    else:
        ax.errorbar(pos, vals, yerr=err, **kw)
    return len(pts)


def no_spread_note(fig, n):
    """Say "n=N, no spread" in the lower right corner of fig when its values
    fold 1 <= n < SPREAD_MIN_REPETITIONS repetitions (no whisker drawn);
    returns the Text or None."""
    if not 1 <= n < SPREAD_MIN_REPETITIONS:
        return None
    return fig.text(0.995, 0.005, "n=%d, no spread" % n, ha="right", va="bottom",
                    fontsize=8, color="#666666")


def thread_axis(ax, threads):
    """Thread-count x axis, ticks at the measured counts."""
    threads = sorted(set(int(t) for t in threads if t))
    if not threads:
        return
    if threads[-1] / max(threads[0], 1) >= 8:
        ax.set_xscale("log", base=2)
        ax.xaxis.set_minor_locator(NullLocator())
    ticks = threads
    if len(ticks) > 12:  # keep labels readable on 64+ PU machines
        step = (len(ticks) + 11) // 12
        ticks = ticks[::step] + ([threads[-1]] if threads[-1] not in ticks[::step] else [])
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.set_xticklabels([str(t) for t in ticks])
    pad = 0.15 if ax.get_xscale() == "log" else 0.0
    if ax.get_xscale() == "log":
        ax.set_xlim(threads[0] / (1 + pad * 2), threads[-1] * (1 + pad * 2))
    else:
        span = max(threads[-1] - threads[0], 1)
        ax.set_xlim(threads[0] - 0.08 * span, threads[-1] + 0.08 * span)
    ax.set_xlabel("threads")


def rate_axis(ax):
    """Log-scale y axis with SI-prefixed tick labels (k, M, G). Call again
    (or log_ticks) after changing the y limits."""
    ax.set_yscale("log")
    log_ticks(ax)


def log_ticks(ax):
    """Fixed log ticks for the current y limits: decades when they give 3 to
    8 ticks, else 1-2-5 steps, else finer steps; every k-th decade beyond."""
    lo, hi = ax.get_ylim()
    lo = max(lo, 1e-300)
    e_lo = int(math.floor(math.log10(lo))) - 1
    e_hi = int(math.ceil(math.log10(hi))) + 1
    options = []
    for mantissas in ((1,), (1, 2, 5), (1, 2, 3, 5, 7), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        ticks = [m * 10.0 ** e for e in range(e_lo, e_hi + 1) for m in mantissas]
        options.append([t for t in ticks if lo <= t <= hi])
    ticks = next((t for t in options if 3 <= len(t) <= 8), None) or \
        next((t for t in options if 2 <= len(t) <= 8), None) or options[0]
    if len(ticks) > 8:  # many decades: every other (third, ...) decade
        ticks = ticks[::(len(ticks) + 7) // 8]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(EngFormatter(unit="", places=None, sep=" "))
    ax.yaxis.set_minor_locator(LogLocator(base=10, subs="auto"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(lo, hi)


def path_layout_handles(paths, layouts):
    """Legend handles: one coloured line+marker per path, one black line per
    layout style."""
    handles, labels = [], []
    for p in paths:
        handles.append(Line2D([], [], color=style.colour(p), marker=style.marker(p),
                              linewidth=2))
        labels.append(p)
    if len(layouts) > 0:
        for lay in layouts:
            handles.append(Line2D([], [], color="#333333", linestyle=style.linestyle(lay),
                                  linewidth=1.6))
            labels.append("%s line" % lay)
    return handles, labels


def run_hatch_handles(label_a, label_b):
    """Legend handles telling solid = run A, hatched = run B."""
    return ([Patch(facecolor="#bbbbbb", edgecolor="#333333"),
             Patch(facecolor="#bbbbbb", edgecolor="#333333", hatch="//")],
            ["A: %s" % label_a, "B: %s" % label_b])


def finish_with_header(fig, title, handles, labels, ncol, legend_title=None):
    """Title and one shared legend above the axes, then tight_layout under
    them. Space is reserved in inches so it reads the same for any figure
    height."""
    height = fig.get_size_inches()[1]
    rows = max(1, -(-len(labels) // max(1, ncol))) if labels else 0
    title_in = 0.38 if title else 0.0
    legend_in = (0.22 * rows + (0.22 if legend_title else 0.0) + 0.08) if labels else 0.0
    top = 1.0 - (title_in + legend_in + 0.05) / height
    fig.tight_layout(rect=(0, 0, 1, top))
    if title:
        fig.suptitle(title, y=1.0 - 0.04 / height, va="top")
    if labels:
        fig.legend(handles, labels, loc="upper center", ncol=ncol, frameon=False,
                   title=legend_title,
                   bbox_to_anchor=(0.5, 1.0 - (title_in + 0.02) / height))


def message_panel(ax, title, text):
    """An axes used as a text box (e.g. a placement that was not honoured)."""
    ax.set_title(title)
    ax.tick_params(left=False, labelleft=False, bottom=False, labelbottom=False)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("#cccccc")
    ax.set_facecolor("#f7f7f7")
    ax.grid(False)
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True,
            fontsize=9, color="#555555", transform=ax.transAxes)


def drawn(*figures):
    """The figures a suite module's figures() returns: each argument is what
    one figure function gave, (png, caption) or None when it had nothing to
    draw; the Nones are dropped, the order kept."""
    return [f for f in figures if f]


def wrap(text, width=38):
    import textwrap
    return "\n".join(textwrap.wrap(text, width)) or text


# --------------------------------------------------------------------------
# Formatters
# --------------------------------------------------------------------------

def fmt_ns(ns):
    """A duration given in ns with a unit: "40 ns", "1.30 µs", "36.0 ms"."""
    if ns is None or (isinstance(ns, float) and math.isnan(ns)):
        return "—"
    ns = float(ns)
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if abs(ns) >= scale:
            return "%s %s" % (fmt_num(ns / scale), unit)
    return "%s ns" % (("%d" % ns) if ns.is_integer() else fmt_num(ns))


def ns_tick(v, _pos=None):
    """Tick label of a log axis in ns: "100 ns", "1 µs", "10 ms"."""
    if v <= 0:
        return ""
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if v >= scale:
            return "%g %s" % (float("%.3g" % (v / scale)), unit)
    return "%g ns" % float("%.3g" % v)


# --------------------------------------------------------------------------
# Labels without overlaps
# --------------------------------------------------------------------------

def _overlaps(box, boxes):
    return any(box.overlaps(b) for b in boxes)


def _segment_hits(p0, p1, boxes, skip=0.0):
    """True when the segment p0-p1 (display coordinates) passes through one
    of the boxes (sampled every few pixels: labels are tens of pixels),
    ignoring its first `skip` pixels."""
    length = math.hypot(p1[0] - p0[0], p1[1] - p0[1])
    n = max(2, int(length / 3))
    for k in range(1, n):
        if length * k / n < skip:  # leaving its own crowd of markers
            continue
        x = p0[0] + (p1[0] - p0[0]) * k / n
        y = p0[1] + (p1[1] - p0[1]) * k / n
        if any(b.contains(x, y) for b in boxes):
            return True
    return False


def place_labels(ax, points, bold=()):
    """Label scatter points without overlaps: points is [(x, y, text,
    colour)]. Each label tries positions on rings around its point, nearest
    ring first and, on a ring, directions pointing away from the nearby
    points first; beyond the first ring a leader line joins label and point.
    A position is taken when the label overlaps no other label and no point,
    its leader crosses no label and no other leader, and it stays inside the
    axes. Greedy, crowded points first; when some label finds no place, the
    placement is redone with those labels first (a few rounds), and the best
    round is kept; a label that still has no place goes right of its point.
    Call after the final layout (offsets are in points, positions in display
    space)."""
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    ax_box = ax.get_window_extent(renderer)
    pt = fig.dpi / 72.0
    pix = [tuple(float(v) for v in ax.transData.transform((x, y)))
           for x, y, _t, _c in points]
    marks = [Bbox.from_extents(px - 5 * pt, py - 5 * pt, px + 5 * pt, py + 5 * pt)
             for px, py in pix]
    sizes = []
    for _x, _y, text, _c in points:
        probe = ax.text(0, 0, text, fontsize=8,
                        fontweight="bold" if text in bold else "normal")
        ext = Text.get_window_extent(probe, renderer)
        sizes.append((ext.width * 1.06, ext.height * 1.15))
        probe.remove()

    def near(i):
        return [j for j, q in enumerate(pix) if j != i and
                math.hypot(q[0] - pix[i][0], q[1] - pix[i][1]) < 70 * pt]

    def angles(i):
        base = [0, 180, 30, -30, 150, -150, 60, -60, 120, -120, 90, -90]
        nb = near(i)
        if not nb:
            return base
        cx = sum(pix[j][0] for j in nb) / len(nb) - pix[i][0]
        cy = sum(pix[j][1] for j in nb) / len(nb) - pix[i][1]
        away = math.degrees(math.atan2(-cy, -cx))
        return sorted(base, key=lambda a: abs((a - away + 180) % 360 - 180))

    def candidates(i):
        for radius in (7, 20, 34, 50, 70, 95):
            for a in angles(i) if radius > 7 else [0, 180, 90, -90]:
                dx = math.cos(math.radians(a)) * radius
                dy = math.sin(math.radians(a)) * radius
                ha = "left" if dx > 1 else ("right" if dx < -1 else "center")
                va = "center" if abs(dx) > 1 else ("bottom" if dy > 0 else "top")
                ex, ey = pix[i][0] + dx * pt, pix[i][1] + dy * pt
                w, h = sizes[i]
                x0 = {"left": ex, "right": ex - w, "center": ex - w / 2}[ha]
                y0 = {"bottom": ey, "top": ey - h, "center": ey - h / 2}[va]
                yield (dx, dy, ha, va, radius > 7, (ex, ey),
                       Bbox.from_extents(x0, y0, x0 + w, y0 + h))

    def attempt(order):
        placed, leaders, chosen, failed = [], [], {}, []
        for i in order:
            others = [m for j, m in enumerate(marks) if j != i]
            for dx, dy, ha, va, leader, end, box in candidates(i):
                if not (box.x0 >= ax_box.x0 and box.x1 <= ax_box.x1 and
                        box.y0 >= ax_box.y0 and box.y1 <= ax_box.y1):
                    continue
                if _overlaps(box, placed) or _overlaps(box, others):
                    continue
                if leader and (_segment_hits(pix[i], end, placed) or
                               _segment_hits(pix[i], end, others, skip=10 * pt) or
                               any(_segments_cross(pix[i], end, a0, a1)
                                   for a0, a1 in leaders)):
                    continue
                chosen[i] = (dx, dy, ha, va, leader)
                placed.append(box)
                if leader:
                    leaders.append((pix[i], end))
                break
            else:
                failed.append(i)
        return chosen, failed

    order = sorted(range(len(points)),
                   key=lambda i: (points[i][2] not in bold, -len(near(i)), i))
    best = None
    for _round in range(4):
        chosen, failed = attempt(order)
        if best is None or len(failed) < len(best[1]):
            best = (chosen, failed)
        if not failed:
            break
        order = failed + [i for i in order if i not in failed]
    chosen = best[0]
    for i, (x, y, text, colour) in enumerate(points):
        weight = "bold" if text in bold else "normal"
        dx, dy, ha, va, leader = chosen.get(i, (6, 0, "left", "center", False))
        ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha,
                    va=va, fontsize=8, fontweight=weight, color="#222222", zorder=6,
                    arrowprops=({"arrowstyle": "-", "color": colour, "lw": 0.8,
                                 "shrinkA": 1, "shrinkB": 4} if leader else None))


def _segments_cross(p1, p2, p3, p4):
    """True when segments p1-p2 and p3-p4 properly intersect."""
    def orient(a, b, c):
        v = float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
        return 1 if v > 0 else (-1 if v < 0 else 0)
    return (orient(p1, p2, p3) * orient(p1, p2, p4) < 0 and
            orient(p3, p4, p1) * orient(p3, p4, p2) < 0)


# --------------------------------------------------------------------------
# Comparison of two runs
# --------------------------------------------------------------------------

def compare_bars(ax, names, per_side, label_fmt=fmt_num, colour=style.colour, errs=None):
    """Grouped bars for compare figures: one group per name (a lock, a
    map...), run A solid and run B hatched, in the name's colour (`colour`:
    name -> colour). per_side: [{name: value}, {name: value}]; errs, when
    given: [{name: (p10, p90) or None}, ...] per side, drawn as whiskers."""
    series = []
    for i, vals in enumerate(per_side):
        err = (errs[i] if errs else None) or {}
        for name in names:
            if vals.get(name) is not None:
                series.append(Series("%s %s" % ("AB"[i], name), colour(name),
                                     style.RUN_HATCH[i], {name: vals[name]},
                                     {name: err.get(name)}))
    grouped_bars(ax, names, series, label_fmt=label_fmt)
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8.5)


def ratio_strip(ax, names, runs, ratios, marks, spreads=None):
    """Ratios to the first run: one row per benchmark (names), one marker per
    further run (runs[1:]); filled where significant, hollow where "~".
    ratios / marks: {run_index: [value or None per name]}; spreads, when
    given: {run_index: [(lo, hi) or None per name]}, horizontal whiskers.
    Log x axis, 1 marked."""
    colours = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    ys = range(len(names))
    for k, run in enumerate(runs[1:], start=1):
        c = colours[(k - 1) % len(colours)]
        if spreads and spreads.get(k):
            whiskers(ax, list(ys), ratios[k],
                     [sp if sp and sp[0] > 0 else None for sp in spreads[k]],
                     horizontal=True, colour=c, capsize=2)
        first = True
        for y, v, m in zip(ys, ratios[k], marks[k]):
            if v is None or v <= 0:
                continue
            ax.plot([v], [y], "o", markersize=6, markeredgecolor=c,
                    markerfacecolor=("none" if m == "~" else c),
                    label=(run if first else None))
            first = False
    ax.axvline(1.0, color="0.4", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(list(ys))
    ax.set_yticklabels(names, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("median time per operation, run / %s  (< 1: faster; hollow: not "
                  "significant, Mann-Whitney U, alpha 0.05)" % runs[0], fontsize=8)
    ax.legend(fontsize=7, loc="best")
