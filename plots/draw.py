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
  path_layout_legend(...)    legend handles: colour = path, style = layout.
  Series                     (label, colour, hatch, values {category: v},
                             err {category: (lo, hi)} or None).
"""

from collections import namedtuple

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import (EngFormatter, FixedLocator, LogLocator,  # noqa: E402
                               NullFormatter, NullLocator)

import style  # noqa: E402
from common import fmt_num  # noqa: E402

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
            yerr = None
            if s.err and s.err.get(cat) is not None:
                lo, hi = s.err[cat]
                yerr = [[max(0.0, v - lo)], [max(0.0, hi - v)]]
            bars = ax.bar(x, v, width * 0.92, color=s.colour, hatch=s.hatch or None,
                          edgecolor="#333333" if s.hatch else s.colour,
                          linewidth=0.6, yerr=yerr,
                          error_kw={"elinewidth": 1.0, "capsize": 3, "ecolor": "#222222"},
                          zorder=3)
            if value_labels:
                ax.bar_label(bars, labels=[label_fmt(v)], padding=2, fontsize=font,
                             rotation=90 if rotate else 0, zorder=4)
            if s.label not in handles:
                handles[s.label] = bars[0]
    ax.set_xticks(range(len(categories)))
    ax.set_xlim(-0.6, len(categories) - 0.4)
    ax.grid(axis="x", visible=False)
    # Room above the tallest bar for its label.
    lo, hi = ax.get_ylim()
    ax.set_ylim(0, hi * (1.22 if rotate else 1.1))
    return list(handles.values()), list(handles.keys())


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
    import math
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


def wrap(text, width=38):
    import textwrap
    return "\n".join(textwrap.wrap(text, width)) or text
