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


def _one(ax, s, colour):
    """One series: its line, its sigma band and its envelope."""
    ok = np.isfinite(s.value)
    ax.plot(_dated(s, ok), s.value[ok], "o-", color=colour, markersize=3, linewidth=1.2, label=s.layer)
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


def draw(figure: object, series: Sequence, title: str = "", curves: Sequence = (), note: str = "") -> None:
    """Each series against a date axis, one colour per series, its sigma band (value +/- sigma)
    where it has a sigma, its envelope where it has one, and the ``curves`` dashed."""
    figure.clear()
    ax = figure.add_subplot(1, 1, 1)
    colours = {}
    for k, s in enumerate(series):
        colours[s.layer] = f"C{k % 10}"
        _one(ax, s, colours[s.layer])
    for label, when, values in curves:
        colour = next((c for name, c in colours.items() if label.startswith(name)), "k")
        ax.plot(when, values, "--", color=colour, linewidth=1.0, label=label)
    ax.set_xlabel("date")
    ax.set_ylabel(_axis_label(series))
    ax.grid(True, alpha=0.3)
    ax.set_title(title, fontsize=10)
    if note:
        ax.text(0.01, 0.01, note, transform=ax.transAxes, fontsize=8, va="bottom", color="#444")
    if series or curves:
        ax.legend(fontsize=7, loc="upper left")  # "best" costs half a second on 200 dates
    figure.autofmt_xdate()
    figure.tight_layout()


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
