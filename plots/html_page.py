"""Pieces of the HTML pages (report.html, compare.html): the style sheet,
escaping and tables. Imported by the entry points report.py and compare.py,
never by a suite module (suites return captions and common.Table rows; the
pages turn them into HTML).

Named html_page, not html: a plots/html.py would shadow Python's own html
package for every script started from plots/ (matplotlib's pyparsing
imports html.entities at start-up and fails).

What this module offers
  CSS                      the style sheet both pages embed.
  esc(x)                   str(x), HTML-escaped (quotes included).
  html_table(columns, rows, numeric, row_classes)
                           a <table>; columns in `numeric` right-aligned.
  table_html(t)            a common.Table with its heading; all-numeric
                           columns right-aligned.
  figure_html(png, caption)
                           a <figure> with the PNG and its caption.
  failure_html(msg)        an error box with msg and the current traceback.
  bool_html(v)             a yes / no cell (green / red), "—" for None.
  plural(n, word)          "1 result", "3 results".
"""

import traceback

from common import display

CSS = """
body { font-family: -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1200px; padding: 1.2em 2em 4em; color: #1a1a1a;
       line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.1em; }
h2 { font-size: 1.35em; border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2.2em; }
h3 { font-size: 1.08em; margin-top: 1.5em; }
.sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #d6d6d6; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { background: #fff1f0; }
tr.diff td { background: #fffbe6; }
.warn { background: #fff4e5; border-left: 5px solid #f0a020; padding: 0.5em 1em; margin: 0.5em 0; }
.err { background: #fff1f0; border-left: 5px solid #d93025; padding: 0.5em 1em; margin: 0.5em 0; }
.ok { color: #1e7e34; font-weight: bold; }
.no { color: #c5221f; font-weight: bold; }
.grid { display: flex; flex-wrap: wrap; gap: 2em; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; border: 1px solid #e4e4e4; }
figcaption { color: #333; font-size: 0.92em; max-width: 60em; margin-top: 0.3em; }
details { margin: 0.6em 0; }
summary { cursor: pointer; color: #0b57d0; }
code { font-size: 0.92em; background: #f4f4f4; padding: 0 0.2em; }
nav ul { columns: 2; }
footer { margin-top: 3em; color: #888; font-size: 0.85em; }
"""


# The five characters that matter in text and attribute values.
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}


def esc(x):
    """str(x) escaped for HTML text and attribute values (what the standard
    library's html.escape(quote=True) does; that module is shadowed here,
    see above)."""
    return "".join(_ESCAPES.get(c, c) for c in str(x))


def html_table(columns, rows, numeric=(), row_classes=None):
    """An HTML table; columns whose index is in `numeric` are right-aligned."""
    out = ["<table><tr>%s</tr>" % "".join("<th>%s</th>" % esc(c) for c in columns)]
    for i, row in enumerate(rows):
        cls = row_classes[i] if row_classes else ""
        cells = []
        for j, v in enumerate(row):
            cells.append("<td%s>%s</td>" % (' class="num"' if j in numeric else "", esc(v)))
        out.append("<tr%s>%s</tr>" % (' class="%s"' % cls if cls else "", "".join(cells)))
    out.append("</table>")
    return "\n".join(out)


def table_html(t):
    """A common.Table with a heading; all-numeric columns right-aligned."""
    numeric = set()
    for j in range(len(t.columns)):
        col = [r[j] for r in t.rows if j < len(r)]
        if col and all(looks_numeric(v) for v in col) and \
                any(str(v) not in ("—", "") for v in col):
            numeric.add(j)
    head = "<h3>%s</h3>" % esc(t.title) if t.title else ""
    return head + html_table(t.columns, t.rows, numeric=numeric)


def looks_numeric(v):
    s = str(v).rstrip("kMGT").strip()
    if s in ("—", ""):
        return True
    try:
        float(s)
        return True
    except ValueError:
        return False


def bool_html(v):
    if v is True or (isinstance(v, str) and v.lower() in ("true", "yes", "1")):
        return '<span class="ok">yes</span>'
    if v is False or (isinstance(v, str) and v.lower() in ("false", "no", "0")):
        return '<span class="no">no</span>'
    return esc(display(v)) if v is not None else "—"


def plural(n, word):
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def figure_html(png, caption):
    """A figure: the PNG (relative path) and its caption, file name first."""
    return ("<figure id=\"fig-%s\"><img src=\"%s\" alt=\"%s\"><figcaption><b>%s</b> — %s"
            "</figcaption></figure>" % (esc(png), esc(png), esc(caption), esc(png), esc(caption)))


def failure_html(msg):
    """An error box: msg and the traceback of the exception being handled."""
    return ("<div class=\"err\"><b>%s</b><pre>%s</pre></div>"
            % (esc(msg), esc(traceback.format_exc())))
