"""Figures and tables of the cache-to-cache latency suite (c2c.json).

Family read:
  c2c/pu_a:I/pu_b:J/class:C   one_way_ns (median of the pair's samples),
                              one_way_ns_p10, one_way_ns_p90, one_way_ns_min,
                              samples. C is a distance class: same_pu,
                              smt_sibling, same_l3, same_package,
                              cross_package, cross_numa.
The suite context may carry "c2c_mode": "all_pairs" or "sampled_by_class".

Figures
  c2c_heatmap.png    PU x PU matrix of one_way_ns. A measured pair (a, b)
                     also fills (b, a) unless (b, a) was measured itself;
                     unmeasured cells are light grey. Values are written in
                     the cells when the matrix is small (<= 16 PUs).
  c2c_by_class.png   per distance class: bar = median over the class's pairs
                     of their median one-way latency; whiskers = median over
                     pairs of p10 and of p90 (the spread within a typical
                     pair); dots = each pair's median.
"""

import math
import statistics
from collections import OrderedDict

import numpy as np

import draw
import style
from common import Table, as_number, fmt_num, save_figure

TITLE = "Core-to-core (cache line transfer) latency"

FAMILY = "c2c"
ANNOTATE_MAX_PUS = 16


class Pair:
    __slots__ = ("a", "b", "cls", "median", "p10", "p90", "min", "samples", "label")

    def __init__(self, r):
        self.a = as_number(r.get("pu_a"))
        self.b = as_number(r.get("pu_b"))
        self.cls = r.get("class", "unknown") or "unknown"
        self.median = r.value("one_way_ns")
        self.p10 = r.value("one_way_ns_p10")
        self.p90 = r.value("one_way_ns_p90")
        self.min = r.value("one_way_ns_min")
        self.samples = r.value("samples")
        self.label = r.label


def pairs_of(suite):
    """Measured pairs with integer PUs and a median."""
    out = []
    for r in suite.family(FAMILY):
        p = Pair(r)
        if isinstance(p.a, int) and isinstance(p.b, int) and p.median is not None:
            out.append(p)
    return out


def class_stats(pairs):
    """OrderedDict class -> dict(n, median, p10, p90, min, fastest, slowest,
    samples), classes in distance order."""
    by = OrderedDict()
    for c in style.ordered([p.cls for p in pairs], style.C2C_CLASS_ORDER):
        ps = [p for p in pairs if p.cls == c]
        med = statistics.median(p.median for p in ps)
        p10s = [p.p10 for p in ps if p.p10 is not None]
        p90s = [p.p90 for p in ps if p.p90 is not None]
        mins = [p.min for p in ps if p.min is not None]
        fastest = min(ps, key=lambda p: p.median)
        slowest = max(ps, key=lambda p: p.median)
        samples = [p.samples for p in ps if p.samples is not None]
        by[c] = {
            "n": len(ps),
            "median": med,
            "p10": statistics.median(p10s) if p10s else None,
            "p90": statistics.median(p90s) if p90s else None,
            "min": min(mins) if mins else None,
            "fastest": fastest,
            "slowest": slowest,
            "samples": sum(samples) if samples else None,
            "medians": [p.median for p in ps],
        }
    return by


def _mode(suite):
    mode = suite.context.get("c2c_mode")
    return mode if isinstance(mode, str) else None


# --------------------------------------------------------------------------
# Heatmap
# --------------------------------------------------------------------------

def _matrix(pairs):
    pus = sorted(set([p.a for p in pairs] + [p.b for p in pairs]))
    index = {pu: i for i, pu in enumerate(pus)}
    n = len(pus)
    m = np.full((n, n), np.nan)
    measured = np.zeros((n, n), dtype=bool)
    for p in pairs:
        i, j = index[p.a], index[p.b]
        m[i, j] = p.median
        measured[i, j] = True
    for p in pairs:  # symmetric fill where the reverse was not measured
        i, j = index[p.a], index[p.b]
        if not measured[j, i]:
            m[j, i] = p.median
    return pus, m, measured


