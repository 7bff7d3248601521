"""Data layer of the syncscope plot scripts: loading a run directory,
parsing benchmark names, picking one value per benchmark, side files, the
lock registry, and writing files atomically. No drawing here (draw.py) and
no HTML (html_page.py).

What this module offers
  UsageError / DataError  exceptions that the entry points turn into ONE line
                          on stderr starting with "error:" and exit code 2.
  parse_name(name)        -> (family, {key: value}) for '/'-separated names.
  threads_of(params, entry) THE thread count of a benchmark (the name's
                          "threads:T", else the entry's): Result.threads.
  load_json(path)         -> parsed JSON, or DataError naming the file and the
                          parse error.
  load_run(run_dir)       -> Run: context.json, manifest.json and every
                          <suite>.json (Google Benchmark JSON) of the run.
  SuiteData               one suite: its GB context, one Result per benchmark
                          run (median of repetitions) and the ErrorEntry list;
                          errors_at(family, placement) -> the messages of the
                          runs that errored there (a placement not honoured).
  Result                  family, params, threads, values (real_time, cpu_time
                          and every custom counter), label, ...
  primary_placement(ps)   "none" when measured, else the first in display order.
  SideFile(run_dir, suite, filename)
                          a suite's side file keyed by benchmark name, with
                          its status and a reason when missing or unreadable;
                          side_key(name, dict) matches a name to its key.
  LockRegistry.of(suite)  lock order and colours of the lock suites, from the
                          registry they write into their context.
  is_instrumented(lock)   True for a "<design>_instr" build.
  save_figure(fig, dir, name)  write a PNG via a temp file and a rename.
  write_text_atomic(path, text) the same for report.html / compare.html.
  flatten(obj)            nested dicts/lists -> [(dotted key, value)].
  ctx_get(ctx, *paths)    the first present value among dotted key paths.
  Table                   (title, columns, rows) for summary tables.
  fmt_num(x)              compact human formatting of a number (durations:
                          draw.fmt_ns).
  histogram_pairs(b)      sorted (upper bound, count) pairs of a histogram.
  spread(suite, r, key)   (p10, p90) of key over r's repetitions (3 or more),
                          for every whisker and error bar (draw.whiskers);
                          spread_n / spread_caption: n and the caption text.

Median selection (Google Benchmark 1.7.1 output)
  Entries are grouped by run_name (the name without the "_median"-style
  suffix; derived from name when a producer omits it). For a group, the
  "median" aggregate is used when present; otherwise the median over its
  non-errored iteration entries, key by key. Entries with error_occurred are
  never plotted and never dropped: each distinct (run_name, message) becomes
  an ErrorEntry that the report lists under its suite.

Suite plot modules (plots/suite_<name>.py) see only these types: a module
exposes TITLE, figures(run_dir, suite_data, context) -> [(png, caption)] and
optionally summary_rows(run_dir, suite_data, context) -> [Table],
notes(run_dir, suite_data, context) -> [str] and
compare_figures(out_dir, side_a, side_b) -> [(png, caption)] /
compare_tables(side_a, side_b) -> [Table] for compare.py.
"""

import json
import math
import os
import re
import statistics
import tempfile
from collections import OrderedDict, namedtuple

import matplotlib
matplotlib.use("Agg")  # headless: never needs a display

import style  # noqa: E402

CONTEXT_FILE = "context.json"
MANIFEST_FILE = "manifest.json"
# A suite file is <name>.json with a plain name; side files (histograms,
# traces) that are not Google Benchmark JSON are skipped, never plotted here.
_SUITE_FILE_RE = re.compile(r"^([A-Za-z0-9_\-]+)\.json$")

# Segments Google Benchmark appends to a name (with a value) or as bare flags.
GB_KEYS = frozenset({"threads", "repeats", "min_time", "min_warmup_time",
                     "iterations"})
GB_FLAGS = frozenset({"real_time", "manual_time", "process_time"})
AGGREGATE_SUFFIXES = ("_mean", "_median", "_stddev", "_cv")

# Numeric keys of a GB entry that are bookkeeping, not measurements.
_BOOKKEEPING = frozenset({"family_index", "per_family_instance_index",
                          "repetitions", "repetition_index", "threads",
                          "iterations"})

Table = namedtuple("Table", "title columns rows")


class UsageError(Exception):
    """Bad command line or run directory; message names the bad value."""


class DataError(Exception):
    """A file of the run that cannot be read or has the wrong shape."""


# --------------------------------------------------------------------------
# Benchmark names
# --------------------------------------------------------------------------

def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


_KEY_VALUE_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.\-]*):(?!:)(.*)$")


def _key_value(seg):
    """(key, value) when seg is "key:value" with an identifier-like key (so
    "std::mutex" and "lock<std::mutex>" are not split), else None."""
    m = _KEY_VALUE_RE.match(seg)
    return (m.group(1), m.group(2)) if m else None


