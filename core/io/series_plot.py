"""Time series drawn on a matplotlib Figure: the same drawing for the pictures of
``losdecomp:sample_timeseries`` (Agg, no window) and for the inspector dock (Qt canvas).

matplotlib is imported lazily, only where a picture is drawn: the algorithms and the plugin
work without it, and say so when a picture is asked for (:func:`require_matplotlib`).
A Figure drawn through ``backend_agg.FigureCanvasAgg`` leaves matplotlib's process-wide
backend alone (QGIS and other plugins share it).

The series are duck-typed (``layer``, ``dates``, ``value``, ``sigma``, ``unit``, optional
``low``/``high`` envelope), so that this module needs nothing above io; ``curves`` are
model curves drawn over them (a fitted line today, a time-function model later):
``(label, dates, values)``.
"""

import os
import uuid
from typing import Sequence

import numpy as np

MISSING = ("matplotlib is not installed in this Python: the time-series plot needs it (it ships with QGIS on "
           "Windows and macOS; on Debian/Ubuntu: apt install python3-matplotlib)")  # fmt: skip
FORMATS = ("png", "svg")


def require_matplotlib() -> object:
    """The matplotlib module; ImportError with :data:`MISSING` when it is not installed."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError(MISSING) from None
    return matplotlib


def new_figure(width: float = 7.0, height: float = 4.2) -> object:
    """A Figure not attached to any GUI backend."""
    require_matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _axis_label(series):
    units = sorted({s.unit for s in series if s.unit})
    return f"displacement ({', '.join(units)})" if units else "displacement (unit unknown)"


def _dated(s, keep):
    return [d for d, good in zip(s.dates, keep) if good]


#: The axes' place in the figure (fractions), fixed: matplotlib's tight layout measures every
#: text on each draw (about a third of a click's time on 200 dates).
MARGINS = {"left": 0.13, "right": 0.98, "bottom": 0.15, "top": 0.9}


def _bands(ax, s, colour):
    """A series' sigma band and its envelope (new artists: filled areas cannot be updated)."""
    ok = np.isfinite(s.value)
    sigma = np.asarray(s.sigma, dtype=float)
    band = ok & np.isfinite(sigma)
    if band.any():
        ax.fill_between(_dated(s, band), (s.value - sigma)[band], (s.value + sigma)[band], color=colour, alpha=0.2,
                        linewidth=0, label=f"{s.layer} +/- 1 sigma")  # fmt: skip
    low, high = getattr(s, "low", None), getattr(s, "high", None)
    if low is not None and np.isfinite(low).any():
        env = ok & np.isfinite(low)
        ax.fill_between(_dated(s, env), low[env], high[env], color=colour, alpha=0.12, hatch="//", linewidth=0,
                        label=f"{s.layer} 5-95 % of the pixels")  # fmt: skip


class SeriesPlot:
    """One axes on ``figure``, laid out once, whose lines are reused from one :meth:`show` to
    the next (``set_data``): a click redraws only what changed. Each series is drawn against
    a date axis in its own colour, with its sigma band (value +/- sigma) where it has a sigma,
    its envelope where it has one; ``curves`` are drawn dashed in their series' colour. A
    series may say its ``style`` (a matplotlib format, default ``"o-"``)."""

    def __init__(self, figure: object, fixed_layout: bool = True) -> None:
        import matplotlib.dates as mdates

        self.figure, self.fixed_layout = figure, fixed_layout
        figure.clear()
        self.ax = figure.add_subplot(1, 1, 1)
        if fixed_layout:
            figure.subplots_adjust(**MARGINS)
        locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
        self.ax.xaxis.set_major_locator(locator)
        self.ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        self.ax.set_xlabel("date")
        self.ax.grid(True, alpha=0.3)
        self.lines: list = []
        self.note = self.ax.text(0.01, 0.01, "", transform=self.ax.transAxes, fontsize=8, va="bottom", color="#444")

    def _line(self, k):
        while len(self.lines) <= k:
            (line,) = self.ax.plot([], [])
            self.lines.append(line)
        line = self.lines[k]
        line.set_visible(True)
        return line

    def _clear(self):
        for artist in list(self.ax.collections):
            artist.remove()
        for line in self.lines:
            line.set_visible(False)
            line.set_label("_hidden")
        if self.ax.get_legend() is not None:
            self.ax.get_legend().remove()

    def show(self, series: Sequence, title: str = "", curves: Sequence = (), note: str = "") -> None:
        """Draw ``series`` and ``curves`` in place of what was drawn (no draw of the canvas)."""
        self._clear()
        colours = {}
        for k, s in enumerate(series):
            colours[s.layer] = colour = f"C{k % 10}"
            ok = np.isfinite(s.value)
            line = self._line(k)
            line.set_data(_dated(s, ok), s.value[ok])
            fmt = getattr(s, "style", "o-")
            line.set(color=colour, marker="o" if "o" in fmt else "", markersize=3, linewidth=1.2,
                     linestyle="-" if "-" in fmt else "", label=s.layer)  # fmt: skip
            _bands(self.ax, s, colour)
        for j, (label, when, values) in enumerate(curves, start=len(series)):
            colour = next((c for name, c in colours.items() if label.startswith(name)), "k")
            self._line(j).set(data=(when, values), color=colour, marker="", linestyle="--", linewidth=1.0, label=label)
        self.ax.set_ylabel(_axis_label(series))
        self.ax.set_title(title, fontsize=10)
        self.note.set_text(note)
        self.ax.relim(visible_only=True)
        self.ax.autoscale_view()
        if series or curves:
            self.ax.legend(fontsize=7, loc="upper left")  # "best" costs half a second on 200 dates
        if not self.fixed_layout:
            self.figure.tight_layout()


def draw(figure: object, series: Sequence, title: str = "", curves: Sequence = (), note: str = "") -> None:
    """A picture of the series on a new axes of ``figure`` (:class:`SeriesPlot`), laid out to
    fit its labels (a picture is drawn once: the layout is measured)."""
    SeriesPlot(figure, fixed_layout=False).show(series, title, curves, note)


class PlotFile:
    """A picture saved under a temporary name beside ``path``; :meth:`commit` renames it into
    place, :meth:`abort` deletes it (an output of a run's lifecycle)."""

    def __init__(self, path: str, figure) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.path = path
        folder, name = os.path.split(os.path.abspath(path))
        stem, ext = os.path.splitext(name)
        self.tmp_path = os.path.join(folder, f".{stem}.{uuid.uuid4().hex[:8]}.partial{ext}")
        FigureCanvasAgg(figure)
        figure.savefig(self.tmp_path)

    def commit(self) -> None:
        os.replace(self.tmp_path, self.path)

    def abort(self) -> None:
        if os.path.exists(self.tmp_path):
            os.remove(self.tmp_path)