def _machine_pus(context):
    """PU count of the machine from context.json's topology, or None."""
    from common import ctx_get
    v = ctx_get(context or {}, "topology.pus", "topology.pu_count", "topology.num_pus")
    if isinstance(v, list):
        v = len(v)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _heatmap(run_dir, suite, pairs, context=None):
    import matplotlib
    pus, m, measured = _matrix(pairs)
    n = len(pus)
    annotate = n <= ANNOTATE_MAX_PUS
    side = min(11.0, max(4.6, 2.8 + 0.16 * n)) if not annotate else max(4.6, 2.6 + 0.55 * n)
    fig, axes = draw.new_figure(side + 1.3 if n > 2 else side, side)
    ax = axes[0][0]
    cmap = matplotlib.colormaps["viridis"].copy()
    cmap.set_bad("#e9e9e9")
    finite = m[np.isfinite(m)]
    vmin, vmax = float(finite.min()), float(finite.max())
    one_value = math.isclose(vmin, vmax)
    if one_value:  # e.g. 2 PUs, one pair: a mid-scale colour, no colour bar
        pad = max(abs(vmin) * 0.1, 1.0)
        vmin, vmax = vmin - pad, vmax + pad
    im = ax.imshow(np.ma.masked_invalid(m), cmap=cmap, vmin=vmin, vmax=vmax,
                   interpolation="nearest", origin="upper", aspect="equal")
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(True)
    if n <= 32:
        ticks = list(range(n))
    else:
        step = int(math.ceil(n / 16.0))
        ticks = list(range(0, n, step))
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xticklabels([str(pus[i]) for i in ticks])
    ax.set_yticklabels([str(pus[i]) for i in ticks])
    ax.set_xlabel("PU b (OS CPU number)")
    ax.set_ylabel("PU a (OS CPU number)")
    if n <= 32:  # cell borders help the eye on small matrices
        ax.set_xticks(np.arange(-0.5, n, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, n, 1), minor=True)
        ax.grid(which="minor", color="white", linewidth=1.5 if n <= 8 else 0.6)
        ax.tick_params(which="minor", length=0)
    if annotate:
        size = 12 if n <= 4 else (9 if n <= 8 else 7)
        norm = im.norm
        for i in range(n):
            for j in range(n):
                v = m[i, j]
                if np.isfinite(v):
                    lum = np.dot(cmap(norm(v))[:3], [0.299, 0.587, 0.114])
                    txt = fmt_num(float(v))
                    if not measured[i, j]:
                        txt += "*"
                    ax.text(j, i, txt, ha="center", va="center", fontsize=size,
                            color="black" if lum > 0.5 else "white")
                else:
                    ax.text(j, i, "—", ha="center", va="center", fontsize=size,
                            color="#9a9a9a")
    if not (one_value and annotate):
        cbar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        cbar.set_label("one-way latency, median (ns)")
    mode = _mode(suite)
    total = _machine_pus(context)
    if total and total > n:
        sub = "%d of the machine's %d PUs appear in the %d measured pair%s" % (
            n, total, len(pairs), "" if len(pairs) == 1 else "s")
    else:
        sub = "%d PUs, %d measured pair%s" % (n, len(pairs), "" if len(pairs) == 1 else "s")
    if mode:
        sub += ", mode: %s" % mode.replace("_", " ")
    ax.set_title("Core-to-core one-way latency\n%s" % sub)
    fig.tight_layout()
    fname = save_figure(fig, run_dir, "c2c_heatmap.png")
    caption = ("Median one-way latency of handing a cache line from PU a to PU b (ns); "
               "rows and columns are the PUs that appear in a measured pair, labelled "
               "with their OS CPU numbers. "
               "Each measured pair (a, b) also fills the mirror cell (b, a) when that "
               "direction was not measured itself")
    caption += " (mirrored values are marked *)" if annotate else ""
    caption += "; grey cells were not measured (the diagonal: a PU with itself"
    if mode == "sampled_by_class":
        caption += ", and pairs skipped because the run sampled a few pairs per class"
    caption += ")."
    return fname, caption