def parse_name(name):
    """Split a benchmark name into (family, params).

    The first segment is always the family; following segments that are
    neither key:value pairs, nor numbers, nor Google Benchmark flags extend it
    ("atomics_overhead/harness"). Every later segment goes into params:
    "key:value" -> params[key] = value (split at the first ':', so values may
    contain ':'; the key must look like an identifier, so "std::mutex" stays
    a word); a bare number -> params["arg0"], params["arg1"], ...; a GB flag
    such as "real_time" -> params[flag] = "true"; any other bare word ->
    params[word] = "". Values stay strings (see as_number()).
    An aggregate suffix ("_median", ...) on the last segment is not stripped:
    use run_name and aggregate_name, which load_run() does.
    """
    if not isinstance(name, str):
        raise TypeError("benchmark name must be a string, got %r" % (name,))
    segments = name.split("/")
    family_parts = [segments[0]]
    i = 1
    while i < len(segments):
        seg = segments[i]
        if seg == "" or _key_value(seg) or _is_number(seg) or seg in GB_FLAGS:
            break
        family_parts.append(seg)
        i += 1
    params = {}
    positional = 0
    for seg in segments[i:]:
        if seg == "":
            continue
        kv = _key_value(seg)
        if kv:
            params[kv[0]] = kv[1]
        elif _is_number(seg):
            params["arg%d" % positional] = seg
            positional += 1
        elif seg in GB_FLAGS:
            params[seg] = "true"
        else:
            params[seg] = ""
    return "/".join(family_parts), params


def user_params(params):
    """params without the keys and flags Google Benchmark appends."""
    return {k: v for k, v in params.items()
            if k not in GB_KEYS and k not in GB_FLAGS}


def as_number(value, default=None):
    """int or float of a string parameter value, or default."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return default
    if f.is_integer() and not re.search(r"[.eE]", str(value)):
        return int(f)
    return f


def strip_aggregate_suffix(name):
    for suffix in AGGREGATE_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------

def load_json(path):
    """Parse a JSON file; DataError names the file and the parse error."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise DataError("%s: corrupt JSON: %s" % (path, e)) from None
    except UnicodeDecodeError as e:
        raise DataError("%s: not UTF-8 text: %s" % (path, e)) from None
    except OSError as e:
        raise DataError("%s: cannot read: %s" % (path, e.strerror or e)) from None


class Result:
    """One benchmark run (all repetitions folded into one value per key).

    name:        run_name (no aggregate suffix)
    family:      parse_name(name)[0]
    params:      parse_name(name)[1] (all keys, GB ones included)
    threads:     threads_of(params, entry): the name's "threads:T", else the
                 entry's "threads", else 1
    values:      {key: float}: real_time, cpu_time and every custom counter
    time_unit:   unit of real_time / cpu_time ("ns", "us", "ms", "s")
    label:       the entry's label ("" when absent)
    repetitions: how many repetitions the value folds
    source:      "median aggregate", "median of N iterations" or "single run"
    cv:          {key: coefficient of variation} when GB wrote a cv aggregate
    family_index: Google Benchmark's registration index of the benchmark
                 (the suites register in registry order), None when absent
    """

    __slots__ = ("name", "family", "params", "threads", "values", "time_unit",
                 "label", "repetitions", "source", "cv", "family_index")

    def __init__(self, name, family, params, threads, values, time_unit,
                 label, repetitions, source, cv, family_index=None):
        self.name = name
        self.family = family
        self.params = params
        self.threads = threads
        self.values = values
        self.time_unit = time_unit
        self.label = label
        self.repetitions = repetitions
        self.source = source
        self.cv = cv
        self.family_index = family_index

    def get(self, key, default=None):
        """A param (string) by key, "threads" as int."""
        if key == "threads":
            return self.threads
        return self.params.get(key, default)

    def value(self, key, default=None):
        v = self.values.get(key)
        return default if v is None else v

    def real_time_ns(self):
        scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}.get(self.time_unit, 1.0)
        rt = self.values.get("real_time")
        return None if rt is None else rt * scale

    def __repr__(self):
        return "Result(%r, threads=%d)" % (self.name, self.threads)


ErrorEntry = namedtuple("ErrorEntry", "name family params threads message count")


class SuiteData:
    """One <suite>.json: path, GB context, results, errors."""

    def __init__(self, name, path, context, results, errors, malformed):
        self.name = name
        self.path = path
        self.context = context        # the GB "context" object (dict)
        self.results = results        # [Result], in file order
        self.errors = errors          # [ErrorEntry], in file order
        self.malformed = malformed    # [str]: entries that could not be read
        self.noise = None             # the harness's "syncscope_noise" record
        self.samples = {}             # run_name -> [real time ns of each repetition]
        self.rep_values = {}          # run_name -> [{key: value} of each repetition]
        self.bench_noise = {}         # run_name -> its own noise window (bench_noise_of)

    def family(self, family):
        return [r for r in self.results if r.family == family]

    def families(self):
        return list(dict.fromkeys(r.family for r in self.results))

    def errors_of(self, family=None):
        return [e for e in self.errors if family is None or e.family == family]

    def errors_at(self, family, placement, **match):
        """The distinct messages of the family's errored runs under
        `placement` (a run without a placement key counts as "none"), in file
        order; **match narrows to runs whose params have those values
        (op="cas"). Typically why a placement was not honoured."""
        msgs = OrderedDict()
        for e in self.errors_of(family):
            if e.params.get("placement", "none") != placement:
                continue
            if any(e.params.get(k) != v for k, v in match.items()):
                continue
            msgs[e.message] = True
        return list(msgs)


