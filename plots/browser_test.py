"""A real headless browser (Debian's chromium) opens a generated report.html
and a compare.html and checks that every figure loads (the image is complete
and has a natural width) and every in-page link (href="#id") resolves to an
element of the page.

How: a copy of each page, with a small script appended, is opened with
`chromium --headless --dump-dom`; the script runs on the window's load event
(every image has loaded or failed by then) and writes its findings as JSON
into a <pre id="syncscope-check"> that the dumped DOM carries back. The
subprocess has a timeout that only bounds a hung browser.

chromium is installed by ./run.sh setup (it is in run.sh's PACKAGES)."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import testing_fixtures as fx  # noqa: E402

CHECK_SCRIPT = """
<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images).map(function (i) {
    return {src: i.getAttribute("src"), ok: i.complete && i.naturalWidth > 0,
            width: i.naturalWidth};
  });
  var links = Array.prototype.slice.call(document.querySelectorAll('a[href^="#"]'))
    .map(function (a) {
      var id = decodeURIComponent(a.getAttribute("href").slice(1));
      return {href: a.getAttribute("href"), ok: document.getElementById(id) !== null};
    });
  var pre = document.createElement("pre");
  pre.id = "syncscope-check";
  pre.textContent = JSON.stringify({images: imgs, links: links});
  document.body.appendChild(pre);
});
</script>
"""


def browser():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def check_page(path):
    """{"images": [...], "links": [...]} as the browser saw the page."""
    probe = os.path.join(os.path.dirname(path), "browser_probe_" + os.path.basename(path))
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with open(probe, "w", encoding="utf-8") as f:
        f.write(text.replace("</body>", CHECK_SCRIPT + "</body>"))
    with tempfile.TemporaryDirectory(prefix="chromium_profile_") as profile:
        proc = subprocess.run(
            [browser(), "--headless", "--no-sandbox", "--disable-gpu",
             "--user-data-dir=" + profile, "--allow-file-access-from-files",
             "--virtual-time-budget=20000", "--dump-dom", "file://" + probe],
            capture_output=True, text=True, timeout=240)
    os.remove(probe)
    m = re.search(r'<pre id="syncscope-check">(.*?)</pre>', proc.stdout, re.S)
    if m is None:
        raise AssertionError("the check script did not report (exit %d): %s"
                             % (proc.returncode, proc.stderr[-2000:]))
    raw = m.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">") \
        .replace("&amp;", "&")
    return json.loads(raw)


class BrowserTest(fx.TempDirCase):
    @classmethod
    def build(cls, tmp):
        if browser() is None:
            raise AssertionError("chromium is not installed (./run.sh setup installs it)")
        cls.a = fx.verdict_run(fx.make_run(os.path.join(tmp, "a"), pus=2))
        cls.b = fx.verdict_run(fx.make_run(os.path.join(tmp, "b"), pus=2))
        for run in (cls.a, cls.b):
            p = fx.run_script("report.py", run)
            assert p.returncode == 0, p.stderr
        cls.out = os.path.join(tmp, "cmp")
        p = fx.run_script("compare.py", cls.a, cls.b, "--out", cls.out)
        assert p.returncode == 0, p.stderr

    def assert_page(self, path, min_images, min_links):
        seen = check_page(path)
        self.assertGreaterEqual(len(seen["images"]), min_images, seen)
        self.assertGreaterEqual(len(seen["links"]), min_links, seen)
        self.assertEqual([i for i in seen["images"] if not i["ok"]], [])
        self.assertEqual([a for a in seen["links"] if not a["ok"]], [])
        # The browser loaded every <img> of the page, no more, no fewer.
        with open(path, encoding="utf-8") as f:
            srcs = re.findall(r'<img src="([^"]+)"', f.read())
        self.assertEqual(sorted(i["src"] for i in seen["images"]), sorted(srcs))

    def test_report(self):
        # atomics 4 + c2c 2 + fairness + maps figures; nav + verdict + noise links.
        self.assert_page(os.path.join(self.a, "report.html"), min_images=6, min_links=8)

    def test_compare(self):
        self.assert_page(os.path.join(self.out, "compare.html"), min_images=4, min_links=0)

    def test_a_broken_figure_is_caught(self):
        bad = os.path.join(self.tmp.name, "broken.html")
        with open(bad, "w") as f:
            f.write('<!DOCTYPE html><html><body><img src="missing.png">'
                    '<a href="#nowhere">x</a></body></html>')
        seen = check_page(bad)
        self.assertEqual([i["ok"] for i in seen["images"]], [False])
        self.assertEqual([a["ok"] for a in seen["links"]], [False])


if __name__ == "__main__":
    unittest.main()