# --------------------------------------------------------------------------
# By class
# --------------------------------------------------------------------------

def _by_class(run_dir, suite, pairs):
    stats = class_stats(pairs)
    classes = list(stats)
    fig, axes = draw.new_figure(max(5.5, 1.6 + 1.5 * len(classes)), 4.6)
    ax = axes[0][0]
    rng = np.random.default_rng(12345)  # fixed jitter: identical PNGs per run
    for i, c in enumerate(classes):
        s = stats[c]
        colour = style.colour(c)
        ax.bar(i, s["median"], 0.6, color=colour, alpha=0.85, zorder=2,
               edgecolor=colour)
        if s["p10"] is not None and s["p90"] is not None:
            draw.whiskers(ax, [i], [s["median"]], [(s["p10"], s["p90"])], capsize=6)
        meds = s["medians"]
        if len(meds) > 1:
            xs = i + rng.uniform(-0.22, 0.22, size=len(meds))
            ax.scatter(xs, meds, s=10 if len(meds) < 200 else 4, color="#111111",
                       alpha=0.55 if len(meds) < 200 else 0.25, zorder=3, linewidths=0)
        top = max([s["median"], s["p90"] or 0.0] + meds)
        ax.annotate("%s ns" % fmt_num(s["median"]), (i, top), xytext=(0, 4),
                    textcoords="offset points", ha="center", va="bottom",
                    fontsize=9, fontweight="bold")
    ax.set_xticks(range(len(classes)))
    ax.set_xticklabels(["%s\n(%d pair%s)" % (style.class_label(c), stats[c]["n"],
                                              "" if stats[c]["n"] == 1 else "s")
                        for c in classes])
    ax.set_xlim(-0.6, len(classes) - 0.4)
    ax.grid(axis="x", visible=False)
    lo, hi = ax.get_ylim()
    ax.set_ylim(0, hi * 1.12)
    ax.set_ylabel("one-way latency (ns)")
    ax.set_xlabel("distance class (near → far)")
    ax.set_title("Core-to-core latency by distance class")
    fig.tight_layout()
    fname = save_figure(fig, run_dir, "c2c_by_class.png")
    caption = ("Bar: median over the class's PU pairs of each pair's median one-way "
               "latency. Whiskers: p10–p90 of a typical pair's samples (median over the "
               "class's pairs of their p10 and p90; the spread within one pair's round trips, "
               "not over repetitions: the suite writes one value per pair). Dots: each pair's "
               "median, where a class has more than one pair.")
    return fname, caption


def figures(run_dir, suite_data, context):
    pairs = pairs_of(suite_data)
    if not pairs:
        return []
    return [_heatmap(run_dir, suite_data, pairs, context),
            _by_class(run_dir, suite_data, pairs)]


def summary_rows(run_dir, suite_data, context):
    pairs = pairs_of(suite_data)
    if not pairs:
        return []
    rows = []
    for c, s in class_stats(pairs).items():
        rows.append([c, str(s["n"]), fmt_num(s["median"]), fmt_num(s["p10"]),
                     fmt_num(s["p90"]), fmt_num(s["min"]),
                     "%d↔%d (%s)" % (s["fastest"].a, s["fastest"].b,
                                     fmt_num(s["fastest"].median)),
                     "%d↔%d (%s)" % (s["slowest"].a, s["slowest"].b,
                                     fmt_num(s["slowest"].median)),
                     fmt_num(s["samples"])])
    return [Table("One-way latency by distance class (ns)",
                  ["class", "pairs", "median", "p10", "p90", "min", "fastest pair",
                   "slowest pair", "samples"], rows)]