# A row's noise_* fields are the harness's window of that benchmark
# (suites/common/noise.h): context, not measurements (SuiteData.bench_noise).
NOISE_ROW_PREFIX = "noise_"


def _numeric_values(entry):
    out = {}
    for k, v in entry.items():
        if k in _BOOKKEEPING or isinstance(v, bool) or k.startswith(NOISE_ROW_PREFIX):
            continue
        if isinstance(v, (int, float)) and math.isfinite(v):
            out[k] = float(v)
    return out


def _median_values(entries):
    keys = []
    for e in entries:
        for k in _numeric_values(e):
            if k not in keys:
                keys.append(k)
    out = {}
    for k in keys:
        vals = [_numeric_values(e)[k] for e in entries if k in _numeric_values(e)]
        if vals:
            out[k] = statistics.median(vals)
    return out


def threads_of(params, entry):
    """THE thread count of a benchmark, for every suite: the name's
    "threads:T" (a positive integer) when present, else the entry's own
    "threads", else 1.

    The name wins because the lock, channel and pool suites run their own
    threads inside one Google Benchmark thread: their entry says "threads": 1
    while the name says how many threads took part. Where Google Benchmark
    runs the threads itself its name carries the same "threads:T"."""
    t = as_number(params.get("threads"))
    if isinstance(t, int) and t > 0:
        return t
    t = entry.get("threads") if isinstance(entry, dict) else None
    if isinstance(t, int) and not isinstance(t, bool) and t > 0:
        return t
    return 1


# The threading-model axis of the lock suites (issue 11): a row named
# .../lock:L/model:goroutine/... ran lock L with goroutines as parties; it is
# read as the lock "L_goroutine" (an "_instr" build: "L_goroutine_instr"),
# so every figure and table keyed by lock shows it beside L on threads.
MODEL_SUFFIX = "_goroutine"


def fold_model(params):
    """Rename params["lock"] of a model:goroutine row in place (see above)."""
    lock = params.get("lock")
    if params.get("model") != "goroutine" or not lock or MODEL_SUFFIX in lock:
        return
    if is_instrumented(lock):
        params["lock"] = lock[: -len("_instr")] + MODEL_SUFFIX + "_instr"
    else:
        params["lock"] = lock + MODEL_SUFFIX


def model_base(name):
    """"GoMutex_goroutine" -> "GoMutex"; any other name unchanged."""
    name = str(name)
    if name.endswith(MODEL_SUFFIX) and len(name) > len(MODEL_SUFFIX):
        return name[: -len(MODEL_SUFFIX)]
    return name


