"""A scatter of InSAR against GNSS as a self-contained HTML page (inline SVG, no library):
QGIS's results viewer and any browser open it."""

import html
import math
from typing import Sequence

import numpy as np

WIDTH, HEIGHT, MARGIN = 560, 520, 70


def _ticks(lo: float, hi: float, count: int = 6) -> list:
    span = hi - lo
    step = 10 ** math.floor(math.log10(span / count)) if span > 0 else 1.0
    for m in (1, 2, 5, 10):
        if span / (m * step) <= count:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


def scatter_html(gnss: Sequence, insar: Sequence, names: list, title: str, unit: str, lines: list) -> str:
    """InSAR (vertical axis) against GNSS (horizontal), the 1:1 line and the statistics."""
    g, i = np.asarray(gnss, dtype=float), np.asarray(insar, dtype=float)
    ok = np.isfinite(g) & np.isfinite(i)
    g, i, names = g[ok], i[ok], [n for n, k in zip(names, ok) if k]
    values = np.concatenate([g, i]) if g.size else np.array([-1.0, 1.0])
    lo, hi = float(values.min()), float(values.max())
    pad = 0.05 * (hi - lo) or 1.0
    lo, hi = lo - pad, hi + pad
    size = WIDTH - 2 * MARGIN

    def px(v: float) -> float:
        return MARGIN + (v - lo) / (hi - lo) * size

    def py(v: float) -> float:
        return MARGIN + size - (v - lo) / (hi - lo) * size

    u = f" ({html.escape(unit)})" if unit else " (unit unknown)"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT + 20}" font-family="sans-serif" '
        'font-size="12">',
        f'<rect x="{MARGIN}" y="{MARGIN}" width="{size}" height="{size}" fill="white" stroke="#444"/>',
        f'<line x1="{px(lo)}" y1="{py(lo)}" x2="{px(hi)}" y2="{py(hi)}" stroke="#999" stroke-dasharray="6 4"/>',
    ]
    for t in _ticks(lo, hi):
        parts.append(f'<text x="{px(t)}" y="{MARGIN + size + 16}" text-anchor="middle">{t:.3g}</text>')
        parts.append(f'<text x="{MARGIN - 6}" y="{py(t) + 4}" text-anchor="end">{t:.3g}</text>')
    for gv, iv, nm in zip(g, i, names):
        parts.append(
            f'<circle cx="{px(gv):.1f}" cy="{py(iv):.1f}" r="4" fill="#1f6fb4" fill-opacity="0.75">'
            f"<title>{html.escape(str(nm))}: GNSS {gv:.4g}, InSAR {iv:.4g}</title></circle>"
        )
    parts.append(f'<text x="{MARGIN + size / 2}" y="{MARGIN + size + 40}" text-anchor="middle">GNSS{u}</text>')
    parts.append(
        f'<text x="18" y="{MARGIN + size / 2}" text-anchor="middle" '
        f'transform="rotate(-90 18 {MARGIN + size / 2})">InSAR{u}</text>'
    )
    parts.append("</svg>")
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h3>{html.escape(title)}</h3>{''.join(parts)}<ul>{items}</ul>"
        "<p>Dashed: the 1:1 line. Hover a point for its station.</p></body></html>"
    )
