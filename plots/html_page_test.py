"""Tests of html_page.py: escaping, tables (numeric columns right-aligned),
figures, error boxes."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import html_page  # noqa: E402
from common import Table  # noqa: E402


class EscapeTest(unittest.TestCase):
    def test_like_the_standard_library(self):
        import html as stdlib_html   # the real one: plots/ has no html.py
        for text in ("a<b>&c", "\"quoted\" 'single'", "plain", "é ∞ —", 42):
            self.assertEqual(html_page.esc(text), stdlib_html.escape(str(text), quote=True))

    def test_no_module_named_html_here(self):
        # A plots/html.py would shadow the standard library's html package
        # for every script started from plots/ (matplotlib needs it).
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(html_page.__file__),
                                                     "html.py")))


class TableTest(unittest.TestCase):
    def test_html_table(self):
        text = html_page.html_table(["a<", "b"], [["x", "1"], ["y&", "2"]], numeric={1},
                                    row_classes=["bad", ""])
        self.assertEqual(text.split("\n"), [
            "<table><tr><th>a&lt;</th><th>b</th></tr>",
            '<tr class="bad"><td>x</td><td class="num">1</td></tr>',
            '<tr><td>y&amp;</td><td class="num">2</td></tr>',
            "</table>"])

    def test_table_html_aligns_numeric_columns(self):
        t = Table("Title & more", ["name", "rate", "empty", "mixed"],
                  [["a", "1.5M", "—", "3"], ["b", "20k", "—", "x"]])
        text = html_page.table_html(t)
        self.assertTrue(text.startswith("<h3>Title &amp; more</h3><table>"))
        self.assertIn('<td>a</td><td class="num">1.5M</td><td>—</td><td>3</td>', text)
        self.assertNotIn("<h3>", html_page.table_html(Table("", ["x"], [["1"]])))

    def test_looks_numeric(self):
        self.assertTrue(html_page.looks_numeric("1.5M"))
        self.assertTrue(html_page.looks_numeric("—"))
        self.assertFalse(html_page.looks_numeric("1.5 ns"))


class PiecesTest(unittest.TestCase):
    def test_figure(self):
        self.assertEqual(html_page.figure_html("a.png", "x < y"),
                         '<figure id="fig-a.png"><img src="a.png" alt="x &lt; y"><figcaption><b>a.png</b> — '
                         "x &lt; y</figcaption></figure>")

    def test_failure_box_carries_the_traceback(self):
        try:
            raise ValueError("boom <here>")
        except ValueError:
            text = html_page.failure_html("module failed")
        self.assertTrue(text.startswith('<div class="err"><b>module failed</b><pre>'))
        self.assertIn("ValueError: boom &lt;here&gt;", text)

    def test_bool_and_plural(self):
        self.assertEqual(html_page.bool_html(True), '<span class="ok">yes</span>')
        self.assertEqual(html_page.bool_html("false"), '<span class="no">no</span>')
        self.assertEqual(html_page.bool_html(None), "—")
        self.assertEqual(html_page.bool_html(1.5), "1.50")
        self.assertEqual([html_page.plural(n, "run") for n in (0, 1, 2)],
                         ["0 runs", "1 run", "2 runs"])

    def test_css_is_one_style_sheet(self):
        self.assertIn("td.num", html_page.CSS)
        self.assertNotIn("<", html_page.CSS)


if __name__ == "__main__":
    unittest.main()