def lighten(colour, amount=0.45):
    """A "#rrggbb" colour mixed with white (amount 0: unchanged, 1: white)."""
    c = str(colour)
    if not re.match(r"^#[0-9A-Fa-f]{6}$", c):
        return c
    rgb = [int(c[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join("%02x" % int(round(v + (255 - v) * amount)) for v in rgb)


def parse_suite(name, path, doc):
    """Build SuiteData from a parsed Google Benchmark JSON document."""
    if not isinstance(doc, dict):
        raise DataError("%s: expected a JSON object with a \"benchmarks\" array, got %s"
                        % (path, type(doc).__name__))
    benchmarks = doc.get("benchmarks")
    if not isinstance(benchmarks, list):
        raise DataError("%s: \"benchmarks\" is missing or not an array" % path)
    context = doc.get("context")
    if not isinstance(context, dict):
        context = {}

    groups = OrderedDict()   # run_name -> {"iter": [], "agg": {name: entry}, "err": []}
    malformed = []
    for idx, entry in enumerate(benchmarks):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            malformed.append("entry %d: no \"name\" string" % idx)
            continue
        run_type = entry.get("run_type", "iteration")
        run_name = entry.get("run_name")
        if not isinstance(run_name, str) or not run_name:
            run_name = entry["name"]
            if run_type == "aggregate":
                run_name = strip_aggregate_suffix(run_name)
        g = groups.setdefault(run_name, {"iter": [], "agg": {}, "err": [], "first": entry})
        if entry.get("error_occurred"):
            g["err"].append(entry)
        elif run_type == "aggregate":
            agg = entry.get("aggregate_name")
            if isinstance(agg, str):
                g["agg"][agg] = entry
        else:
            g["iter"].append(entry)

    results, errors = [], []
    for run_name, g in groups.items():
        family, params = parse_name(run_name)
        fold_model(params)
        threads = threads_of(params, g["first"])
        if g["err"]:
            messages = OrderedDict()
            for e in g["err"]:
                msg = e.get("error_message") or "error_occurred without a message"
                messages[str(msg)] = messages.get(str(msg), 0) + 1
            for msg, count in messages.items():
                errors.append(ErrorEntry(run_name, family, params, threads, msg, count))
        chosen = None
        if "median" in g["agg"]:
            chosen = g["agg"]["median"]
            values = _numeric_values(chosen)
            reps = chosen.get("repetitions", len(g["iter"]))
            source = "median aggregate"
        elif g["iter"]:
            chosen = g["iter"][0]
            values = _median_values(g["iter"])
            reps = len(g["iter"])
            source = ("median of %d iterations" % reps) if reps > 1 else "single run"
        if chosen is None:
            continue
        cv = _numeric_values(g["agg"]["cv"]) if "cv" in g["agg"] else {}
        label = chosen.get("label", "")
        index = g["first"].get("family_index")
        results.append(Result(
            name=run_name, family=family, params=params, threads=threads,
            values=values, time_unit=str(chosen.get("time_unit", "ns")),
            label=label if isinstance(label, str) else str(label),
            repetitions=reps if isinstance(reps, int) else 1,
            source=source, cv=cv,
            family_index=index if isinstance(index, int) and not isinstance(index, bool)
            else None))
    data = SuiteData(name, path, context, results, errors, malformed)
    noise = doc.get("syncscope_noise")
    data.noise = noise if isinstance(noise, dict) else None
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    for run_name, g in groups.items():
        vals = [e["real_time"] * scale.get(str(e.get("time_unit", "ns")), 1.0)
                for e in g["iter"] if isinstance(e.get("real_time"), (int, float))
                and not isinstance(e.get("real_time"), bool)]
        if vals:
            data.samples[run_name] = vals
        if g["iter"]:
            data.rep_values[run_name] = [_numeric_values(e) for e in g["iter"]]
        for e in g["iter"] + list(g["agg"].values()):  # an errored run measured nothing
            window = {k[len(NOISE_ROW_PREFIX):]: v for k, v in e.items()
                      if k.startswith(NOISE_ROW_PREFIX) and isinstance(v, (int, float))
                      and not isinstance(v, bool)}
            if window:
                data.bench_noise[run_name] = window
                break
    return data


class Run:
    """A run directory: context (dict, {} when absent), manifest (dict or
    None), suites {name: SuiteData} in sorted order, and missing_context."""

    def __init__(self, path, context, manifest, suites, has_context):
        self.path = path
        self.context = context
        self.manifest = manifest
        self.suites = suites
        self.has_context = has_context

    def label(self):
        if self.manifest and isinstance(self.manifest.get("run_id"), str):
            return self.manifest["run_id"]
        return os.path.basename(os.path.normpath(self.path))


def check_run_dir(run_dir):
    """UsageError unless run_dir is an existing directory."""
    if not os.path.exists(run_dir):
        raise UsageError("run directory '%s' does not exist" % run_dir)
    if not os.path.isdir(run_dir):
        raise UsageError("'%s' is not a directory" % run_dir)


def load_run(run_dir):
    """Load context.json, manifest.json and every suite JSON of run_dir.

    UsageError: run_dir missing / not a directory / holds neither a
    context.json nor any suite JSON. DataError: a corrupt or ill-shaped file.
    """
    check_run_dir(run_dir)
    ctx_path = os.path.join(run_dir, CONTEXT_FILE)
    has_context = os.path.isfile(ctx_path)
    context = {}
    if has_context:
        context = load_json(ctx_path)
        if not isinstance(context, dict):
            raise DataError("%s: expected a JSON object, got %s"
                            % (ctx_path, type(context).__name__))
    manifest = None
    man_path = os.path.join(run_dir, MANIFEST_FILE)
    if os.path.isfile(man_path):
        manifest = load_json(man_path)
        if not isinstance(manifest, dict):
            raise DataError("%s: expected a JSON object, got %s"
                            % (man_path, type(manifest).__name__))
    suites = OrderedDict()
    for fname in sorted(os.listdir(run_dir)):
        m = _SUITE_FILE_RE.match(fname)
        if not m or fname in (CONTEXT_FILE, MANIFEST_FILE):
            continue
        path = os.path.join(run_dir, fname)
        if not os.path.isfile(path):
            continue
        doc = load_json(path)
        if not (isinstance(doc, dict) and "benchmarks" in doc):
            continue  # a side file of some suite, not Google Benchmark output
        suites[m.group(1)] = parse_suite(m.group(1), path, doc)
    if not has_context and not suites:
        raise UsageError("run directory '%s' holds neither %s nor any suite JSON "
                         "(<suite>.json from Google Benchmark)" % (run_dir, CONTEXT_FILE))
    return Run(run_dir, context, manifest, suites, has_context)


# --------------------------------------------------------------------------
# Context helpers
# --------------------------------------------------------------------------

def flatten(obj, prefix=""):
    """[(dotted key, display value)] for nested dicts and lists. Lists of
    scalars become one comma-separated value; lists of dicts are indexed."""
    out = []
    if isinstance(obj, dict):
        if not obj and prefix:
            out.append((prefix, "{}"))
        for k, v in obj.items():
            key = "%s.%s" % (prefix, k) if prefix else str(k)
            out.extend(flatten(v, key))
    elif isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            out.append((prefix, ", ".join(display(v) for v in obj) if obj else "[]"))
        else:
            for i, v in enumerate(obj):
                out.extend(flatten(v, "%s[%d]" % (prefix, i)))
    else:
        out.append((prefix, display(obj)))
    return out


def display(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return fmt_num(v)
    return str(v)


_MISSING = object()


def ctx_get(ctx, *paths, default=None):
    """First value found among dotted key paths ("cpu.model") in ctx."""
    for path in paths:
        cur = ctx
        for part in path.split("."):
            if isinstance(cur, dict) and part in cur:
                cur = cur[part]
            else:
                cur = _MISSING
                break
        if cur is not _MISSING and cur is not None and cur != "":
            return cur
    return default


def fmt_num(x, digits=3):
    """Compact number: 3 significant digits, SI suffix for large values."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        x = float(x)
        if abs(x) < 1e4:
            return "%d" % x
    if not isinstance(x, float):
        return str(x)
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    ax = abs(x)
    for limit, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e4, "k")):
        if ax >= limit:
            return _sig(x / (limit if suffix != "k" else 1e3), digits) + suffix
    return _sig(x, digits)


def _sig(x, digits):
    if x == 0:
        return "0"
    if abs(x) < 1e-3:
        return "%.*e" % (digits - 1, x)
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - mag)
    return "%.*f" % (decimals, x)


def fmt_rate(x):
    """ops/s as e.g. '152 M'."""
    return "—" if x is None else fmt_num(float(x))


def histogram_pairs(buckets):
    """Sorted [(upper_bound, count), ...] (floats) of a histogram side file's
    [[upper, count], ...]: pairs that are not two numbers, and pairs with a
    non-positive count or a negative bound, are skipped. [] for anything
    that is not a list. Shared by the wait-time (starvation) and latency
    (channels) distribution plots."""
    pairs = []
    if isinstance(buckets, list):
        for b in buckets:
            if isinstance(b, (list, tuple)) and len(b) == 2 and \
                    all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in b) \
                    and b[0] >= 0 and b[1] > 0:
                pairs.append((float(b[0]), float(b[1])))
    pairs.sort()
    return pairs


def primary_placement(placements):
    """The placement a headline figure shows: "none" when measured, else the
    first in display order (style.PLACEMENT_ORDER); None for none."""
    placements = style.ordered(placements, style.PLACEMENT_ORDER)
    if "none" in placements:
        return "none"
    return placements[0] if placements else None


# --------------------------------------------------------------------------
# Side files
# --------------------------------------------------------------------------

def side_key(name, side):
    """The key of benchmark `name` in a side-file dict: the name itself, or
    the name without the segments Google Benchmark appended at its end
    ("/manual_time", "/repeats:3", ...), longest match first; None if absent."""
    segs = name.split("/")
    while segs:
        key = "/".join(segs)
        if key in side:
            return key
        last = segs[-1]
        if last in GB_FLAGS or last.split(":", 1)[0] in GB_KEYS:
            segs.pop()
        else:
            break
    return None


class SideFile:
    """A suite's side file (JSON object keyed by benchmark name).

    data:   the dict ({} when missing or unreadable)
    status: "ok", "missing" or "unreadable"
    reason: a sentence for notes/captions when status is not "ok"
    Looked for next to the suite JSON, then in run_dir. Never raises.
    """

    def __init__(self, run_dir, suite, filename):
        self.filename = filename
        self.data, self.status, self.reason = {}, "missing", None
        dirs = []
        if suite is not None and getattr(suite, "path", None):
            d = os.path.dirname(suite.path)
            if d:
                dirs.append(d)
        if run_dir:
            dirs.append(run_dir)
        path = next((os.path.join(d, filename) for d in dirs
                     if os.path.isfile(os.path.join(d, filename))), None)
        if path is None:
            self.reason = ("%s is missing from the run directory" % filename)
            return
        try:
            doc = load_json(path)
        except DataError as e:
            self.status = "unreadable"
            # The file name is enough in a caption; the run directory is known.
            self.reason = str(e).replace(path, filename, 1)
            return
        if not isinstance(doc, dict):
            self.status = "unreadable"
            self.reason = "%s: expected a JSON object keyed by benchmark name" % filename
            return
        self.data, self.status = doc, "ok"

    @property
    def ok(self):
        return self.status == "ok"

    def get(self, name):
        """The entry of benchmark `name` (a dict), or None."""
        key = side_key(name, self.data)
        v = self.data.get(key) if key is not None else None
        return v if isinstance(v, dict) else None


# --------------------------------------------------------------------------
# Lock registry (order and colours of the lock designs)
# --------------------------------------------------------------------------

# Context keys the lock suites write from suites/common/lock_registry.h, each
# "name=#rrggbb,name=#rrggbb,..." in registration order (an empty colour:
# the base design's, for "_instr" builds); locks_peer: the Go runtime's own
# locks that the suites' Go peers measure (go_sync_mutex, go_sync_rwmutex).
LOCK_REGISTRY_KEYS = ("locks_mutex", "locks_instrumented", "locks_shared", "locks_peer")


def _registry_list(text):
    """[(name, colour or "")] of one registry context value; [] when absent."""
    out = []
    if not isinstance(text, str):
        return out
    for item in text.split(","):
        name, _, colour = item.strip().partition("=")
        if name:
            out.append((name, colour.strip()))
    return out


def is_instrumented(lock):
    """True for the "_instr" build of a lock design (counters compiled in)."""
    return str(lock).endswith("_instr")


class LockRegistry:
    """The lock designs of a run in registry order, with their colours.

    Read from the suite's Google Benchmark context (LOCK_REGISTRY_KEYS), so
    a new lock is one line in suites/common/lock_registry.h and nothing
    here. A run written before the suites recorded the registry has none of
    those keys: the order is then the suite's own registration order (each
    lock's lowest Google Benchmark family_index, then file order: the suites
    register their benchmarks in registry order) and colours are
    style.distinct_colours of that order.

    order:          every lock name (exclusive, instrumented, shared), once.
                    Without the registry: the suite's registration order.
    shared_order:   the reader/writer locks (SharedLocks); without the
                    registry, the reader/writer family's registration order.
    from_context:   True when the run recorded the registry.
    sort_key(name)  registry position; unknown names after, alphabetically.
    ordered(names)  distinct names in registry order.
    colour(name)    the registry's colour (an "_instr" build: its base
                    design's), else style.colour(name).
    A run written before the suites recorded the registry gets distinct
    colours in its registration order (style.distinct_colours).
    """

    def __init__(self, context=None, names=(), shared_names=()):
        lists = {k: _registry_list((context or {}).get(k)) for k in LOCK_REGISTRY_KEYS}
        self.from_context = any(lists.values())
        self.colours = {}
        if self.from_context:
            entries = [e for k in LOCK_REGISTRY_KEYS for e in lists[k]]
            self.shared_order = [n for n, _ in lists["locks_shared"]]
        else:
            entries = [(n, "") for n in names]
            self.shared_order = list(dict.fromkeys(shared_names))
        for n, c in entries:
            if c and n not in self.colours:
                self.colours[n] = c
        self.order = list(dict.fromkeys(n for n, _ in entries if n))
        if not self.from_context:
            # No colours recorded: distinct ones in registration order.
            self.colours = style.distinct_colours(self.order)

    @classmethod
    def of(cls, suite, shared_family=None):
        """The registry of a SuiteData (None: an empty one): its context; for
        the fallback order its results' "lock" params, and those of the
        family `shared_family` for the reader/writer order."""
        if suite is None:
            return cls()

        def registration_order(results):
            first = OrderedDict()
            for pos, r in enumerate(results):
                lock = r.get("lock")
                if lock:
                    idx = r.family_index if r.family_index is not None else len(results) + pos
                    first[lock] = min(first.get(lock, idx), idx)
            return sorted(first, key=lambda lk: first[lk])
        shared = suite.family(shared_family) if shared_family else []
        return cls(suite.context, registration_order(suite.results),
                   registration_order(shared))

    def merged(self, other):
        """This registry followed by what only `other` knows (compare.py)."""
        out = LockRegistry()
        out.from_context = self.from_context or other.from_context
        out.order = list(dict.fromkeys(self.order + other.order))
        out.shared_order = list(dict.fromkeys(self.shared_order + other.shared_order))
        out.colours = dict(other.colours)
        out.colours.update(self.colours)
        return out

    def sort_key(self, name):
        name = str(name)
        if name in self.order:
            return (0, self.order.index(name), "")
        # A lock on goroutines ("L_goroutine", "L_goroutine_instr":
        # fold_model) right after L (L_instr) on threads.
        unfolded = name.replace(MODEL_SUFFIX, "", 1)
        if unfolded != name and unfolded in self.order:
            return (0, self.order.index(unfolded), name)
        return (1, 0, name)

    def shared_sort_key(self, name):
        """Reader/writer locks first in SharedLocks order, then the rest."""
        name = str(name)
        if name in self.shared_order:
            return (0, self.shared_order.index(name), "")
        unfolded = name.replace(MODEL_SUFFIX, "", 1)
        if unfolded != name and unfolded in self.shared_order:
            return (0, self.shared_order.index(unfolded), name)
        return (1,) + self.sort_key(name)[1:]

    def ordered(self, names):
        return sorted(dict.fromkeys(names), key=self.sort_key)

    def colour(self, name):
        name = str(name)
        base = model_base(style.base_name(name))
        if base != style.base_name(name):
            # A lock on goroutines: a light shade of its design's colour.
            return lighten(self.colour(base))
        for n in (name, style.base_name(name)):
            if n in self.colours:
                return self.colours[n]
        return style.colour(name)


# --------------------------------------------------------------------------
# Atomic writes
# --------------------------------------------------------------------------

def _atomic_write(dest, write):
    directory = os.path.dirname(os.path.abspath(dest)) or "."
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(dest) + ".",
                               suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_figure(fig, directory, filename):
    """Write fig as directory/filename (PNG) via a temp file and a rename;
    closes the figure. Returns filename."""
    import matplotlib.pyplot as plt
    try:
        _atomic_write(os.path.join(directory, filename),
                      lambda f: fig.savefig(f, format="png",
                                            metadata={"Software": "syncscope plots"}))
    finally:
        plt.close(fig)
    return filename


def write_text_atomic(path, text):
    _atomic_write(path, lambda f: f.write(text.encode("utf-8")))


# --------------------------------------------------------------------------
# Suite module discovery
# --------------------------------------------------------------------------

PLOTS_DIR = os.path.dirname(os.path.abspath(__file__))


def suite_modules():
    """({suite name: module}, {suite name: import error text}) for every
    plots/suite_<name>.py, sorted by name. A module that fails to import is
    reported, not fatal: the other suites still get their sections."""
    import importlib
    import sys
    if PLOTS_DIR not in sys.path:
        sys.path.insert(0, PLOTS_DIR)
    mods, failures = OrderedDict(), OrderedDict()
    for fname in sorted(os.listdir(PLOTS_DIR)):
        m = re.match(r"^suite_([A-Za-z0-9_]+)\.py$", fname)
        if not m or fname.endswith("_test.py"):
            continue
        try:
            mods[m.group(1)] = importlib.import_module("suite_" + m.group(1))
        except Exception as e:  # noqa: BLE001 - any error in someone's module
            failures[m.group(1)] = "%s: %s" % (type(e).__name__, e)
    return mods, failures


class RunSide:
    """One side of a comparison: label, SuiteData (or None), context."""

    def __init__(self, label, suite, context):
        self.label = label
        self.suite = suite
        self.context = context


# --------------------------------------------------------------- significance
ALPHA = 0.05


def _exact_u_pvalue(u, n1, n2):
    """Two-sided exact p of the Mann-Whitney U statistic without ties: the
    number of rank arrangements with U <= u, by the recurrence of Mann and
    Whitney (1947): c(u; n1, n2) = c(u - n2; n1 - 1, n2) + c(u; n1, n2 - 1)."""
    memo = {}

    def count(uu, a, b):
        if uu < 0:
            return 0
        if a == 0 or b == 0:
            return 1 if uu == 0 else 0
        key = (uu, a, b)
        if key not in memo:
            memo[key] = count(uu - b, a - 1, b) + count(uu, a, b - 1)
        return memo[key]

    total = math.comb(n1 + n2, n1)
    umin = min(u, n1 * n2 - u)
    tail = sum(count(k, n1, n2) for k in range(int(umin) + 1))
    return min(1.0, 2.0 * tail / total)


def mann_whitney(a, b):
    """Mann-Whitney U test of samples a and b: (U of a, two-sided p).

    Exact p when there are no ties and n1 + n2 <= 30 (as benchstat does for
    small samples), else the normal approximation with tie and continuity
    corrections. (None, None) when a sample is empty."""
    a, b = [float(x) for x in a], [float(x) for x in b]
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        return None, None
    pooled = sorted((v, i) for i, v in enumerate(a + b))
    ranks = [0.0] * (n1 + n2)
    ties = []
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[pooled[k][1]] = (i + j) / 2.0 + 1.0
        if j > i:
            ties.append(j - i + 1)
        i = j + 1
    u = sum(ranks[:n1]) - n1 * (n1 + 1) / 2.0
    if not ties and n1 + n2 <= 30:
        return u, _exact_u_pvalue(u, n1, n2)
    n = n1 + n2
    mu = n1 * n2 / 2.0
    tie_term = sum(t ** 3 - t for t in ties) / (n * (n - 1))
    var = n1 * n2 / 12.0 * ((n + 1) - tie_term)
    if var <= 0:
        return u, 1.0
    z = (abs(u - mu) - 0.5) / math.sqrt(var)
    p = math.erfc(max(z, 0.0) / math.sqrt(2.0))
    return u, min(1.0, p)


def min_p_possible(n1, n2):
    """The smallest two-sided p that samples of these sizes can reach."""
    if n1 == 0 or n2 == 0:
        return 1.0
    return 2.0 / math.comb(n1 + n2, n1)


def significance(a, b, alpha=ALPHA):
    """(p, mark): mark is "" when a and b differ at alpha, "~" when not or
    when the samples are too small to ever reach alpha (p None then)."""
    if min_p_possible(len(a), len(b)) > alpha:
        return None, "~"
    _, p = mann_whitney(a, b)
    return p, ("" if p is not None and p < alpha else "~")


def percentile(values, q):
    """The q-th percentile (0..100) of values, linear between order statistics."""
    v = sorted(values)
    if not v:
        return None
    k = (len(v) - 1) * q / 100.0
    lo = int(math.floor(k))
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


# Whiskers on bar charts: the p10-p90 spread of a value over a run's
# repetitions, drawn where there are at least this many (fewer say nothing
# about spread).
SPREAD_MIN_REPETITIONS = 3
SPREAD_LO, SPREAD_HI = 10, 90


def spread(suite, result, key, conv=None):
    """(p10, p90) of `key` over the repetitions of `result` (a Result of
    `suite`), passed through conv when given, or None when fewer than
    SPREAD_MIN_REPETITIONS repetitions carry the key. `key` may also be a
    function of one repetition's {key: value} (a share of a total, ...)
    returning a number or None."""
    if result is None:
        return None
    reps = getattr(suite, "rep_values", {}).get(result.name) or []
    vals = [key(r) if callable(key) else r.get(key) for r in reps]
    vals = [v for v in vals if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(vals) < SPREAD_MIN_REPETITIONS:
        return None
    if conv is not None:
        vals = [conv(v) for v in vals]
    return percentile(vals, SPREAD_LO), percentile(vals, SPREAD_HI)


SPREAD_CAPTION = ("Whiskers: p%d–p%d over the run's repetitions, where it has %d or more "
                  "(run with --repetitions N)." % (SPREAD_LO, SPREAD_HI, SPREAD_MIN_REPETITIONS))


def spread_n(suite, results):
    """The most repetitions among `results` (Results of `suite`): what a
    figure's whiskers are drawn from; 0 when there is none."""
    ns = [len(getattr(suite, "rep_values", {}).get(r.name) or ()) or r.repetitions
          for r in results if r is not None]
    return max(ns) if ns else 0


def spread_caption(n, what="the run's repetitions", kind="Whiskers"):
    """The caption sentence on a figure's whiskers (kind: "Error bars" on a
    line chart) when its values fold n repetitions: what they show, or why
    there are none."""
    if n >= SPREAD_MIN_REPETITIONS:
        return SPREAD_CAPTION.replace("the run's repetitions", what).replace("Whiskers", kind)
    return ("n=%d, no spread: %s (p%d–p%d over %s) need %d or more repetitions "
            "(run with --repetitions N)." % (n, kind.lower(), SPREAD_LO, SPREAD_HI, what,
                                             SPREAD_MIN_REPETITIONS))


def geomean(values):
    vals = [v for v in values if v and v > 0]
    if not vals:
        return None
    return math.exp(sum(math.log(v) for v in vals) / len(vals))


# --------------------------------------------------------------- Go peers
def go_peer_note(suite):
    """One sentence on the Go peer of a pool / maps / overhead suite (its
    context key <suite>_peer_go, written by the peer through
    gbench.RuntimeContext: Go version, GOMAXPROCS, GOGC, GOMEMLIMIT), or why
    it did not run; None when the suite has no such key (the peer was not
    part of the run)."""
    ctx = getattr(suite, "context", None) or {}
    v = ctx.get("%s_peer_go" % suite.name)
    if v is None:
        return None
    text = str(v)
    if text.startswith("absent: "):
        return "Go's side not measured: %s." % text[len("absent: "):]
    prof = ctx.get("%s_go_profile" % suite.name)
    out = "Go rows (go_*) ran on the Go runtime: %s%s." % (
        text, "; profile %s" % prof if prof else "")
    noise = go_peer_noise_of(suite)
    why = disturbance(noise)
    if why:
        out += " DISTURBED while the Go peer measured: %s; its rows are not comparable." % why
    elif why == "" and isinstance(noise.get("foreign_cpus"), (int, float)):
        out += (" Quiet while the Go peer measured (other processes: %.2f CPUs on average, "
                "load %s → %s)." % (noise["foreign_cpus"], display(noise.get("load1_before")),
                                     display(noise.get("load1_after"))))
    return out


# --------------------------------------------------------------- noise guard
NOISE_FOREIGN_CPUS = 0.25   # other processes kept this many CPUs busy on average
NOISE_STEAL_FRACTION = 0.05  # steal time over wall time
# Two rows whose machine-state probes (one cache line's trip between two
# CPUs: a channels row's machine_line_handoff_ns, a window's
# noise_line_handoff_*) are further apart than this factor ran in two
# different states of the machine: their ratio compares the states as much
# as the candidates (issue 11: ~20-60 vs ~180-280 ns on a shared VM,
# flipping within seconds to minutes).
STATE_APART = 2.0


def probes_apart(a, b):
    """Whether two rows' machine-state probes (lists of ns; empty: none)
    put them in different states: every probe of one more than STATE_APART
    times every probe of the other (a row whose probes saw both states is
    in neither)."""
    return bool(a) and bool(b) and (min(a) > STATE_APART * max(b) or
                                    min(b) > STATE_APART * max(a))


def noise_of(suite):
    """The suite's "syncscope_noise" record (dict) or None."""
    doc = getattr(suite, "noise", None)
    return doc if isinstance(doc, dict) else None


def go_peer_noise_of(suite):
    """The noise record the suite's Go peer wrote for its own measuring
    window (context key <suite>_go_noise, suites/common/go/gbench), or None."""
    ctx = getattr(suite, "context", None) or {}
    doc = ctx.get("%s_go_noise" % getattr(suite, "name", ""))
    return doc if isinstance(doc, dict) else None


def go_peer_served(suite):
    """Whether the suite's Go peer was served (ran each case right after its
    C++ twin, inside the suite's own run: context key <suite>_peer_mode
    starting "served"), not replayed after the suite."""
    ctx = getattr(suite, "context", None) or {}
    mode = ctx.get("%s_peer_mode" % getattr(suite, "name", ""))
    return isinstance(mode, str) and mode.startswith("served")


def bench_noise_of(suite, name):
    """The noise window of one benchmark (a run_name): the noise_* fields of
    its rows without the prefix (wall_s, foreign_cpus, steal_s, load1_before,
    ..., disturbed as 1 or 0), the keys disturbance() reads; None when its
    rows carry none (random interleaving, runs before per-benchmark windows,
    a peer that records none)."""
    doc = (getattr(suite, "bench_noise", None) or {}).get(name)
    return doc if isinstance(doc, dict) else None


def disturbance(noise):
    """Why a measurement is disturbed (a short sentence), or "" when it is
    not, or None when there is no noise record."""
    if not isinstance(noise, dict):
        return None
    why = []
    fc = noise.get("foreign_cpus")
    if isinstance(fc, (int, float)) and fc > NOISE_FOREIGN_CPUS:
        why.append("other processes used %.2f CPUs on average (threshold %.2f)"
                   % (fc, NOISE_FOREIGN_CPUS))
    st, wall = noise.get("steal_s"), noise.get("wall_s")
    if isinstance(st, (int, float)) and isinstance(wall, (int, float)) and wall > 0 \
            and st / wall > NOISE_STEAL_FRACTION:
        why.append("hypervisor steal time was %.0f%% of the wall time (threshold %.0f%%)"
                   % (100 * st / wall, 100 * NOISE_STEAL_FRACTION))
    return "; ".join(why)
