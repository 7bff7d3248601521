"""Fixed colours, markers, line styles and orderings shared by every figure.

What this module offers
  colour(name)        -> "#rrggbb": one fixed colour per implementation / atomic
                         path / distance class, the same in every figure, so a
                         reader learns it once. Unknown names get a
                         deterministic colour (CRC-32 of the name into a
                         palette): the same name is the same colour in every
                         run, on every machine, in every Python process.
  marker(name)        -> a matplotlib marker, fixed per name the same way.
  base_name(name)     -> the implementation a variant belongs to
                         ("GoMutex_instr" -> "GoMutex"); variants share its
                         colour and marker.
  LAYOUT_LINESTYLE    -> line style per cache-line layout (shared solid,
                         padded dashed).
  distinct_colours(names) -> {name: colour}, no two names sharing one
                         (for names without a fixed colour).
  ordered(names, order) -> names sorted by a preferred order list, unknown
                         names appended alphabetically.
  apply_rc()          -> the house matplotlib rcParams (fonts, grid, dpi).
  PATH_ORDER, OP_ORDER, PLACEMENT_ORDER, C2C_CLASS_ORDER: display orders.

Families of names (tbb_*, moodycamel*, GoMutex*) get shades of one hue, so a
reader sees the family at a glance and still tells the members apart.
"""

import zlib

# One colour per name. Chosen for contrast on white and with each other; the
# atomic paths use the strongest four so the most common figures read well.
_FIXED = {
    # Atomic paths (primitives/arch/*).
    "portable": "#7f7f7f",      # grey: the std::atomic baseline
    "x86_64": "#1f77b4",        # blue
    "llsc": "#d62728",          # red
    "lse": "#2ca02c",           # green
    # Baselines people would otherwise pick.
    "boost_fiber": "#8c564b",
    "go_chan": "#17becf",       # the Go runtime's own channels
    "go_runtime": "#17becf",
    "Chan": "#ff7f0e",          # syncscope's channel
    "Chan_goroutine": "#fdbe85",  # the same Chan with goroutines as parties (light shade)
    # The channels suite's moodycamel queues: three clearly different shades
    # of the moodycamel hue (suites/channels/adapters.h).
    "moodycamel_blocking": "#c51b7d",
    "moodycamel_rw": "#f768a1",
    "moodycamel_rw_circular": "#7a0177",
    # The lock designs of the fairness / starvation suites have their colours
    # in suites/common/lock_registry.h, next to their registration: the
    # suites write them into their JSON context and common.LockRegistry
    # reads them (a run from before that falls back to colour() here).
    # Object-reuse peers of the pool suite (suites/pool/pool_peers.h):
    # syncscope's Pool magenta (its no-victim-cache emulation a light shade
    # of it), the free lists blue / brown / dark grey, the allocators light
    # grey (no reuse) and a TBB green.
    "Pool": "#d01c8b",
    "Pool_no_victim": "#f1b6da",
    "no_pool": "#a0a0a0",
    "mutex_free_list": "#525252",
    "linked_free_list": "#8c510a",
    "thread_local_free_list": "#2166ac",
    "tbb_scalable": "#238b45",
    # Maps of the maps suite (suites/maps/map_adapters.h); a map behind one
    # lock takes that lock's colour.
    "SyncMap": "#1b9e77",
    "ConcurrentMap": "#7570b3",
    "umap_GoMutex": "#e6550d",
    "umap_GoRWMutex": "#bcbd22",
    "umap_std_shared_mutex": "#4d4d4d",
    # The overhead suite: syncscope's primitives one orange, the standard
    # library's equivalents greys.
    "Once": "#d95f02",
    "WaitGroup": "#d95f02",
    "Cond": "#d95f02",
    "Context": "#d95f02",
    "Semaphore": "#d95f02",
    "SingleFlight": "#d95f02",
    "ErrGroup": "#d95f02",
    "std_call_once": "#000000",
    "std_condition_variable": "#4d4d4d",
    "std_counting_semaphore": "#737373",
    "std_thread": "#969696",
}

# Suffixes naming a variant of an implementation that is drawn in the base
# implementation's colour (and marker).
_VARIANT_SUFFIXES = ("_instr",)

# Shades for name families: (prefix, [shades]). A member not listed in _FIXED
# takes the shade chosen by its CRC-32, so siblings stay in one hue.
_FAMILIES = [
    ("tbb_", ["#006d2c", "#31a354", "#74c476", "#a1d99b", "#00441b", "#238b45"]),
    ("moodycamel", ["#e7298a", "#c51b7d", "#f768a1", "#ae017e"]),
    ("GoMutex", ["#e6550d", "#fd8d3c", "#fdae6b", "#a63603"]),
    ("absl_", ["#9467bd", "#6a51a3", "#9e9ac8"]),
    ("boost_", ["#8c564b", "#c49c94", "#5b3a29"]),
    ("std_", ["#000000", "#4d4d4d", "#969696"]),
]

