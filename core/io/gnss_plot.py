"""Scatters of InSAR against GNSS as a self-contained HTML page (inline SVG, no library):
QGIS's results viewer and any browser open it. Each station is a point with its name
written beside it (the largest residuals only when there are many), and +/-1 sigma bars
where the sigmas are known: horizontal for GNSS, vertical for InSAR."""

import html
import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

WIDTH, HEIGHT, MARGIN = 560, 520, 70
#: Up to this many stations every name is written; beyond, the names of the NAMED_MAX
#: largest |InSAR - GNSS| (the ones a reader looks for), and the page says so.
NAMED_MAX = 40


@dataclass
class Panel:
    """One scatter: InSAR (vertical axis) against GNSS (horizontal) at the stations, with
    optional +/-1 sigma bars (``gnss_sigma``, ``insar_sigma``; NaN = unknown, no bar)."""

    gnss: Sequence
    insar: Sequence
    names: list
    title: str
    unit: str
    gnss_sigma: Optional[Sequence] = None
    insar_sigma: Optional[Sequence] = None


def _ticks(lo: float, hi: float, count: int = 6) -> list:
    span = hi - lo
    step = 10 ** math.floor(math.log10(span / count)) if span > 0 else 1.0
    for m in (1, 2, 5, 10):
        if span / (m * step) <= count:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


def _finite(values, size: int) -> np.ndarray:
    """Sigmas as an array of ``size``, NaN where unknown or not positive."""
    if values is None:
        return np.full(size, np.nan)
    a = np.asarray(values, dtype=float).reshape(-1)
    return np.where(np.isfinite(a) & (a > 0), a, np.nan)


def _points(p: Panel) -> tuple:
    g, i = np.asarray(p.gnss, dtype=float), np.asarray(p.insar, dtype=float)
    ok = np.isfinite(g) & np.isfinite(i)
    sg, si = _finite(p.gnss_sigma, g.size)[ok], _finite(p.insar_sigma, g.size)[ok]
    return g[ok], i[ok], [nm for nm, k in zip(p.names, ok) if k], sg, si


def _bounds(g, i, sg, si) -> tuple:
    values = np.concatenate([g, i, g - np.nan_to_num(sg), g + np.nan_to_num(sg), i - np.nan_to_num(si),
                             i + np.nan_to_num(si)]) if g.size else np.array([-1.0, 1.0])  # fmt: skip
    lo, hi = float(values.min()), float(values.max())
    pad = 0.05 * (hi - lo) or 1.0
    return lo - pad, hi + pad


def _named(g, i) -> set:
    """Indices of the stations whose names are written."""
    if g.size <= NAMED_MAX:
        return set(range(g.size))
    return set(np.argsort(-np.abs(i - g))[:NAMED_MAX].tolist())


def panel_svg(p: Panel) -> str:
    """The SVG of one scatter: axes with ticks, the 1:1 line, bars, points and names."""
    g, i, names, sg, si = _points(p)
    lo, hi = _bounds(g, i, sg, si)
    size = WIDTH - 2 * MARGIN

    def px(v: float) -> float:
        return MARGIN + (v - lo) / (hi - lo) * size

    def py(v: float) -> float:
        return MARGIN + size - (v - lo) / (hi - lo) * size

    u = f" ({html.escape(p.unit)})" if p.unit else " (unit unknown)"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT + 20}" font-family="sans-serif" '
        'font-size="12">',
        f'<text x="{WIDTH / 2}" y="{MARGIN - 24}" text-anchor="middle" font-weight="bold">{html.escape(p.title)}'
        "</text>",
        f'<rect x="{MARGIN}" y="{MARGIN}" width="{size}" height="{size}" fill="white" stroke="#444"/>',
        f'<line x1="{px(lo)}" y1="{py(lo)}" x2="{px(hi)}" y2="{py(hi)}" stroke="#999" stroke-dasharray="6 4"/>',
    ]
    for t in _ticks(lo, hi):
        parts.append(f'<text x="{px(t)}" y="{MARGIN + size + 16}" text-anchor="middle">{t:.3g}</text>')
        parts.append(f'<text x="{MARGIN - 6}" y="{py(t) + 4}" text-anchor="end">{t:.3g}</text>')
    bar = 'stroke="#1f6fb4" stroke-opacity="0.6" stroke-width="1.2"'
    for gv, iv, s_g, s_i in zip(g, i, sg, si):
        if math.isfinite(s_g):
            parts.append(f'<line x1="{px(gv - s_g):.1f}" y1="{py(iv):.1f}" x2="{px(gv + s_g):.1f}" y2="{py(iv):.1f}" '
                         f"{bar}/>")  # fmt: skip
        if math.isfinite(s_i):
            parts.append(f'<line x1="{px(gv):.1f}" y1="{py(iv - s_i):.1f}" x2="{px(gv):.1f}" y2="{py(iv + s_i):.1f}" '
                         f"{bar}/>")  # fmt: skip
    named = _named(g, i)
    for k, (gv, iv, nm) in enumerate(zip(g, i, names)):
        parts.append(
            f'<circle cx="{px(gv):.1f}" cy="{py(iv):.1f}" r="4" fill="#1f6fb4" fill-opacity="0.75">'
            f"<title>{html.escape(str(nm))}: GNSS {gv:.4g}, InSAR {iv:.4g}</title></circle>"
        )
        if k in named:
            parts.append(f'<text class="station" x="{px(gv) + 6:.1f}" y="{py(iv) - 5:.1f}" font-size="10" '
                         f'fill="#333">{html.escape(str(nm))}</text>')  # fmt: skip
    parts.append(f'<text x="{MARGIN + size / 2}" y="{MARGIN + size + 40}" text-anchor="middle">GNSS{u}</text>')
    parts.append(
        f'<text x="18" y="{MARGIN + size / 2}" text-anchor="middle" '
        f'transform="rotate(-90 18 {MARGIN + size / 2})">InSAR{u}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def page_html(title: str, panels: list, lines: list, bars: str = "") -> str:
    """A page of one or more scatters (side by side), the statistics (``lines``) and what the
    bars are (``bars``: which sigma, of which kind)."""
    svgs = "".join(panel_svg(p) for p in panels)
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    many = any(len(_points(p)[0]) > NAMED_MAX for p in panels)
    names = (f"Names: the {NAMED_MAX} largest |InSAR - GNSS| (hover a point for any station)." if many
             else "Each station is named beside its point.")  # fmt: skip
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h3>{html.escape(title)}</h3><div>{svgs}</div><ul>{items}</ul>"
        f"<p>Dashed: the 1:1 line. {html.escape(bars)} {names}</p></body></html>"
    )


def scatter_html(gnss: Sequence, insar: Sequence, names: list, title: str, unit: str, lines: list,
                 gnss_sigma: Optional[Sequence] = None, insar_sigma: Optional[Sequence] = None,
                 bars: str = "") -> str:  # fmt: skip
    """One scatter of InSAR (vertical axis) against GNSS (horizontal), the 1:1 line, +/-1
    sigma bars where given, and the statistics."""
    panel = Panel(gnss, insar, names, "", unit, gnss_sigma, insar_sigma)  # the page's heading is the title
    return page_html(title, [panel], lines, bars)
