"""Tests of draw.py: the ns formatters, label placement without overlaps,
the comparison bars, grouped bars and the thread axis."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import draw  # noqa: E402
import style  # noqa: E402


class FormatterTest(unittest.TestCase):
    def test_fmt_ns(self):
        self.assertEqual(draw.fmt_ns(40.0), "40 ns")
        self.assertEqual(draw.fmt_ns(3.26), "3.26 ns")
        self.assertEqual(draw.fmt_ns(1300.0), "1.30 µs")
        self.assertEqual(draw.fmt_ns(23295.0), "23.3 µs")
        self.assertEqual(draw.fmt_ns(1.5e6), "1.50 ms")
        self.assertEqual(draw.fmt_ns(3.6e7), "36.0 ms")
        self.assertEqual(draw.fmt_ns(2.5e9), "2.50 s")
        self.assertEqual(draw.fmt_ns(None), "—")
        self.assertEqual(draw.fmt_ns(float("nan")), "—")

    def test_ns_tick(self):
        self.assertEqual([draw.ns_tick(v) for v in (100, 1e3, 1e6, 2.5e9, 0)],
                         ["100 ns", "1 µs", "1 ms", "2.5 s", ""])


class PlaceLabelsTest(unittest.TestCase):
    def test_crowded_points_get_labels_that_do_not_overlap(self):
        from matplotlib.text import Text
        fig, axes = draw.new_figure(6.0, 4.0)
        ax = axes[0][0]
        pts = [(0.50, 1.00, "std_mutex"), (0.51, 1.02, "pthread_adaptive"),
               (0.52, 0.98, "GoMutex2008"), (0.20, 0.50, "TicketLock"),
               (0.90, 1.50, "SpinLock"), (0.49, 1.01, "GoMutex")]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts])
        ax.set_xlim(0, 1)
        ax.set_ylim(0.3, 1.8)
        fig.tight_layout()
        draw.place_labels(ax, [(x, y, t, "#000000") for x, y, t in pts], bold=("GoMutex",))
        renderer = fig.canvas.get_renderer()
        texts = list(ax.texts)
        self.assertEqual(sorted(t.get_text() for t in texts), sorted(p[2] for p in pts))
        self.assertEqual([t.get_fontweight() for t in texts if t.get_text() == "GoMutex"],
                         ["bold"])
        boxes = []
        for t in texts:
            t.update_positions(renderer)
            boxes.append(Text.get_window_extent(t, renderer))
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                self.assertFalse(boxes[i].overlaps(boxes[j]),
                                 (texts[i].get_text(), texts[j].get_text()))
        import matplotlib.pyplot as plt
        plt.close(fig)

    def test_segments_cross(self):
        self.assertTrue(draw._segments_cross((0, 0), (2, 2), (0, 2), (2, 0)))
        self.assertFalse(draw._segments_cross((0, 0), (1, 1), (2, 0), (3, 1)))
        self.assertFalse(draw._segments_cross((0, 0), (2, 0), (1, 0), (3, 0)))   # collinear


class BarsTest(unittest.TestCase):
    def test_compare_bars_solid_a_hatched_b_in_the_given_colours(self):
        fig, axes = draw.new_figure(6.0, 4.0)
        ax = axes[0][0]
        colours = {"x": "#112233", "y": "#445566"}
        draw.compare_bars(ax, ["x", "y"], [{"x": 2.0, "y": 3.0}, {"x": 4.0}],
                          colour=colours.get)
        bars = ax.patches
        self.assertEqual(len(bars), 3)
        self.assertEqual(sorted(b.get_height() for b in bars), [2.0, 3.0, 4.0])
        hatched = [b for b in bars if b.get_hatch()]
        self.assertEqual([b.get_height() for b in hatched], [4.0])
        self.assertEqual([t.get_text() for t in ax.get_xticklabels()], ["x", "y"])
        from matplotlib.colors import to_hex
        self.assertEqual({to_hex(b.get_facecolor()) for b in bars}, {"#112233", "#445566"})
        import matplotlib.pyplot as plt
        plt.close(fig)

    def test_grouped_bars_skip_missing_values(self):
        fig, axes = draw.new_figure(6.0, 4.0)
        ax = axes[0][0]
        series = [draw.Series("a", style.colour("a"), "", {"c1": 1.0, "c2": 2.0}),
                  draw.Series("b", style.colour("b"), "", {"c2": 5.0})]
        handles, labels = draw.grouped_bars(ax, ["c1", "c2"], series)
        self.assertEqual(labels, ["a", "b"])
        self.assertEqual(len(ax.patches), 3)
        import matplotlib.pyplot as plt
        plt.close(fig)

    def test_thread_axis_log_for_long_sweeps(self):
        fig, axes = draw.new_figure(4.0, 3.0, ncols=2)
        draw.thread_axis(axes[0][0], [1, 2, 4])
        draw.thread_axis(axes[0][1], [1, 2, 4, 8, 16])
        self.assertEqual(axes[0][0].get_xscale(), "linear")
        self.assertEqual(axes[0][1].get_xscale(), "log")
        self.assertEqual(list(axes[0][1].get_xticks()), [1, 2, 4, 8, 16])
        import matplotlib.pyplot as plt
        plt.close(fig)


if __name__ == "__main__":
    unittest.main()