# Fallback palette for names nobody registered (tab20 without the greys, which
# are reserved for "portable" and std_*).
_PALETTE = [
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a",
    "#d62728", "#ff9896", "#9467bd", "#c5b0d5", "#8c564b", "#c49c94",
    "#e377c2", "#f7b6d2", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5",
]

# Distance classes of the cache-to-cache suite: near (cool) to far (warm).
_CLASS_COLOURS = {
    "same_pu": "#bdbdbd",
    "smt_sibling": "#4575b4",
    "same_l3": "#74add1",
    "same_package": "#fdae61",
    "cross_package": "#f46d43",
    "cross_numa": "#a50026",
}
_FIXED.update(_CLASS_COLOURS)

_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "*", "h"]
_FIXED_MARKERS = {"portable": "o", "x86_64": "s", "llsc": "^", "lse": "D"}

LAYOUT_LINESTYLE = {"shared": "-", "padded": "--"}

PATH_ORDER = ["portable", "x86_64", "llsc", "lse"]
OP_ORDER = ["load", "store", "exchange", "fetch_add", "cas", "cas_loop"]
CONTENDED_OP_ORDER = ["fetch_add", "exchange", "cas_loop", "cas"]
PLACEMENT_ORDER = ["none", "compact", "scatter", "smt", "cross"]
LAYOUT_ORDER = ["shared", "padded"]
C2C_CLASS_ORDER = ["same_pu", "smt_sibling", "same_l3", "same_package",
                   "cross_package", "cross_numa"]
_CLASS_LABELS = {"same_pu": "same PU", "smt_sibling": "SMT sibling",
                 "same_l3": "same L3", "same_package": "same package",
                 "cross_package": "cross package", "cross_numa": "cross NUMA"}


def class_label(name):
    """Display name of a c2c distance class ("same_l3" -> "same L3")."""
    return _CLASS_LABELS.get(name, str(name).replace("_", " "))

# compare.py: run A drawn solid, run B hatched (colour stays the name's).
RUN_HATCH = {0: "", 1: "//"}


def _crc(name):
    return zlib.crc32(name.encode("utf-8"))


def colour(name):
    """The fixed colour of an implementation, atomic path or class name."""
    name = base_name(name)
    if name in _FIXED:
        return _FIXED[name]
    for prefix, shades in _FAMILIES:
        if name.startswith(prefix):
            return shades[_crc(name) % len(shades)]
    return _PALETTE[_crc(name) % len(_PALETTE)]


def distinct_colours(names):
    """{name: colour} for names in order: colour(name), or, where an earlier
    name already took that colour, the first palette colour (the family's
    shades first) nobody took yet. Variants ("_instr") share their design's
    colour. For names nobody gave a colour, e.g. the locks of a run from
    before the suites recorded their registry."""
    out, used = {}, set()
    for name in names:
        base = base_name(name)
        if base in out:
            out[name] = out[base]
            continue
        c = colour(base)
        if c in used:
            family = next((shades for prefix, shades in _FAMILIES
                           if base.startswith(prefix)), [])
            c = next((x for x in family + _PALETTE if x not in used), c)
        used.add(c)
        out[base] = out[name] = c
    return out


def base_name(name):
    """The implementation a variant belongs to: "GoMutex_instr" -> "GoMutex";
    any other name unchanged."""
    name = str(name)
    for suffix in _VARIANT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def marker(name):
    """The fixed marker of a name (deterministic for unknown names)."""
    name = base_name(name)
    if name in _FIXED_MARKERS:
        return _FIXED_MARKERS[name]
    return _MARKERS[_crc(name) % len(_MARKERS)]


def linestyle(layout):
    """Line style of a cache-line layout: shared solid, padded dashed."""
    return LAYOUT_LINESTYLE.get(str(layout), ":")


def ordered(names, order):
    """Distinct names, those in `order` first in that order, then the rest
    sorted (numerically where they are numbers)."""
    names = list(dict.fromkeys(names))
    known = [n for n in order if n in names]
    rest = [n for n in names if n not in order]

    def key(n):
        try:
            return (0, float(n), "")
        except (TypeError, ValueError):
            return (1, 0.0, str(n))
    return known + sorted(rest, key=key)


def apply_rc():
    """House rcParams: readable in a design doc at 100 % and printed."""
    import matplotlib
    matplotlib.rcParams.update({
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.titleweight": "bold",
        "axes.labelsize": 10,
        "axes.grid": True,
        "axes.axisbelow": True,
        "grid.alpha": 0.35,
        "grid.linewidth": 0.6,
        "legend.fontsize": 9,
        "legend.framealpha": 0.9,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "figure.titlesize": 13,
        "figure.titleweight": "bold",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "syncscope",
    })