def notes(run_dir, suite_data, context):
    out = []
    mode = _mode(suite_data)
    if mode == "sampled_by_class":
        out.append("Mode: sampled by class — a few PU pairs per distance class were "
                   "measured, not every pair; the heatmap is sparse by design.")
    elif mode == "all_pairs":
        out.append("Mode: all pairs — every PU pair was measured.")
    pairs = pairs_of(suite_data)
    if pairs:
        n = len(set([p.a for p in pairs] + [p.b for p in pairs]))
        out.append("%d PU pairs measured over %d PUs." % (len(pairs), n))
    return out


# --------------------------------------------------------------------------
# Comparison of two runs (compare.py)
# --------------------------------------------------------------------------

def compare_figures(out_dir, side_a, side_b):
    stats = [class_stats(pairs_of(s.suite)) if s.suite else OrderedDict()
             for s in (side_a, side_b)]
    classes = style.ordered([c for st in stats for c in st], style.C2C_CLASS_ORDER)
    if not classes:
        return []
    fig, axes = draw.new_figure(max(6.0, 2.0 + 1.7 * len(classes)), 4.6)
    ax = axes[0][0]
    # Colour is the class (as in c2c_by_class.png); hatch tells the run.
    for i, st in enumerate(stats):
        for c in classes:
            if c not in st:
                continue
            vals = {c: st[c]["median"]}
            err = None
            if st[c]["p10"] is not None and st[c]["p90"] is not None:
                err = {c: (st[c]["p10"], st[c]["p90"])}
            series = [draw.Series("AB"[i], style.colour(c), style.RUN_HATCH[i], vals, err)]
            # Two bars per class: A left, B right.
            _bar_at(ax, classes.index(c) + (-0.2 if i == 0 else 0.2), series[0], c)
    ax.set_xticks(range(len(classes)))
    ax.set_xticklabels([style.class_label(c) for c in classes])
    ax.set_xlim(-0.6, len(classes) - 0.4)
    ax.grid(axis="x", visible=False)
    lo, hi = ax.get_ylim()
    ax.set_ylim(0, hi * 1.12)
    ax.set_ylabel("one-way latency, median (ns)")
    ax.set_xlabel("distance class (near → far)")
    ax.set_title("Core-to-core latency by distance class: A vs B")
    h, lab = draw.run_hatch_handles(side_a.label, side_b.label)
    ax.legend(h, lab, loc="upper left")
    fig.tight_layout()
    fname = save_figure(fig, out_dir, "compare_c2c_by_class.png")
    caption = ("Median over each class's PU pairs of the pair's median one-way latency; "
               "whiskers p10–p90 of a typical pair's samples (within the pair, not over "
               "repetitions). Solid = run A, hatched = run B; a "
               "class measured in only one run has one bar.")
    return [(fname, caption)]


def _bar_at(ax, x, s, cat):
    v = s.values[cat]
    err = s.err.get(cat) if s.err else None
    ax.bar(x, v, 0.38, color=s.colour, hatch=s.hatch or None, edgecolor="#333333",
           linewidth=0.6, zorder=3)
    draw.whiskers(ax, [x], [v], [err])
    ax.annotate(fmt_num(v), (x, max(v, err[1]) if err else v), xytext=(0, 2),
                textcoords="offset points", ha="center", va="bottom", fontsize=8)


def compare_tables(side_a, side_b):
    stats = [class_stats(pairs_of(s.suite)) if s.suite else OrderedDict()
             for s in (side_a, side_b)]
    classes = style.ordered([c for st in stats for c in st], style.C2C_CLASS_ORDER)
    rows = []
    for c in classes:
        a = stats[0][c]["median"] if c in stats[0] else None
        b = stats[1][c]["median"] if c in stats[1] else None
        rows.append([c, str(stats[0][c]["n"]) if c in stats[0] else "0", fmt_num(a),
                     str(stats[1][c]["n"]) if c in stats[1] else "0", fmt_num(b),
                     fmt_num(b / a) if a and b else "—"])
    if not rows:
        return []
    return [Table("One-way latency by class, median (ns)",
                  ["class", "A pairs", "A", "B pairs", "B", "B / A"], rows)]
