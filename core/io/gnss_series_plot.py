"""PNG plots of a GNSS time-series comparison: one panel per station (both series and their
difference) and the pairwise residual against distance with the requirement curve and the
bins. matplotlib is imported here only, when a plot is asked for; without it the error says
so (the comparison itself needs only numpy and GDAL)."""

import os
from typing import Callable

import numpy as np

from ..conventions import units
from ..conventions.errors import OutputError

STATIONS_PNG, PAIRS_PNG = "stations.png", "pairs.png"
PANELS_PER_ROW = 3


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise OutputError("OUTPUT_PLOT needs matplotlib, which this Python does not have; leave OUTPUT_PLOT empty "
                          "or install matplotlib (python3-matplotlib)") from None  # fmt: skip
    return plt


def _targets(path: str) -> tuple:
    """(stations PNG, pairs PNG): in the folder ``path``, or ``path`` and ``<path>_pairs.png``."""
    if path.lower().endswith(".png"):
        return path, path[:-4] + "_pairs.png"
    os.makedirs(path, exist_ok=True)
    return os.path.join(path, STATIONS_PNG), os.path.join(path, PAIRS_PNG)


def _station_panels(plt, result, path):
    n = len(result.stations)
    rows = (n + PANELS_PER_ROW - 1) // PANELS_PER_ROW
    fig, axes = plt.subplots(rows, PANELS_PER_ROW, figsize=(4 * PANELS_PER_ROW, 2.8 * rows), squeeze=False)
    unit = result.unit or "stack unit"
    for ax, st in zip(axes.flat, result.stations):
        dates = np.array(st.dates, dtype="datetime64[D]")
        ax.plot(dates, st.gnss, ".", ms=3, label="GNSS")
        ax.plot(dates, st.insar, ".", ms=3, label="InSAR")
        ax.plot(dates, st.residual, "-", lw=0.8, color="grey", label="InSAR - GNSS")
        ax.set_title(f"{st.site}: rmse {st.stats.rmse:.3g} {unit}", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _pairs_plot(plt, result, path, kind: int, curve: Callable):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    p = result.pairs
    ax.plot(p.distance_km, p.residual, ".", ms=2, alpha=0.4, label="station pairs")
    bins = result.bins
    if bins is not None:
        d = np.linspace(max(bins.edges[0], 1e-3), bins.edges[-1], 200)
        scale = units.factor("mm", result.unit) if result.unit else None
        if scale:
            ax.plot(d, curve(kind, d, scale), "r-", label="requirement")
        for k in range(len(bins.count)):
            if bins.count[k]:
                mid = 0.5 * (bins.edges[k] + bins.edges[k + 1])
                ax.annotate(f"{bins.fraction[k]:.0%}", (mid, ax.get_ylim()[1] * 0.95), ha="center", fontsize=7,
                            color="green" if bins.passed[k] else "red")  # fmt: skip
    ax.set_xlabel("distance (km)")
    ax.set_ylabel(f"|pair residual| ({result.unit or 'stack unit'})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_comparison(result: object, path: str, kind: int, curve: Callable) -> str:
    """The station panels and the pairwise plot of ``result`` (a runs.gnss_series_run
    comparison) as PNGs in the folder ``path`` (or ``path`` and ``<path>_pairs.png``);
    ``curve(kind, distance_km, mm)`` is the requirement. Returns ``path``."""
    plt = _pyplot()
    stations_png, pairs_png = _targets(path)
    _station_panels(plt, result, stations_png)
    _pairs_plot(plt, result, pairs_png, kind, curve)
    return path
